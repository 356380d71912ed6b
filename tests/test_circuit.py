"""Circuit building, naming and dotted parameter paths."""

import pytest

import neuntune as nt


def test_default_names_and_paths(hh_pair):
    c = hh_pair
    assert list(c.connections) == ["gj"] and list(c.stimuli) == ["a.stim0", "b.stim0"]
    name = c.connect("b", "a", nt.GapJunction())
    assert name == "b->a"
    assert c.connect("b", "a", nt.GapJunction()) == "b->a#2"
    assert c.stimulate("a", nt.Step()) == "a.stim1"
    c.set("a.stim1.amplitude", -0.05)
    assert c.get("a.stim1.amplitude") == -0.05
    c.set("b->a.g", 0.003)
    assert c.get("b->a.g") == 0.003
    assert c.get("a.gna") == 120.0  # per cm², as declared


def test_every_parameter_is_listed(hh_pair):
    paths = list(hh_pair.parameters())
    assert "gj.g" in paths and "a.gna" in paths and "b.stim0.amplitude" in paths and "a.v0" in paths


@pytest.mark.parametrize(
    "path, value, error, text",
    [
        ("a.gna", -1.0, ValueError, r"a.gna: value -1 mS/cm2 is out of range"),
        ("gj.g", "x", TypeError, r"gj.g: expected a number in mS"),
        ("a.nope", 1.0, KeyError, r"a.nope: HH has no parameter 'nope'"),
        ("zz.g", 1.0, KeyError, r"zz.g: no element named 'zz'"),
        ("gna", 1.0, KeyError, r"looks like 'cell.param'"),
    ],
)
def test_bad_paths_and_values(hh_pair, path, value, error, text):
    with pytest.raises(error, match=text):
        hh_pair.set(path, value)


def test_bad_wiring(hh_pair):
    with pytest.raises(ValueError, match="pre cell 'x' does not exist"):
        hh_pair.connect("x", "a", nt.GapJunction())
    with pytest.raises(ValueError, match="already exists"):
        hh_pair.add("a", nt.HH())
    with pytest.raises(ValueError, match="cell name '1a'"):
        hh_pair.add("1a", nt.HH())
    with pytest.raises(TypeError, match="expected a Synapse"):
        hh_pair.connect("a", "b", nt.HH())
    hh_pair.add("src", nt.SpikeSource([1.0]))
    with pytest.raises(ValueError, match="reads v_pre"):
        hh_pair.connect("src", "a", nt.ContinuousSynapse())


def test_copy_is_independent_and_remove_cascades(hh_pair):
    clone = hh_pair.copy()
    clone.set("gj.g", 0.01)
    assert hh_pair.get("gj.g") == 0.002
    clone.remove("b")
    assert list(clone) == ["a", "a.stim0"]
    assert clone.structure() != hh_pair.structure()


def test_structure_ignores_values(hh_pair):
    before = hh_pair.structure()
    hh_pair.set("gj.g", 0.005)
    hh_pair.set("a.v0", -70.0)
    assert hh_pair.structure() == before
