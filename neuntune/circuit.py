"""A circuit: named cells and populations, the connections between them and the
stimuli into them.

Every number in a circuit is reachable by a dotted path — ``"a.gna"``,
``"gj.g"``, ``"a.stim0.amplitude"`` — read with :meth:`Circuit.get` and changed
with :meth:`Circuit.set`; ``"fs[3].gna"`` addresses one member of a population.
A cell is a population of one.  Values never change compiled code; neither does
the wiring or the size of a population in the population engine.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .connectivity import Distribution, Rule, realise
from .models.declarations import Parameter
from .models.definition import post_targets
from .models.kinds import Neuron, Stimulus, Synapse
from .models.model import Model

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ELEMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-\>\.#]*$")
_MEMBER = re.compile(r"^(.*)\[(\d+)\]$")
#: Most members one population may have.
MAX_POPULATION = 10_000_000


@dataclass
class Connection:
    """A synapse from cell ``pre`` to cell ``post``; between populations, one per
    pair that ``rule`` makes (None: the single pair of two single cells)."""

    pre: str
    post: str
    synapse: Synapse
    rule: Rule | None = None


@dataclass
class Injection:
    """A stimulus into cell ``target``."""

    target: str
    stimulus: Stimulus


class Circuit:
    """Cells and populations, connections and stimuli, each with a unique name.

    Example::

        c = Circuit()
        c.add("a", HH(v0=-75.0))
        c.add("b", HH())
        c.connect("a", "b", GapJunction(g=0.002), name="gj")
        c.stimulate("a", Constant(amplitude=0.1))      # named "a.stim0"
        c.set("gj.g", 0.003)

        c.add("fs", WangBuzsaki(), n=100)              # a population
        c.connect("fs", "fs", GapJunction(g=1e-3), rule=AllToAll(), name="fs_gap")
        c.set("fs.gna", Normal(35.0, 2.0, seed=1))     # one value per member
    """

    def __init__(self) -> None:
        self.neurons: dict[str, Neuron] = {}
        self.connections: dict[str, Connection] = {}
        self.stimuli: dict[str, Injection] = {}
        #: population sizes (1 for a single cell)
        self.sizes: dict[str, int] = {}
        #: values that differ between members: element -> parameter -> array or distribution
        self.member_values: dict[str, dict[str, np.ndarray | Distribution]] = {}
        self._pairs: dict[str, tuple[tuple, tuple[np.ndarray, np.ndarray]]] = {}

    # ------------------------------------------------------------------ building
    def add(self, name: str, neuron: Neuron, n: int = 1) -> Neuron:
        """Add cell ``neuron`` under ``name`` (letters, digits, underscore); ``n`` > 1
        makes a population of ``n`` members sharing the model (values may differ)."""
        if not isinstance(neuron, Neuron):
            raise TypeError(f"add({name!r}, ...): expected a Neuron model, got {neuron!r}")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"cell name {name!r}: use letters, digits and underscores, "
                "not starting with a digit"
            )
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 1 <= n:
            raise ValueError(f"add({name!r}, n={n!r}): n must be a whole number ≥ 1")
        if n > MAX_POPULATION:
            raise ValueError(
                f"add({name!r}, n={n}): a population has at most {MAX_POPULATION:,} members"
            )
        self._check_free(name)
        self.neurons[name] = neuron
        self.sizes[name] = int(n)
        return neuron

    def connect(
        self,
        pre: str,
        post: str,
        synapse: Synapse,
        name: str | None = None,
        rule: Rule | None = None,
    ) -> str:
        """Connect ``pre`` to ``post`` with ``synapse``; returns the connection's name.

        Between populations, ``rule`` (:class:`~neuntune.connectivity.AllToAll`,
        ``OneToOne``, ``FixedProbability``, ``FixedNumberPre``, ``Pairs``) says which
        members connect; each connection gets its own copy of the synapse's values.
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
        post_states = self.neurons[post].resolved().states
        missing = sorted(t[: -len("_post")] for t in post_targets(synapse.resolved()))
        missing = [state for state in missing if state not in post_states]
        if missing:
            raise ValueError(
                f"connect: {type(synapse).__name__} raises {', '.join(missing)} of its post "
                f"cell, but {type(self.neurons[post]).__name__} has no such state (states: "
                f"{', '.join(post_states) or 'none'})"
            )
        if rule is not None and not isinstance(rule, Rule):
            raise TypeError(
                f"connect({pre!r}, {post!r}, ..., rule=...): expected a rule such as "
                f"nt.AllToAll() or nt.FixedProbability(0.1, seed=1), got {rule!r}"
            )
        single = self.sizes[pre] == 1 and self.sizes[post] == 1
        if rule is None and not single:
            raise ValueError(
                f"connect({pre!r}, {post!r}): {pre!r} has {self.sizes[pre]} members and "
                f"{post!r} {self.sizes[post]}; say which connect with rule= (AllToAll, "
                "OneToOne, FixedProbability, FixedNumberPre or Pairs)"
            )
        symmetric = _symmetric(synapse)
        if rule is None and pre == post and symmetric:
            raise ValueError(
                f"connect({pre!r}, {post!r}): a {type(synapse).__name__} from a cell to itself "
                "couples nothing; connect two different cells"
            )
        if rule is not None:  # realise it now, so a bad rule fails here, not in a run
            realise(rule, self.sizes[pre], self.sizes[post], pre == post, symmetric)
        if name is None:
            name = f"{pre}->{post}"
            count = 2
            while name in self:
                name = f"{pre}->{post}#{count}"
                count += 1
        self._check_element_name(name)
        self._check_free(name)
        self.connections[name] = Connection(pre, post, synapse, rule)
        return name

    def stimulate(self, target: str, stimulus: Stimulus, name: str | None = None) -> str:
        """Inject ``stimulus`` into cell ``target`` (into every member of a population);
        returns its name (default "target.stimN")."""
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
            del self.sizes[name]
            for key in [k for k, c in self.connections.items() if name in (c.pre, c.post)]:
                self.remove(key)
            for key in [k for k, s in self.stimuli.items() if s.target == name]:
                self.remove(key)
        elif name in self.connections:
            del self.connections[name]
        elif name in self.stimuli:
            del self.stimuli[name]
        else:
            raise KeyError(f"remove: no element named {name!r} (elements: {', '.join(self)})")
        self.member_values.pop(name, None)
        self._pairs.pop(name, None)

    def copy(self) -> Circuit:
        """A deep copy: changing the copy never changes this circuit."""
        clone = Circuit()
        clone.neurons = {k: n.copy() for k, n in self.neurons.items()}
        clone.connections = {
            k: Connection(c.pre, c.post, c.synapse.copy(), c.rule)
            for k, c in self.connections.items()
        }
        clone.stimuli = {k: Injection(s.target, s.stimulus.copy()) for k, s in self.stimuli.items()}
        clone.sizes = dict(self.sizes)
        clone.member_values = {
            k: {p: v.copy() if isinstance(v, np.ndarray) else v for p, v in values.items()}
            for k, values in self.member_values.items()
        }
        clone._pairs = dict(self._pairs)
        return clone

    # --------------------------------------------------------------- populations
    def size(self, name: str) -> int:
        """Members of a cell population, connections a connection makes, or (for a
        stimulus) members of the population it goes into."""
        if name in self.neurons:
            return self.sizes[name]
        if name in self.connections:
            return len(self.pairs(name)[0])
        if name in self.stimuli:
            return self.sizes[self.stimuli[name].target]
        raise KeyError(f"no element named {name!r} (elements: {', '.join(self) or 'none'})")

    def pairs(self, connection: str) -> tuple[np.ndarray, np.ndarray]:
        """Member indices ``(i, j)`` of connection ``connection``'s pre and post cells
        (read-only arrays; realised from the rule once per rule and sizes)."""
        conn = self.connections[connection]
        key = (conn.rule, self.sizes[conn.pre], self.sizes[conn.post])
        cached = self._pairs.get(connection)
        if cached is not None and cached[0][0] is conn.rule and cached[0][1:] == key[1:]:
            return cached[1]
        if conn.rule is None:
            i, j = np.zeros(1, np.int64), np.zeros(1, np.int64)
            i.flags.writeable = j.flags.writeable = False
        else:
            same, symmetric = conn.pre == conn.post, _symmetric(conn.synapse)
            i, j = realise(conn.rule, key[1], key[2], same, symmetric)
        self._pairs[connection] = (key, (i, j))
        return i, j

    def is_network(self) -> bool:
        """Whether the population engine runs this circuit: an element has more than one
        member, connects by a rule, or raises a state of its post cell."""
        return any(n != 1 for n in self.sizes.values()) or any(
            c.rule is not None or post_targets(c.synapse.resolved())
            for c in self.connections.values()
        )

    def member_array(self, element: str, param: str) -> np.ndarray:
        """``param``'s value for every member of ``element`` (float64; NaN for None)."""
        n = self.size(element)
        spec = self.member_values.get(element, {}).get(param)
        if spec is None:
            value = self.element(element).get(param)
            return np.full(n, np.nan if value is None else value, np.float64)
        if isinstance(spec, Distribution):
            return spec.sample(n)
        return spec.astype(np.float64, copy=True)

    def member(self, element: str, index: int) -> Model:
        """A copy of ``element``'s model holding member ``index``'s own values: one cell
        of a population, or one connection (in :meth:`pairs` order) of a connection."""
        n = self.size(element)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"{element}: a member index is a whole number, got {index!r}")
        if not 0 <= index < n:
            raise ValueError(
                f"{element}: member {index} is out of range; it has {n} members (0 to {n - 1})"
            )
        model = self.element(element).copy()
        for param in self.member_values.get(element, {}):
            value = self.member_array(element, param)[index]
            model.set(param, None if np.isnan(value) else float(value), path=f"{element}.{param}")
        return model

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
        """Split ``"element.param"`` into (element name, model, parameter name)
        (a member index, ``"fs[3].gna"``, is dropped: see :meth:`member`)."""
        element, _, model, param = self.split(path)
        return element, model, param

    def split(self, path: str) -> tuple[str, int | None, Model, str]:
        """``"fs[3].gna"`` as (element, member index or None, model, parameter)."""
        if not isinstance(path, str) or "." not in path:
            raise KeyError(
                f"{path!r}: a parameter path looks like 'cell.param' or 'connection.param'"
            )
        element, param = path.rsplit(".", 1)
        index = None
        match = _MEMBER.match(element)
        if match and match.group(1) in self:
            element, index = match.group(1), int(match.group(2))
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
        if index is not None and index >= self.size(element):
            raise KeyError(
                f"{path}: member {index} is out of range; {element!r} has "
                f"{self.size(element)} members (0 to {self.size(element) - 1})"
            )
        return element, index, model, param

    def get(self, path: str) -> float | np.ndarray | None:
        """Value at ``path`` in the unit the model declares (per cm² for densities);
        an array (a copy) where members differ, one number for ``"fs[3].gna"``."""
        element, index, model, param = self.split(path)
        if index is not None:
            value = self.member_array(element, param)[index]
            return None if np.isnan(value) else float(value)
        if param in self.member_values.get(element, {}):
            return self.member_array(element, param)
        return model.get(param)

    def set(self, path: str, value: Any) -> None:
        """Set the value at ``path``; raises TypeError/ValueError naming path, value and range.

        One number sets every member; an array (one value per member) or a
        :class:`~neuntune.connectivity.Distribution` gives each member its own;
        ``"fs[3].gna"`` sets one member.
        """
        element, index, model, param = self.split(path)
        declared = model.parameter_table()[param]
        if index is not None:
            number = declared.validate(path, value)
            values = self.member_array(element, param)
            values[index] = np.nan if number is None else number
            self._set_members(element, param, values)
            return
        if isinstance(value, Distribution | np.ndarray | list | tuple):
            n = self.size(element)
            values = value.sample(n) if isinstance(value, Distribution) else value
            array = _check_members(path, declared, values, n)
            self._set_members(element, param, value if isinstance(value, Distribution) else array)
            return
        previous = model.get(param)
        model.set(param, value, path=path)
        dropped = self.member_values.get(element, {}).pop(param, None)
        problem = self._relation_problem(element)
        if problem:
            model.set(param, previous, path=path)
            if dropped is not None:
                self.member_values[element][param] = dropped
            raise ValueError(f"{path}: {problem}")

    def _set_members(self, element: str, param: str, values: np.ndarray | Distribution) -> None:
        own = self.member_values.setdefault(element, {})
        previous = own.get(param)
        own[param] = values
        problem = self._relation_problem(element)
        if problem:
            if previous is None:
                del own[param]
            else:
                own[param] = previous
            raise ValueError(f"{element}.{param}: {problem}")

    def _relation_problem(self, element: str) -> str | None:
        """How one member's values fail to relate (a reset above its threshold), or None."""
        model = self.element(element)
        varying = self.member_values.get(element, {})
        if not varying or type(model).relation_problem.__func__ is Model.relation_problem.__func__:
            return None
        columns = {p: self.member_array(element, p) for p in varying}
        values = model.values
        for k in range(self.size(element)):
            for p, column in columns.items():
                values[p] = None if np.isnan(column[k]) else float(column[k])
            problem = model.relation_problem(values)
            if problem:
                return f"member {k}: {problem}"
        return None

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
        lines = [f"Circuit with {sum(self.sizes.values())} cells"]
        for k, n in self.neurons.items():
            size = f" × {self.sizes[k]}" if self.sizes[k] != 1 else ""
            lines.append(f"  {k}{size}: {n!r}")
        for k, c in self.connections.items():
            rule = f" {c.rule!r}" if c.rule is not None else ""
            lines.append(f"  {k}: {c.pre} -> {c.post} {c.synapse!r}{rule}")
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


def _symmetric(synapse: Synapse) -> bool:
    """Whether a connection model acts on both its cells (a gap junction)."""
    return "I_pre" in synapse.resolved().equations.assignments


def _check_members(path: str, declared: Parameter, values: Any, n: int) -> np.ndarray:
    """One valid value per member, or a ValueError naming how many are not."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{path}: expected numbers in {declared.unit}, got {values!r}") from None
    if array.ndim != 1 or len(array) != n:
        raise ValueError(f"{path}: expected {n} values (one per member), got shape {array.shape}")
    bad = declared.out_of_range(array)
    if bad.any():
        unit = "" if declared.unit == "1" else f" {declared.unit}"
        raise ValueError(
            f"{path}: {int(bad.sum())} of {n} values are out of range (first: member "
            f"{int(np.argmax(bad))}, {array[np.argmax(bad)]:g}{unit}); "
            f"allowed: {declared.describe_range()}{unit}"
        )
    return array
