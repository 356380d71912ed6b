"""Spike times, rate, ISIs, CV and bursts against signals whose answers are known."""

import numpy as np
import pytest

from neuntune.analysis import burst_threshold, bursts, cv, firing_rate, isi, spike_times


def test_spike_times_are_interpolated_threshold_crossings_of_a_sine():
    """v = 40 sin(ωt) − 20 crosses 0 upward where sin = 1/2, at t = (1/12 + k)/f.
    Linear interpolation errs by at most |v''|dt²/(8|v'|) = ω·dt²/(8 cos 30°) ≈ 5e-6 ms."""
    f = 0.05  # 1/ms (50 Hz)
    t = np.arange(0.0, 100.0, 0.01)
    v = 40.0 * np.sin(2 * np.pi * f * t) - 20.0
    np.testing.assert_allclose(spike_times(t, v), (1 / 12 + np.arange(5)) / f, atol=1e-5)
    # a threshold of −20 mV is crossed at the sine's own zero crossings, t = k/f (not t = 0:
    # the trace starts at the threshold, which is not a crossing)
    np.testing.assert_allclose(spike_times(t, v, threshold=-20.0), np.arange(1, 5) / f, atol=1e-5)


def test_spike_times_on_irregular_samples():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0.0, 100.0, 20000))
    v = 40.0 * np.sin(2 * np.pi * 0.05 * t) - 20.0
    # the largest gap between samples sets the interpolation error, as above
    gap = np.max(np.diff(t))
    bound = 2 * np.pi * 0.05 * gap**2 / (8 * np.cos(np.pi / 6))
    np.testing.assert_allclose(spike_times(t, v), (1 / 12 + np.arange(5)) / 0.05, atol=bound)


def test_rate_counts_spikes_in_a_half_open_window():
    spikes = np.arange(0.0, 1000.0, 10.0)  # 100 Hz
    assert firing_rate(spikes, (0.0, 1000.0)) == pytest.approx(100.0)
    assert firing_rate(spikes, (5.0, 15.0)) == pytest.approx(100.0)  # one spike, at 10 ms
    assert firing_rate(spikes, (10.0, 20.0)) == pytest.approx(100.0)  # 10 counts, 20 does not
    assert firing_rate([], (0.0, 50.0)) == 0.0
    with pytest.raises(ValueError, match="window"):
        firing_rate(spikes, (20.0, 10.0))


def test_isi_and_cv_of_deterministic_trains():
    np.testing.assert_allclose(isi([1.0, 3.0, 7.0]), [2.0, 4.0])
    assert cv(np.arange(0.0, 500.0, 12.5)) == pytest.approx(0.0, abs=1e-12)
    # intervals alternating 4 and 12 ms: mean 8, standard deviation 4, CV = 1/2
    alternating = np.cumsum(np.concatenate(([0.0], np.tile([4.0, 12.0], 50))))
    assert cv(alternating) == pytest.approx(0.5, rel=1e-12)
    assert np.isnan(cv([1.0, 2.0]))  # one interval has no spread
    with pytest.raises(ValueError, match="spikes"):
        isi([3.0, 1.0])


def test_cv_of_a_poisson_train_is_one():
    """Exponential ISIs have CV 1; by the delta method the estimate's standard error is
    1/√N = 0.01 for N = 10⁴ intervals, so 0.05 is five standard errors."""
    rng = np.random.default_rng(7)
    spikes = np.cumsum(rng.exponential(25.0, 10_001))
    assert cv(spikes) == pytest.approx(1.0, abs=0.05)


def _bursting_train() -> tuple[np.ndarray, list[int], np.ndarray]:
    """Six bursts starting every 250 ms with 3, 4 or 5 spikes 4–8 ms apart."""
    rng = np.random.default_rng(3)
    onsets = 100.0 + 250.0 * np.arange(6)
    sizes = [3, 4, 5, 3, 4, 5]
    spikes = [
        onset + np.concatenate(([0.0], np.cumsum(rng.uniform(4.0, 8.0, size - 1))))
        for onset, size in zip(onsets, sizes, strict=True)
    ]
    return np.concatenate(spikes), sizes, onsets


def test_bursts_are_found_with_the_automatic_limit():
    spikes, sizes, onsets = _bursting_train()
    found = bursts(spikes)
    assert found.count == 6
    np.testing.assert_array_equal(found.n_spikes, sizes)
    np.testing.assert_allclose(found.start, onsets)
    assert found.period == pytest.approx(250.0)
    assert found.spikes_per_burst == pytest.approx(4.0)
    # the limit falls in the gap between intra-burst ISIs (≤ 8 ms) and the quiet intervals
    intervals = isi(spikes)
    assert intervals[intervals < 50].max() < found.max_isi < intervals[intervals > 50].min()
    assert burst_threshold(spikes) == found.max_isi


def test_burst_options_and_non_bursting_trains():
    spikes, sizes, _ = _bursting_train()
    assert bursts(spikes, max_isi=3.0).count == 0  # every intra-burst ISI is ≥ 4 ms
    np.testing.assert_array_equal(
        bursts(spikes, min_spikes=4).n_spikes, [s for s in sizes if s >= 4]
    )
    # an isolated spike between bursts is not a burst and does not disturb the others
    with_single = np.sort(np.append(spikes, 230.0))
    assert bursts(with_single).count == 6
    tonic = np.arange(0.0, 1000.0, 20.0)
    assert np.isnan(burst_threshold(tonic))
    assert bursts(tonic).count == 0 and np.isnan(bursts(tonic).period)
    with pytest.raises(ValueError, match="min_spikes"):
        bursts(spikes, min_spikes=1)
    with pytest.raises(ValueError, match="max_isi"):
        bursts(spikes, max_isi=0.0)
