"""Turn generated source into compiled kernels, cached in memory and on disk.

numba cannot cache closures or ``exec``'d code to disk, so each generated
module is written as a real file named by the hash of its source, imported,
and its functions are compiled with ``cache=True``: a second process finds
both the file and numba's machine code and starts without compiling.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numba
import numpy as np

from ..circuit import Circuit
from .codegen import LANES, SPIKE_CAP, Plan, generate
from .layout import Layout
from .methods import check_method

PRECISIONS = ("float64", "float32")
#: Bump when generated code changes meaning without its text changing.
_ENGINE_VERSION = "1"


def cache_dir() -> Path:
    """Where generated kernels live: $NEUNTUNE_CACHE_DIR, else ~/.cache/neuntune/kernels."""
    env = os.environ.get("NEUNTUNE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "neuntune" / "kernels"


@dataclass
class Compiled:
    """A circuit structure's compiled functions plus its layout and event plan."""

    layout: Layout
    plan: Plan
    module: ModuleType
    path: Path
    #: batch kernels specialised to a set of varying parameter rows (see kernel_for)
    specialised: dict[frozenset[int], ModuleType] = field(default_factory=dict, repr=False)

    @property
    def dtype(self) -> type[np.floating]:
        return np.float32 if self.plan.precision == "float32" else np.float64


_MEMORY: dict[tuple, Compiled] = {}
_LOCK = threading.Lock()


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision


def compile_circuit(circuit: Circuit, method: str = "rk4", precision: str = "float64") -> Compiled:
    """Compiled kernels for ``circuit``'s structure (values are not baked in)."""
    check_method(method)
    check_precision(precision)
    if not circuit.neurons:
        raise ValueError("the circuit has no cells: add one with Circuit.add(name, model)")
    if circuit.is_network():
        raise ValueError(
            "this circuit has populations (or synapses that raise a post-cell state): "
            "nt.simulate runs it; batches, scans, fits and protocols on it are not supported yet"
        )
    # names are part of the layout (not of the generated code, which is shared by
    # every circuit of this structure through the module cache)
    key = (circuit.structure(), tuple(circuit), method, precision)
    with _LOCK:
        compiled = _MEMORY.get(key)
        if compiled is None:
            layout = Layout(circuit)
            source, plan = generate(layout, method, precision)
            module, path = _load(source)
            compiled = Compiled(layout, plan, module, path)
            _warm_up(compiled)
            _MEMORY[key] = compiled
    return compiled


def _load(source: str) -> tuple[ModuleType, Path]:
    digest = hashlib.sha256(
        (source + numba.__version__ + np.__version__ + _ENGINE_VERSION).encode()
    ).hexdigest()[:24]
    name = f"k_{digest}"
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(source)
        os.replace(tmp, path)
    # numba's cache records this name and imports it when loading, so it must be
    # the same in every process: it depends on the source only.
    module_name = f"neuntune_kernels.{name}"
    if module_name in sys.modules:
        return sys.modules[module_name], path
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module, path


@contextlib.contextmanager
def _slp_vectorize() -> Iterator[None]:
    """Let LLVM pack independent scalar work (two cells) into SIMD lanes while compiling.

    numba leaves the SLP vectoriser off by default; it is read when a module is
    optimised, so switching it on around our own compilations affects nothing else.
    """
    previous = numba.config.SLP_VECTORIZE
    numba.config.SLP_VECTORIZE = True
    try:
        yield
    finally:
        numba.config.SLP_VECTORIZE = previous


