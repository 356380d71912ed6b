"""Presynaptic spikes given as data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..kinds import Neuron
from ..registry import register


@register
class SpikeSource(Neuron):
    """A cell that only emits spikes at the listed times (ms), for tuning a synapse
    without modelling its presynaptic cell.  It has no voltage, so only
    event-driven synapses can start from it.
    """

    voltage = None
    listed = "times"
    equations = ""

    def __init__(self, times: Iterable[float] = (), **values: Any) -> None:
        super().__init__(**values)
        self.times = times

    @property
    def times(self) -> np.ndarray:
        """Spike times in ms, sorted."""
        return self._times

    @times.setter
    def times(self, values: Iterable[float]) -> None:
        try:
            array = np.asarray(list(values), dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise TypeError(f"SpikeSource.times: expected numbers in ms, got {values!r}") from None
        if not np.all(np.isfinite(array)) or np.any(array < 0):
            raise ValueError("SpikeSource.times: every time must be a finite number ≥ 0 ms")
        self._times = np.sort(array)

    def copy(self) -> SpikeSource:
        clone = super().copy()
        clone._times = self._times.copy()
        return clone

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and np.array_equal(self._times, other._times)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]
