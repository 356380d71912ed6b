"""Populations in presets: sizes, rules with their seeds, per-member values; round
trips that rebuild the same circuit and the same traces, and errors that name the path."""

import copy
import json

import jsonschema
import numpy as np
import pytest

import neuntune as nt
from neuntune.presets import (
    SCHEMA_VERSION,
    Preset,
    RunSettings,
    dumps,
    from_dict,
    load,
    parse,
    save,
    to_dict,
)
from neuntune.presets.document import MAX_ITEMS
from neuntune.presets.schema import schema


def network() -> nt.Circuit:
    """A small network with every kind of population data a preset stores."""
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(), n=12)
    c.add("x", nt.HH())
    c.set("wb.v0", nt.Uniform(-70.0, -50.0, seed=1))
    c.set("wb.gna", np.linspace(30.0, 40.0, 12) + 1e-13)  # values not short in decimal
    c.set("wb[3].h0", 0.5)  # the others stay at steady state (null)
    c.connect("wb", "wb", nt.GapJunction(g=0.001), rule=nt.AllToAll(), name="gap")
    c.set("gap.g", nt.Normal(1e-3, 1e-4, seed=4))  # one value per pair
    c.connect("wb", "x", nt.GapJunction(g=0.002), rule=nt.Pairs(i=[0, 3], j=[0, 0]), name="gx")
    c.connect("x", "wb", nt.ExpSynapse(g=1e-4), rule=nt.FixedProbability(0.5, seed=7), name="x->wb")
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    c.set("wb.stim0.amplitude", nt.Normal(0.6, 0.05, seed=9))
    c.stimulate("x", nt.Constant(amplitude=0.1))
    return c


def preset() -> Preset:
    return Preset(
        network(), "net", run=RunSettings(t_stop=30.0, dt=0.01, record=("wb[0:4].v", "x.v"))
    )


def same_network(a: nt.Circuit, b: nt.Circuit) -> None:
    assert list(a) == list(b) and a.sizes == b.sizes
    for name in a:
        assert a.element(name) == b.element(name), name
    for name, conn in a.connections.items():
        other = b.connections[name]
        assert (conn.pre, conn.post, conn.rule) == (other.pre, other.post, other.rule), name
        for x, y in zip(a.pairs(name), b.pairs(name), strict=True):
            assert np.array_equal(x, y), name
    assert a.member_values.keys() == b.member_values.keys()
    for name, values in a.member_values.items():
        assert values.keys() == b.member_values[name].keys(), name
        for key, value in values.items():
            other = b.member_values[name][key]
            if isinstance(value, np.ndarray):
                assert np.array_equal(value, other, equal_nan=True), (name, key)
            else:
                assert value == other, (name, key)  # the same distribution and seed


def test_a_network_is_stored_as_sizes_rules_and_member_values():
    doc = to_dict(preset())
    wb, x = doc["neurons"]
    assert wb["n"] == 12 and "n" not in x  # a single cell has no n
    assert wb["members"]["v0"] == {
        "distribution": "Uniform", "low": -70.0, "high": -50.0, "seed": 1, "unit": "mV",
    }  # fmt: skip
    assert wb["members"]["gna"]["unit"] == "mS/cm2" and len(wb["members"]["gna"]["value"]) == 12
    assert wb["members"]["h0"]["value"][3] == 0.5 and wb["members"]["h0"]["value"][0] is None
    gap, gx, xw = doc["connections"]
    assert gap["rule"] == {"rule": "AllToAll", "self_connections": False}
    assert gap["members"]["g"] == {
        "distribution": "Normal", "mean": 1e-3, "sd": 1e-4, "seed": 4, "unit": "mS",
    }  # fmt: skip
    assert gx["rule"] == {"rule": "Pairs", "i": [0, 3], "j": [0, 0]}
    assert xw["rule"] == {
        "rule": "FixedProbability",
        "p": 0.5,
        "seed": 7,
        "self_connections": False,
    }
    assert doc["stimuli"][0]["members"]["amplitude"]["distribution"] == "Normal"
    assert "members" not in doc["stimuli"][1]
    jsonschema.Draft202012Validator(schema()).validate(json.loads(dumps(preset())))


def test_load_of_save_is_the_same_network_with_bit_identical_traces(tmp_path):
    p = preset()
    q = load(save(p, tmp_path / "net.json"))
    same_network(p.circuit, q.circuit)
    assert q.run == p.run and to_dict(q) == to_dict(p)
    ours, theirs = p.simulate(), q.simulate()
    assert ours.columns().keys() == theirs.columns().keys() == {"t", "wb.v", "x.v"}
    for key, trace in ours.columns().items():
        assert np.array_equal(trace, theirs.columns()[key]), key
    assert ours.v["wb"].shape[0] == 4
    for cell in ("wb", "x"):
        a, b = ours.spikes[cell], theirs.spikes[cell]
        for u, v in zip(np.atleast_2d(a), np.atleast_2d(b), strict=True):
            assert np.array_equal(u, v)
    assert len(ours.spikes["wb"].t) > 0  # the members fire: the traces say something


