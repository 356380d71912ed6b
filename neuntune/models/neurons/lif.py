"""Leaky integrate-and-fire neuron with an exact reset and refractory period (BrainPy's LIF)."""

from collections.abc import Mapping

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register


@register
class LIF(Neuron):
    """Leaky integrate-and-fire neuron, as BrainPy's ``LIF`` (``brainpy.dyn.LifRef``)::

        tau·dv/dt = −(v − V_rest) + R·I_in
        when v reaches V_th:  v ← V_reset, then v is held there for tau_ref

    v (BrainPy's V) in mV and t in ms; the input ``I_in`` (stimuli and synaptic
    currents) is in µA as everywhere in neuntune, and R is in kΩ so that R·I_in is
    in mV (kΩ·µA = mV).  With the default R = 1 kΩ BrainPy's numbers carry over
    unchanged: its input of 21 is ``Constant(amplitude=21.0)`` µA.  tau = R·C, so
    C = tau/R is in µF.

    The reset is applied exactly at the interpolated crossing of V_th (BrainPy
    resets at the end of the step in which V ≥ V_th).  The engine then holds v at
    V_reset (dv/dt = 0) and keeps the cell from firing until exactly tau_ref
    later, splitting the step there (BrainPy compares t − t_last_spike with
    tau_ref once per step).  A constant input I above the rheobase
    (V_th − V_rest)/R fires with the period
    tau_ref + tau·ln((R·I − (V_reset − V_rest))/(R·I − (V_th − V_rest))).

    Defaults are BrainPy's (``brainpy.dyn.LifRef``; ``brainpy.neurons.LIF``): V_rest
    0, V_reset −5, V_th 20 mV, R 1 kΩ, tau 10 ms, and tau_ref 0 ms (no refractory
    period unless asked for; BrainPy 2.0's ``LIF`` used 1 ms).  v starts at V_rest,
    as BrainPy's ``ZeroInit`` does.
    """

    parameters = {
        "V_rest": Parameter(0.0, "mV", "resting potential", ui_range=(-80.0, 20.0)),
        "V_reset": Parameter(-5.0, "mV", "reset potential after a spike", ui_range=(-80.0, 20.0)),
        "V_th": Parameter(20.0, "mV", "threshold, where the reset happens", ui_range=(-70.0, 40.0)),
        "R": Parameter(
            1.0, "kOhm", "membrane resistance (R·I_in in mV)", minimum=0, exclusive_minimum=True,
            scale="log", ui_range=(0.01, 100.0),
        ),
        "tau": Parameter(
            10.0, "ms", "membrane time constant R·C", minimum=0, exclusive_minimum=True,
            scale="log", ui_range=(1.0, 100.0),
        ),
        "tau_ref": Parameter(
            0.0, "ms", "refractory period (V held at V_reset)", minimum=0, ui_range=(0.0, 10.0)
        ),
    }  # fmt: skip
    states = {"v": State(0.0, "mV", "membrane potential")}
    equations = "dv/dt = (-(v - V_rest) + R*I_in)/tau"
    reset = "V_th"
    refractory = "tau_ref"
    on_spike = "v = V_reset"

    @classmethod
    def relation_problem(cls, values: Mapping[str, float | None]) -> str | None:
        reset, threshold = values["V_reset"], values["V_th"]
        if reset is not None and threshold is not None and reset >= threshold:
            return (
                f"the reset potential V_reset = {reset:g} mV must lie below the threshold "
                f"V_th = {threshold:g} mV (a reset at or above it cannot end a spike)"
            )
        return None
