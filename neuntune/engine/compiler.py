"""Turn generated source into a compiled module, cached in memory and on disk.

numba cannot cache closures or ``exec``'d code to disk, so each generated module
is written as a real file named by the hash of its source, imported, and its
functions are compiled with ``cache=True``: a second process finds both the file
and numba's machine code and starts without compiling.  A kernel's first call holds
a lock file beside it, so a process that needs a kernel another is compiling (the
server and its warm-up child) waits and loads it instead of compiling it too.
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
from pathlib import Path
from types import ModuleType
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no lock, a kernel may compile in two processes at once
    fcntl = None
import llvmlite.binding as llvm
import numba
import numpy as np

PRECISIONS = ("float64", "float32")
#: Bump when generated code changes meaning without its text changing.
_ENGINE_VERSION = "5"


def cache_dir() -> Path:
    """Where generated kernels live: $NEUNTUNE_CACHE_DIR, else ~/.cache/neuntune/kernels."""
    env = os.environ.get("NEUNTUNE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "neuntune" / "kernels"


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    return precision


def load_module(source: str) -> tuple[ModuleType, Path]:
    """Import ``source`` as a module file in the cache directory (written atomically)."""
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


#: LLVM options for our compilations: (ours, LLVM's default).  A stage's loop over
#: cells reads and writes a dozen arrays (states, stage values, slopes, parameters,
#: inputs); under the default limit on runtime checks that they do not overlap, LLVM
#: keeps the loop scalar, so a batch's members would not share SIMD lanes.  The
#: vectorised loop takes 4 or 8 cells at a time; its remainder (all of a pair) then
#: runs 2 at a time instead of one by one.
_LLVM_OPTIONS = {
    "runtime-memory-check-threshold": (256, 8),
    "vectorize-memory-check-threshold": (1024, 128),
    "epilogue-vectorization-force-VF": (2, 1),
}


def _llvm_options(which: int) -> None:
    for option, values in _LLVM_OPTIONS.items():
        llvm.set_option("", f"--{option}={values[which]}")


def compiling(function: Any) -> contextlib.AbstractContextManager[None]:
    """Around the first call of numba ``function`` (which compiles it or loads it
    from the cache): its module's lock (:func:`exclusive`) and :func:`vectorising`;
    nothing around later calls (setting LLVM's options takes ~0.1 ms)."""
    return contextlib.nullcontext() if function.signatures else _first_call(function)


def on_disk(function: Any) -> bool:
    """Whether numba's disk cache has an index of machine code for ``function`` (a
    kernel that loads rather than compiles, unless the index is stale)."""
    index = getattr(
        getattr(getattr(function, "_cache", None), "_cache_file", None), "_index_path", None
    )
    return index is not None and os.path.exists(index)


@contextlib.contextmanager
def _first_call(function: Any) -> Iterator[None]:
    with exclusive(function.py_func.__globals__.get("__file__")), vectorising():
        yield


@contextlib.contextmanager
def exclusive(module_file: str | None) -> Iterator[None]:
    """Hold the lock file beside a generated module (``k_<hash>.lock``) while its
    kernel compiles or loads: one process compiles it, others (and other threads)
    wait and then load it from numba's cache.  Without a lock file (a read-only
    cache, no ``fcntl``) nothing is held."""
    if fcntl is None or module_file is None:
        yield
        return
    try:
        handle = open(Path(module_file).with_suffix(".lock"), "a")
    except OSError:
        yield
        return
    with handle:  # closing it releases the lock, also when the process dies
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


class _Vectorising:
    """The settings of :func:`vectorising`, on while any thread is inside it: a count
    under a lock, so one thread's exit cannot switch them off under another's
    compilation (nor restore a value another thread set)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.previous = False

    def enter(self) -> None:
        with self.lock:
            if self.inside == 0:
                self.previous = numba.config.SLP_VECTORIZE
                numba.config.SLP_VECTORIZE = True
                _llvm_options(0)
            self.inside += 1

    def exit(self) -> None:
        with self.lock:
            self.inside -= 1
            if self.inside == 0:
                numba.config.SLP_VECTORIZE = self.previous
                _llvm_options(1)


_VECTORISING = _Vectorising()


@contextlib.contextmanager
def vectorising() -> Iterator[None]:
    """Let LLVM vectorise our kernels while they compile: pack independent scalar work
    into SIMD lanes (numba leaves its SLP vectoriser off), and vectorise loops over
    cells behind runtime checks that their arrays do not overlap (:data:`_LLVM_OPTIONS`).

    These settings are read when a module is optimised; they are on while any thread
    is inside this block (a numba compilation elsewhere in the process meanwhile gets
    them too, which changes its speed, not its results).
    """
    _VECTORISING.enter()
    try:
        yield
    finally:
        _VECTORISING.exit()
