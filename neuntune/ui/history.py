"""A tuner's undo history: snapshots of every parameter value and the run settings,
taken before each change.  A value is one number per parameter, or where members
differ their array or seeded distribution (:func:`spec_of`), so undo and reset bring
back a distribution itself rather than its samples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..circuit import Circuit

#: Undo steps kept.
HISTORY = 200


def same_value(a: Any, b: Any) -> bool:
    """Whether two parameter values (numbers, None, or one value per member) are equal."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if a is None or b is None:
            return False
        x, y = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        return bool(np.array_equal(x, y, equal_nan=True))
    return a == b


def same_spec(a: Any, b: Any) -> bool:
    """Whether two values as :func:`spec_of` returns them are equal."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and np.array_equal(a, b, equal_nan=True)
        )
    return bool(a == b)  # numbers, None, or distributions (equal when type and args are)


def spec_of(circuit: Circuit, path: str) -> Any:
    """The value at ``path`` as ``circuit`` holds it (declared unit): one number, or
    where members differ their array (a copy) or seeded distribution."""
    element, _, name = circuit.resolve(path)
    spec = circuit.member_values.get(element, {}).get(name)
    if spec is None:
        return circuit.get(path)
    return spec.copy() if isinstance(spec, np.ndarray) else spec


@dataclass(frozen=True)
class Snapshot:
    """Every parameter value (by path, as :func:`spec_of` gives it) and the run
    settings (``t_stop`` and ``dt`` in ms, ``method``) at one moment."""

    values: dict[str, Any]
    run: dict[str, Any]

    def same(self, other: Snapshot) -> bool:
        """Whether ``other`` holds the same values and run settings."""
        return self.run == other.run and all(
            same_spec(value, other.values.get(path)) for path, value in self.values.items()
        )


class History:
    """Undo steps, newest last (at most :data:`HISTORY`), and the change still open.

    A change has a key (a parameter path, "reset", ...).  Changes with the key of the
    open one continue it (a slider drag is one step from press to release) until
    :meth:`close`.
    """

    def __init__(self) -> None:
        self._steps: list[Snapshot] = []
        #: Key of the change being made (None: the next change is a new step).
        self.open: str | None = None

    def begin(self, key: str, before: Callable[[], Snapshot]) -> bool:
        """Record ``before()`` as a step, unless the change ``key`` continues the open
        one; True if a step was recorded."""
        if key == self.open:
            return False
        self._steps.append(before())
        del self._steps[:-HISTORY]
        self.open = key
        return True

    def close(self) -> None:
        """End the open change: the next change is a new step."""
        self.open = None

    def pop(self) -> Snapshot | None:
        """The newest step, removed (None if there is none)."""
        return self._steps.pop() if self._steps else None

    def __bool__(self) -> bool:
        return bool(self._steps)
