"""Kinetic AMPA receptor synapse with BrainPy.state's parameters."""

from ..registry import register
from .event import event_parameters
from .kinetic import KineticSynapse, kinetic_parameters


@register
class AMPA(KineticSynapse):
    """AMPA receptor: dr/dt = alpha·T(1 − r) − beta·r with a square transmitter pulse
    after each event (see :class:`KineticSynapse`).  BrainPy.state's ``AMPA``:
    alpha 0.98 /mM/ms, beta 0.18 /ms, T 0.5 mM for 0.5 ms; E 0 mV.
    """

    parameters = {**event_parameters(E=0.0), **kinetic_parameters(0.98, 0.18, 0.5, 0.5)}
