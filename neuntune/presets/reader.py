"""Reading a preset document: every check, with the JSON path, before anything runs.

:func:`from_dict` walks a (migrated) schema-1 document, converts every value to
its model's declared unit and builds the :class:`~.document.Preset`.  Anything
wrong raises :class:`~neuntune.PresetError` whose message starts with the JSON
path (``$.neurons[1].parameters.gna.value``) and says what was expected.
Building the circuit compiles nothing, so validating is cheap.  The checks of single
values are :mod:`.checks`; of models, :mod:`.elements`; of populations, :mod:`.populations`.
"""

from __future__ import annotations

from typing import Any

from ..circuit import Circuit
from ..connectivity import RULES
from ..engine.compiler import PRECISIONS
from ..engine.groups import NetworkLayout
from ..engine.methods import METHODS
from ..engine.recording import parse_record
from ..protocols.train import CONVENTIONS, RECOVERY_STREAMS
from . import units
from .checks import (
    check_sizes,
    check_value,
    describe,
    expect_array,
    expect_integer,
    expect_number,
    expect_object,
    expect_quantity,
    expect_string,
    fail,
    in_unit,
)
from .document import Coupling, Preset, RunSettings, Slider, SynapseTrain
from .elements import read_element
from .migrate import migrate
from .populations import population_size, read_members, read_rule

_INITS = ("default", "rest")
_SCALES = ("linear", "log")
_RUN_KEYS = ("t_stop", "dt", "method", "precision", "record", "record_every", "init")


