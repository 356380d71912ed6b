"""Single-event metrics against alpha, dual-exponential and exponential shapes whose
peak, rise, half-width, decay and charge are known in closed form."""

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import lambertw

from neuntune.analysis import event_metrics

DT = 0.01  # ms
T = np.arange(0.0, 100.0 + DT / 2, DT)
EVENT = 10.003  # ms, between samples


def _alpha_x(c: float, branch: int) -> float:
    """Solutions of x·e^(1−x) = c (0 < c ≤ 1): x = −W(−c/e); branch 0 rises, −1 falls."""
    return float(-lambertw(-c / np.e, branch).real)


def _alpha(t: np.ndarray, onset: float, tau: float) -> np.ndarray:
    """Peak-normalised alpha function (peak 1 at onset + tau)."""
    x = np.clip((t - onset) / tau, 0.0, None)
    return x * np.exp(1.0 - x)


def test_alpha_psp_metrics():
    """Alpha EPSP of 0.8 mV on −70 mV, τ = 2 ms, starting 0.5 ms after the event.
    Sampling errors: the peak sample misses the peak by ≤ A·(dt/2)²/(2τ²) = 5e-6 mV;
    an interpolated crossing errs by ≤ |y''|dt²/(8|y'|) ≤ 1.5e-5 ms here, so a difference
    of two by ≤ 3e-5 ms; the trapezoid charge by ≤ dt²/8 times the slope jump at onset
    plus dt²/12 times the slope change, < 1e-5 relative."""
    onset, tau, amp = EVENT + 0.5, 2.0, 0.8
    v = -70.0 + amp * _alpha(T, onset, tau)
    m = event_metrics(T, v, EVENT)
    assert m.baseline == pytest.approx(-70.0, abs=1e-12)
    assert m.direction == 1
    assert m.peak == pytest.approx(amp, abs=1e-5)
    assert m.peak_time == pytest.approx(onset + tau, abs=DT / 2)
    rise = tau * (_alpha_x(0.9, 0) - _alpha_x(0.1, 0))
    assert m.rise_time == pytest.approx(rise, abs=3e-5)
    half_width = tau * (_alpha_x(0.5, -1) - _alpha_x(0.5, 0))
    assert m.half_width == pytest.approx(half_width, abs=3e-5)
    assert m.latency == pytest.approx(onset + tau * _alpha_x(0.05, 0) - EVENT, abs=1.5e-5)
    big_x = (T[-1] - onset) / tau
    charge = amp * tau * np.e * (1 - (1 + big_x) * np.exp(-big_x))
    assert m.charge == pytest.approx(charge, rel=1e-5)


def test_inward_event_gives_the_same_shape_with_negative_peak_and_charge():
    onset, tau = EVENT + 0.5, 2.0
    up = event_metrics(T, -70.0 + 0.8 * _alpha(T, onset, tau), EVENT)
    down = event_metrics(T, -70.0 - 0.8 * _alpha(T, onset, tau), EVENT)
    assert down.direction == -1
    assert down.peak == pytest.approx(-up.peak) and down.charge == pytest.approx(-up.charge)
    for name in ("peak_time", "latency", "rise_time", "half_width", "decay_tau"):
        assert getattr(down, name) == pytest.approx(getattr(up, name))
    assert event_metrics(T, -70.0 - 0.8 * _alpha(T, onset, tau), EVENT, direction="down") == down
    with pytest.raises(ValueError, match="no upward response"):
        event_metrics(T, -70.0 - 0.8 * _alpha(T, onset, tau), EVENT, direction="up")


