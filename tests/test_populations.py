"""Populations, connection rules and per-member values, run by the population engine.

Cross-checks: a population against the same cells added one by one (the pair engine,
an independent code path), LIF periods against the analytic formula, event
delivery against the closed form of an exponential synapse, rules against their
binomial statistics.
"""

import numpy as np
import pytest

import neuntune as nt
from neuntune.bundled import hh_gap_pair
from neuntune.engine import run

V0 = [-75.0, -65.0, -70.0, -60.0]


def chain(n: int = 4) -> nt.Circuit:
    c = nt.Circuit()
    c.add("p", nt.HH(), n=n)
    c.set("p.v0", np.array(V0[:n]))
    c.set("p.gna", np.array([120.0, 110.0, 130.0, 125.0][:n]))
    c.connect("p", "p", nt.GapJunction(g=0.002), rule=nt.Pairs(i=range(n - 1), j=range(1, n)))
    c.stimulate("p", nt.Constant(amplitude=0.1))
    return c


def one_by_one(n: int = 4) -> nt.Circuit:
    c = nt.Circuit()
    for k in range(n):
        c.add(f"n{k}", nt.HH(v0=V0[k], gna=[120.0, 110.0, 130.0, 125.0][k]))
        c.stimulate(f"n{k}", nt.Constant(amplitude=0.1))
    for k in range(n - 1):
        c.connect(f"n{k}", f"n{k + 1}", nt.GapJunction(g=0.002))
    return c


@pytest.mark.parametrize("method", ["rk4", "expeuler"])
def test_a_population_equals_the_same_cells_added_one_by_one(method):
    """Two engines, two summation orders: equal to rounding (~1e-10 mV after spikes,
    which amplify rounding differences), spike times to 1e-9 ms."""
    pop = nt.simulate(chain(), 30.0, 0.01, method=method)
    cells = nt.simulate(one_by_one(), 30.0, 0.01, method=method)
    assert pop.v["p"].shape == (4, len(pop.t))
    for k in range(4):
        assert np.max(np.abs(pop.v["p"][k] - cells.v[f"n{k}"])) < 1e-8
        mine = pop.spikes["p"].t[pop.spikes["p"].i == k]
        assert len(mine) == len(cells.spikes[f"n{k}"]) > 0
        assert np.max(np.abs(mine - cells.spikes[f"n{k}"])) < 1e-9


def test_heterogeneous_values_reach_the_right_members():
    c = nt.Circuit()
    c.add("p", nt.Passive(), n=3)
    c.set("p.el", np.array([-70.0, -60.0, -50.0]))
    c.set("p[1].gl", 0.5)
    res = nt.simulate(c, 200.0, 0.1, record="p.v")
    # uncoupled passive cells relax to their own el
    assert np.allclose(res.v["p"][:, -1], [-70.0, -60.0, -50.0], atol=1e-6)
    assert c.get("p.gl").tolist() == [0.1, 0.5, 0.1] and c.get("p[1].gl") == 0.5
    # v0 = -65 for all: member 1 (5x the leak) relaxes 5x faster
    k = np.searchsorted(res.t, 5.0)
    tau = np.array([1.0 / 0.1, 1.0 / 0.5, 1.0 / 0.1])  # cm/gl, ms
    expected = np.array([-70.0, -60.0, -50.0]) + 5.0 * np.array([1, -1, -3]) * np.exp(-5.0 / tau)
    assert np.allclose(res.v["p"][:, k], expected, atol=1e-6)


def test_distributions_are_seeded_and_validated():
    c = nt.Circuit()
    c.add("fs", nt.HH(), n=500)
    c.set("fs.gna", nt.Normal(120.0, 10.0, seed=1))
    values = c.get("fs.gna")
    assert np.array_equal(values, c.copy().get("fs.gna"))
    assert abs(values.mean() - 120.0) < 5 * 10.0 / np.sqrt(500)
    with pytest.raises(ValueError, match=r"fs.gl: \d+ of 500 values are out of range.*≥ 0"):
        c.set("fs.gl", nt.Normal(0.0, 1.0, seed=2))
    with pytest.raises(ValueError, match="expected 500 values"):
        c.set("fs.gna", np.ones(3))
    with pytest.raises(KeyError, match="member 500 is out of range"):
        c.set("fs[500].gna", 1.0)
    assert c.get("fs.gl") == 0.3  # the refused values changed nothing


