"""Run compiled kernels: arrays for a batch of members, the time loop's chunks, the output.

:func:`compile_circuit` finds (or generates and compiles) the module for a
circuit's model types; :class:`Run` holds one batch's arrays (every member a copy
of the circuit, its values possibly varied), sets it up, finds rest, integrates
and hands back what was recorded (:class:`~neuntune.engine.output.Raw`; what to
record: :mod:`~neuntune.engine.recording`).  Nothing here depends on the circuit's
size: a new cell, connection or value compiles nothing.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ..circuit import Circuit
from ..errors import SimulationError
from .codegen import CROWDED, FLUSH, GROW, MODES, NONFINITE, generate_network
from .compiler import check_precision, compiling, load_module
from .groups import Group, NetworkLayout, memory_estimate
from .methods import EXPEULER, TABLEAUX, check_method
from .output import Raw, member_events, member_spikes
from .recording import SPEC, Recordable
from .rhs import is_clamp, matrix_coupled

#: Largest set of engine arrays one run may allocate (bytes).
MAX_ENGINE_BYTES = 8 * 1024**3
#: Spike and event-log buffer sizes (entries) before a kernel call returns to drain them.
SPIKE_BUFFER = 65536

_MEMORY: dict[tuple, Compiled] = {}
_LOCK = threading.Lock()
#: How many modules this process generated and compiled (tests count them).
compilations = 0


@dataclass
class Compiled:
    """A circuit structure's layout and the compiled module of its model types."""

    layout: NetworkLayout
    module: ModuleType
    method: str
    precision: str
    mode: str

    @property
    def dtype(self) -> type[np.floating]:
        return np.float32 if self.precision == "float32" else np.float64

    @property
    def stages(self) -> int:
        return 1 if self.method == EXPEULER else TABLEAUX[self.method].stages


def default_mode(circuit: Circuit, layout: NetworkLayout | None = None) -> str:
    """Exact event times for circuits of single cells that have events (synapses driven
    by spikes, resets, spike sources); step-aligned ones for populations and for
    circuits without events, where both modes compute the same steps."""
    if any(n > 1 for n in circuit.sizes.values()):
        return "step"
    layout = layout or NetworkLayout(circuit)
    has_events = any(g.event_driven or g.definition.pulse for g in layout.connections) or any(
        g.definition.reset_threshold is not None or g.listed for g in layout.cells
    )
    return "exact" if has_events else "step"


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"events: {mode!r} is not one of {', '.join(MODES)}")
    return mode


def compile_circuit(
    circuit: Circuit, method: str = "rk4", precision: str = "float64", mode: str | None = None
) -> Compiled:
    """The layout of ``circuit`` and the compiled module of its model types (generated
    and compiled on first use of those types, then cached in memory and on disk)."""
    global compilations
    check_method(method)
    check_precision(precision)
    if not circuit.neurons:
        raise ValueError("the circuit has no cells: add one with Circuit.add(name, model)")
    _check_supported(circuit)
    layout = NetworkLayout(circuit)
    mode = check_mode(mode or default_mode(circuit, layout))
    key = (layout.key, method, precision, mode)
    with _LOCK:
        cached = _MEMORY.get(key)
        if cached is None:
            module, _ = load_module(generate_network(layout, method, precision, mode))
            cached = Compiled(layout, module, method, precision, mode)
            _MEMORY[key] = cached
            compilations += 1
    return Compiled(layout, cached.module, method, precision, mode)


def _check_supported(circuit: Circuit) -> None:
    for name, inj in circuit.stimuli.items():
        if inj.stimulus.resolved().equations.derivatives:
            raise ValueError(
                f"{name}: stimuli with dynamics of their own are not supported (its states "
                "may change only at events, as a noise source's do)"
            )
    clamped: dict[str, str] = {}
    for name, inj in circuit.stimuli.items():
        if "V_command" in inj.stimulus.resolved().equations.assignments:
            if inj.target in clamped:
                raise ValueError(
                    f"{name}: cell {inj.target!r} already has a voltage clamp "
                    f"({clamped[inj.target]})"
                )
            clamped[inj.target] = name


def _in_order(g: Group, arrays: dict[str, np.ndarray], layout: NetworkLayout, batch: int) -> bool:
    """A current stimulus group whose k-th instance drives its cell group's k-th cell."""
    if g.kind != "stimulus" or is_clamp(g):
        return False
    target, cells = arrays[f"TGT_{g.tag}"], batch * layout.cells[g.pre].n
    return target.size == cells and bool(np.all(target == np.arange(cells)))


