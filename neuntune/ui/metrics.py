"""What the metrics panel shows, measured with :mod:`neuntune.analysis` and :mod:`neuntune.fit`.

Each function takes a ``Result`` and/or a ``Circuit`` and returns plain numbers or
small records, so the model and the view hold no physics:

- :func:`spike_counts` and :func:`synchrony` measure the live run;
- :func:`coupling_coefficients` runs the coupling protocol of
  :func:`neuntune.coupling_coefficient` (BMTool's) for every electrical connection,
  so the live CC, a fit's achieved CC and the command line agree;
- :func:`synapse_response` measures a response to a train of synaptic events (the
  PSP/PSC shape of the first, per-event amplitudes, PPR, induction and recovery);
  :func:`synapse_responses` applies it to every chemical connection of the live run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import analysis
from ..circuit import Circuit
from ..errors import SimulationError
from ..fit.protocols import PROBE, coupling_protocol, measure_coupling
from ..fit.synapse import EVENT_METRICS
from ..models.stimuli import VoltageClamp
from ..simulate import CancelledError, Result, simulate_batch

#: The coupling protocol's integration settings: those of nt.coupling_coefficient and
#: nt.fit_gap_junction, whatever method the live run uses (one compiled kernel).
CC_DT = 0.025
CC_METHOD = "rk4"


def _number(value: float) -> float | None:
    """``value`` as a float, or None where a metric is undefined (NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


def spike_counts(result: Result) -> dict[str, tuple[int, float]]:
    """Per cell: (number of spikes, mean rate in Hz over the run)."""
    window = (float(result.t[0]), float(result.t[-1]))
    return {
        cell: (len(times), analysis.firing_rate(times, window))
        for cell, times in result.spikes.items()
    }


def synchrony(result: Result) -> dict[tuple[str, str], tuple[float | None, float]]:
    """Per pair of cells with a voltage: (Pearson r of the voltages, mean |V1 − V2| in mV).

    r is None when a trace is constant (the correlation is undefined).
    """
    names = list(result.v)
    return {
        (a, b): (
            _number(analysis.pearson(result.v[a], result.v[b])),
            analysis.mean_abs_difference(result.v[a], result.v[b]),
        )
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    }


def electrical_connections(circuit: Circuit) -> list[str]:
    """Connections that also inject current into their pre cell (gap junctions)."""
    return [
        name
        for name, conn in circuit.connections.items()
        if "I_pre" in conn.synapse.resolved().equations.assignments
    ]


def chemical_connections(circuit: Circuit) -> list[str]:
    """Connections driven by presynaptic events (spike sources or threshold crossings)."""
    return [name for name, conn in circuit.connections.items() if conn.synapse.event_driven]


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


def coupling_cells(circuit: Circuit) -> tuple[list[str], set[tuple[str, str]]]:
    """The cells joined by electrical connections (in circuit order) and the joined pairs."""
    cells: list[str] = []
    pairs = set()
    for name in electrical_connections(circuit):
        conn = circuit.connections[name]
        cells += [c for c in (conn.pre, conn.post) if c not in cells]
        pairs.add((conn.pre, conn.post))
    return cells, pairs


def coupling_coefficients(
    circuit: Circuit, cancelled: Callable[[], bool] | None = None
) -> CouplingResult:
    """CC in both directions across every electrical connection.

    The protocol of :func:`neuntune.coupling_coefficient` (BMTool's): stimuli removed,
    cells at rest, a −1e-5 µA step into one cell, CC(s → t) = ΔV_t/ΔV_s as window
    means.  One probe per cell, all in one batched run (one member per probed cell).
    A cell that fires, or a run that fails, leaves its CC as None with a note.
    ``cancelled()`` is asked during the run; True stops it with
    :class:`~neuntune.CancelledError`.
    """
    out = CouplingResult()
    cells, pairs = coupling_cells(circuit)
    if not cells:
        return out
    protocol = coupling_protocol(circuit, *cells)
    # Member i probes cell i: the other probes are switched off by their amplitudes.
    values = {
        f"{protocol.probes[cell]}.amplitude": [PROBE if cell == source else 0.0 for source in cells]
        for cell in cells
    }
    targets = {
        source: [t for s, t in sorted(pairs) if s == source]
        + [s for s, t in sorted(pairs) if t == source]
        for source in cells
    }
    for source in cells:
        for target in targets[source]:
            out.cc[(source, target)] = None
    if cancelled is not None and cancelled():
        raise CancelledError("coupling protocol superseded")
    try:
        results = simulate_batch(
            protocol.circuit, values, protocol.t_stop, CC_DT, CC_METHOD,
            record="v", init="rest", workers=1,
            progress=None if cancelled is None else lambda _fraction: cancelled(),
        )  # fmt: skip
    except (SimulationError, ValueError) as exc:
        out.notes.append(f"CC: {exc}")
        return out
    for source, result in zip(cells, results, strict=True):
        for target in targets[source]:
            try:
                out.cc[(source, target)] = measure_coupling(result, protocol, source, target)
            except ValueError as exc:
                out.notes.append(f"CC from {source}: {exc}")
                break
    return out


@dataclass
class SynapseResponse:
    """A response to a train of synaptic events: what the metrics panel shows of it.

    ``kind`` is "PSC" (a clamp current, ``unit`` "uA", negative for EPSCs as NEURON's
    SEClamp reports it) or "PSP" (the post cell's voltage, "mV").  ``event`` holds the first
    event's shape (:func:`neuntune.analysis.event_metrics`: peak, latency, rise,
    decay τ, half-width, charge) and ``train`` the plasticity metrics of the
    per-event ``amplitudes`` (:func:`neuntune.analysis.train_metrics`); a value that
    is undefined (too few events, no response) is None, and ``note`` says why.
    """

    kind: str
    unit: str
    events: int
    event: dict[str, float | None] = field(default_factory=dict)
    amplitudes: list[float] = field(default_factory=list)
    train: dict[str, float | None] = field(default_factory=dict)
    note: str = ""


#: The train fields shown (TrainMetrics names, as fit_synapse uses them).
TRAIN_FIELDS = ("paired_pulse_ratio", "ppr", "induction", "recovery")


def synapse_response(
    t: np.ndarray, y: np.ndarray, events: np.ndarray, kind: str, unit: str
) -> SynapseResponse:
    """Metrics of trace ``y`` (mV or µA against ``t`` in ms) responding to events at
    ``events`` (ms, delivery times): the first event's shape and the train's plasticity.
    Events at or after the last sample are left out."""
    events = np.asarray(events, float)
    events = events[events < t[-1]]
    out = SynapseResponse(kind, unit, len(events))
    if len(events) == 0:
        out.note = "no synaptic event within the run"
        return out
    try:
        shape = analysis.event_metrics(t, y, events[0], stop=events[1] if len(events) > 1 else None)
        out.event = {key: _number(getattr(shape, name)) for key, name in EVENT_METRICS.items()}
        if len(events) > 1:
            amplitudes = analysis.train_amplitudes(t, y, events)
            out.amplitudes = [float(a) for a in amplitudes]
            train = analysis.train_metrics(amplitudes)
            out.train = {key: _number(getattr(train, key)) for key in TRAIN_FIELDS}
    except ValueError as exc:
        out.note = str(exc)
    return out


def clamp_on(circuit: Circuit, cell: str) -> str | None:
    """The name of a voltage clamp on ``cell``, if there is one."""
    for name, injection in circuit.stimuli.items():
        if injection.target == cell and isinstance(injection.stimulus, VoltageClamp):
            return name
    return None


def connection_response(circuit: Circuit, result: Result, name: str) -> SynapseResponse | None:
    """:func:`synapse_response` of chemical connection ``name`` in ``result``: the clamp
    current of its post cell if clamped, else its voltage; None without events."""
    times = result.events.get(name, {}).get("t")
    if times is None or len(times) == 0:
        return None
    post = circuit.connections[name].post
    clamp = clamp_on(circuit, post)
    if clamp is not None and clamp in result.current:
        return synapse_response(result.t, result.current[clamp], times, "PSC", "uA")
    if post in result.v:
        return synapse_response(result.t, result.v[post], times, "PSP", "mV")
    return None


def synapse_responses(circuit: Circuit, result: Result) -> dict[str, SynapseResponse]:
    """:func:`connection_response` of every chemical connection that delivered events."""
    out = {}
    for name in chemical_connections(circuit):
        response = connection_response(circuit, result, name)
        if response is not None:
            out[name] = response
    return out
