"""Synapse models, one per file."""

from .continuous import ContinuousSynapse
from .gap_junction import AsymmetricGapJunction, GapJunction, RectifyingGapJunction

__all__ = ["AsymmetricGapJunction", "ContinuousSynapse", "GapJunction", "RectifyingGapJunction"]
