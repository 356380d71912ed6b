"""The preset format: round trips, units, migration, atomic saving and error messages."""

import copy
import json
import os

import numpy as np
import pytest

import neuntune as nt
from neuntune.models.definition import post_targets
from neuntune.models.registry import _REGISTRY
from neuntune.presets import (
    SCHEMA_VERSION,
    Preset,
    RunSettings,
    Slider,
    dumps,
    from_dict,
    load,
    names,
    parse,
    save,
    to_dict,
)
from neuntune.presets import io as preset_io
from neuntune.presets.document import element_to_json
from neuntune.presets.migrate import MIGRATIONS, migrate
from neuntune.presets.units import UNITS, compatible, convert


def same_circuit(a: nt.Circuit, b: nt.Circuit) -> None:
    """Same elements in the same order, same wiring, same models, options and values."""
    assert list(a.neurons) == list(b.neurons)
    assert list(a.connections) == list(b.connections)
    assert list(a.stimuli) == list(b.stimuli)
    for name in a:
        assert a.element(name) == b.element(name), name
    for name, conn in a.connections.items():
        assert (conn.pre, conn.post) == (b.connections[name].pre, b.connections[name].post)
    for name, inj in a.stimuli.items():
        assert inj.target == b.stimuli[name].target
    assert a.structure() == b.structure()


def given(model: str, **values: dict) -> dict:
    """Every parameter of ``model`` (a preset gives them all) with its default in its
    declared unit, then ``values`` as written."""
    table = _REGISTRY[model].parameter_table()
    return {k: {"value": p.default, "unit": p.unit} for k, p in table.items()} | values


def pair_doc() -> dict:
    """A small valid document, written by hand the way a user would."""
    return {
        "schema": 1,
        "metadata": {"name": "pair"},
        "neurons": [
            {
                "name": "a",
                "model": "HH",
                "parameters": given("HH", v0={"value": -75, "unit": "mV"}),
            },
            {"name": "b", "model": "HH", "parameters": given("HH")},
        ],
        "connections": [
            {
                "name": "gj",
                "model": "GapJunction",
                "pre": "a",
                "post": "b",
                "parameters": given("GapJunction", g={"value": 2, "unit": "uS"}),
            }
        ],
        "stimuli": [
            {
                "name": "a.stim0",
                "model": "Constant",
                "target": "a",
                "parameters": given("Constant", amplitude={"value": 100, "unit": "nA"}),
            }
        ],
        "run": {"t_stop": {"value": 20, "unit": "ms"}, "dt": {"value": 10, "unit": "us"}},
    }


# ------------------------------------------------------------------ round trips
def test_a_hand_written_preset_loads_with_units_converted():
    p = from_dict(pair_doc())
    c = p.circuit
    assert c.get("gj.g") == 0.002  # 2 µS, exactly the float 0.002 mS
    assert c.get("a.stim0.amplitude") == 0.1  # 100 nA
    assert c.get("a.v0") == -75.0 and c.get("b.v0") == -65.0
    assert c.get("a.m0") is None  # initial gate at steady state
    assert (p.run.t_stop, p.run.dt) == (20.0, 0.01)
    assert p.name == "pair" and p.description == "" and p.sliders == []


@pytest.mark.parametrize("name", names())
def test_every_bundled_preset_round_trips_exactly(tmp_path, name):
    p = load(name)
    path = save(p, tmp_path / f"{name}.json")
    q = load(path)
    same_circuit(p.circuit, q.circuit)
    assert q.run == p.run and q.sliders == p.sliders and q.couplings == p.couplings
    assert (q.name, q.description, q.source) == (p.name, p.description, p.source)
    assert to_dict(q) == to_dict(p)


def test_saved_and_reloaded_traces_are_bit_identical(tmp_path, hh_pair):
    hh_pair.set("gj.g", 0.0031)  # a value that is not short in binary
    hh_pair.set("a.m0", 0.05)
    run = RunSettings(t_stop=20.0, dt=0.01)
    q = load(save(Preset(hh_pair, "mine", run=run), tmp_path / "mine.json"))
    ours, theirs = nt.simulate(hh_pair, **run.arguments()), q.simulate()
    assert ours.columns().keys() == theirs.columns().keys()
    for key, trace in ours.columns().items():
        assert np.array_equal(trace, theirs.columns()[key]), key
    for cell in ours.spikes:
        assert np.array_equal(ours.spikes[cell], theirs.spikes[cell])


