"""BMTool 0.8.7's measurement conventions (``bmtool.synapses``), reproduced exactly.

These functions give the numbers BMTool's ``SynapseTuner`` and ``GapJunctionTuner``
report, including their quirks, so BMTool users can compare like with like; the
physically meaningful measures are neuntune's own (:mod:`neuntune.analysis.train`,
:mod:`neuntune.analysis.psp`, :mod:`neuntune.analysis.coupling`).  Each function's
docstring says in one line where BMTool differs.  Line references are to BMTool
0.8.7's ``synapses.py``; the reference numbers are in ``tests/data/bmtool_0.8.7.json``
(``benchmarks/bmtool_reference.py``).

Traces are NEURON's fixed-step samples: sample k at time k·dt (ms), starting at
t = 0, in the unit recorded (BMTool records ``syn.i`` and the ``VClamp``'s ``i`` in
nA, NEURON's convention: positive outward).  Spike times are the presynaptic
``NetStim``'s firing times (ms), not the arrival times (``+ delay``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


def _samples(y: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(y, dtype=np.float64)
    if a.ndim != 1 or a.size < 2:
        raise ValueError(f"{name}: expected a 1-D trace of at least 2 samples")
    return a


def _check_dt(dt: float) -> float:
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt: {dt!r} ms is not allowed; it must be > 0")
    return float(dt)


def bmtool_baseline_sign(ref: ArrayLike, t_first: float, dt: float) -> tuple[float, float]:
    """BMTool's ``_get_syn_prop(short=True)`` (S:1012-1030): the sample of ``ref`` (a
    trace sampled every ``dt`` ms) at floor(t_first/dt) and the sign (±1) of its largest
    deviation from it after that."""
    ref = _samples(ref, "reference")
    dt = _check_dt(dt)
    k = int(np.floor(t_first / dt))
    if not 0 <= k < ref.size:
        raise ValueError(
            f"spike_times: the first spike, {t_first:g} ms, is outside the trace "
            f"(0 to {(ref.size - 1) * dt:g} ms at dt {dt:g} ms)"
        )
    baseline = ref[k]
    dev = ref[k:] - baseline
    return float(baseline), float(np.sign(dev[np.argmax(np.abs(dev))]))


def bmtool_amplitudes(
    i: ArrayLike,
    spike_times: ArrayLike,
    dt: float,
    *,
    delay: float = 1.3,
    t_stop: float | None = None,
    reference: ArrayLike | None = None,
    baseline: float | None = None,
    sign: float | None = None,
) -> np.ndarray:
    """Per-pulse amplitudes as ``SynapseTuner._response_amplitude`` (S:1184-1224)
    computes them, in the unit of ``i`` (nA for BMTool's ``syn.i``), signed as BMTool
    signs them (positive when its sign guess is right).

    ``i``: the synaptic current, sample k at k·``dt`` ms.  ``spike_times``: the NetStim
    firing times (ms; BMTool's ``tspk``).  ``delay``: the NetCon delay (ms,
    ``general_settings["delay"]``).  ``t_stop``: ``h.tstop`` (ms; default the last
    sample's time).  The **global** baseline and the sign come from ``reference`` (the
    trace BMTool's ``_get_syn_prop`` reads: the clamp current ``ivcl`` when ``vclamp``
    is True, else ``i``, the default): its sample at floor(t₁/dt) and the sign of its
    largest deviation after it; ``baseline`` / ``sign`` override them.  Pulse k's
    amplitude is max(sign·(i − baseline)) over samples floor((tₖ + delay)/dt) to
    floor((tₖ₊₁ + delay)/dt) − 1, with t_stop after the last spike (a window that
    falls off the trace's end is cut; an empty one drops the last pulse, as BMTool's
    ``except`` does).

    Differs from :func:`~neuntune.analysis.train_amplitudes`: one global baseline
    (taken from the clamp current when vclamp, so its holding current is subtracted
    from ``syn.i``) and floor-indexed windows from the arrival times, not a local
    baseline interpolated at each pulse and windows between pulses.
    """
    y = _samples(i, "i")
    dt = _check_dt(dt)
    spikes = np.asarray(spike_times, dtype=np.float64).ravel()
    if spikes.size == 0:
        raise ValueError("spike_times: no spikes given")
    ref = y if reference is None else _samples(reference, "reference")
    b, s = bmtool_baseline_sign(ref, float(spikes[0]), dt)
    b = b if baseline is None else float(baseline)
    s = s if sign is None else float(sign)
    stop = (y.size - 1) * dt if t_stop is None else float(t_stop)
    dev = (y - b) * s
    edges = np.floor((np.append(spikes, stop) + delay) / dt).astype(int)
    try:
        return np.array([dev[edges[k] : edges[k + 1]].max() for k in range(spikes.size)])
    except ValueError:  # an empty window (BMTool: "the sim can cut off at the peak")
        return np.array([dev[edges[k] : edges[k + 1]].max() for k in range(spikes.size - 1)])


@dataclass(frozen=True)
class BMToolTrainMetrics:
    """BMTool's short-term plasticity metrics (dimensionless, except ``p90`` in pA).

    ``ppr`` = (A2 − A1)/P90; ``induction`` = (mean A6–8 − A1)/P90; ``recovery`` =
    (mean A9–12 − mean A1–4)/P90; ``simple_ppr`` = A2/A1; ``p90``: the 90th percentile
    (numpy's linear interpolation) of all the amplitudes, in pA, with BMTool's signs.
    """

    ppr: float
    induction: float
    recovery: float
    simple_ppr: float
    p90: float


def bmtool_train_metrics(amplitudes: ArrayLike, *, scale: float = 1000.0) -> BMToolTrainMetrics:
    """``SynapseTuner._calc_ppr_induction_recovery`` (S:1244-1341), exactly.

    ``amplitudes``: A1…A12 as :func:`bmtool_amplitudes` returns them (nA, BMTool's
    signs); they are multiplied by ``scale`` (BMTool's nA → pA) before the metrics,
    as BMTool does.  With fewer than 12, the slices are BMTool's (A6–8 of 7
    amplitudes is A6–7); an empty one gives NaN.

    Differs from :func:`~neuntune.analysis.train_metrics`: the amplitudes are used with
    BMTool's signs (not turned upright by A1's sign), so a wrong sign guess flips
    every metric; and BMTool's train delivers pulses 9–12 through a second NetCon with
    fresh plasticity state, so its "recovery" is ≈ 0 whatever the depression.
    """
    a = np.asarray(amplitudes, dtype=np.float64).ravel() * scale
    if a.size < 2 or not np.all(np.isfinite(a)):
        raise ValueError("amplitudes: expected at least 2 finite amplitudes")
    amp = a.reshape(-1, a.shape[-1])
    p90 = np.percentile(amp, 90)

    def mean(x: np.ndarray) -> float:
        return float(np.mean(x)) if x.size else float("nan")

    first = mean(amp[:, 0:1])
    return BMToolTrainMetrics(
        ppr=float((mean(amp[:, 1:2]) - first) / p90),
        induction=float((mean(amp[:, 5:8]) - mean(amp[:, :1])) / p90),
        recovery=float((mean(amp[:, 8:12]) - mean(amp[:, :4])) / p90),
        simple_ppr=float(mean(amp[:, 1:2]) / first),
        p90=float(p90),
    )


@dataclass(frozen=True)
class BMToolSynProps:
    """BMTool's single-event properties (``_get_syn_prop``).

    ``baseline`` (unit of the trace, nA for BMTool), ``sign`` (±1), ``amp`` (the peak
    after baseline subtraction, upright, unit of the trace); ``latency``,
    ``rise_time``, ``decay_time``, ``half_width``, ``half_width_true`` in ms.
    ``half_width`` is what BMTool reports: the half-maximum onset index is counted
    from the response's start (``istart``) but the offset from the spike sample, so it
    is too long by ``latency − dt``; ``half_width_true`` counts both from the spike.
    """

    baseline: float
    sign: float
    latency: float
    amp: float
    rise_time: float
    decay_time: float
    half_width: float
    half_width_true: float


def _find_first(x: np.ndarray) -> int | None:
    idx = np.nonzero(x)[0]
    return int(idx[0]) if idx.size else None


def bmtool_syn_props(
    y: ArrayLike,
    spike_time: float,
    dt: float,
    *,
    rise_interval: tuple[float, float] = (0.2, 0.8),
) -> BMToolSynProps:
    """``SynapseTuner._get_syn_prop`` (S:993-1069), exactly, on the trace it reads
    (``syn.i`` or, with ``vclamp`` True, the clamp current; nA).

    ``spike_time``: the NetStim's first firing time (ms, ``tspk[0]``).  From sample
    floor(spike_time/dt): baseline = that sample; sign of the largest deviation; peak
    = the first local maximum (``find_peaks``) of the upright trace; ``latency`` =
    dt·(first rising sample + 1) from the spike (so it includes the NetCon delay);
    ``rise_time`` between the first samples above ``rise_interval`` × peak; decay τ
    from ``curve_fit`` of a·exp(−t/τ) from the peak to the first rise after it (or the
    trace's end), started at (peak, dt·n/2); half-widths as in
    :class:`BMToolSynProps`.  Raises ``RuntimeError`` where BMTool's fit does.

    Differs from :func:`~neuntune.analysis.event_metrics`: sample-quantised (no
    interpolation), latency from the spike not the arrival, the decay fitted over the
    whole tail, and BMTool's half-width offset error (``half_width_true`` corrects it).
    """
    from scipy.optimize import curve_fit
    from scipy.signal import find_peaks

    isyn = _samples(y, "y")
    dt = _check_dt(dt)
    baseline, sign = bmtool_baseline_sign(isyn, float(spike_time), dt)
    ispk = int(np.floor(float(spike_time) / dt))
    isyn = (isyn[ispk:] - baseline) * sign
    peaks, _ = find_peaks(isyn)
    if peaks.size == 0:
        raise ValueError("y: no peak after the spike (BMTool raises IndexError here)")
    ipk = int(peaks[0])
    peak = isyn[ipk]
    istart = _find_first(np.diff(isyn[: ipk + 1]) > 0)
    latency = dt * (istart + 1)
    rt1 = _find_first(isyn[istart : ipk + 1] > rise_interval[0] * peak)
    rt2 = _find_first(isyn[istart : ipk + 1] > rise_interval[1] * peak)
    rise_time = (rt2 - rt1) * dt
    iend = _find_first(np.diff(isyn[ipk:]) > 0)
    iend = isyn.size - 1 if iend is None else iend + ipk
    decay_len = iend - ipk + 1
    popt, _ = curve_fit(
        lambda t, a, tau: a * np.exp(-t / tau),
        dt * np.arange(decay_len),
        isyn[ipk : iend + 1],
        p0=(peak, dt * decay_len / 2),
    )
    hw1 = _find_first(isyn[istart : ipk + 1] > 0.5 * peak)
    hw2 = _find_first(isyn[ipk:] < 0.5 * peak)
    hw2 = isyn.size if hw2 is None else hw2 + ipk
    return BMToolSynProps(
        baseline=float(baseline),
        sign=float(sign),
        latency=float(latency),
        amp=float(peak),
        rise_time=float(rise_time),
        decay_time=float(popt[1]),
        half_width=float(dt * (hw2 - hw1)),
        half_width_true=float(dt * (hw2 - (istart + hw1))),
    )


def bmtool_cc(
    t: ArrayLike, v_source: ArrayLike, v_target: ArrayLike, t_start: float, t_end: float
) -> float:
    """``GapJunctionTuner.coupling_coefficient`` (S:2928-2958): ΔV_target/ΔV_source
    (dimensionless) from two single samples, the last with t < ``t_start`` and the last
    with t < ``t_end`` (ms; BMTool passes the step's start and end).  ``t`` in ms,
    voltages in mV; ``v_source`` is the cell the current is injected into.

    Differs from :func:`~neuntune.analysis.cc_from_traces`: one sample each, at the
    step's very end, not window means, so it is noisy on noisy traces and below the
    steady state when the step is short against the membrane time constant.
    """
    t = _samples(t, "t")
    v1 = _samples(v_source, "v_source")
    v2 = _samples(v_target, "v_target")
    if not (t.size == v1.size == v2.size):
        raise ValueError(
            f"t, v_source, v_target: {t.size}, {v1.size} and {v2.size} samples; "
            "they must have the same length"
        )
    before = np.nonzero(t < t_start)[0]
    if before.size == 0:
        raise ValueError(f"t_start: {t_start:g} ms; no sample before it (t from {t[0]:g} ms)")
    idx1 = int(before[-1])
    idx2 = int(np.nonzero(t < t_end)[0][-1])
    dv1 = v1[idx2] - v1[idx1]
    if dv1 == 0:
        raise ValueError("v_source: does not change between the two samples; CC undefined")
    return float((v2[idx2] - v2[idx1]) / dv1)
