"""Run a circuit: ``simulate(circuit, t_stop, dt, method) -> Result``, and batches of it."""

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
from .engine.output import Raw
from .engine.recording import parse_record
from .engine.run import Compiled, Run, compile_circuit
from .result import CancelledError, Result, Spikes, n_samples

__all__ = [
    "CancelledError",
    "Result",
    "Sums",
    "check_run",
    "simulate",
    "simulate_batch",
    "sum_batch",
]

#: Largest recording ``simulate`` allocates unless told otherwise (bytes).
MAX_RECORD_BYTES = 2 * 1024**3

#: Most members one kernel call integrates (larger batches are split into chunks).
CHUNK_MEMBERS = 64

#: How long ``init="rest"`` may integrate without stimuli before giving up (ms).
REST_T_MAX = 5000.0

Init = str | Mapping[str, float]
Progress = Callable[[float], bool | None] | None


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


def _check_bytes(
    compiled: Compiled, per_member: int, batch: int, n_steps: int, record_every: int, limit: int
) -> None:
    """Refuse a recording larger than ``limit`` bytes before anything runs, saying what fits."""
    size = np.dtype(compiled.dtype).itemsize
    samples = n_samples(n_steps, record_every)
    need = per_member * batch * samples * size
    if need <= limit:
        return
    per_sample = max(per_member * batch * size, 1)
    fits = limit // per_sample - 1  # samples that fit, the first included
    advice = (
        f"use record_every ≥ {math.ceil(n_steps / fits)}"
        if fits >= 1
        else "record fewer variables (even one sample of these is too large)"
    )
    raise ValueError(
        f"recording {per_member} traces × {samples} samples × {batch} runs needs "
        f"{_bytes(need)}, over the limit of {_bytes(limit)}: record fewer variables "
        f"(record=[...], 'pop[0:10].v'), {advice}, or shorten t_stop"
    )


def _bytes(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} bytes"


def _start(run: Run, init: Init) -> None:
    """Start as ``init`` asks: the models' values, rest, or given state values."""
    if isinstance(init, str) and init == "rest":
        run.find_rest(REST_T_MAX)
    elif isinstance(init, Mapping):
        run.set_states(init)
    elif not (isinstance(init, str) and init == "default"):
        raise ValueError(f"init: {init!r} is not 'default', 'rest' or a mapping of state values")


def simulate(
    circuit: Circuit,
    t_stop: float,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record: Iterable[str] | str | None = None,
    record_every: int = 1,
    init: Init = "default",
    max_bytes: int | None = None,
    progress: Progress = None,
    events: str | None = None,
) -> Result:
    """Integrate ``circuit`` from 0 to ``t_stop`` ms with step ``dt`` ms.

    ``method``: "euler", "rk4", "rk6" (a genuine sixth-order method) or
    "expeuler" (exponential Euler).  ``precision``: "float64" or "float32".
    ``record``: None (everything), or names such as "v", "a", "a.m", "gj.I",
    "fs[0:10].v".  ``record_every``: keep one sample in this many steps.  ``init``:
    "default" (the models' initial values), "rest" (the state the circuit settles to
    with its stimuli off) or a mapping of state paths to values ({"a.v": -70}).
    ``events``: "exact" (steps split at every event: the default for circuits of
    single cells that have events) or "step" (events at step boundaries, delays in
    whole steps, as Brian2 and BrainPy do: the default with populations, and for
    circuits without events, where both compute the same steps).  A NaN or infinite
    value raises :class:`SimulationError`.
    """
    t_stop, dt, record_every, n_steps = check_run(t_stop, dt, record_every)
    compiled = compile_circuit(circuit, method, precision, events)
    recordings = parse_record(circuit, compiled.layout, record)
    per_member = sum(len(r.members) for r in recordings)
    limit = MAX_RECORD_BYTES if max_bytes is None else max_bytes
    _check_bytes(compiled, per_member, 1, n_steps, record_every, limit)
    run = Run(compiled, circuit, dt)
    _start(run, init)
    run.set_recording(recordings)
    raw = run.integrate(n_steps, record_every, progress)
    return make_results(circuit, [raw], dt, record_every, method, precision)[0]


