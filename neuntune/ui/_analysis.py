"""Metrics for the tuner's metrics panel.

TEMPORARY — swap for ``neuntune.analysis`` once it has landed (it is being written
in parallel).  Each helper takes a ``Result`` or a ``Circuit`` and returns plain
numbers, so swapping a body does not touch the model or the view:

- ``spike_counts``       -> ``analysis.firing_rate`` on ``result.spikes``
- ``synchrony``          -> ``analysis.pearson`` and ``analysis.mean_abs_difference``
- ``coupling_coefficients`` keeps its protocol runs (stimuli removed, probe step,
  control run) and takes each CC from ``analysis.coupling_coefficient``
- ``passive_cc``         -> the closed form g/(g_L + g), wherever analysis puts it

Nothing but :mod:`neuntune.ui.model` imports this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..circuit import Circuit
from ..errors import SimulationError
from ..models.stimuli import Step
from ..simulate import CancelledError, Result, simulate

#: BMTool's GapJunctionTuner probe: −0.01 nA, i.e. −1e-5 µA, small enough to stay passive.
CC_PROBE_UA = -1e-5
#: Protocol timing (ms): stimuli removed, the cells settle, then the probe step runs to the
#: end; CC is read over the step's last window.  150 ms of step is ≥ 10 membrane time
#: constants for the bundled cells.
CC_SETTLE_MS = 100.0
CC_STEP_MS = 150.0
CC_WINDOW_MS = 50.0
#: The protocol's own integration settings: CC is a steady-state quantity, so a coarse
#: step is exact enough, and a fixed method means one compiled kernel whatever the user picks.
CC_DT = 0.025
CC_METHOD = "rk4"


def spike_counts(result: Result) -> dict[str, tuple[int, float]]:
    """Per cell: (number of spikes, mean rate in Hz over the run)."""
    duration = float(result.t[-1] - result.t[0])
    out = {}
    for cell, times in result.spikes.items():
        rate = 1000.0 * len(times) / duration if duration > 0 else 0.0
        out[cell] = (len(times), rate)
    return out


def synchrony(result: Result) -> dict[tuple[str, str], tuple[float | None, float]]:
    """Per pair of cells with a voltage: (Pearson r of the voltages, mean |V1 − V2| in mV).

    r is None when a trace is constant (the correlation is undefined).
    """
    names = list(result.v)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            va, vb = result.v[a], result.v[b]
            if np.std(va) == 0 or np.std(vb) == 0:
                r = None
            else:
                r = float(np.corrcoef(va, vb)[0, 1])
            out[(a, b)] = (r, float(np.mean(np.abs(va - vb))))
    return out


def electrical_connections(circuit: Circuit) -> list[str]:
    """Connections that also inject current into their pre cell (gap junctions)."""
    return [
        name
        for name, conn in circuit.connections.items()
        if "I_pre" in conn.synapse.resolved().equations.assignments
    ]


def passive_cc(circuit: Circuit, connection: str) -> tuple[float | None, float | None]:
    """Closed-form passive CC g/(g_L + g) for (pre → post, post → pre).

    g_L = gl·area of the receiving cell.  Only defined for a junction with a single
    conductance ``g`` between cells declaring ``gl`` and ``area``; else None.
    """
    conn = circuit.connections[connection]
    params = conn.synapse.parameter_table()
    if "g" not in params or params["g"].unit != "mS":
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


@dataclass
class CouplingResult:
    """Coupling coefficients CC(source → target) and why any is missing."""

    cc: dict[tuple[str, str], float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def probe_circuit(circuit: Circuit, cells: list[str]) -> tuple[Circuit, dict[str, str]]:
    """A copy of ``circuit`` with its stimuli removed and a probe step into each of ``cells``.

    Returns the copy and each cell's probe name.  Every probe starts at amplitude 0,
    so the control run and every source cell share one compiled structure.
    """
    probe = circuit.copy()
    for name in list(probe.stimuli):
        probe.remove(name)
    names = {}
    for cell in cells:
        name = f"cc_probe_{cell}"
        while name in probe:
            name += "_"
        names[cell] = probe.stimulate(
            cell, Step(amplitude=0.0, start=CC_SETTLE_MS, stop=1e12), name=name
        )
    return probe, names


def coupling_coefficients(
    circuit: Circuit, cancelled: Callable[[], bool] | None = None
) -> CouplingResult:
    """CC in both directions across every electrical connection (BMTool's protocol).

    Other stimuli are removed, the cells settle for ``CC_SETTLE_MS``, then a
    −1e-5 µA step goes into one cell; CC(s → t) = ΔV_t/ΔV_s at steady state.  Each
    ΔV is measured against a control run without the step (the mean of
    v_probe − v_control over the step's last ``CC_WINDOW_MS``): the two runs are
    identical until the step, so whatever the cells still do after settling cancels
    and only the probe's ~1e-3 mV response remains.  A cell that spikes, or a response
    still drifting at the end, leaves that CC as None with a note.  ``cancelled()``
    is asked between runs; True stops with :class:`~neuntune.CancelledError`.
    """
    out = CouplingResult()
    junctions = electrical_connections(circuit)
    if not junctions:
        return out
    cells: list[str] = []
    for name in junctions:
        conn = circuit.connections[name]
        cells += [c for c in (conn.pre, conn.post) if c not in cells]
    probe, probes = probe_circuit(circuit, cells)
    pairs = {(circuit.connections[n].pre, circuit.connections[n].post) for n in junctions}
    t_stop = CC_SETTLE_MS + CC_STEP_MS

    def run() -> Result | None:
        if cancelled is not None and cancelled():
            raise CancelledError("coupling protocol superseded")
        try:
            return simulate(probe, t_stop, CC_DT, CC_METHOD, record="v")
        except SimulationError as exc:
            out.notes.append(f"CC: {exc}")
            return None

    control = run()
    for source in cells:
        targets = [t for s, t in pairs if s == source] + [s for s, t in pairs if t == source]
        for target in targets:
            out.cc[(source, target)] = None
        if control is None:
            continue
        probe.set(f"{probes[source]}.amplitude", CC_PROBE_UA)
        try:
            res = run()
        finally:
            probe.set(f"{probes[source]}.amplitude", 0.0)
        if res is None:
            continue
        # Spikes while settling (e.g. rebound from v0) are harmless; during the step not.
        spiking = sorted(
            {c for r in (control, res) for c, s in r.spikes.items() if np.any(s >= CC_SETTLE_MS)}
        )
        if spiking:
            out.notes.append(f"CC: {', '.join(spiking)} fired with the stimuli removed")
            continue
        window = res.t >= t_stop - CC_WINDOW_MS
        late = res.t >= t_stop - CC_WINDOW_MS / 5
        response = {c: res.v[c] - control.v[c] for c in [source, *targets]}
        dv_source = response[source][window].mean()
        drift = response[source][late].mean() - dv_source
        if dv_source == 0 or abs(drift) > 1e-3 * abs(dv_source):
            out.notes.append(f"CC from {source}: no steady state within {CC_STEP_MS:g} ms")
            continue
        for target in targets:
            out.cc[(source, target)] = float(response[target][window].mean() / dv_source)
    return out
