"""Optimisers: fit gap-junction and chemical-synapse parameters to targets.

The protocols they fit on (coupling, pairwise coupling, spectrum, synapse train) are
:mod:`neuntune.protocols`'; the measurements are re-exported here for older code.
"""

from ..protocols.coupling import (
    CouplingProtocol,
    Protocol,
    coupling_coefficient,
    coupling_protocol,
    measure_coupling,
    quiet_copy,
)
from ..protocols.pairwise import PairwiseCoupling, pairwise_coupling
from ..protocols.spectrum import CouplingSpectrum, coupling_spectrum
from .gap import GapJunctionFit, fit_gap_junction

__all__ = [
    "CouplingProtocol",
    "CouplingSpectrum",
    "GapJunctionFit",
    "PairwiseCoupling",
    "Protocol",
    "coupling_coefficient",
    "coupling_protocol",
    "coupling_spectrum",
    "fit_gap_junction",
    "measure_coupling",
    "pairwise_coupling",
    "quiet_copy",
]
