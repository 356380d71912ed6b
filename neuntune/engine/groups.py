"""A circuit as data: groups of instances of one model type, and index arrays.

Every cell population of one model type joins one *cell group*; every connection
of one synapse type between two cell groups joins one *connection group*; every
stimulus of one type into one cell group joins one *stimulus group*.  Generated
code depends only on the list of groups (:attr:`NetworkLayout.key`: model
definitions, which groups they join, method and precision).  How many instances
each group has, who connects to whom and every value are arrays filled by
:meth:`NetworkLayout.arrays`, so a new population size, rule or value compiles
nothing.

Arrays are (row, instance): a parameter's or state's values for every instance
of a group are contiguous, so loops over instances vectorise.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

from ..circuit import Circuit
from ..models.definition import Definition
from ..models.equations import closure, names
from .hoisting import parameter_only

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
    #: derived values that are subexpressions, not declared intermediates (by name)
    once: dict[str, ast.expr] = field(default_factory=dict)

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

    def derived_expr(self, name: str) -> ast.expr:
        """What derived value ``name`` is computed from (once per run, in ``setup``)."""
        return self.once.get(name) or self.definition.equations.assignments[name]


@dataclass
class Group:
    """Instances of one model type: their rows and, per circuit, their elements."""

    kind: str  # "cell", "connection" or "stimulus"
    tag: str  # name prefix in generated code: c0, k1, s0
    slot: Slot  # rows of parameters, derived values and states (group-local)
    pre: int = -1  # connection: pre cell group; stimulus: target cell group
    post: int = -1  # connection: post cell group
    #: per circuit: (element name, first instance, instance count)
    elements: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def definition(self) -> Definition:
        return self.slot.definition

    @property
    def n(self) -> int:
        return sum(count for _, _, count in self.elements)

    @property
    def listed(self) -> bool:
        """A cell group that spikes at listed times (no states): spike sources."""
        return bool(self.definition.listed)

    @property
    def event_driven(self) -> bool:
        return bool(self.definition.on_pre)

    @property
    def voltage_row(self) -> int:
        """A cell group's voltage row (-1 without one)."""
        v = self.definition.voltage
        return self.slot.states[v] if v in self.slot.states else -1


#: Per definition key, Slot.hoisted() and the parameter-only subexpressions of the
#: per-stage equations (:func:`~neuntune.engine.hoisting.parameter_only`): a circuit's
#: layout is built on every run.
_HOISTED: dict[tuple, tuple[list[str], dict[str, ast.expr]]] = {}


def _slot(name: str, definition: Definition) -> Slot:
    """Group-local rows for ``definition`` (a lone Layout slot's numbering): derived
    values are the hoisted intermediates, then the subexpressions computed once."""
    slot = Slot(name, definition)
    slot.params = {p: r for r, p in enumerate(definition.parameters)}
    made = _HOISTED.get(definition.key)
    if made is None:
        hoisted = slot.hoisted()
        fixed = set(definition.parameters) | set(hoisted)
        once = parameter_only(definition.equations, fixed, set(hoisted))
        made = _HOISTED[definition.key] = (hoisted, once)
    hoisted, slot.once = made
    slot.derived = {d: r for r, d in enumerate([*hoisted, *slot.once])}
    slot.states = {s: r for r, s in enumerate(definition.states)}
    return slot


