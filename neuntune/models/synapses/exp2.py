"""Event-driven dual-exponential synapse, normalised to a peak of 1."""

from ..declarations import State
from ..registry import register
from .event import EventSynapse, event_parameters, peak_factor, time_constant


@register
class Exp2Synapse(EventSynapse):
    """Dual-exponential synapse, as NEURON's ``Exp2Syn``.

    dA/dt = −A/tau_r, dB/dt = −B/tau_d; per event A ← A + release, B ← B + release;
    gate = factor·(B − A), with factor chosen so one event peaks at exactly 1 at
    tp = tau_r·tau_d/(tau_d − tau_r)·ln(tau_d/tau_r):
    factor = 1/(e^(−tp/tau_d) − e^(−tp/tau_r)).  Output: COBA g·gate·(E − v_post),
    CUBA amplitude·gate (µA).  Defaults are Exp2Syn's (tau1 0.1, tau2 10 ms); as in
    Exp2Syn, tau_r is used as at most 0.9999·tau_d.
    """

    parameters = {
        **event_parameters(),
        "tau_r": time_constant(0.1, "rise time constant"),
        "tau_d": time_constant(10.0, "decay time constant"),
    }
    states = {
        "A": State(0.0, "1", "rising component (decays with tau_r)"),
        "B": State(0.0, "1", "decaying component (decays with tau_d)"),
    }
    equations = (
        peak_factor("factor", "tau_r", "tau_d")
        + """
        dA/dt = -A/factor_tr
        dB/dt = -B/tau_d
    """
    )
    on_pre = """
        A += release
        B += release
    """
    gate = "factor*(B - A)"
