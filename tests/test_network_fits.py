"""Fits and dask scans on networks: a gap junction between populations fitted on its
mean pairwise CC, a chemical connection of a network isolated as one pair, and a
network scan spread over a dask cluster.

Tolerances.  For passive cells coupled all to all, injecting one member gives every
other member the same ΔV, so CC = g/(G + g) with G the receiving member's leak
gl·area, exactly as for a pair; the protocol's window means leave a transient of at
most e^(−0.8·500 ms/τ) with τ = cm/gl ≈ 10 ms (nothing at float64) and rounding of
ΔV against V (~1e-12).  A fit stopped at |CC − target| ≤ tol has g within
tol/(CC(1 − CC)) relative of the root (dCC/dg·g = CC(1 − CC)).
"""

import dask.distributed as distributed
import numpy as np
import pytest

import neuntune as nt
from neuntune.fit.synapse import fit_synapse
from neuntune.protocols.train import SynapseEvaluator, SynapseProtocol


def passive_network(n: int, rule: nt.connectivity.Rule) -> nt.Circuit:
    c = nt.Circuit()
    c.add("p", nt.Passive(), n=n)
    c.connect("p", "p", nt.GapJunction(g=1e-5), rule=rule, name="gap")
    return c


def test_a_passive_all_to_all_network_fits_the_closed_form():
    c = passive_network(6, nt.AllToAll())
    target, tol = 0.2, 1e-8
    fit = nt.fit_gap_junction(c, "gap", target, direction="both", tol=tol)
    leak = c.get("p.gl") * c.get("p.area")
    exact = target * leak / (1 - target)
    assert fit.g == pytest.approx(exact, rel=tol / (target * (1 - target)) + 1e-9)
    # the closed-form guess was the answer: bounds, then the guess
    assert [g for g, _ in fit.history][-1] == fit.g and len(fit.history) == 3
    assert fit.pairwise is not None and fit.pairwise.mean == pytest.approx(target, abs=tol)
    assert fit.cc_ab == pytest.approx(target, abs=tol) and fit.cc_ba == pytest.approx(
        target, abs=tol
    )
    assert c.get("gap.g") == 1e-5  # unchanged unless apply


def test_a_sparse_network_fit_reaches_its_target_and_applies_one_g():
    c = passive_network(12, nt.FixedProbability(0.3, seed=2))
    c.set("p.gl", nt.Normal(1e-4, 1e-5, seed=4))  # heterogeneous leaks: no closed form
    c.set("gap.g", np.linspace(1e-6, 1e-5, c.size("gap")))
    target, tol = 0.1, 1e-5
    fit = nt.fit_gap_junction(c, "gap", target, tol=tol, max_sources=None, apply=True)
    assert fit.achieved == pytest.approx(target, abs=tol)
    assert len(fit.history) > 3  # the guess was not exact; the root finder refined it
    assert np.all(c.get("gap.g") == fit.g)  # one value for every junction now
    measured = nt.pairwise_coupling(c, "gap", max_sources=None)
    forward = measured.forward[np.isfinite(measured.forward)]
    assert np.mean(forward) == pytest.approx(target, abs=tol)


def test_one_to_one_populations_fit_like_the_pair_of_the_same_cells():
    """Active (HH) cells: the network path and the pair path agree."""
    net = nt.Circuit()
    net.add("a", nt.HH(), n=2)
    net.add("b", nt.HH(), n=2)
    net.connect("a", "b", nt.GapJunction(g=1e-4), rule=nt.OneToOne(), name="gap")
    pair = nt.Circuit()
    pair.add("a", nt.HH())
    pair.add("b", nt.HH())
    pair.connect("a", "b", nt.GapJunction(g=1e-4), name="gap")
    target, tol = 0.05, 1e-6
    on_network = nt.fit_gap_junction(net, "gap", target, tol=tol)
    on_pair = nt.fit_gap_junction(pair, "gap", target, tol=tol)
    assert on_network.g == pytest.approx(on_pair.g, rel=3 * tol / (target * (1 - target)))


def test_network_fit_errors_name_the_problem():
    c = passive_network(6, nt.AllToAll())
    with pytest.raises(ValueError, match=r"out of reach: g between 0 and 1e-07 mS gives a mean"):
        nt.fit_gap_junction(c, "gap", 0.5, bounds=(0.0, 1e-7))
    with pytest.raises(ValueError, match="max_sources: 0 must be a whole number"):
        nt.fit_gap_junction(c, "gap", 0.5, max_sources=0)


