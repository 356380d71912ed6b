"""Coupling coefficient: window means on analytic traces, and the passive-pair closed
form g/(g_L + g) on simulated protocol runs."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.analysis import cc_from_runs, cc_from_traces

BASELINE, STEADY = (0.0, 100.0), (200.0, 300.0)


def _noisy_step_traces() -> tuple[np.ndarray, ...]:
    """Steps of −2 mV (source) and −0.5 mV (target) at 100 ms, each with a 0.3 mV ripple
    of period 2 ms.  Both windows hold 50 whole ripple periods, so their means are the
    clean levels and CC = 0.25 exactly."""
    t = np.arange(0.0, 300.05, 0.1)
    ripple = 0.3 * np.sin(2 * np.pi * t / 2.0)
    step = np.where(t >= 100.0, 1.0, 0.0)
    return t, -65.0 - 2.0 * step + ripple, -60.0 - 0.5 * step - ripple


def test_cc_is_the_ratio_of_window_mean_deflections():
    t, source, target = _noisy_step_traces()
    assert cc_from_traces(t, source, target, BASELINE, STEADY) == pytest.approx(0.25)
    # the ripple spoils a ratio of two samples (here just before the step, where the
    # ripple is at its trough, and at the end): this test tells the methods apart
    i = np.searchsorted(t, 99.5 - 0.01)
    two_samples = (target[-1] - target[i]) / (source[-1] - source[i])
    assert abs(two_samples - 0.25) > 0.1


def test_cc_rejects_bad_windows_and_traces():
    t, source, target = _noisy_step_traces()
    with pytest.raises(ValueError, match=r"baseline: window \(-10, 100\) ms is outside the trace"):
        cc_from_traces(t, source, target, (-10.0, 100.0), STEADY)
    with pytest.raises(ValueError, match=r"allowed: within \[0, 300\] ms"):
        cc_from_traces(t, source, target, BASELINE, (200.0, 400.0))
    with pytest.raises(ValueError, match=r"steady: window .* is empty"):
        cc_from_traces(t, source, target, BASELINE, (250.0, 200.0))
    with pytest.raises(ValueError, match="samples"):
        cc_from_traces(t, source[:-1], target, BASELINE, STEADY)
    with pytest.raises(ValueError, match="v_source: does not change"):
        cc_from_traces(t, np.full_like(t, -65.0), target, BASELINE, STEADY)


def test_cc_of_a_simulated_passive_pair_matches_the_closed_form_in_both_directions():
    """Two passive cells of different size (b has twice a's area, both τ = cm/gl = 10 ms)
    joined by g.  Injecting into one, CC = g/(g_L,target + g).  The slowest mode decays
    with τ = 10 ms, so 140 ms after the step starts the residual is e^−14 ≈ 1e-6 of the
    deflection: 1e-5 is a safe tolerance.  The baseline window ends before the onset
    sample, which the integrator's last stage before the step already sees."""
    g = 2e-4  # mS
    c = nt.Circuit()
    c.add("a", nt.Passive(area=7.854e-3))
    c.add("b", nt.Passive(area=2 * 7.854e-3))
    c.connect("a", "b", nt.GapJunction(g=g), name="gj")
    c.stimulate("a", nt.Step(amplitude=-1e-3, start=10.0, stop=210.0))
    c.stimulate("b", nt.Step(amplitude=0.0, start=10.0, stop=210.0))
    run_a = nt.simulate(c, 210.0, 0.05)
    c.set("a.stim0.amplitude", 0.0)
    c.set("b.stim0.amplitude", -1e-3)
    run_b = nt.simulate(c, 210.0, 0.05)
    gl_a, gl_b = 0.1 * 7.854e-3, 0.1 * 2 * 7.854e-3  # mS
    cc_ab, cc_ba = cc_from_runs(run_a, run_b, "a", "b", (0.0, 9.0), (150.0, 210.0))
    assert cc_ab == pytest.approx(g / (gl_b + g), rel=1e-5)
    assert cc_ba == pytest.approx(g / (gl_a + g), rel=1e-5)


def test_cc_refuses_a_run_in_which_a_cell_spikes():
    t, source, target = _noisy_step_traces()
    run = nt.Result(
        t, {"a": source, "b": target}, {}, {}, {"a": np.zeros(0), "b": np.array([150.0])}
    )
    with pytest.raises(ValueError, match="run_a: cell 'b' spikes at 150 ms"):
        cc_from_runs(run, run, "a", "b", BASELINE, STEADY)
    with pytest.raises(ValueError, match="no voltage recorded for cell 'c'"):
        cc_from_runs(run, run, "a", "c", BASELINE, (120.0, 140.0))
