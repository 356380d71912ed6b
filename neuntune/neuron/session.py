"""A cell in NEURON, driven from this process through a worker process (worker.py).

``NeuronSession(spec)`` compiles the spec's mod files (or finds them in the cache),
starts a worker, loads the mechanisms and templates there and builds the cell.  Every
call has a timeout; a worker that stops (a crash, a kill, a timeout) gives a
``WorkerError``, and the next call starts a new one with the same spec and parameters.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from neuntune.neuron.introspect import Parameter, Section
from neuntune.neuron.mechanisms import CompiledMechanisms, compile_mechanisms
from neuntune.neuron.spec import CellSpec, RunSpec, SpecError, check_params
from neuntune.neuron.worker import _HEADER, write_message

# The worker imports neuntune.neuron without neuntune's own __init__ (numba, scipy,
# analysis: ~0.4 s and 70 MB per process), by registering a bare package first.
_PACKAGE = str(Path(__file__).resolve().parent.parent)
_BOOTSTRAP = f"""\
import sys, types
package = types.ModuleType("neuntune")
package.__path__ = [{_PACKAGE!r}]
sys.modules["neuntune"] = package
from neuntune.neuron.worker import main
main()
"""
#: Lines of the worker's stderr quoted in an error.
_TAIL = 12


class RunCancelled(RuntimeError):
    """A run stopped by :meth:`NeuronSession.cancel` (its results were not kept)."""


class WorkerError(RuntimeError):
    """A NEURON call failed: hoc raised an error (the worker goes on), or the worker
    stopped or timed out (the next call starts a new one)."""


def _stop(proc: subprocess.Popen[bytes], cwd: str) -> None:
    """End a worker: close its stdin (it exits), kill it if it does not."""
    if proc.poll() is None:
        try:
            proc.stdin.close()
            proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
    else:
        proc.stdin.close()
    proc.stdout.close()
    shutil.rmtree(cwd, ignore_errors=True)


class NeuronSession:
    """One cell (``spec``) in its own NEURON process.

    ``timeout`` (s) bounds each call; ``cache_dir`` is where compiled mechanisms live
    (see ``compile_mechanisms``).  Raises ``SpecError`` for a missing path, an unknown
    template, a ``sec_id`` out of range or an unknown parameter, and
    ``MechanismBuildError`` when the mod files do not compile.  Thread-safe: calls from
    several threads take turns.
    """

    def __init__(
        self,
        spec: CellSpec,
        *,
        timeout: float = 60.0,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        spec.check_paths()
        self.spec = spec
        self.timeout = timeout
        self.mechanisms: CompiledMechanisms = compile_mechanisms(spec.mechanisms, cache_dir)
        self._params = dict(spec.synapse.params) if spec.synapse is not None else {}
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None
        # the worker's stderr (NEURON's messages), shared by its successors; errors
        # quote what a call added to it
        self._log = tempfile.TemporaryFile()
        self.templates: tuple[str, ...] = ()
        self.sections: tuple[Section, ...] = ()
        self.point_process = ""
        self._closed = False
        self._caller: int | None = None  # the thread whose call is in flight
        try:
            with self._lock:
                self._start()
        except BaseException:
            self.close()
            raise

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """This session to the calling thread alone for the block: other threads' calls
        wait, so a ``set`` and the runs that measure it are not split by another
        thread's ``set`` (each call takes the same re-entrant lock on its own)."""
        with self._lock:
            yield

    @property
    def pid(self) -> int | None:
        """The worker's process id, None when none is running."""
        return self._proc.pid if self._proc is not None else None

    @property
    def params(self) -> dict[str, float]:
        """The synapse's PARAMETERs set so far (the spec's and ``set``'s), by name."""
        return dict(self._params)

    def set(self, **params: float) -> None:
        """Set PARAMETERs of the synapse (in its units); unknown names raise SpecError
        and set nothing."""
        params = check_params(params)
        with self._lock:  # the worker's values and ours change together
            self._call("set", params)
            self._params.update(params)

    def parameters(self, mechanism: str | None = None) -> list[Parameter]:
        """The PARAMETERs of a mechanism (default: the synapse's point process) with their
        defaults and NEURON's units, as the loaded mod files declare them."""
        return self._call("parameters", mechanism)

    def run(self, run: RunSpec) -> dict[str, np.ndarray]:
        """Run once; returns ``"t"`` (ms) and each of ``run.record``."""
        return self._call("run", run)

    def cancel(self, thread: int | None = None) -> None:
        """Stop the run in flight (it raises RunCancelled in its caller within one chunk
        of steps), if there is one and, given ``thread`` (an ident), that thread made
        it.  Never blocks: it signals the worker without taking the session's lock."""
        proc, caller = self._proc, self._caller
        if proc is None or caller is None or (thread is not None and caller != thread):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGUSR1)

    def close(self) -> None:
        """Stop the worker (idempotent)."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._proc = self._finalizer = None
            self._closed = True
            self._log.close()

    def __enter__(self) -> NeuronSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        cwd = tempfile.mkdtemp(prefix="neuntune-neuron-")  # NEURON loads ./x86_64 if any
        env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=cwd,
            env=env,
        )
        self._finalizer = weakref.finalize(self, _stop, self._proc, cwd)
        try:
            files = [str(path) for path in self.spec.template_files()]
            self.templates = tuple(self._request("load", str(self.mechanisms.library), files))
            built = self._request("build", self.spec, self._params)
        except BaseException:
            if self._finalizer is not None:  # a worker without its cell serves no one
                self._finalizer()
            self._proc = None
            raise
        self.sections = tuple(built["sections"])
        self.point_process = built["point_process"]

    def _call(self, operation: str, *args: Any) -> Any:
        with self._lock:
            if self._closed:
                raise WorkerError("this NeuronSession is closed")
            if self._proc is not None and self._proc.poll() is not None:
                self._finalizer()  # it died between calls: nothing was lost, start anew
                self._proc = None
            if self._proc is None:
                self._start()
            return self._request(operation, *args)

    def _request(self, operation: str, *args: Any) -> Any:
        proc = self._proc
        log_start = os.fstat(self._log.fileno()).st_size
        try:
            self._caller = threading.get_ident() if operation == "run" else None
            write_message(proc.stdin, (operation, args))
            reply = self._receive(proc, operation)
        except (BrokenPipeError, EOFError):
            rc = proc.wait()
            self._finalizer()
            self._proc = None
            how = f"killed by signal {signal.Signals(-rc).name}" if rc < 0 else f"exit {rc}"
            raise WorkerError(
                f"the NEURON process stopped ({how}) during {operation!r}; "
                f"the next call starts a new one{self._stderr(log_start)}"
            ) from None
        finally:
            self._caller = None
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "cancelled":
            raise RunCancelled(f"the run was cancelled ({operation!r})")
        if reply[0] == "spec":
            raise SpecError(*reply[1:])
        raise WorkerError(f"NEURON failed in {operation!r}: {reply[1]}{self._stderr(log_start)}")

    def _receive(self, proc: subprocess.Popen[bytes], operation: str) -> Any:
        """Read one reply within the timeout; EOFError when the worker has gone."""
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + self.timeout
        data = bytearray()
        size = None
        while size is None or len(data) < _HEADER.size + size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                proc.kill()
                self._finalizer()
                self._proc = None
                raise WorkerError(
                    f"NEURON took longer than {self.timeout:g} s on {operation!r}; its "
                    "process was stopped and the next call starts a new one"
                )
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise EOFError
            data += chunk
            if size is None and len(data) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(data)
        return pickle.loads(data[_HEADER.size :])

    def _stderr(self, start: int) -> str:
        """What the worker wrote to stderr since ``start``, last lines, for a message."""
        end = os.fstat(self._log.fileno()).st_size
        text = os.pread(self._log.fileno(), end - start, start).decode(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()][-_TAIL:]
        return "\nNEURON said:\n" + "\n".join(lines) if lines else ""
