"""Compile the workflow tabs' kernels for a circuit, in a separate process.

The Fit, Scan and Protocols tabs simulate circuits of their own — the coupling
protocol (stimuli replaced by probes), the coupling spectrum (a sine probe), the
chemical synapse isolated under voltage and current clamp — and each new structure
compiles for about ten seconds the first time.  Compiling in the server's process
would hold its GIL (and numba's compile lock) that long and stall every session,
so :func:`start` compiles them in a child process instead: kernels land in the
disk cache (:mod:`neuntune.engine.compiler`), and the first fit or scan only loads
them.  ``python -m neuntune.ui.warm METHOD [--tabs-only] < preset.json`` is that child.
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


def start(preset: Preset, method: str, live: bool = True) -> subprocess.Popen | None:
    """Compile ``preset``'s workflow kernels in a child process (without the live
    ones if ``live`` is False); None if the preset cannot be written (a model that is
    not registered, so a child could not load it) or has no tabs' kernels to compile
    (a circuit with populations: fits, scans and protocols do not run networks yet)."""
    if preset.circuit.is_network() and not live:
        return None
    try:
        text = dumps(preset)
    except PresetError:
        return None
    child = subprocess.Popen(
        [sys.executable, "-m", __name__, method, *([] if live else [TABS_ONLY])],
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
    return child


def _exit_with_parent() -> None:
    """Stop compiling once the process that wanted the kernels has gone (a server
    killed by a signal cannot terminate its children)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="neuntune-parent-watch", daemon=True).start()


def main() -> None:
    _exit_with_parent()
    if hasattr(os, "nice"):
        os.nice(10)  # the server and the browser showing its first page come first
    method = sys.argv[1] if len(sys.argv) > 1 else "rk4"
    workflow_kernels(parse(sys.stdin.read()), method, live=TABS_ONLY not in sys.argv)


if __name__ == "__main__":
    main()
