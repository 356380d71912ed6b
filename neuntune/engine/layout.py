"""Flatten a circuit into rows of parameter, derived-value and state arrays.

The layout depends only on the circuit's structure (model definitions and
wiring), so it is computed once per structure and reused while values change:
``fill_parameters`` copies the current values into a ``P`` array.

Arrays are shaped (rows, batch): row ``i`` holds one quantity for every
member of a batch of simulations, contiguous, so compiled kernels vectorise
across the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..circuit import Circuit
from ..models.base import Definition, Model
from ..models.equations import closure, names

#: Inputs an intermediate must not read to be computed once per run.
_VARYING = {"t", "I_in", "v_pre", "v_post", "v"}


@dataclass
class Slot:
    """One circuit element's place in the flat arrays."""

    name: str
    definition: Definition
    params: dict[str, int] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    pre: int = -1  # connections: index of the pre cell; stimuli: target cell
    post: int = -1  # connections: index of the post cell
    gain: int = -1  # stimuli: P row of the on/off gain (0 while finding the rest state)

    @property
    def kind(self) -> str:
        return self.definition.kind

    def hoisted(self) -> list[str]:
        """Intermediates that depend on parameters only, in declaration order."""
        d = self.definition
        varying = set(d.states) | _VARYING
        return [
            name
            for name, expr in d.equations.assignments.items()
            if name not in ("I_post", "I_pre", "I")
            and name not in d.equations.booleans
            and not (closure(names(expr), d.equations.assignments) & varying)
        ]


@dataclass(frozen=True)
class Recordable:
    """A quantity the kernel can record: a state, or an output current."""

    element: str
    variable: str
    unit: str
    state_row: int = -1  # >= 0 for states
    output: str = ""  # "I_post", "I_pre" or "I" for currents


class Layout:
    """Index maps from (element, name) to rows, derived from a circuit's structure."""

    def __init__(self, circuit: Circuit) -> None:
        self.structure = circuit.structure()
        self.neurons: list[Slot] = []
        self.connections: list[Slot] = []
        self.stimuli: list[Slot] = []
        self.n_params = self.n_derived = self.n_states = 0
        cells = list(circuit.neurons)
        for name, neuron in circuit.neurons.items():
            self.neurons.append(self._place(name, neuron))
        for name, conn in circuit.connections.items():
            slot = self._place(name, conn.synapse)
            slot.pre, slot.post = cells.index(conn.pre), cells.index(conn.post)
            self.connections.append(slot)
        for name, inj in circuit.stimuli.items():
            slot = self._place(name, inj.stimulus)
            slot.pre = cells.index(inj.target)
            slot.gain = self._row("params")
            self.stimuli.append(slot)
        self.recordables = self._recordables()

    def _row(self, kind: str) -> int:
        attr = f"n_{kind}"
        row = getattr(self, attr)
        setattr(self, attr, row + 1)
        return row

    def _place(self, name: str, model: Model) -> Slot:
        slot = Slot(name, model.resolved())
        for param in slot.definition.parameters:
            slot.params[param] = self._row("params")
        for derived in slot.hoisted():
            slot.derived[derived] = self._row("derived")
        for state in slot.definition.states:
            slot.states[state] = self._row("states")
        return slot

    def slots(self) -> list[Slot]:
        return self.neurons + self.connections + self.stimuli

    def voltage_cells(self) -> list[Slot]:
        """The cells with a voltage (spike sources have no states)."""
        return [s for s in self.neurons if s.states]

    def voltage_rows(self) -> list[int]:
        """The state row of each of :meth:`voltage_cells`' voltages."""
        return [s.states[s.definition.voltage] for s in self.voltage_cells()]

    def slot(self, name: str) -> Slot:
        for slot in self.slots():
            if slot.name == name:
                return slot
        raise KeyError(name)

    def _recordables(self) -> list[Recordable]:
        out = []
        for slot in self.slots():
            for state, row in slot.states.items():
                out.append(Recordable(slot.name, state, slot.definition.states[state].unit, row))
        for slot in self.connections:
            out.append(Recordable(slot.name, "I", "uA", output="I_post"))
            if "I_pre" in slot.definition.equations.assignments:
                out.append(Recordable(slot.name, "I_pre", "uA", output="I_pre"))
        for slot in self.stimuli:
            out.append(Recordable(slot.name, "I", "uA", output="I"))
        return out

    def recordable_index(self, element: str, variable: str) -> int:
        for i, rec in enumerate(self.recordables):
            if rec.element == element and rec.variable == variable:
                return i
        raise KeyError(f"{element}.{variable}")

    def state_name(self, row: int) -> str:
        """'element.state' for a state row (used in error messages)."""
        for slot in self.slots():
            for state, r in slot.states.items():
                if r == row:
                    return f"{slot.name}.{state}"
        raise KeyError(row)

    def fill_parameters(self, circuit: Circuit, out: np.ndarray) -> None:
        """Copy the circuit's current values into ``out`` (shape (n_params, batch)).

        ``None`` (an initial value left to the model, e.g. a gate at steady
        state) is stored as NaN; stimulus gains are set to 1.
        """
        for slot in self.slots():
            values = circuit.element(slot.name).values
            for param, row in slot.params.items():
                value = values[param]
                out[row] = np.nan if value is None else value
        for slot in self.stimuli:
            out[slot.gain] = 1.0
