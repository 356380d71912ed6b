"""Reading a preset document: every check, with the JSON path, before anything runs.

:func:`from_dict` walks a (migrated) schema-1 document, converts every value to
its model's declared unit and builds the :class:`~.document.Preset`.  Anything
wrong raises :class:`~neuntune.PresetError` whose message starts with the JSON
path (``$.neurons[1].parameters.gna.value``) and says what was expected.
Building the circuit compiles nothing, so validating is cheap.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from typing import Any, NoReturn

import numpy as np

from ..circuit import MAX_POPULATION, Circuit
from ..connectivity import DISTRIBUTIONS, RULES, Distribution, Rule, rule_from
from ..engine.compiler import PRECISIONS
from ..engine.groups import NetworkLayout
from ..engine.methods import METHODS
from ..engine.recording import parse_record
from ..errors import PresetError
from ..models.declarations import Parameter
from ..models.kinds import Synapse
from ..models.model import Model
from ..models.registry import model_class, registered
from ..protocols.train import CONVENTIONS, RECOVERY_STREAMS
from . import units
from .document import MAX_ITEMS, MAX_STRING, Coupling, Preset, RunSettings, Slider, SynapseTrain
from .migrate import migrate

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INITS = ("default", "rest")
_SCALES = ("linear", "log")
_RUN_KEYS = ("t_stop", "dt", "method", "precision", "record", "record_every", "init")

#: Each rule's keys besides "rule": (required, optional).
_RULE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "AllToAll": ((), ("self_connections",)),
    "OneToOne": ((), ()),
    "FixedProbability": (("p", "seed"), ("self_connections",)),
    "FixedNumberPre": (("n", "seed"), ("self_connections",)),
    "Pairs": (("i", "j"), ()),
}
#: Each distribution's numbers (in the parameter's unit) besides its seed.
_DISTRIBUTION_KEYS = {"Normal": ("mean", "sd"), "Uniform": ("low", "high")}


class JSONObject(dict):
    """A parsed JSON object that remembers keys it saw twice (json keeps the last)."""

    duplicates: tuple[str, ...] = ()


def object_pairs(pairs: list[tuple[str, Any]]) -> JSONObject:
    """``object_pairs_hook`` for :func:`json.loads` that records duplicate keys."""
    out = JSONObject(pairs)
    if len(out) != len(pairs):
        keys = [k for k, _ in pairs]
        out.duplicates = tuple(k for i, k in enumerate(keys) if k in keys[:i])
    return out


# ------------------------------------------------------------------ primitives
def _fail(path: str, message: str) -> NoReturn:
    raise PresetError(f"{path}: {message}")


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{key!r}]"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    kind = {str: "string", list: "array", dict: "object", JSONObject: "object"}.get(
        type(value), "number"
    )
    text = repr(value)
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def _object(
    value: Any, path: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    allowed = (*required, *optional)
    if not isinstance(value, dict):
        _fail(path, f"expected an object with keys {', '.join(allowed)}; got {_describe(value)}")
    for key in getattr(value, "duplicates", ()):
        _fail(_key(path, key), "appears twice in one object; give each key once")
    for key in value:
        if key not in allowed:
            _fail(_key(path, key), f"unknown key; expected one of {', '.join(allowed) or 'none'}")
    for key in required:
        if key not in value:
            _fail(path, f"missing required key {key!r}")
    return value


def _string(value: Any, path: str, choices: tuple[str, ...] | list[str] | None = None) -> str:
    if not isinstance(value, str):
        expected = f"one of {', '.join(choices)}" if choices else "a string"
        _fail(path, f"expected {expected}; got {_describe(value)}")
    if choices is not None and value not in choices:
        _fail(path, f"{value!r} is not one of {', '.join(choices) or '(none available)'}")
    return value


def _array(value: Any, path: str, min_items: int = 0) -> list[Any]:
    if not isinstance(value, list):
        _fail(path, f"expected an array; got {_describe(value)}")
    if len(value) < min_items:
        _fail(path, f"expected at least {min_items} item(s); got {len(value)}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(path, f"expected a number; got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer literal beyond the float range
        number = math.inf
    if not math.isfinite(number):
        _fail(path, f"expected a finite number; got {value!r}")
    return number


def _integer(value: Any, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"expected a whole number ≥ {minimum}; got {_describe(value)}")
    if value < minimum:
        _fail(path, f"expected a whole number ≥ {minimum}; got {value}")
    return value


def _in_unit(number: float, unit: str, declared: str, path: str) -> float:
    """``number`` (given in ``unit``) in the ``declared`` unit; ``path`` names the unit field."""
    try:
        converted = units.convert(number, unit, declared)
    except ValueError as exc:
        _fail(path, str(exc))
    if not math.isfinite(converted):
        _fail(path, f"{number:g} {unit} is beyond the range of numbers in {declared}")
    return converted


def _quantity(
    value: Any, path: str, declared: str, parameter: Parameter | None = None
) -> float | None:
    """A ``{"value", "unit"}`` object as a float in ``declared`` units, checked against
    ``parameter``'s range; ``null`` only where the parameter allows it."""
    obj = _object(value, path, required=("value", "unit"))
    unit = _string(obj["unit"], f"{path}.unit")
    raw = obj["value"]
    if raw is None and parameter is not None and parameter.nullable:
        _in_unit(0.0, unit, declared, f"{path}.unit")  # the unit must still fit
        return None
    number = _in_unit(_number(raw, f"{path}.value"), unit, declared, f"{path}.unit")
    if parameter is not None:
        _check(parameter, number, f"{path}.value", raw, unit)
    return number


