"""Run a circuit: ``simulate(circuit, t_stop, dt, method) -> Result``."""

from __future__ import annotations

import itertools
import math
import numbers
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .circuit import Circuit
from .engine.codegen import CROWDED, GROW, HEADROOM, NONFINITE, OK
from .engine.compiler import (
    Compiled,
    buffers,
    compile_circuit,
    kernel_for,
    pack,
    read_sums,
    start_sums,
    unpack_states,
)
from .engine.network import simulate_network
from .errors import SimulationError
from .result import CancelledError, Result, n_samples

#: Largest recording ``simulate`` allocates unless told otherwise (bytes).
MAX_RECORD_BYTES = 2 * 1024**3

#: Most members one kernel call integrates (larger batches are split into chunks).
CHUNK_MEMBERS = 64

#: How long ``init="rest"`` may integrate without stimuli before giving up (ms).
REST_T_MAX = 5000.0


def check_run(t_stop: Any, dt: Any, record_every: Any = 1) -> tuple[float, float, int, int]:
    """Validate run settings; return (t_stop, dt, record_every, n_steps)."""
    for name, value in (("t_stop", t_stop), ("dt", dt)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a number of ms, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name}: {value!r} ms is not allowed; it must be a finite number > 0")
    if dt > t_stop:
        raise ValueError(f"dt: {dt:g} ms is longer than t_stop = {t_stop:g} ms")
    if isinstance(record_every, bool) or not isinstance(record_every, numbers.Integral):
        raise TypeError(f"record_every: expected a whole number of steps, got {record_every!r}")
    if record_every < 1:
        raise ValueError(f"record_every: {record_every} is not allowed; it must be ≥ 1")
    n_steps = max(1, math.ceil(t_stop / dt - 1e-9))
    return float(t_stop), float(dt), int(record_every), n_steps


def _record_rows(compiled: Compiled, record: Iterable[str] | str | None) -> np.ndarray:
    layout = compiled.layout
    if record is None:
        return np.arange(len(layout.recordables), dtype=np.int64)
    if isinstance(record, str):
        record = [record]
    wanted: list[int] = []
    elements = {r.element for r in layout.recordables}
    for item in record:
        if item == "v":
            matches = [
                i
                for i, r in enumerate(layout.recordables)
                if r.state_row >= 0
                and any(
                    s.name == r.element and s.definition.voltage == r.variable
                    for s in layout.neurons
                )
            ]
        elif item in elements:
            matches = [i for i, r in enumerate(layout.recordables) if r.element == item]
        else:
            element, _, var = item.rpartition(".")
            matches = [
                i
                for i, r in enumerate(layout.recordables)
                if r.element == element and r.variable == var
            ]
        if not matches:
            known = ", ".join(f"{r.element}.{r.variable}" for r in layout.recordables)
            raise ValueError(
                f"record: nothing called {item!r} can be recorded (choices: 'v', {known})"
            )
        wanted += [i for i in matches if i not in wanted]
    return np.array(wanted, dtype=np.int64)


@dataclass
class Raw:
    """What a kernel run produced, for every batch member."""

    rec: np.ndarray  # (batch, n_rec, n_records)
    n_steps: int  # samples are every record_every steps, and at the last step
    rec_rows: np.ndarray
    spikes: list[list[np.ndarray]]  # [member][cell]
    events: list[list[tuple[np.ndarray, np.ndarray]]]  # [member][logged connection]
    X: np.ndarray  # final states
    moments: np.ndarray | None = None  # see run_kernel


@dataclass
class Arrays:
    """A batch's parameters ``P``, derived values ``D``, states ``X`` and which
    threshold watchers are ``armed`` (rows × batch members); ``varying``: the rows of
    ``P`` that may differ between members when the run wants a kernel specialised
    to them (see :func:`~neuntune.engine.compiler.kernel_for`)."""

    P: np.ndarray
    D: np.ndarray
    X: np.ndarray
    armed: np.ndarray
    varying: frozenset[int] | None = None

    def rearm(self, compiled: Compiled) -> None:
        """Re-arm the threshold watchers after states were set from outside."""
        compiled.module.rearm(self.X, self.P, self.D, self.armed)


def prepare(compiled: Compiled, P: np.ndarray, varying: frozenset[int] | None = None) -> Arrays:
    """Derived values and initial states for parameters ``P`` (n_params × batch)."""
    layout, F = compiled.layout, compiled.dtype
    batch = P.shape[1]
    arrays = Arrays(
        P,
        np.empty((layout.n_derived, batch), F),
        np.empty((layout.n_states, batch), F),
        np.ones((batch, len(compiled.plan.watchers)), np.bool_),
        varying,
    )
    compiled.module.setup(arrays.X, arrays.P, arrays.D, arrays.armed)
    return arrays


