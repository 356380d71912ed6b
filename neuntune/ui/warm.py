"""Compile the workflow tabs' kernels for a circuit, in a separate process.

The Fit, Scan and Protocols tabs simulate circuits of their own — the coupling
protocol (stimuli replaced by probes), the coupling spectrum (a sine probe), the
chemical synapse isolated under voltage and current clamp — and each new structure
compiles for about ten seconds the first time.  Compiling in the server's process
would hold its GIL (and numba's compile lock) that long and stall every session,
so :func:`start` compiles them in a child process instead: kernels land in the
disk cache (:mod:`neuntune.engine.compiler`), and the first fit or scan only loads
them.  ``python -m neuntune.ui.warm METHOD [--tabs-only] < preset.json`` is that child.
Without ``--tabs-only`` it compiles the live run's kernel first, at full priority,
so a server can import Panel meanwhile and then load that kernel (waiting for it
if it is still compiling) instead of compiling it itself.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from ..circuit import Circuit
from ..engine.compiler import on_disk
from ..engine.run import compile_circuit
from ..errors import PresetError, SimulationError
from ..presets import Preset, dumps, parse
from ..protocols.coupling import coupling_protocol
from ..protocols.defaults import DT, METHOD
from ..protocols.spectrum import coupling_spectrum
from ..protocols.train import SynapseEvaluator
from ..simulate import simulate, simulate_batch
from .metrics import chemical_connections, coupling_cells

#: The child's flag for "leave the live kernels to the parent".
TABS_ONLY = "--tabs-only"
#: How much the child lowers its priority while compiling what nobody waits for yet.
NICE = 10


def _compile(circuit: Circuit, method: str = METHOD) -> None:
    """Compile ``circuit``'s structure for one member and for batches (fits and scans
    run batches; the engine compiles a kernel for each).  One step is enough:
    compiling depends on the structure only."""
    simulate(circuit, DT, DT, method, record="v")
    path = next(p for p in circuit.parameters() if circuit.get(p) is not None)
    simulate_batch(circuit, {path: [circuit.get(path)] * 2}, DT, DT, method, record="v")


def live_kernels(circuit: Circuit, method: str) -> None:
    """Compile (or load) what the first plot needs: ``circuit``'s live run with
    ``method`` (its batches, for scans, share the kernel)."""
    for step in _live_steps(circuit, method):
        _best_effort(step)


def live_on_disk(circuit: Circuit, method: str) -> bool:
    """Whether the live run's kernel (as :func:`live_kernels` compiles it) is in the
    disk cache already: then loading it takes a fraction of a second."""
    try:
        return on_disk(compile_circuit(circuit, method).module.kernel)
    except (SimulationError, ValueError):
        return False


def workflow_kernels(preset: Preset, method: str, live: bool = True) -> None:
    """Compile (or load from the disk cache) the kernels the tabs start with for
    ``preset``: the live run and scans with ``method`` (unless ``live`` is False:
    someone else compiles those); for gap junctions first the live CC's coupling
    protocol (every coupled cell probed, one batch: the metrics under the first plot
    need it), then the first junction's own protocol, a scan's CC of it and its
    coupling spectrum; for chemical synapses the isolated synapse, clamped and free.
    Best effort: a protocol this circuit cannot run (e.g. no resting state) is
    skipped here and reported when it is used."""
    circuit = preset.circuit
    steps = _live_steps(circuit, method) if live else []
    if circuit.is_network():  # no fits, scans, protocols or live CC of networks yet
        for step in steps:
            _best_effort(step)
        return
    cells, pairs = coupling_cells(circuit)
    if cells:
        pre, post = sorted(pairs)[0]
        steps += [
            lambda: _compile(coupling_protocol(circuit, *cells).circuit),
            lambda: _compile(coupling_protocol(circuit, pre, post).circuit),
            lambda: _compile(coupling_protocol(circuit, pre).circuit),
            lambda: coupling_spectrum(
                circuit, pre, post, [1000.0], cycles=1, settle=1.0, transient=1.0
            ),
        ]
    for name in chemical_connections(circuit):
        for clamp in (-70.0, None):
            # The preset's train for this connection (a fresh recovery stream under
            # BMTool's convention is another structure).
            protocol = preset.synapse_protocol(name, clamp=clamp)
            steps.append(
                lambda n=name, p=protocol: _compile(SynapseEvaluator(circuit, n, p).circuit)
            )
    for step in steps:
        _best_effort(step)


def _live_steps(circuit: Circuit, method: str) -> list[Callable[[], None]]:
    if circuit.is_network():
        # The population engine's kernel, as a live run uses it (no batches: networks
        # have no scans yet).
        return [lambda: simulate(circuit, DT, DT, method, record="v")]
    return [lambda: _compile(circuit, method)]


def _best_effort(step: Callable[[], None]) -> None:
    with contextlib.suppress(SimulationError, ValueError):
        step()


#: (preset JSON, method) whose kernels a child of this process compiled to the end:
#: opening the same preset again starts no child.
_compiled: set[tuple[str, str]] = set()
#: The children :func:`start` started, and what each compiles.
_children: dict[subprocess.Popen, tuple[str, str]] = {}


def start(preset: Preset, method: str, live: bool = True) -> subprocess.Popen | None:
    """Compile ``preset``'s workflow kernels in a child process (without the live
    ones if ``live`` is False); None if the preset cannot be written (a model that is
    not registered, so a child could not load it), has no tabs' kernels to compile
    (a circuit with populations: fits, scans and protocols do not run networks yet)
    or was compiled by an earlier child of this process.  Wait for the child with
    :func:`wait`."""
    if preset.circuit.is_network() and not live:
        return None
    try:
        text = dumps(preset)
    except PresetError:
        return None
    if (text, method) in _compiled:
        return None
    # Without live kernels (nothing the parent waits for) its priority is lowered
    # before its imports (~0.5 s), which would compete with the server's own.
    lower = "" if live else f"import os\nif hasattr(os, 'nice'): os.nice({NICE})\n"
    code = f"{lower}from {__name__} import main\nmain(lowered={not live})"
    child = subprocess.Popen(
        [sys.executable, "-c", code, method, *([] if live else [TABS_ONLY])],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        child.stdin.write(text)
        child.stdin.close()
    except OSError:  # the child died at once; the tabs will compile in-process instead
        pass
    _children[child] = (text, method)
    return child


def wait(child: subprocess.Popen) -> int:
    """Wait for a child :func:`start` started; its exit status.  A child that
    compiled everything (not one terminated because its preset was closed) spares
    the same preset opened again a child of its own."""
    status = child.wait()
    key = _children.pop(child, None)
    if status == 0 and key is not None:
        _compiled.add(key)
    return status


def _exit_with_parent() -> None:
    """Stop compiling once the process that wanted the kernels has gone (a server
    killed by a signal cannot terminate its children)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="neuntune-parent-watch", daemon=True).start()


def main(lowered: bool = False) -> None:
    """The child: ``lowered`` if its priority was lowered already (by :func:`start`)."""
    _exit_with_parent()
    method = sys.argv[1] if len(sys.argv) > 1 else "rk4"
    preset = parse(sys.stdin.read())
    if TABS_ONLY not in sys.argv:
        # At full priority: the parent needs this kernel first and, if it gets there
        # while this compiles it, waits for it (the compiler's lock) to load it.
        live_kernels(preset.circuit, method)
    if hasattr(os, "nice") and not lowered:
        os.nice(NICE)  # the server and the browser showing its first page come first
    workflow_kernels(preset, method, live=False)


if __name__ == "__main__":
    main()
