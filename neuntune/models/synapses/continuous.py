"""Continuously gated chemical synapse (Brian2's continuous_interaction example)."""

from ..declarations import Parameter, State
from ..kinds import Synapse
from ..registry import register


@register
class ContinuousSynapse(Synapse):
    """Synaptic gate driven continuously by the presynaptic voltage (Börgers ch. 20):

    ds/dt = 0.5(1 + tanh(v_pre/10))(1 − s)/tau_r − s/tau_d,
    I_post = g·weight·s(E − v_post)  (µA with g in mS, v in mV).
    """

    parameters = {
        "g": Parameter(
            1.0, "mS", "maximal synaptic conductance", minimum=0, scale="log", ui_range=(1e-4, 10.0)
        ),
        "weight": Parameter(0.25, "1", "synaptic weight", minimum=0, ui_range=(0.0, 1.0)),
        "tau_r": Parameter(
            0.2, "ms", "rise time constant", minimum=0, exclusive_minimum=True, ui_range=(0.05, 5.0)
        ),
        "tau_d": Parameter(
            2.0,
            "ms",
            "decay time constant",
            minimum=0,
            exclusive_minimum=True,
            ui_range=(0.5, 50.0),
        ),
        "E": Parameter(0.0, "mV", "reversal potential", ui_range=(-100.0, 50.0)),
    }
    states = {"s": State(0.0, "1", "synaptic gate")}
    equations = """
        ds/dt = 0.5*(1 + tanh(v_pre/10))*(1 - s)/tau_r - s/tau_d
        I_post = g*weight*s*(E - v_post)
    """
