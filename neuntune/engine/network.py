"""Compile and run a network: kernels per set of model types, the circuit as arrays.

``simulate_network`` is what :func:`neuntune.simulate` runs for circuits with
populations.  Kernels are generated per :attr:`NetworkLayout.key` (model types and
which groups they join), method and precision, cached in memory and on disk like
every generated module, so a network of known types — whatever its size, wiring or
values — compiles nothing.
"""

from __future__ import annotations

import math
import numbers
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple

import numpy as np

from ..circuit import Circuit
from ..errors import SimulationError
from ..result import CancelledError, Result, Spikes, n_samples
from .codegen import FLUSH, NONFINITE
from .compiler import _load, _slp_vectorize, check_precision
from .groups import Group, NetworkLayout, memory_estimate
from .integrate import local
from .methods import EXPEULER, TABLEAUX, check_method
from .netgen import generate_network

#: Largest set of engine arrays a network may allocate (bytes).
MAX_NETWORK_BYTES = 8 * 1024**3


@dataclass
class CompiledNetwork:
    """A set of model types' compiled module and kernel arguments."""

    module: ModuleType
    args: tuple[str, ...]
    precision: str

    @property
    def dtype(self) -> type[np.floating]:
        return np.float32 if self.precision == "float32" else np.float64


_MEMORY: dict[tuple, CompiledNetwork] = {}
_LOCK = threading.Lock()
#: How many network modules this process generated and compiled (tests count them).
compilations = 0


def check_supported(circuit: Circuit) -> None:
    """ValueError naming what the population engine cannot run yet."""
    for name, cell in circuit.neurons.items():
        if not cell.resolved().states:
            raise ValueError(
                f"{name}: {type(cell).__name__} (a cell without states) is not supported in "
                "circuits with populations yet"
            )
    for name, inj in circuit.stimuli.items():
        d = inj.stimulus.resolved()
        if "V_command" in d.equations.assignments or d.equations.derivatives:
            raise ValueError(
                f"{name}: {type(inj.stimulus).__name__} is not supported in circuits with "
                "populations yet (voltage clamps and stimuli with dynamics)"
            )


def compile_network(layout: NetworkLayout, method: str, precision: str) -> CompiledNetwork:
    """The compiled kernels for ``layout``'s model types (cached per process and on disk)."""
    global compilations
    check_method(method)
    check_precision(precision)
    key = (layout.key, method, precision)
    with _LOCK:
        compiled = _MEMORY.get(key)
        if compiled is None:
            module, _ = _load(generate_network(layout, method, precision))
            compiled = CompiledNetwork(module, tuple(module.ARGS), precision)
            _MEMORY[key] = compiled
            compilations += 1
    return compiled


class _Recording(NamedTuple):
    element: str
    variable: str
    unit: str
    members: np.ndarray  # member indices of the element
    group: Group
    row: int


_SPEC = re.compile(r"^(?P<element>.*?)(?:\[(?P<lo>\d*)(?P<colon>:?)(?P<hi>\d*)\])?$")


def _recordings(
    circuit: Circuit, layout: NetworkLayout, record: Iterable[str] | str | None
) -> list[_Recording]:
    """What ``record`` asks for: "v", "fs", "fs.v", "fs[3].v", "fs[0:10].v"."""
    if record is None:
        items = [
            f"{name}.{state}" for name in circuit for state in layout.where[name][0].slot.states
        ]
    elif isinstance(record, str):
        items = [record]
    else:
        items = list(record)
    out: list[_Recording] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"record: expected names such as 'v' or 'fs[0:10].v', got {item!r}")
        if item == "v":
            for name in circuit.neurons:
                g = layout.where[name][0]
                if g.voltage_row >= 0:
                    out.append(_entry(circuit, layout, name, None, g.definition.voltage))
            continue
        match, variable = _SPEC.match(item), None
        if match.group("element") not in circuit and "." in item:
            head, variable = item.rsplit(".", 1)
            match = _SPEC.match(head)
        element = match.group("element")
        if element not in circuit:
            known = ", ".join(circuit)
            raise ValueError(f"record: nothing called {item!r} can be recorded (elements: {known})")
        n = circuit.size(element)
        members = None
        if match and (match.group("lo") or match.group("colon")):
            lo = int(match.group("lo") or 0)
            hi = int(match.group("hi") or n) if match.group("colon") else lo + 1
            if not 0 <= lo < hi <= n:
                raise ValueError(f"record: {item!r} is outside {element!r}'s {n} members")
            members = np.arange(lo, hi)
        states = layout.where[element][0].slot.states
        variables = list(states) if variable is None else [variable]
        for var in variables:
            if var not in states:
                raise ValueError(
                    f"record: {element} has no state {var!r} (states: {', '.join(states)})"
                )
            out.append(_entry(circuit, layout, element, members, var))
    return out


def _entry(circuit, layout, element, members, variable) -> _Recording:
    group = layout.where[element][0]
    unit = group.definition.states[variable].unit
    if members is None:
        members = np.arange(circuit.size(element))
    return _Recording(element, variable, unit, members, group, group.slot.states[variable])


