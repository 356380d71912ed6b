"""Comparing the values an undo history holds: one number per parameter, or where
members differ their array or seeded distribution (see ``TunerModel._spec``)."""

from __future__ import annotations

from typing import Any

import numpy as np


def same_value(a: Any, b: Any) -> bool:
    """Whether two parameter values (numbers, None, or one value per member) are equal."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if a is None or b is None:
            return False
        x, y = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        return bool(np.array_equal(x, y, equal_nan=True))
    return a == b


def same_spec(a: Any, b: Any) -> bool:
    """Whether two values as :meth:`TunerModel._spec` returns them are equal."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and np.array_equal(a, b, equal_nan=True)
        )
    return bool(a == b)  # numbers, None, or distributions (equal when type and args are)


def same_snapshot(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> bool:
    return a["run"] == b["run"] and all(
        same_spec(value, b["values"].get(path)) for path, value in a["values"].items()
    )