def every_option_combination():
    """Every registered model with every choice of each of its options."""
    for name in sorted(_REGISTRY):
        cls = _REGISTRY[name]
        yield cls, {}
        for option, decl in cls.options.items():
            for choice in decl.choices:
                yield cls, {option: choice}


@pytest.mark.parametrize("cls, options", list(every_option_combination()))
def test_every_registered_model_and_option_round_trips(cls, options):
    """Generated from the registry, so a model added later is covered too."""
    model = cls(**options)
    table = cls.parameter_table()
    for key, p in table.items():  # a value other than the default where one is allowed
        if p.default is not None and p.maximum is None:
            model.set(
                key, p.default * 1.5 + 1.0 if p.minimum is None or p.default >= 0 else p.default
            )
    element = element_to_json(model)
    assert set(element["parameters"]) == set(table)
    assert all(q["unit"] == table[k].unit for k, q in element["parameters"].items())
    kind = {"neuron": "neurons", "synapse": "connections", "stimulus": "stimuli"}.get(cls.kind)
    if kind is None:  # plasticity rules travel inside a connection; see the interop tests
        return
    # a synapse that raises a post-cell state (DeltaSynapse) needs a post cell that has it
    post = (
        "TraubMilesCOBA" if kind == "connections" and post_targets(model.resolved()) else "Passive"
    )
    cells = [
        {"name": "a", **element_to_json(nt.Passive())},
        {"name": "b", **element_to_json(_REGISTRY[post]())},
    ]
    doc = {"schema": 1, "metadata": {"name": "x"}, "neurons": cells}
    entry = {"name": "e", **json.loads(json.dumps(element))}
    if kind == "neurons":
        doc["neurons"].append(entry)
    elif kind == "connections":
        doc["connections"] = [{**entry, "pre": "a", "post": "b"}]
    else:
        doc["stimuli"] = [{**entry, "target": "a"}]
    assert from_dict(doc).circuit.element("e") == model


def test_spike_source_times_are_stored_with_their_unit():
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([10.0, 2.5]))
    doc = to_dict(Preset(c, "src"))
    assert doc["neurons"][0]["times"] == {"value": [2.5, 10.0], "unit": "ms"}
    doc["neurons"][0]["times"] = {"value": [0.01, 0.02], "unit": "s"}
    assert list(from_dict(doc).circuit.neurons["src"].times) == [10.0, 20.0]


def test_plasticity_rides_on_its_connection():
    """The part of the attachment API that exists: a rule serialises inside its
    connection and reads back onto the synapse, values and all."""
    tm, exp = _REGISTRY.get("TsodyksMarkram"), _REGISTRY.get("ExpSynapse")
    assert tm is not None and exp is not None, "the plasticity models are registered"
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([5.0]))
    c.add("b", nt.Passive())
    c.connect("src", "b", exp(tau=3.0, plasticity=tm(Use=0.4, Fac=0.0)), name="syn")
    doc = to_dict(Preset(c, "stp"))
    conn = doc["connections"][0]
    assert conn["plasticity"]["model"] == "TsodyksMarkram"
    assert conn["plasticity"]["parameters"]["Use"] == {"value": 0.4, "unit": "1"}
    assert "Use" not in conn["parameters"]  # the rule's values live in the rule
    back = from_dict(json.loads(json.dumps(doc))).circuit
    assert back.element("syn") == c.element("syn")
    assert back.get("syn.Use") == 0.4


def test_plasticity_on_a_synapse_that_cannot_carry_it_is_refused():
    doc = pair_doc()
    doc["connections"][0]["plasticity"] = element_to_json(_REGISTRY["TsodyksMarkram"]())
    with pytest.raises(nt.PresetError, match=r"\$\.connections\[0\]\.plasticity: .*event-driven"):
        from_dict(doc)
    doc["connections"][0]["plasticity"] = {"model": "Nope"}
    with pytest.raises(nt.PresetError, match=r"plasticity\.model: unknown plasticity model 'Nope'"):
        from_dict(doc)