def _check(parameter: Parameter, number: float, path: str, raw: Any, unit: str) -> float:
    try:
        return parameter.validate(path, number)  # type: ignore[return-value]
    except (TypeError, ValueError) as exc:
        written = "" if unit == parameter.unit else f" (written as {raw!r} {unit})"
        raise PresetError(f"{exc}{written}") from None


# -------------------------------------------------------------------- elements
def _element(
    value: Any, path: str, kind: str, keys: tuple[str, ...], more: tuple[str, ...] = ()
) -> tuple[dict, Model]:
    """A model instance from ``{"model", "parameters", "options", ...}``.

    ``keys`` are the required keys besides ``model`` (name, pre, post, target),
    ``more`` optional ones the caller reads (n, rule, members).  A spike source
    may have ``times``; a synapse may carry ``plasticity``.
    """
    base = ("model", *keys)
    everything = (*base, *more, "parameters", "options", "times", "plasticity")
    obj = _object(value, path, optional=everything)
    if "model" not in obj:
        _fail(path, "missing required key 'model'")
    name = _string(obj["model"], f"{path}.model")
    try:
        cls = model_class(name, kind)
    except KeyError:
        known = ", ".join(registered(kind)) or "none"
        _fail(f"{path}.model", f"unknown {kind} model {name!r} (known: {known})")
    listed = getattr(cls, "listed", "")  # a spike source's times (ms)
    extra = (listed,) if listed else ()
    extra += ("plasticity",) if issubclass(cls, Synapse) and kind == "synapse" else ()
    _object(obj, path, required=base, optional=(*more, "parameters", "options", *extra))

    options = _object(obj.get("options", {}), f"{path}.options", optional=tuple(cls.options))
    for key, choice in options.items():
        _string(choice, f"{path}.options.{key}", cls.options[key].choices)

    table = cls.parameter_table()
    params = _object(obj.get("parameters", {}), f"{path}.parameters", optional=tuple(table))
    values = {}
    for key, quantity in params.items():
        where = f"{path}.parameters.{key}"
        values[key] = _quantity(quantity, where, table[key].unit, table[key])
    missing = [key for key in table if key not in params]
    if missing:  # a preset states every value: a key left out is a mistake, not a default
        _fail(
            f"{path}.parameters",
            f"missing {', '.join(missing)}: a preset gives every parameter of {name} with its "
            f"unit (null for an initial value at steady state), e.g. "
            f'"{missing[0]}": {{"value": {json.dumps(table[missing[0]].default)}, '
            f'"unit": "{table[missing[0]].unit}"}}',
        )
    try:  # all values at once: relations between them (a step's start ≤ stop) are checked last
        model = cls(**options, **values)
    except ValueError as exc:
        _fail(f"{path}.parameters", str(exc))

    if listed and listed in obj:
        where = f"{path}.{listed}"
        times = _object(obj[listed], where, required=("value", "unit"))
        unit = _string(times["unit"], f"{where}.unit")
        values = _array(times["value"], f"{where}.value")
        converted = []
        for i, t in enumerate(values):
            number = _in_unit(_number(t, f"{where}.value[{i}]"), unit, "ms", f"{where}.unit")
            if number < 0:
                _fail(f"{where}.value[{i}]", f"spike times must be ≥ 0 ms; got {number:g} ms")
            converted.append(number)
        setattr(model, listed, converted)

    if "plasticity" in obj:
        where = f"{path}.plasticity"
        _, rule = _element(obj["plasticity"], where, "plasticity", ())
        try:
            model.plasticity = rule  # type: ignore[attr-defined]
        except (TypeError, ValueError) as exc:
            _fail(where, str(exc))
    return obj, model


