"""Gap-junction tuning: coupling coefficient, its spectrum, and fitting g to a target CC."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from .. import analysis
from ..circuit import Circuit
from ..models.stimuli import Sine
from ..simulate import CancelledError, simulate, simulate_batch
from .protocols import PROBE, coupling_protocol, measure_coupling, quiet_copy


def coupling_coefficient(
    circuit: Circuit,
    source: str,
    target: str,
    amplitude: float = PROBE,
    duration: float = 500.0,
    settle: float = 500.0,
    dt: float = 0.025,
    method: str = "rk4",
) -> float:
    """CC = ΔV_target/ΔV_source for a hyperpolarising step of ``amplitude`` µA into
    ``source`` (BMTool's protocol: other stimuli removed, settle ``settle`` ms from
    rest, step for ``duration`` ms; each Δ is a window mean minus a baseline mean).
    """
    circuit.check_cell(target, "target")
    protocol = coupling_protocol(circuit, source, amplitude=amplitude, settle=settle,
                                 duration=duration)  # fmt: skip
    result = simulate(protocol.circuit, protocol.t_stop, dt, method, record="v", init="rest")
    return measure_coupling(result, protocol, source, target)


@dataclass
class CouplingSpectrum:
    """CC versus frequency for sinusoidal injection into the source cell.

    ``ratio``: |ΔV_target|/|ΔV_source|; ``phase``: the target's phase relative to
    the source's (degrees; negative = lag).  Gap junctions low-pass filter: the
    ratio falls with frequency as the target's membrane capacitance shunts it.
    """

    frequency: np.ndarray  # Hz
    ratio: np.ndarray
    phase: np.ndarray  # degrees


def _phasor(t: np.ndarray, v: np.ndarray, frequency: float, start: float) -> complex:
    """The complex amplitude of v's component at ``frequency`` over whole cycles from ``start``."""
    period = 1000.0 / frequency
    cycles = math.floor((t[-1] - start) / period)
    keep = (t >= start) & (t < start + cycles * period)
    phase = 2 * np.pi * frequency * t[keep] / 1000.0
    y = v[keep] - v[keep].mean()
    return complex(2 * np.mean(y * np.sin(phase)), 2 * np.mean(y * np.cos(phase)))


def coupling_spectrum(
    circuit: Circuit,
    source: str,
    target: str,
    frequencies: Sequence[float] | None = None,
    amplitude: float = 1e-5,
    cycles: int = 3,
    settle: float = 300.0,
    transient: float = 100.0,
    dt: float = 0.025,
    method: str = "rk4",
) -> CouplingSpectrum:
    """Amplitude ratio and phase of the target's response to a sine of ``amplitude`` µA
    into ``source``, at each frequency (Hz; default 16 from 0.1 to 200, log-spaced).

    The sine starts after ``settle`` ms; its onset transient is skipped (one cycle,
    and at least ``transient`` ms — several membrane time constants), then ``cycles``
    whole cycles are measured.  Frequencies needing similar durations share a batch.
    """
    freqs = np.asarray(
        np.geomspace(0.1, 200.0, 16) if frequencies is None else frequencies, float
    ).ravel()
    if freqs.size == 0 or np.any(~np.isfinite(freqs)) or np.any(freqs <= 0):
        raise ValueError("frequencies: give positive numbers of Hz")
    circuit.check_cell(source, "source")
    circuit.check_cell(target, "target")
    probed = quiet_copy(circuit)
    probed.stimulate(source, Sine(amplitude=amplitude, start=settle), name="probe")
    ratio, phase = np.empty(freqs.size), np.empty(freqs.size)
    order = np.argsort(freqs)
    # group frequencies within a factor of 2 so each batch runs about as long as it needs
    groups: list[list[int]] = []
    for i in order:
        if groups and freqs[i] < 2 * freqs[groups[-1][0]]:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    for group in groups:
        slowest = freqs[group[0]]
        t_stop = settle + max(1000.0 / slowest, transient) + cycles * 1000.0 / slowest
        results = simulate_batch(
            probed, {"probe.frequency": freqs[group]}, t_stop, dt, method, record="v", init="rest"
        )
        for i, result in zip(group, results, strict=True):
            start = settle + max(1000.0 / freqs[i], transient)
            zs = _phasor(result.t, result.v[source], freqs[i], start)
            zt = _phasor(result.t, result.v[target], freqs[i], start)
            ratio[i] = abs(zt) / abs(zs)
            phase[i] = math.degrees(np.angle(zt / zs))
    return CouplingSpectrum(freqs, ratio, phase)


