"""What a model declares about each of its names: a :class:`Parameter` (default,
unit, doc, allowed range), a :class:`State` (initial value, unit, doc) and an
:class:`Option` (a structural choice that selects equations), plus the name of the
parameter holding a state's initial value (``v`` -> ``v0``).

Values are in each declaration's own unit (mV, ms, µA, ...; "1" is dimensionless).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Parameter:
    """A numeric parameter: default, unit, one-line doc and the allowed range.

    ``minimum``/``maximum`` bound the value (``exclusive_minimum`` excludes the
    minimum itself).  ``scale`` and ``ui_range`` are hints for sliders.  A
    ``nullable`` parameter accepts ``None`` (used for "initial value at steady state").
    """

    default: float | None
    unit: str
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    scale: str = "linear"
    ui_range: tuple[float, float] | None = None
    nullable: bool = False

    def describe_range(self) -> str:
        """The allowed range in words, e.g. '> 0' or 'between 0 and 1'."""
        low = None
        if self.minimum is not None:
            low = f"{'>' if self.exclusive_minimum else '≥'} {self.minimum:g}"
        high = None if self.maximum is None else f"≤ {self.maximum:g}"
        text = " and ".join(part for part in (low, high) if part) or "any finite number"
        return text + (" (or None)" if self.nullable else "")

    def validate(self, path: str, value: Any) -> float | None:
        """Return ``value`` as a float, or raise a TypeError/ValueError naming ``path``."""
        if value is None:
            if self.nullable:
                return None
            raise TypeError(f"{path}: a number is required ({self.unit}), got None")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{path}: expected a number in {self.unit}, got {type(value).__name__} {value!r}"
            )
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(
                f"{path}: value {number} is not finite; allowed: {self.describe_range()}"
            )
        too_low = self.minimum is not None and (
            number < self.minimum or (self.exclusive_minimum and number == self.minimum)
        )
        too_high = self.maximum is not None and number > self.maximum
        if too_low or too_high:
            unit = "" if self.unit == "1" else f" {self.unit}"  # dimensionless: no unit
            raise ValueError(
                f"{path}: value {number:g}{unit} is out of range; "
                f"allowed: {self.describe_range()}{unit}"
            )
        return number

    def out_of_range(self, array: np.ndarray) -> np.ndarray:
        """Which of ``array``'s values are not finite or outside the allowed range."""
        bad = ~np.isfinite(array)
        if self.minimum is not None:
            bad |= array < self.minimum
            if self.exclusive_minimum:
                bad |= array == self.minimum
        if self.maximum is not None:
            bad |= array > self.maximum
        return bad

    def validate_array(self, path: str, values: Any) -> np.ndarray:
        """Validate many values at once (a batch); returns a float64 array.

        Numbers only, as :meth:`validate` takes them: strings and booleans are refused
        (numpy would turn "0.001" into a number)."""
        try:
            raw = np.asarray(values)
        except ValueError:  # ragged nesting
            raise TypeError(f"{path}: expected numbers in {self.unit}, got {values!r}") from None
        if raw.dtype.kind not in "iuf":  # strings, booleans, complex or mixed objects
            for item in raw.ravel():
                item = item.item() if isinstance(item, np.generic) else item
                if isinstance(item, bool) or not isinstance(item, numbers.Real):
                    raise TypeError(
                        f"{path}: expected numbers in {self.unit}, "
                        f"got {type(item).__name__} {item!r}"
                    )
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{path}: expected numbers in {self.unit}, got {values!r}") from None
        if array.ndim > 1:
            raise TypeError(f"{path}: expected a 1-D sequence of values, got shape {array.shape}")
        array = array.ravel()  # one number is a batch of one
        bad = self.out_of_range(array)
        if bad.any():
            self.validate(path, float(array[np.argmax(bad)]))  # raises with the message
        return array


@dataclass(frozen=True)
class State:
    """A state variable: its initial value (a number, or an expression such as a
    gate's steady state ``"am/(am + bm)"``), unit and doc.  ``minimum``/``maximum``
    bound the initial value a user may give (a gate's lies in [0, 1])."""

    initial: float | str
    unit: str
    doc: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Option:
    """A structural choice (it selects equations, so changing it recompiles)."""

    choices: tuple[str, ...]
    default: str
    doc: str


def initial_parameter(state: str) -> str:
    """Name of the parameter holding a state's initial value (``v`` -> ``v0``)."""
    return f"{state}0"
