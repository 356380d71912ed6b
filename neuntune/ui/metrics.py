"""What the metrics panel shows, measured with :mod:`neuntune.analysis` and
:mod:`neuntune.protocols`.

Each function takes a ``Result`` and/or a ``Circuit`` and returns typed records, so
the model and the view hold no physics:

- :func:`live_metrics` assembles what the panel under the live plots shows
  (:class:`LiveMetrics`): :func:`spike_counts` and :func:`synchrony` of the live run,
  the coupling of each junction and the response of each chemical connection;
- :func:`live_coupling` runs the coupling protocol
  (:mod:`neuntune.protocols.coupling`, BMTool's) for every electrical connection,
  so the live CC, a fit's achieved CC and the command line agree;
  :class:`CouplingCache` keeps its results by the values they were measured at;
- the passive CC estimate and the synapse responses (PSP/PSC shape, per-event
  amplitudes, PPR, induction and recovery) are :mod:`neuntune.analysis`'s
  (:func:`~neuntune.analysis.passive_cc`, :mod:`neuntune.analysis.synapse`), imported
  here under the names the tabs use.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import analysis
from ..analysis.coupling import passive_cc
from ..analysis.synapse import (
    SynapseResponse,
    chemical_connections,
    clamp_on,
    connection_response,
    defined,
    synapse_response,
    synapse_responses,
)
from ..circuit import Circuit
from ..errors import SimulationError
from ..protocols.coupling import coupling_protocol, measure_coupling, run_probes
from ..protocols.defaults import DT, METHOD
from ..simulate import CancelledError, Result

# chemical_connections, clamp_on, connection_response, passive_cc and the synapse
# responses are neuntune.analysis's, imported by the tabs from here.
__all__ = [
    "CellMetrics",
    "CouplingCache",
    "CouplingResult",
    "JunctionMetrics",
    "LiveMetrics",
    "PairMetrics",
    "SynapseResponse",
    "chemical_connections",
    "clamp_on",
    "connection_response",
    "coupling_cells",
    "electrical_connections",
    "live_coupling",
    "live_metrics",
    "passive_cc",
    "spike_counts",
    "synapse_response",
    "synapse_responses",
    "synchrony",
]

log = logging.getLogger(__name__)

#: Coupling-protocol results kept per tuner (by the values they were measured at).
MEASURED = 64


@dataclass(frozen=True)
class CellMetrics:
    """One cell's spikes in the run and its mean rate over the run (Hz)."""

    spikes: int
    rate: float


@dataclass(frozen=True)
class PairMetrics:
    """Two cells' voltages compared: Pearson r (None when a trace is constant: the
    correlation is undefined) and the mean |V₁ − V₂| (mV)."""

    r: float | None
    mean_abs_dv: float


@dataclass(frozen=True)
class JunctionMetrics:
    """A gap junction's coupling coefficients (dimensionless) pre → post (forward) and
    post → pre (backward): measured by the coupling protocol (None: not measured,
    see the notes) and the passive estimate g/(g_L + g) (None: not defined).
    ``cc_measured`` is False while the CC shown is the previous values' and a new
    measurement is under way."""

    pre: str
    post: str
    cc_forward: float | None
    cc_backward: float | None
    passive_forward: float | None
    passive_backward: float | None
    cc_measured: bool


@dataclass(frozen=True)
class LiveMetrics:
    """What the panel under the live plots shows, by cell, pair of cells, junction and
    chemical connection, with notes on what is missing and why."""

    cells: dict[str, CellMetrics]
    pairs: dict[tuple[str, str], PairMetrics]
    junctions: dict[str, JunctionMetrics]
    synapses: dict[str, SynapseResponse]
    notes: list[str]


def spike_counts(result: Result) -> dict[str, CellMetrics]:
    """Per cell: its number of spikes and mean rate (Hz) over the run."""
    window = (float(result.t[0]), float(result.t[-1]))
    return {
        cell: CellMetrics(len(times), analysis.firing_rate(times, window))
        for cell, times in result.spikes.items()
    }


def synchrony(result: Result) -> dict[tuple[str, str], PairMetrics]:
    """Per pair of cells with a voltage: Pearson r of the voltages and mean |V1 − V2| (mV)."""
    names = list(result.v)
    return {
        (a, b): PairMetrics(
            defined(analysis.pearson(result.v[a], result.v[b])),
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


def live_coupling(circuit: Circuit, cancelled: Callable[[], bool] | None = None) -> CouplingResult:
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
        # member i probes cell i (one batch), with the protocol's own dt and method
        # (whatever method the live run uses: one compiled kernel)
        results = run_probes(
            protocol, cells, dt=DT, method=METHOD,
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


def coupling_key(circuit: Circuit) -> tuple:
    """What the coupling protocol's result depends on: the structure and every value
    of the cells and connections (stimuli are removed by the protocol)."""
    values = []
    for name in (*circuit.neurons, *circuit.connections):
        for param_name in circuit.element(name).parameter_table():
            value = circuit.get(f"{name}.{param_name}")
            values.append(value.tobytes() if isinstance(value, np.ndarray) else value)
    return (circuit.structure(), tuple(values))


class CouplingCache:
    """One tuner's live CC: results of the coupling protocol by the values they were
    measured at (at most :data:`MEASURED`, newest last: tuning goes back and forth over
    the same values), and the result shown with the metrics (``shown``)."""

    def __init__(self) -> None:
        self._measured: OrderedDict[tuple, CouplingResult] = OrderedDict()
        #: CC from the newest protocol whose metrics were shown.
        self.shown = CouplingResult()

    def measure(
        self, circuit: Circuit, cancelled: Callable[[], bool]
    ) -> tuple[CouplingResult, bool]:
        """CC of ``circuit`` (worker thread) and whether it was measured on these
        values: a protocol that ``cancelled()`` stops leaves the shown CC, marked as
        not measured."""
        key = coupling_key(circuit)
        if key in self._measured:
            self._measured.move_to_end(key)
            return self._measured[key], True
        if not electrical_connections(circuit):
            return self.shown, True
        try:
            coupling = live_coupling(circuit, cancelled=cancelled)
        except CancelledError:
            return self.shown, False
        except Exception:  # a bug must not kill the session's worker silently
            log.exception("tuner coupling protocol failed")
            return CouplingResult(notes=["CC: internal error (see server log)"]), True
        self._measured[key] = coupling
        if len(self._measured) > MEASURED:
            self._measured.popitem(last=False)
        return coupling, True


def live_metrics(
    circuit: Circuit, result: Result, coupling: CouplingResult, measured: bool
) -> LiveMetrics:
    """Metrics of ``result``; CC comes from ``coupling``, which was ``measured`` on
    this run's values or is the previous measurement while a new one is under way.
    Chemical connections get their response's PSP/PSC shape and train metrics."""
    junctions = {}
    for name in electrical_connections(circuit):
        conn = circuit.connections[name]
        passive = passive_cc(circuit, name)
        junctions[name] = JunctionMetrics(
            conn.pre,
            conn.post,
            cc_forward=coupling.cc.get((conn.pre, conn.post)),
            cc_backward=coupling.cc.get((conn.post, conn.pre)),
            passive_forward=passive[0],
            passive_backward=passive[1],
            cc_measured=measured,
        )
    synapses = synapse_responses(circuit, result)
    notes = coupling.notes + [f"{name}: {s.note}" for name, s in synapses.items() if s.note]
    return LiveMetrics(
        cells=spike_counts(result),
        pairs=synchrony(result),
        junctions=junctions,
        synapses=synapses,
        notes=sorted(set(notes)),
    )
