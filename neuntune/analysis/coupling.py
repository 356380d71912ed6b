"""Coupling coefficient of two cells from current-injection protocol runs.

CC = ΔV_target/ΔV_source, each Δ the mean over a steady-state window minus the mean
over a baseline window (not two single samples, which pick up noise and any
residual drift).  For two passive cells with leak g_L (of the target) and a gap
junction g_c, CC = g_c/(g_L + g_c): :func:`passive_cc` gives that estimate for a
junction of a circuit.

This is the one computation of a CC from traces; the protocol that produces the
traces (stimuli removed, probe, windows, both directions) is
:mod:`neuntune.protocols.coupling`, and :func:`first_spike` is the one test of
"a cell fired during the protocol" they all apply.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..circuit import Circuit
from ..result import Spikes
from ..simulate import Result
from .traces import Window, deflection


def first_spike(
    spikes: Mapping[str, Any],
    start: float,
    stop: float = math.inf,
    cells: Iterable[str] | None = None,
) -> tuple[str, float] | None:
    """The earliest spike from ``start`` to ``stop`` ms (both included) among ``cells``
    (default: every cell of ``spikes``, a :attr:`Result.spikes`), as ``(cell, t)`` with
    ``cell`` "wb[3]" for a member of a population; None if none fires then."""
    found: tuple[str, float] | None = None
    for cell in spikes if cells is None else cells:
        train = spikes.get(cell, ())
        if isinstance(train, Spikes):
            members, times = np.asarray(train.i), np.asarray(train.t, float)
        else:
            times = np.asarray(train, float)
            members = None
        inside = np.flatnonzero((times >= start) & (times <= stop))
        if not len(inside):
            continue
        k = inside[np.argmin(times[inside])]
        if found is None or times[k] < found[1]:
            found = (cell if members is None else f"{cell}[{members[k]}]", float(times[k]))
    return found


def cc_from_traces(
    t: ArrayLike, v_source: ArrayLike, v_target: ArrayLike, baseline: Window, steady: Window
) -> float:
    """ΔV_target/ΔV_source (dimensionless) for current injected into the source cell.

    ``t`` in ms, voltages in mV, ``baseline`` and ``steady`` windows ``(start, stop)``
    in ms: the baseline before the injection starts, the steady window late in it.
    """
    dv_source = deflection(t, v_source, baseline, steady)
    if dv_source == 0:
        raise ValueError(
            "v_source: does not change between the baseline and steady windows, so the "
            "coupling coefficient is undefined; check that current was injected into it"
        )
    return deflection(t, v_target, baseline, steady) / dv_source


def cc_from_runs(
    run_a: Result, run_b: Result, a: str, b: str, baseline: Window, steady: Window
) -> tuple[float, float]:
    """``(cc_ab, cc_ba)`` from two protocol runs: ``run_a`` injects into cell ``a``
    (giving CC a→b = ΔV_b/ΔV_a), ``run_b`` into cell ``b`` (CC b→a = ΔV_a/ΔV_b).

    Windows ``(start, stop)`` in ms, shared by both runs.  A cell that spikes between
    the start of the baseline and the end of the steady window makes the CC
    meaningless and raises ValueError.
    """
    return (
        _from_run(run_a, "run_a", a, b, baseline, steady),
        _from_run(run_b, "run_b", b, a, baseline, steady),
    )


def _from_run(
    run: Result, name: str, source: str, target: str, baseline: Window, steady: Window
) -> float:
    for cell in (source, target):
        if cell not in run.v:
            raise ValueError(
                f"{name}: no voltage recorded for cell {cell!r} (recorded: {', '.join(run.v)})"
            )
    spike = first_spike(run.spikes, baseline[0], steady[1], (source, target))
    if spike is not None:
        raise ValueError(
            f"{name}: cell {spike[0]!r} spikes at {spike[1]:g} ms during the coupling protocol; "
            "use a smaller injected current (the coupling coefficient assumes no spikes)"
        )
    return cc_from_traces(run.t, run.v[source], run.v[target], baseline, steady)


def passive_cc(circuit: Circuit, connection: str) -> tuple[float | None, float | None]:
    """Closed-form passive CC g/(g_L + g) for (pre → post, post → pre), dimensionless.

    g_L = gl·area of the receiving cell (mS/cm² × cm² = mS, like the junction's g).
    Only defined for a junction (a connection that also injects current into its pre
    cell) with a single conductance ``g`` (mS) between cells declaring ``gl`` and
    ``area``; else None.
    """
    conn = circuit.connections[connection]
    params = conn.synapse.parameter_table()
    electrical = "I_pre" in conn.synapse.resolved().equations.assignments
    if not electrical or "g" not in params or params["g"].unit != "mS":
        return None, None
    g = conn.synapse.get("g")

    def estimate(receiver: str) -> float | None:
        cell = circuit.neurons[receiver]
        table = cell.parameter_table()
        if "gl" not in table or "area" not in table:
            return None
        g_leak = cell.get("gl") * cell.get("area")
        return g / (g_leak + g) if g_leak + g > 0 else None

    return estimate(conn.post), estimate(conn.pre)