def test_a_circuit_saves_as_a_preset_with_defaults(tmp_path, hh_pair):
    path = save(hh_pair, tmp_path / "bare.json", description="just the circuit")
    p = load(path)
    assert p.name == "bare" and p.description == "just the circuit"
    assert p.run == RunSettings()
    same_circuit(p.circuit, hh_pair)


def test_unregistered_models_cannot_be_saved(tmp_path):
    class Mine(nt.Neuron):
        states = {"v": nt.State(0.0, "mV", "v")}
        equations = "dv/dt = -v"

    c = nt.Circuit()
    c.add("a", Mine())
    with pytest.raises(nt.PresetError, match="Mine is not a registered model"):
        save(c, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def test_written_files_are_readable_json_with_units():
    text = dumps(load("hh_gap_pair"))
    assert '"gna": {"value": 120.0, "unit": "mS/cm2"}' in text  # one quantity per line
    assert json.loads(text)["schema"] == SCHEMA_VERSION


# ----------------------------------------------------------------------- units
def test_unit_table_converts_by_exact_powers_of_ten():
    assert convert(2.0, "nS", "mS") == 2e-6
    assert convert(-10.0, "pA", "uA") == -1e-5
    assert convert(1.0, "S/m2", "mS/cm2") == 0.1
    assert convert(1.0, "pF/um2", "uF/cm2") == 100.0
    assert convert(50.0, "Hz", "1/ms") == 0.05
    assert convert(2000.0, "um2", "cm2") == 2e-5
    assert convert(1.0, "odd", "odd") == 1.0  # a declared unit outside the table still works
    for unit, entry in UNITS.items():
        assert unit in compatible(unit)
        assert all(UNITS[u].quantity == entry.quantity for u in compatible(unit))


def test_mismatched_units_are_refused_with_the_path():
    doc = pair_doc()
    doc["connections"][0]["parameters"]["g"]["unit"] = "MOhm"
    with pytest.raises(nt.PresetError) as info:
        from_dict(doc)
    message = str(info.value)
    assert message.startswith("$.connections[0].parameters.g.unit: 'MOhm' is a resistance")
    assert "conductance (mS, S, uS, nS, pS)" in message and "g = 1/R" in message


def test_range_errors_say_how_the_value_was_written():
    doc = pair_doc()
    doc["connections"][0]["parameters"]["g"] = {"value": -3, "unit": "nS"}
    with pytest.raises(
        nt.PresetError,
        match=r"parameters\.g\.value: value -3e-06 mS is out of range.*"
        r"\(written as -3 nS\)",
    ):
        from_dict(doc)


# -------------------------------------------------------------------- versions
def test_a_schema_0_document_migrates_to_the_same_preset():
    old = {
        "schema": 0,
        "name": "pair",
        "description": "old layout",
        "cells": [
            {"name": "a", "model": "HH", "parameters": {"v0": -75.0}},
            {"name": "b", "model": "HH"},
        ],
        "connections": [
            {
                "name": "gj",
                "model": "GapJunction",
                "pre": "a",
                "post": "b",
                "parameters": {"g": 0.002},
            }
        ],
        "stimuli": [
            {
                "name": "a.stim0",
                "model": "Constant",
                "target": "a",
                "parameters": {"amplitude": 0.1},
            }
        ],
        "run": {"t_stop": 20, "dt": 0.01},
    }
    frozen = copy.deepcopy(old)
    p = from_dict(old)
    assert old == frozen  # migration does not touch its input
    assert 0 in MIGRATIONS and migrate(old)["schema"] == SCHEMA_VERSION
    same_circuit(p.circuit, from_dict(pair_doc()).circuit)
    assert p.description == "old layout" and p.run.t_stop == 20.0


def test_a_malformed_old_document_is_reported_after_migration():
    with pytest.raises(
        nt.PresetError, match=r"\$\.neurons\[0\]\.parameters\.gna: expected an object"
    ):
        from_dict(
            {
                "schema": 0,
                "name": "x",
                "cells": [{"name": "a", "model": "HH", "parameters": {"gna": "high"}}],
            }
        )


def test_a_newer_schema_is_refused_not_misread():
    doc = pair_doc()
    doc["schema"] = SCHEMA_VERSION + 1
    with pytest.raises(
        nt.PresetError,
        match=rf"\$\.schema: .*schema version {SCHEMA_VERSION + 1}, newer than this neuntune",
    ):
        from_dict(doc)


# ---------------------------------------------------------------- bad documents
def _broken(change):
    doc = pair_doc()
    change(doc)
    return doc


MALFORMED = [
    (
        "missing field",
        lambda d: d["neurons"][1].pop("model"),
        r"\$\.neurons\[1\]: missing required key 'model'",
    ),
    ("missing metadata", lambda d: d.pop("metadata"), r"\$: missing required key 'metadata'"),
    (
        "unknown model",
        lambda d: d["neurons"][1].update(model="HHX"),
        r"\$\.neurons\[1\]\.model: unknown neuron model 'HHX' \(known: .*HH",
    ),
    (
        "synapse as cell",
        lambda d: d["neurons"][1].update(model="GapJunction"),
        r"unknown neuron model 'GapJunction'",
    ),
    (
        "wrong type",
        lambda d: d["neurons"][0]["parameters"]["v0"].update(value="-75"),
        r"parameters\.v0\.value: expected a number; got string '-75'",
    ),
    (
        "bool is not a number",
        lambda d: d["neurons"][0]["parameters"]["v0"].update(value=True),
        r"v0\.value: expected a number; got boolean true",
    ),
    (
        "bare number",
        lambda d: d["neurons"][0]["parameters"].update(gna=120),
        r"parameters\.gna: expected an object with keys value, unit",
    ),
    (
        "out of range",
        lambda d: d["neurons"][0]["parameters"].update(cm={"value": 0, "unit": "uF/cm2"}),
        r"parameters\.cm\.value: value 0 uF/cm2 is out of range; allowed: > 0",
    ),
    (
        "null not allowed",
        lambda d: d["neurons"][0]["parameters"].update(gna={"value": None, "unit": "mS/cm2"}),
        r"gna\.value: expected a number; got null",
    ),
    (
        "unknown unit",
        lambda d: d["neurons"][0]["parameters"]["v0"].update(unit="mv"),
        r"v0\.unit: unknown unit 'mv'; expected a voltage \(mV, V, uV\)",
    ),
    (
        "unknown parameter",
        lambda d: d["neurons"][0]["parameters"].update(gnaa={"value": 1, "unit": "mS/cm2"}),
        r"parameters\.gnaa: unknown key; expected one of cm, gna",
    ),
    (
        "unknown key",
        lambda d: d["neurons"][0].update(colour="red"),
        r"\$\.neurons\[0\]\.colour: unknown key",
    ),
    (
        "dangling pre",
        lambda d: d["connections"][0].update(pre="c"),
        r"\$\.connections\[0\]\.pre: no neuron named 'c' \(neurons: a, b\)",
    ),
    (
        "dangling target",
        lambda d: d["stimuli"][0].update(target="z"),
        r"\$\.stimuli\[0\]\.target: no neuron named 'z'",
    ),
    (
        "duplicate cells",
        lambda d: d["neurons"][1].update(name="a"),
        r"\$\.neurons\[1\]: duplicate name 'a' \(already used at \$\.neurons\[0\]\)",
    ),
    (
        "duplicate across kinds",
        lambda d: d["connections"][0].update(name="b"),
        r"\$\.connections\[0\]: duplicate name 'b'",
    ),
    ("bad name", lambda d: d["neurons"][1].update(name="1b"), r"\$\.neurons\[1\]: cell name '1b'"),
    ("no neurons", lambda d: d.update(neurons=[]), r"\$\.neurons: expected at least 1 item"),
    ("not a list", lambda d: d.update(stimuli={}), r"\$\.stimuli: expected an array; got object"),
    (
        "nan",
        lambda d: d["run"]["t_stop"].update(value=float("nan")),
        r"\$\.run\.t_stop\.value: expected a finite number; got nan",
    ),
    (
        "inf",
        lambda d: d["neurons"][0]["parameters"]["v0"].update(value=float("inf")),
        r"v0\.value: expected a finite number; got inf",
    ),
    (
        "huge integer",
        lambda d: d["neurons"][0]["parameters"]["v0"].update(value=10**400),
        r"v0\.value: expected a finite number",
    ),
    (
        "overflow in conversion",
        lambda d: d["stimuli"][0]["parameters"].update(amplitude={"value": 1e308, "unit": "A"}),
        r"amplitude\.unit: 1e\+308 A is beyond",
    ),
    (
        "dt above t_stop",
        lambda d: d["run"].update(dt={"value": 1, "unit": "s"}),
        r"\$\.run\.dt: 1000 ms is longer than t_stop",
    ),
    (
        "bad method",
        lambda d: d["run"].update(method="rk45"),
        r"\$\.run\.method: 'rk45' is not one of euler, rk4, rk6, expeuler",
    ),
    (
        "bad record",
        lambda d: d["run"].update(record=["a.zz"]),
        r"\$\.run\.record\[0\]: nothing called 'a.zz' can be recorded",
    ),
    (
        "bad record_every",
        lambda d: d["run"].update(record_every=0.5),
        r"\$\.run\.record_every: expected a whole number ≥ 1",
    ),
    (
        "bad option",
        lambda d: d["neurons"][0].update(options={"speed": "fast"}),
        r"\$\.neurons\[0\]\.options\.speed: unknown key",
    ),
    (
        "empty name",
        lambda d: d["metadata"].update(name=" "),
        r"\$\.metadata\.name: must not be empty",
    ),
    (
        "slider path",
        lambda d: d.update(hints={"sliders": [{"path": "gj.q"}]}),
        r"\$\.hints\.sliders\[0\]\.path: gj\.q: GapJunction has no parameter 'q'",
    ),
    (
        "slider unit",
        lambda d: d.update(hints={"sliders": [{"path": "gj.g", "unit": "mV"}]}),
        r"sliders\[0\]\.unit: 'mV' is a voltage",
    ),
    (
        "slider range order",
        lambda d: d.update(hints={"sliders": [{"path": "gj.g", "range": [2, 1]}]}),
        r"sliders\[0\]\.range: low must be below high",
    ),
    (
        "log slider from 0",
        lambda d: d.update(hints={"sliders": [{"path": "gj.g", "range": [0, 1], "scale": "log"}]}),
        r"a log slider needs low > 0",
    ),
    (
        "slider beyond bounds",
        lambda d: d.update(
            hints={"sliders": [{"path": "gj.g", "unit": "nS", "range": [-1, 1], "scale": "linear"}]}
        ),
        r"sliders\[0\]\.range\[0\]: value -1e-06 mS is out of range",
    ),
    (
        "slider without range",
        lambda d: d.update(hints={"sliders": [{"path": "a.v0"}]}),
        r"sliders\[0\]: a\.v0 has no default slider range; give 'range' in mV",
    ),
    (
        "coupling without a step",
        lambda d: d.update(
            measurements=[{"kind": "coupling", "stimulus": "a.stim0", "target": "b"}]
        ),
        r"measurements\[0\]\.stimulus: a\.stim0 has no start and stop",
    ),
    (
        "measurement kind",
        lambda d: d.update(measurements=[{"kind": "psp", "stimulus": "a.stim0", "target": "b"}]),
        r"measurements\[0\]\.kind: 'psp' is not one of coupling",
    ),
]


@pytest.mark.parametrize("what, change, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_documents_name_the_path(what, change, message):
    with pytest.raises(nt.PresetError, match=message):
        from_dict(_broken(change))


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"schema": 1,', r"\$: not valid JSON: Expecting property name .*line 1, column 14"),
        ("", r"\$: not valid JSON: Expecting value"),
        ("[1, 2]", r"\$: expected a JSON object \(a preset\); got list"),
        ('{"metadata": {}}', r"\$: missing required key 'schema'"),
        ('{"schema": "1"}', r"\$\.schema: expected a whole number"),
        (
            '{"schema": 1, "schema": 1, "metadata": {"name": "x"}, "neurons": []}',
            r"\$\.schema: appears twice",
        ),
        ("[" * 100_000 + "]" * 100_000, r"nested too deeply"),
        (b"\xff\xfe{", r"\$: not valid JSON"),
        (
            '{"schema": 1, "metadata": {"name": "x"}, "neurons": [{"name": "a", "model": "HH", '
            '"parameters": {"v0": {"value": NaN, "unit": "mV"}}}]}',
            r"v0\.value: expected a finite number; got nan",
        ),
    ],
)
def test_bad_json_text_is_a_preset_error(text, message):
    with pytest.raises(nt.PresetError, match=message):
        parse(text)


