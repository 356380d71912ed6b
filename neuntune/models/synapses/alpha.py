"""Event-driven alpha-function synapse."""

from collections.abc import Mapping

from ..declarations import Option, State
from ..registry import register
from .event import OUTPUT, EventSynapse, event_parameters, time_constant


@register
class AlphaSynapse(EventSynapse):
    """Alpha-function synapse (BrainPy.state ``Alpha``).

    dh/dt = −h/tau, ds/dt = (h − s)/tau; per event h ← h + release, so one event
    gives s(t) = (t/tau)·e^(−t/tau) (t from the event), which peaks at 1/e at t = tau.
    ``form`` chooses what the output multiplies:

    - ``"peak"`` (default): gate = e·s = (t/tau)·e^(1 − t/tau), peak exactly 1, so g
      is the peak conductance as for the other synapses;
    - ``"brainpy"``: gate = s, BrainPy's form (peak 1/e: a BrainPy g_max gives the
      same response here).

    Output: COBA g·gate·(E − v_post), CUBA amplitude·gate (µA).  tau 8 ms is
    BrainPy.state's default.
    """

    parameters = {**event_parameters(), "tau": time_constant(8.0, "time to peak")}
    states = {
        "h": State(0.0, "1", "first stage (jumps at events)"),
        "s": State(0.0, "1", "alpha-shaped gate (BrainPy's g)"),
    }
    options = {
        "output": OUTPUT,
        "form": Option(
            ("peak", "brainpy"),
            "peak",
            "peak: (t/tau)e^(1 − t/tau), peak 1; brainpy: (t/tau)e^(−t/tau), peak 1/e",
        ),
    }
    on_pre = "h += release"
    gate = "scale*s"

    @classmethod
    def kinetics(cls, options: Mapping[str, str]) -> str:
        scale = "exp(1)" if options["form"] == "peak" else "1"
        return f"""
            scale = {scale}
            dh/dt = -h/tau
            ds/dt = (h - s)/tau
        """
