"""Hindmarsh–Rose bursting and Izhikevich firing patterns.

Each circuit compiles once (a module fixture); runs at other dt or with other
parameter values reuse the kernel.
"""

import itertools

import numpy as np
import pytest
from reference import burst_starts, hr_alone

import neuntune as nt
import neuntune.models as nm


def bursts(spikes: np.ndarray, gap: float) -> list[np.ndarray]:
    """Split spike times into bursts at interspike intervals longer than ``gap``."""
    return np.split(spikes, np.where(np.diff(spikes) > gap)[0] + 1)


# ---------------------------------------------------------------------- Hindmarsh–Rose
@pytest.fixture(scope="module")
def hr_runs():
    c = nt.Circuit()
    c.add("hr", nm.HR())
    return {dt: nt.simulate(c, 4000.0, dt, record="v") for dt in (0.05, 0.02, 0.01)}


def test_hindmarsh_rose_defaults_burst_regularly(hr_runs):
    """Neun's docs values (e 3, mu 0.001, S 4) over 4000 time units: after the first,
    long burst (z rising from 0), every burst has 18 spikes and they repeat every
    504.44 units.  The period is checked against an independent solution, not pinned:
    scipy's DOP853 (rtol 1e-8) from the same start gives the burst onsets; ours agree
    with every onset to 1e-3 at dt 0.01 (measured 3.5e-4), and each of the last four
    periods converges to DOP853's at RK4's order, |Δ| ≤ 1.5e4·dt⁴ (measured
    0.038, 9e-4 and 7e-5 at dt 0.05, 0.02 and 0.01: 6–7e3·dt⁴)."""
    reference = burst_starts(hr_alone(4000.0, [-1.5, 0.0, 0.0]))
    ref_periods = np.diff(reference)[1:]  # the first interval still relaxes from the start
    assert len(ref_periods) >= 4 and np.ptp(ref_periods[1:]) < 0.01 * ref_periods.mean()
    for dt, res in hr_runs.items():
        found = bursts(res.spikes["hr"], gap=100.0)[1:]  # intra-burst intervals are < 31
        assert len(found) >= 5
        assert [len(b) for b in found[:-1]] == [18] * (len(found) - 1)  # last may be cut
        starts = burst_starts(res.spikes["hr"])
        assert len(starts) == len(reference), (dt, starts, reference)
        periods = np.diff(starts)[1:]
        assert np.max(np.abs(periods - ref_periods)) < 1.5e4 * dt**4, (dt, periods, ref_periods)
        if dt == 0.01:
            np.testing.assert_allclose(starts, reference, atol=1e-3)
    assert ref_periods[-3:].mean() == pytest.approx(504.44, abs=0.01)  # the number quoted


def test_hindmarsh_rose_is_dimensionless_and_counts_spikes_at_zero():
    hr = nm.HR()
    assert all(p.unit == "1" for p in hr.parameter_table().values())
    assert hr.resolved().voltage == "x" and hr.resolved().spike_threshold == 0.0
    assert {k: hr.get(k) for k in ("a", "b", "c", "d", "S", "xr", "vh", "e", "mu")} == dict(
        a=1.0, b=3.0, c=1.0, d=5.0, S=4.0, xr=-1.6, vh=1.0, e=3.0, mu=0.001
    )


# -------------------------------------------------------------------------- Izhikevich
@pytest.fixture(scope="module")
def izhikevich():
    """One cell driven by the paper's I = 10 for 1 s, run for each named class."""
    c = nt.Circuit()
    c.add("n", nm.Izhikevich())
    c.stimulate("n", nt.Step(amplitude=10.0, start=0.0, stop=1000.0))
    runs = {}
    for name in ("RS", "FS", "IB", "CH"):
        for key, value in nm.Izhikevich.parameter_sets[name].items():
            c.set(f"n.{key}", value)
        runs[name] = {dt: nt.simulate(c, 1000.0, dt, record="v") for dt in (0.1, 0.01)}
    return runs


def test_izhikevich_classes_fire_as_in_the_paper(izhikevich):
    spikes = {name: runs[0.01].spikes["n"] for name, runs in izhikevich.items()}
    isi = {name: np.diff(s) for name, s in spikes.items()}
    # RS: tonic spiking that adapts (first interval shorter than the steady one), no bursts
    assert isi["RS"][0] < 0.6 * isi["RS"][-1] and isi["RS"].min() > 20.0
    # FS: fast and hardly adapting, more than 5x the RS rate
    assert len(spikes["FS"]) > 5 * len(spikes["RS"]) and isi["FS"][-1] < 2 * isi["FS"][0]
    # IB: an initial burst (3 spikes within 7 ms), then tonic single spikes
    assert spikes["IB"][2] - spikes["IB"][0] < 7.0 and isi["IB"][2:].min() > 25.0
    # CH: repeated bursts of fast spikes (< 5 ms apart) separated by > 40 ms
    found = bursts(spikes["CH"], gap=20.0)
    assert len(found) >= 10 and all(len(b) >= 4 for b in found[:-1])
    assert all(np.diff(b).max() < 5.0 for b in found if len(b) > 1)
    assert min(b[0] - a[-1] for a, b in itertools.pairwise(found)) > 40.0


def test_izhikevich_reset_is_exact_and_dt_independent(izhikevich):
    """The reset happens at the located 30 mV crossing, so no sample exceeds v_peak,
    and dt = 0.1 ms gives the same spikes as dt = 0.01 ms with interspike intervals
    within 0.01 ms.  (Measured against dt = 0.001 ms: at most 0.005, 7e-4 and 8e-6 ms
    at dt = 0.1, 0.05 and 0.01, about third order, as the crossing is located by a
    quadratic.  The paper's 1 ms Euler step would move spikes by up to a step.)"""
    for name, runs in izhikevich.items():
        coarse, fine = runs[0.1].spikes["n"], runs[0.01].spikes["n"]
        assert len(coarse) == len(fine), name
        drift = np.abs(np.diff(coarse) - np.diff(fine)).max()
        assert drift < 0.01, (name, drift)
        assert runs[0.1].v["n"].max() < 30.0


def test_izhikevich_named_sets():
    assert nm.Izhikevich() == nm.Izhikevich.named("RS")
    fs = nm.Izhikevich.named("FS", C=2.0)
    assert (fs.get("a"), fs.get("b"), fs.get("c"), fs.get("d"), fs.get("C")) == (
        0.1,
        0.2,
        -65.0,
        2.0,
        2.0,
    )
    assert {"RS", "IB", "CH", "FS", "LTS", "TC", "RZ"} <= set(nm.Izhikevich.parameter_sets)
    with pytest.raises(KeyError, match=r"no parameter set 'XX'.*RS"):
        nm.Izhikevich.named("XX")
