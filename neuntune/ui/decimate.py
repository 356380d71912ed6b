"""Min/max decimation of traces for the browser.

A plotted line only needs, per horizontal pixel, the lowest and the highest
sample in that pixel: drawing those two (in time order) reproduces the line's
envelope exactly, spikes included, while the browser receives ~2 points per
pixel instead of every sample.  Full-resolution traces stay in Python.
"""

from __future__ import annotations

import numpy as np


def minmax_indices(y: np.ndarray, buckets: int) -> np.ndarray:
    """Indices of the samples to keep: first, last, and each bucket's min and max.

    ``y`` is cut into ``buckets`` contiguous runs of (nearly) equal length; the
    indices come back sorted, without repeats.  Short traces (at most two
    samples per bucket) are kept whole.
    """
    n = len(y)
    if buckets < 1:
        raise ValueError(f"buckets: {buckets} is not allowed; it must be ≥ 1")
    if n <= 2 * buckets:
        return np.arange(n)
    size = -(-n // buckets)  # ceil: every bucket but the last is full
    rows = -(-n // size)
    # Pad with the last sample so the trace reshapes into equal rows; argmin/argmax
    # return the first occurrence, so a padded copy is never chosen over the real one.
    padded = np.empty(rows * size, dtype=y.dtype)
    padded[:n] = y
    padded[n:] = y[-1]
    block = padded.reshape(rows, size)
    offsets = np.arange(rows) * size
    lows = np.argmin(block, axis=1)
    highs = np.argmax(block, axis=1)
    keep = np.concatenate([[0, n - 1], offsets + lows, offsets + highs])
    return np.unique(keep)


def minmax_decimate(
    x: np.ndarray, y: np.ndarray, points: int = 2000
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` reduced to about ``points`` samples (min and max per bucket).

    Every bucket's extreme values survive exactly, so the global minimum and
    maximum of ``y`` (spike peaks, troughs) are always in the output.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length ({len(x)} and {len(y)})")
    keep = minmax_indices(np.asarray(y), max(1, points // 2))
    return np.asarray(x)[keep], np.asarray(y)[keep]
