"""Checks of parsed JSON values for the preset reader: each returns the value (a
number in the declared unit where one is asked for) or raises
:class:`~neuntune.PresetError` whose message starts with the JSON path
(``$.neurons[1].parameters.gna.value``) and says what was expected.  Also the
document-wide limits on list, object and string sizes, and the duplicate-key record
of :func:`object_pairs`."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, NoReturn

from ..errors import PresetError
from ..models.declarations import Parameter
from . import units
from .document import MAX_ITEMS, MAX_STRING

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
def fail(path: str, message: str) -> NoReturn:
    raise PresetError(f"{path}: {message}")


def key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{key!r}]"


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    kind = {str: "string", list: "array", dict: "object", JSONObject: "object"}.get(
        type(value), "number"
    )
    text = repr(value)
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def expect_object(
    value: Any, path: str, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    allowed = (*required, *optional)
    if not isinstance(value, dict):
        fail(path, f"expected an object with keys {', '.join(allowed)}; got {describe(value)}")
    for key in getattr(value, "duplicates", ()):
        fail(key_path(path, key), "appears twice in one object; give each key once")
    for key in value:
        if key not in allowed:
            fail(
                key_path(path, key), f"unknown key; expected one of {', '.join(allowed) or 'none'}"
            )
    for key in required:
        if key not in value:
            fail(path, f"missing required key {key!r}")
    return value


def expect_string(value: Any, path: str, choices: tuple[str, ...] | list[str] | None = None) -> str:
    if not isinstance(value, str):
        expected = f"one of {', '.join(choices)}" if choices else "a string"
        fail(path, f"expected {expected}; got {describe(value)}")
    if choices is not None and value not in choices:
        fail(path, f"{value!r} is not one of {', '.join(choices) or '(none available)'}")
    return value


def expect_array(value: Any, path: str, min_items: int = 0) -> list[Any]:
    if not isinstance(value, list):
        fail(path, f"expected an array; got {describe(value)}")
    if len(value) < min_items:
        fail(path, f"expected at least {min_items} item(s); got {len(value)}")
    return value


def expect_number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fail(path, f"expected a number; got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer literal beyond the float range
        number = math.inf
    if not math.isfinite(number):
        fail(path, f"expected a finite number; got {value!r}")
    return number


def expect_integer(value: Any, path: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, f"expected a whole number ≥ {minimum}; got {describe(value)}")
    if value < minimum:
        fail(path, f"expected a whole number ≥ {minimum}; got {value}")
    return value


def in_unit(number: float, unit: str, declared: str, path: str) -> float:
    """``number`` (given in ``unit``) in the ``declared`` unit; ``path`` names the unit field."""
    try:
        converted = units.convert(number, unit, declared)
    except ValueError as exc:
        fail(path, str(exc))
    if not math.isfinite(converted):
        fail(path, f"{number:g} {unit} is beyond the range of numbers in {declared}")
    return converted


def expect_quantity(
    value: Any, path: str, declared: str, parameter: Parameter | None = None
) -> float | None:
    """A ``{"value", "unit"}`` object as a float in ``declared`` units, checked against
    ``parameter``'s range; ``null`` only where the parameter allows it."""
    obj = expect_object(value, path, required=("value", "unit"))
    unit = expect_string(obj["unit"], f"{path}.unit")
    raw = obj["value"]
    if raw is None and parameter is not None and parameter.nullable:
        in_unit(0.0, unit, declared, f"{path}.unit")  # the unit must still fit
        return None
    number = in_unit(expect_number(raw, f"{path}.value"), unit, declared, f"{path}.unit")
    if parameter is not None:
        check_value(parameter, number, f"{path}.value", raw, unit)
    return number


def check_value(parameter: Parameter, number: float, path: str, raw: Any, unit: str) -> float:
    try:
        return parameter.validate(path, number)  # type: ignore[return-value]
    except (TypeError, ValueError) as exc:
        written = "" if unit == parameter.unit else f" (written as {raw!r} {unit})"
        raise PresetError(f"{exc}{written}") from None


def expect_boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, f"expected true or false; got {describe(value)}")
    return value


def check_sizes(doc: Any) -> None:
    """Refuse lists and objects over :data:`MAX_ITEMS`, strings over :data:`MAX_STRING`
    and strings that are not text (a lone UTF-16 surrogate, which no file can hold),
    naming the path, before anything is built from them."""
    stack = [(doc, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                fail(
                    path,
                    f"a string of {len(value)} characters, over the limit of {MAX_STRING}",
                )
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                fail(
                    path,
                    f"not text: a lone surrogate {value[exc.start]!r} at character "
                    f"{exc.start} (JSON escapes like \\ud800 that pair with nothing)",
                )
        elif isinstance(value, dict | list):
            if len(value) > MAX_ITEMS:
                kind = "entries" if isinstance(value, dict) else "items"
                fail(path, f"{len(value)} {kind}, over the limit of {MAX_ITEMS} {kind}"
                      f"{_too_long_hint(path)}")  # fmt: skip
            if isinstance(value, dict):
                for key, item in value.items():
                    where = key_path(path, key) if isinstance(key, str) else f"{path}[{key!r}]"
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
