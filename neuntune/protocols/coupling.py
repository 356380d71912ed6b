"""The coupling protocol: how neuntune measures a coupling coefficient (one home).

BMTool's GapJunctionTuner protocol, on a copy of the user's circuit (which is
never changed): every stimulus removed, the cells start at rest and settle for
``settle`` ms, then a small step probe of ``amplitude`` µA (hyperpolarising by
default, :data:`~.defaults.PROBE`) goes into the source cell for ``duration`` ms.
CC(source → target) = ΔV_target/ΔV_source (dimensionless), each Δ the mean over the
steady window minus the mean over the baseline window
(:func:`neuntune.analysis.cc_from_traces`: window means, not two samples).

The window rule (:func:`windows`, the only one): the baseline window is the last
fifth (:data:`~.defaults.WINDOW`) of the time before the step starts, the steady
window the last fifth of the step; for BMTool's 500 ms + 500 ms, 400–500 ms and
900–1000 ms.  A measurement that names a width (a preset's ``"window"``) uses it
for both windows instead: the ``width`` ms before the step and its last ``width`` ms.

The quiet rule (:func:`check_quiet`): a cell that fires from the start of the
baseline window to the end of the protocol makes the CC meaningless and is an error
naming the cell (a member "wb[3]" of a population) and the time.

Both directions, and a batch of trials, share one protocol circuit holding a probe
per source cell: :func:`run_probes` switches one probe on per batch member, so the
live CC, the gap-junction fits, the pairwise CC of a network and the scans' ``cc``
metric all run one compiled kernel the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..analysis import cc_from_traces
from ..analysis.coupling import first_spike
from ..circuit import Circuit
from ..models.stimuli import Step
from ..result import Result
from ..simulate import simulate, simulate_batch
from .defaults import DT, DURATION, METHOD, PROBE, SETTLE, WINDOW

Window = tuple[float, float]
#: A probed cell: a cell's name, or (population, member index).
Source = str | tuple[str, int]


def windows(onset: float, stop: float, width: float | None = None) -> tuple[Window, Window]:
    """(baseline, steady) windows in ms for a step from ``onset`` to ``stop`` ms in a
    run that starts at 0 ms: the last fifth of the time before the step and the last
    fifth of the step, or, given ``width`` (ms), the ``width`` ms before the step and
    the step's last ``width`` ms.  The module docstring states the rule."""
    if width is None:
        keep = 1.0 - WINDOW
        return (keep * onset, onset), (onset + keep * (stop - onset), stop)
    return (onset - width, onset), (stop - width, stop)


@dataclass
class CouplingProtocol:
    """A protocol circuit, how long to run it, its measurement windows (ms), its
    probes (cell → name of its probe stimulus) and their amplitude (µA)."""

    circuit: Circuit
    t_stop: float
    baseline: Window
    steady: Window
    probes: dict[str, str]
    amplitude: float = PROBE


#: The name fits and older code use.
Protocol = CouplingProtocol


def quiet_copy(circuit: Circuit) -> Circuit:
    """A copy of ``circuit`` with every stimulus removed."""
    quiet = circuit.copy()
    for name in list(quiet.stimuli):
        quiet.remove(name)
    return quiet


def coupling_protocol(
    circuit: Circuit,
    *sources: str,
    amplitude: float = PROBE,
    settle: float = SETTLE,
    duration: float = DURATION,
) -> CouplingProtocol:
    """A copy of ``circuit`` without its stimuli and with a step probe of
    ``amplitude`` µA (from ``settle`` for ``duration`` ms) into each source cell (a
    population's probe goes into each member).

    Giving several sources builds one circuit for every direction: :func:`run_probes`
    switches one probe on per run, so all directions share one compiled kernel.
    """
    if amplitude == 0:
        raise ValueError(f"amplitude: a zero probe measures nothing; BMTool uses {PROBE:g} µA")
    if settle <= 0 or duration <= 0:
        raise ValueError(f"settle and duration must be > 0 ms, got {settle}, {duration}")
    for cell in sources:
        circuit.check_cell(cell, "source")
    protocol = quiet_copy(circuit)
    probes = {}
    for cell in sources:
        step = Step(amplitude=amplitude, start=settle, stop=settle + duration)
        probes[cell] = protocol.stimulate(cell, step, name=f"probe_{cell}")
    baseline, steady = windows(settle, settle + duration)
    return CouplingProtocol(protocol, settle + duration, baseline, steady, probes, amplitude)


