"""One session's workbench: the preset being tuned and every tab's model (no panel here).

A :class:`Session` belongs to one browser session (or one notebook tuner).  It
opens presets — bundled, uploaded, or the one the tuner started with — and for each
builds a fresh :class:`~neuntune.ui.state.TunerModel` and the models of the Fit,
Scan and Protocols tabs; the recorded trace (Data tab) is kept across presets.
Opening a preset also compiles the tabs' kernels for its structure in a child
process (:mod:`neuntune.ui.warm`); work started before that has finished waits for
it, saying so.  An invalid upload sets ``preset_error`` and changes nothing else.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import param

from .. import presets
from ..circuit import Circuit
from ..errors import PresetError
from ..presets import Preset
from ..protocols.coupling import gap_junctions
from . import warm
from .fitting import GapFitModel, SynapseFitModel
from .jobs import Dispatch, Job
from .metrics import electrical_connections
from .population import PairwiseCouplingModel
from .protocol_runs import SpectrumModel, SynapseProtocolModel, SynapseSettings
from .recording import DataModel
from .scanning import ScanModel
from .state import TunerModel, resolve_preset

#: The Fit, Scan and Protocols tabs' models.
TAB_MODELS = ("gap_fit", "synapse_fit", "scan", "protocol", "spectrum")
#: How presets that are not bundled are listed in the picker, by how they came.
UPLOADED = "{} (uploaded)"
OPENED = "{} (opened)"


class Session(param.Parameterized):
    """The preset being tuned (``tuner``), the picker's choices, and the tabs' models.

    ``source`` is what :func:`~neuntune.ui.state.resolve_preset` accepts (a Circuit,
    a Preset, a preset name or file, or None); ``run`` overrides its run settings
    (``t_stop``, ``dt``, ``method``).  ``warm=False`` skips compiling the tabs'
    kernels in a child process (they are compiled already); an Event says that
    someone else (the server) is compiling the first preset's and sets it when done.
    """

    tuner = param.ClassSelector(class_=TunerModel, doc="the preset being tuned")
    preset_name = param.Selector(default=None, objects=[], label="Preset")
    preset_error = param.String(default="", doc="why the last upload or pick was refused")
    warming = param.Boolean(default=False, doc="the tabs' kernels are being compiled")

    def __init__(
        self,
        source: Circuit | Preset | str | None = None,
        *,
        dispatch: Dispatch | None = None,
        warm: bool | threading.Event = True,
        **run: Any,
    ) -> None:
        super().__init__()
        self.dispatch: Dispatch = dispatch or (lambda fn: fn())
        self.data = DataModel(dispatch=self.dispatch, name="data")
        self._presets: dict[str, Preset] = {}  # uploaded (and custom) presets by picker name
        self._warmer: subprocess.Popen | None = None
        self._ready: threading.Event | None = None  # the current preset's "tabs compiled"
        self._opening = False
        self.jobs: list[Job] = []
        #: a network's pairwise-CC job on the Traces tab (None without gap junctions,
        #: or for a circuit of single cells); not one of the tabs' ``jobs``
        self.pairwise: PairwiseCouplingModel | None = None
        preset = resolve_preset(source)
        bundled = isinstance(source, str) and source in presets.names()
        label = preset.name if source is None or bundled else self._remember(preset, OPENED)
        self._open(preset, label, warm=warm, **run)
        self.param.watch(self._picked, "preset_name")

    # ---------------------------------------------------------------- presets
    def _remember(self, preset: Preset, how: str) -> str:
        """List ``preset`` in the picker (``how`` formats its name); returns its label."""
        label = how.format(preset.name)
        self._presets[label] = preset.copy()
        return label

    def _picked(self, event: param.parameterized.Event) -> None:
        if self._opening:
            return
        name = event.new
        try:
            preset = self._presets[name].copy() if name in self._presets else presets.load(name)
            self._open(preset, name)
        except (PresetError, TypeError, ValueError) as exc:
            self._opening = True
            try:
                self.preset_name = event.old
            finally:
                self._opening = False
            self.preset_error = f"{name}: {exc}"

    def upload(self, data: bytes, filename: str) -> bool:
        """Open a preset from an uploaded JSON file.  An invalid file sets
        ``preset_error`` (naming the JSON path of the problem) and leaves everything
        as it was; returns whether the preset was opened."""
        try:
            preset = presets.parse(data)
            self._open(preset, None)
        except (PresetError, TypeError, ValueError) as exc:
            self.preset_error = f"{filename}: {exc}"
            return False
        return True

    def download(self) -> tuple[str, str]:
        """(file name, JSON text) of the run shown as a preset (the values that were
        simulated: a value whose run failed is not saved); it reopens to that run."""
        preset = self.tuner.simulated_preset()
        return f"{Path(preset.name).stem or 'preset'}.json", presets.dumps(preset)

    def _open(
        self, preset: Preset, label: str | None, warm: bool | threading.Event = True, **run: Any
    ) -> None:
        """Build the models for ``preset`` and switch to them.  Raises before anything
        changes if the preset cannot be tuned."""
        tuner = TunerModel(preset, dispatch=self.dispatch, **run)
        if label is None:
            label = self._remember(preset, UPLOADED)
        ready = threading.Event()
        jobs = dict(dispatch=self.dispatch, ready=ready)
        circuit = tuner.circuit
        junctions = electrical_connections(circuit)
        # the spectrum probes one cell with a sine: junctions between single cells
        sizes = {j: {circuit.size(circuit.connections[j].pre),
                     circuit.size(circuit.connections[j].post)} for j in junctions}  # fmt: skip
        between_cells = [j for j in junctions if sizes[j] == {1}]
        settings = SynapseSettings(circuit)
        models: dict[str, Any] = {
            "gap_fit": GapFitModel(tuner, junctions, name="gap_fit", **jobs),
            "synapse_fit": SynapseFitModel(tuner, settings, self.data, name="synapse_fit", **jobs),
            "scan": ScanModel(tuner, name="scan", **jobs),
            "protocol": SynapseProtocolModel(tuner, settings, name="protocol", **jobs),
            "spectrum": SpectrumModel(tuner, between_cells, name="spectrum", **jobs),
        }
        # A network's gap junctions: the distribution of pairwise CC, measured on demand.
        pairwise = None
        if tuner.network and gap_junctions(tuner.circuit):
            pairwise = PairwiseCouplingModel(tuner, name="pairwise_cc", **jobs)
        self._close_tabs()
        self.settings = settings
        for key, model in models.items():
            setattr(self, key, model)
        self.pairwise = pairwise
        self.jobs = [*(m for m in models.values() if m is not None), self.data]
        if tuner.network:
            self._ready = ready  # the tabs compile on first use (no warm-up child)
            ready.set()
            self.warming = False
        elif isinstance(warm, threading.Event):
            self._await(warm, ready)
        elif warm:
            self._warm(tuner.to_preset(), tuner.method, ready)
        else:
            ready.set()
        # The first run starts before the views are built for it (the kernel runs
        # without the GIL): a view shows what its model has and follows it from then.
        tuner.request_run()
        self._opening = True
        try:
            self.param.preset_name.objects = [*presets.names(), *self._presets]
            self.param.update(preset_name=label, preset_error="", tuner=tuner)
        finally:
            self._opening = False

    def _warm(self, preset: Preset, method: str, ready: threading.Event) -> None:
        # A live kernel on disk is loaded by this process's first run, at once; the
        # child then compiles only the tabs', at a lower priority.
        live = not warm.live_on_disk(preset.circuit, method)
        self._warmer = child = warm.start(preset, method, live=live)
        compiled = threading.Event()
        if child is None:
            compiled.set()  # nothing a child could compile: the tabs compile on first use
        self._await(compiled, ready, child)

    def _await(
        self,
        compiled: threading.Event,
        ready: threading.Event,
        child: subprocess.Popen | None = None,
    ) -> None:
        """Show that the tabs' kernels are compiling until ``child`` exits (if given)
        or ``compiled`` is set, then set ``ready`` (what the tabs' jobs wait for)."""
        self._ready = ready
        if child is None and compiled.is_set():
            ready.set()
            self.warming = False
            return
        self.warming = True

        def wait() -> None:
            if child is not None:
                warm.wait(child)
            else:
                compiled.wait()
            ready.set()

            def done() -> None:
                if self._ready is ready:  # not since replaced by another preset's
                    self.warming = False

            self.dispatch(done)

        threading.Thread(target=wait, name="neuntune-warm", daemon=True).start()

    def _close_tabs(self) -> None:
        """Stop the current preset's work (runs, fits, scans, compiling)."""
        if self._warmer is not None and self._warmer.poll() is None:
            self._warmer.terminate()
        self._warmer = None
        if self.tuner is not None:
            self.tuner.close()
        for job in self.jobs:
            if job is not self.data:
                job.close()
        if self.pairwise is not None:
            self.pairwise.close()

    def close(self) -> None:
        """Stop everything this session runs."""
        self._close_tabs()
        self.data.close()

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until the tuner's run and every tab's work have finished."""
        jobs = [*self.jobs, *([] if self.pairwise is None else [self.pairwise])]
        return self.tuner.wait(timeout) and all(job.wait(timeout) for job in jobs)
