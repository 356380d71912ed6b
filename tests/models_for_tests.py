"""Small user-style models the engine tests declare for themselves.

They are built exactly the way a user declares a model (nothing registered),
which also exercises that path.
"""

import neuntune as nt


class LIF(nt.Neuron):
    """Leaky integrate-and-fire with an exact reset: dv/dt = (I_in/area − gl(v − el))/cm;
    at v = vth, v ← vreset."""

    parameters = {
        "cm": nt.Parameter(1.0, "uF/cm2", "capacitance", minimum=0, exclusive_minimum=True),
        "gl": nt.Parameter(0.1, "mS/cm2", "leak", minimum=0, exclusive_minimum=True),
        "el": nt.Parameter(-65.0, "mV", "rest"),
        "area": nt.Parameter(1e-3, "cm2", "area", minimum=0, exclusive_minimum=True),
        "vth": nt.Parameter(-50.0, "mV", "threshold"),
        "vreset": nt.Parameter(-65.0, "mV", "reset"),
    }
    states = {"v": nt.State(-65.0, "mV", "membrane potential")}
    equations = "dv/dt = (I_in/area - gl*(v - el))/cm"
    reset = "vth"
    on_spike = "v = vreset"


class ExpTest(nt.Synapse):
    """Event-driven exponential conductance: s jumps by w per spike, decays with tau."""

    parameters = {
        "g": nt.Parameter(1e-4, "mS", "conductance", minimum=0),
        "w": nt.Parameter(1.0, "1", "increment", minimum=0),
        "tau": nt.Parameter(5.0, "ms", "decay", minimum=0, exclusive_minimum=True),
        "E": nt.Parameter(0.0, "mV", "reversal"),
        "delay": nt.Parameter(1.0, "ms", "delay", minimum=0),
        "threshold": nt.Parameter(0.0, "mV", "presynaptic threshold"),
    }
    states = {"s": nt.State(0.0, "1", "gate")}
    equations = """
        ds/dt = -s/tau
        I_post = g*s*(E - v_post)
    """
    on_pre = "s += w*release"