# ------------------------------------------------------------------ populations
def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, f"expected true or false; got {_describe(value)}")
    return value


def _size(value: Any, path: str) -> int:
    """A population size: a whole number from 1 (a single cell) to the largest allowed."""
    number = _integer(value, path, 1)
    if number > MAX_POPULATION:
        _fail(path, f"{number} members is over the limit of {MAX_POPULATION} for one population")
    return number


def _indices(value: Any, path: str, n: int, population: str) -> list[int]:
    """Member indices of ``population`` (``n`` members) for an explicit ``Pairs`` rule."""
    items = _array(value, path)
    for k, index in enumerate(items):
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            _fail(f"{path}[{k}]", f"expected a member index (a whole number ≥ 0); got "
                  f"{_describe(index)}")  # fmt: skip
        if index >= n:
            _fail(
                f"{path}[{k}]",
                f"member {index} is out of range: {population} has {n} member(s) (0 to {n - 1})",
            )
    return items


def _rule(value: Any, path: str, circuit: Circuit, pre: str, post: str) -> Rule:
    """A connection rule from ``{"rule": "FixedProbability", "p": 0.02, "seed": 3, ...}``,
    each argument checked against the populations it joins."""
    if not isinstance(value, dict) or "rule" not in value:
        _fail(path, f"expected an object such as {{\"rule\": \"AllToAll\"}} (rules: "
              f"{', '.join(RULES)}); got {_describe(value)}")  # fmt: skip
    name = _string(value["rule"], f"{path}.rule", tuple(RULES))
    required, optional = _RULE_KEYS[name]
    obj = _object(value, path, required=("rule", *required), optional=optional)
    n_pre, n_post = circuit.size(pre), circuit.size(post)
    args: dict[str, Any] = {"rule": name}
    if "self_connections" in obj:
        args["self_connections"] = _boolean(obj["self_connections"], f"{path}.self_connections")
    if "seed" in obj:
        args["seed"] = _integer(obj["seed"], f"{path}.seed", 0)
    if "p" in obj:
        p = _number(obj["p"], f"{path}.p")
        if not 0.0 <= p <= 1.0:
            _fail(f"{path}.p", f"a probability must lie in [0, 1]; got {p:g}")
        args["p"] = p
    if "n" in obj:
        number = _integer(obj["n"], f"{path}.n", 0)
        available = n_pre - (pre == post and not args.get("self_connections", False))
        if number > available:
            _fail(
                f"{path}.n",
                f"{number} pre members per post member, but {pre} offers only {available}",
            )
        args["n"] = number
    if name == "Pairs":
        args["i"] = _indices(obj["i"], f"{path}.i", n_pre, pre)
        args["j"] = _indices(obj["j"], f"{path}.j", n_post, post)
        if len(args["i"]) != len(args["j"]):
            _fail(path, f"i has {len(args['i'])} entries but j has {len(args['j'])}; give one "
                  "pair (i[k], j[k]) per connection")  # fmt: skip
    try:
        return rule_from(args)
    except (TypeError, ValueError) as exc:
        _fail(path, str(exc))


