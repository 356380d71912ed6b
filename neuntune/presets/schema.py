"""The preset format as a JSON Schema (draft 2020-12), generated from the registered models.

Every registered model contributes its parameters (with their units, the units
they may be written in, bounds converted to each unit, defaults and docs) and
options, so a model registered by the user appears too.  Editors and other tools
can validate against it; neuntune's own loader checks the same and more (names
that must exist, duplicates), and reports the JSON path of the first problem.
"""

from __future__ import annotations

from typing import Any

from ..circuit import _ELEMENT, _NAME, MAX_POPULATION
from ..engine.compiler import PRECISIONS
from ..engine.methods import METHODS
from ..models.declarations import Parameter
from ..models.model import Model
from ..models.registry import model_class, registered
from ..protocols.train import CONVENTIONS, RECOVERY_STREAMS
from . import units
from .document import MAX_ITEMS
from .migrate import SCHEMA_VERSION

_KINDS = {"neuron": "neurons", "synapse": "connections", "stimulus": "stimuli"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict:
    """An object schema with exactly these keys allowed."""
    out = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return {**out, **extra}


def _quantity(unit: str, parameter: Parameter | None = None, positive: bool = False) -> dict:
    """``{"value", "unit"}`` for a value declared in ``unit``; bounds (the parameter's,
    or > 0 if ``positive``) converted to every unit it may be written in."""
    number: dict[str, Any] = {"type": "number"}
    if parameter is not None and parameter.nullable:
        number = {"type": ["number", "null"]}
    low = 0.0 if positive else getattr(parameter, "minimum", None)
    exclusive = positive or getattr(parameter, "exclusive_minimum", False)
    high = getattr(parameter, "maximum", None)

    def bounded(u: str) -> dict[str, Any]:
        bounds = dict(number)
        if low is not None:
            bounds["exclusiveMinimum" if exclusive else "minimum"] = units.convert(low, unit, u)
        if high is not None:
            bounds["maximum"] = units.convert(high, unit, u)
        return _closed({"value": bounds, "unit": {"const": u}}, ("value", "unit"))

    choices = units.compatible(unit)
    if high is None and low in (None, 0.0):  # the same bounds in every unit: one branch
        out = bounded(unit)
        out["properties"]["unit"] = {"enum": choices}
    else:
        out = {"anyOf": [bounded(u) for u in choices]}
    if parameter is not None:
        out["description"] = f"{parameter.doc}; {parameter.describe_range()} {unit}"
        out["default"] = {"value": parameter.default, "unit": unit}
    return out


def _listed(quantity: dict[str, Any]) -> dict[str, Any]:
    """A ``_quantity`` schema with ``value`` a list (one per member) of what it allowed."""
    if "anyOf" in quantity:
        return {"anyOf": [_listed(branch) for branch in quantity["anyOf"]]}
    out = {**quantity, "properties": dict(quantity["properties"])}
    out.pop("default", None)
    out["properties"]["value"] = {
        "type": "array",
        "items": quantity["properties"]["value"],
        "maxItems": MAX_ITEMS,
    }
    return out


def _distributions(unit: str | None) -> list[dict[str, Any]]:
    """Seeded distributions of a value in ``unit`` (any unit if None)."""
    seed = {"type": "integer", "minimum": 0}
    unit_schema = {"type": "string"} if unit is None else {"enum": units.compatible(unit)}
    return [
        _closed(
            {
                "distribution": {"const": name},
                **{key: {"type": "number", **extra} for key, extra in numbers.items()},
                "seed": seed,
                "unit": unit_schema,
            },
            ("distribution", *numbers, "seed", "unit"),
        )
        for name, numbers in (
            ("Normal", {"mean": {}, "sd": {"minimum": 0}}),
            ("Uniform", {"low": {}, "high": {}}),
        )
    ]


def _member_values(unit: str | None, parameter: Parameter | None = None) -> dict[str, Any]:
    """Values that differ between members: a list in ``unit`` or a seeded distribution."""
    if unit is None:
        listed = _closed(
            {"value": {"type": "array", "items": {"type": ["number", "null"]},
                       "maxItems": MAX_ITEMS}, "unit": {"type": "string"}},
            ("value", "unit"),
        )  # fmt: skip
    else:
        listed = _listed(_quantity(unit, parameter))
    out: dict[str, Any] = {"anyOf": [listed, *_distributions(unit)]}
    if parameter is not None:
        out["description"] = (
            f"one value per member ({parameter.doc}; {parameter.describe_range()} {unit}), "
            "or a seeded distribution of them"
        )
    return out


def _rules() -> dict[str, Any]:
    """Every connection rule with its arguments (``rule`` names it)."""
    seed = {"type": "integer", "minimum": 0, "description": "the random generator's seed"}
    self_connections = {"type": "boolean", "description": "within one population, k -> k too"}
    index = {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": MAX_ITEMS}
    rules = {
        "AllToAll": ({"self_connections": self_connections}, ()),
        "OneToOne": ({}, ()),
        "FixedProbability": (
            {
                "p": {"type": "number", "minimum": 0, "maximum": 1},
                "seed": seed,
                "self_connections": self_connections,
            },
            ("p", "seed"),
        ),
        "FixedNumberPre": (
            {
                "n": {"type": "integer", "minimum": 0, "description": "pre members per post"},
                "seed": seed,
                "self_connections": self_connections,
            },
            ("n", "seed"),
        ),
        "Pairs": ({"i": index, "j": index}, ("i", "j")),
    }
    return {
        "description": "which members connect: pre member i to post member j for each pair "
        "the rule makes (a gap junction within one population joins each pair once)",
        "oneOf": [
            _closed({"rule": {"const": name}, **props}, ("rule", *required))
            for name, (props, required) in rules.items()
        ],
    }


def _model(cls: type[Model]) -> dict[str, Any]:
    """What one model allows under ``parameters``, ``options`` and ``members`` (and
    ``times``)."""
    table = cls.parameter_table()
    members = {k: _member_values(p.unit, p) for k, p in table.items()}
    can_learn = cls.kind == "synapse" and bool(cls.definition().on_pre)
    properties: dict[str, Any] = {
        # every parameter is required: a preset states each value with its unit
        "parameters": _closed({k: _quantity(p.unit, p) for k, p in table.items()}, tuple(table)),
        # a plasticity rule's parameters may differ between connections too
        "members": _closed(members, additionalProperties=_member_values(None))
        if can_learn
        else _closed(members),
    }
    if cls.kind == "plasticity":  # its values vary on the connection that carries it
        del properties["members"]
    properties |= {
        "options": _closed(
            {
                k: {"enum": list(o.choices), "default": o.default, "description": o.doc}
                for k, o in cls.options.items()
            }
        ),
    }
    forbidden = []
    listed = getattr(cls, "listed", "")  # a spike source's times (ms)
    if listed:
        properties[listed] = _closed(
            {
                "value": {"type": "array", "items": {"type": "number", "minimum": 0}},
                "unit": {"enum": units.compatible("ms")},
            },
            ("value", "unit"),
            description="spike times",
        )
    elif cls.kind == "neuron":
        forbidden.append("times")
    if cls.kind == "synapse" and not cls.definition().on_pre:
        forbidden.append("plasticity")  # only event-driven synapses can carry a rule
    out: dict[str, Any] = {"properties": properties, "description": (cls.__doc__ or "").strip()}
    if table:
        out["required"] = ["parameters"]
    if forbidden:
        out["not"] = {"anyOf": [{"required": [key]} for key in forbidden]}
    return out


def _element(kind: str, links: dict[str, Any]) -> dict[str, Any]:
    """Any registered model of ``kind``: the common keys, then each model's own by ``model``."""
    names = registered(kind)
    properties: dict[str, Any] = {
        **links,
        "model": {"enum": names},
        "parameters": {"type": "object"},
        "options": {"type": "object"},
    }
    if kind != "plasticity":
        properties["members"] = {
            "type": "object",
            "description": "values that differ between members (or connections), by "
            "parameter; they replace the value under parameters",
        }
    if kind == "neuron":
        properties["times"] = {"type": "object"}
        properties["n"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_POPULATION,
            "description": "members of the population (omitted: 1, a single cell)",
        }
    if kind == "synapse":
        properties["plasticity"] = _ref("plasticity")
        properties["rule"] = _ref("rule")
    dispatch = [
        {
            "if": {"properties": {"model": {"const": name}}, "required": ["model"]},
            "then": _ref(f"model.{name}"),
        }
        for name in names
    ]
    return _closed(properties, ("model", *links), allOf=dispatch)


def schema() -> dict[str, Any]:
    """The JSON Schema of the current preset format for the models registered now."""
    cell = {"type": "string", "pattern": _NAME.pattern}
    element = {"type": "string", "pattern": _ELEMENT.pattern, "not": {"pattern": r"\.$"}}
    ms_positive = _quantity("ms", positive=True)
    defs: dict[str, Any] = {
        "neuron": _element("neuron", {"name": cell}),
        "synapse": _element("synapse", {"name": element, "pre": cell, "post": cell}),
        "stimulus": _element("stimulus", {"name": element, "target": cell}),
        "plasticity": _element("plasticity", {}),
        "rule": _rules(),
    }
    for kind in ("neuron", "synapse", "stimulus", "plasticity"):
        for name in registered(kind):
            defs[f"model.{name}"] = _model(model_class(name, kind))
    run = _closed(
        {
            "t_stop": ms_positive,
            "dt": ms_positive,
            "method": {"enum": list(METHODS)},
            "precision": {"enum": list(PRECISIONS)},
            "record": {
                "oneOf": [
                    {"type": "null"},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                ],
                "description": "null: everything; else 'v', element names or 'element.variable'",
            },
            "record_every": {"type": "integer", "minimum": 1},
            "init": {"enum": ["default", "rest"]},
        }
    )
    slider = _closed(
        {
            "path": {"type": "string", "description": "a parameter path such as 'gj.g'"},
            "unit": {"type": "string"},
            "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "scale": {"enum": ["linear", "log"]},
        },
        ("path",),
    )
    coupling = _closed(
        {
            "kind": {"const": "coupling"},
            "stimulus": {"type": "string", "description": "a step into the source cell"},
            "target": {"type": "string"},
            "window": ms_positive,
        },
        ("kind", "stimulus", "target"),
    )
    train = _closed(
        {
            "kind": {"const": "train"},
            "connection": {"type": "string", "description": "a chemical connection"},
            "convention": {
                "enum": list(CONVENTIONS),
                "default": CONVENTIONS[0],
                "description": "how the train protocol measures it: neuntune's metrics, or "
                "BMTool 0.8.7 SynapseTuner's",
            },
            "recovery_stream": {
                "enum": list(RECOVERY_STREAMS),
                "description": "the recovery pulses on the train's stream, or on a fresh one "
                "(BMTool's second NetCon); omitted: single for neuntune, fresh for bmtool",
            },
        },
        ("kind", "connection"),
    )
    properties = {
        "schema": {"const": SCHEMA_VERSION},
        "metadata": _closed(
            {
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "source": {"type": "string", "description": "where the setup comes from"},
            },
            ("name",),
        ),
        **{
            key: {
                "type": "array",
                "items": _ref(kind),
                **({"minItems": 1} if kind == "neuron" else {}),
            }
            for kind, key in _KINDS.items()
        },
        "run": run,
        "hints": _closed({"sliders": {"type": "array", "items": slider}}),
        "measurements": {"type": "array", "items": {"oneOf": [coupling, train]}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"neuntune preset (schema {SCHEMA_VERSION})",
        "description": "A circuit of model neurons with its run settings and dashboard hints; "
        "every number is {value, unit}.",
        **_closed(properties, ("schema", "metadata", "neurons")),
        "$defs": defs,
    }
