"""The network tuner's pairwise-CC job and histogram, without a browser."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.ui.population import coupling_histogram
from neuntune.ui.session import Session


def wb_network(n: int) -> nt.Circuit:
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(area=1.0), n=n)
    c.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
    c.set("gap.g", nt.Uniform(5e-4, 2e-3, seed=1))
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    return c


def test_the_histogram_bins_every_value_once_and_keeps_a_single_value_visible():
    c = nt.Circuit()
    c.add("p", nt.Passive(), n=6)
    c.connect("p", "p", nt.GapJunction(g=2e-4), rule=nt.AllToAll(), name="gap")
    uniform = nt.pairwise_coupling(c, "gap")
    h = coupling_histogram(uniform)
    # one CC for every pair (g/(G_L + g), see test_pairwise_coupling): one bar holding all 30
    assert h.counts.tolist() == [30]
    assert h.widths[0] > 0 and abs(h.centres[0] - h.mean) <= h.widths[0] / 2
    assert h.passive == pytest.approx(2e-4 / (0.1 * 7.854e-3 + 2e-4), rel=1e-12)
    c.set("gap.g", nt.Uniform(5e-5, 4e-4, seed=2))
    h = coupling_histogram(nt.pairwise_coupling(c, "gap"))
    assert h.counts.sum() == h.n == 30 and len(h.counts) == 5  # ≥ 5 bins, ~√30
    assert h.low == pytest.approx(h.centres[0] - h.widths[0] / 2)
    assert h.high == pytest.approx(h.centres[-1] + h.widths[-1] / 2)


def test_the_job_measures_the_tuned_values_and_says_when_they_change():
    session = Session(wb_network(8), warm=False, t_stop=20.0)
    try:
        session.wait()
        job = session.pairwise
        assert job is not None and job.connection == "gap"
        job.run()
        assert job.wait(120)
        assert job.error == "" and not job.stale
        expected = nt.pairwise_coupling(session.tuner.circuit, "gap")
        np.testing.assert_array_equal(job.result.values, expected.values)
        assert job.histogram.n == 8 * 7
        # a stimulus is removed by the protocol: changing it leaves the CC valid
        session.tuner.set("wb.stim0.amplitude", 0.5)
        session.tuner.wait()
        assert not job.stale
        session.tuner.set("gap.g", 3e-3)
        session.tuner.wait()
        assert job.stale
        job.run()
        assert job.wait(120) and not job.stale
        # a stronger junction couples more
        assert job.histogram.mean > expected.mean
    finally:
        session.close()


def test_a_pair_or_a_network_without_gap_junctions_has_no_job():
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(), n=5)
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    # the default HH pair (it has its own CC readout) and a network without junctions
    for session in (Session(warm=False), Session(c, warm=False, t_stop=10.0)):
        try:
            assert session.pairwise is None
            assert session.wait()
        finally:
            session.close()