def test_dual_exponential_psc_metrics():
    """EPSC (inward, µA) g(e^(−s/τd) − e^(−s/τr))/norm with τr = 0.2, τd = 5 ms, peak at
    s_p = τrτd/(τd − τr)·ln(τd/τr).  Crossing times come from brentq on the formula.
    Fitting the decay from where it has fallen to half the peak (s ≈ 3.7 ms) leaves a
    rise term of e^(−3.7/0.2) ≈ 1e-8: the fitted τ is τd.  Sampling bounds as for the
    alpha EPSP: peak ≤ (dt/2)²|y''|/2 = 1.25e-5 relative (|y''| ≈ 1/ms² at the peak);
    crossings ≤ |y''|dt²/(8|y'|) ≤ 7e-5 ms (steepest curvature, 1/τr, at the 10 % point);
    charge ≤ 2e-5 relative (onset kink and curvature)."""
    tau_r, tau_d, amp, delay = 0.2, 5.0, -0.05, 0.3
    s_peak = tau_r * tau_d / (tau_d - tau_r) * np.log(tau_d / tau_r)
    norm = np.exp(-s_peak / tau_d) - np.exp(-s_peak / tau_r)

    def shape(s):
        s = np.clip(s, 0.0, None)
        return (np.exp(-s / tau_d) - np.exp(-s / tau_r)) / norm

    i = amp * shape(T - EVENT - delay)
    m = event_metrics(T, i, EVENT, decay_from=0.5)
    assert m.peak == pytest.approx(amp, rel=1.25e-5)
    assert m.peak_time == pytest.approx(EVENT + delay + s_peak, abs=DT / 2)

    def crossing(c, rising):
        a, b = (0.0, s_peak) if rising else (s_peak, 100.0)
        return brentq(lambda s: shape(s) - c, a, b, xtol=1e-12)

    assert m.rise_time == pytest.approx(crossing(0.9, True) - crossing(0.1, True), abs=1.4e-4)
    assert m.half_width == pytest.approx(crossing(0.5, False) - crossing(0.5, True), abs=1.4e-4)
    assert m.decay_tau == pytest.approx(tau_d, rel=1e-5)
    span = T[-1] - EVENT - delay
    charge = (
        amp / norm * (tau_d * (1 - np.exp(-span / tau_d)) - tau_r * (1 - np.exp(-span / tau_r)))
    )
    assert m.charge == pytest.approx(charge, rel=2e-5)


def test_exponential_decay_and_stop():
    """A current that jumps to −0.03 µA and decays with τ = 3 ms on a −0.01 µA holding
    current: from its peak sample on the trace is an exact exponential, so the fitted
    τ is exact; ``stop`` limits the analysed span (and the charge) to 20 ms."""
    onset = 12.0  # on a sample: the peak sample is the jump itself
    i = -0.01 + np.where(T >= onset, -0.03 * np.exp(-(T - onset) / 3.0), 0.0)
    m = event_metrics(T, i, EVENT, stop=EVENT + 20.0)
    assert m.baseline == pytest.approx(-0.01)
    assert m.peak == pytest.approx(-0.03)
    assert m.peak_time == pytest.approx(onset)
    assert m.decay_tau == pytest.approx(3.0, rel=1e-6)
    # the jump is smeared over one sample interval, costing at most 0.03·dt/2 of charge
    charge = -0.03 * 3.0 * (1 - np.exp(-(EVENT + 20.0 - onset) / 3.0))
    assert m.charge == pytest.approx(charge, abs=0.03 * DT / 2 + 1e-6)


def test_baseline_window_averages_noise():
    rng = np.random.default_rng(2)
    v = -70.0 + 0.8 * _alpha(T, EVENT + 0.5, 2.0)
    v[T < EVENT - 0.1] += rng.normal(0.0, 0.05, np.count_nonzero(T < EVENT - 0.1))
    m = event_metrics(T, v, EVENT, baseline=(0.0, EVENT - 0.1))
    # ~1000 noise samples of σ 0.05 mV: the mean is within 5 standard errors (0.008 mV)
    assert m.baseline == pytest.approx(-70.0, abs=0.008)


def test_event_metrics_reject_bad_input():
    v = -70.0 + 0.8 * _alpha(T, EVENT + 0.5, 2.0)
    with pytest.raises(ValueError, match=r"event_time, stop: window \(200, 100\) ms is empty"):
        event_metrics(T, v, 200.0)
    with pytest.raises(ValueError, match=r"allowed: within \[0, 100\] ms"):
        event_metrics(T, v, EVENT, stop=150.0)
    with pytest.raises(ValueError, match="baseline: window"):
        event_metrics(T, v, EVENT, baseline=(-5.0, EVENT))
    with pytest.raises(ValueError, match="y: has 10 samples"):
        event_metrics(T, v[:10], EVENT)
    with pytest.raises(ValueError, match="no response"):
        event_metrics(T, np.full_like(T, -70.0), EVENT)
    with pytest.raises(ValueError, match="rise"):
        event_metrics(T, v, EVENT, rise=(0.9, 0.1))
    with pytest.raises(ValueError, match="direction"):
        event_metrics(T, v, EVENT, direction="sideways")