def _state_index(
    circuit: Circuit, layout: NetworkLayout, path: str
) -> tuple[Group, int, np.ndarray]:
    """(group, row, instances) of an initial-value path such as "fs.v" or "fs[3].v"."""
    head, _, variable = str(path).rpartition(".")
    match = _SPEC.match(head)
    element = match.group("element") if match else head
    if element not in layout.where:
        raise ValueError(f"init: {path!r} is not a state (states look like 'fs.v' or 'fs[3].v')")
    group, start, count = layout.where[element]
    if variable not in group.slot.states:
        raise ValueError(f"init: {path!r} is not a state (states look like 'fs.v' or 'fs[3].v')")
    members = np.arange(count)
    if match and match.group("lo"):
        index = int(match.group("lo"))
        if index >= count:
            raise ValueError(f"init: {path!r}: {element!r} has {count} members")
        members = members[index : index + 1]
    return group, group.slot.states[variable], start + members


def simulate_network(
    circuit: Circuit,
    t_stop: float,
    dt: float,
    n_steps: int,
    method: str,
    precision: str,
    record: Iterable[str] | str | None,
    record_every: int,
    init: str | Mapping[str, float],
    max_bytes: int,
    progress: Callable[[float], bool | None] | None,
) -> Result:
    """Run a circuit with populations (see :func:`neuntune.simulate`)."""
    check_supported(circuit)
    if isinstance(init, str) and init == "rest":
        raise ValueError("init='rest' is not supported in circuits with populations yet")
    if not (isinstance(init, str) and init == "default") and not isinstance(init, Mapping):
        raise ValueError(f"init: {init!r} is not 'default', 'rest' or a mapping of state values")
    layout = NetworkLayout(circuit)
    stages = 1 if method == EXPEULER else TABLEAUX[check_method(method)].stages
    need = memory_estimate(layout, stages)
    if need > MAX_NETWORK_BYTES:
        raise ValueError(
            f"the network needs about {need / 1e9:.1f} GB of engine arrays, over the limit of "
            f"{MAX_NETWORK_BYTES / 1e9:.1f} GB; use fewer cells or connections"
        )
    compiled = compile_network(layout, method, precision)
    F = compiled.dtype
    recordings = _recordings(circuit, layout, record)
    n_records = n_samples(n_steps, record_every)
    n_columns = sum(len(r.members) for r in recordings)
    limit = max_bytes
    size = n_columns * n_records * np.dtype(F).itemsize
    if size > limit:
        every = math.ceil(n_steps / max(limit // max(n_columns * np.dtype(F).itemsize, 1) - 1, 1))
        raise ValueError(
            f"recording {n_columns} traces × {n_records} samples needs {size / 1e9:.3g} GB, over "
            f"the limit of {limit / 1e9:.3g} GB: record fewer (record='pop[0:10].v'), use "
            f"record_every ≥ {every}, or shorten t_stop"
        )
    arrays = _allocate(circuit, layout, compiled, dt, stages, recordings, n_records)
    arrays["RECPOS"][:] = (0, record_every, n_steps, record_every)
    call = [arrays[name] for name in compiled.args]
    with _slp_vectorize():
        compiled.module.setup(*call)
    if isinstance(init, Mapping):
        for path, value in init.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"init: {path} = {value!r} is not a finite number")
            group, row, instances = _state_index(circuit, layout, path)
            arrays[f"X_{group.tag}"][row, instances] = value
    spikes_c: list[np.ndarray] = []
    spikes_t: list[np.ndarray] = []
    done = 0
    chunk = n_steps if progress is None else min(n_steps, max(200, n_steps // 50))
    while done < n_steps:
        todo = min(chunk, n_steps - done)
        arrays["T0"] = F(done * dt)
        arrays["NSTEPS"] = todo
        arrays["STEP0"] = done
        with _slp_vectorize():
            steps, status = compiled.module.kernel(*[arrays[name] for name in compiled.args])
        done += steps
        count = int(arrays["SPKN"][0])
        spikes_c.append(arrays["SPKC"][:count].copy())
        spikes_t.append(arrays["SPKT"][:count].astype(np.float64))
        arrays["SPKN"][0] = 0
        if status == NONFINITE:
            raise _blow_up(layout, arrays, done * dt, dt)
        if status == FLUSH:
            continue
        if progress is not None and progress(done / n_steps):
            raise CancelledError(f"cancelled at t = {done * dt:g} ms")
    if arrays["RECPOS"][0] != n_records:
        raise RuntimeError(f"recorded {arrays['RECPOS'][0]} samples, expected {n_records}")
    steps_at = np.minimum(np.arange(n_records) * record_every, n_steps)
    t = steps_at.astype(np.float64) * dt
    t.flags.writeable = False
    return _results(
        circuit, layout, recordings, arrays["REC"], t, spikes_c, spikes_t, dt, method, precision
    )  # fmt: skip


def _allocate(circuit, layout, compiled, dt, stages, recordings, n_records) -> dict:
    F = compiled.dtype
    arrays: dict = layout.arrays(circuit, F, dt)
    arrays.update(
        T0=F(0.0), DT=F(dt), NSTEPS=0, STEP0=0,
        NG=np.array([g.n for g in layout.groups()], np.int64),
        RECPOS=np.zeros(4, np.int64),
        SPKC=np.zeros(max(65536, 4 * layout.n_cells), np.int64),
        SPKT=np.zeros(max(65536, 4 * layout.n_cells), F),
        SPKN=np.zeros(1, np.int64),
    )  # fmt: skip
    column = 0
    per_group: dict[str, list[tuple[int, int]]] = {}
    for rec in recordings:
        start = layout.where[rec.element][1]
        per_group.setdefault(rec.group.tag, []).extend(
            (rec.row, start + int(m)) for m in rec.members
        )
    for g in layout.groups():
        n, rows = max(g.n, 1), len(g.slot.states)
        arrays[f"D_{g.tag}"] = np.zeros((len(g.slot.derived), n), F)
        if rows:
            arrays[f"X_{g.tag}"] = np.zeros((rows, n), F)
            arrays[f"Y_{g.tag}"] = np.zeros((rows, n), F)
            arrays[f"K_{g.tag}"] = np.zeros((stages, rows, n), F)
            pairs = per_group.get(g.tag, [])
            arrays[f"RI_{g.tag}"] = np.array(pairs, np.int64).reshape(-1, 2)
            arrays[f"RC_{g.tag}"] = np.array([column], np.int64)
            column += len(pairs)
        if g.kind == "cell" and g.voltage_row >= 0:
            arrays[f"I_{g.tag}"] = np.zeros(n, F)
            arrays[f"VO_{g.tag}"] = np.zeros(n, F)
            arrays[f"SL_{g.tag}"] = np.zeros(n, F)
            arrays[f"FIRE_{g.tag}"] = np.full(n, -1, np.int64)
            if local(g):
                arrays[f"XO_{g.tag}"] = np.zeros((rows, n), F)
                arrays[f"IA_{g.tag}"] = np.zeros(n, F)
                arrays[f"REF_{g.tag}"] = np.full(n, -np.inf, F)
        if g.definition.on_step:
            streams = np.zeros(n, np.int64)
            for name, start, count in g.elements:
                position = list(circuit).index(name)
                streams[start : start + count] = (position << 32) + np.arange(count)
            arrays[f"STREAM_{g.tag}"] = streams
    arrays["REC"] = np.empty((n_records, max(column, 1)), F)
    return arrays


def _blow_up(layout: NetworkLayout, arrays: dict, t: float, dt: float) -> SimulationError:
    variable, value = "state", float("nan")
    for g in layout.groups():
        X = arrays.get(f"X_{g.tag}")
        if X is None:
            continue
        bad = np.argwhere(~np.isfinite(X[:, : g.n]))
        if len(bad):
            row, instance = int(bad[0][0]), int(bad[0][1])
            state = list(g.slot.states)[row]
            for name, start, count in g.elements:
                if start <= instance < start + count:
                    member = f"[{instance - start}]" if count > 1 else ""
                    variable = f"{name}{member}.{state}"
            value = X[row, instance]
            break
    return SimulationError(
        f"the simulation blew up: {variable} was {value} by t = {t:g} ms. The step "
        f"dt = {dt:g} ms may be too large for these parameters; try dt = {dt / 4:g} ms "
        "(or check for extreme parameter values)",
        t,
        variable,
        dt / 4,
    )


def _results(circuit, layout, recordings, REC, t, spikes_c, spikes_t, dt, method, precision):
    v: dict = {}
    members: dict = {}
    state: dict = {}
    units: dict = {}
    column = {}
    position = 0
    for g in layout.groups():
        for rec in recordings:
            if rec.group is g:
                column[id(rec)] = position
                position += len(rec.members)
    for rec in recordings:
        lo = column[id(rec)]
        block = REC[:, lo : lo + len(rec.members)].T
        trace = block[0] if circuit.size(rec.element) == 1 else block
        if circuit.size(rec.element) > 1:
            members[rec.element] = rec.members
        state.setdefault(rec.element, {})[rec.variable] = trace
        units[f"{rec.element}.{rec.variable}"] = rec.unit
        group = rec.group
        if group.kind == "cell" and rec.variable == group.definition.voltage:
            v[rec.element] = trace
    cells = np.concatenate(spikes_c) if spikes_c else np.zeros(0, np.int64)
    times = np.concatenate(spikes_t) if spikes_t else np.zeros(0)
    offsets = layout.cell_offsets()
    spikes: dict = {}
    for name in circuit.neurons:
        group, start, count = layout.where[name]
        first = offsets[layout.cells.index(group)] + start
        mine = (cells >= first) & (cells < first + count)
        index, at = cells[mine] - first, times[mine]
        order = np.argsort(at, kind="stable")
        spikes[name] = at[order] if count == 1 else Spikes(index[order], at[order])
    return Result(t, v, state, {}, spikes, {}, units, dt, method, precision, members)