def check_quiet(result: Result, protocol: CouplingProtocol, probe: Source | None = None) -> None:
    """The quiet rule: a cell (or member) that fires from the start of the baseline
    window on is an error naming it, the time and, given ``probe``, the probed cell."""
    spike = first_spike(result.spikes, protocol.baseline[0])
    if spike is None:
        return
    cell, t = spike
    name = cell if "[" in cell else f"cell {cell!r}"
    into = "" if probe is None else f", probe into {_label(probe)}"
    raise ValueError(
        f"{name} fired during the coupling protocol (at t = {t:.2f} ms{into}): the coupling "
        "coefficient is defined for passive responses; use a smaller probe amplitude or "
        "cells that rest below threshold"
    )


def measure_coupling(result: Result, protocol: CouplingProtocol, source: str, target: str) -> float:
    """CC = ΔV_target/ΔV_source of a protocol run (the quiet rule applies)."""
    check_quiet(result, protocol)
    return cc_from_traces(result.t, result.v[source], result.v[target], protocol.baseline,
                    protocol.steady)  # fmt: skip


def coupling_coefficient(
    circuit: Circuit,
    source: str,
    target: str,
    amplitude: float = PROBE,
    duration: float = DURATION,
    settle: float = SETTLE,
    dt: float = DT,
    method: str = METHOD,
) -> float:
    """CC = ΔV_target/ΔV_source (dimensionless) for a step of ``amplitude`` µA into
    ``source``: the coupling protocol (module docstring) in one run of ``circuit``'s
    copy, from rest, settling ``settle`` ms, the step lasting ``duration`` ms.
    """
    circuit.check_cell(target, "target")
    protocol = coupling_protocol(circuit, source, amplitude=amplitude, settle=settle,
                                 duration=duration)  # fmt: skip
    result = simulate(protocol.circuit, protocol.t_stop, dt, method, record="v", init="rest")
    return measure_coupling(result, protocol, source, target)


def run_probes(
    protocol: CouplingProtocol,
    sources: Sequence[Source],
    values: Mapping[str, Sequence[float]] | None = None,
    dt: float = DT,
    method: str = METHOD,
    precision: str = "float64",
    record: str | list[str] = "v",
    record_every: int = 1,
    shared_rest: bool = False,
    workers: int | None = 1,
    progress: Callable[[float], bool | None] | None = None,
) -> list[Result]:
    """The batched probe: one batch member per entry of ``sources`` (a cell, or a
    (population, member) pair), that probe on at the protocol's amplitude and every
    other probe off; ``values`` ({path: one value per member}) varies anything else,
    e.g. a junction's g.  Each member starts at rest (``init="rest"``), or, with
    ``shared_rest``, from the one rest of the protocol circuit found once (right when
    the members differ only in which probe is on).  ``progress`` and ``workers`` as
    for :func:`neuntune.simulate_batch`.
    """
    circuit = protocol.circuit
    for probe in protocol.probes.values():
        circuit.set(f"{probe}.amplitude", 0.0)
    batch = {path: list(column) for path, column in (values or {}).items()}
    for source in dict.fromkeys(sources):
        batch[_amplitude_path(protocol, source)] = [
            protocol.amplitude if other == source else 0.0 for other in sources
        ]
    init = rest_state(circuit, dt, method) if shared_rest else "rest"
    return simulate_batch(
        circuit, batch, protocol.t_stop, dt, method, precision, record=record,
        record_every=record_every, init=init, workers=workers, progress=progress,
    )  # fmt: skip


def rest_state(circuit: Circuit, dt: float, method: str) -> dict[str, float]:
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


def _amplitude_path(protocol: CouplingProtocol, source: Source) -> str:
    if isinstance(source, str):
        return f"{protocol.probes[source]}.amplitude"
    cell, member = source
    return f"{protocol.probes[cell]}[{member}].amplitude"


def _label(source: Source) -> str:
    return source if isinstance(source, str) else f"{source[0]}[{source[1]}]"


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


def check_junction(circuit: Circuit, name: object, argument: str, verb: str) -> None:
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
