"""One model instance from its preset object (``{"model", "parameters", "options",
...}``): the model looked up by kind, every parameter given with its unit and
converted to the declared one, a spike source's times (ms), a synapse's plasticity."""

from __future__ import annotations

import json
from typing import Any

from ..models.kinds import Synapse
from ..models.model import Model
from ..models.registry import model_class, registered
from .checks import (
    expect_array,
    expect_number,
    expect_object,
    expect_quantity,
    expect_string,
    fail,
    in_unit,
)


def read_element(
    value: Any, path: str, kind: str, keys: tuple[str, ...], more: tuple[str, ...] = ()
) -> tuple[dict, Model]:
    """A model instance from ``{"model", "parameters", "options", ...}``.

    ``keys`` are the required keys besides ``model`` (name, pre, post, target),
    ``more`` optional ones the caller reads (n, rule, members).  A spike source
    may have ``times``; a synapse may carry ``plasticity``.
    """
    base = ("model", *keys)
    everything = (*base, *more, "parameters", "options", "times", "plasticity")
    obj = expect_object(value, path, optional=everything)
    if "model" not in obj:
        fail(path, "missing required key 'model'")
    name = expect_string(obj["model"], f"{path}.model")
    try:
        cls = model_class(name, kind)
    except KeyError:
        known = ", ".join(registered(kind)) or "none"
        fail(f"{path}.model", f"unknown {kind} model {name!r} (known: {known})")
    listed = getattr(cls, "listed", "")  # a spike source's times (ms)
    extra = (listed,) if listed else ()
    extra += ("plasticity",) if issubclass(cls, Synapse) and kind == "synapse" else ()
    expect_object(obj, path, required=base, optional=(*more, "parameters", "options", *extra))

    options = expect_object(obj.get("options", {}), f"{path}.options", optional=tuple(cls.options))
    for key, choice in options.items():
        expect_string(choice, f"{path}.options.{key}", cls.options[key].choices)

    table = cls.parameter_table()
    params = expect_object(obj.get("parameters", {}), f"{path}.parameters", optional=tuple(table))
    values = {}
    for key, quantity in params.items():
        where = f"{path}.parameters.{key}"
        values[key] = expect_quantity(quantity, where, table[key].unit, table[key])
    missing = [key for key in table if key not in params]
    if missing:  # a preset states every value: a key left out is a mistake, not a default
        fail(
            f"{path}.parameters",
            f"missing {', '.join(missing)}: a preset gives every parameter of {name} with its "
            f"unit (null for an initial value at steady state), e.g. "
            f'"{missing[0]}": {{"value": {json.dumps(table[missing[0]].default)}, '
            f'"unit": "{table[missing[0]].unit}"}}',
        )
    try:  # all values at once: relations between them (a step's start ≤ stop) are checked last
        model = cls(**options, **values)
    except ValueError as exc:
        fail(f"{path}.parameters", str(exc))

    if listed and listed in obj:
        where = f"{path}.{listed}"
        times = expect_object(obj[listed], where, required=("value", "unit"))
        unit = expect_string(times["unit"], f"{where}.unit")
        values = expect_array(times["value"], f"{where}.value")
        converted = []
        for i, t in enumerate(values):
            number = in_unit(expect_number(t, f"{where}.value[{i}]"), unit, "ms", f"{where}.unit")
            if number < 0:
                fail(f"{where}.value[{i}]", f"spike times must be ≥ 0 ms; got {number:g} ms")
            converted.append(number)
        setattr(model, listed, converted)

    if "plasticity" in obj:
        where = f"{path}.plasticity"
        _, rule = read_element(obj["plasticity"], where, "plasticity", ())
        try:
            model.plasticity = rule  # type: ignore[attr-defined]
        except (TypeError, ValueError) as exc:
            fail(where, str(exc))
    return obj, model
