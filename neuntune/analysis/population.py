"""Population metrics: the population firing rate, per-cell rates, the irregularity
of each cell's spike train (CV of its inter-spike intervals) and Golomb's synchrony
measure χ from the members' voltages.

A population's spikes are two arrays, as :class:`neuntune.Spikes` holds them:
``i`` (member index, 0 to n − 1) and ``t`` (time, ms) of each spike, in any order.
Times in ms, rates in Hz, voltages in mV (any unit works for χ: it is a ratio).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .traces import Window, as_window


def _spikes(i: ArrayLike, t: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Member indices (int64) and times (float64) of a population's spikes, checked."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n: {n!r} is not allowed; a population has ≥ 1 members")
    i = np.asarray(i)
    t = np.asarray(t, dtype=np.float64)
    if i.ndim != 1 or t.ndim != 1 or len(i) != len(t):
        raise ValueError(
            f"i and t: expected two 1-D arrays of equal length (member index and time of "
            f"each spike), got shapes {i.shape} and {t.shape}"
        )
    if len(i) and not np.issubdtype(i.dtype, np.integer):
        if not np.all(np.equal(np.mod(i, 1), 0)):
            raise ValueError("i: member indices must be whole numbers")
    i = i.astype(np.int64)
    if len(i) and (i.min() < 0 or i.max() >= n):
        raise ValueError(f"i: member indices must lie in 0 to {n - 1} (n = {n})")
    if not np.all(np.isfinite(t)):
        raise ValueError("t: contains NaN or infinite times")
    return i, t


@dataclass(frozen=True, eq=False)
class PopulationRate:
    """The population rate: ``t`` (ms, the centre of each bin) and ``rate`` (Hz per
    cell: spikes in the bin / (n · bin width)), smoothed with a Gaussian of
    standard deviation ``smooth`` ms (0: not smoothed); ``bin`` is the bin width (ms)."""

    t: np.ndarray
    rate: np.ndarray
    bin: float
    smooth: float


def population_rate(
    i: ArrayLike,
    t: ArrayLike,
    n: int,
    window: Window,
    bin: float = 1.0,
    smooth: float = 0.0,
) -> PopulationRate:
    """Instantaneous population rate (Hz per cell) of ``n`` cells over ``window`` (ms).

    Spikes (``i``: member index, ``t``: ms) with ``start ≤ t < stop`` are counted in
    bins of ``bin`` ms (the last bin may be shorter; its rate uses its own width),
    divided by ``n`` and the bin width: n cells each firing regularly at f Hz give
    f on average.  ``smooth`` > 0 convolves the rate with a Gaussian of that
    standard deviation (ms), normalised by the kernel's mass inside the window, so a
    constant rate stays constant up to the edges (and, away from the edges, the
    spike count is kept).
    """
    i, t = _spikes(i, t, n)
    start, stop = as_window(window)
    if not bin > 0:
        raise ValueError(f"bin: {bin!r} ms is not allowed; it must be > 0")
    if not smooth >= 0:
        raise ValueError(f"smooth: {smooth!r} ms is not allowed; it must be ≥ 0")
    count = max(1, math.ceil((stop - start) / bin - 1e-9))
    edges = np.minimum(start + bin * np.arange(count + 1), stop)
    edges[-1] = stop
    counts, _ = np.histogram(t[(t >= start) & (t < stop)], bins=edges)
    widths = np.diff(edges)
    rate = counts / (n * widths * 1e-3)
    if smooth > 0 and count > 1:
        centres = 0.5 * (edges[:-1] + edges[1:])
        # Weights by distance between bin centres, each bin weighted by its width.
        lag = centres[:, None] - centres[None, :]
        kernel = np.exp(-0.5 * (lag / smooth) ** 2) * widths[None, :]
        rate = (kernel @ rate) / kernel.sum(axis=1)
    return PopulationRate(0.5 * (edges[:-1] + edges[1:]), rate, float(bin), float(smooth))


def cell_rates(i: ArrayLike, t: ArrayLike, n: int, window: Window) -> np.ndarray:
    """Each member's mean rate (Hz) over ``window`` (ms): its spikes with
    ``start ≤ t < stop`` divided by the window's length."""
    i, t = _spikes(i, t, n)
    start, stop = as_window(window)
    inside = (t >= start) & (t < stop)
    return np.bincount(i[inside], minlength=n) / ((stop - start) * 1e-3)


def mean_rate(i: ArrayLike, t: ArrayLike, n: int, window: Window) -> float:
    """Mean rate per cell (Hz) over ``window`` (ms): spikes inside it / (n · its
    length).  Silent cells count (they lower the mean)."""
    return float(np.mean(cell_rates(i, t, n, window)))


def cell_cvs(i: ArrayLike, t: ArrayLike, n: int) -> np.ndarray:
    """Each member's coefficient of variation of its inter-spike intervals, std/mean
    (population std, dimensionless: 0 for a regular train, 1 for a Poisson process);
    NaN for members with fewer than two intervals (three spikes)."""
    i, t = _spikes(i, t, n)
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    same = i[1:] == i[:-1]
    intervals, owner = np.diff(t)[same], i[1:][same]
    count = np.bincount(owner, minlength=n)
    total = np.bincount(owner, weights=intervals, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        square = np.bincount(owner, weights=(intervals - mean[owner]) ** 2, minlength=n)
        cv = np.sqrt(square / count) / mean
    cv[count < 2] = np.nan
    return cv


def mean_cv(i: ArrayLike, t: ArrayLike, n: int) -> float:
    """Mean of :func:`cell_cvs` over the members that have one (≥ 3 spikes); NaN if
    none has."""
    cvs = cell_cvs(i, t, n)
    cvs = cvs[np.isfinite(cvs)]
    return float(np.mean(cvs)) if len(cvs) else np.nan


@dataclass(frozen=True)
class Synchrony:
    """Golomb's synchrony measure of a population's voltages.

    ``chi2`` = χ² = Var(V̄) / mean_i Var(V_i), where V̄(t) is the population-averaged
    voltage and the variances are over time; ``chi`` = χ = √χ².  1 for identical
    traces, about 1/√N for N independent ones, 0 when the members' fluctuations
    cancel exactly.  ``members``: how many traces it was computed from.  NaN when
    every trace is constant.
    """

    chi: float
    chi2: float
    members: int


def golomb_synchrony(v: ArrayLike) -> Synchrony:
    """χ (Golomb & Rinzel 1993; Golomb 2007, Scholarpedia 2(1):1347) of traces ``v``
    shaped (members, samples), all sampled at the same, evenly spaced times.

    χ² = σ²_V̄ / ((1/N) Σ σ²_Vi), with σ² the variance over time of the
    population-averaged voltage V̄ = (1/N) Σ V_i and of each member's voltage.
    A finite population has χ ≈ 1/√N (not 0) when the members are independent:
    compare χ√N with 1 to tell asynchrony from weak synchrony.
    """
    v = np.asarray(v, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 2:
        raise ValueError(
            f"v: expected traces shaped (members, samples) with ≥ 1 member and ≥ 2 samples, "
            f"got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("v: contains NaN or infinite values")
    single = np.var(v, axis=1).mean()
    average = np.var(v.mean(axis=0))
    if not single > 0:
        return Synchrony(np.nan, np.nan, v.shape[0])
    chi2 = float(min(average / single, 1.0))  # ≤ 1 exactly (Cauchy–Schwarz); clip rounding
    return Synchrony(math.sqrt(chi2), chi2, v.shape[0])