def test_lif_population_fires_at_the_analytic_period_with_a_refractory_period():
    currents = np.array([21.0, 25.0, 30.0, 40.0])
    c = nt.Circuit()
    c.add("p", nt.LIF(tau_ref=2.0), n=4)
    c.stimulate("p", nt.Constant(amplitude=1.0))
    c.set("p.stim0.amplitude", currents)
    res = nt.simulate(c, 200.0, 0.1, record="v")
    period = 2.0 + 10.0 * np.log((currents + 5.0) / (currents - 20.0))
    for k in range(4):
        times = res.spikes["p"].t[res.spikes["p"].i == k]
        # the crossing is located by a quadratic through the step: 2.5e-7 ms at dt 0.1
        assert np.max(np.abs(np.diff(times) - period[k])) < 1e-6


def test_event_synapses_deliver_at_the_step_boundary_after_their_delay():
    c = nt.Circuit()
    c.add("src", nt.LIF(), n=1)
    c.add("dst", nt.LIF(), n=3)
    c.stimulate("src", nt.Constant(amplitude=30.0))
    syn = nt.ExpSynapse(g=0.1, E=50.0, delay=1.0, tau=5.0)
    c.connect("src", "dst", syn, rule=nt.AllToAll(), name="syn")
    res = nt.simulate(c, 40.0, 0.1, record="syn.s")
    spike = res.spikes["src"][0]
    arrival = np.ceil(spike / 0.1) * 0.1 + 1.0  # end of the spike's step, + delay in steps
    s = res.state["syn"]["s"]
    after = res.t >= arrival + 1e-9
    before = res.t < arrival - 1e-9
    assert np.all(s[:, before] == 0)
    expected = np.exp(-(res.t[after] - arrival) / 5.0)
    second = res.spikes["src"][1] + 1.0
    window = res.t[after] < second
    assert np.allclose(s[:, after][:, window], expected[window], rtol=1e-6)