def test_a_missing_file_or_name_is_a_preset_error(tmp_path):
    with pytest.raises(
        nt.PresetError, match=r"nope: cannot read it .*bundled presets: .*hh_gap_pair"
    ):
        load("nope")
    with pytest.raises(nt.PresetError, match="cannot read it"):
        load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 1}')
    with pytest.raises(nt.PresetError, match=rf"^{bad}: \$: missing required key 'metadata'"):
        load(bad)


# ------------------------------------------------------------------ safe saving
def test_a_failed_save_leaves_the_existing_file_untouched(tmp_path, monkeypatch):
    target = tmp_path / "keep.json"
    save(load("hh_gap_pair"), target)
    before = target.read_bytes()
    os.chmod(target, 0o640)
    written = []
    real = preset_io._chunks

    def fail_halfway(value, level=0):
        if level:  # the nested calls of the real writer
            yield from real(value, level)
            return
        for i, chunk in enumerate(real(value, level)):
            if i == 40:  # serialisation breaks after part of the file is written
                raise RuntimeError("disk full")
            written.append(chunk)
            yield chunk

    monkeypatch.setattr(preset_io, "_chunks", fail_halfway)
    with pytest.raises(RuntimeError, match="disk full"):
        save(load("rtm_continuous"), target)
    assert written  # it really failed part-way through
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json"]  # no temporary left
    monkeypatch.undo()
    save(load("rtm_continuous"), target)  # a successful save replaces it, keeping permissions
    assert load(target).name == "rtm_continuous" and (os.stat(target).st_mode & 0o777) == 0o640


