"""Brian2's continuous_interaction example: neuntune against Brian2 and scipy.

The Brian2 traces were produced by benchmarks/brian2_reference.py (brian2 2.9.0,
RK4, dt 0.01 ms) and checked in; this test never imports brian2.
"""

from pathlib import Path

import numpy as np
import pytest
from reference import rtm_steady, rtm_synapse_rhs, solve, upward_crossings

import neuntune as nt

DATA = np.load(Path(__file__).parent / "data" / "brian2_continuous_interaction.npz")


@pytest.fixture(scope="module")
def ours():
    c = nt.Circuit()
    c.add("n0", nt.RTM(v0=-70.0))
    c.add("n1", nt.RTM(v0=-65.0))
    c.connect("n0", "n1", nt.ContinuousSynapse(), name="syn")
    c.stimulate("n0", nt.Constant(amplitude=1.5))
    return nt.simulate(c, 100.0, 0.01, method="rk4")


@pytest.fixture(scope="module")
def exact():
    y0 = np.array([-70.0, *rtm_steady(-70.0), -65.0, *rtm_steady(-65.0), 0.0])
    t = np.linspace(0.0, 100.0, 1_000_001)
    sol = solve(rtm_synapse_rhs(), y0, 100.0, t)
    return upward_crossings(t, sol.y[0]), upward_crossings(t, sol.y[4])


def brian(cell):
    return upward_crossings(DATA["rk4_t"], DATA[f"rk4_v{cell}"])


def test_spike_times_agree_with_brian2_within_0_02_ms(ours):
    for cell in (0, 1):
        theirs, mine = brian(cell), ours.spikes[f"n{cell}"]
        assert len(theirs) == len(mine) >= 5
        assert np.max(np.abs(theirs - mine)) < 0.02


def test_presynaptic_voltage_matches_brian2_sample_by_sample(ours):
    # Brian2 records at the start of each step: 0 .. 99.99 ms
    assert np.max(np.abs(DATA["rk4_v0"] - ours.v["n0"][:-1])) < 1e-6


def test_brian2s_once_per_step_summed_input_makes_it_lag_by_half_a_step(ours, exact):
    """Brian2 updates s_in (summed) once per step, so cell 1 sees its input half a
    step late; the fully coupled RK4 sits much closer to the exact solution."""
    lag = brian(1) - exact[1]
    assert np.mean(lag) == pytest.approx(0.005, abs=0.001)  # dt/2 = 0.005 ms
    assert np.max(np.abs(ours.spikes["n1"] - exact[1])) < 1e-4
    assert np.max(np.abs(ours.spikes["n0"] - exact[0])) < 1e-4
