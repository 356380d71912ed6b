"""Populations in a preset: sizes, connection rules (``{"rule": "FixedProbability",
"p": 0.02, "seed": 3}``, each argument checked against the populations joined) and
values that differ between members (explicit lists or seeded distributions, in the
parameter's declared unit)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..circuit import MAX_POPULATION, Circuit
from ..connectivity import DISTRIBUTIONS, RULES, Distribution, Rule, rule_from
from ..models.declarations import Parameter
from .checks import (
    check_value,
    describe,
    expect_array,
    expect_boolean,
    expect_integer,
    expect_number,
    expect_object,
    expect_string,
    fail,
    in_unit,
)

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


def population_size(value: Any, path: str) -> int:
    """A population size: a whole number from 1 (a single cell) to the largest allowed."""
    number = expect_integer(value, path, 1)
    if number > MAX_POPULATION:
        fail(path, f"{number} members is over the limit of {MAX_POPULATION} for one population")
    return number


def _indices(value: Any, path: str, n: int, population: str) -> list[int]:
    """Member indices of ``population`` (``n`` members) for an explicit ``Pairs`` rule."""
    items = expect_array(value, path)
    for k, index in enumerate(items):
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            fail(f"{path}[{k}]", f"expected a member index (a whole number ≥ 0); got "
                  f"{describe(index)}")  # fmt: skip
        if index >= n:
            fail(
                f"{path}[{k}]",
                f"member {index} is out of range: {population} has {n} member(s) (0 to {n - 1})",
            )
    return items


def read_rule(value: Any, path: str, circuit: Circuit, pre: str, post: str) -> Rule:
    """A connection rule from ``{"rule": "FixedProbability", "p": 0.02, "seed": 3, ...}``,
    each argument checked against the populations it joins."""
    if not isinstance(value, dict) or "rule" not in value:
        fail(path, f"expected an object such as {{\"rule\": \"AllToAll\"}} (rules: "
              f"{', '.join(RULES)}); got {describe(value)}")  # fmt: skip
    name = expect_string(value["rule"], f"{path}.rule", tuple(RULES))
    required, optional = _RULE_KEYS[name]
    obj = expect_object(value, path, required=("rule", *required), optional=optional)
    n_pre, n_post = circuit.size(pre), circuit.size(post)
    args: dict[str, Any] = {"rule": name}
    if "self_connections" in obj:
        args["self_connections"] = expect_boolean(
            obj["self_connections"], f"{path}.self_connections"
        )
    if "seed" in obj:
        args["seed"] = expect_integer(obj["seed"], f"{path}.seed", 0)
    if "p" in obj:
        p = expect_number(obj["p"], f"{path}.p")
        if not 0.0 <= p <= 1.0:
            fail(f"{path}.p", f"a probability must lie in [0, 1]; got {p:g}")
        args["p"] = p
    if "n" in obj:
        number = expect_integer(obj["n"], f"{path}.n", 0)
        available = n_pre - (pre == post and not args.get("self_connections", False))
        if number > available:
            fail(
                f"{path}.n",
                f"{number} pre members per post member, but {pre} offers only {available}",
            )
        args["n"] = number
    if name == "Pairs":
        args["i"] = _indices(obj["i"], f"{path}.i", n_pre, pre)
        args["j"] = _indices(obj["j"], f"{path}.j", n_post, post)
        if len(args["i"]) != len(args["j"]):
            fail(path, f"i has {len(args['i'])} entries but j has {len(args['j'])}; give one "
                  "pair (i[k], j[k]) per connection")  # fmt: skip
    try:
        return rule_from(args)
    except (TypeError, ValueError) as exc:
        fail(path, str(exc))


def _member_values(
    value: Any, path: str, parameter: Parameter, n: int, element: str
) -> np.ndarray | Distribution:
    """Values that differ between the ``n`` members of ``element``: an explicit list
    ``{"value": [...], "unit"}`` (null where the parameter allows it), or a seeded
    distribution ``{"distribution": "Normal", "mean", "sd", "seed", "unit"}``; in the
    parameter's declared unit."""
    declared = parameter.unit
    if isinstance(value, dict) and "distribution" in value:
        name = expect_string(value["distribution"], f"{path}.distribution", tuple(DISTRIBUTIONS))
        numbers_ = _DISTRIBUTION_KEYS[name]
        obj = expect_object(value, path, required=("distribution", *numbers_, "seed", "unit"))
        unit = expect_string(obj["unit"], f"{path}.unit")
        args: dict[str, Any] = {
            key: in_unit(expect_number(obj[key], f"{path}.{key}"), unit, declared, f"{path}.unit")
            for key in numbers_
        }
        if name == "Normal" and args["sd"] < 0:
            fail(f"{path}.sd", f"a standard deviation must be ≥ 0; got {obj['sd']!r}")
        if name == "Uniform" and args["high"] < args["low"]:
            fail(f"{path}.high", f"must not be below low ({obj['low']!r}); got {obj['high']!r}")
        args["seed"] = expect_integer(obj["seed"], f"{path}.seed", 0)
        return DISTRIBUTIONS[name](**args)
    if not isinstance(value, dict) or "value" not in value:
        fail(
            path,
            f'expected {{"value": [one per member], "unit": ...}} or a distribution '
            f'{{"distribution": "Normal", "mean", "sd", "seed", "unit"}}; got {describe(value)}',
        )
    obj = expect_object(value, path, required=("value", "unit"))
    unit = expect_string(obj["unit"], f"{path}.unit")
    items = expect_array(obj["value"], f"{path}.value")
    if len(items) != n:
        fail(f"{path}.value", f"expected {n} values (one per member of {element}); got "
              f"{len(items)}")  # fmt: skip
    array = np.empty(n, np.float64)
    for k, item in enumerate(items):
        if item is None and parameter.nullable:
            array[k] = np.nan
            continue
        where = f"{path}.value[{k}]"
        number = in_unit(expect_number(item, where), unit, declared, f"{path}.unit")
        check_value(parameter, number, where, item, unit)
        array[k] = number
    return array


def read_members(obj: dict[str, Any], path: str, circuit: Circuit, element: str) -> None:
    """Set ``obj["members"]`` (values that differ between members) on ``element``."""
    if "members" not in obj:
        return
    table = circuit.element(element).parameter_table()
    members = expect_object(obj["members"], f"{path}.members", optional=tuple(table))
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
            fail(where, str(exc))
