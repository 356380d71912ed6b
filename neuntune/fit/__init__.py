"""Optimisers: fit gap-junction and chemical-synapse parameters to targets."""

from .gap import (
    CouplingSpectrum,
    GapJunctionFit,
    coupling_coefficient,
    coupling_spectrum,
    fit_gap_junction,
)
from .protocols import Protocol, coupling_protocol, measure_coupling, quiet_copy

__all__ = [
    "CouplingSpectrum",
    "GapJunctionFit",
    "Protocol",
    "coupling_coefficient",
    "coupling_protocol",
    "coupling_spectrum",
    "fit_gap_junction",
    "measure_coupling",
    "quiet_copy",
]
