"""Stimuli: current waveforms, Ornstein–Uhlenbeck noise and the voltage clamp."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.models.stimuli import Noise, VoltageClamp


def injected(stimulus, t_stop=400.0, dt=0.05):
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.stimulate("a", stimulus, name="s")
    res = nt.simulate(c, t_stop, dt, record=["s.I"])
    return res.t, res.current["s"]


def test_pulse_train_with_recovery_is_bmtools_protocol():
    t, i = injected(nt.PulseTrain(amplitude=0.5, start=50.0, frequency=50.0, width=1.0))
    onsets = t[1:][(i[1:] > 0) & (i[:-1] == 0)]
    expected = np.r_[50.0 + 20.0 * np.arange(8), 50.0 + 140.0 + 250.0 + 20.0 * np.arange(4)]
    expected = expected[expected < 400.0]
    np.testing.assert_allclose(onsets, expected, atol=1e-9)
    assert np.all(np.isin(np.unique(i), [0.0, 0.5]))


def test_step_ramp_and_sine_waveforms():
    t, i = injected(nt.Step(amplitude=0.2, start=10.0, stop=20.0), 30.0)
    np.testing.assert_array_equal(i, np.where((t >= 10.0) & (t < 20.0), 0.2, 0.0))
    t, i = injected(nt.Ramp(amplitude=0.3, start=10.0, stop=20.0), 30.0)
    np.testing.assert_allclose(i, np.where((t >= 10.0) & (t < 20.0), 0.03 * (t - 10.0), 0.0))
    t, i = injected(nt.Sine(amplitude=0.1, frequency=50.0, phase=90.0, offset=0.02), 30.0)
    np.testing.assert_allclose(i, 0.02 + 0.1 * np.cos(2 * np.pi * 50.0 * t / 1000.0), atol=1e-12)


def test_ou_noise_has_the_stationary_mean_variance_and_correlation_time():
    mean, sigma, tau, dt, t_stop = 0.01, 0.005, 2.0, 0.1, 40_000.0
    _, x = injected(Noise(mean=mean, sigma=sigma, tau=tau, seed=3), t_stop, dt)
    # ~ t_stop/(2 tau) = 10 000 independent samples: standard errors are ~1 % of sigma
    assert x.mean() == pytest.approx(mean, abs=5 * sigma * np.sqrt(2 * tau / t_stop))
    assert x.std() == pytest.approx(sigma, rel=0.05)
    centred = x - x.mean()
    lag = round(tau / dt)
    rho = np.dot(centred[:-lag], centred[lag:]) / np.dot(centred, centred)
    assert rho == pytest.approx(np.exp(-1.0), abs=0.04)  # e^(-lag/tau)


def test_noise_is_reproducible_and_independent_of_chunking():
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.stimulate("a", Noise(sigma=0.01, seed=7), name="s")
    one = nt.simulate(c, 50.0, 0.1, record=["s.I"]).current["s"]
    chunked = nt.simulate(c, 50.0, 0.1, record=["s.I"], progress=lambda f: False).current["s"]
    np.testing.assert_array_equal(one, chunked)
    c.set("s.seed", 8)
    assert not np.array_equal(one, nt.simulate(c, 50.0, 0.1, record=["s.I"]).current["s"])


def test_ideal_clamp_current_equals_the_membrane_current_it_opposes():
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.stimulate("a", VoltageClamp(holding=-70.0, level=-20.0, start=5.0, stop=15.0), name="vc")
    res = nt.simulate(c, 20.0, 0.01)
    v, m, h, n = (res.state["a"][k] for k in "vmhn")
    np.testing.assert_array_equal(v, np.where((res.t >= 5.0) & (res.t < 15.0), -20.0, -70.0))
    membrane = 7.854e-3 * (
        120 * m**3 * h * (v - 50) + 36 * n**4 * (v + 77) + 0.3 * (v + 54.387)
    )  # µA out of the cell
    np.testing.assert_allclose(res.current["vc"], membrane, atol=1e-12)
    step = (res.t > 5.5) & (res.t < 7.0)
    assert res.current["vc"][step].min() < -1.0  # the sodium current: inward, so negative


def test_series_resistance_clamp_charges_through_rs():
    """A passive cell clamped through rs settles at the divider voltage with
    time constant (rs ∥ R_in)·C."""
    cell = nt.Passive(gl=0.1, cm=1.0, el=-65.0, area=7.854e-3, v0=-65.0)
    c = nt.Circuit()
    c.add("a", cell)
    c.stimulate("a", VoltageClamp(holding=-65.0, level=-45.0, start=0.0, stop=1e9, rs=0.5))
    res = nt.simulate(c, 50.0, 0.005)
    r_in = 1.0 / (0.1 * 7.854e-3) * 1e-3  # MΩ (1/mS = kΩ)
    v_inf = -65.0 + 20.0 * r_in / (r_in + 0.5)
    tau = (0.5 * r_in / (0.5 + r_in)) * 1e3 * 7.854e-3  # kΩ·µF = ms
    np.testing.assert_allclose(
        res.v["a"], v_inf + (-65.0 - v_inf) * np.exp(-res.t / tau), atol=1e-8
    )
