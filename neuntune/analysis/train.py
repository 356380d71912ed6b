"""Responses to trains of presynaptic pulses: per-pulse amplitudes, short-term
plasticity metrics (BMTool SynapseTuner's PPR, induction and recovery) and the
frequency response.

Protocol (DESIGN.md): 8 pulses at 50 Hz, then 4 more after a 250 ms gap.  With
amplitudes A1..A12 and P90 their 90th percentile (BMTool computes it over the
amplitudes): simple PPR = A2/A1; ppr = (A2 − A1)/P90; induction =
(mean A6–8 − A1)/P90; recovery = (mean A9–12 − mean A1–4)/P90.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .traces import as_times, as_trace, response_sign, segment, window_mean


def train_amplitudes(
    t: ArrayLike,
    y: ArrayLike,
    pulse_times: ArrayLike,
    *,
    baseline: Literal["local", "global"] = "local",
    baseline_window: float = 0.0,
    direction: Literal["auto", "up", "down"] = "auto",
) -> np.ndarray:
    """Signed amplitude of the response to each pulse, in the unit of ``y`` (mV or µA).

    ``t`` and ``pulse_times`` in ms.  Pulse k's peak is searched from its time to the
    next pulse (the last pulse: one inter-pulse interval, or to the end of the trace).
    ``baseline="local"``: the peak relative to the level just before the pulse, so a
    response riding on the previous one's tail counts only its own increment;
    ``"global"``: relative to the level before the first pulse (BMTool's convention,
    which includes any summation).  The level is the value at the pulse time, or the
    mean over the ``baseline_window`` ms before it when that is > 0 (noisy data).
    ``direction``: "auto" takes the sign of the first response; amplitudes are
    measured in that direction for every pulse (negative for inward currents).
    """
    t, y = as_trace(t, y)
    pulses = as_times(pulse_times, "pulse_times", strict=True)
    if len(pulses) == 0:
        raise ValueError("pulse_times: no pulses given")
    if pulses[0] < t[0] or pulses[-1] >= t[-1]:
        raise ValueError(
            f"pulse_times: pulses from {pulses[0]:g} to {pulses[-1]:g} ms; "
            f"allowed: within [{t[0]:g}, {t[-1]:g}) ms, the span of t"
        )
    if baseline not in ("local", "global"):
        raise ValueError(f"baseline: {baseline!r} is not 'local' or 'global'")
    if not baseline_window >= 0:
        raise ValueError(f"baseline_window: {baseline_window!r} ms is not allowed; it must be ≥ 0")
    last = pulses[-1] + (pulses[-1] - pulses[-2]) if len(pulses) > 1 else t[-1]
    ends = np.append(pulses[1:], min(last, t[-1]))
    if baseline_window > 0:
        levels = np.array(
            [window_mean(t, y, (p - baseline_window, p), "baseline_window") for p in pulses]
        )
    else:
        levels = np.interp(pulses, t, y)
    if baseline == "global":
        levels[:] = levels[0]
    responses = [segment(t, y, p, e)[1] - b for p, e, b in zip(pulses, ends, levels, strict=True)]
    sign = response_sign(responses[0], direction)
    return np.array([sign * np.max(sign * r) for r in responses])


@dataclass(frozen=True)
class TrainMetrics:
    """Short-term plasticity of a train response (all dimensionless except ``p90``).

    ``paired_pulse_ratio`` = A2/A1; ``ppr`` = (A2 − A1)/P90; ``induction`` =
    (mean A6–8 − A1)/P90; ``recovery`` = (mean A9–12 − mean A1–4)/P90;
    ``steady_ratio`` = mean A6–8 / A1 (the end of an 8-pulse train relative to its
    start); ``p90``: the 90th percentile of the amplitudes (unit of the amplitudes,
    sign taken positive).  Above 1 (ratios) or 0 (the others) means facilitation,
    below means depression.  NaN when the train has too few pulses for a metric.
    """

    paired_pulse_ratio: float
    ppr: float
    induction: float
    recovery: float
    steady_ratio: float
    p90: float


def train_metrics(amplitudes: ArrayLike) -> TrainMetrics:
    """Plasticity metrics from per-pulse amplitudes A1, A2, ... (any unit, as returned by
    :func:`train_amplitudes`).  Amplitudes are taken relative to the sign of A1, so
    inward and outward responses give the same numbers."""
    a = np.asarray(amplitudes, dtype=np.float64)
    if a.ndim != 1 or len(a) < 2 or not np.all(np.isfinite(a)):
        raise ValueError("amplitudes: expected a 1-D sequence of at least 2 finite amplitudes")
    if a[0] == 0:
        raise ValueError("amplitudes: the first amplitude is 0, so ratios to it are undefined")
    a = a * np.sign(a[0])
    p90 = float(np.percentile(a, 90))
    steady = a[5:8].mean() if len(a) >= 8 else np.nan
    return TrainMetrics(
        paired_pulse_ratio=float(a[1] / a[0]),
        ppr=float((a[1] - a[0]) / p90),
        induction=float((steady - a[0]) / p90),
        recovery=float((a[8:12].mean() - a[:4].mean()) / p90) if len(a) >= 12 else np.nan,
        steady_ratio=float(steady / a[0]),
        p90=p90,
    )


@dataclass(frozen=True, eq=False)
class FrequencyResponse:
    """Train metrics against stimulation frequency.

    ``frequency`` (Hz, ascending); ``amplitudes``: each train's per-pulse amplitudes
    (unit of the traces); the other fields are arrays over frequency of the
    :class:`TrainMetrics` fields of the same name.
    """

    frequency: np.ndarray
    amplitudes: list[np.ndarray]
    paired_pulse_ratio: np.ndarray
    ppr: np.ndarray
    induction: np.ndarray
    recovery: np.ndarray
    steady_ratio: np.ndarray
    p90: np.ndarray


def frequency_response(
    responses: Mapping[float, tuple[ArrayLike, ArrayLike, ArrayLike]],
    *,
    baseline: Literal["local", "global"] = "local",
    baseline_window: float = 0.0,
    direction: Literal["auto", "up", "down"] = "auto",
) -> FrequencyResponse:
    """Metrics of train responses at several frequencies (e.g. 1–200 Hz).

    ``responses`` maps each frequency (Hz) to ``(t, y, pulse_times)`` of the run at
    that frequency (ms, mV or µA, ms).  The options are those of
    :func:`train_amplitudes`.
    """
    if not responses:
        raise ValueError("responses: no frequencies given")
    frequency = np.array(sorted(float(f) for f in responses))
    if not np.all(frequency > 0):
        raise ValueError(f"responses: frequencies must be > 0 Hz, got {frequency.min():g}")
    by_frequency = {float(f): run for f, run in responses.items()}
    amplitudes = [
        train_amplitudes(
            *by_frequency[f],
            baseline=baseline,
            baseline_window=baseline_window,
            direction=direction,
        )
        for f in frequency
    ]
    metrics = [train_metrics(a) for a in amplitudes]
    columns = {
        field.name: np.array([getattr(m, field.name) for m in metrics])
        for field in fields(TrainMetrics)
    }
    return FrequencyResponse(frequency, amplitudes, **columns)