def test_rules_have_the_right_statistics_and_are_reproducible():
    c = nt.Circuit()
    c.add("a", nt.Passive(), n=200)
    c.add("b", nt.Passive(), n=300)
    c.connect("a", "b", nt.ExpSynapse(), rule=nt.FixedProbability(0.1, seed=3), name="ab")
    i, j = c.pairs("ab")
    n, mean = 200 * 300, 0.1 * 200 * 300
    assert abs(len(i) - mean) < 5 * np.sqrt(n * 0.1 * 0.9)
    assert np.array_equal(i, nt.FixedProbability(0.1, seed=3).pairs(200, 300, False, False)[0])
    assert not np.array_equal(i, nt.FixedProbability(0.1, seed=4).pairs(200, 300, False, False)[0])
    c.connect("a", "a", nt.ExpSynapse(), rule=nt.FixedNumberPre(7, seed=1), name="aa")
    i, j = c.pairs("aa")
    assert np.all(np.bincount(j, minlength=200) == 7) and not np.any(i == j)
    assert all(len(set(i[j == k])) == 7 for k in range(200))
    c.connect("b", "b", nt.GapJunction(), rule=nt.AllToAll(), name="gap")
    i, j = c.pairs("gap")  # a gap junction joins each pair once
    assert len(i) == 300 * 299 // 2 and np.all(i < j)
    c.connect("a", "a", nt.ExpSynapse(), rule=nt.AllToAll(), name="chem")
    assert len(c.pairs("chem")[0]) == 200 * 199


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nt.FixedProbability(1.5), r"p = 1.5 is outside \[0, 1\]"),
        (lambda: nt.FixedNumberPre(-1), "n must be a whole number"),
        (lambda: nt.Pairs([(0, 1)], i=[0]), "not both"),
    ],
)
def test_impossible_rules_are_refused(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_rules_that_do_not_fit_the_populations_are_refused_and_leave_nothing():
    c = nt.Circuit()
    c.add("a", nt.Passive(), n=5)
    c.add("b", nt.Passive(), n=4)
    with pytest.raises(ValueError, match="n = 6 is more than the 5 pre members"):
        c.connect("a", "b", nt.ExpSynapse(), rule=nt.FixedNumberPre(6))
    with pytest.raises(ValueError, match="equal sizes"):
        c.connect("a", "b", nt.ExpSynapse(), rule=nt.OneToOne())
    with pytest.raises(ValueError, match=r"Pairs.j: 1 indices are out of range.*4 members"):
        c.connect("a", "b", nt.ExpSynapse(), rule=nt.Pairs([(0, 4)]))
    with pytest.raises(ValueError, match="say which connect with rule="):
        c.connect("a", "b", nt.ExpSynapse())
    c.add("big", nt.Passive(), n=100_000)
    with pytest.raises(ValueError, match=r"connections .* is more than the limit"):
        c.connect("big", "big", nt.ExpSynapse(), rule=nt.AllToAll())
    assert not c.connections


def test_a_second_circuit_of_known_types_compiles_nothing():
    first = chain(3)
    nt.simulate(first, 1.0, 0.01)
    before = run.compilations
    bigger = nt.Circuit()
    bigger.add("q", nt.HH(), n=40)
    rule = nt.FixedProbability(0.2, seed=9)
    bigger.connect("q", "q", nt.GapJunction(g=1e-3), rule=rule)
    bigger.stimulate("q", nt.Constant(amplitude=0.05))
    bigger.set("q.gna", nt.Uniform(100.0, 140.0, seed=2))
    res = nt.simulate(bigger, 2.0, 0.01, record="q[0:5].v")
    assert res.v["q"].shape == (5, len(res.t)) and res.members["q"].tolist() == [0, 1, 2, 3, 4]
    assert run.compilations == before


def test_cobahh_style_increments_raise_the_post_cells_conductance():
    c = nt.Circuit()
    c.add("pre", nt.LIF(), n=1)
    c.add("post", nt.TraubMilesCOBA(), n=2)
    c.stimulate("pre", nt.Constant(amplitude=30.0))
    c.connect("pre", "post", nt.DeltaSynapse(target="gi", w=5e-5), rule=nt.AllToAll())
    res = nt.simulate(c, 30.0, 0.1, method="expeuler", record=["post.gi"])
    spike = res.spikes["pre"][0]
    arrival = np.ceil(spike / 0.1) * 0.1
    after = res.t >= arrival + 1e-9
    expected = 5e-5 * np.exp(-(res.t[after] - arrival) / 10.0)
    until = res.t[after] < res.spikes["pre"][1]
    assert np.allclose(res.state["post"]["gi"][:, after][:, until], expected[until], rtol=1e-6)
    with pytest.raises(ValueError, match="raises ge of its post cell, but LIF has no such state"):
        c.connect("post", "pre", nt.DeltaSynapse(), rule=nt.AllToAll())


def test_a_blow_up_names_the_member():
    c = nt.Circuit()
    c.add("p", nt.HH(), n=3)
    c.set("p[2].gna", 1e6)
    with pytest.raises(nt.SimulationError, match=r"p\[2\]\.\w+ was") as info:
        nt.simulate(c, 5.0, 0.05)
    assert info.value.suggested_dt == pytest.approx(0.0125)


def test_per_member_values_must_relate_like_single_values():
    c = nt.Circuit()
    c.add("iz", nt.Izhikevich(), n=3)
    with pytest.raises(ValueError, match="member 2: the reset voltage c = 40 mV must lie below"):
        c.set("iz.c", np.array([-65.0, -60.0, 40.0]))
    assert c.get("iz.c") == -65.0  # nothing changed
    c.set("iz.c", np.array([-65.0, -60.0, -50.0]))
    with pytest.raises(ValueError, match=r"iz\.v_peak: member 2"):
        c.set("iz.v_peak", -55.0)
    assert c.get("iz.v_peak") == 30.0 and c.get("iz.c").tolist() == [-65.0, -60.0, -50.0]


def gap_network(n: int = 20) -> nt.Circuit:
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(), n=n)
    c.set("wb.v0", nt.Uniform(-70.0, -50.0, seed=1))
    c.connect("wb", "wb", nt.GapJunction(g=0.001), rule=nt.AllToAll(), name="gap")
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    return c