def batch_values(
    circuit: Circuit, values: Mapping[str, Any]
) -> tuple[dict[tuple[str, str, int | None], np.ndarray], int]:
    """``values`` ({path: 1-D array}, all of one length) as the engine's varying
    columns, validated; and the batch size."""
    if not isinstance(values, Mapping) or not values:
        raise ValueError("values: give at least one parameter path and its values")
    columns: dict[tuple[str, str, int | None], np.ndarray] = {}
    lengths = {}
    for path, column in values.items():
        element, index, model, param = circuit.split(path)
        array = model.parameter_table()[param].validate_array(path, column)
        columns[(element, param, index)] = array
        lengths[path] = len(array)
    if len(set(lengths.values())) != 1 or 0 in lengths.values():
        raise ValueError(
            f"values: every path needs the same non-zero number of values, got {lengths}"
        )
    return columns, next(iter(lengths.values()))


def simulate_batch(
    circuit: Circuit,
    values: Mapping[str, Any],
    t_stop: float,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record: Iterable[str] | str | None = "v",
    record_every: int = 1,
    init: Init = "default",
    workers: int | None = None,
    max_bytes: int | None = None,
    progress: Progress = None,
    events: str | None = None,
) -> list[Result]:
    """Simulate ``circuit`` once per parameter set, all in one compiled kernel.

    ``values`` maps parameter paths to 1-D arrays of one length N: member i runs
    with the i-th value of each (other values as in the circuit).  Members are
    integrated side by side — one circuit of N disconnected copies, whose loops
    vectorise across them — and split over ``workers`` threads (default: every
    core).  Returns N :class:`Result` objects (recording only voltages unless
    ``record`` says otherwise).  Each member's numbers equal a separate
    ``simulate`` run's to rounding.
    """
    t_stop, dt, record_every, n_steps = check_run(t_stop, dt, record_every)
    compiled = compile_circuit(circuit, method, precision, events)
    recordings = parse_record(circuit, compiled.layout, record)
    columns, batch = batch_values(circuit, values)
    limit = MAX_RECORD_BYTES if max_bytes is None else max_bytes
    per_member = sum(len(r.members) for r in recordings)
    _check_bytes(compiled, per_member, batch, n_steps, record_every, limit)
    parts = run_batch(
        compiled, circuit, columns, batch, dt, n_steps, record_every, recordings, init,
        workers, progress,
    )  # fmt: skip
    return make_results(circuit, parts, dt, record_every, method, precision)


@dataclass
class Sums:
    """Per-member sums of the cells' voltages, from :func:`sum_batch`."""

    cells: list[str]  # the cells, in the order of the moments' rows
    n: int  # samples per member
    moments: np.ndarray  # (member, cell, 2 + cells): first sample, Σd, Σd·d_k


def sum_batch(
    circuit: Circuit,
    values: Mapping[str, Any],
    t_stop: float,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record_every: int = 1,
    init: Init = "default",
    workers: int | None = None,
    progress: Progress = None,
    events: str | None = None,
) -> Sums | None:
    """:func:`simulate_batch`, but summing every cell's voltage (sampled every
    ``record_every`` steps and at the end) instead of keeping the traces: for cell i
    of each member its first sample v_i0, Σ d_i and Σ d_i·d_k over the cells, with
    d_i = v_i − v_i0 — what means, variances and correlations need, in memory that
    does not grow with the run.  None in float32 (sums of 10⁵ float32 samples would
    lose the digits a correlation needs)."""
    t_stop, dt, record_every, n_steps = check_run(t_stop, dt, record_every)
    compiled = compile_circuit(circuit, method, precision, events)
    columns, batch = batch_values(circuit, values)
    if precision != "float64":
        return None
    parts = run_batch(
        compiled, circuit, columns, batch, dt, n_steps, record_every, [], init, workers,
        progress, moments=True,
    )  # fmt: skip
    return Sums(
        cells=voltage_cells(circuit, compiled),
        n=n_samples(n_steps, record_every),
        moments=_symmetric(np.concatenate([raw.moments for raw in parts])),
    )


def voltage_cells(circuit: Circuit, compiled: Compiled) -> list[str]:
    """The cells (``"fs[3]"`` for members) in the order of :class:`Sums`' rows."""
    names = []
    for g in compiled.layout.cells:
        if g.voltage_row < 0:
            continue
        for name, _, count in g.elements:
            names += [name] if count == 1 else [f"{name}[{k}]" for k in range(count)]
    return names


def _symmetric(moments: np.ndarray) -> np.ndarray:
    """Fill Σ d_i·d_k for k < i from the kernel's k ≥ i half."""
    n = moments.shape[1]
    for i in range(n):
        for k in range(i):
            moments[:, i, 2 + k] = moments[:, k, 2 + i]
    return moments


