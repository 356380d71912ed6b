"""Optimisers: fit gap-junction and chemical-synapse parameters to targets."""

from .gap import (
    CouplingSpectrum,
    GapJunctionFit,
    PairwiseCoupling,
    coupling_coefficient,
    coupling_spectrum,
    fit_gap_junction,
    pairwise_coupling,
)
from .protocols import Protocol, coupling_protocol, measure_coupling, quiet_copy

__all__ = [
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
