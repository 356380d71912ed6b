"""Building blocks for metrics on one sampled trace: input checks, window means,
interpolated level crossings and exponential fits.

Times are in ms; values keep the unit of the trace (mV, µA, ...).  A trace is
treated as piecewise linear between its samples, so windows and crossings may
fall between samples and sampling need not be uniform.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

#: A time window ``(start, stop)`` in ms.
Window = tuple[float, float]


def as_trace(
    t: ArrayLike, y: ArrayLike, t_name: str = "t", y_name: str = "y"
) -> tuple[np.ndarray, np.ndarray]:
    """``t`` (ms) and ``y`` as 1-D float arrays, checked: same length, at least two
    samples, finite, ``t`` strictly increasing.  Errors name the argument."""
    t, y = same_length(t, y, t_name, y_name)
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{t_name}: times must be strictly increasing")
    return t, y


def as_times(times: ArrayLike, name: str, strict: bool = False) -> np.ndarray:
    """Event times (ms) as a 1-D float array, checked to be finite and in increasing
    order (``strict``: no two equal)."""
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of times in ms, got shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ValueError(f"{name}: contains NaN or infinite times")
    steps = np.diff(times)
    if np.any(steps <= 0) if strict else np.any(steps < 0):
        order = "strictly increasing" if strict else "in increasing order"
        raise ValueError(f"{name}: times must be {order}")
    return times


def same_length(x: ArrayLike, y: ArrayLike, x_name: str, y_name: str) -> tuple[np.ndarray, ...]:
    """Two finite 1-D traces of equal length (at least 2 samples) as float arrays."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    for name, a in ((x_name, x), (y_name, y)):
        if a.ndim != 1 or len(a) < 2:
            raise ValueError(f"{name}: expected a 1-D trace of at least 2 samples, got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}: contains NaN or infinite values")
    if len(x) != len(y):
        raise ValueError(
            f"{y_name}: has {len(y)} samples but {x_name} has {len(x)}; they must match"
        )
    return x, y


def as_window(window: Window, name: str = "window", label: str = "") -> Window:
    """``window`` as two floats (start, stop) in ms, start before stop; errors name
    ``name``, then ``label`` before the window."""
    try:
        start, stop = (float(w) for w in window)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a window (start, stop) in ms, got {window!r}") from None
    if not start < stop:  # also refuses NaN
        raise ValueError(
            f"{name}: {label}({start:g}, {stop:g}) ms is empty; start must be before stop"
        )
    return start, stop


def check_window(t: np.ndarray, window: Window, name: str) -> Window:
    """Validate ``window`` (ms) against the trace's time span ``t``; return it as floats.

    The window must be non-empty and lie inside ``[t[0], t[-1]]``; ends beyond the
    trace by less than 1e-9 of its span (floating-point rounding of ``t``) are clipped.
    """
    start, stop = as_window(window, name, "window ")
    slack = 1e-9 * (t[-1] - t[0])
    if start < t[0] - slack or stop > t[-1] + slack:
        raise ValueError(
            f"{name}: window ({start:g}, {stop:g}) ms is outside the trace; "
            f"allowed: within [{t[0]:g}, {t[-1]:g}] ms"
        )
    return max(start, t[0]), min(stop, t[-1])


def segment(t: np.ndarray, y: np.ndarray, start: float, stop: float) -> tuple[np.ndarray, ...]:
    """The samples strictly inside ``(start, stop)`` with linearly interpolated end points."""
    i0 = np.searchsorted(t, start, side="right")
    i1 = np.searchsorted(t, stop, side="left")
    ts = np.concatenate(([start], t[i0:i1], [stop]))
    ys = np.concatenate(([np.interp(start, t, y)], y[i0:i1], [np.interp(stop, t, y)]))
    return ts, ys