def run_batch(
    compiled: Compiled,
    circuit: Circuit,
    columns: dict[tuple[str, str, int | None], np.ndarray],
    batch: int,
    dt: float,
    n_steps: int,
    record_every: int,
    recordings: list,
    init: Init = "default",
    workers: int | None = None,
    progress: Progress = None,
    moments: bool = False,
) -> list[Raw]:
    """Run the members in contiguous chunks on ``workers`` threads.

    Chunk sizes are multiples of the SIMD width where possible, so threads do about
    as many vector iterations each; chunks hold at most CHUNK_MEMBERS members, so a
    chunk's arrays stay in cache while the kernel sweeps them every step.  The
    kernel releases the GIL.  Returns one :class:`Raw` per chunk, in member order.
    """
    workers = workers or os.cpu_count() or 1
    width = 8 if compiled.precision == "float32" else 4  # AVX2 lanes per register
    vectors = -(-batch // width)
    n_chunks = max(1, min(vectors, max(workers, -(-batch // CHUNK_MEMBERS))))
    edges = [0, *(min(batch, round(vectors * k / n_chunks) * width) for k in range(1, n_chunks))]
    chunks = [(lo, hi) for lo, hi in itertools.pairwise([*edges, batch]) if hi > lo]
    done = np.zeros(len(chunks))
    cancel = threading.Event()

    def run(index: int, lo: int, hi: int) -> Raw:
        def report(fraction: float) -> bool:
            done[index] = fraction
            if progress(float(done.mean())):
                cancel.set()
            return cancel.is_set()

        part = {key: column[lo:hi] for key, column in columns.items()}
        chunk = Run(compiled, circuit, dt, hi - lo, part)
        _start(chunk, init)
        chunk.set_recording(recordings)
        return chunk.integrate(n_steps, record_every, None if progress is None else report, moments)

    if len(chunks) == 1:
        return [run(0, *chunks[0])]
    with ThreadPoolExecutor(min(workers, len(chunks))) as pool:
        futures = [pool.submit(run, i, lo, hi) for i, (lo, hi) in enumerate(chunks)]
        return [f.result() for f in futures]


def make_results(
    circuit: Circuit,
    parts: list[Raw],
    dt: float,
    record_every: int,
    method: str,
    precision: str,
) -> list[Result]:
    """A :class:`Result` for every member of ``parts`` (one run's chunks, in order).

    What every member shares is worked out once: the time axis (one read-only
    array), where each recorded trace goes, the units.  Per member only its traces
    (views of the chunk's recording) and spikes are filed.
    """
    first = parts[0]
    steps = np.minimum(np.arange(first.rec.shape[1]) * record_every, first.n_steps)
    t = steps.astype(np.float64) * dt
    t.flags.writeable = False
    units: dict[str, str] = {}
    routes = []  # (first column, count, element, variable, kind, population)
    column = 0
    for rec in first.recordings:
        units[f"{rec.element}.{rec.variable}"] = rec.unit
        if rec.element in circuit.neurons and rec.variable == _voltage(circuit, rec.element):
            kind = "v"
        elif rec.row < 0 and rec.current == 0:
            kind = "current"
        else:
            kind = "state"
        routes.append((column, rec, kind, circuit.size(rec.element) > 1))
        column += len(rec.members)
    per_member = column
    results = []
    for raw in parts:
        for member in range(len(raw.spikes)):
            v: dict[str, np.ndarray] = {}
            state: dict[str, dict[str, np.ndarray]] = {}
            current: dict[str, np.ndarray] = {}
            members: dict[str, np.ndarray] = {}
            base = member * per_member
            for lo, rec, kind, population in routes:
                block = raw.rec[base + lo : base + lo + len(rec.members)]
                trace = block if population else block[0]
                if population:
                    members[rec.element] = rec.members
                if kind == "current":
                    current[rec.element] = trace
                    continue
                state.setdefault(rec.element, {})[rec.variable] = trace
                if kind == "v":
                    v[rec.element] = trace
            spikes = {
                name: Spikes(*s) if isinstance(s, tuple) else s
                for name, s in raw.spikes[member].items()
            }
            result = Result(t, v, state, current, spikes, raw.events[member], dict(units), dt)
            result.method, result.precision, result.members = method, precision, members
            results.append(result)
    return results


def _voltage(circuit: Circuit, cell: str) -> str | None:
    return circuit.neurons[cell].resolved().voltage
