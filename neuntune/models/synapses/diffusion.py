"""Neun's diffusion synapse (DSyn) as a Destexhe kinetic synapse."""

from ..registry import register
from .event import event_parameters
from .kinetic import KineticSynapse, kinetic_parameters


@register
class DiffusionSynapse(KineticSynapse):
    """Neun's ``DSyn``: transmitter T = T_max released for T_dur after the presynaptic
    voltage crosses ``threshold`` upwards (no delay by default);
    dr/dt = alpha·T(1 − r) − beta·r, I_post = g·r·(E − v_post) with g ≥ 0 (mS).
    See :class:`KineticSynapse`.

    Values are Destexhe, Mainen & Sejnowski (1998; ModelDB ampa.mod/gabaa.mod):
    T 1 mM for 1 ms after a 0 mV crossing; ``DiffusionSynapse.named("AMPA")``
    (the defaults): alpha 1.1 /mM/ms, beta 0.19 /ms, E 0 mV;
    ``DiffusionSynapse.named("GABA_A")``: alpha 5, beta 0.18, E −80 mV.
    Neun's own code adds g·r·(V_post − E), so it needs g < 0 for the same current;
    here g is a conductance and never negative.
    """

    parameters = {
        **event_parameters(E=0.0, delay=0.0),
        **kinetic_parameters(1.1, 0.19, 1.0, 1.0),
    }
    parameter_sets = {
        "AMPA": {"alpha": 1.1, "beta": 0.19, "E": 0.0},
        "GABA_A": {"alpha": 5.0, "beta": 0.18, "E": -80.0},
    }