class NetworkLayout:
    """Groups for a circuit; ``key`` is what the generated code depends on."""

    def __init__(self, circuit: Circuit) -> None:
        definitions = {name: model.resolved() for name, model in circuit.neurons.items()}
        cell_keys = sorted({d.key for d in definitions.values()})
        self.cells = [
            _group("cell", f"c{g}", next(d for d in definitions.values() if d.key == key))
            for g, key in enumerate(cell_keys)
        ]
        self.cell_group = {name: cell_keys.index(d.key) for name, d in definitions.items()}
        conn_keys: dict[tuple, Definition] = {}
        for conn in circuit.connections.values():
            d = conn.synapse.resolved()
            conn_keys[(d.key, self.cell_group[conn.pre], self.cell_group[conn.post])] = d
        self.connections = []
        for k, key in enumerate(sorted(conn_keys)):
            group = _group("connection", f"k{k}", conn_keys[key])
            group.pre, group.post = key[1], key[2]
            self.connections.append(group)
        stim_keys: dict[tuple, Definition] = {}
        for inj in circuit.stimuli.values():
            d = inj.stimulus.resolved()
            stim_keys[(d.key, self.cell_group[inj.target])] = d
        self.stimuli = []
        for k, key in enumerate(sorted(stim_keys)):
            group = _group("stimulus", f"s{k}", stim_keys[key])
            group.pre = key[1]
            self.stimuli.append(group)
        self.key = (
            tuple(g.definition.key for g in self.cells),
            tuple((g.definition.key, g.pre, g.post) for g in self.connections),
            tuple((g.definition.key, g.pre) for g in self.stimuli),
        )
        self._place(circuit)

    def _place(self, circuit: Circuit) -> None:
        """Give every element its instances (data, not part of ``key``)."""
        self.where: dict[str, tuple[Group, int, int]] = {}
        for name in circuit.neurons:
            self._append(self.cells[self.cell_group[name]], name, circuit.size(name))
        for name, conn in circuit.connections.items():
            group = self.connection_group(conn.synapse.resolved().key, conn.pre, conn.post)
            self._append(group, name, circuit.size(name))
        for name, inj in circuit.stimuli.items():
            group = next(
                g
                for g in self.stimuli
                if g.definition.key == inj.stimulus.resolved().key
                and g.pre == self.cell_group[inj.target]
            )
            self._append(group, name, circuit.size(name))

    def _append(self, group: Group, name: str, count: int) -> None:
        start = group.n
        group.elements.append((name, start, count))
        self.where[name] = (group, start, count)

    def connection_group(self, key: str, pre: str, post: str) -> Group:
        pre_g, post_g = self.cell_group[pre], self.cell_group[post]
        return next(
            g
            for g in self.connections
            if g.definition.key == key and g.pre == pre_g and g.post == post_g
        )

    def groups(self) -> list[Group]:
        return self.cells + self.connections + self.stimuli

    @property
    def n_cells(self) -> int:
        return sum(g.n for g in self.cells)

    def cell_offsets(self) -> list[int]:
        """Each cell group's first global cell number (spike records use those)."""
        offsets, total = [], 0
        for g in self.cells:
            offsets.append(total)
            total += g.n
        return offsets

    # ------------------------------------------------------------------ values
    def arrays(
        self,
        circuit: Circuit,
        dtype: type,
        dt: float,
        batch: int = 1,
        varying: dict[tuple[str, str, int | None], np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Every array the kernels read, for ``batch`` members side by side.

        Member b's instance k of a group is column ``b·n + k`` (n: the group's
        instances per member), so a batch is one circuit of ``batch`` disconnected
        copies.  ``varying`` maps (element, parameter, member index or None for
        all) to one value per batch member.  Also: wiring (``PRE``/``POST``,
        ``TGT``) and the event tables (see :meth:`_event_tables`).
        """
        out: dict[str, np.ndarray] = {}
        varying = varying or {}
        for group in self.groups():
            n = group.n
            P = np.empty((len(group.slot.params), max(batch * n, 1)), dtype)
            for name, start, count in group.elements:
                for param, row in group.slot.params.items():
                    values = circuit.member_array(name, param)
                    for b in range(batch):
                        P[row, b * n + start : b * n + start + count] = values
            for (name, param, member), column in varying.items():
                if self.where[name][0] is not group:
                    continue
                row, start, count = (
                    group.slot.params[param],
                    self.where[name][1],
                    self.where[name][2],
                )
                picked = range(count) if member is None else [member]
                for b in range(batch):
                    for k in picked:
                        P[row, b * n + start + k] = column[b]
            out[f"P_{group.tag}"] = P
        for group in self.connections:
            pre = np.zeros(group.n, np.int64)
            post = np.zeros(group.n, np.int64)
            for name, start, count in group.elements:
                conn = circuit.connections[name]
                i, j = circuit.pairs(name)
                pre[start : start + count] = i + self.where[conn.pre][1]
                post[start : start + count] = j + self.where[conn.post][1]
            out[f"PRE_{group.tag}"] = _tile(pre, batch, self.cells[group.pre].n)
            out[f"POST_{group.tag}"] = _tile(post, batch, self.cells[group.post].n)
            if group.event_driven:
                out.update(self._event_tables(circuit, group, out[f"P_{group.tag}"], dt, batch))
        for group in self.stimuli:
            target = np.zeros(group.n, np.int64)
            for name, start, count in group.elements:
                first = self.where[circuit.stimuli[name].target][1]
                target[start : start + count] = first + np.arange(count)
            out[f"TGT_{group.tag}"] = _tile(target, batch, self.cells[group.pre].n)
        return out

    def _event_tables(
        self, circuit: Circuit, group: Group, P: np.ndarray, dt: float, batch: int
    ) -> dict[str, np.ndarray]:
        """Presynaptic sources of an event-driven group and its connections by source.

        A *source* is one pre cell of one connection element (each element watches
        its own threshold): per member, element p's sources are ``SRCOFF[p]`` on,
        for the pre cells ``PLO[p]`` to ``PHI[p]``.  ``ROW`` points into ``ORDER``,
        the group's connections sorted by source then delay; ``DSTEP`` is each
        connection's delay in whole steps (rounded, as Brian2 does) and ``MINDLY``
        each source's shortest delay (ms).
        """
        tag, n = group.tag, group.n
        pre_n = self.cells[group.pre].n
        n_src = 0
        local_src = np.zeros(n, np.int64)
        lo, hi, thr, src_off = [], [], [], []
        for name, start, count in group.elements:
            conn = circuit.connections[name]
            first = self.where[conn.pre][1]
            size = circuit.size(conn.pre)
            threshold = circuit.member_array(name, "threshold")
            if count and np.any(threshold != threshold[0]):
                raise ValueError(
                    f"{name}.threshold: every connection of one element watches the same "
                    "presynaptic threshold; give it one value"
                )
            i = circuit.pairs(name)[0]
            lo.append(first)
            hi.append(first + size)
            thr.append(threshold[0] if count else 0.0)
            src_off.append(n_src)
            local_src[start : start + count] = n_src + i
            n_src += size
        member = np.repeat(np.arange(batch, dtype=np.int64), n)
        src_of = np.tile(local_src, batch) + member * n_src
        delays = P[group.slot.params["delay"], : batch * n].astype(np.float64)
        steps = np.rint(delays / dt).astype(np.int64)
        order = np.lexsort((delays, src_of)).astype(np.int64)
        row = np.zeros(batch * n_src + 1, np.int64)
        np.cumsum(np.bincount(src_of, minlength=batch * n_src), out=row[1:])
        shortest = np.full(max(batch * n_src, 1), np.inf)
        np.minimum.at(shortest, src_of, delays)
        depth = int(steps.max()) + 1 if len(steps) else 1
        offsets = np.arange(batch, dtype=np.int64)
        return {
            f"ORDER_{tag}": order if len(order) else np.zeros(1, np.int64),
            f"ROW_{tag}": row,
            f"DSTEP_{tag}": steps if len(steps) else np.zeros(1, np.int64),
            f"MINDLY_{tag}": shortest.astype(P.dtype),
            f"PLO_{tag}": (np.array(lo, np.int64) + pre_n * offsets[:, None]).ravel(),
            f"PHI_{tag}": (np.array(hi, np.int64) + pre_n * offsets[:, None]).ravel(),
            f"PTHR_{tag}": np.tile(np.array(thr, P.dtype), batch),
            f"SRCOFF_{tag}": (np.array(src_off, np.int64) + n_src * offsets[:, None]).ravel(),
            # spikes of the last `depth` steps (a source fires at most once a step)
            f"HIST_{tag}": np.zeros((depth, max(batch * n_src, 1)), np.int64),
            f"HISTN_{tag}": np.zeros(depth, np.int64),
            f"ARMS_{tag}": np.ones(max(batch * n_src, 1), np.bool_),
        }


def _tile(index: np.ndarray, batch: int, stride: int) -> np.ndarray:
    """``index`` repeated for every member, member b's shifted by ``b·stride``."""
    tiled = (np.tile(index, batch) + np.repeat(np.arange(batch) * stride, len(index))).astype(
        np.int64
    )
    return tiled if len(tiled) else np.zeros(1, np.int64)


def _group(kind: str, tag: str, definition: Definition) -> Group:
    return Group(kind, tag, _slot(tag, definition))


def memory_estimate(layout: NetworkLayout, stages: int, batch: int = 1) -> int:
    """Bytes the engine's arrays take (parameters, states and stage slopes)."""
    total = 0
    for g in layout.groups():
        rows = len(g.slot.params) + len(g.slot.derived) + (stages + 3) * len(g.slot.states)
        total += 8 * rows * g.n + (24 * g.n if g.kind != "cell" else 0)
    return total * batch
