"""Characterising one cell from a recorded current step: input resistance and
membrane time constant (rheobase and the f–I curve, which simulate, are
:mod:`neuntune.protocols.clamp`).

Units: mV, ms, µA; resistance in MΩ (mV/µA = kΩ), rates in Hz.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .traces import Window, as_trace, check_window, deflection, fit_exponential, segment


def input_resistance(
    t: ArrayLike, v: ArrayLike, current: float | ArrayLike, baseline: Window, steady: Window
) -> float:
    """Input resistance ΔV/ΔI (MΩ) from a current step.

    ``t`` in ms, ``v`` in mV; ``current`` is the step amplitude (µA) or the injected
    current trace (µA, e.g. ``Result.current["a.stim0"]``, sampled like ``v``).  Each
    Δ is the mean over ``steady`` minus the mean over ``baseline`` (windows in ms);
    let the voltage settle before the steady window starts.
    """
    dv = deflection(t, v, baseline, steady)
    if np.ndim(current) == 0:
        di = float(current)
    else:
        di = deflection(t, current, baseline, steady)
    if di == 0:
        raise ValueError("current: the injected current does not change; ΔI must be nonzero")
    return 1e-3 * dv / di  # mV/µA is kΩ


def membrane_time_constant(t: ArrayLike, v: ArrayLike, window: Window) -> float:
    """Membrane time constant (ms): ``v(t) = v∞ + (v0 − v∞)·exp(−(t − start)/τ)`` fitted
    by least squares to ``v`` (mV) over ``window = (start, stop)`` (ms), from the
    onset of a current step to before its end.  Exact for a passive cell (τ = cm/gl);
    for an active cell it is the best single-exponential description of the charging.
    NaN if the fit does not converge.
    """
    t, v = as_trace(t, v, y_name="v")
    start, stop = check_window(t, window, "window")
    ts, vs = segment(t, v, start, stop)
    if len(ts) < 4:
        raise ValueError(
            f"window: ({start:g}, {stop:g}) ms holds {len(ts)} points; at least 4 are needed "
            "to fit an exponential"
        )
    return fit_exponential(ts - start, vs, offset=True)[1]
