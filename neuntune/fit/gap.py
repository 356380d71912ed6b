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
from ..result import Result, Spikes
from ..simulate import CancelledError, simulate, simulate_batch
from .protocols import PROBE, Protocol, coupling_protocol, measure_coupling, quiet_copy


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


#: Members a fit between populations injects by default (each try is one batch of them).
FIT_SOURCES = 8


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
    #: for a junction between populations: every pair's CC at the fitted g
    pairwise: PairwiseCoupling | None = None

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


def _check_junction(circuit: Circuit, name: object, argument: str, verb: str) -> None:
    """``name`` must be a gap junction of ``circuit``; the errors name ``argument``."""
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit: expected a Circuit, got {type(circuit).__name__}")
    junctions = ", ".join(gap_junctions(circuit)) or "none"
    if not isinstance(name, str) or name not in circuit.connections:
        raise ValueError(f"{argument}: no connection named {name!r} (gap junctions: {junctions})")
    if name not in gap_junctions(circuit):
        model = type(circuit.connections[name].synapse).__name__
        raise ValueError(
            f"{argument}: {name!r} is a {model}, not a gap junction; the coupling "
            f"coefficient is {verb} a gap junction (here: {junctions})"
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
    max_sources: int | None = FIT_SOURCES,
    seed: int = 0,
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

    A junction between populations is fitted on the mean of its pairs' coupling
    coefficients, measured by :func:`pairwise_coupling` (``max_sources`` members
    injected, drawn with ``seed``): "a->b" is the mean CC(pre[i] → post[j]) over the
    pairs, "b->a" the reverse, "both" every measured direction.  Every junction of
    the connection gets the one fitted g (per-junction values are replaced);
    ``GapJunctionFit.pairwise`` holds the distribution at the fitted g.  The guess
    g/(G + g) = CC is exact for passive cells coupled all to all; the default upper
    bound keeps dt·(G + 2·d·g)/C stable for the most-connected member (d junctions).
    """
    _check_junction(circuit, junction, "junction", "fitted on")
    if max_sources is not None and (
        isinstance(max_sources, bool)
        or not isinstance(max_sources, numbers.Integral)
        or max_sources < 1
    ):
        raise ValueError(f"max_sources: {max_sources!r} must be a whole number ≥ 1 or None")
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
    conn = circuit.connections[junction]
    if circuit.size(conn.pre) > 1 or circuit.size(conn.post) > 1:
        fit = _NetworkFit(circuit, junction, target_cc, direction, tol, amplitude, dt, method,
                          max_sources, seed, progress).solve(bounds)  # fmt: skip
        if apply:
            circuit.set(f"{junction}.g", fit.g)
        return fit
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


#: Most cells :func:`pairwise_coupling` injects by default (a seeded sample beyond it).
MAX_SOURCES = 16
#: Voltage samples kept per measurement window at least (the rest are thinned out).
WINDOW_SAMPLES = 100


@dataclass
class PairwiseCoupling:
    """Coupling coefficients of the pairs a gap-junction connection made.

    ``i`` and ``j`` are the member indices (of ``pre`` and ``post``) of every pair
    measured in at least one direction, as :meth:`Circuit.pairs` lists them.
    ``forward[k]`` is CC(pre[i] → post[j]) = ΔV_post[j]/ΔV_pre[i] under a probe into
    pre[i], ``backward[k]`` is CC(post[j] → pre[i]); both dimensionless, NaN where
    that direction's source was not injected.  ``passive_forward``/``passive_backward``
    are each pair's passive-pair estimate g/(g_L + g) with g that junction's
    conductance (mS) and g_L = gl·area (mS) of the receiving member (NaN where a
    cell declares no ``gl``/``area``): exact for two passive cells (and for a uniform
    all-to-all passive network), while an active cell at rest has its own slope
    conductance, above or below its leak, and the rest of a network can shunt a pair.
    ``injected`` lists, per population, the
    members that were probed; ``members`` how many take part in the connection.
    ``amplitude`` (µA), ``settle``, ``duration`` and ``dt`` (ms) and ``method``
    are the protocol's settings.
    """

    connection: str
    pre: str
    post: str
    i: np.ndarray
    j: np.ndarray
    forward: np.ndarray
    backward: np.ndarray
    passive_forward: np.ndarray
    passive_backward: np.ndarray
    injected: dict[str, np.ndarray]
    members: dict[str, int]
    amplitude: float
    settle: float
    duration: float
    dt: float
    method: str

    def _directed(self) -> tuple[np.ndarray, np.ndarray]:
        """(CC, passive estimate) of every measured direction, each direction once
        (a pair listed twice by the rule, or as (i, j) and (j, i), counts once)."""
        seen: dict[tuple[str, int, str, int], tuple[float, float]] = {}
        for k in range(len(self.i)):
            a, b = (self.pre, int(self.i[k])), (self.post, int(self.j[k]))
            if np.isfinite(self.forward[k]):
                seen.setdefault((*a, *b), (self.forward[k], self.passive_forward[k]))
            if np.isfinite(self.backward[k]):
                seen.setdefault((*b, *a), (self.backward[k], self.passive_backward[k]))
        pairs = np.array(list(seen.values()), float).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    @property
    def values(self) -> np.ndarray:
        """Every measured CC(source → target) (dimensionless), one per direction."""
        return self._directed()[0]

    @property
    def passive(self) -> np.ndarray:
        """The passive-pair estimate g/(g_L + g) of each of :attr:`values`
        (dimensionless; NaN where the cells declare no leak)."""
        return self._directed()[1]

    @property
    def mean(self) -> float:
        """Mean of :attr:`values` (dimensionless; NaN if nothing was measured)."""
        values = self.values
        return float(np.mean(values)) if len(values) else math.nan

    @property
    def sampled(self) -> bool:
        """Whether only some of the members taking part were injected."""
        return sum(len(v) for v in self.injected.values()) < sum(self.members.values())


def pairwise_coupling(
    circuit: Circuit,
    connection: str,
    max_sources: int | None = MAX_SOURCES,
    seed: int = 0,
    amplitude: float = PROBE,
    settle: float = 500.0,
    duration: float = 500.0,
    dt: float = 0.025,
    method: str = "rk4",
    workers: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
) -> PairwiseCoupling:
    """CC(i → j) = ΔV_j/ΔV_i (dimensionless) for the pairs gap-junction ``connection``
    made, in both directions: the protocol of :func:`coupling_coefficient` (BMTool's)
    applied to each injected member in turn.

    Every stimulus is removed, the circuit starts at rest (found once), a step of
    ``amplitude`` µA (hyperpolarising by default) goes into one member from
    ``settle`` ms for ``duration`` ms, and each Δ is the mean over the last fifth of
    the step minus the mean over the last fifth of the settling period
    (:func:`~neuntune.fit.protocols.coupling_protocol`'s windows).  All injected
    members run side by side in ONE batch (:func:`~neuntune.simulate_batch`, one
    batch member per injected cell, on ``workers`` threads); every member coupled to
    the injected one by ``connection`` is read from the same run.  Voltages are
    kept every few steps (at least 100 samples per window; the window means are
    time averages of the piecewise-linear trace, so they agree with the
    full-resolution means of :func:`coupling_coefficient` once the response has
    settled, to rounding).

    When more than ``max_sources`` members take part (None: no limit), a sample of
    ``max_sources`` of them, drawn with ``numpy.random.default_rng(seed)``, is
    injected: each injected member gives the CC towards all its partners, so the
    distribution comes from a subset of sources (see :attr:`PairwiseCoupling.injected`).
    For 100 Wang–Buzsáki cells coupled all to all, 16 sources give 16·99 values in
    one 1 s run of 16 batch members.

    A member that fires during the protocol makes the CC meaningless: as for
    :func:`coupling_coefficient`, that is a ValueError naming it (use a smaller
    probe, or cells that rest below threshold).  ``progress(fraction)`` is called
    during the run; returning True cancels it (:class:`~neuntune.CancelledError`).
    """
    _check_junction(circuit, connection, "connection", "measured across")
    if max_sources is not None and (
        isinstance(max_sources, bool)
        or not isinstance(max_sources, numbers.Integral)
        or max_sources < 1
    ):
        raise ValueError(f"max_sources: {max_sources!r} must be a whole number ≥ 1 or None")
    conn = circuit.connections[connection]
    pre, post = conn.pre, conn.post
    i, j = (np.asarray(x, np.int64) for x in circuit.pairs(connection))
    populations = [pre] if pre == post else [pre, post]
    # every member taking part, as (population, member)
    taking_part: dict[str, set[int]] = {p: set() for p in populations}
    taking_part[pre] |= set(i.tolist())
    taking_part[post] |= set(j.tolist())
    candidates = [(p, k) for p in populations for k in sorted(taking_part[p])]
    if not candidates:
        raise ValueError(f"connection: {connection!r} made no pairs; nothing to measure")
    if max_sources is not None and len(candidates) > max_sources:
        chosen = np.sort(np.random.default_rng(seed).choice(len(candidates), max_sources, False))
        sources = [candidates[c] for c in chosen]
    else:
        sources = candidates
    protocol = coupling_protocol(
        circuit, *populations, amplitude=amplitude, settle=settle, duration=duration
    )
    probed = protocol.circuit
    # every probe off by default; the batch switches one member's on per run
    values: dict[str, list[float]] = {}
    for population in populations:
        probed.set(f"{protocol.probes[population]}.amplitude", 0.0)
    for source in sources:
        path = f"{protocol.probes[source[0]]}[{source[1]}].amplitude"
        values[path] = [amplitude if other == source else 0.0 for other in sources]
    if progress is not None and progress(0.0):
        raise CancelledError("pairwise coupling cancelled")
    # Rest is the same for every run (the probes are off while it is found): find it
    # once, then start every batch member there.
    rest = _rest_state(probed, dt, method)
    steps_per_window = 0.2 * min(settle, duration) / dt
    every = max(1, int(steps_per_window // WINDOW_SAMPLES))
    report = None
    if progress is not None:

        def report(fraction: float) -> bool | None:
            return progress(0.05 + 0.95 * fraction)

    results = simulate_batch(
        probed, values, protocol.t_stop, dt, method, record=[f"{p}.v" for p in populations],
        record_every=every, init=rest, workers=workers, progress=report,
    )  # fmt: skip
    # ΔV of every member in every run, by (population, member)
    deflections: dict[tuple[str, int], dict[tuple[str, int], float]] = {}
    for source, result in zip(sources, results, strict=True):
        _check_quiet(result, protocol, source)
        changes: dict[tuple[str, int], float] = {}
        for population in populations:
            v = result.v[population]
            rows = v[None, :] if v.ndim == 1 else v
            for k, row in enumerate(rows):
                changes[(population, k)] = analysis.deflection(
                    result.t, row, protocol.baseline, protocol.steady
                )
        if changes[source] == 0:
            raise ValueError(
                f"{source[0]}[{source[1]}]: its voltage did not change under the probe, so the "
                "coupling coefficient is undefined"
            )
        deflections[source] = changes

    def cc(a: tuple[str, int], b: tuple[str, int]) -> float:
        changes = deflections.get(a)
        return math.nan if changes is None else changes[b] / changes[a]

    injected_pre = {k for p, k in sources if p == pre}
    injected_post = {k for p, k in sources if p == post}
    keep = np.isin(i, list(injected_pre)) | np.isin(j, list(injected_post))
    i, j = i[keep], j[keep]
    forward = np.array([cc((pre, a), (post, b)) for a, b in zip(i, j, strict=True)])
    backward = np.array([cc((post, b), (pre, a)) for a, b in zip(i, j, strict=True)])
    g = _member_values(circuit, connection, "g", circuit.size(connection))[keep]
    leak_pre = _leak(circuit, pre)[i]
    leak_post = _leak(circuit, post)[j]
    if progress is not None:
        progress(1.0)
    return PairwiseCoupling(
        connection=connection,
        pre=pre,
        post=post,
        i=i,
        j=j,
        forward=forward,
        backward=backward,
        passive_forward=g / (leak_post + g),
        passive_backward=g / (leak_pre + g),
        injected={p: np.array([k for q, k in sources if q == p], np.int64) for p in populations},
        members={p: len(taking_part[p]) for p in populations},
        amplitude=float(amplitude),
        settle=float(settle),
        duration=float(duration),
        dt=float(dt),
        method=method,
    )


class _Reached(Exception):
    """Ends the root search at the first g within tolerance (each try is a batch of runs)."""

    def __init__(self, g: float) -> None:
        self.g = g


class _NetworkFit:
    """:func:`fit_gap_junction` on a junction between populations: the mean pairwise
    CC (:func:`pairwise_coupling`) as a function of the junctions' one g (mS)."""

    def __init__(self, circuit: Circuit, junction: str, target: float, direction: str,
                 tol: float, amplitude: float, dt: float, method: str,
                 max_sources: int | None, seed: int,
                 progress: Callable[[float], bool | None] | None) -> None:  # fmt: skip
        self.trial = circuit.copy()
        self.junction, self.target, self.direction, self.tol = junction, target, direction, tol
        self.dt = dt
        self.settings = {"max_sources": max_sources, "seed": seed, "amplitude": amplitude,
                         "dt": dt, "method": method}  # fmt: skip
        self.progress = progress
        self.n_sims = 0
        self.history: list[tuple[float, float]] = []
        self.measured: dict[float, tuple[float, PairwiseCoupling]] = {}

    def cc(self, g: float) -> float:
        """The fitted mean CC at ``g`` (each g is measured once)."""
        if g in self.measured:
            return self.measured[g][0]
        self.trial.set(f"{self.junction}.g", g)
        done, report = len(self.measured), None
        if self.progress is not None:
            progress = self.progress

            def report(fraction: float) -> bool | None:
                return progress(min(0.95, (done + fraction) / 8))

        pairs = pairwise_coupling(self.trial, self.junction, progress=report, **self.settings)
        self.n_sims += sum(len(k) for k in pairs.injected.values())
        if self.direction == "both":
            value = pairs.mean
        else:
            values = pairs.forward if self.direction == "a->b" else pairs.backward
            values = values[np.isfinite(values)]
            if not len(values):
                raise ValueError(
                    f"direction {self.direction!r}: none of the injected members is on that "
                    "side of the junction; raise max_sources or fit 'both'"
                )
            value = float(np.mean(values))
        self.measured[g] = (value, pairs)
        self.history.append((g, value))
        return value

    def _scales(self) -> tuple[float, float, int]:
        """The receiving members' mean leak G (mS), the smallest capacitance cm·area
        (µF) of a member taking part, and the most junctions on one member."""
        conn = self.trial.connections[self.junction]
        receiving = {"a->b": [conn.post], "b->a": [conn.pre]}.get(
            self.direction, [conn.pre, conn.post]
        )
        leak = np.concatenate([_leak(self.trial, p) for p in receiving])
        i, j = self.trial.pairs(self.junction)
        capacitance = np.concatenate([
            _member_values(self.trial, p, "cm", self.trial.size(p))[k]
            * _member_values(self.trial, p, "area", self.trial.size(p))[k]
            for p, k in ((conn.pre, i), (conn.post, j))
        ])  # fmt: skip
        if conn.pre == conn.post:
            degree = int(np.bincount(np.concatenate([i, j])).max())
        else:
            degree = int(max(np.bincount(i).max(), np.bincount(j).max()))
        return float(np.mean(leak)), float(np.min(capacitance)), degree

    def solve(self, bounds: tuple[float, float] | None) -> GapJunctionFit:
        leak, capacitance, degree = self._scales()
        if bounds is None:
            if not math.isfinite(leak):
                raise ValueError(
                    f"bounds: the cells of {self.junction!r} declare no leak (gl, area), so "
                    "there are no default bounds; give bounds=(low, high) in mS"
                )
            high = 100.0 * leak
            if math.isfinite(capacitance):  # RK4's stability range, as for a pair
                high = min(high, 0.7 * capacitance / (self.dt * degree))
            bounds = (0.0, high)
        lo, hi = (float(b) for b in bounds)
        if not 0 <= lo < hi < math.inf:
            raise ValueError(f"bounds: ({lo}, {hi}) mS must satisfy 0 ≤ low < high")
        target = self.target
        guess = target * leak / (1 - target) if math.isfinite(leak) else (lo + hi) / 2
        guess = min(max(guess, lo), hi)
        reach = (self.cc(lo), self.cc(hi))
        if reach[0] > target or reach[1] < target:
            raise ValueError(
                f"target_cc {target:g} is out of reach: g between {lo:g} and {hi:g} mS gives "
                f"a mean CC from {reach[0]:.4g} to {reach[1]:.4g}; widen bounds or change the "
                "target"
            )

        def error(g: float) -> float:
            value = self.cc(g) - target
            if abs(value) <= self.tol:
                raise _Reached(g)
            return value

        try:
            for end in (lo, hi):
                error(end)
            value = error(guess)
            left, right = (lo, guess) if value > 0 else (guess, hi)
            g = brentq(error, left, right, xtol=1e-15, rtol=1e-12, maxiter=60)
        except _Reached as reached:
            g = reached.g
        value, pairs = self.measured[g]
        if abs(value - target) > self.tol:
            raise ValueError(f"could not reach |CC − target| ≤ {self.tol:g} (best {value:.6g})")
        forward, backward = (x[np.isfinite(x)] for x in (pairs.forward, pairs.backward))
        if self.progress is not None:
            self.progress(1.0)
        return GapJunctionFit(
            g,
            float(np.mean(forward)) if len(forward) else math.nan,
            float(np.mean(backward)) if len(backward) else math.nan,
            target,
            self.direction,
            self.n_sims,
            self.history,
            pairs,
        )


def _rest_state(circuit: Circuit, dt: float, method: str) -> dict[str, float]:
    """The state ``circuit`` rests in with its stimuli off (``init="rest"``), as
    initial values by path ("wb[3].v"), from one short run."""
    result = simulate(circuit, dt, dt, method, record=None, init="rest")
    init: dict[str, float] = {}
    for element, variables in result.state.items():
        declared = circuit.element(element).resolved().states
        for variable, trace in variables.items():
            if variable not in declared:
                continue
            if trace.ndim == 1:
                init[f"{element}.{variable}"] = float(trace[0])
                continue
            for row, k in enumerate(result.members[element]):
                init[f"{element}[{int(k)}].{variable}"] = float(trace[row, 0])
    return init


def _check_quiet(result: Result, protocol: Protocol, source: tuple[str, int]) -> None:
    """The rule of :func:`measure_coupling`: a cell that fires during the protocol
    (from the start of the baseline window) is an error."""
    for cell, spikes in result.spikes.items():
        if isinstance(spikes, Spikes):
            members, times = np.asarray(spikes.i), np.asarray(spikes.t)
        else:
            times = np.asarray(spikes, float)
            members = np.zeros(len(times), np.int64)
        late = times >= protocol.baseline[0]
        if late.any():
            k = int(np.argmax(late))
            name = f"{cell}[{members[k]}]" if isinstance(spikes, Spikes) else cell
            raise ValueError(
                f"{name} fired during the coupling protocol (at t = {times[k]:.2f} ms, probe "
                f"into {source[0]}[{source[1]}]): the coupling coefficient is defined for "
                "passive responses; use a smaller probe amplitude or cells that rest below "
                "threshold"
            )


def _member_values(circuit: Circuit, element: str, param: str, n: int) -> np.ndarray:
    """``param`` of every member of ``element`` (NaN where it has none)."""
    if param not in circuit.element(element).parameter_table():
        return np.full(n, math.nan)
    return circuit.member_array(element, param)


def _leak(circuit: Circuit, cell: str) -> np.ndarray:
    """Leak conductance gl·area (mS) of every member of ``cell`` (NaN without them)."""
    n = circuit.size(cell)
    return _member_values(circuit, cell, "gl", n) * _member_values(circuit, cell, "area", n)
