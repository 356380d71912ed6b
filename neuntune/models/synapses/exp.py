"""Event-driven synapse with an instantaneous rise and exponential decay."""

from ..declarations import State
from ..registry import register
from .event import EventSynapse, event_parameters, time_constant


@register
class ExpSynapse(EventSynapse):
    """Single-exponential synapse (BrainPy.state ``Expon``, NEURON ``ExpSyn``).

    ds/dt = −s/tau; per presynaptic event (after ``delay``) s ← s + release, so one
    event gives s(t) = e^(−(t − t_event)/tau), peak 1.  Output (``output``):
    COBA I_post = g·s·(E − v_post), CUBA I_post = amplitude·s (µA).  tau 8 ms is
    BrainPy.state's default.
    """

    parameters = {**event_parameters(), "tau": time_constant(8.0, "decay time constant")}
    states = {"s": State(0.0, "1", "gate")}
    equations = "ds/dt = -s/tau"
    on_pre = "s += release"
