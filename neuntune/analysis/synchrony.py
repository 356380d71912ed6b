"""Synchrony of two cells: from their voltage traces (Pearson correlation and mean
absolute difference, the Neun docs' two measures) and from their spike trains
(Kistler's coincidence factor, vector strength).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from .traces import as_times, same_length


def pearson(x: ArrayLike, y: ArrayLike) -> float:
    """Pearson correlation coefficient of two equally sampled traces (dimensionless,
    −1 to 1).  NaN when either trace is constant (correlation is undefined)."""
    x, y = same_length(x, y, "x", "y")
    return _pearson(x, y)


# Two passes (means, then centred sums: no cancellation in Σx² − n·x̄²) without
# temporaries; reassociation lets the sums vectorise.  A scan evaluates this once
# per member on traces of ~10⁵ samples, where np.corrcoef took 10× as long.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    n = x.shape[0]
    sx = sy = 0.0
    x_moves = y_moves = 0  # samples that differ from the first
    for i in range(n):
        sx += x[i]
        sy += y[i]
        x_moves += x[i] != x[0]
        y_moves += y[i] != y[0]
    if x_moves == 0 or y_moves == 0:
        return np.nan
    mx, my = sx / n, sy / n
    sxx = syy = sxy = 0.0
    for i in range(n):
        dx, dy = x[i] - mx, y[i] - my
        sxx += dx * dx
        syy += dy * dy
        sxy += dx * dy
    return min(max(sxy / math.sqrt(sxx * syy), -1.0), 1.0)


def pearson_from_sums(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float:
    """Pearson correlation (dimensionless) of n paired samples from their sums Σx, Σy,
    Σx², Σy² and Σxy.  Accurate when x and y were shifted close to their means
    before summing (as :func:`neuntune.simulate.sum_batch` does, by the first
    sample); NaN when either is constant."""
    cxx = sxx - sx * sx / n
    cyy = syy - sy * sy / n
    if not (cxx > 0 and cyy > 0):
        return np.nan
    return min(max((sxy - sx * sy / n) / math.sqrt(cxx * cyy), -1.0), 1.0)


def mean_abs_difference(x: ArrayLike, y: ArrayLike) -> float:
    """Mean of |x − y| over the samples of two equally sampled traces, in their unit
    (mV for voltages); 0 for perfect synchrony."""
    x, y = same_length(x, y, "x", "y")
    return float(np.mean(np.abs(x - y)))


def coincidence_factor(
    spikes: ArrayLike, reference: ArrayLike, window: float, duration: float
) -> float:
    """Kistler et al. (1997) coincidence factor Γ of ``spikes`` against ``reference``.

    Γ = (N_coinc − ⟨N_coinc⟩) / (½(N + N_ref)) / (1 − 2νΔ), where N_coinc counts the
    spikes (each once) with a reference spike within ±``window`` (Δ, ms),
    ν = N_ref/``duration`` is the reference rate and ⟨N_coinc⟩ = 2νΔN the count
    expected by chance from a Poisson train at that rate.  Γ = 1 for identical
    trains, ≈ 0 for independent ones, negative when spikes avoid the reference.
    Times in ms; ``duration`` (ms) is the length of the recording.  NaN when both
    trains are empty.
    """
    spikes = as_times(spikes, "spikes")
    reference = as_times(reference, "reference")
    if not window > 0:
        raise ValueError(f"window: {window!r} ms is not allowed; it must be > 0")
    if not duration > 0:
        raise ValueError(f"duration: {duration!r} ms is not allowed; it must be > 0")
    n, n_ref = len(spikes), len(reference)
    if n + n_ref == 0:
        return np.nan
    chance = 2.0 * window * n_ref / duration
    if chance >= 1:
        raise ValueError(
            f"window: {window:g} ms is too wide for {n_ref} reference spikes in {duration:g} ms; "
            f"allowed: < {duration / (2 * n_ref):g} ms (2·rate·window must stay below 1)"
        )
    n_coinc = 0
    if n and n_ref:
        j = np.searchsorted(reference, spikes)
        before = np.abs(spikes - reference[np.clip(j - 1, 0, n_ref - 1)])
        after = np.abs(reference[np.clip(j, 0, n_ref - 1)] - spikes)
        n_coinc = np.count_nonzero(np.minimum(before, after) <= window)
    return float((n_coinc - chance * n) / (0.5 * (n + n_ref) * (1.0 - chance)))


@dataclass(frozen=True)
class PhaseLocking:
    """Locking of spikes to a reference rhythm.

    ``strength``: vector strength, 0 (no locking) to 1 (every spike at the same
    phase); ``phase``: mean phase (rad, in [0, 2π)) of the spikes in the reference
    cycle, 0 at a reference spike; ``n_spikes``: spikes inside reference cycles.
    """

    strength: float
    phase: float
    n_spikes: int


def phase_locking(spikes: ArrayLike, reference: ArrayLike) -> PhaseLocking:
    """Vector strength of ``spikes`` (ms) relative to the cycles of ``reference`` (ms).

    Each reference interval [r_k, r_k+1) is one cycle; a spike at s in it has phase
    2π(s − r_k)/(r_k+1 − r_k), so the measure follows a rhythm whose period drifts.
    Spikes before the first or after the last reference spike are ignored.
    Strength and phase are NaN when no spike falls inside a cycle.
    """
    spikes = as_times(spikes, "spikes")
    reference = as_times(reference, "reference", strict=True)
    if len(reference) < 2:
        raise ValueError(f"reference: {len(reference)} spikes define no cycle; at least 2 needed")
    inside = spikes[(spikes >= reference[0]) & (spikes < reference[-1])]
    if len(inside) == 0:
        return PhaseLocking(np.nan, np.nan, 0)
    k = np.searchsorted(reference, inside, side="right") - 1
    phases = 2 * np.pi * (inside - reference[k]) / (reference[k + 1] - reference[k])
    z = np.mean(np.exp(1j * phases))
    return PhaseLocking(float(np.abs(z)), float(np.angle(z) % (2 * np.pi)), len(inside))