def test_an_invalid_preset_is_never_written(tmp_path, hh_pair):
    p = Preset(hh_pair, "x", sliders=[Slider("gj.g", "mS", 0.0, 1.0)])
    hh_pair.remove("gj")  # the slider now points at nothing
    with pytest.raises(nt.PresetError, match=r"\$\.hints\.sliders\[0\]\.path: gj\.g"):
        save(p, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


# ------------------------------------------------------------------ size limits
def _doc():
    return json.loads(dumps(load("hh_gap_pair")))


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("an oversized preset was parsed")

    big = tmp_path / "big.json"
    big.write_bytes(b" " * (preset_io.MAX_BYTES + 1))
    monkeypatch.setattr(preset_io.json, "loads", must_not_parse)
    with pytest.raises(nt.PresetError, match=rf"^{big}: \$: the file is 8388609 bytes, over the "
                       r"limit of 8388608 bytes \(8 MiB\) for a preset$"):  # fmt: skip
        load(big)
    with pytest.raises(nt.PresetError, match=r"^\$: the preset is 8388609 bytes, over the limit"):
        parse(b" " * (preset_io.MAX_BYTES + 1))  # what an upload goes through
    # a file that never ends (a device, a pipe) is read only up to the limit
    with pytest.raises(nt.PresetError, match=r"/dev/zero: \$: the file holds more, over the limit"):
        load("/dev/zero")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["metadata"].update(description="x" * 10_001),
         r"^\$\.metadata\.description: a string of 10001 characters, over the limit of 10000$"),
        (lambda d: d["neurons"][0].update(times=[0.0] * 100_001),
         r"^\$\.neurons\[0\]\.times: 100001 items, over the limit of 100000 items$"),
        (lambda d: d["neurons"][0].update(options={f"k{i}": 0 for i in range(100_001)}),
         r"^\$\.neurons\[0\]\.options: 100001 entries, over the limit of 100000 entries$"),
    ],
)  # fmt: skip
def test_lists_objects_and_strings_over_the_limits_name_the_path(change, message):
    doc = _doc()
    change(doc)
    with pytest.raises(nt.PresetError, match=message):
        from_dict(doc)
    with pytest.raises(nt.PresetError, match=message):
        parse(json.dumps(doc))