def buffers(
    compiled: Compiled, batch: int, n_records: int, n_rec: int, queue_capacity: int
) -> dict:
    """Arrays the kernel reads and writes, sized for ``batch`` members."""
    layout, plan, F = compiled.layout, compiled.plan, compiled.dtype
    n_cells = len(layout.neurons)
    n_logged = max((len(names) for _, names in plan.logged), default=0)
    queues = plan.n_queues
    return dict(
        # each member's traces contiguous; every sample gets written (run_kernel
        # checks), so np.empty: a fresh 32 MB np.zeros array took 3× as long to fill
        # here, its calloc'd pages faulting in one by one
        REC=np.empty((batch, n_rec, n_records), F),
        rec_pos=np.zeros(3, np.int64),  # next sample, steps to it, steps in the run
        SPK_T=np.zeros((batch, n_cells, SPIKE_CAP), F),
        SPK_N=np.zeros((batch, n_cells), np.int64),
        ARMED=np.ones((batch, len(plan.watchers)), np.bool_),
        QT=np.zeros((batch, queues, queue_capacity), F),
        QH=np.zeros((batch, queues), np.int64),
        QN=np.zeros((batch, queues), np.int64),
        LOG_T=np.zeros((batch, len(plan.logged), SPIKE_CAP), F),
        LOG_V=np.zeros((batch, len(plan.logged), SPIKE_CAP, max(n_logged, 1)), F),
        LOG_N=np.zeros((batch, len(plan.logged)), np.int64),
    )