#: When a gap-junction-like group's currents are computed as a matrix times the
#: voltages: cell groups of at least this many cells (per member) whose connections
#: fill at least 1/MATRIX_FILL of the matrix, up to this many entries in all.
MATRIX_MIN_CELLS, MATRIX_FILL, MATRIX_MAX_ENTRIES = 16, 16, 2**24


class Run:
    """One batch's arrays: ``batch`` copies of ``circuit``, values in ``varying``
    ({(element, parameter, member or None): one value per batch member})."""

    def __init__(
        self,
        compiled: Compiled,
        circuit: Circuit,
        dt: float,
        batch: int = 1,
        varying: dict[tuple[str, str, int | None], np.ndarray] | None = None,
    ) -> None:
        self.compiled, self.circuit, self.dt, self.batch = compiled, circuit, dt, batch
        layout = self.layout = compiled.layout
        need = memory_estimate(layout, compiled.stages, batch)
        if need > MAX_ENGINE_BYTES:
            raise ValueError(
                f"the run needs about {need / 1e9:.1f} GB of engine arrays, over the limit of "
                f"{MAX_ENGINE_BYTES / 1e9:.1f} GB; use fewer cells, connections or batch members"
            )
        F = compiled.dtype
        self.arrays = a = layout.arrays(circuit, F, dt, batch, varying)
        groups = layout.groups()
        cells_total = np.cumsum([0] + [batch * g.n for g in layout.cells])
        a.update(
            T0=F(0.0), DT=F(dt), NSTEPS=0, STEP0=0,
            NG=np.array([batch * g.n for g in groups], np.int64),
            NM=np.array([g.n for g in groups], np.int64),
            DENSE=np.array([_in_order(g, a, layout, batch) for g in groups]),
            COFF=cells_total[:-1].astype(np.int64),
            REC=np.zeros((1, 1), F), RECPOS=np.zeros(4, np.int64), RECOUT=np.zeros(2, np.bool_),
            SPKC=np.zeros(SPIKE_BUFFER + 8 * int(cells_total[-1]), np.int64),
            SPKT=np.zeros(SPIKE_BUFFER + 8 * int(cells_total[-1]), F),
            SPKN=np.zeros(1, np.int64),
            MOM=np.zeros((1, 1, 3)),
        )  # fmt: skip
        logged = max([len(g.definition.logged) for g in layout.connections] + [1])
        events = sum(batch * g.n for g in layout.connections if g.event_driven)
        size = SPIKE_BUFFER + 8 * events
        a.update(
            LOGQ=np.zeros(size, np.int64), LOGM=np.zeros(size, np.int64),
            LOGT=np.zeros(size, F), LOGV=np.zeros((size, logged), F), LOGN=np.zeros(1, np.int64),
        )  # fmt: skip
        if compiled.mode == "exact":
            capacity = 64 + 8 * (events + int(cells_total[-1]))
            a.update(
                HT=np.zeros(capacity, F), HK=np.zeros(capacity, np.int64),
                HI=np.zeros(capacity, np.int64), HN=np.zeros(2, np.int64),
            )  # fmt: skip
        voltage_cells = 0
        for g in groups:
            self._allocate(g, F, voltage_cells)
            if g.kind == "cell" and g.voltage_row >= 0:
                voltage_cells += g.n
        self.set_recording([])
        self.call = [a[name] for name in compiled.module.ARGS]
        # not vectorising: setup runs once per run, and compiles faster without
        compiled.module.setup(F(0.0), F(dt), *self._args(compiled.module.setup))

    def _allocate(self, g: Group, F: type, first_position: int) -> None:
        a, n, batch = self.arrays, max(self.batch * g.n, 1), self.batch
        rows = len(g.slot.states)
        a[f"D_{g.tag}"] = np.zeros((len(g.slot.derived), n), F)
        if rows:
            for name in ("X", "Y", "XS"):
                a[f"{name}_{g.tag}"] = np.zeros((rows, n), F)
            a[f"K_{g.tag}"] = np.zeros((self.compiled.stages, rows, n), F)
        if g.kind == "cell":
            a[f"FIRE_{g.tag}"] = np.full(n, -1, np.int64)
            if g.voltage_row >= 0:
                for name in ("I", "VO", "SL", "XO", "IA", "TXC"):
                    a[f"{name}_{g.tag}"] = np.zeros(n, F)
                a[f"XO_{g.tag}"] = np.zeros((rows, n), F)
                a[f"ARMC_{g.tag}"] = np.ones(n, np.bool_)
                a[f"REF_{g.tag}"] = np.full(n, -np.inf, F)
                a[f"CLK_{g.tag}"] = np.full(n, -1, np.int64)
                a[f"CPOS_{g.tag}"] = first_position + np.arange(max(g.n, 1), dtype=np.int64)
            else:
                self._sources(g, F)
        else:
            a[f"IO_{g.tag}"] = np.zeros(n, F)
            a[f"IP_{g.tag}"] = np.zeros(n, F)
            if g.kind == "stimulus":
                a[f"GAIN_{g.tag}"] = np.ones(n, F)
            if g.event_driven:
                a[f"TXS_{g.tag}"] = np.zeros(a[f"ARMS_{g.tag}"].shape[0], F)
            if matrix_coupled(self.layout, g):
                cells = self.layout.cells[g.pre].n
                dense = cells >= MATRIX_MIN_CELLS and 2 * g.n * MATRIX_FILL >= cells * cells
                dense = dense and batch * cells * cells <= MATRIX_MAX_ENTRIES
                shape = (batch, cells, cells) if dense else (0, 0, 0)
                a[f"GM_{g.tag}"] = np.zeros(shape, F)
                a[f"GC_{g.tag}"] = np.zeros(batch * cells if dense else 0, F)
        if g.definition.on_step:
            streams = np.zeros(n, np.int64)
            names = list(self.circuit)
            for name, start, count in g.elements:
                for b in range(batch):
                    streams[b * g.n + start : b * g.n + start + count] = (
                        names.index(name) << 32
                    ) + np.arange(count)
            a[f"STREAM_{g.tag}"] = streams

    def _sources(self, g: Group, F: type) -> None:
        """A spike-source group's listed times, and each instance's next one."""
        times, lo, hi = [], [], []
        count = 0
        for name, _, size in g.elements:
            listed = getattr(self.circuit.neurons[name], g.definition.listed)
            for _ in range(size):
                times.append(listed)
                lo.append(count)
                count += len(listed)
                hi.append(count)
        flat = np.concatenate([*times, np.zeros(1)]).astype(F)
        self.source_start = np.tile(np.array(lo, np.int64), self.batch)
        per = count
        offsets = np.repeat(np.arange(self.batch, dtype=np.int64) * per, len(lo))
        a = self.arrays
        a[f"SRCT_{g.tag}"] = np.concatenate([np.tile(flat[:-1], self.batch), np.zeros(1, F)])
        a[f"SRCP_{g.tag}"] = self.source_start + offsets
        a[f"SRCHI_{g.tag}"] = np.tile(np.array(hi, np.int64), self.batch) + offsets

    def _args(self, function: Any) -> list:
        """The arrays a generated function (``setup``, ``derivs``) takes after t, DT."""
        code = function.py_func.__code__
        return [self.arrays[name] for name in code.co_varnames[2 : code.co_argcount]]

    # ------------------------------------------------------------- recording
    def set_recording(self, recordings: list[Recordable]) -> None:
        """Columns of REC: member b's j-th trace (one per recorded member/connection)."""
        layout, a = self.layout, self.arrays
        per_member = sum(len(r.members) for r in recordings)
        self.recordings, self.per_member = recordings, per_member
        states: dict[str, list] = {g.tag: [] for g in layout.groups()}
        currents: dict[str, list] = {g.tag: [] for g in layout.groups()}
        for b in range(self.batch):
            column = b * per_member
            for rec in recordings:
                group, start, _ = layout.where[rec.element]
                instances = b * group.n + start + rec.members
                columns = column + np.arange(len(rec.members))
                if rec.row >= 0:
                    states[group.tag].append(
                        np.column_stack([np.full(len(instances), rec.row), instances, columns])
                    )
                else:
                    currents[group.tag].append(
                        np.column_stack([np.full(len(instances), rec.current), instances, columns])
                    )
                column += len(rec.members)
        for g in layout.groups():
            for name, table in (("RI", states[g.tag]), ("RJ", currents[g.tag])):
                array = np.concatenate(table) if table else np.zeros((0, 3), np.int64)
                a[f"{name}_{g.tag}"] = np.ascontiguousarray(array, np.int64)
        a["RECOUT"][0] = any(r.row < 0 for r in recordings)
        if hasattr(self, "call"):
            self.call = [a[name] for name in self.compiled.module.ARGS]

    # -------------------------------------------------------------- states
    def state_arrays(self) -> list[tuple[Group, np.ndarray]]:
        return [(g, self.arrays[f"X_{g.tag}"]) for g in self.layout.groups() if g.slot.states]

    def set_states(self, values: Mapping[str, float]) -> None:
        """Initial values by path: "a.v" (every member), "fs[3].v"."""
        for path, value in values.items():
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float | np.floating | np.integer)
                or not math.isfinite(value)
            ):
                raise ValueError(f"init: {path} = {value!r} is not a finite number")
            head, _, variable = str(path).rpartition(".")
            match = SPEC.match(head)
            element = match.group("element") if match else head
            if element not in self.layout.where:
                raise ValueError(f"init: {path!r} is not a state (states look like 'a.v')")
            group, start, count = self.layout.where[element]
            if variable not in group.slot.states:
                raise ValueError(f"init: {path!r} is not a state (states look like 'a.v')")
            members = np.arange(count)
            if match and match.group("lo"):
                index = int(match.group("lo"))
                if index >= count:
                    raise ValueError(f"init: {path!r}: {element!r} has {count} members")
                members = members[index : index + 1]
            X = self.arrays[f"X_{group.tag}"]
            for b in range(self.batch):
                X[group.slot.states[variable], b * group.n + start + members] = value

    def find_rest(self, t_max: float) -> None:
        """Replace the states by the resting state: stimuli off, integrate until nothing
        moves, then polish with a root finder on the right-hand side."""
        from scipy.optimize import root

        a, F = self.arrays, self.compiled.dtype
        gains = {k: a[k].copy() for k in a if k.startswith("GAIN_")}
        sources = {k: a[k].copy() for k in a if k.startswith("SRCP_")}
        for k in gains:
            a[k][:] = 0.0
        for g in (g for g in self.layout.cells if g.listed):
            a[f"SRCP_{g.tag}"][:] = a[f"SRCHI_{g.tag}"]
        try:
            step = 50.0
            n = max(1, round(step / self.dt))
            for _ in range(int(t_max / step)):
                before = [X.copy() for _, X in self.state_arrays()]
                self.integrate(n, n, progress=None)
                change = max(
                    (
                        float(np.max(np.abs(X - b)))
                        for (_, X), b in zip(self.state_arrays(), before, strict=True)
                    ),
                    default=0.0,
                )
                if change < 1e-6:
                    break
            else:
                raise SimulationError(
                    f"init='rest': the circuit keeps changing after {t_max:g} ms without "
                    "stimuli (it oscillates or fires on its own); give explicit initial values "
                    "instead",
                    t_max,
                    "rest",
                    self.dt,
                )
            arrays = self.state_arrays()
            sizes = [X.size for _, X in arrays]
            if sum(sizes) <= 4000:
                start = np.concatenate([X.ravel() for _, X in arrays]).astype(np.float64)

                def residual(x: np.ndarray) -> np.ndarray:
                    self._unflatten(x)
                    derivs = self.compiled.module.derivs
                    derivs(F(0.0), F(self.dt), *self._args(derivs))
                    return np.concatenate([a[f"K_{g.tag}"][0].ravel() for g, _ in arrays]).astype(
                        np.float64
                    )

                polished = root(residual, start, tol=1e-12)
                ok = polished.success and np.max(np.abs(polished.x - start)) < 1e-2
                self._unflatten(polished.x if ok else start)
        finally:
            for k, v in gains.items():
                a[k][:] = v
            for k, v in sources.items():
                a[k][:] = v
        self.reset_events()

    def _unflatten(self, x: np.ndarray) -> None:
        at = 0
        for _, X in self.state_arrays():
            X[...] = x[at : at + X.size].reshape(X.shape)
            at += X.size

    def reset_events(self) -> None:
        """Forget pending events and spike history (after finding rest)."""
        a = self.arrays
        for k in a:
            if k.startswith(("HISTN_", "HN", "LOGN", "SPKN")):
                a[k][...] = 0
            elif k.startswith(("ARMC_", "ARMS_")):
                a[k][...] = True
            elif k.startswith("FIRE_"):
                a[k][...] = -1
            elif k.startswith("REF_"):
                a[k][...] = -np.inf

    # -------------------------------------------------------------- the loop
    def integrate(
        self,
        n_steps: int,
        record_every: int,
        progress: Callable[[float], bool | None] | None = None,
        moments: bool = False,
    ) -> Raw:
        """``n_steps`` steps from t = 0, recording every ``record_every`` steps."""
        from ..result import CancelledError, n_samples

        a, F, dt = self.arrays, self.compiled.dtype, self.dt
        module = self.compiled.module
        n_records = n_samples(n_steps, record_every)
        a["REC"] = np.empty((max(self.batch * self.per_member, 1), n_records), F)
        a["RECPOS"][:] = (0, record_every, n_steps, record_every)
        a["RECOUT"][1] = moments
        if moments:
            a["MOM"] = self._first_moments()
        self.call = [a[name] for name in module.ARGS]
        spikes_c: list[np.ndarray] = []
        spikes_t: list[np.ndarray] = []
        logs: list[tuple] = []
        done = 0
        chunk = n_steps if progress is None else min(n_steps, max(2000, n_steps // 50))
        while done < n_steps:
            todo = min(chunk, n_steps - done)
            self.call[0], self.call[2], self.call[3] = F(done * dt), todo, done
            with compiling(module.kernel):
                steps, status = module.kernel(*self.call)
            done += steps
            count = int(a["SPKN"][0])
            spikes_c.append(a["SPKC"][:count].copy())
            spikes_t.append(a["SPKT"][:count].astype(np.float64))
            a["SPKN"][0] = 0
            count = int(a["LOGN"][0])
            if count:
                logs.append(
                    (a["LOGQ"][:count].copy(), a["LOGM"][:count].copy(),
                     a["LOGT"][:count].astype(np.float64), a["LOGV"][:count].astype(np.float64))
                )  # fmt: skip
            a["LOGN"][0] = 0
            if status == NONFINITE:
                raise self._blow_up(done * dt)
            if status == CROWDED:
                raise SimulationError(
                    f"too many events pending near t = {done * dt:g} ms; reduce dt "
                    f"(try {dt / 4:g} ms)",
                    done * dt,
                    "events",
                    dt / 4,
                )
            if status == GROW:
                self._grow_heap()
                continue
            if status == FLUSH:
                continue
            if progress is not None and progress(done / n_steps):
                raise CancelledError(f"cancelled at t = {done * dt:g} ms")
        if a["RECPOS"][0] != n_records:
            raise RuntimeError(f"recorded {a['RECPOS'][0]} samples, expected {n_records}")
        return Raw(
            rec=a["REC"],
            n_steps=n_steps,
            recordings=self.recordings,
            spikes=member_spikes(self.layout, self.batch, a["COFF"], spikes_c, spikes_t),
            events=member_events(self.layout, self.batch, logs),
            moments=a["MOM"][:, :, :-1] if moments else None,
        )

    def _grow_heap(self) -> None:
        a = self.arrays
        n = int(a["HN"][0])
        for name in ("HT", "HK", "HI"):
            grown = np.zeros(2 * a[name].shape[0], a[name].dtype)
            grown[:n] = a[name][:n]
            a[name] = grown
        self.call = [a[name] for name in self.compiled.module.ARGS]

    def _first_moments(self) -> np.ndarray:
        cells = sum(g.n for g in self.layout.cells if g.voltage_row >= 0)
        mom = np.zeros((self.batch, cells, cells + 3))  # the last column: sums' scratch
        for g in self.layout.cells:
            if g.voltage_row < 0:
                continue
            X = self.arrays[f"X_{g.tag}"]
            positions = self.arrays[f"CPOS_{g.tag}"][: g.n]
            for b in range(self.batch):
                mom[b, positions, 0] = X[g.voltage_row, b * g.n : (b + 1) * g.n]
        return mom

    def _blow_up(self, t: float) -> SimulationError:
        variable, value, member = "state", float("nan"), 0
        for g, X in self.state_arrays():
            bad = np.argwhere(~np.isfinite(X[:, : self.batch * g.n]))
            if len(bad):
                row, instance = int(bad[0][0]), int(bad[0][1])
                member, k = divmod(instance, g.n)
                for name, start, count in g.elements:
                    if start <= k < start + count:
                        index = f"[{k - start}]" if count > 1 else ""
                        variable = f"{name}{index}.{list(g.slot.states)[row]}"
                value = X[row, instance]
                break
        where = f" (batch member {member})" if self.batch > 1 else ""
        dt = self.dt
        return SimulationError(
            f"the simulation blew up: {variable} was {value} by t = {t:g} ms{where}. The step "
            f"dt = {dt:g} ms may be too large for these parameters; try dt = {dt / 4:g} ms "
            "(or check for extreme parameter values)",
            t,
            variable,
            dt / 4,
        )


__all__ = ["Compiled", "Run", "compile_circuit"]
