"""Responses of chemical synapses in a run: the first event's PSP/PSC shape and the
train's plasticity, per connection.

:func:`synapse_response` measures a trace against the times its events were
delivered; :func:`connection_response` picks the trace of a connection in a
:class:`~neuntune.Result` (the clamp current of its post cell if a voltage clamp
holds it, else the post cell's voltage) and :func:`synapse_responses` does so for
every chemical connection.  The metric names (:data:`EVENT_METRICS`,
:data:`TRAIN_FIELDS`) are those of :func:`neuntune.fit.synapse.fit_synapse`'s
targets and :func:`neuntune.scan`'s synapse metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..models.stimuli import VoltageClamp
from .psp import event_metrics
from .train import train_amplitudes, train_metrics

if TYPE_CHECKING:
    from ..circuit import Circuit
    from ..result import Result

#: Single-event metrics by name, as fields of :class:`~neuntune.analysis.EventMetrics`:
#: peak (mV or µA, signed), latency, rise (10–90 %), decay (τ), half_width (ms),
#: charge (mV·ms or µA·ms = nC, signed).
EVENT_METRICS = {
    "peak": "peak",
    "latency": "latency",
    "rise": "rise_time",
    "decay": "decay_tau",
    "half_width": "half_width",
    "charge": "charge",
}
#: Train metrics measured, fields of :class:`~neuntune.analysis.TrainMetrics` (all
#: dimensionless): paired_pulse_ratio A2/A1, BMTool's ppr, induction and recovery.
TRAIN_FIELDS = ("paired_pulse_ratio", "ppr", "induction", "recovery")


def defined(value: float | None) -> float | None:
    """``value`` as a float, or None where a metric is undefined (None or NaN)."""
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass
class SynapseResponse:
    """A response to a train of synaptic events.

    ``kind`` is "PSC" (a clamp current, ``unit`` "uA", negative for EPSCs as NEURON's
    SEClamp reports it) or "PSP" (the post cell's voltage, "mV").  ``event`` holds the first
    event's shape (:data:`EVENT_METRICS`, from :func:`~neuntune.analysis.event_metrics`)
    and ``train`` the plasticity metrics (:data:`TRAIN_FIELDS`) of the per-event
    ``amplitudes`` (:func:`~neuntune.analysis.train_metrics`); a value that is
    undefined (too few events, no response) is None, and ``note`` says why.
    """

    kind: str
    unit: str
    events: int
    event: dict[str, float | None] = field(default_factory=dict)
    amplitudes: list[float] = field(default_factory=list)
    train: dict[str, float | None] = field(default_factory=dict)
    note: str = ""

    def metric(self, name: str) -> float:
        """One metric by name (a key of ``event`` or ``train``); NaN where undefined."""
        value = {**self.event, **self.train}.get(name)
        return math.nan if value is None else value


def synapse_response(
    t: np.ndarray, y: np.ndarray, events: np.ndarray, kind: str, unit: str
) -> SynapseResponse:
    """Metrics of trace ``y`` (mV or µA against ``t`` in ms) responding to events at
    ``events`` (ms, delivery times): the first event's shape, measured up to the second
    event, and the train's plasticity.  Events at or after the last sample are left out."""
    events = np.asarray(events, float)
    events = events[events < t[-1]]
    out = SynapseResponse(kind, unit, len(events))
    if len(events) == 0:
        out.note = "no synaptic event within the run"
        return out
    try:
        shape = event_metrics(t, y, events[0], stop=events[1] if len(events) > 1 else None)
        out.event = {key: defined(getattr(shape, name)) for key, name in EVENT_METRICS.items()}
        if len(events) > 1:
            amplitudes = train_amplitudes(t, y, events)
            out.amplitudes = [float(a) for a in amplitudes]
            train = train_metrics(amplitudes)
            out.train = {key: defined(getattr(train, key)) for key in TRAIN_FIELDS}
    except ValueError as exc:
        out.note = str(exc)
    return out


def chemical_connections(circuit: Circuit) -> list[str]:
    """Connections driven by presynaptic events (spike sources or threshold crossings)."""
    return [name for name, conn in circuit.connections.items() if conn.synapse.event_driven]


def clamp_on(circuit: Circuit, cell: str) -> str | None:
    """The name of a voltage clamp on ``cell``, if there is one."""
    for name, injection in circuit.stimuli.items():
        if injection.target == cell and isinstance(injection.stimulus, VoltageClamp):
            return name
    return None


def response_record(circuit: Circuit, name: str) -> str:
    """What to record for :func:`connection_response` of connection ``name``: its post
    cell's clamp current ("clamp.I") if a voltage clamp holds that cell, else its
    voltage ("post.v")."""
    post = circuit.connections[name].post
    clamp = clamp_on(circuit, post)
    return f"{post}.v" if clamp is None else f"{clamp}.I"


def delivery_times(
    circuit: Circuit, result: Result, name: str, delay: float | None = None
) -> np.ndarray | None:
    """When connection ``name``'s events reached its post cell (ms): the times the run
    logged (synapses with short-term plasticity log each event), else its pre cell's
    spikes plus its ``delay`` (ms; default the circuit's value: give the run's own
    when it differs, as a scan's members do), the time the engine delivers them at.
    None when neither is known (a connection of populations that logs nothing)."""
    logged = result.events.get(name, {}).get("t")
    if logged is not None:
        return np.asarray(logged, float)
    conn = circuit.connections[name]
    spikes = result.spikes.get(conn.pre)
    if circuit.size(name) != 1 or circuit.size(conn.pre) != 1 or spikes is None:
        return None
    if delay is None:
        delay = conn.synapse.get("delay") if "delay" in conn.synapse.parameter_table() else 0.0
    return np.asarray(spikes, float) + delay


def connection_response(
    circuit: Circuit, result: Result, name: str, delay: float | None = None
) -> SynapseResponse | None:
    """:func:`synapse_response` of chemical connection ``name`` in ``result`` (events at
    :func:`delivery_times`, ``delay`` as there): the clamp current of its post cell if
    clamped, else its voltage; None without events (or without that trace recorded)."""
    times = delivery_times(circuit, result, name, delay)
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