@dataclass
class GapJunctionFit:
    """Result of :func:`fit_gap_junction`.

    ``g`` (mS), ``resistance`` (MΩ, = 1e-3/g), the coupling coefficients it gives in
    both directions, the number of simulations, and the history of (g, CC) tried.
    """

    g: float
    cc_ab: float
    cc_ba: float
    target: float
    direction: str
    n_sims: int
    history: list[tuple[float, float]] = field(default_factory=list)

    @property
    def resistance(self) -> float:
        """Coupling resistance in MΩ (1/g with g in mS is kΩ)."""
        return math.inf if self.g == 0 else 1e-3 / self.g

    @property
    def achieved(self) -> float:
        """The CC the fitted g gives in the fitted direction (the mean for "both")."""
        return {"a->b": self.cc_ab, "b->a": self.cc_ba}.get(
            self.direction, (self.cc_ab + self.cc_ba) / 2
        )


class _Evaluator:
    """CC in both directions for batches of g, in one protocol circuit whose two
    probes are switched on and off by their amplitudes (one compiled kernel)."""

    def __init__(self, circuit: Circuit, junction: str, dt: float, method: str, amplitude: float,
                 progress: Callable[[float], bool | None] | None) -> None:  # fmt: skip
        conn = circuit.connections[junction]
        self.a, self.b, self.path = conn.pre, conn.post, f"{junction}.g"
        self.protocol = coupling_protocol(circuit, self.a, self.b, amplitude=amplitude)
        self.amplitude = amplitude
        self.dt, self.method, self.progress = dt, method, progress
        self.n_sims = 0
        self.history: list[tuple[float, float]] = []

    def run(self, gs: Sequence[float], directions: Sequence[str]) -> list[float]:
        """CC for each (g, direction) pair."""
        probes = self.protocol.probes
        on = {"a->b": (1.0, 0.0), "b->a": (0.0, 1.0)}
        values = {
            self.path: np.asarray(gs, float),
            f"{probes[self.a]}.amplitude": [self.amplitude * on[d][0] for d in directions],
            f"{probes[self.b]}.amplitude": [self.amplitude * on[d][1] for d in directions],
        }
        results = simulate_batch(
            self.protocol.circuit, values, self.protocol.t_stop, self.dt, self.method,
            record="v", init="rest", workers=1,
        )  # fmt: skip
        self.n_sims += len(gs)
        out = []
        for d, r in zip(directions, results, strict=True):
            source, target = (self.a, self.b) if d == "a->b" else (self.b, self.a)
            out.append(measure_coupling(r, self.protocol, source, target))
        if self.progress is not None and self.progress(min(0.95, self.n_sims / 20)):
            raise CancelledError("gap-junction fit cancelled")
        return out

    def cc(self, gs: Sequence[float], direction: str) -> list[float]:
        """The fitted quantity at each g (one batch): one direction, or the mean of both."""
        if direction == "both":
            both = self.run([*gs, *gs], ["a->b"] * len(gs) + ["b->a"] * len(gs))
            values = [
                (ab + ba) / 2 for ab, ba in zip(both[: len(gs)], both[len(gs) :], strict=True)
            ]
        else:
            values = self.run(gs, [direction] * len(gs))
        self.history += list(zip(gs, values, strict=True))
        return values


