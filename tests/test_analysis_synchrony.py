"""Synchrony measures against sines and spike trains with known answers."""

import numpy as np
import pytest
from scipy.special import i0, i1

from neuntune.analysis import (
    coincidence_factor,
    mean_abs_difference,
    pearson,
    pearson_from_sums,
    phase_locking,
    spike_times,
)

PERIOD = 25.0  # ms
N_PER_PERIOD = 1000
T = np.arange(8 * N_PER_PERIOD) * (PERIOD / N_PER_PERIOD)  # exactly 8 periods
OMEGA = 2 * np.pi / PERIOD


@pytest.mark.parametrize("phi", [0.0, np.pi / 3, np.pi / 2, 2 * np.pi / 3, np.pi])
def test_correlation_of_shifted_sines_is_cos_phi(phi):
    """Over whole periods of uniform samples the discrete sums of sin·sin equal their
    integrals exactly, so the correlation is cos φ to rounding; offsets and scales
    (resting potential, amplitude) do not matter."""
    v1 = -65.0 + 10.0 * np.sin(OMEGA * T)
    v2 = -50.0 + 3.0 * np.sin(OMEGA * T + phi)
    assert pearson(v1, v2) == pytest.approx(np.cos(phi), abs=1e-12)


def test_correlation_of_a_small_signal_on_a_large_offset_matches_a_centred_solve():
    """Sums of squares about the mean, not Σx² − n·x̄²: a 1 µV signal on a −65 mV
    baseline, 10⁵ samples, still agrees with numpy's centred computation to 1e-9
    (Σx² − n·x̄² keeps only about six digits here)."""
    rng = np.random.default_rng(7)
    noise = rng.normal(size=(2, 100_001))
    v1 = -65.0 + 1e-3 * noise[0]
    v2 = -65.0 + 1e-3 * (0.6 * noise[0] + 0.8 * noise[1])  # correlation 0.6
    assert pearson(v1, v2) == pytest.approx(np.corrcoef(v1, v2)[0, 1], abs=1e-9)
    assert pearson(v1, v2) == pytest.approx(0.6, abs=0.01)
    assert pearson(v1, -v1) == pytest.approx(-1.0, abs=1e-12)


def test_correlation_from_sums_of_shifted_samples_matches_the_traces():
    """pearson_from_sums on sums of samples shifted by their first one (what a
    scan accumulates) equals pearson on the traces; constant input gives NaN."""
    v1 = -65.0 + 10.0 * np.sin(OMEGA * T)
    v2 = -50.0 + 3.0 * np.sin(OMEGA * T + 1.0) + 0.01 * T
    d1, d2 = v1 - v1[0], v2 - v2[0]
    sums = (d1.sum(), d2.sum(), d1 @ d1, d2 @ d2, d1 @ d2)
    assert pearson_from_sums(len(T), *sums) == pytest.approx(pearson(v1, v2), abs=1e-12)
    assert np.isnan(pearson_from_sums(len(T), 0.0, d2.sum(), 0.0, d2 @ d2, 0.0))


@pytest.mark.parametrize("phi", [np.pi / 3, np.pi / 2, np.pi])
def test_mean_abs_difference_of_shifted_sines(phi):
    """|A sin x − A sin(x + φ)| = 2A|sin(φ/2)||cos(x + φ/2)|, whose mean is (4A/π)|sin(φ/2)|.
    The sampled mean of |cos| over whole periods errs by the aliased Fourier terms,
    ≈ 2/N² relative for N samples per period (2e-6 here)."""
    a = 10.0
    v1 = -65.0 + a * np.sin(OMEGA * T)
    v2 = -65.0 + a * np.sin(OMEGA * T + phi)
    expected = 4 * a / np.pi * abs(np.sin(phi / 2))
    assert mean_abs_difference(v1, v2) == pytest.approx(expected, rel=1e-5)
    assert mean_abs_difference(v1, v1) == 0.0


