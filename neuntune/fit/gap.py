"""Gap-junction tuning: fitting a junction's conductance g to a target coupling
coefficient, measured by the coupling protocol (:mod:`neuntune.protocols.coupling`;
between populations, :func:`neuntune.pairwise_coupling`)."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import analysis
from ..circuit import Circuit
from ..protocols.coupling import (
    check_junction,
    coupling_coefficient,
    coupling_protocol,
    gap_junctions,
    measure_coupling,
    run_probes,
)
from ..protocols.defaults import DT, METHOD, PROBE
from ..protocols.pairwise import (
    MAX_SOURCES,
    PairwiseCoupling,
    check_max_sources,
    leak_conductance,
    member_values,
    pairwise_coupling,
)
from ..protocols.spectrum import CouplingSpectrum, coupling_spectrum
from ..simulate import CancelledError

# The protocols' names imported from here by older code and the dashboard.
__all__ = [
    "FIT_SOURCES",
    "MAX_SOURCES",
    "CouplingSpectrum",
    "GapJunctionFit",
    "PairwiseCoupling",
    "coupling_coefficient",
    "coupling_spectrum",
    "fit_gap_junction",
    "gap_junctions",
    "pairwise_coupling",
]

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
        self.dt, self.method, self.progress = dt, method, progress
        self.n_sims = 0
        self.history: list[tuple[float, float]] = []

    def run(self, gs: Sequence[float], directions: Sequence[str]) -> list[float]:
        """CC for each (g, direction) pair."""
        cells = {"a->b": (self.a, self.b), "b->a": (self.b, self.a)}
        sources = [cells[d][0] for d in directions]
        results = run_probes(self.protocol, sources, {self.path: list(gs)}, self.dt,
                             self.method)  # fmt: skip
        self.n_sims += len(gs)
        out = [
            measure_coupling(r, self.protocol, *cells[d])
            for d, r in zip(directions, results, strict=True)
        ]
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
    dt: float = DT,
    method: str = METHOD,
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
    coefficients, measured by :func:`~neuntune.pairwise_coupling` (``max_sources`` members
    injected, drawn with ``seed``): "a->b" is the mean CC(pre[i] → post[j]) over the
    pairs, "b->a" the reverse, "both" every measured direction.  Every junction of
    the connection gets the one fitted g (per-junction values are replaced);
    ``GapJunctionFit.pairwise`` holds the distribution at the fitted g.  The guess
    g/(G + g) = CC is exact for passive cells coupled all to all; the default upper
    bound keeps dt·(G + 2·d·g)/C stable for the most-connected member (d junctions).
    """
    check_junction(circuit, junction, "junction", "fitted on")
    check_max_sources(max_sources)
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
        from scipy.optimize import brentq  # on use: serve's first page needs no scipy

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
    results = run_probes(ev.protocol, [ev.a, ev.b], {ev.path: [0.0, 0.0]}, ev.dt, ev.method)
    ev.n_sims += 2
    p = ev.protocol
    out = []
    for result, cell in zip(results, (ev.a, ev.b), strict=True):
        t, v = result.t, result.v[cell]
        onset = int(np.searchsorted(t, p.baseline[1]))
        capacitance = p.amplitude * ev.dt / (v[onset + 1] - v[onset])
        out.append((analysis.deflection(t, v, p.baseline, p.steady), capacitance))
    return out[0], out[1]


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
        leak = np.concatenate([leak_conductance(self.trial, p) for p in receiving])
        i, j = self.trial.pairs(self.junction)
        capacitance = np.concatenate([
            member_values(self.trial, p, "cm", self.trial.size(p))[k]
            * member_values(self.trial, p, "area", self.trial.size(p))[k]
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

        from scipy.optimize import brentq  # on use: serve's first page needs no scipy

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