# ----------------------------------------------------------------------- parts
def _circuit(doc: dict[str, Any]) -> Circuit:
    circuit = Circuit()
    seen: dict[str, str] = {}  # element name -> where it was defined

    def claim(name: str, path: str) -> None:
        if name in seen:
            fail(path, f"duplicate name {name!r} (already used at {seen[name]})")
        seen[name] = path

    def cell(value: Any, path: str) -> str:
        name = expect_string(value, path)
        if name not in circuit.neurons:
            fail(path, f"no neuron named {name!r} (neurons: {', '.join(circuit.neurons)})")
        return name

    def build(path: str, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except (TypeError, ValueError) as exc:
            fail(path, str(exc))

    for i, value in enumerate(expect_array(doc["neurons"], "$.neurons", min_items=1)):
        path = f"$.neurons[{i}]"
        obj, model = read_element(value, path, "neuron", ("name",), ("n", "members"))
        name = expect_string(obj["name"], f"{path}.name")
        claim(name, path)
        n = population_size(obj["n"], f"{path}.n") if "n" in obj else 1
        build(path, circuit.add, name, model, n)
        read_members(obj, path, circuit, name)
    for i, value in enumerate(expect_array(doc.get("connections", []), "$.connections")):
        path = f"$.connections[{i}]"
        obj, model = read_element(
            value, path, "synapse", ("name", "pre", "post"), ("rule", "members")
        )
        name = expect_string(obj["name"], f"{path}.name")
        claim(name, path)
        pre, post = cell(obj["pre"], f"{path}.pre"), cell(obj["post"], f"{path}.post")
        rule = None
        if "rule" in obj:
            rule = read_rule(obj["rule"], f"{path}.rule", circuit, pre, post)
        elif circuit.size(pre) != 1 or circuit.size(post) != 1:
            fail(
                path,
                f"missing 'rule': {pre} has {circuit.size(pre)} member(s) and {post} "
                f'{circuit.size(post)}; say which connect, e.g. "rule": {{"rule": '
                f'"FixedProbability", "p": 0.1, "seed": 1}} (rules: {", ".join(RULES)})',
            )
        try:
            circuit.connect(pre, post, model, name, rule)
        except (TypeError, ValueError) as exc:  # a rule the populations cannot satisfy
            where = f"{path}.rule" if rule is not None and str(exc).startswith(
                (type(rule).__name__, "Pairs.")
            ) else path  # fmt: skip
            fail(where, str(exc))
        read_members(obj, path, circuit, name)
    for i, value in enumerate(expect_array(doc.get("stimuli", []), "$.stimuli")):
        path = f"$.stimuli[{i}]"
        obj, model = read_element(value, path, "stimulus", ("name", "target"), ("members",))
        name = expect_string(obj["name"], f"{path}.name")
        claim(name, path)
        build(path, circuit.stimulate, cell(obj["target"], f"{path}.target"), model, name)
        read_members(obj, path, circuit, name)
    return circuit


def _run(value: Any, circuit: Circuit) -> RunSettings:
    obj = expect_object(value, "$.run", optional=_RUN_KEYS)
    run = RunSettings()
    for key in ("t_stop", "dt"):
        if key in obj:
            number = expect_quantity(obj[key], f"$.run.{key}", "ms")
            if number is None or number <= 0:
                fail(f"$.run.{key}.value", f"must be > 0 ms; got {number:g} ms")
            setattr(run, key, number)
    if run.dt > run.t_stop:
        fail("$.run.dt", f"{run.dt:g} ms is longer than t_stop = {run.t_stop:g} ms")
    if "method" in obj:
        run.method = expect_string(obj["method"], "$.run.method", METHODS)
    if "precision" in obj:
        run.precision = expect_string(obj["precision"], "$.run.precision", PRECISIONS)
    if "init" in obj:
        run.init = expect_string(obj["init"], "$.run.init", _INITS)
    if "record_every" in obj:
        run.record_every = expect_integer(obj["record_every"], "$.run.record_every", 1)
    if obj.get("record") is not None:
        items = []
        layout = NetworkLayout(circuit)
        for i, item in enumerate(expect_array(obj["record"], "$.run.record", min_items=1)):
            text = expect_string(item, f"$.run.record[{i}]")
            try:
                parse_record(circuit, layout, text)
            except ValueError as exc:
                fail(f"$.run.record[{i}]", str(exc).removeprefix("record: "))
            items.append(text)
        run.record = tuple(items)
    return run


def _sliders(value: Any, circuit: Circuit) -> list[Slider]:
    hints = expect_object(value, "$.hints", optional=("sliders",))
    out = []
    for i, item in enumerate(expect_array(hints.get("sliders", []), "$.hints.sliders")):
        path = f"$.hints.sliders[{i}]"
        obj = expect_object(item, path, required=("path",), optional=("unit", "range", "scale"))
        target = expect_string(obj["path"], f"{path}.path")
        try:
            _, model, name = circuit.resolve(target)
        except KeyError as exc:
            fail(f"{path}.path", str(exc.args[0]))
        parameter = model.parameter_table()[name]
        unit = expect_string(obj.get("unit", parameter.unit), f"{path}.unit")
        in_unit(1.0, unit, parameter.unit, f"{path}.unit")
        scale = expect_string(obj.get("scale", parameter.scale), f"{path}.scale", _SCALES)
        if "range" in obj:
            ends = expect_array(obj["range"], f"{path}.range")
            if len(ends) != 2:
                fail(f"{path}.range", f"expected [low, high]; got {len(ends)} numbers")
            low, high = (expect_number(e, f"{path}.range[{j}]") for j, e in enumerate(ends))
        elif parameter.ui_range is not None:
            low, high = (units.convert(e, parameter.unit, unit) for e in parameter.ui_range)
        else:
            fail(path, f"{target} has no default slider range; give 'range' in {unit}")
        if not low < high:
            fail(f"{path}.range", f"low must be below high; got [{low:g}, {high:g}]")
        if scale == "log" and low <= 0:
            fail(f"{path}.range", f"a log slider needs low > 0; got {low:g}")
        for j, end in enumerate((low, high)):
            declared = in_unit(end, unit, parameter.unit, f"{path}.unit")
            check_value(parameter, declared, f"{path}.range[{j}]", end, unit)
        out.append(Slider(target, unit, low, high, scale))
    return out


def _coupling(obj: Any, path: str, circuit: Circuit, run: RunSettings) -> Coupling:
    obj = expect_object(obj, path, required=("kind", "stimulus", "target"), optional=("window",))
    stimulus = expect_string(obj["stimulus"], f"{path}.stimulus", list(circuit.stimuli))
    table = circuit.stimuli[stimulus].stimulus.parameter_table()
    if not {"start", "stop"} <= set(table):
        fail(f"{path}.stimulus", f"{stimulus} has no start and stop; use a Step")
    target = expect_string(obj["target"], f"{path}.target", list(circuit.neurons))
    window = None
    if "window" in obj:
        window = expect_quantity(obj["window"], f"{path}.window", "ms")
    measurement = Coupling(stimulus, target, window)
    source = measurement.source(circuit)
    if target == source:
        fail(f"{path}.target", f"{target} is the cell the step goes into; name the other one")
    for role, name in (("source", source), ("target", target)):
        if circuit.neurons[name].resolved().voltage is None:
            fail(path, f"the {role} cell {name} has no voltage to measure")
    try:
        _, (_, end) = measurement.windows(circuit)
    except ValueError as exc:
        fail(path, str(exc))
    if end > run.t_stop:
        fail(path, f"the step ends at {end:g} ms, after the run does ($.run.t_stop)")
    return measurement


def _train(obj: Any, path: str, circuit: Circuit) -> SynapseTrain:
    obj = expect_object(
        obj, path, required=("kind", "connection"), optional=("convention", "recovery_stream")
    )
    chemical = [k for k, c in circuit.connections.items() if c.synapse.event_driven]
    connection = expect_string(obj["connection"], f"{path}.connection", chemical)
    convention = expect_string(
        obj.get("convention", CONVENTIONS[0]), f"{path}.convention", CONVENTIONS
    )
    stream = obj.get("recovery_stream")
    if stream is not None:
        stream = expect_string(stream, f"{path}.recovery_stream", RECOVERY_STREAMS)
    return SynapseTrain(connection, convention, stream)


def _measurements(
    value: Any, circuit: Circuit, run: RunSettings
) -> tuple[list[Coupling], list[SynapseTrain]]:
    couplings, trains = [], []
    for i, item in enumerate(expect_array(value, "$.measurements")):
        path = f"$.measurements[{i}]"
        if not isinstance(item, dict):
            fail(path, f"expected a measurement object (kind coupling or train); got "
                  f"{describe(item)}")  # fmt: skip
        if "kind" not in item:
            fail(path, "missing required key 'kind' (coupling or train)")
        kind = expect_string(item["kind"], f"{path}.kind", ("coupling", "train"))
        if kind == "coupling":
            couplings.append(_coupling(item, path, circuit, run))
            continue
        train = _train(item, path, circuit)
        if any(t.connection == train.connection for t in trains):
            fail(f"{path}.connection", f"a second train measurement of {train.connection}; "
                  "give one per connection")  # fmt: skip
        trains.append(train)
    return couplings, trains


def from_dict(doc: Any) -> Preset:
    """Validate a parsed preset document (any schema version this package knows) and
    build the :class:`~.document.Preset`; raises :class:`~neuntune.PresetError`."""
    check_sizes(doc)
    doc = migrate(doc)
    top = ("schema", "metadata", "neurons")
    expect_object(
        doc, "$", required=top, optional=("connections", "stimuli", "run", "hints", "measurements")
    )
    meta = expect_object(
        doc["metadata"], "$.metadata", required=("name",), optional=("description", "source")
    )
    name = expect_string(meta["name"], "$.metadata.name")
    if not name.strip():
        fail("$.metadata.name", "must not be empty")
    description = expect_string(meta.get("description", ""), "$.metadata.description")
    source = expect_string(meta.get("source", ""), "$.metadata.source")
    circuit = _circuit(doc)
    run = _run(doc.get("run", {}), circuit)
    couplings, trains = _measurements(doc.get("measurements", []), circuit, run)
    return Preset(
        circuit,
        name,
        description,
        source,
        run,
        _sliders(doc.get("hints", {}), circuit),
        couplings,
        trains,
    )
