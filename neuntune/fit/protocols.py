"""Measurement protocols built from a user's circuit (which is never changed).

The coupling protocol follows BMTool's GapJunctionTuner: every stimulus removed,
the cells settle, then a small hyperpolarising step is injected into the source
cell.  The coupling coefficient is ΔV_target/ΔV_source, each Δ being the mean over
the last fifth of the step minus the mean over the last fifth of the settling
period (window means, not two samples).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import analysis
from ..circuit import Circuit
from ..models.stimuli import Step
from ..simulate import Result

#: BMTool's probe: −0.01 nA = −1e-5 µA.
PROBE = -1e-5


@dataclass
class Protocol:
    """A protocol circuit, how long to run it, and its measurement windows (ms)."""

    circuit: Circuit
    t_stop: float
    baseline: tuple[float, float]
    steady: tuple[float, float]
    probes: dict[str, str]  # cell -> name of its probe stimulus


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
    settle: float = 500.0,
    duration: float = 500.0,
) -> Protocol:
    """A copy of ``circuit`` without its stimuli and with a step probe of
    ``amplitude`` µA (from ``settle`` for ``duration`` ms) into each source cell.

    Giving several sources builds one circuit for both directions: set the unused
    probes' amplitudes to 0 per run, so both directions share one compiled kernel.
    """
    if amplitude == 0:
        raise ValueError("amplitude: a zero probe measures nothing; BMTool uses -1e-5 µA")
    if settle <= 0 or duration <= 0:
        raise ValueError(f"settle and duration must be > 0 ms, got {settle}, {duration}")
    for cell in sources:
        circuit.check_cell(cell, "source")
    protocol = quiet_copy(circuit)
    probes = {}
    for cell in sources:
        step = Step(amplitude=amplitude, start=settle, stop=settle + duration)
        probes[cell] = protocol.stimulate(cell, step, name=f"probe_{cell}")
    return Protocol(
        protocol,
        settle + duration,
        (0.8 * settle, settle),
        (settle + 0.8 * duration, settle + duration),
        probes,
    )


def measure_coupling(result: Result, protocol: Protocol, source: str, target: str) -> float:
    """CC = ΔV_target/ΔV_source of a protocol run; a cell that fires is an error."""
    for cell, spikes in result.spikes.items():
        late = spikes[spikes >= protocol.baseline[0]]
        if len(late):
            raise ValueError(
                f"cell {cell!r} fired during the coupling protocol (at t = {late[0]:.2f} ms): "
                "the coupling coefficient is defined for passive responses; use a smaller "
                "probe amplitude or a cell that rests below threshold"
            )
    return analysis.coupling_coefficient(
        result.t, result.v[source], result.v[target], protocol.baseline, protocol.steady
    )
