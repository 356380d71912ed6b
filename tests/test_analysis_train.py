"""Train amplitudes, plasticity metrics and frequency response on synthetic trains
with known per-pulse amplitudes."""

import numpy as np
import pytest

from neuntune.analysis import frequency_response, train_amplitudes, train_metrics

DT = 0.01  # ms


def _alpha_train(pulses, amplitudes, tau, t_stop, delay=1.0, dt=DT):
    """Sum of peak-normalised alpha responses (peak = amplitude) starting ``delay`` ms after
    each pulse, on a −65 mV resting level, sampled every ``dt`` ms."""
    t = np.arange(0.0, t_stop, dt)
    y = np.full_like(t, -65.0)
    for p, a in zip(pulses, amplitudes, strict=True):
        x = np.clip((t - p - delay) / tau, 0.0, None)
        y += a * x * np.exp(1.0 - x)
    return t, y


# BMTool's protocol shape: 8 pulses, a gap, 4 more
AMPLITUDES = np.array([1.0, 1.6, 1.9, 2.0, 1.8, 1.7, 1.6, 1.5, 1.2, 1.1, 1.05, 1.0])
PULSES = np.concatenate((10.0 + 50.0 * np.arange(8), 610.0 + 50.0 * np.arange(4)))


def test_separated_responses_give_their_own_amplitudes():
    """Responses (τ = 1 ms) have decayed to ~e^−47 by the next pulse, so local and
    global baselines agree; the peak sample errs by ≤ A·(dt/2)²/(2τ²) ≈ 1.25e-5·A."""
    t, y = _alpha_train(PULSES, AMPLITUDES, 1.0, 850.0)
    for baseline in ("local", "global"):
        found = train_amplitudes(t, y, PULSES, baseline=baseline)
        np.testing.assert_allclose(found, AMPLITUDES, rtol=1.25e-5)
    inward = train_amplitudes(t, -130.0 - y, PULSES)  # mirror image around −65 mV
    np.testing.assert_allclose(inward, -AMPLITUDES, rtol=1.25e-5)


def test_overlapping_responses_local_and_global_baselines():
    """Instant-rise exponentials (τ = 10 ms) starting d = 0.5 ms after pulses 20 ms apart
    overlap.  With tail(t) the sum of the earlier responses at t: the local amplitude
    is A_k − tail(p_k)(1 − e^(−d/τ)) (the tail keeps decaying until the jump), the
    global one A_k + tail(p_k + d).  Pulses and jumps fall on samples, so both are exact."""
    tau, n_delay, n_interval = 10.0, 50, 2000  # delay and interval in samples
    t = np.arange(20_000) * DT
    idx = 100 + n_interval * np.arange(6)
    amps = np.array([2.0, 1.5, 1.2, 1.0, 0.9, 0.8])
    y = np.full_like(t, -0.02)
    for i, a in zip(idx, amps, strict=True):
        on = np.arange(len(t)) >= i + n_delay
        y += np.where(on, -a * np.exp(-(t - t[i + n_delay]) / tau), 0.0)  # inward currents
    pulses, d = t[idx], n_delay * DT

    def tail(k, at):
        return sum(amps[j] * np.exp(-(at - pulses[j] - d) / tau) for j in range(k))

    local = [amps[k] - tail(k, pulses[k]) * (1 - np.exp(-d / tau)) for k in range(6)]
    total = [amps[k] + tail(k, pulses[k] + d) for k in range(6)]
    np.testing.assert_allclose(train_amplitudes(t, y, pulses), -np.array(local), rtol=1e-12)
    np.testing.assert_allclose(
        train_amplitudes(t, y, pulses, baseline="global"), -np.array(total), rtol=1e-12
    )


def test_baseline_window_and_input_errors():
    t, y = _alpha_train(PULSES, AMPLITUDES, 1.0, 850.0)
    found = train_amplitudes(t, y, PULSES, baseline_window=5.0)
    np.testing.assert_allclose(found, AMPLITUDES, rtol=1.25e-5)
    with pytest.raises(ValueError, match="baseline_window: window"):
        train_amplitudes(t, y, PULSES, baseline_window=20.0)  # reaches before t = 0
    with pytest.raises(ValueError, match=r"pulse_times: .* allowed: within \[0, 849.99\) ms"):
        train_amplitudes(t, y, [10.0, 900.0])
    with pytest.raises(ValueError, match="pulse_times: times must be strictly increasing"):
        train_amplitudes(t, y, [10.0, 10.0])
    with pytest.raises(ValueError, match="baseline"):
        train_amplitudes(t, y, PULSES, baseline="median")