def test_trace_measures_reject_bad_input():
    with pytest.raises(ValueError, match="y: has 3 samples but x has 4"):
        pearson([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="x"):
        mean_abs_difference([1.0, np.nan], [1.0, 2.0])
    assert np.isnan(pearson(np.ones(10), np.arange(10.0)))  # a flat trace has no correlation


def test_coincidence_factor_of_identical_shifted_and_displaced_trains():
    """20 Hz regular train over 1 s, Δ = 2 ms, so 2νΔ = 0.08.  Identical or shifted
    within Δ: Γ = 1.  Shifted beyond Δ: no coincidences, Γ = −2νΔ/(1 − 2νΔ)."""
    spikes = np.arange(25.0, 1000.0, 50.0)
    assert coincidence_factor(spikes, spikes, 2.0, 1000.0) == pytest.approx(1.0)
    assert coincidence_factor(spikes + 1.5, spikes, 2.0, 1000.0) == pytest.approx(1.0)
    assert coincidence_factor(spikes + 5.0, spikes, 2.0, 1000.0) == pytest.approx(-0.08 / 0.92)
    assert coincidence_factor(spikes[::2], spikes, 2.0, 1000.0) == pytest.approx(
        (10 - 0.08 * 10) / (0.5 * 30) / 0.92  # half the spikes, all coincident
    )


def test_coincidence_factor_of_independent_poisson_trains_is_near_zero():
    """Coincidences are then Binomial(N, p = 2νΔ), so Γ's standard error is
    √(p/((1 − p)N)) ≈ 0.002 for N ≈ 20 000; 0.01 is five standard errors."""
    rng = np.random.default_rng(11)
    duration = 1e6
    a, b = (np.sort(rng.uniform(0.0, duration, rng.poisson(20_000))) for _ in range(2))
    assert coincidence_factor(a, b, 2.0, duration) == pytest.approx(0.0, abs=0.01)


def test_coincidence_factor_rejects_a_window_beyond_chance_level():
    spikes = np.arange(0.0, 100.0, 10.0)
    with pytest.raises(ValueError, match=r"window: .* allowed: < 5 ms"):
        coincidence_factor(spikes, spikes, 6.0, 100.0)


def test_phase_locking_to_a_drifting_rhythm():
    """Spikes a quarter of the way through every cycle of a reference whose period
    drifts: vector strength 1 at phase π/2."""
    reference = np.cumsum(np.linspace(20.0, 40.0, 30))
    spikes = reference[:-1] + 0.25 * np.diff(reference)
    locking = phase_locking(np.concatenate(([0.0], spikes, [1e4])), reference)
    assert locking.strength == pytest.approx(1.0)
    assert locking.phase == pytest.approx(np.pi / 2)
    assert locking.n_spikes == len(spikes)  # the two outside the cycles are ignored


def test_vector_strength_of_von_mises_phases():
    """Phases drawn from a von Mises distribution (κ = 2, mean 1 rad) have vector
    strength R = I1(κ)/I0(κ) ≈ 0.698.  With A2 = I2(κ)/I0(κ) and N = 20 000 spikes the
    standard errors are √((1 + A2 − 2R²)/2N) ≈ 0.003 for the strength and
    √((1 − A2)/(2NR²)) ≈ 0.006 rad for the mean phase; 0.02 is over three of them."""
    rng = np.random.default_rng(5)
    reference = np.arange(0.0, 20_001 * 10.0, 10.0)
    cycle = rng.integers(0, len(reference) - 1, 20_000)
    phases = rng.vonmises(1.0, 2.0, 20_000) % (2 * np.pi)
    spikes = np.sort(reference[cycle] + 10.0 * phases / (2 * np.pi))
    locking = phase_locking(spikes, reference)
    assert locking.strength == pytest.approx(i1(2.0) / i0(2.0), abs=0.02)
    assert locking.phase == pytest.approx(1.0, abs=0.02)


def test_phase_lag_between_two_sines_from_their_spikes():
    """sin(ωt − φ) crosses zero φ/ω after sin(ωt): its spikes sit at phase φ."""
    phi = 1.2
    t = np.arange(0.0, 500.0, 0.01)
    ref = spike_times(t, np.sin(OMEGA * t))
    lagging = spike_times(t, np.sin(OMEGA * t - phi))
    locking = phase_locking(lagging, ref)
    assert locking.strength == pytest.approx(1.0, abs=1e-9)
    assert locking.phase == pytest.approx(phi, abs=1e-5)


def test_phase_locking_edge_cases():
    with pytest.raises(ValueError, match="reference: 1 spikes"):
        phase_locking([1.0, 2.0], [5.0])
    empty = phase_locking([1.0], [5.0, 10.0])
    assert empty.n_spikes == 0 and np.isnan(empty.strength)
