"""Event-driven NMDA receptor synapse with a voltage-dependent Mg²⁺ block."""

from ..declarations import Parameter, State
from ..registry import register
from .event import MG_BLOCK, EventSynapse, event_parameters, time_constant


@register
class NMDA(EventSynapse):
    """NMDA receptor (BrainPy's ``NMDA``: Wang 2002's saturating kinetics)::

        dx/dt = −x/tau_rise,  x ← x + release per event
        ds/dt = −s/tau_decay + a·x·(1 − s)
        B(v) = 1/(1 + e^(−0.062·v_post)·mg/3.57)      (Jahr & Stevens 1990; mV, mM)

    gate = s·B(v_post).  Output: COBA g·s·B·(E − v_post); CUBA amplitude·s·B (µA; the
    block is kept, only the driving force is dropped).  Defaults: tau_rise 2 ms,
    tau_decay 100 ms, a 0.5 /ms, E 0 mV (BrainPy); mg 1 mM (BMTool; BrainPy's
    MgBlock uses 1.2 mM).
    """

    parameters = {
        **event_parameters(E=0.0),
        "tau_rise": time_constant(2.0, "decay of the transmitter trace x"),
        "tau_decay": time_constant(100.0, "decay of the open fraction s"),
        "a": Parameter(0.5, "1/ms", "opening rate per unit trace", minimum=0, ui_range=(0.0, 5.0)),
        "mg": Parameter(
            1.0, "mM", "extracellular Mg2+ concentration", minimum=0, ui_range=(0.0, 5.0)
        ),
    }
    states = {
        "x": State(0.0, "1", "transmitter trace"),
        "s": State(0.0, "1", "fraction of receptors open (before the Mg block)"),
    }
    equations = f"""
        mg_block = {MG_BLOCK}
        dx/dt = -x/tau_rise
        ds/dt = -s/tau_decay + a*x*(1 - s)
    """
    on_pre = "x += release"
    gate = "s*mg_block"