def parameters(compiled: Compiled, circuit: Circuit, batch: int = 1) -> np.ndarray:
    """The circuit's current values as a ``P`` array repeated over ``batch`` members."""
    P = np.empty((compiled.layout.n_params, batch), compiled.dtype)
    compiled.layout.fill_parameters(circuit, P)
    return P


def run_kernel(
    compiled: Compiled,
    arrays: Arrays,
    dt: float,
    n_steps: int,
    record_every: int,
    rec_rows: np.ndarray,
    sources: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    progress: Callable[[float], bool | None] | None = None,
    max_bytes: int | None = None,
    moments: bool = False,
) -> Raw:
    """Integrate ``n_steps`` from ``arrays.X`` (changed in place) and collect the output.

    ``progress(fraction)`` is called between chunks of steps; returning True
    stops the run with :class:`CancelledError`.  With ``moments`` the kernel also
    sums every cell's voltage at each recorded step: ``Raw.moments[b, i]`` holds,
    for cell i of member b, its first sample v_i0, Σ d_i and Σ d_i d_k (k over the
    cells) with d_i = v_i − v_i0 — what means, variances and correlations need, in
    memory that does not grow with the run (see :func:`can_sum` for where); a batch
    kernel then skips locating spikes, which such a run does not keep.
    """
    layout, plan, F = compiled.layout, compiled.plan, compiled.dtype
    X, P, D = arrays.X, arrays.P, arrays.D
    batch = X.shape[1]
    n_records = n_samples(n_steps, record_every)
    if moments and not can_sum(compiled):
        raise ValueError("moments: only event-free float64 kernels sum voltages")
    limit = MAX_RECORD_BYTES if max_bytes is None else max_bytes
    need = len(rec_rows) * n_records * batch * np.dtype(F).itemsize
    if need > limit:
        per_sample = max(len(rec_rows) * batch * np.dtype(F).itemsize, 1)
        every = math.ceil(n_steps / max(limit // per_sample - 1, 1))
        raise ValueError(
            f"recording {len(rec_rows)} variables × {n_records} samples × {batch} runs needs "
            f"{need / 1e9:.2f} GB, over the limit of {limit / 1e9:.2f} GB: record fewer variables "
            f"(record=[...]), use record_every ≥ {every}, or shorten t_stop"
        )
    delays = [P[layout.connections[k].params["delay"]] for k in plan.event_connections]
    delays += [P[layout.connections[k].params[layout.connections[k].definition.pulse]]
               for k in plan.boundaries]  # fmt: skip
    longest = max((float(np.max(d)) for d in delays), default=0.0)
    capacity = int(longest / dt) + 2 * HEADROOM + 8
    buf = buffers(compiled, batch, n_records, len(rec_rows), capacity)
    buf["rec_pos"][1:] = record_every, n_steps
    if sources is None:  # no spikes from the spike sources (e.g. while finding rest)
        n_streams = len(plan.streams)
        sources = (np.zeros(1, F), np.zeros(n_streams, np.int64), np.zeros(n_streams, np.int64))
    src_t, src_start, src_end = sources
    src_ptr = np.repeat(src_start[None, :], batch, axis=0).copy()
    spikes: list[list[list[np.ndarray]]] = [[[] for _ in layout.neurons] for _ in range(batch)]
    events: list[list[list[np.ndarray]]] = [[[] for _ in plan.logged] for _ in range(batch)]
    done = 0
    # with a progress callback, stop about 50 times a run (never more often than every
    # 2000 steps): often enough to report and cancel, rarely enough to cost nothing
    chunk = n_steps if progress is None else min(n_steps, max(2000, n_steps // 50))
    S = pack(compiled, X, P, D)
    if moments:
        start_sums(compiled, S, X)
    kernel = kernel_for(compiled, batch, arrays.varying)
    while done < n_steps:
        todo = min(chunk, n_steps - done)
        steps, status = kernel(
            X, P, D, S, F(done * dt), F(dt), todo, done, record_every, buf["REC"], moments,
            buf["rec_pos"], rec_rows, buf["SPK_T"], buf["SPK_N"], arrays.armed, buf["QT"],
            buf["QH"], buf["QN"], src_t, src_ptr, src_end, buf["LOG_T"], buf["LOG_V"], buf["LOG_N"],
        )  # fmt: skip
        done += steps
        unpack_states(compiled, S, X)
        if status == NONFINITE:
            raise _blow_up(compiled, X, done * dt, dt)
        if status == CROWDED:
            raise SimulationError(
                f"more than {HEADROOM} events within one step near t = {done * dt:g} ms; "
                f"reduce dt (try {dt / 4:g} ms)",
                done * dt,
                "events",
                dt / 4,
            )
        _drain(buf, spikes, events)
        if status == GROW:
            _grow_queues(buf)
        if progress is not None and status == OK and progress(done / n_steps):
            raise CancelledError(f"cancelled at t = {done * dt:g} ms")
    if buf["rec_pos"][0] != n_records:  # REC is uninitialised memory: all of it is written
        raise RuntimeError(f"recorded {buf['rec_pos'][0]} samples, expected {n_records}")
    return Raw(
        rec=buf["REC"],
        n_steps=n_steps,
        rec_rows=rec_rows,
        spikes=[[_cat(s, F) for s in member] for member in spikes],
        events=[[_cat(e, F) for e in member] for member in events],
        X=X,
        moments=read_sums(compiled, S, batch) if moments else None,
    )


def can_sum(compiled: Compiled) -> bool:
    """Whether ``run_kernel(..., moments=True)`` can sum voltages: in event-free
    float64 kernels (float32 sums of 10⁵ samples would lose digits a correlation
    needs)."""
    return not compiled.plan.events and compiled.plan.precision == "float64"


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _drain(buf: dict, spikes: list, events: list) -> None:
    """Move spikes and logged events out of the kernel's fixed-size buffers."""
    counts, times = buf["SPK_N"], buf["SPK_T"]
    for b, member in enumerate(spikes):
        for j, out in enumerate(member):
            if counts[b, j]:
                out.append(times[b, j, : counts[b, j]].copy())
    counts[:] = 0
    log_n, log_t, log_v = buf["LOG_N"], buf["LOG_T"], buf["LOG_V"]
    for b, member in enumerate(events):
        for j, out in enumerate(member):
            n = log_n[b, j]
            if n:
                out.append(np.column_stack([log_t[b, j, :n], log_v[b, j, :n, :]]))
    log_n[:] = 0


def _grow_queues(buf: dict) -> None:
    """Double the event-queue capacity, keeping each ring buffer's order."""
    qt, qh, qn = buf["QT"], buf["QH"], buf["QN"]
    cap = qt.shape[2]
    grown = np.zeros((qt.shape[0], qt.shape[1], 2 * cap), qt.dtype)
    for b in range(qt.shape[0]):
        for j in range(qt.shape[1]):
            order = (qh[b, j] + np.arange(qn[b, j])) % cap
            grown[b, j, : qn[b, j]] = qt[b, j, order]
    qh[:] = 0
    buf["QT"] = grown


def _blow_up(compiled: Compiled, X: np.ndarray, t: float, dt: float) -> SimulationError:
    bad = np.argwhere(~np.isfinite(X))
    row, member = (int(bad[0][0]), int(bad[0][1])) if len(bad) else (0, 0)
    variable = compiled.layout.state_name(row)
    where = f" (batch member {member})" if X.shape[1] > 1 else ""
    suggested = dt / 4
    return SimulationError(
        f"the simulation blew up: {variable} was {X[row, member]} by t = {t:g} ms{where}. "
        f"The step dt = {dt:g} ms may be too large for these parameters; try dt = {suggested:g} ms "
        f"(or check for extreme parameter values)",
        t,
        variable,
        suggested,
    )


def find_rest(compiled: Compiled, arrays: Arrays, dt: float) -> None:
    """Replace the states by the resting state: stimuli off, integrate until nothing moves."""
    from scipy.optimize import root

    layout, F = compiled.layout, compiled.dtype
    X, P, D = arrays.X, arrays.P, arrays.D
    saved = P.copy()
    for slot in layout.stimuli:
        P[slot.gain] = 0.0
    try:
        rows = np.zeros(0, np.int64)
        step = 50.0
        n = max(1, round(step / dt))
        settled = False
        for _ in range(int(REST_T_MAX / step)):
            before = X.copy()
            run_kernel(compiled, arrays, dt, n, n, rows)
            if np.max(np.abs(X - before)) < 1e-6:
                settled = True
                break
        if not settled:
            raise SimulationError(
                f"init='rest': the circuit keeps changing after {REST_T_MAX:g} ms without stimuli "
                "(it oscillates or fires on its own); give explicit initial values instead",
                REST_T_MAX,
                "rest",
                dt,
            )
        out = np.empty((layout.n_states, 1), F)

        def residual(x: np.ndarray, b: int) -> np.ndarray:
            col = x.reshape(-1, 1).astype(F)
            compiled.module.rhs(col, P[:, b : b + 1].copy(), D[:, b : b + 1].copy(), F(0.0), out)
            return out[:, 0].astype(np.float64)

        for b in range(X.shape[1]):
            polished = root(residual, X[:, b].astype(np.float64), args=(b,), tol=1e-12)
            if polished.success and np.max(np.abs(polished.x - X[:, b])) < 1e-2:
                X[:, b] = polished.x
    finally:
        P[:] = saved
    arrays.rearm(compiled)


def simulate(
    circuit: Circuit,
    t_stop: float,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record: Iterable[str] | str | None = None,
    record_every: int = 1,
    init: str | Mapping[str, float] = "default",
    max_bytes: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
) -> Result:
    """Integrate ``circuit`` from 0 to ``t_stop`` ms with step ``dt`` ms.

    ``method``: "euler", "rk4", "rk6" (a genuine sixth-order method) or
    "expeuler" (exponential Euler).  ``precision``: "float64" or "float32".
    ``record``: None (everything), or names such as "v", "a", "a.m", "gj.I".
    ``record_every``: keep one sample in this many steps.  ``init``: "default"
    (the models' initial values), "rest" (the state the circuit settles to with
    its stimuli off) or a mapping of state paths to values ({"a.v": -70}).
    A NaN or infinite value raises :class:`SimulationError`.
    """
    t_stop, dt, record_every, n_steps = check_run(t_stop, dt, record_every)
    if circuit.is_network():
        return simulate_network(
            circuit, t_stop, dt, n_steps, method, precision, record, record_every, init,
            MAX_RECORD_BYTES if max_bytes is None else max_bytes, progress,
        )  # fmt: skip
    compiled = compile_circuit(circuit, method, precision)
    rec_rows = _record_rows(compiled, record)
    arrays = _initial(compiled, parameters(compiled, circuit), init, dt)
    raw = run_kernel(
        compiled, arrays, dt, n_steps, record_every, rec_rows, _sources(compiled, circuit),
        progress, max_bytes,
    )  # fmt: skip
    return make_results(compiled, [raw], dt, record_every, method, precision)[0]


def _initial(
    compiled: Compiled,
    P: np.ndarray,
    init: str | Mapping[str, float],
    dt: float,
    varying: frozenset[int] | None = None,
) -> Arrays:
    """Arrays set up for parameters ``P`` and started as ``init`` asks."""
    arrays = prepare(compiled, P, varying)
    if isinstance(init, str) and init == "rest":
        find_rest(compiled, arrays, dt)
    elif isinstance(init, Mapping):
        _set_states(compiled, arrays.X, init)
        arrays.rearm(compiled)
    elif not (isinstance(init, str) and init == "default"):
        raise ValueError(f"init: {init!r} is not 'default', 'rest' or a mapping of state values")
    return arrays


def batch_parameters(
    compiled: Compiled, circuit: Circuit, values: Mapping[str, Any]
) -> tuple[np.ndarray, frozenset[int]]:
    """The circuit's values repeated over a batch, with ``values`` ({path: 1-D array},
    all of one length) varying across it, and the rows of those paths; every value
    is validated."""
    if not values:
        raise ValueError("values: give at least one parameter path and its values")
    columns = {}
    for path, column in values.items():
        element, model, param = circuit.resolve(path)
        columns[path] = model.parameter_table()[param].validate_array(path, column)
    sizes = {len(column) for column in columns.values()}
    if len(sizes) != 1 or 0 in sizes:
        lengths = {path: len(column) for path, column in columns.items()}
        raise ValueError(
            f"values: every path needs the same non-zero number of values, got {lengths}"
        )
    P = parameters(compiled, circuit, sizes.pop())
    rows = set()
    for path, column in columns.items():
        element, _, param = circuit.resolve(path)
        row = compiled.layout.slot(element).params[param]
        P[row] = column
        rows.add(row)
    return P, frozenset(rows)


def simulate_batch(
    circuit: Circuit,
    values: Mapping[str, Any],
    t_stop: float,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record: Iterable[str] | str | None = "v",
    record_every: int = 1,
    init: str | Mapping[str, float] = "default",
    workers: int | None = None,
    max_bytes: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
    specialise: bool = False,
) -> list[Result]:
    """Simulate ``circuit`` once per parameter set, all in one compiled kernel.

    ``values`` maps parameter paths to 1-D arrays of one length N: member i runs
    with the i-th value of each (other values as in the circuit).  Members are
    integrated side by side — the kernel vectorises across them — and split over
    ``workers`` threads (default: every core).  Returns N :class:`Result` objects
    (recording only voltages unless ``record`` says otherwise).  Each member's
    numbers equal a separate ``simulate`` run's to rounding.

    ``specialise``: run a kernel compiled for this set of varied paths, in which
    every other parameter is read once per run rather than once per member and step
    (event-free circuits; HH batches 5–17 % faster here).  Each circuit structure and
    set of paths costs one compilation (seconds; cached on disk), so it pays for
    long or repeated scans.
    """
    t_stop, dt, record_every, n_steps = check_run(t_stop, dt, record_every)
    compiled = compile_circuit(circuit, method, precision)
    rec_rows = _record_rows(compiled, record)
    P, rows = batch_parameters(compiled, circuit, values)
    parts = run_batch(
        compiled, P, dt, n_steps, record_every, rec_rows, init, _sources(compiled, circuit),
        workers, progress, max_bytes, varying=rows if specialise else None,
    )  # fmt: skip
    return make_results(compiled, parts, dt, record_every, method, precision)


@dataclass
class Sums:
    """Per-member sums of the cells' voltages, from :func:`sum_batch`."""

    cells: list[str]  # the cells, in the order of the moments' rows
    n: int  # samples per member
    moments: np.ndarray  # (member, cell, 2 + cells), see run_kernel


def sum_batch(
    circuit: Circuit,
    values: Mapping[str, Any],
    t_stop: float,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record_every: int = 1,
    init: str | Mapping[str, float] = "default",
    workers: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
    specialise: bool = False,
) -> Sums | None:
    """:func:`simulate_batch`, but summing every cell's voltage (sampled every
    ``record_every`` steps and at the end) instead of keeping the traces: memory
    independent of the run's length, what a scan metric such as a correlation
    needs.  None when the run cannot be summed (see :func:`can_sum`).
    ``specialise``: as for :func:`simulate_batch`."""
    t_stop, dt, record_every, n_steps = check_run(t_stop, dt, record_every)
    compiled = compile_circuit(circuit, method, precision)
    P, rows = batch_parameters(compiled, circuit, values)
    if not can_sum(compiled):
        return None
    parts = run_batch(
        compiled, P, dt, n_steps, record_every, np.zeros(0, np.int64), init,
        _sources(compiled, circuit), workers, progress, moments=True,
        varying=rows if specialise else None,
    )  # fmt: skip
    return Sums(
        cells=[slot.name for slot in compiled.layout.voltage_cells()],
        n=n_samples(n_steps, record_every),
        moments=np.concatenate([raw.moments for raw in parts]),
    )


def run_batch(
    compiled: Compiled,
    P: np.ndarray,
    dt: float,
    n_steps: int,
    record_every: int,
    rec_rows: np.ndarray,
    init: str | Mapping[str, float] = "default",
    sources: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    workers: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
    max_bytes: int | None = None,
    moments: bool = False,
    varying: frozenset[int] | None = None,
) -> list[Raw]:
    """Run the members (columns of ``P``) in contiguous chunks on ``workers`` threads.

    Chunk sizes are multiples of the SIMD width where possible, so threads do about
    as many vector iterations each; chunks hold at most CHUNK_MEMBERS members, so a
    chunk's arrays stay in cache while the kernel sweeps them every step.  The
    kernel releases the GIL.  Returns one :class:`Raw` per chunk, in member order.
    ``varying``: see :class:`Arrays`.
    """
    batch = P.shape[1]
    workers = workers or os.cpu_count() or 1
    width = 8 if compiled.plan.precision == "float32" else 4  # AVX2 lanes per register
    vectors = -(-batch // width)
    n_chunks = max(1, min(vectors, max(workers, -(-batch // CHUNK_MEMBERS))))
    edges = [0, *(min(batch, round(vectors * k / n_chunks) * width) for k in range(1, n_chunks))]
    chunks = [(lo, hi) for lo, hi in itertools.pairwise([*edges, batch]) if hi > lo]
    done = np.zeros(len(chunks))
    cancel = threading.Event()
    limit = None if max_bytes is None else max_bytes // len(chunks)

    def run(index: int, lo: int, hi: int) -> Raw:
        def report(fraction: float) -> bool:
            done[index] = fraction
            if progress(float(done.mean())):
                cancel.set()
            return cancel.is_set()

        arrays = _initial(compiled, np.ascontiguousarray(P[:, lo:hi]), init, dt, varying)
        # without a callback a chunk runs in one kernel call: returning to Python
        # every 2000 steps to report cost ~3 % of a scan
        track = None if progress is None else report
        return run_kernel(
            compiled, arrays, dt, n_steps, record_every, rec_rows, sources, track, limit, moments
        )

    if len(chunks) == 1:
        return [run(0, *chunks[0])]
    for size in {min(hi - lo, 2) for lo, hi in chunks}:  # compile once, not in each thread
        kernel_for(compiled, size, varying)
    with ThreadPoolExecutor(min(workers, len(chunks))) as pool:
        futures = [pool.submit(run, i, lo, hi) for i, (lo, hi) in enumerate(chunks)]
        return [f.result() for f in futures]


def _set_states(compiled: Compiled, X: np.ndarray, values: Mapping[str, float]) -> None:
    layout = compiled.layout
    for path, value in values.items():
        element, _, state = str(path).rpartition(".")
        try:
            row = layout.slot(element).states[state]
        except KeyError:
            raise ValueError(f"init: {path!r} is not a state (states look like 'a.v')") from None
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
        ):
            raise ValueError(f"init: {path} = {value!r} is not a finite number")
        X[row] = value


def _sources(
    compiled: Compiled, circuit: Circuit
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Spike-source times concatenated, and each stream's start and end index in them."""
    plan = compiled.plan
    if not plan.sources:
        return None
    cells = list(circuit.neurons.values())
    lists = [cells[i].times for i in plan.sources]
    ends = np.cumsum([len(t) for t in lists]).astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    flat = np.concatenate([*lists, np.zeros(1)]).astype(compiled.dtype)
    which = [plan.sources.index(cell) for cell in plan.streams]
    return flat, starts[which], ends[which]


def make_results(
    compiled: Compiled,
    parts: list[Raw],
    dt: float,
    record_every: int,
    method: str,
    precision: str,
) -> list[Result]:
    """A :class:`Result` for every member of ``parts`` (one run's chunks, in order).

    What every member shares is worked out once: the time axis (one read-only
    array), where each recorded row goes, the units.  Per member only its traces
    (views of the chunk's recording) and spikes are filed.
    """
    layout = compiled.layout
    first = parts[0]
    steps = np.minimum(np.arange(first.rec.shape[2]) * record_every, first.n_steps)
    t = steps.astype(np.float64) * dt
    t.flags.writeable = False
    voltages = {(s.name, s.definition.voltage) for s in layout.neurons}
    units: dict[str, str] = {}
    routes = []  # (row in the recording, element, variable, kind)
    for j, idx in enumerate(first.rec_rows):
        rec = layout.recordables[idx]
        units[f"{rec.element}.{rec.variable}"] = rec.unit
        if rec.state_row >= 0 and (rec.element, rec.variable) in voltages:
            kind = "v"
        elif rec.state_row < 0 and rec.output in ("I_post", "I"):
            kind = "current"
        else:
            kind = "state"
        routes.append((j, rec.element, rec.variable, kind))
    cells = [slot.name for slot in layout.neurons]
    logged = [(layout.connections[k].name, names) for k, names in compiled.plan.logged]
    results = []
    for raw in parts:
        for member in range(raw.X.shape[1]):
            v: dict[str, np.ndarray] = {}
            state: dict[str, dict[str, np.ndarray]] = {}
            current: dict[str, np.ndarray] = {}
            for j, element, variable, kind in routes:
                trace = raw.rec[member, j]
                if kind == "current":
                    current[element] = trace
                    continue
                state.setdefault(element, {})[variable] = trace
                if kind == "v":
                    v[element] = trace
            spikes = {
                cell: np.asarray(raw.spikes[member][i], np.float64) for i, cell in enumerate(cells)
            }
            events = {}
            for j, (connection, names) in enumerate(logged):
                table = raw.events[member][j].reshape(-1, 1 + max(len(names), 1))
                entry = {"t": table[:, 0].astype(np.float64)}
                for m, name in enumerate(names):
                    entry[name] = table[:, 1 + m].astype(np.float64)
                events[connection] = entry
            results.append(
                Result(t, v, state, current, spikes, events, dict(units), dt, method, precision)
            )
    return results