def pack(compiled: Compiled, X: np.ndarray, P: np.ndarray, D: np.ndarray) -> np.ndarray:
    """The fast kernels' flat array holding X, P and D (see codegen): [block][row][lane]
    for a batch, or one member's rows with its states in ``single_order``."""
    rows = compiled.plan.packed
    if not rows:
        return np.zeros(1, compiled.dtype)
    batch = X.shape[1]
    if batch == 1:
        packed = np.zeros(rows["total"], compiled.dtype)
        packed[compiled.plan.single_order] = X[:, 0]
        packed[rows["params"] : rows["params"] + P.shape[0]] = P[:, 0]
        packed[rows["derived"] : rows["derived"] + D.shape[0]] = D[:, 0]
        return packed
    blocks = -(-batch // LANES)
    packed = np.zeros((blocks, rows["total"], LANES), compiled.dtype)
    for start, part in ((0, X), (rows["params"], P), (rows["derived"], D)):
        padded = np.zeros((part.shape[0], blocks * LANES), compiled.dtype)
        padded[:, :batch] = part
        packed[:, start : start + part.shape[0], :] = padded.reshape(
            part.shape[0], blocks, LANES
        ).transpose(1, 0, 2)
    # each cell's voltage before the step: the kernel writes it for every member, so
    # only padding lanes keep this, which keeps them out of the spike gate (codegen)
    packed[:, rows["scratch"] : rows["sums"] : 2, :] = np.inf
    return packed.ravel()


def _sum_rows(compiled: Compiled, S: np.ndarray, batch: int) -> np.ndarray:
    """A (row, block, lane) view of the packed array's sum rows (see codegen)."""
    rows = compiled.plan.packed
    n_v = len(compiled.layout.voltage_rows())
    start, stop = rows["sums"], rows["sums"] + n_v * (n_v + 2)
    if batch == 1:
        return S[start:stop].reshape(-1, 1, 1)
    blocks = -(-batch // LANES)
    return S.reshape(blocks, rows["total"], LANES)[:, start:stop, :].transpose(1, 0, 2)


def start_sums(compiled: Compiled, S: np.ndarray, X: np.ndarray) -> None:
    """Zero the sums in a packed array and give them X's voltages as first samples."""
    sums = _sum_rows(compiled, S, X.shape[1])
    sums[...] = 0.0
    for i, row in enumerate(compiled.layout.voltage_rows()):
        first = np.zeros(sums[i].size, S.dtype)
        first[: X.shape[1]] = X[row]
        sums[i] = first.reshape(sums[i].shape)


def read_sums(compiled: Compiled, S: np.ndarray, batch: int) -> np.ndarray:
    """The sums as (member, cell, [first, Σd, Σd·d_0, Σd·d_1, ...]) in float64."""
    n = len(compiled.layout.voltage_rows())
    sums = _sum_rows(compiled, S, batch)
    flat = sums.reshape(sums.shape[0], -1)[:, :batch].astype(np.float64)
    table = np.empty((batch, n, n + 2))
    table[:, :, 0] = flat[:n].T
    table[:, :, 1] = flat[n : 2 * n].T
    for i in range(n):
        for k in range(i, n):
            table[:, i, 2 + k] = table[:, k, 2 + i] = flat[2 * n + i * n + k]
    return table


def unpack_states(compiled: Compiled, S: np.ndarray, X: np.ndarray) -> None:
    """Copy the states back from a packed array into ``X`` (rows × batch)."""
    rows = compiled.plan.packed
    if not rows:
        return
    n, batch = X.shape
    if batch == 1:
        X[:, 0] = S[compiled.plan.single_order]
        return
    blocks = -(-batch // LANES)
    states = S.reshape(blocks, rows["total"], LANES)[:, :n, :]
    X[:] = states.transpose(1, 0, 2).reshape(n, blocks * LANES)[:, :batch]


def kernel_for(compiled: Compiled, batch: int, varying: frozenset[int] | None = None) -> Any:
    """The kernel for ``batch`` members: ``kernel1`` for one member of an event-free
    circuit, else ``kernel``; compiled (or loaded from disk) on first use, with the
    SLP vectoriser on.

    ``varying``: the parameter rows that differ between members, if the caller
    wants a batch kernel specialised to them (event-free circuits): every other
    parameter is then read once per call instead of once per member and step.
    Each set of rows is its own module, generated, compiled and cached on first use.
    """
    packed = bool(compiled.plan.packed)
    if batch == 1 and packed:
        fn = compiled.module.kernel1
    elif varying is not None and packed:
        fn = _specialised(compiled, varying).kernel
    else:
        fn = compiled.module.kernel
    if not fn.signatures:
        _compile(compiled, fn, batch)
    return fn


def _specialised(compiled: Compiled, varying: frozenset[int]) -> ModuleType:
    """The module whose batch kernel reads every parameter not in ``varying`` once."""
    with _LOCK:
        module = compiled.specialised.get(varying)
        if module is None:
            plan = compiled.plan
            source, _ = generate(compiled.layout, plan.method, plan.precision, varying)
            module, _ = _load(source)
            compiled.specialised[varying] = module
    return module


def _warm_up(compiled: Compiled) -> None:
    """Compile (or load from numba's disk cache) the set-up and the single-member
    kernel; the batch kernel compiles on first use, ``rhs`` likewise."""
    layout, F = compiled.layout, compiled.dtype
    P = np.zeros((layout.n_params, 1), F)
    D = np.zeros((layout.n_derived, 1), F)
    X = np.zeros((layout.n_states, 1), F)
    with _slp_vectorize():
        compiled.module.setup(X, P, D, np.ones((1, len(compiled.plan.watchers)), np.bool_))
    kernel_for(compiled, 1)


def _compile(compiled: Compiled, fn: Any, batch: int) -> None:
    """Call ``fn`` once on dummy arrays of ``batch`` members (0 steps) to compile it."""
    layout, F = compiled.layout, compiled.dtype
    P = np.zeros((layout.n_params, batch), F)
    D = np.zeros((layout.n_derived, batch), F)
    X = np.zeros((layout.n_states, batch), F)
    n_streams = len(compiled.plan.streams)
    with _slp_vectorize():
        buf = buffers(compiled, batch, 1, 1, 4)
        fn(
            X, P, D, pack(compiled, X, P, D), F(0.0), F(0.01), 0, 1, 1, buf["REC"], False,
            buf["rec_pos"], np.zeros(1, np.int64), buf["SPK_T"], buf["SPK_N"], buf["ARMED"],
            buf["QT"], buf["QH"], buf["QN"], np.zeros(1, F), np.zeros((batch, n_streams), np.int64),
            np.zeros(n_streams, np.int64), buf["LOG_T"], buf["LOG_V"], buf["LOG_N"],
        )  # fmt: skip
