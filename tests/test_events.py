"""Events: exact resets, spike sources, delays, queues, decimated recording."""

import math

import numpy as np
import pytest
from models_for_tests import LIF, ExpTest

import neuntune as nt


def test_reset_happens_exactly_at_the_threshold_crossing():
    """LIF under constant drive: spike times are k·τ·ln((V∞−Vr)/(V∞−θ)); the reset
    is applied at the interpolated crossing, so even dt = 0.1 ms is accurate."""
    c = nt.Circuit()
    c.add("a", LIF())
    c.stimulate("a", nt.Constant(amplitude=2e-3))  # V∞ = −65 + 2e-3/(0.1·1e-3) = −45 mV
    period = 10.0 * math.log(20.0 / 5.0)
    for dt in (0.1, 0.05):
        res = nt.simulate(c, 200.0, dt)
        expected = period * np.arange(1, len(res.spikes["a"]) + 1)
        assert len(res.spikes["a"]) == int(200.0 / period)
        np.testing.assert_allclose(res.spikes["a"], expected, atol=2e-6)
    assert res.v["a"].max() < -50.0 + 1e-9  # never recorded above threshold


def test_spike_source_delay_and_exponential_decay():
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([10.0, 30.0]))
    c.add("post", nt.Passive())
    c.connect("src", "post", ExpTest(delay=1.53, tau=5.0), name="syn")
    res = nt.simulate(c, 60.0, 0.1)
    np.testing.assert_array_equal(res.spikes["src"], [10.0, 30.0])
    s, t = res.state["syn"]["s"], res.t
    expected = np.zeros_like(t)
    for spike in (11.53, 31.53):  # arrival times fall between grid points
        expected += np.where(t >= spike, np.exp(-(t - spike) / 5.0), 0.0)
    np.testing.assert_allclose(s, expected, atol=1e-9)


def test_zero_delay_event_lands_inside_the_step():
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([5.05]))
    c.add("post", nt.Passive())
    c.connect("src", "post", ExpTest(delay=0.0), name="syn")
    res = nt.simulate(c, 10.0, 0.1)
    after = res.t >= 5.1
    np.testing.assert_allclose(
        res.state["syn"]["s"][after], np.exp(-(res.t[after] - 5.05) / 5.0), atol=1e-9
    )


def test_events_from_a_spiking_cell_arrive_after_the_delay():
    c = nt.Circuit()
    c.add("pre", nt.HH())
    c.add("post", nt.Passive())
    c.stimulate("pre", nt.Step(amplitude=0.2, start=5.0, stop=40.0))
    c.connect("pre", "post", ExpTest(delay=2.0, g=1e-4), name="syn")
    res = nt.simulate(c, 50.0, 0.01)
    spikes = res.spikes["pre"]
    assert len(spikes) >= 2
    s, t = res.state["syn"]["s"], res.t
    first = spikes[0] + 2.0
    assert np.all(s[t < first - 0.01] == 0.0) and s[(t > first) & (t < first + 0.05)].min() > 0.98
    assert res.current["syn"].max() > 0  # E = 0 mV above rest: depolarising


def test_many_spikes_and_a_long_queue_grow_their_buffers():
    times = np.arange(1.0, 400.0, 0.5)  # 798 spikes, 40 in flight at once
    c = nt.Circuit()
    c.add("src", nt.SpikeSource(times))
    c.add("post", nt.Passive())
    c.connect("src", "post", ExpTest(delay=20.0, tau=1.0, w=0.1), name="syn")
    res = nt.simulate(c, 450.0, 0.05)
    assert len(res.spikes["src"]) == len(times)
    s, t = res.state["syn"]["s"], res.t
    expected = sum(0.1 * np.where(t >= x + 20, np.exp(-(t - x - 20)), 0) for x in times)
    # RK4's relative error for e^(-t/τ) at h/τ = 0.05 is ~(h/τ)^4/120 per τ: ~1e-7 here
    np.testing.assert_allclose(s, expected, rtol=1e-6, atol=1e-12)


def test_spikes_are_found_at_full_resolution_when_recording_is_decimated(hh_pair):
    full = nt.simulate(hh_pair, 60.0, 0.001)
    sparse = nt.simulate(hh_pair, 60.0, 0.001, record_every=1000, record="v")
    assert len(sparse.t) == 61 and sparse.t[-1] == pytest.approx(60.0)
    np.testing.assert_array_equal(sparse.spikes["a"], full.spikes["a"])
    np.testing.assert_array_equal(sparse.v["a"], full.v["a"][::1000])


def test_the_last_step_is_recorded_even_when_record_every_does_not_divide_it(hh_pair):
    full = nt.simulate(hh_pair, 10.05, 0.01)
    sparse = nt.simulate(hh_pair, 10.05, 0.01, record_every=100)
    np.testing.assert_allclose(
        sparse.t, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 10.05]
    )
    np.testing.assert_array_equal(sparse.v["a"][:-1], full.v["a"][::100])
    assert sparse.v["a"][-1] == full.v["a"][-1]