def window_mean(t: ArrayLike, y: ArrayLike, window: Window, name: str = "window") -> float:
    """Time average of ``y`` over ``window = (start, stop)`` (ms), in the unit of ``y``.

    The trace is integrated as piecewise linear (trapezoid rule with interpolated
    ends), so the average is exact for a linear drift and does not depend on
    sample spacing.
    """
    from scipy.integrate import trapezoid  # here: importing it takes ~0.2 s

    t, y = as_trace(t, y)
    start, stop = check_window(t, window, name)
    ts, ys = segment(t, y, start, stop)
    return float(trapezoid(ys, ts) / (stop - start))


def deflection(t: ArrayLike, y: ArrayLike, baseline: Window, steady: Window) -> float:
    """Mean of ``y`` over the ``steady`` window minus its mean over the ``baseline``
    window (both ``(start, stop)`` in ms); in the unit of ``y`` (mV for voltages).
    Exactly 0 when the two means agree to 1e-12 of their size."""
    before = window_mean(t, y, baseline, "baseline")
    after = window_mean(t, y, steady, "steady")
    # the means of a flat trace differ by the rounding of their sums: that is no change
    return 0.0 if abs(after - before) <= 1e-12 * max(abs(after), abs(before)) else after - before


def crossings(
    t: ArrayLike, y: ArrayLike, level: float, direction: Literal["up", "down"] = "up"
) -> np.ndarray:
    """Times (ms) at which ``y`` crosses ``level``, linearly interpolated between samples.

    ``"up"``: from below ``level`` to at or above it; ``"down"``: from above to at or
    below.  A trace that starts beyond ``level`` has not crossed it.
    """
    t, y = as_trace(t, y)
    if direction not in ("up", "down"):
        raise ValueError(f"direction: {direction!r} is not 'up' or 'down'")
    d = y - level if direction == "up" else level - y
    i = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0))
    return t[i] + (t[i + 1] - t[i]) * (-d[i] / (d[i + 1] - d[i]))


def response_sign(response: np.ndarray, direction: str = "auto") -> int:
    """+1 or −1: the direction of a response (a trace minus its baseline).

    ``direction`` "up"/"down" forces it; "auto" takes the sign of the largest
    deviation from the baseline.
    """
    if direction == "up":
        return 1
    if direction == "down":
        return -1
    if direction != "auto":
        raise ValueError(f"direction: {direction!r} is not 'auto', 'up' or 'down'")
    extreme = response[np.argmax(np.abs(response))]
    if extreme == 0:
        raise ValueError("y: no response: the trace does not leave its baseline")
    return 1 if extreme > 0 else -1


def fit_exponential(x: np.ndarray, y: np.ndarray, offset: bool = False) -> tuple[float, ...]:
    """Least-squares fit of ``y = a·exp(−x/tau) (+ c)``; returns ``(a, tau, c)``.

    ``x`` in ms (``tau`` too).  Without ``offset`` the curve decays to 0 (``c = 0``).
    Returns NaNs when the fit does not converge.
    """
    from scipy.optimize import OptimizeWarning, curve_fit  # here: a slow import

    c0 = y[-1] if offset else 0.0
    # start from the 1/e point of the observed decay: curve_fit needs the scale of tau
    below = np.flatnonzero(np.abs(y - c0) <= np.abs(y[0] - c0) / np.e)
    tau0 = x[below[0]] if len(below) and x[below[0]] > 0 else (x[-1] - x[0]) / 2

    def curve(x: np.ndarray, a: float, tau: float, c: float = 0.0) -> np.ndarray:
        return a * np.exp(-x / tau) + c

    # tau > 0 keeps exp(−x/tau) finite while the optimiser explores
    tiny = np.finfo(float).tiny
    if offset:
        p0, low = (y[0] - c0, tau0, c0), (-np.inf, tiny, -np.inf)
    else:
        p0, low = (y[0], tau0), (-np.inf, tiny)
    try:
        with warnings.catch_warnings():
            # only the parameters are used, so an inestimable covariance does not matter
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(curve, x, y, p0=p0, bounds=(low, np.inf))
    except RuntimeError:  # curve_fit's "optimal parameters not found"
        return np.nan, np.nan, np.nan
    a, tau, c = params if offset else (*params, 0.0)
    return float(a), float(tau), float(c)