def small_network() -> nt.Circuit:
    c = nt.Circuit()
    c.add("e", nt.HH(), n=5)
    c.add("i", nt.HH(), n=4)
    c.connect("e", "i", nt.ExpSynapse(), rule=nt.AllToAll(), name="ei")
    c.set("ei.g", np.linspace(1e-5, 2e-5, 20))
    c.set("ei.tau", np.linspace(2.0, 6.0, 20))
    c.set("i.gl", np.linspace(0.2, 0.4, 4))
    return c


def test_a_network_connection_is_fitted_on_one_isolated_member():
    c = small_network()
    member = 7  # e[1] -> i[3] in AllToAll's order
    assert (c.pairs("ei")[0][member], c.pairs("ei")[1][member]) == (1, 3)
    protocol = SynapseProtocol(pulses=2, recovery_pulses=0, tail=30.0)
    isolated = SynapseEvaluator(c, "ei", protocol, member=member)
    assert isolated.circuit.get("syn.g") == c.get("ei.g")[member]
    assert isolated.circuit.get("syn.tau") == c.get("ei.tau")[member]
    assert isolated.circuit.get("post.gl") == 0.4
    # the same pair built by hand gives the same response
    pair = nt.Circuit()
    pair.add("pre", nt.SpikeSource([0.0]))
    pair.add("post", nt.HH(gl=0.4))
    pair.connect("pre", "post", nt.ExpSynapse(g=c.get("ei.g")[member], tau=c.get("ei.tau")[member]),
                 name="syn")  # fmt: skip
    by_hand = SynapseEvaluator(pair, "syn", protocol)
    wanted = [("peak", 50.0), ("decay", 50.0)]
    none: dict[str, np.ndarray] = {"syn.g": np.array([c.get("ei.g")[member]])}
    np.testing.assert_allclose(
        isolated.metrics(none, wanted)[0], by_hand.metrics(none, wanted)[0], rtol=1e-12
    )
    # recover that member's g from its own peak; apply gives every connection the value
    peak = by_hand.metrics(none, [("peak", 50.0)])[0][0, 0]
    c.set("ei.g", 1e-5)
    c.set("ei.tau", c.get("ei.tau")[member])  # the fit varies g only
    fit = fit_synapse(c, "ei", {"peak": peak}, {"g": (1e-6, 1e-4)}, protocol=protocol,
                      member=member, apply=True, popsize=6, maxiter=8)  # fmt: skip
    assert fit.params["g"] == pytest.approx(c.get("ei.g"), rel=1e-12)
    assert fit.table["peak"][1] == pytest.approx(peak, rel=1e-4)


def test_an_isolated_member_out_of_range_is_named():
    with pytest.raises(ValueError, match=r"ei: member 20 is out of range; it has 20 members"):
        SynapseEvaluator(small_network(), "ei", SynapseProtocol(), member=20)


def test_a_network_scan_runs_on_a_dask_cluster_as_on_threads():
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(), n=8)
    c.connect("wb", "wb", nt.GapJunction(g=1e-4), rule=nt.FixedProbability(0.5, seed=1),
              name="gap")  # fmt: skip
    drive = c.stimulate("wb", nt.Constant())
    c.set(f"{drive}.amplitude", nt.Normal(0.6, 0.1, seed=3))
    c.set("wb.v0", nt.Uniform(-70.0, -50.0, seed=5))
    gs = [0.0, 1e-3, 5e-3, 2e-2]
    local = nt.scan(c, {"gap.g": gs}, "chi:wb", t_stop=60.0)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client:
            remote = nt.scan(c, {"gap.g": gs}, "chi:wb", t_stop=60.0, client=client, chunk=2)
    np.testing.assert_allclose(remote.values, local.values, rtol=1e-12)
    assert local.values[-1] > local.values[0]  # stronger junctions synchronise


def test_a_post_cell_that_fires_on_its_own_is_named():
    c = nt.Circuit()
    c.add("exc", nt.TraubMilesCOBA(), n=3)  # Brette et al.'s cells fire without input
    c.connect("exc", "exc", nt.DeltaSynapse(), rule=nt.AllToAll(), name="ee")
    assert (c.pairs("ee")[0][4], c.pairs("ee")[1][4]) == (2, 0)  # no self-connections
    evaluator = SynapseEvaluator(c, "ee", SynapseProtocol(clamp=None), member=4)
    with pytest.raises(ValueError, match=r"ee\[4\] \(onto exc\[0\]\): the post cell, alone"):
        evaluator.responses({"syn.w": np.array([1e-4])}, 50.0)
