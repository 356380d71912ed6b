"""Spike trains: spike times from a voltage trace, rate, inter-spike intervals, CV
and bursts.  Times in ms, rates in Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .traces import Window, as_times, as_window, crossings


def spike_times(t: ArrayLike, v: ArrayLike, threshold: float = 0.0) -> np.ndarray:
    """Spike times (ms): upward crossings of ``threshold`` (mV) by ``v`` (mV), linearly
    interpolated between samples (``Result.spikes`` holds the engine's own, found
    at every integration step; use this for decimated or external traces)."""
    return crossings(t, v, threshold, "up")


def firing_rate(spikes: ArrayLike, window: Window) -> float:
    """Mean rate (Hz) of the spikes (ms) with ``start ≤ time < stop`` in ``window`` (ms)."""
    spikes = as_times(spikes, "spikes")
    start, stop = as_window(window)
    count = np.count_nonzero((spikes >= start) & (spikes < stop))
    return 1000.0 * count / (stop - start)


def isi(spikes: ArrayLike) -> np.ndarray:
    """Inter-spike intervals (ms) of sorted spike times (ms)."""
    return np.diff(as_times(spikes, "spikes"))


def cv(spikes: ArrayLike) -> float:
    """Coefficient of variation of the inter-spike intervals, std/mean (population std,
    dimensionless): 0 for a regular train, 1 for a Poisson process.  NaN with fewer
    than two intervals."""
    intervals = isi(spikes)
    if len(intervals) < 2:
        return np.nan
    return float(np.std(intervals) / np.mean(intervals))


@dataclass(frozen=True, eq=False)
class Bursts:
    """Bursts found in a spike train.

    ``start``/``end``: first and last spike of each burst (ms); ``n_spikes``: spikes in
    each burst; ``max_isi``: the intra-burst ISI limit used (ms, NaN when the train
    has no bursts).  A burst cut by the start or end of the recording is included
    with the spikes it has: drop the first or last entry if that matters.
    """

    start: np.ndarray
    end: np.ndarray
    n_spikes: np.ndarray
    max_isi: float

    @property
    def count(self) -> int:
        """Number of bursts."""
        return len(self.start)

    @property
    def spikes_per_burst(self) -> float:
        """Mean spikes per burst (NaN without bursts)."""
        return float(np.mean(self.n_spikes)) if self.count else np.nan

    @property
    def period(self) -> float:
        """Mean interval between the first spikes of successive bursts (ms; NaN with fewer
        than two bursts)."""
        return float(np.mean(np.diff(self.start))) if self.count > 1 else np.nan

    @property
    def duration(self) -> np.ndarray:
        """First to last spike of each burst (ms)."""
        return self.end - self.start


def burst_threshold(spikes: ArrayLike, min_ratio: float = 3.0) -> float:
    """The intra-burst ISI limit (ms) that :func:`bursts` uses by default.

    A bursting train has two kinds of intervals: short ones inside bursts and long
    ones between them.  Sorting the ISIs, the largest ratio between neighbours marks
    that split; the limit is the geometric mean of the two ISIs around it.  If no
    neighbouring ISIs differ by at least ``min_ratio`` the train is not bursting
    (tonic or irregular) and the result is NaN.  A tonic train interrupted by one long
    pause passes the test too (it becomes two long "bursts"): the heuristic suits
    trains of several bursts.

    To choose a limit by hand, look at ``np.log10(isi(spikes))``: a bursting train's
    histogram has two separate groups; any value in the gap between the longest
    intra-burst ISI and the shortest inter-burst interval gives the same bursts.
    """
    intervals = np.sort(np.diff(as_times(spikes, "spikes", strict=True)))
    if len(intervals) < 2:
        return np.nan
    ratios = intervals[1:] / intervals[:-1]
    k = int(np.argmax(ratios))
    if ratios[k] < min_ratio:
        return np.nan
    return float(np.sqrt(intervals[k] * intervals[k + 1]))


def bursts(
    spikes: ArrayLike, max_isi: float | None = None, min_spikes: int = 2, min_ratio: float = 3.0
) -> Bursts:
    """Group spikes (ms) into bursts: runs of consecutive spikes whose ISIs are all
    ``≤ max_isi`` (ms) with at least ``min_spikes`` spikes.

    ``max_isi=None`` picks the limit from the ISI distribution with
    :func:`burst_threshold` (``min_ratio`` is passed on); a train without a clear gap
    between intra- and inter-burst intervals then has no bursts.
    """
    spikes = as_times(spikes, "spikes", strict=True)
    if min_spikes < 2:
        raise ValueError(f"min_spikes: {min_spikes} is not allowed; a burst has ≥ 2 spikes")
    if max_isi is None:
        max_isi = burst_threshold(spikes, min_ratio)
    elif not max_isi > 0:
        raise ValueError(f"max_isi: {max_isi!r} ms is not allowed; it must be > 0")
    if np.isnan(max_isi):
        none = np.zeros(0)
        return Bursts(none, none, np.zeros(0, dtype=np.int64), np.nan)
    # a new group begins at every spike whose preceding interval exceeds max_isi
    first = np.flatnonzero(np.concatenate(([True], np.diff(spikes) > max_isi)))
    last = np.concatenate((first[1:], [len(spikes)])) - 1
    size = last - first + 1
    keep = size >= min_spikes
    return Bursts(spikes[first[keep]], spikes[last[keep]], size[keep], float(max_isi))
