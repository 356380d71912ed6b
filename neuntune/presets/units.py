"""Units a preset may write its values in, and conversion between them.

An explicit table, not a unit algebra: each unit belongs to one quantity and is a
power of ten times that quantity's engine unit (mV, ms, µF/cm², mS/cm², cm², µF,
µA, mS, MΩ, 1/ms, mM, ...), spelled in ASCII as the models declare them (``uA``
for µA, ``MOhm`` for MΩ, ``cm2`` for cm²).  Conversion multiplies or divides by
an exact power of ten, so ``2 nS`` becomes the float closest to ``2e-6 mS``.

A value written in exactly the unit a model declares is always accepted, even if
that unit is not in the table: a new model with a new unit then needs no change
here to load and save its presets; only conversions to it need a table entry.
"""

from __future__ import annotations

from typing import NamedTuple


class Unit(NamedTuple):
    """A unit as ``10**exponent`` times its quantity's engine unit."""

    quantity: str
    exponent: int


_TABLE: dict[str, dict[str, int]] = {
    "voltage": {"mV": 0, "V": 3, "uV": -3},
    "time": {"ms": 0, "s": 3, "us": -3},
    "rate": {"1/ms": 0, "kHz": 0, "Hz": -3, "1/s": -3},
    "voltage rate": {"mV/ms": 0, "V/s": 0},
    "rate per concentration": {"1/(mM*ms)": 0, "1/(uM*ms)": 3, "1/(M*s)": -6},
    "capacitance density": {"uF/cm2": 0, "F/m2": 2, "pF/um2": 2},
    "conductance density": {"mS/cm2": 0, "S/cm2": 3, "uS/cm2": -3, "S/m2": -1, "pS/um2": -1},
    "area": {"cm2": 0, "m2": 4, "mm2": -2, "um2": -8},
    "capacitance": {"uF": 0, "F": 6, "nF": -3, "pF": -6},
    "current": {"uA": 0, "A": 6, "mA": 3, "nA": -3, "pA": -6},
    "conductance": {"mS": 0, "S": 3, "uS": -3, "nS": -6, "pS": -9},
    "resistance": {"MOhm": 0, "GOhm": 3, "kOhm": -3, "Ohm": -6},
    "concentration": {"mM": 0, "M": 3, "uM": -3},
    "temperature": {"degC": 0},
    "angle": {"deg": 0},
    "dimensionless": {"1": 0},
}

#: Every unit in the table, by its canonical spelling.
UNITS: dict[str, Unit] = {
    name: Unit(quantity, exponent)
    for quantity, members in _TABLE.items()
    for name, exponent in members.items()
}


def lookup(unit: str) -> Unit | None:
    """The table entry for ``unit``, or None if it is not listed."""
    return UNITS.get(unit)


def compatible(unit: str) -> list[str]:
    """Units a value declared in ``unit`` may be written in (just ``unit`` if unlisted)."""
    entry = lookup(unit)
    if entry is None:
        return [unit]
    return list(_TABLE[entry.quantity])


def describe(unit: str) -> str:
    """``'conductance (mS, S, uS, nS, pS)'`` — for error messages."""
    entry = lookup(unit)
    if entry is None:
        return repr(unit)
    return f"{_article(entry.quantity)} {entry.quantity} ({', '.join(_TABLE[entry.quantity])})"


def convert(value: float, unit: str, to: str) -> float:
    """``value`` given in ``unit``, expressed in ``to``.

    Raises ValueError when the two are not the same quantity (a resistance is not
    a conductance: give ``g = 1/R``) or a unit is not in the table.
    """
    if unit == to:
        return value
    source, target = lookup(unit), lookup(to)
    if source is None:
        raise ValueError(f"unknown unit {unit!r}; expected {describe(to)}")
    if target is None or source.quantity != target.quantity:
        hint = ""
        if {source.quantity, getattr(target, "quantity", "")} == {"resistance", "conductance"}:
            hint = "; resistance and conductance are not interchangeable: give g = 1/R"
        raise ValueError(
            f"{unit!r} is {_article(source.quantity)} {source.quantity}, "
            f"but {describe(to)} is expected{hint}"
        )
    shift = source.exponent - target.exponent
    # multiplying by 10**-k would round twice; dividing by the exact 10**k rounds once
    return value * 10.0**shift if shift >= 0 else value / 10.0**-shift


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
