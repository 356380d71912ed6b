"""Fitting a gap junction to a target CC (the coupling protocol it measures with is
tests/test_protocols_coupling.py's)."""

import pytest

import neuntune as nt
from neuntune.bundled import hh_gap_pair

GL = 0.1 * 7.854e-3  # mS: a default Passive cell's leak conductance


@pytest.fixture
def passive():
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.add("b", nt.Passive())
    c.connect("a", "b", nt.GapJunction(g=1e-4), name="gj")
    c.stimulate("a", nt.Constant(amplitude=0.5))  # removed by the protocol
    return c


@pytest.mark.parametrize("target", [0.01, 0.1, 0.5, 0.9])
def test_passive_fit_matches_the_closed_form(passive, target):
    fit = nt.fit_gap_junction(passive, "gj", target)
    assert fit.g == pytest.approx(target * GL / (1 - target), rel=1e-6)
    assert abs(fit.cc_ab - target) <= 1e-4 and fit.resistance == pytest.approx(1e-3 / fit.g)
    assert passive.get("gj.g") == 1e-4  # not applied


@pytest.mark.parametrize("target", [0.01, 0.3, 0.9])
def test_hh_pair_fit_reaches_the_target_in_few_simulations(target):
    """The closed-form start leaves little for the root finder: ≤ 20 simulations.
    (Its wall-clock time, ~0.2 s, is a benchmark's to measure, not a shared CI
    machine's to assert.)"""
    circuit = hh_gap_pair()
    fit = nt.fit_gap_junction(circuit, "gj", target, direction="both", apply=True)
    assert abs(fit.achieved - target) <= 1e-4
    assert abs((fit.cc_ab + fit.cc_ba) / 2 - target) <= 1e-4
    assert circuit.get("gj.g") == fit.g  # applied
    assert fit.n_sims <= 20
    # an independent measurement at the fitted g agrees
    assert nt.coupling_coefficient(circuit, "a", "b") == pytest.approx(fit.cc_ab, abs=1e-9)


def test_directions_differ_when_the_cells_differ(passive):
    passive.set("b.area", 2 * 7.854e-3)  # b leaks twice as much
    fit = nt.fit_gap_junction(passive, "gj", 0.2, direction="b->a")
    g = fit.g
    assert fit.cc_ba == pytest.approx(g / (GL + g), abs=1e-4)
    assert fit.cc_ab == pytest.approx(g / (2 * GL + g), abs=1e-4)
    assert fit.cc_ab < fit.cc_ba


def test_a_target_out_of_reach_names_the_reachable_range(passive):
    with pytest.raises(
        ValueError, match=r"out of reach: g between 0 and 0.0001 mS gives CC from 0 to 0.11"
    ):
        nt.fit_gap_junction(passive, "gj", 0.5, bounds=(0.0, 1e-4))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        nt.fit_gap_junction(passive, "gj", 1.2)
    with pytest.raises(ValueError, match="direction"):
        nt.fit_gap_junction(passive, "gj", 0.2, direction="sideways")


def test_bad_arguments_are_named_before_any_run(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the fit simulated before checking its arguments")

    monkeypatch.setattr("neuntune.protocols.coupling.simulate", must_not_run)
    monkeypatch.setattr("neuntune.protocols.coupling.simulate_batch", must_not_run)
    c = hh_gap_pair()
    c.connect("a", "b", nt.DiffusionSynapse(), name="syn")
    for args, kwargs, error, message in (
        (("syn", 0.05), {}, ValueError,
         r"junction: 'syn' is a DiffusionSynapse, not a gap junction; .* \(here: gj\)"),
        (("nope", 0.05), {}, ValueError,
         r"junction: no connection named 'nope' \(gap junctions: gj\)"),
        ((None, 0.05), {}, ValueError, r"junction: no connection named None"),
        (("gj", "0.05"), {}, TypeError,
         r"target_cc: expected a number strictly between 0 and 1, got str '0\.05'"),
        (("gj", float("nan")), {}, ValueError, r"target_cc: nan must lie strictly between 0 and 1"),
        (("gj", 0.05), {"bounds": 5}, TypeError, r"bounds: expected \(low, high\) in mS, got 5"),
        (("gj", 0.05), {"direction": 1}, TypeError,
         r"direction: expected 'a->b', 'b->a' or 'both'"),
        (("gj", 0.05), {"tol": 0}, ValueError, r"tol: 0 must be a number > 0"),
    ):  # fmt: skip
        with pytest.raises(error, match=message):
            nt.fit_gap_junction(c, *args, **kwargs)