def test_train_metrics_by_hand():
    """A = 10, 5, 4, 3, 3, 2, 2, 2, 6, 7, 8, 9.  Sorted, the 90th percentile lies 0.9·11 =
    9.9 places in: 8 + 0.9·(9 − 8) = 8.9.  PPR = (5 − 10)/8.9; induction =
    (mean(2, 2, 2) − 10)/8.9; recovery = (mean(6, 7, 8, 9) − mean(10, 5, 4, 3))/8.9."""
    a = [10, 5, 4, 3, 3, 2, 2, 2, 6, 7, 8, 9]
    m = train_metrics(a)
    assert m.p90 == pytest.approx(8.9)
    assert m.paired_pulse_ratio == pytest.approx(0.5)
    assert m.ppr == pytest.approx(-5 / 8.9)
    assert m.induction == pytest.approx(-8 / 8.9)
    assert m.recovery == pytest.approx(2 / 8.9)
    assert m.steady_ratio == pytest.approx(0.2)
    assert train_metrics(-np.array(a, dtype=float)) == m  # inward responses alike
    eight = train_metrics(a[:8])
    assert np.isnan(eight.recovery) and not np.isnan(eight.induction)
    two = train_metrics(a[:2])
    assert two.paired_pulse_ratio == 0.5 and np.isnan(two.induction)
    with pytest.raises(ValueError, match="amplitudes: expected"):
        train_metrics([1.0])
    with pytest.raises(ValueError, match="first amplitude is 0"):
        train_metrics([0.0, 1.0])


def _depressing_amplitudes(frequency: float, n: int, use: float, dep: float) -> np.ndarray:
    """Tsodyks–Markram depression: release U·R, R ← R − U·R after each spike, then
    recovery R ← 1 − (1 − R)e^(−Δ/Dep) over the interval Δ."""
    interval = 1000.0 / frequency
    r, out = 1.0, []
    for _ in range(n):
        out.append(use * r)
        r = 1.0 - (1.0 - r * (1.0 - use)) * np.exp(-interval / dep)
    return np.array(out)


def test_frequency_response_of_a_depressing_synapse():
    """Twelve pulses per train.  PPR A2/A1 = 1 − U·e^(−Δ/Dep).  Alpha responses (τ = 0.25 ms)
    have fallen to x·e^(1−x) ≈ 2e-7 of their peak by the next pulse (x = 19 at 200 Hz),
    so amplitudes are exact up to the peak sampling, ≤ (dt/2)²/(2τ²) = 5e-5 relative
    with dt = 0.005 ms."""
    use, dep = 0.5, 100.0
    runs = {}
    for f in (200.0, 5.0, 50.0, 20.0):  # unordered on purpose
        pulses = 5.0 + 1000.0 / f * np.arange(12)
        amps = _depressing_amplitudes(f, 12, use, dep)
        t, y = _alpha_train(pulses, amps, 0.25, pulses[-1] + 1000.0 / f, delay=0.2, dt=0.005)
        runs[f] = (t, y, pulses)
    fr = frequency_response(runs)
    np.testing.assert_array_equal(fr.frequency, [5.0, 20.0, 50.0, 200.0])
    expected_ppr = 1 - use * np.exp(-1000.0 / fr.frequency / dep)
    np.testing.assert_allclose(fr.paired_pulse_ratio, expected_ppr, rtol=1e-4)
    for f, amps in zip(fr.frequency, fr.amplitudes, strict=True):
        np.testing.assert_allclose(amps, _depressing_amplitudes(f, 12, use, dep), rtol=5e-5)
    assert np.all(np.diff(fr.steady_ratio) < 0)  # more depression at higher rates
    with pytest.raises(ValueError, match="responses: no frequencies"):
        frequency_response({})
