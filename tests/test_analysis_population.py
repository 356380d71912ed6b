"""Population metrics against cases with known answers."""

import math

import numpy as np
import pytest

from neuntune import analysis


def regular(n: int, period: float, t_stop: float, phases: np.ndarray | None = None):
    """n cells firing every ``period`` ms from their phase (ms) on: (i, t) in time order."""
    phases = np.zeros(n) if phases is None else phases
    i = np.concatenate(
        [np.full(len(np.arange(p, t_stop, period)), k) for k, p in enumerate(phases)]
    )
    t = np.concatenate([np.arange(p, t_stop, period) for p in phases])
    order = np.argsort(t, kind="stable")
    return i[order], t[order]


def test_population_rate_of_regular_asynchronous_cells_is_their_rate() -> None:
    # 50 cells at 40 Hz (25 ms), phases spread evenly over a period: every 0.5 ms one
    # spike, so each 1 ms bin holds 2 spikes: 2 / (50 · 1 ms) = 40 Hz exactly.
    n, period = 50, 25.0
    i, t = regular(n, period, 200.0, np.arange(n) * period / n)
    rate = analysis.population_rate(i, t, n, (0.0, 200.0), bin=1.0)
    assert rate.t[0] == 0.5 and rate.t[-1] == 199.5 and len(rate.t) == 200
    np.testing.assert_allclose(rate.rate, 40.0)
    # Smoothing keeps a constant rate constant, up to the edges.
    smooth = analysis.population_rate(i, t, n, (0.0, 200.0), bin=1.0, smooth=3.0)
    np.testing.assert_allclose(smooth.rate, 40.0, rtol=1e-12)
    assert analysis.mean_rate(i, t, n, (0.0, 200.0)) == pytest.approx(40.0)


def test_population_rate_of_synchronous_cells_peaks_once_per_cycle() -> None:
    n, period = 20, 25.0
    i, t = regular(n, period, 100.0)  # all fire at 0, 25, 50, 75 ms
    rate = analysis.population_rate(i, t, n, (0.0, 100.0), bin=0.5)
    peaks = rate.t[rate.rate > 0]
    np.testing.assert_allclose(peaks, [0.25, 25.25, 50.25, 75.25])
    # Each peak: all n cells in one 0.5 ms bin = 1 / 0.5 ms = 2000 Hz per cell.
    np.testing.assert_allclose(rate.rate[rate.rate > 0], 2000.0)
    # Smoothing with a Gaussian keeps the spike count of peaks away from the edges.
    i, t = regular(n, period, 100.0, np.full(n, 12.5))  # at 12.5, 37.5, 62.5, 87.5 ms
    smooth = analysis.population_rate(i, t, n, (0.0, 100.0), bin=0.5, smooth=2.0)
    assert np.mean(smooth.rate) == pytest.approx(40.0, rel=1e-4)  # tails beyond 6σ
    # A Gaussian of σ = 2 ms holding the 2000 Hz·0.5 ms peak: height 1000/(σ√(2π)).
    assert smooth.rate.max() == pytest.approx(1000.0 / (2.0 * math.sqrt(2 * math.pi)), rel=0.01)


def test_a_short_last_bin_uses_its_own_width() -> None:
    # One cell, spikes at 0.1 and 2.1 ms; window 0–2.5 ms with 1 ms bins: last bin 0.5 ms.
    rate = analysis.population_rate([0, 0], [0.1, 2.1], 1, (0.0, 2.5), bin=1.0)
    np.testing.assert_allclose(rate.t, [0.5, 1.5, 2.25])
    np.testing.assert_allclose(rate.rate, [1000.0, 0.0, 2000.0])


def test_cell_rates_count_silent_cells_and_the_window() -> None:
    i, t = np.array([0, 0, 2, 0]), np.array([1.0, 2.0, 3.0, 150.0])
    np.testing.assert_allclose(analysis.cell_rates(i, t, 4, (0.0, 100.0)), [20.0, 0, 10.0, 0])
    assert analysis.mean_rate(i, t, 4, (0.0, 100.0)) == pytest.approx(7.5)


