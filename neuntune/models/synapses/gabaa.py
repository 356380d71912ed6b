"""Kinetic GABA_A receptor synapse with BrainPy.state's parameters."""

from ..registry import register
from .event import event_parameters
from .kinetic import KineticSynapse, kinetic_parameters


@register
class GABAA(KineticSynapse):
    """GABA_A receptor: dr/dt = alpha·T(1 − r) − beta·r with a square transmitter
    pulse after each event (see :class:`KineticSynapse`).  BrainPy.state's ``GABAa``:
    alpha 0.53 /mM/ms, beta 0.18 /ms, T 1 mM for 1 ms; E −80 mV (chloride).
    """

    parameters = {**event_parameters(E=-80.0), **kinetic_parameters(0.53, 0.18, 1.0, 1.0)}
