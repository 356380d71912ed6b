"""What the metrics panel shows, measured with :mod:`neuntune.analysis` and
:mod:`neuntune.protocols`.

Each function takes a ``Result`` and/or a ``Circuit`` and returns plain numbers or
small records, so the model and the view hold no physics:

- :func:`spike_counts` and :func:`synchrony` measure the live run;
- :func:`live_coupling` runs the coupling protocol
  (:mod:`neuntune.protocols.coupling`, BMTool's) for every electrical connection,
  so the live CC, a fit's achieved CC and the command line agree;
- the passive CC estimate and the synapse responses (PSP/PSC shape, per-event
  amplitudes, PPR, induction and recovery) are :mod:`neuntune.analysis`'s
  (:func:`~neuntune.analysis.passive_cc`, :mod:`neuntune.analysis.synapse`), imported
  here under the names the tabs use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    "CouplingResult",
    "SynapseResponse",
    "chemical_connections",
    "clamp_on",
    "connection_response",
    "coupling_cells",
    "electrical_connections",
    "live_coupling",
    "passive_cc",
    "spike_counts",
    "synapse_response",
    "synapse_responses",
    "synchrony",
]


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