def test_a_list_in_another_unit_and_a_distribution_in_another_unit_convert():
    doc = to_dict(preset())
    doc["neurons"][0]["members"]["v0"] = {
        "distribution": "Uniform", "low": -0.07, "high": -0.05, "seed": 1, "unit": "V",
    }  # fmt: skip
    doc["connections"][0]["members"]["g"] = {
        "distribution": "Normal", "mean": 1.0, "sd": 0.1, "seed": 4, "unit": "uS",
    }  # fmt: skip
    doc["neurons"][0]["members"]["gna"] = {"value": [0.035] * 12, "unit": "S/cm2"}
    c = from_dict(doc).circuit
    assert c.member_values["wb"]["v0"] == nt.Uniform(-70.0, -50.0, seed=1)
    assert c.member_values["gap"]["g"] == nt.Normal(1e-3, 1e-4, seed=4)
    assert np.array_equal(c.get("wb.gna"), np.full(12, 35.0))


def test_a_schema_1_document_loads_into_the_same_circuit():
    """Schema 1 had no populations: its documents are schema 2's as they stand."""
    current = json.loads(dumps(load("hh_gap_pair")))
    old = copy.deepcopy(current)
    old["schema"] = 1
    assert SCHEMA_VERSION == 2
    p, q = from_dict(old), from_dict(current)
    same_network(p.circuit, q.circuit)
    assert to_dict(p) == to_dict(q) == current
    assert all(n == 1 for n in p.circuit.sizes.values()) and not p.circuit.is_network()


def _bad(change):
    doc = to_dict(preset())
    change(doc)
    return doc


def _set(path, value):
    def change(doc):
        *head, last = path
        target = doc
        for key in head:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (_set(["neurons", 0, "n"], 0), r"\$\.neurons\[0\]\.n: expected a whole number ≥ 1; got 0"),
        (_set(["neurons", 0, "n"], 2.5), r"\$\.neurons\[0\]\.n: expected a whole number"),
        (
            _set(["connections", 0, "rule"], {"rule": "Random", "p": 0.1}),
            r"\$\.connections\[0\]\.rule\.rule: 'Random' is not one of AllToAll, OneToOne, "
            "FixedProbability, FixedNumberPre, Pairs",
        ),
        (
            _set(["connections", 2, "rule", "p"], 1.5),
            r"\$\.connections\[2\]\.rule\.p: a probability must lie in \[0, 1\]; got 1\.5",
        ),
        (
            _set(["connections", 2, "rule", "seed"], -1),
            r"\$\.connections\[2\]\.rule\.seed: expected a whole number ≥ 0",
        ),
        (
            _set(["connections", 2, "rule"], {"rule": "FixedProbability", "p": 0.1}),
            r"\$\.connections\[2\]\.rule: missing required key 'seed'",
        ),
        (
            _set(["connections", 2, "rule"], {"rule": "FixedNumberPre", "n": 2, "seed": 1}),
            r"\$\.connections\[2\]\.rule\.n: 2 pre members per post member, but x offers only 1",
        ),
        (
            _set(["connections", 0, "rule", "self_connections"], 1),
            r"\$\.connections\[0\]\.rule\.self_connections: expected true or false",
        ),
        (
            _set(["connections", 1, "rule"], {"rule": "Pairs", "i": [0, 12], "j": [0, 0]}),
            r"\$\.connections\[1\]\.rule\.i\[1\]: member 12 is out of range: wb has 12 member",
        ),
        (
            _set(["connections", 1, "rule"], {"rule": "Pairs", "i": [0, 1], "j": [0]}),
            r"\$\.connections\[1\]\.rule: i has 2 entries but j has 1",
        ),
        (
            _set(["connections", 1, "rule"], {"rule": "OneToOne"}),
            r"\$\.connections\[1\]\.rule: OneToOne: the populations have 12 and 1 members",
        ),
        (
            _set(["connections", 0, "rule"], KeyError),
            r"\$\.connections\[0\]: missing 'rule': wb has 12 member\(s\) and wb 12",
        ),
        (
            _set(["neurons", 0, "members", "gna", "value"], [35.0] * 11),
            r"\$\.neurons\[0\]\.members\.gna\.value: expected 12 values \(one per member of wb\); "
            "got 11",
        ),
        (
            _set(["neurons", 0, "members", "gna", "value"], [35.0] * 11 + [-1.0]),
            r"\$\.neurons\[0\]\.members\.gna\.value\[11\]: value -1 mS/cm2 is out of range",
        ),
        (
            _set(["neurons", 0, "members", "gna", "value"], [35.0] * 11 + [None]),
            r"\$\.neurons\[0\]\.members\.gna\.value\[11\]: expected a number; got null",
        ),
        (
            _set(["neurons", 0, "members", "gna", "unit"], "mS"),
            r"\$\.neurons\[0\]\.members\.gna\.unit: 'mS' is a conductance",
        ),
        (
            _set(["connections", 0, "members", "g", "mean"], KeyError),
            r"\$\.connections\[0\]\.members\.g: missing required key 'mean'",
        ),
        (
            _set(
                ["connections", 0, "members", "g"],
                {"distribution": "Normal", "mean": 0.0, "sd": 1e-3, "seed": 1, "unit": "mS"},
            ),
            r"\$\.connections\[0\]\.members\.g: gap\.g: \d+ of 66 values are out of range "
            r"\(first: member \d+, .*\); allowed: ≥ 0 mS",
        ),
        (
            _set(
                ["neurons", 0, "members", "v0"],
                {"distribution": "Gamma", "shape": 1.0, "seed": 1, "unit": "mV"},
            ),
            r"\$\.neurons\[0\]\.members\.v0\.distribution: 'Gamma' is not one of Normal, Uniform",
        ),
        (
            _set(["neurons", 0, "members", "v0", "high"], -80.0),
            r"\$\.neurons\[0\]\.members\.v0\.high: must not be below low",
        ),
        (
            _set(["neurons", 0, "members", "nope"], {"value": [0.0] * 12, "unit": "1"}),
            r"\$\.neurons\[0\]\.members\.nope: unknown key",
        ),
        (
            _set(["run", "record"], ["wb[10:20].v"]),
            r"\$\.run\.record\[0\]: nothing called 'wb\[10:20\]\.v' can be recorded \(wb has 12",
        ),
        (
            _set(["run", "record"], ["wb.m"]),
            r"\$\.run\.record\[0\]: nothing called 'wb\.m' can be recorded "
            r"\(choices: 'v', wb\.v, wb\.h, wb\.n\)",
        ),
    ],
)
def test_bad_population_data_names_the_json_path(change, message):
    with pytest.raises(nt.PresetError, match=message):
        from_dict(_bad(change))


