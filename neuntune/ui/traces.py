"""What the live plots show of a run: one :class:`TraceSpec` per plotted trace (derived
from the circuit's declarations), the browser-sized traces of a result, and the
full-resolution CSV behind *Download traces (CSV)*."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO

import numpy as np

from ..circuit import Circuit
from ..models.stimuli import VoltageClamp
from ..simulate import Result
from .decimate import minmax_decimate


@dataclass(frozen=True)
class TraceSpec:
    """A plotted trace: ``key`` in :attr:`TunerModel.traces`, plot ``group``
    ("v", "I" or "gate"), legend ``label``, ``unit`` and the cell it belongs to."""

    key: str
    group: str
    label: str
    unit: str
    cell: str = ""


def trace_specs(circuit: Circuit) -> list[TraceSpec]:
    """Every trace the plots show, derived from the circuit's declarations."""
    specs = []
    for cell, neuron in circuit.neurons.items():
        if neuron.resolved().voltage:
            specs.append(TraceSpec(f"v:{cell}", "v", cell, "mV", cell))
            specs.append(TraceSpec(f"spikes:{cell}", "v", cell, "ms", cell))
    for name, conn in circuit.connections.items():
        # One current per connection, into its post cell; a junction's current into the
        # pre cell (I_pre) is in the CSV, but every extra line costs each redraw.
        specs.append(TraceSpec(f"I:{name}", "I", f"{name} → {conn.post}", "µA"))
        for var, state in conn.synapse.resolved().states.items():
            # Dimensionless states (gates, fractions) share an axis; bookkeeping such as
            # the time of the last event (ms) would squash them: it is in the CSV.
            if state.unit in ("1", ""):
                specs.append(TraceSpec(f"state:{name}.{var}", "gate", f"{name}.{var}", ""))
    # A voltage clamp's current is what an experimenter records (other stimuli's
    # currents are their own settings, and in the CSV).
    for name, injection in circuit.stimuli.items():
        if isinstance(injection.stimulus, VoltageClamp):
            specs.append(TraceSpec(f"I:{name}", "I", f"{name} (clamp)", "µA", injection.target))
    return specs


def browser_traces(
    result: Result, specs: list[TraceSpec], points: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each spec's (x, y), min/max-decimated to about ``points`` samples, as float32
    (half the bytes over the websocket; far more precision than a pixel needs)."""
    t = result.t
    out = {}
    for spec in specs:
        kind, _, name = spec.key.partition(":")
        if kind == "spikes":
            times = result.spikes[name]
            x, y = times, np.interp(times, t, result.v[name])
        else:
            if kind == "v":
                trace = result.v[name]
            elif kind == "I":
                trace = result.current[name]
            else:
                element, _, var = name.rpartition(".")
                trace = result.state[element][var]
            x, y = minmax_decimate(t, trace, points)
        out[spec.key] = (x.astype(np.float32), y.astype(np.float32))
    return out


def traces_csv(result: Result) -> str:
    """``result`` at full resolution as CSV, units in the header (a population's
    recorded members one column each: ``wb[3].v``)."""
    columns, units = {}, {"t": "ms", **result.units}
    for name, trace in result.columns().items():
        if trace.ndim == 1:
            columns[name] = trace
            continue
        element, _, var = name.rpartition(".")
        for k, row in zip(result.members[element], trace, strict=True):
            columns[f"{element}[{k}].{var}"] = row
            units[f"{element}[{k}].{var}"] = units.get(name, "1")
    header = ",".join(
        f"{name} ({units[name]})" if units.get(name, "1") != "1" else name for name in columns
    )
    buffer = StringIO()
    np.savetxt(
        buffer,
        np.column_stack(list(columns.values())),
        delimiter=",",
        header=header,
        comments="",
        fmt="%.10g",
    )
    return buffer.getvalue()