def test_scans_measure_populations():
    """A scan's grid points are networks too: the population's mean rate per member
    and spike count equal a single run's, and Golomb's χ rises with the coupling
    (independent members give χ near 1/√N ≈ 0.22; g = 5 µS locks them)."""
    c = gap_network()
    g = [0.0, 0.005]
    rate = nt.scan(c, {"gap.g": g}, metric="rate:wb", t_stop=200.0)
    count = nt.scan(c, {"gap.g": g}, metric="spikes:wb", t_stop=200.0)
    chi = nt.scan(c, {"gap.g": g}, metric="chi:wb", t_stop=200.0)
    for k, value in enumerate(g):
        c.set("gap.g", value)
        res = nt.simulate(c, 200.0, 0.01, record="wb.v")
        assert count.values[k] == len(res.spikes["wb"].t)
        assert rate.values[k] == pytest.approx(1000 * len(res.spikes["wb"].t) / 20 / 200.0)
        assert chi.values[k] == pytest.approx(nt.analysis.golomb_synchrony(res.v["wb"]).chi)
    assert chi.values[0] < 0.4 < 0.8 < chi.values[1]
    with pytest.raises(ValueError, match="χ needs a population"):
        nt.scan(hh_gap_pair(), {"gj.g": g}, metric="chi:a", t_stop=10.0)


def test_dense_gap_junctions_as_a_matrix_equal_the_scatter(monkeypatch):
    """Above MATRIX_MIN_CELLS a dense group's gap currents are a matrix times the
    voltages; with heterogeneous conductances its traces equal the per-connection
    scatter's to rounding (summation order: ~1e-10 mV after 100 ms)."""
    c = gap_network(run.MATRIX_MIN_CELLS)
    c.set("gap.g", nt.Uniform(0.0005, 0.002, seed=4))
    matrix = nt.simulate(c, 100.0, 0.01, record="wb.v")
    monkeypatch.setattr(run, "MATRIX_MIN_CELLS", 10**9)
    scatter = nt.simulate(c, 100.0, 0.01, record="wb.v")
    assert np.max(np.abs(matrix.v["wb"] - scatter.v["wb"])) < 1e-8
    assert len(matrix.spikes["wb"].t) == len(scatter.spikes["wb"].t) > 20


def test_a_rule_is_realised_once_for_every_circuit_that_uses_it():
    """Rules are deterministic given their seed: circuits (and copies, and layouts) with
    the same rule arguments and sizes share one read-only realisation."""
    from neuntune.connectivity import _REALISED

    def network() -> nt.Circuit:
        c = nt.Circuit()
        c.add("e", nt.LIF(), n=300)
        c.connect("e", "e", nt.ExpSynapse(), rule=nt.FixedProbability(0.05, seed=11), name="ee")
        return c

    first, second = network(), network()
    i, j = first.pairs("ee")
    assert second.pairs("ee")[0] is i and first.copy().pairs("ee")[1] is j
    assert not i.flags.writeable and not j.flags.writeable
    fresh = nt.FixedProbability(0.05, seed=11).pairs(300, 300, True, False)
    np.testing.assert_array_equal(fresh[0], i)  # the same draw, not a different one
    other = nt.Circuit()
    other.add("e", nt.LIF(), n=300)
    other.connect("e", "e", nt.ExpSynapse(), rule=nt.FixedProbability(0.05, seed=12), name="ee")
    assert not np.array_equal(other.pairs("ee")[0], i)  # another seed, another draw
    assert len(_REALISED) <= 16