def test_a_lone_surrogate_is_refused_at_load_not_at_save(tmp_path):
    text = dumps(load("hh_gap_pair")).replace('"name": "hh_gap_pair"', '"name": "a\\ud800"')
    assert "\\ud800" in text
    with pytest.raises(nt.PresetError, match=r"^\$\.metadata\.name: not text: a lone surrogate "
                       r"'\\ud800' at character 1"):  # fmt: skip
        parse(text)
    with pytest.raises(nt.PresetError, match=r"^\$\.metadata\.name: not text"):
        save(load("hh_gap_pair"), tmp_path / "x.json", name="\udfff")
    assert list(tmp_path.iterdir()) == []


def test_load_preset_names_what_it_expected():
    for bad in (None, 3, ["hh_gap_pair"]):
        with pytest.raises(TypeError, match=r"^load_preset: expected a bundled preset name or a "
                           r"file path, got "):  # fmt: skip
            nt.load_preset(bad)


# ----------------------------------------------------------- links and leftovers
def test_saving_over_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "store" / "real.json"
    real.parent.mkdir()
    save(load("hh_gap_pair"), real)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save(load("rtm_continuous"), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert load(real).name == "rtm_continuous" == load(link).name
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.json"]  # no temporary left


def test_a_save_killed_midway_leaves_a_temporary_the_next_save_removes(tmp_path):
    """SIGKILL between writing and renaming leaves the target intact and a hidden
    temporary behind (nothing can clean up after SIGKILL); the next save to the same
    file removes it, since its process is gone.  A temporary of a live process (a
    save in progress) is kept."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "p.json"
    save(load("hh_gap_pair"), target)
    before = target.read_bytes()
    script = (
        "import sys, time\n"
        "from neuntune.presets import write_atomically\n"
        "def write(fh):\n"
        "    fh.write('{partial'); fh.flush(); print('written', flush=True); time.sleep(60)\n"
        "write_atomically(sys.argv[1], write)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "written"
        live = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert live == [f".p.json.{child.pid}.{live[0].split('.')[-2]}.tmp"]
        save(load("hh_gap_pair"), tmp_path / "p.json")  # its writer still runs: kept
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == live
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert target.read_bytes() == before  # the target survived the kill
    assert (tmp_path / live[0]).exists()  # and the temporary is left behind
    time.sleep(0.01)
    save(load("rtm_continuous"), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]
    assert load(target).name == "rtm_continuous"


# ------------------------------------------------------------ every value given
def test_a_model_parameter_left_out_is_an_error_naming_it():
    """A preset states every value: one left out (here gna, or a gate's initial
    value) is a mistake the loader names, never a silent default."""
    doc = json.loads(dumps(load("hh_gap_pair")))
    del doc["neurons"][1]["parameters"]["gna"]
    with pytest.raises(nt.PresetError, match=r"^\$\.neurons\[1\]\.parameters: missing gna: a "
                       r'preset gives every parameter of HH .* "gna": \{"value": 120\.0, '
                       r'"unit": "mS/cm2"\}$'):  # fmt: skip
        from_dict(doc)
    doc = json.loads(dumps(load("hh_gap_pair")))
    del doc["neurons"][0]["parameters"]["m0"], doc["connections"][0]["parameters"]["g"]
    with pytest.raises(nt.PresetError, match=r"^\$\.neurons\[0\]\.parameters: missing m0: .*"
                       r'"m0": \{"value": null, "unit": "1"\}'):  # fmt: skip
        from_dict(doc)
    del doc["neurons"][0]["parameters"]
    with pytest.raises(nt.PresetError, match=r"^\$\.neurons\[0\]\.parameters: missing cm, gna, "):
        from_dict(doc)


def test_schema_0_documents_left_parameters_out_and_migrate_with_the_defaults():
    old = {
        "schema": 0,
        "name": "old",
        "cells": [{"name": "a", "model": "HH", "parameters": {"gna": 100.0}},
                  {"name": "b", "model": "Passive"}],
    }  # fmt: skip
    c = from_dict(old).circuit
    assert c.get("a.gna") == 100.0 and c.get("a.gk") == 36.0 and c.get("a.m0") is None
    assert c.get("b.gl") == nt.Passive().get("gl")
    new = migrate(old)
    assert set(new["neurons"][0]["parameters"]) == set(nt.HH.parameter_table())
