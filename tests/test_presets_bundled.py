"""The bundled presets: each reproduces the reference it names."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from reference import upward_crossings

import neuntune as nt
from neuntune.presets import DEFAULT, load, locate, names
from neuntune.presets.schema import schema

REPO = Path(__file__).resolve().parent.parent
BRIAN2 = np.load(Path(__file__).parent / "data" / "brian2_continuous_interaction.npz")


def test_the_bundle_and_the_default():
    assert names() == [
        "bmtool_ampa_nmda_stp",
        "bmtool_gaba_a_stp",
        "bmtool_gap_cc",
        "brainpy_alpha",
        "brainpy_ampa",
        "brainpy_expon",
        "brainpy_gabaa",
        "dsyn_pair",
        "hh_chain",
        "hh_gap_pair",
        "hr_bursting_pair",
        "rtm_continuous",
    ]
    assert DEFAULT == "hh_gap_pair"
    for name in names():
        p = load(name)
        assert p.name == name and p.description and p.source and p.sliders
        # the top-level presets/ folder shows the same files the package ships
        assert (REPO / "presets" / f"{name}.json").read_bytes() == locate(name).read_bytes()


@pytest.mark.parametrize("name", names())
def test_bundled_presets_satisfy_the_shipped_schema(name):
    jsonschema.Draft202012Validator(schema()).validate(json.loads(locate(name).read_text()))


def traces_equal(a: nt.Result, b: nt.Result) -> None:
    assert a.columns().keys() == b.columns().keys()
    for key, trace in a.columns().items():
        assert np.array_equal(trace, b.columns()[key]), key
    for cell, spikes in a.spikes.items():
        assert np.array_equal(spikes, b.spikes[cell]), cell


def test_hh_gap_pair_is_the_neun_docs_pair_bit_for_bit(hh_pair):
    """Against the docs' pair built by hand (conftest's hh_pair)."""
    p = load("hh_gap_pair")
    assert (p.run.t_stop, p.run.dt, p.run.method) == (100.0, 0.001, "rk4")  # the docs' loop
    assert p.circuit.get("gj.g") == 0.002  # positive: pulls the voltages together
    ours = p.simulate()
    traces_equal(ours, nt.simulate(hh_pair, **p.run.arguments()))
    assert all(len(s) >= 6 for s in ours.spikes.values())  # both fire throughout


def test_hh_chain_is_the_neun_docs_chain():
    """The docs' chain built by hand: three HH cells at −70, −65, −60 mV with
    m, h, n = 0.05, 0.6, 0.3, junctions of 0.002 mS, 0.15 µA into the first."""
    p = load("hh_chain")
    reference = nt.Circuit()
    for cell, v0 in (("n1", -70.0), ("n2", -65.0), ("n3", -60.0)):
        reference.add(cell, nt.HH(v0=v0, m0=0.05, h0=0.6, n0=0.3))
    reference.connect("n1", "n2", nt.GapJunction(g=0.002), name="s12")
    reference.connect("n2", "n3", nt.GapJunction(g=0.002), name="s23")
    reference.stimulate("n1", nt.Constant(amplitude=0.15))
    ours = p.simulate()
    traces_equal(ours, nt.simulate(reference, **p.run.arguments()))
    first = [s[0] for s in (ours.spikes["n1"], ours.spikes["n2"], ours.spikes["n3"])]
    assert first == sorted(first)  # activity travels down the chain from n1


def test_rtm_continuous_reproduces_brian2s_traces():
    """Against Brian2's own run of the example (tests/data, as in test_brian2.py)."""
    p = load("rtm_continuous")
    ours = p.simulate()
    assert np.max(np.abs(BRIAN2["rk4_v0"] - ours.v["n0"][:-1])) < 1e-6
    for cell in (0, 1):
        theirs = upward_crossings(BRIAN2["rk4_t"], BRIAN2[f"rk4_v{cell}"])
        mine = ours.spikes[f"n{cell}"]
        assert len(theirs) == len(mine) >= 5
        assert np.max(np.abs(theirs - mine)) < 0.02  # Brian2's summed input lags dt/2


def test_bmtool_gap_cc_gives_the_analytic_coupling_in_both_directions():
    """BMTool's protocol (settle 500 ms, −0.01 nA for 500 ms) on passive cells, where
    CC = g/(g_L + g) exactly."""
    p = load("bmtool_gap_cc")
    c = p.circuit
    assert c.get("a.cc.amplitude") == -1e-5 and c.get("a.cc.start") == 500.0
    assert c.get("a.cc.stop") - c.get("a.cc.start") == 500.0
    g_leak = c.get("a.gl") * c.get("a.area")
    expected = c.get("gj.g") / (g_leak + c.get("gj.g"))
    assert 0.04 < expected < 0.06  # a BMTool-sized coupling from a 0.1 nS junction
    result = p.simulate()
    cc = p.coupling(result)
    assert set(cc) == {"a->b", "b->a"}
    for value in cc.values():
        assert value == pytest.approx(expected, abs=1e-4)
    assert all(len(s) == 0 for s in result.spikes.values())
    # the source cell moves by millivolts: a measurable protocol
    assert result.v["a"].min() < -67.0


def test_a_coupling_that_the_run_cannot_define_says_why():
    p = load("bmtool_gap_cc")
    result = p.simulate(t_stop=600.0)  # ends during the first step
    assert p.coupling(result)["a->b"] == (
        "the run ends at 600 ms, before the step a.cc does (1000 ms)"
    )
    p.circuit.set("a.cc.amplitude", 0.01)  # 10 nA: the cell fires
    message = p.coupling(p.simulate())["a->b"]
    assert message.startswith("a spikes at 5") and message.endswith("during the protocol")