@pytest.mark.parametrize(
    "change",
    [
        _set(["connections", 2, "rule", "p"], 1.5),
        _set(["connections", 0, "rule"], {"rule": "Random"}),
        _set(["neurons", 0, "n"], 0),
        _set(["neurons", 0, "members", "gna", "value"], [35.0] * 11 + [-1.0]),
        _set(["connections", 1, "rule", "i"], [0, -1]),
    ],
)
def test_the_json_schema_refuses_what_the_loader_refuses(change):
    assert not jsonschema.Draft202012Validator(schema()).is_valid(_bad(change))


def test_big_explicit_lists_are_refused_with_a_rule_or_distribution_suggested(tmp_path):
    big = MAX_ITEMS + 1
    c = nt.Circuit()
    c.add("a", nt.WangBuzsaki(), n=big)
    c.add("b", nt.WangBuzsaki(), n=2)
    c.connect("a", "b", nt.GapJunction(), rule=nt.Pairs(i=np.arange(big), j=np.zeros(big)))
    with pytest.raises(nt.PresetError, match=r"\$\.connections\[0\]\.rule: 100001 explicit pairs, "
                       r"over the limit of 100000 .*by a rule with a seed"):  # fmt: skip
        save(c, tmp_path / "big.json")
    c.connect("a", "b", nt.GapJunction(), rule=nt.FixedProbability(1e-5, seed=1), name="sparse")
    c.remove("a->b")
    c.set("a.gna", np.full(big, 35.0))
    with pytest.raises(nt.PresetError, match=r"\$\.neurons\[0\]\.members\.gna: 100001 values, "
                       r"over the limit .*seeded distribution"):  # fmt: skip
        save(c, tmp_path / "big.json")
    c.set("a.gna", nt.Normal(35.0, 1.0, seed=2))  # as a distribution it fits
    q = load(save(c, tmp_path / "big.json"))
    assert q.circuit.sizes == {"a": big, "b": 2} and q.circuit.get("a[7].gna") == c.get("a[7].gna")
    assert not (tmp_path / ".big.json.tmp").exists()
    # a file written by hand with such a list is refused at load with the same advice
    doc = to_dict(q)
    doc["connections"][0]["rule"] = {"rule": "Pairs", "i": [0] * big, "j": [0] * big}
    with pytest.raises(nt.PresetError, match=r"\$\.connections\[0\]\.rule\.[ij]: 100001 items, "
                       r"over the limit of 100000 items; .*rule with a seed"):  # fmt: skip
        from_dict(doc)
    doc = to_dict(q)
    doc["neurons"][0]["members"]["gna"] = {"value": [35.0] * big, "unit": "mS/cm2"}
    with pytest.raises(nt.PresetError, match=r"members\.gna\.value: 100001 items, .*distribution"):
        from_dict(doc)


def test_a_preset_over_the_file_limit_is_refused_before_it_is_written(tmp_path, monkeypatch):
    from neuntune.presets import io as preset_io

    monkeypatch.setattr(preset_io, "MAX_BYTES", 3_000)
    with pytest.raises(nt.PresetError, match=r"\$: the preset would be \d+ bytes, over the limit "
                       r"of 3000 bytes .*rules and seeded distributions"):  # fmt: skip
        save(preset(), tmp_path / "net.json")
    assert list(tmp_path.iterdir()) == []


def test_a_copy_and_a_parse_keep_member_values_independent():
    p = parse(dumps(preset()))
    q = p.copy()
    q.circuit.set("wb[0].gna", 20.0)
    assert p.circuit.get("wb[0].gna") != 20.0