def _member_values(
    value: Any, path: str, parameter: Parameter, n: int, element: str
) -> np.ndarray | Distribution:
    """Values that differ between the ``n`` members of ``element``: an explicit list
    ``{"value": [...], "unit"}`` (null where the parameter allows it), or a seeded
    distribution ``{"distribution": "Normal", "mean", "sd", "seed", "unit"}``; in the
    parameter's declared unit."""
    declared = parameter.unit
    if isinstance(value, dict) and "distribution" in value:
        name = _string(value["distribution"], f"{path}.distribution", tuple(DISTRIBUTIONS))
        numbers_ = _DISTRIBUTION_KEYS[name]
        obj = _object(value, path, required=("distribution", *numbers_, "seed", "unit"))
        unit = _string(obj["unit"], f"{path}.unit")
        args: dict[str, Any] = {
            key: _in_unit(_number(obj[key], f"{path}.{key}"), unit, declared, f"{path}.unit")
            for key in numbers_
        }
        if name == "Normal" and args["sd"] < 0:
            _fail(f"{path}.sd", f"a standard deviation must be ≥ 0; got {obj['sd']!r}")
        if name == "Uniform" and args["high"] < args["low"]:
            _fail(f"{path}.high", f"must not be below low ({obj['low']!r}); got {obj['high']!r}")
        args["seed"] = _integer(obj["seed"], f"{path}.seed", 0)
        return DISTRIBUTIONS[name](**args)
    if not isinstance(value, dict) or "value" not in value:
        _fail(
            path,
            f'expected {{"value": [one per member], "unit": ...}} or a distribution '
            f'{{"distribution": "Normal", "mean", "sd", "seed", "unit"}}; got {_describe(value)}',
        )
    obj = _object(value, path, required=("value", "unit"))
    unit = _string(obj["unit"], f"{path}.unit")
    items = _array(obj["value"], f"{path}.value")
    if len(items) != n:
        _fail(f"{path}.value", f"expected {n} values (one per member of {element}); got "
              f"{len(items)}")  # fmt: skip
    array = np.empty(n, np.float64)
    for k, item in enumerate(items):
        if item is None and parameter.nullable:
            array[k] = np.nan
            continue
        where = f"{path}.value[{k}]"
        number = _in_unit(_number(item, where), unit, declared, f"{path}.unit")
        _check(parameter, number, where, item, unit)
        array[k] = number
    return array


def _members(obj: dict[str, Any], path: str, circuit: Circuit, element: str) -> None:
    """Set ``obj["members"]`` (values that differ between members) on ``element``."""
    if "members" not in obj:
        return
    table = circuit.element(element).parameter_table()
    members = _object(obj["members"], f"{path}.members", optional=tuple(table))
    n = circuit.size(element)
    for key, value in members.items():
        where = f"{path}.members.{key}"
        values = _member_values(value, where, table[key], n, element)
        if isinstance(values, np.ndarray) and np.isnan(values).any():
            # some members at steady state (null): checked above, stored as set() would
            circuit.member_values.setdefault(element, {})[key] = values
            continue
        try:
            circuit.set(f"{element}.{key}", values)
        except (TypeError, ValueError) as exc:
            _fail(where, str(exc))


