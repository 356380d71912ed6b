"""Synapse models, one per file (event.py, kinetic.py and bmtool.py hold what
several of them share)."""

from .alpha import AlphaSynapse
from .ampa import AMPA
from .ampa_nmda_stp import AMPA_NMDA_STP
from .continuous import ContinuousSynapse
from .delta import DeltaSynapse
from .diffusion import DiffusionSynapse
from .event import EventSynapse
from .exp import ExpSynapse
from .exp2 import Exp2Synapse
from .gaba_a_stp import GABA_A_STP
from .gabaa import GABAA
from .gap_junction import AsymmetricGapJunction, GapJunction, RectifyingGapJunction
from .nmda import NMDA

__all__ = [
    "AMPA",
    "AMPA_NMDA_STP",
    "GABAA",
    "GABA_A_STP",
    "NMDA",
    "AlphaSynapse",
    "AsymmetricGapJunction",
    "ContinuousSynapse",
    "DeltaSynapse",
    "DiffusionSynapse",
    "EventSynapse",
    "Exp2Synapse",
    "ExpSynapse",
    "GapJunction",
    "RectifyingGapJunction",
]
