"""A circuit: named cells, the connections between them and the stimuli into them.

Every number in a circuit is reachable by a dotted path — ``"a.gna"``,
``"gj.g"``, ``"a.stim0.amplitude"`` — read with :meth:`Circuit.get` and changed
with :meth:`Circuit.set`.  Changing values never changes the compiled kernel;
adding or removing elements (or changing a model's options) does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .models.base import Model, Neuron, Stimulus, Synapse

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ELEMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-\>\.#]*$")


@dataclass
class Connection:
    """A synapse from cell ``pre`` to cell ``post``."""

    pre: str
    post: str
    synapse: Synapse


@dataclass
class Injection:
    """A stimulus into cell ``target``."""

    target: str
    stimulus: Stimulus


class Circuit:
    """Cells, connections and stimuli, each with a unique name.

    Example::

        c = Circuit()
        c.add("a", HH(v0=-75.0))
        c.add("b", HH())
        c.connect("a", "b", GapJunction(g=0.002), name="gj")
        c.stimulate("a", Constant(amplitude=0.1))      # named "a.stim0"
        c.set("gj.g", 0.003)
    """

    def __init__(self) -> None:
        self.neurons: dict[str, Neuron] = {}
        self.connections: dict[str, Connection] = {}
        self.stimuli: dict[str, Injection] = {}

    # ------------------------------------------------------------------ building
    def add(self, name: str, neuron: Neuron) -> Neuron:
        """Add cell ``neuron`` under ``name`` (letters, digits, underscore)."""
        if not isinstance(neuron, Neuron):
            raise TypeError(f"add({name!r}, ...): expected a Neuron model, got {neuron!r}")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"cell name {name!r}: use letters, digits and underscores, "
                "not starting with a digit"
            )
        self._check_free(name)
        self.neurons[name] = neuron
        return neuron

    def connect(self, pre: str, post: str, synapse: Synapse, name: str | None = None) -> str:
        """Connect ``pre`` to ``post`` with ``synapse``; returns the connection's name.

        The default name is ``"pre->post"`` (``"pre->post#2"`` for a second one).
        """
        if not isinstance(synapse, Synapse):
            raise TypeError(f"connect({pre!r}, {post!r}, ...): expected a Synapse, got {synapse!r}")
        for role, cell in (("pre", pre), ("post", post)):
            if cell not in self.neurons:
                raise ValueError(
                    f"connect: {role} cell {cell!r} does not exist (cells: {self._cells()})"
                )
        if synapse.event_driven is False and not self.neurons[pre].resolved().voltage:
            raise ValueError(
                f"connect: {type(synapse).__name__} reads v_pre, but {pre!r} has no voltage"
            )
        if name is None:
            name = f"{pre}->{post}"
            count = 2
            while name in self:
                name = f"{pre}->{post}#{count}"
                count += 1
        self._check_element_name(name)
        self._check_free(name)
        self.connections[name] = Connection(pre, post, synapse)
        return name

    def stimulate(self, target: str, stimulus: Stimulus, name: str | None = None) -> str:
        """Inject ``stimulus`` into cell ``target``; returns its name (default "target.stimN")."""
        if not isinstance(stimulus, Stimulus):
            raise TypeError(f"stimulate({target!r}, ...): expected a Stimulus, got {stimulus!r}")
        if target not in self.neurons:
            raise ValueError(f"stimulate: cell {target!r} does not exist (cells: {self._cells()})")
        if name is None:
            count = 0
            while f"{target}.stim{count}" in self:
                count += 1
            name = f"{target}.stim{count}"
        self._check_element_name(name)
        self._check_free(name)
        self.stimuli[name] = Injection(target, stimulus)
        return name

    def remove(self, name: str) -> None:
        """Remove a cell (with its connections and stimuli), a connection or a stimulus."""
        if name in self.neurons:
            del self.neurons[name]
            for key in [k for k, c in self.connections.items() if name in (c.pre, c.post)]:
                del self.connections[key]
            for key in [k for k, s in self.stimuli.items() if s.target == name]:
                del self.stimuli[key]
        elif name in self.connections:
            del self.connections[name]
        elif name in self.stimuli:
            del self.stimuli[name]
        else:
            raise KeyError(f"remove: no element named {name!r} (elements: {', '.join(self)})")

    def copy(self) -> Circuit:
        """A deep copy: changing the copy never changes this circuit."""
        clone = Circuit()
        clone.neurons = {k: n.copy() for k, n in self.neurons.items()}
        clone.connections = {
            k: Connection(c.pre, c.post, c.synapse.copy()) for k, c in self.connections.items()
        }
        clone.stimuli = {k: Injection(s.target, s.stimulus.copy()) for k, s in self.stimuli.items()}
        return clone

    # -------------------------------------------------------------------- values
    def element(self, name: str) -> Model:
        """The model object (neuron, synapse or stimulus) called ``name``."""
        if name in self.neurons:
            return self.neurons[name]
        if name in self.connections:
            return self.connections[name].synapse
        if name in self.stimuli:
            return self.stimuli[name].stimulus
        raise KeyError(f"no element named {name!r} (elements: {', '.join(self) or 'none'})")

    def resolve(self, path: str) -> tuple[str, Model, str]:
        """Split ``"element.param"`` into (element name, model, parameter name)."""
        if not isinstance(path, str) or "." not in path:
            raise KeyError(
                f"{path!r}: a parameter path looks like 'cell.param' or 'connection.param'"
            )
        element, param = path.rsplit(".", 1)
        try:
            model = self.element(element)
        except KeyError as exc:
            raise KeyError(f"{path}: {exc.args[0]}") from None
        model_params = model.parameter_table()
        if param not in model_params:
            raise KeyError(
                f"{path}: {type(model).__name__} has no parameter {param!r} "
                f"(parameters: {', '.join(model_params)})"
            )
        return element, model, param

    def get(self, path: str) -> float | None:
        """Value at ``path`` in the unit the model declares (per cm² for densities)."""
        _, model, param = self.resolve(path)
        return model.get(param)

    def set(self, path: str, value: Any) -> None:
        """Set the value at ``path``; raises TypeError/ValueError naming path, value and range."""
        _, model, param = self.resolve(path)
        model.set(param, value, path=path)

    def parameters(self) -> Iterator[str]:
        """Every parameter path in the circuit, in a stable order."""
        for name in self:
            for param in self.element(name).parameter_table():
                yield f"{name}.{param}"

    # ----------------------------------------------------------------- structure
    def structure(self) -> tuple:
        """What shapes compiled code: model definitions and wiring, not values."""
        cells = list(self.neurons)
        return (
            tuple((n.resolved().key,) for n in self.neurons.values()),
            tuple(
                (c.synapse.resolved().key, cells.index(c.pre), cells.index(c.post))
                for c in self.connections.values()
            ),
            tuple(
                (s.stimulus.resolved().key, cells.index(s.target)) for s in self.stimuli.values()
            ),
        )

    def __iter__(self) -> Iterator[str]:
        yield from self.neurons
        yield from self.connections
        yield from self.stimuli

    def __contains__(self, name: object) -> bool:
        return name in self.neurons or name in self.connections or name in self.stimuli

    def __repr__(self) -> str:
        lines = [f"Circuit with {len(self.neurons)} cells"]
        lines += [f"  {k}: {n!r}" for k, n in self.neurons.items()]
        lines += [f"  {k}: {c.pre} -> {c.post} {c.synapse!r}" for k, c in self.connections.items()]
        lines += [f"  {k}: into {s.target} {s.stimulus!r}" for k, s in self.stimuli.items()]
        return "\n".join(lines)

    def check_cell(self, cell: str, argument: str) -> None:
        """ValueError naming ``argument`` unless ``cell`` is a cell of this circuit."""
        if cell not in self.neurons:
            cells = self._cells()
            raise ValueError(f"{argument}: no cell {cell!r} in the circuit (cells: {cells})")

    def _cells(self) -> str:
        return ", ".join(self.neurons) or "none"

    def _check_free(self, name: str) -> None:
        if name in self:
            raise ValueError(f"an element named {name!r} already exists")

    @staticmethod
    def _check_element_name(name: str) -> None:
        if not isinstance(name, str) or not _ELEMENT.match(name) or name.endswith("."):
            raise ValueError(f"element name {name!r}: use letters, digits, _, ., -> and #")