# ----------------------------------------------------------------------- parts
def _circuit(doc: dict[str, Any]) -> Circuit:
    circuit = Circuit()
    seen: dict[str, str] = {}  # element name -> where it was defined

    def claim(name: str, path: str) -> None:
        if name in seen:
            _fail(path, f"duplicate name {name!r} (already used at {seen[name]})")
        seen[name] = path

    def cell(value: Any, path: str) -> str:
        name = _string(value, path)
        if name not in circuit.neurons:
            _fail(path, f"no neuron named {name!r} (neurons: {', '.join(circuit.neurons)})")
        return name

    def build(path: str, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except (TypeError, ValueError) as exc:
            _fail(path, str(exc))

    for i, value in enumerate(_array(doc["neurons"], "$.neurons", min_items=1)):
        path = f"$.neurons[{i}]"
        obj, model = _element(value, path, "neuron", ("name",), ("n", "members"))
        name = _string(obj["name"], f"{path}.name")
        claim(name, path)
        n = _size(obj["n"], f"{path}.n") if "n" in obj else 1
        build(path, circuit.add, name, model, n)
        _members(obj, path, circuit, name)
    for i, value in enumerate(_array(doc.get("connections", []), "$.connections")):
        path = f"$.connections[{i}]"
        obj, model = _element(value, path, "synapse", ("name", "pre", "post"), ("rule", "members"))
        name = _string(obj["name"], f"{path}.name")
        claim(name, path)
        pre, post = cell(obj["pre"], f"{path}.pre"), cell(obj["post"], f"{path}.post")
        rule = None
        if "rule" in obj:
            rule = _rule(obj["rule"], f"{path}.rule", circuit, pre, post)
        elif circuit.size(pre) != 1 or circuit.size(post) != 1:
            _fail(
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
            _fail(where, str(exc))
        _members(obj, path, circuit, name)
    for i, value in enumerate(_array(doc.get("stimuli", []), "$.stimuli")):
        path = f"$.stimuli[{i}]"
        obj, model = _element(value, path, "stimulus", ("name", "target"), ("members",))
        name = _string(obj["name"], f"{path}.name")
        claim(name, path)
        build(path, circuit.stimulate, cell(obj["target"], f"{path}.target"), model, name)
        _members(obj, path, circuit, name)
    return circuit


def _run(value: Any, circuit: Circuit) -> RunSettings:
    obj = _object(value, "$.run", optional=_RUN_KEYS)
    run = RunSettings()
    for key in ("t_stop", "dt"):
        if key in obj:
            number = _quantity(obj[key], f"$.run.{key}", "ms")
            if number is None or number <= 0:
                _fail(f"$.run.{key}.value", f"must be > 0 ms; got {number:g} ms")
            setattr(run, key, number)
    if run.dt > run.t_stop:
        _fail("$.run.dt", f"{run.dt:g} ms is longer than t_stop = {run.t_stop:g} ms")
    if "method" in obj:
        run.method = _string(obj["method"], "$.run.method", METHODS)
    if "precision" in obj:
        run.precision = _string(obj["precision"], "$.run.precision", PRECISIONS)
    if "init" in obj:
        run.init = _string(obj["init"], "$.run.init", _INITS)
    if "record_every" in obj:
        run.record_every = _integer(obj["record_every"], "$.run.record_every", 1)
    if obj.get("record") is not None:
        items = []
        layout = NetworkLayout(circuit)
        for i, item in enumerate(_array(obj["record"], "$.run.record", min_items=1)):
            text = _string(item, f"$.run.record[{i}]")
            try:
                parse_record(circuit, layout, text)
            except ValueError as exc:
                _fail(f"$.run.record[{i}]", str(exc).removeprefix("record: "))
            items.append(text)
        run.record = tuple(items)
    return run


def _sliders(value: Any, circuit: Circuit) -> list[Slider]:
    hints = _object(value, "$.hints", optional=("sliders",))
    out = []
    for i, item in enumerate(_array(hints.get("sliders", []), "$.hints.sliders")):
        path = f"$.hints.sliders[{i}]"
        obj = _object(item, path, required=("path",), optional=("unit", "range", "scale"))
        target = _string(obj["path"], f"{path}.path")
        try:
            _, model, name = circuit.resolve(target)
        except KeyError as exc:
            _fail(f"{path}.path", str(exc.args[0]))
        parameter = model.parameter_table()[name]
        unit = _string(obj.get("unit", parameter.unit), f"{path}.unit")
        _in_unit(1.0, unit, parameter.unit, f"{path}.unit")
        scale = _string(obj.get("scale", parameter.scale), f"{path}.scale", _SCALES)
        if "range" in obj:
            ends = _array(obj["range"], f"{path}.range")
            if len(ends) != 2:
                _fail(f"{path}.range", f"expected [low, high]; got {len(ends)} numbers")
            low, high = (_number(e, f"{path}.range[{j}]") for j, e in enumerate(ends))
        elif parameter.ui_range is not None:
            low, high = (units.convert(e, parameter.unit, unit) for e in parameter.ui_range)
        else:
            _fail(path, f"{target} has no default slider range; give 'range' in {unit}")
        if not low < high:
            _fail(f"{path}.range", f"low must be below high; got [{low:g}, {high:g}]")
        if scale == "log" and low <= 0:
            _fail(f"{path}.range", f"a log slider needs low > 0; got {low:g}")
        for j, end in enumerate((low, high)):
            declared = _in_unit(end, unit, parameter.unit, f"{path}.unit")
            _check(parameter, declared, f"{path}.range[{j}]", end, unit)
        out.append(Slider(target, unit, low, high, scale))
    return out


def _coupling(obj: Any, path: str, circuit: Circuit, run: RunSettings) -> Coupling:
    obj = _object(obj, path, required=("kind", "stimulus", "target"), optional=("window",))
    stimulus = _string(obj["stimulus"], f"{path}.stimulus", list(circuit.stimuli))
    table = circuit.stimuli[stimulus].stimulus.parameter_table()
    if not {"start", "stop"} <= set(table):
        _fail(f"{path}.stimulus", f"{stimulus} has no start and stop; use a Step")
    target = _string(obj["target"], f"{path}.target", list(circuit.neurons))
    window = None
    if "window" in obj:
        window = _quantity(obj["window"], f"{path}.window", "ms")
    measurement = Coupling(stimulus, target, window)
    source = measurement.source(circuit)
    if target == source:
        _fail(f"{path}.target", f"{target} is the cell the step goes into; name the other one")
    for role, name in (("source", source), ("target", target)):
        if circuit.neurons[name].resolved().voltage is None:
            _fail(path, f"the {role} cell {name} has no voltage to measure")
    try:
        _, (_, end) = measurement.windows(circuit)
    except ValueError as exc:
        _fail(path, str(exc))
    if end > run.t_stop:
        _fail(path, f"the step ends at {end:g} ms, after the run does ($.run.t_stop)")
    return measurement


def _train(obj: Any, path: str, circuit: Circuit) -> SynapseTrain:
    obj = _object(
        obj, path, required=("kind", "connection"), optional=("convention", "recovery_stream")
    )
    chemical = [k for k, c in circuit.connections.items() if c.synapse.event_driven]
    connection = _string(obj["connection"], f"{path}.connection", chemical)
    convention = _string(obj.get("convention", CONVENTIONS[0]), f"{path}.convention", CONVENTIONS)
    stream = obj.get("recovery_stream")
    if stream is not None:
        stream = _string(stream, f"{path}.recovery_stream", RECOVERY_STREAMS)
    return SynapseTrain(connection, convention, stream)


def _measurements(
    value: Any, circuit: Circuit, run: RunSettings
) -> tuple[list[Coupling], list[SynapseTrain]]:
    couplings, trains = [], []
    for i, item in enumerate(_array(value, "$.measurements")):
        path = f"$.measurements[{i}]"
        if not isinstance(item, dict):
            _fail(path, f"expected a measurement object (kind coupling or train); got "
                  f"{_describe(item)}")  # fmt: skip
        if "kind" not in item:
            _fail(path, "missing required key 'kind' (coupling or train)")
        kind = _string(item["kind"], f"{path}.kind", ("coupling", "train"))
        if kind == "coupling":
            couplings.append(_coupling(item, path, circuit, run))
            continue
        train = _train(item, path, circuit)
        if any(t.connection == train.connection for t in trains):
            _fail(f"{path}.connection", f"a second train measurement of {train.connection}; "
                  "give one per connection")  # fmt: skip
        trains.append(train)
    return couplings, trains


def _check_sizes(doc: Any) -> None:
    """Refuse lists and objects over :data:`MAX_ITEMS`, strings over :data:`MAX_STRING`
    and strings that are not text (a lone UTF-16 surrogate, which no file can hold),
    naming the path, before anything is built from them."""
    stack = [(doc, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                _fail(
                    path,
                    f"a string of {len(value)} characters, over the limit of {MAX_STRING}",
                )
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                _fail(
                    path,
                    f"not text: a lone surrogate {value[exc.start]!r} at character "
                    f"{exc.start} (JSON escapes like \\ud800 that pair with nothing)",
                )
        elif isinstance(value, dict | list):
            if len(value) > MAX_ITEMS:
                kind = "entries" if isinstance(value, dict) else "items"
                _fail(path, f"{len(value)} {kind}, over the limit of {MAX_ITEMS} {kind}"
                      f"{_too_long_hint(path)}")  # fmt: skip
            if isinstance(value, dict):
                for key, item in value.items():
                    where = _key(path, key) if isinstance(key, str) else f"{path}[{key!r}]"
                    stack.append((key, f"{where} (the key)"))
                    stack.append((item, where))
            else:
                stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))


def _too_long_hint(path: str) -> str:
    """What to write instead of a list too long for a preset, by where it is."""
    if re.search(r"\.rule\.[ij]$", path):
        return (
            "; a network this big stores its connectivity as a rule with a seed "
            '({"rule": "FixedProbability", "p": 0.02, "seed": 1}, FixedNumberPre, AllToAll, '
            "OneToOne), not as explicit pairs"
        )
    if re.search(r"\.members\.[^.]+\.value$", path):
        return (
            "; values for this many members are stored as a seeded distribution "
            '({"distribution": "Normal", "mean": ..., "sd": ..., "seed": 1, "unit": ...} '
            "or Uniform with low and high), not as a list"
        )
    return ""


def from_dict(doc: Any) -> Preset:
    """Validate a parsed preset document (any schema version this package knows) and
    build the :class:`~.document.Preset`; raises :class:`~neuntune.PresetError`."""
    _check_sizes(doc)
    doc = migrate(doc)
    top = ("schema", "metadata", "neurons")
    _object(
        doc, "$", required=top, optional=("connections", "stimuli", "run", "hints", "measurements")
    )
    meta = _object(
        doc["metadata"], "$.metadata", required=("name",), optional=("description", "source")
    )
    name = _string(meta["name"], "$.metadata.name")
    if not name.strip():
        _fail("$.metadata.name", "must not be empty")
    description = _string(meta.get("description", ""), "$.metadata.description")
    source = _string(meta.get("source", ""), "$.metadata.source")
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