def test_cv_regular_is_zero_and_alternating_is_known() -> None:
    i, t = regular(3, 10.0, 100.0, np.array([0.0, 3.0, 7.0]))
    np.testing.assert_allclose(analysis.cell_cvs(i, t, 4)[:3], 0.0, atol=1e-12)
    assert np.isnan(analysis.cell_cvs(i, t, 4)[3])  # silent: no intervals
    # Intervals alternating a, b: mean (a+b)/2, std |a−b|/2, CV = |a−b|/(a+b).
    times = np.cumsum([0.0] + [2.0, 6.0] * 20)
    cv = analysis.cell_cvs(np.zeros(len(times), int), times, 1)[0]
    assert cv == pytest.approx(4.0 / 8.0)
    # One member with two spikes (one interval) has no CV; the mean skips it.
    assert analysis.mean_cv([0, 0, 1, 1, 1], [0.0, 5.0, 0.0, 2.0, 8.0], 2) == pytest.approx(0.5)


def test_cv_of_poisson_trains_is_near_one() -> None:
    rng = np.random.default_rng(3)
    n = 20
    trains = [np.cumsum(rng.exponential(10.0, 2000)) for _ in range(n)]
    i = np.concatenate([np.full(len(s), k) for k, s in enumerate(trains)])
    t = np.concatenate(trains)
    assert analysis.mean_cv(i, t, n) == pytest.approx(1.0, abs=0.03)


def test_chi_of_identical_traces_is_one() -> None:
    time = np.linspace(0.0, 100.0, 5001)
    v = np.tile(-65 + 30 * np.sin(2 * np.pi * time / 25.0), (10, 1))
    sync = analysis.golomb_synchrony(v)
    assert sync.chi == pytest.approx(1.0) and sync.chi2 == pytest.approx(1.0)
    assert sync.members == 10
    # A member-wise offset changes no variance: still 1.
    assert analysis.golomb_synchrony(v + np.arange(10)[:, None]).chi == pytest.approx(1.0)


def test_chi_of_evenly_spread_phases_is_zero() -> None:
    # N sines with phases 2πk/N over whole periods: the average is 0 at every time.
    n = 8
    time = np.arange(0.0, 100.0, 0.01)
    phases = 2 * np.pi * np.arange(n) / n
    v = np.sin(2 * np.pi * time / 25.0 + phases[:, None])
    assert analysis.golomb_synchrony(v).chi == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("n", [10, 100])
def test_chi_of_independent_phases_is_about_one_over_sqrt_n(n: int) -> None:
    # N sines with independent random phases: E[χ²] = 1/N (the average of N unit
    # phasors has squared modulus 1/N on average).  Averaged over 200 draws.
    rng = np.random.default_rng(1)
    time = np.arange(0.0, 100.0, 0.05)
    chi2 = [
        analysis.golomb_synchrony(
            np.sin(2 * np.pi * time / 25.0 + rng.uniform(0, 2 * np.pi, n)[:, None])
        ).chi2
        for _ in range(200)
    ]
    assert np.mean(chi2) == pytest.approx(1.0 / n, rel=0.15)
    # Independent noise: the same 1/√N, to sampling error.
    noise = rng.normal(size=(n, 20000))
    assert analysis.golomb_synchrony(noise).chi * math.sqrt(n) == pytest.approx(1.0, rel=0.05)


def test_constant_traces_have_no_chi_and_bad_input_is_named() -> None:
    assert np.isnan(analysis.golomb_synchrony(np.full((3, 10), -65.0)).chi)
    with pytest.raises(ValueError, match="members, samples"):
        analysis.golomb_synchrony(np.zeros(10))
    with pytest.raises(ValueError, match="0 to 1"):
        analysis.population_rate([0, 2], [1.0, 2.0], 2, (0.0, 10.0))
    with pytest.raises(ValueError, match="window"):
        analysis.population_rate([0], [1.0], 1, (5.0, 5.0))
    with pytest.raises(ValueError, match="bin"):
        analysis.population_rate([0], [1.0], 1, (0.0, 5.0), bin=0)
    with pytest.raises(ValueError, match="equal length"):
        analysis.cell_cvs([0, 0], [1.0], 1)
