"""Pairwise coupling coefficients of a gap-junction connection between populations:
the coupling protocol (:mod:`.coupling`) applied to a sample of its members, all in
one batch."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import analysis
from ..circuit import Circuit
from ..simulate import CancelledError
from .coupling import check_junction, check_quiet, coupling_protocol, run_probes
from .defaults import DT, DURATION, METHOD, PROBE, SETTLE, WINDOW

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
    settle: float = SETTLE,
    duration: float = DURATION,
    dt: float = DT,
    method: str = METHOD,
    workers: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
) -> PairwiseCoupling:
    """CC(i → j) = ΔV_j/ΔV_i (dimensionless) for the pairs gap-junction ``connection``
    made, in both directions: the coupling protocol of
    :func:`~neuntune.coupling_coefficient` (BMTool's) applied to each injected member
    in turn.

    Every stimulus is removed, the circuit starts at rest (found once), a step of
    ``amplitude`` µA (hyperpolarising by default) goes into one member from
    ``settle`` ms for ``duration`` ms, and each Δ is the mean over the last fifth of
    the step minus the mean over the last fifth of the settling period (the window
    rule of :mod:`neuntune.protocols.coupling`).  All injected members run side by
    side in ONE batch (:func:`~neuntune.protocols.coupling.run_probes`, one batch
    member per injected cell, on ``workers`` threads); every member coupled to
    the injected one by ``connection`` is read from the same run.  Voltages are
    kept every few steps (at least 100 samples per window; the window means are
    time averages of the piecewise-linear trace, so they agree with the
    full-resolution means of :func:`~neuntune.coupling_coefficient` once the
    response has settled, to rounding).

    When more than ``max_sources`` members take part (None: no limit), a sample of
    ``max_sources`` of them, drawn with ``numpy.random.default_rng(seed)``, is
    injected: each injected member gives the CC towards all its partners, so the
    distribution comes from a subset of sources (see :attr:`PairwiseCoupling.injected`).
    For 100 Wang–Buzsáki cells coupled all to all, 16 sources give 16·99 values in
    one 1 s run of 16 batch members.

    A member that fires during the protocol makes the CC meaningless: as for
    :func:`~neuntune.coupling_coefficient`, that is a ValueError naming it (use a
    smaller probe, or cells that rest below threshold).  ``progress(fraction)`` is called
    during the run; returning True cancels it (:class:`~neuntune.CancelledError`).
    """
    check_junction(circuit, connection, "connection", "measured across")
    check_max_sources(max_sources)
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
    if progress is not None and progress(0.0):
        raise CancelledError("pairwise coupling cancelled")
    steps_per_window = WINDOW * min(settle, duration) / dt
    every = max(1, int(steps_per_window // WINDOW_SAMPLES))
    report = None
    if progress is not None:

        def report(fraction: float) -> bool | None:
            return progress(0.05 + 0.95 * fraction)

    # Rest is the same for every run (the probes are off while it is found): found
    # once, every batch member starts there.
    results = run_probes(
        protocol, sources, dt=dt, method=method, record=[f"{p}.v" for p in populations],
        record_every=every, shared_rest=True, workers=workers, progress=report,
    )  # fmt: skip
    # ΔV of every member in every run, by (population, member)
    deflections: dict[tuple[str, int], dict[tuple[str, int], float]] = {}
    for source, result in zip(sources, results, strict=True):
        check_quiet(result, protocol, source)
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
    g = member_values(circuit, connection, "g", circuit.size(connection))[keep]
    leak_pre = leak_conductance(circuit, pre)[i]
    leak_post = leak_conductance(circuit, post)[j]
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


def check_max_sources(max_sources: object) -> None:
    """``max_sources`` must be a whole number ≥ 1 or None."""
    if max_sources is not None and (
        isinstance(max_sources, bool)
        or not isinstance(max_sources, numbers.Integral)
        or max_sources < 1
    ):
        raise ValueError(f"max_sources: {max_sources!r} must be a whole number ≥ 1 or None")


def member_values(circuit: Circuit, element: str, param: str, n: int) -> np.ndarray:
    """``param`` of every member of ``element`` (NaN where it has none)."""
    if param not in circuit.element(element).parameter_table():
        return np.full(n, math.nan)
    return circuit.member_array(element, param)


def leak_conductance(circuit: Circuit, cell: str) -> np.ndarray:
    """Leak conductance gl·area (mS) of every member of ``cell`` (NaN without them)."""
    n = circuit.size(cell)
    return member_values(circuit, cell, "gl", n) * member_values(circuit, cell, "area", n)
