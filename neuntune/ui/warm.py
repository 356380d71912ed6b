"""Compile the workflow tabs' kernels for a circuit, in a separate process.

The Fit, Scan and Protocols tabs simulate circuits of their own — the coupling
protocol (stimuli replaced by probes), the coupling spectrum (a sine probe), the
chemical synapse isolated under voltage and current clamp — and each new structure
compiles for about ten seconds the first time.  Compiling in the server's process
would hold its GIL (and numba's compile lock) that long and stall every session,
so :func:`start` compiles them in a child process instead: kernels land in the
disk cache (:mod:`neuntune.engine.compiler`), and the first fit or scan only loads
them.  ``python -m neuntune.ui.warm METHOD < preset.json`` is that child.
"""

from __future__ import annotations

import subprocess
import sys

from ..circuit import Circuit
from ..errors import PresetError, SimulationError
from ..fit import coupling_spectrum
from ..fit.protocols import coupling_protocol
from ..fit.synapse import SynapseEvaluator, SynapseProtocol
from ..presets import Preset, dumps, parse
from ..simulate import simulate, simulate_batch
from .metrics import CC_DT, CC_METHOD, chemical_connections, coupling_cells


def _compile(circuit: Circuit, method: str = CC_METHOD) -> None:
    """Compile ``circuit``'s structure for one member and for batches (fits and scans
    run batches; the engine compiles a kernel for each).  One step is enough:
    compiling depends on the structure only."""
    simulate(circuit, CC_DT, CC_DT, method, record="v")
    path = next(p for p in circuit.parameters() if circuit.get(p) is not None)
    simulate_batch(circuit, {path: [circuit.get(path)] * 2}, CC_DT, CC_DT, method, record="v")


def workflow_kernels(circuit: Circuit, method: str) -> None:
    """Compile (or load from the disk cache) the kernels the tabs start with for
    ``circuit``: the live run and scans with ``method``; for gap junctions the
    coupling protocol with every coupled cell probed (the live CC; a pair's gap fit),
    the first junction's own protocol, a scan's CC of it and its coupling spectrum;
    for chemical synapses the isolated synapse, clamped and free.  Best effort: a
    protocol this circuit cannot run (e.g. no resting state) is skipped here and
    reported when it is used."""
    steps = [lambda: _compile(circuit, method)]
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
            protocol = SynapseProtocol(clamp=clamp)
            steps.append(
                lambda n=name, p=protocol: _compile(SynapseEvaluator(circuit, n, p).circuit)
            )
    for step in steps:
        try:
            step()
        except (SimulationError, ValueError):
            continue


def start(preset: Preset, method: str) -> subprocess.Popen | None:
    """Compile ``preset``'s workflow kernels in a child process; None if the preset
    cannot be written (a model that is not registered, so a child could not load it)."""
    try:
        text = dumps(preset)
    except PresetError:
        return None
    child = subprocess.Popen(
        [sys.executable, "-m", __name__, method],
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


def main() -> None:
    workflow_kernels(parse(sys.stdin.read()).circuit, sys.argv[1] if len(sys.argv) > 1 else "rk4")


if __name__ == "__main__":
    main()