def gap_junctions(circuit: Circuit) -> list[str]:
    """Names of the circuit's gap junctions: connections with a conductance ``g`` that
    put a current into both cells (``I_pre`` as well as ``I_post``) from the voltages,
    not from presynaptic events."""
    return [
        name
        for name, conn in circuit.connections.items()
        if "g" in conn.synapse.parameter_table()
        and not conn.synapse.event_driven
        and "I_pre" in conn.synapse.resolved().equations.assignments
    ]


def _direction(circuit: Circuit, junction: str, direction: str) -> str:
    conn = circuit.connections[junction]
    if not isinstance(direction, str):
        raise TypeError(f"direction: expected 'a->b', 'b->a' or 'both', got {direction!r}")
    if direction in ("a->b", "b->a", "both"):
        return direction
    match = re.fullmatch(r"\s*(\w+)\s*->\s*(\w+)\s*", direction)
    if match and match.groups() == (conn.pre, conn.post):
        return "a->b"
    if match and match.groups() == (conn.post, conn.pre):
        return "b->a"
    raise ValueError(
        f"direction: {direction!r} is not 'a->b' ({conn.pre}->{conn.post}), 'b->a' "
        f"({conn.post}->{conn.pre}) or 'both'"
    )


def fit_gap_junction(
    circuit: Circuit,
    junction: str,
    target_cc: float,
    direction: str = "a->b",
    bounds: tuple[float, float] | None = None,
    tol: float = 1e-4,
    amplitude: float = PROBE,
    dt: float = 0.025,
    method: str = "rk4",
    apply: bool = False,
    progress: Callable[[float], bool | None] | None = None,
) -> GapJunctionFit:
    """Find the conductance g (mS) of gap junction ``junction`` that gives coupling
    coefficient ``target_cc``.

    ``direction``: "a->b" (probe the junction's pre cell, measure its post cell),
    "b->a", or "both" (the mean of the two; they differ when the cells differ).
    Starts from the closed form g = CC·G/(1 − CC), with G the receiving cell's own
    slope conductance at rest with the junction removed (exact for passive cells),
    then refines by bracketed root finding until |CC − target| ≤ ``tol``.  A target
    outside what ``bounds`` (mS) can reach is an error naming the reachable range;
    the default bounds, 0 to min(100 G, 0.7 C/dt), reach CC ≈ 0.99 where the step dt
    allows it (a junction much stronger than C/dt makes explicit integration unstable).
    The circuit is unchanged unless ``apply`` is True.
    """
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a Circuit, got {type(circuit).__name__}")
    junctions = gap_junctions(circuit)
    if not isinstance(junction, str) or junction not in circuit.connections:
        raise ValueError(
            f"junction: no connection named {junction!r} "
            f"(gap junctions: {', '.join(junctions) or 'none'})"
        )
    if junction not in junctions:
        model = type(circuit.connections[junction].synapse).__name__
        raise ValueError(
            f"junction: {junction!r} is a {model}, not a gap junction; the coupling "
            f"coefficient is fitted on a gap junction (here: {', '.join(junctions) or 'none'})"
        )
    if isinstance(target_cc, bool) or not isinstance(target_cc, numbers.Real):
        raise TypeError(
            f"target_cc: expected a number strictly between 0 and 1, got "
            f"{type(target_cc).__name__} {target_cc!r}"
        )
    if not 0 < target_cc < 1:
        raise ValueError(f"target_cc: {target_cc!r} must lie strictly between 0 and 1")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol > 0:
        raise ValueError(f"tol: {tol!r} must be a number > 0")
    if bounds is not None and (
        isinstance(bounds, str)
        or not isinstance(bounds, Sequence | np.ndarray)
        or len(bounds) != 2
        or not all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in bounds)
    ):
        raise TypeError(f"bounds: expected (low, high) in mS, got {bounds!r}")
    direction = _direction(circuit, junction, direction)
    ev = _Evaluator(circuit, junction, dt, method, amplitude, progress)

    # the receiving cells' own slope conductance: probe each, junction at g = 0
    (dv_a, c_a), (dv_b, c_b) = _deflections(ev)
    g_recv = {"a->b": amplitude / dv_b, "b->a": amplitude / dv_a}
    stable = 0.7 * min(c_a, c_b) / dt  # mS: keeps dt·(G + 2g)/C inside RK4's stability range
    lo, hi = bounds if bounds is not None else (0.0, min(100.0 * max(g_recv.values()), stable))
    if not 0 <= lo < hi < math.inf:
        raise ValueError(f"bounds: ({lo}, {hi}) mS must satisfy 0 ≤ low < high")
    if direction == "both":
        # (g/(Gb + g) + g/(Ga + g))/2 = CC, solved for g in closed form
        ga, gb, c = g_recv["b->a"], g_recv["a->b"], target_cc
        qa, qb, qc = 1 - c, (1 - c) * (ga + gb) - (ga + gb) / 2, -c * ga * gb
        guess = (-qb + math.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
    else:
        guess = target_cc * g_recv[direction] / (1 - target_cc)
    guess = min(max(guess, lo), hi)

    def error(g: float) -> float:
        return ev.cc([g], direction)[0] - target_cc

    # the bounds and the guess in one batch: reachability first, then (for passive
    # cells) the guess is already the answer
    low_value, high_value, value = (cc - target_cc for cc in ev.cc([lo, hi, guess], direction))
    if low_value > 0 or high_value < 0:
        reach = (low_value + target_cc, high_value + target_cc)
        raise ValueError(
            f"target_cc {target_cc:g} is out of reach: g between {lo:g} and {hi:g} mS gives "
            f"CC from {reach[0]:.4g} to {reach[1]:.4g}; widen bounds or change the target"
        )
    g = guess
    if abs(value) > tol:
        # bracket around the guess (CC rises with g), then Brent's method
        left, right = (lo, g) if value > 0 else (g, hi)
        g = brentq(error, left, right, xtol=1e-15, rtol=1e-12, maxiter=60)
        value = error(g)
    if abs(value) > tol:
        raise ValueError(f"could not reach |CC − target| ≤ {tol:g} (best {value + target_cc:.6g})")
    cc_ab, cc_ba = ev.run([g, g], ["a->b", "b->a"])
    if apply:
        circuit.set(f"{junction}.g", g)
    if progress is not None:
        progress(1.0)
    return GapJunctionFit(g, cc_ab, cc_ba, target_cc, direction, ev.n_sims, ev.history)


def _deflections(ev: _Evaluator) -> tuple[tuple[float, float], tuple[float, float]]:
    """For each cell under its own probe, junction off: the steady voltage change (mV)
    and the capacitance (µF) from the initial slope, C = I/(dV/dt)."""
    results = simulate_batch(
        ev.protocol.circuit,
        {
            ev.path: [0.0, 0.0],
            f"{ev.protocol.probes[ev.a]}.amplitude": [ev.amplitude, 0.0],
            f"{ev.protocol.probes[ev.b]}.amplitude": [0.0, ev.amplitude],
        },
        ev.protocol.t_stop, ev.dt, ev.method, record="v", init="rest", workers=1,
    )  # fmt: skip
    ev.n_sims += 2
    p = ev.protocol
    out = []
    for result, cell in zip(results, (ev.a, ev.b), strict=True):
        t, v = result.t, result.v[cell]
        onset = int(np.searchsorted(t, p.baseline[1]))
        capacitance = ev.amplitude * ev.dt / (v[onset + 1] - v[onset])
        out.append((analysis.deflection(t, v, p.baseline, p.steady), capacitance))
    return out[0], out[1]
