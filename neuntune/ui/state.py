"""The tuner's state, independent of any UI toolkit (this module never imports panel).

:class:`TunerModel` owns one copy of a circuit (with the preset it came from:
metadata, slider hints, measurements), the run settings, the latest good result
(full resolution, for CSV export) with its browser-sized traces and metrics, an
undo history and the values to reset to.  Simulations run on the
model's own worker thread, one per model, so each browser session computes
independently and the UI thread never waits on numba; finished runs are handed
to ``dispatch`` so a view can apply them on its own event loop.

Latest wins: a request supersedes every earlier one.  A queued request that has
been superseded never starts, a long run that has been superseded is cancelled,
and a result older than one already shown is dropped.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import param

from .. import presets
from ..circuit import Circuit
from ..engine.methods import METHODS
from ..errors import SimulationError
from ..models.declarations import initial_parameter
from ..presets import Preset, RunSettings
from ..simulate import CancelledError, Result, check_run, simulate
from . import metrics as measure
from .controls import Control, mark_unsimulated
from .history import History, Snapshot, same_spec, same_value, spec_of
from .jobs import finished
from .population import (
    NetworkMetrics,
    default_members,
    format_members,
    network_metrics,
    network_traces,
    parse_members,
    record_plan,
)
from .traces import browser_traces, trace_specs, traces_csv

log = logging.getLogger(__name__)

#: Longest run the dashboard starts (steps): about a second or two for a small circuit,
#: so dragging stays live.  Longer requests are refused with a note.
MAX_STEPS = 5_000_000
#: Most samples kept per trace in memory (and in the CSV); longer runs record every k-th step.
MAX_SAMPLES = 200_001
#: A run still going after this long (s) is stopped, whatever else happens.
MAX_SECONDS = 20.0
#: A superseded run is cancelled once it has taken this long (s); shorter ones finish
#: and are shown, so a continuous drag still redraws instead of cancelling every run.
SUPERSEDED_AFTER = 0.25
#: Runs longer than this (steps) report progress, so they can be cancelled or stopped.
CHUNKED_AFTER = 100_000
#: How long (s) the values must rest after a run before its metrics are computed.
METRICS_AFTER = 0.1
#: Run-setting keys used in history snapshots and by :meth:`TunerModel.reset`.
RUN_SETTINGS = ("t_stop", "dt", "method")
#: The run a bare circuit (or no preset at all) gets: short enough to redraw while a
#: slider moves (20 000 steps).  A preset brings its own.
LIVE_RUN = RunSettings(t_stop=200.0, dt=0.01, method="rk4")


@dataclass(frozen=True)
class RunRequest:
    """One requested run, as the worker gets it: the values (a copy of the circuit),
    the run settings (ms), every how many steps a sample is kept, the plotted points
    per trace and, for a network, the recorded and shown members."""

    generation: int
    circuit: Circuit
    t_stop: float
    dt: float
    method: str
    record_every: int
    points: int
    record: list[str] | None = None
    members: dict[str, tuple[int, ...]] | None = None


@dataclass
class Outcome:
    """What one run produced, carried from the worker to the UI thread."""

    generation: int
    result: Result | None = None
    traces: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    error: str = ""
    note: str = ""
    status: str = ""
    #: The values and run settings that were simulated (of a run that succeeded).
    circuit: Circuit | None = None
    run: dict[str, Any] = field(default_factory=dict)


def resolve_preset(source: Circuit | Preset | str | None) -> Preset:
    """What the tuner opens: a preset (a :class:`~neuntune.Preset`, copied, or a bundled
    name or JSON file, with its own run settings), a bare Circuit (with
    :data:`LIVE_RUN`), or None: the default preset, the Neun docs' HH gap-junction
    pair, with :data:`LIVE_RUN`.  A bad preset raises :class:`~neuntune.PresetError`."""
    if source is None:
        return replace(presets.load(presets.DEFAULT), run=replace(LIVE_RUN))
    if isinstance(source, str):
        return presets.load(source)
    if isinstance(source, Preset):
        return source.copy()
    if not isinstance(source, Circuit):
        raise TypeError(f"expected a Circuit, a preset (or its name) or None, got {source!r}")
    return Preset(source.copy(), "circuit", run=replace(LIVE_RUN))


class TunerModel(param.Parameterized):
    """A circuit being tuned: values, run settings, results, undo history and defaults.

    ``circuit`` is a :class:`~neuntune.Circuit` or a :class:`~neuntune.Preset` (whose
    run settings, slider hints and metadata it takes; keyword arguments override the
    run settings).  Example::

        m = TunerModel(bundled.hh_gap_pair())
        m.set("gj.g", 0.003)          # validated; starts a run on the worker thread
        m.wait()
        m.result.spikes["a"], m.metrics.cells["a"].rate
        m.undo()                      # back to g = 0.002
        m.to_preset()                 # the current state as a preset

    ``dispatch(fn)`` decides where finished runs are applied (``fn()`` runs the update);
    the default applies them at once, on the worker thread.  A view replaces it to
    apply them on its event loop, in the order dispatched.
    """

    # No bounds here: an impossible value is refused by request_run with a message the
    # page shows, rather than by param with an exception the user never sees.
    t_stop = param.Number(default=200.0, label="t_stop (ms)", doc="length of the run")
    dt = param.Number(default=0.01, label="dt (ms)", doc="integration step")
    method = param.Selector(default="rk4", objects=list(METHODS), doc="integration method")
    points = param.Integer(
        default=2000, bounds=(100, 20000), doc="samples per plotted line sent to the browser"
    )

    result = param.ClassSelector(
        class_=Result, default=None, allow_None=True, doc="latest good run, full resolution"
    )
    traces = param.Dict(default={}, doc="browser-sized traces of `result`, by TraceSpec key")
    ghost = param.Dict(default={}, doc="traces shown before the current change began")
    metrics = param.ClassSelector(
        class_=measure.LiveMetrics, default=None, allow_None=True,
        doc="spike counts, rates, coupling, synchrony and synaptic responses",
    )  # fmt: skip
    error = param.String(default="", doc="why the last request produced no new result")
    note = param.String(default="", doc="what the shown result leaves out (e.g. decimation)")
    status = param.String(default="", doc="what the shown result is: run length, step, method")
    busy = param.Boolean(default=False, doc="a requested run has not been shown yet")
    members = param.Dict(default={}, doc="network: member indices shown, by population")
    population_metrics = param.ClassSelector(
        class_=NetworkMetrics, default=None, allow_None=True, doc="network: rates, CV, χ"
    )
    can_undo = param.Boolean(default=False, doc="there is a change to undo")

    def __init__(
        self,
        circuit: Circuit | Preset,
        *,
        dispatch: Callable[[Callable[[], None]], None] | None = None,
        **params: Any,
    ) -> None:
        if isinstance(circuit, Preset):
            preset = circuit.copy()  # this model's own: other sessions never see its values
            for key in RUN_SETTINGS:
                params.setdefault(key, getattr(preset.run, key))
        elif isinstance(circuit, Circuit):
            preset = Preset(circuit.copy(), "circuit")
        else:
            raise TypeError(f"TunerModel: expected a Circuit or a Preset, got {circuit!r}")
        super().__init__(**params)
        self.param.update(traces={}, ghost={})
        self.preset = preset  # metadata, hints and measurements; its circuit is the tuned one
        self.circuit = preset.circuit
        self.hints = {slider.path: slider for slider in preset.sliders}
        self.dispatch = dispatch or (lambda fn: fn())
        #: A circuit with populations: raster, rates and chosen members instead of traces.
        self.network = self.circuit.is_network()
        self.specs = [] if self.network else trace_specs(self.circuit)
        self.members = default_members(self.circuit) if self.network else {}
        self.controls: dict[str, Control] = {
            path: self._make_control(path) for path in self.circuit.parameters()
        }
        self._settings = self._run_settings()
        self._defaults = self._snapshot()
        self._history = History()
        self._restoring = False
        self._requested = 0  # generation of the newest request (written by the UI thread only)
        self._delivered = 0  # generation of the newest outcome applied
        self._compiled_methods: set[str] = set()
        self._shown_status = ""
        #: The values and run settings of the run shown (None before the first).
        self._shown: tuple[Circuit, dict[str, Any]] | None = None
        self._failed = 0  # generation of the newest request that failed or was refused
        self._coupling = measure.CouplingCache()
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._closed = False
        self._wake = threading.Event()  # set by each request; interrupts the metrics wait
        self.param.watch(self._settings_changed, list(RUN_SETTINGS))

    # ------------------------------------------------------------------ structure
    def _make_control(self, path: str) -> Control:
        _, model, name = self.circuit.resolve(path)
        decl = model.parameter_table()[name]
        # circuit.get: one value per member where members differ (the control says so)
        return Control(path, decl, self.circuit.get(path), self._propose, self.hints.get(path))

    def groups(self) -> list[tuple[str, str, list[str], list[str]]]:
        """Per element: (name, title, parameter paths, initial-value paths)."""
        out = []
        for name in self.circuit:
            model = self.circuit.element(name)
            kind = type(model).__name__
            if name in self.circuit.neurons:
                title = f"cell {name} · {kind}"
            elif name in self.circuit.connections:
                conn = self.circuit.connections[name]
                title = f"{name} · {kind} {conn.pre} → {conn.post}"
            else:
                title = f"{name} · {kind} into {self.circuit.stimuli[name].target}"
            initial = {initial_parameter(s) for s in model.states}
            paths = [f"{name}.{p}" for p in model.parameter_table()]
            out.append(
                (
                    name,
                    title,
                    [p for p in paths if p.rsplit(".", 1)[1] not in initial],
                    [p for p in paths if p.rsplit(".", 1)[1] in initial],
                )
            )
        return out

    # --------------------------------------------------------------------- values
    def get(self, path: str) -> float | None:
        """Current value at ``path`` (declared unit)."""
        return self.circuit.get(path)

    def set(self, path: str, value: float | None) -> None:
        """Set ``path`` to ``value`` as one undoable change and re-run.

        Raises ``KeyError``, ``TypeError`` or ``ValueError`` (naming the allowed
        range) without changing anything.
        """
        self._apply(path, value, final=True)

    def checkpoint(self) -> None:
        """End the change being made: the next change is a new undo step (a slider
        drag is one step from press to release)."""
        if self._history.open in self.controls:
            self.controls[self._history.open].echo(self.circuit.get(self._history.open))
        self._history.close()

    def _propose(self, path: str, value: float | None, final: bool) -> None:
        """A control's value from a widget: applied, or refused with a message."""
        try:
            self._apply(path, value, final)
        except (TypeError, ValueError) as exc:
            self.controls[path].echo(self.circuit.get(path))
            self.error = self.controls[path].refusal(value, exc)

    def set_many(self, values: Mapping[str, float | None]) -> None:
        """Set several values as one undoable change (a fit's result, a scan's point)
        and re-run.  Every value is validated first: if one is refused (``KeyError``,
        ``TypeError``, ``ValueError``) nothing changes."""
        checked = {path: self._validate(path, value) for path, value in values.items()}
        changed = {path: v for path, v in checked.items() if not self._holds(path, v)}
        if not changed:
            return
        self._history.close()  # never merged into a slider drag that is still open
        self._begin("set:" + ",".join(changed))
        for path, value in changed.items():
            self.circuit.set(path, value)
            self.controls[path].echo(value)
            self.controls[path].mark = ""
        self._history.close()
        self.request_run()

    def _validate(self, path: str, value: float | None) -> float | None:
        _, model, name = self.circuit.resolve(path)
        return model.parameter_table()[name].validate(path, value)

    def _holds(self, path: str, value: float | None) -> bool:
        """Whether every member's value at ``path`` already is ``value``."""
        return same_value(self.circuit.get(path), value)

    def _apply(self, path: str, value: float | None, final: bool) -> None:
        checked = self._validate(path, value)
        changed = not self._holds(path, checked)
        if changed:
            self._begin(path)
            self.circuit.set(path, checked)
            self.controls[path].mark = ""
        # While a slider moves its entry follows a few times a second (updating it at
        # every step would cost the browser a re-render each), and on release.
        control = self.controls[path]
        control.echo(checked, entry=final or control.entry_due())
        if final:
            self._history.close()
        if changed:
            self.request_run()

    def _run_settings(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in RUN_SETTINGS}

    def _settings_changed(self, *events: param.parameterized.Event) -> None:
        if self._restoring:
            return
        self._begin("run." + ",".join(e.name for e in events))
        self._settings = self._run_settings()
        self._history.close()  # typed or picked, never dragged: each change is its own step
        self.request_run()

    # -------------------------------------------------------------- undo / reset
    def _snapshot(self) -> Snapshot:
        return Snapshot(
            {path: spec_of(self.circuit, path) for path in self.controls}, dict(self._settings)
        )

    def _begin(self, key: str) -> None:
        """Record the state before a change to ``key``, unless it continues the open one."""
        if self._history.begin(key, self._snapshot):
            # The ghost shows the last run before this change, for comparison while tuning.
            self.param.update(ghost=self.traces, can_undo=True)

    def _restore(self, snapshot: Snapshot) -> None:
        self._restoring = True
        try:
            for path, value in snapshot.values.items():
                self.circuit.set(path, value)
                self.controls[path].echo(self.circuit.get(path))
                self.controls[path].mark = ""
            self.param.update(snapshot.run)
            self._settings = dict(snapshot.run)
        finally:
            self._restoring = False
        self._history.close()
        self.request_run()

    def undo(self) -> bool:
        """Step back one change (a whole slider drag is one); False if there is none."""
        snapshot = self._history.pop()
        if snapshot is None:
            return False
        self.param.update(ghost=self.traces, can_undo=bool(self._history))
        self._restore(snapshot)
        return True

    def reset(self, path: str | None = None) -> None:
        """Return ``path`` (a parameter path or "t_stop", "dt", "method"), or everything
        if None, to the value the tuner started with.  Undoable."""
        if path is None:
            if not self._snapshot().same(self._defaults):
                self._begin("reset")
                self._restore(self._defaults)
        elif path in RUN_SETTINGS:
            setattr(self, path, self._defaults.run[path])
        elif not isinstance(default := self._defaults.values[path], float | int | None):
            # Members differed at the start: bring their values (or distribution) back.
            if not same_spec(spec_of(self.circuit, path), default):
                self._history.close()
                self._begin(f"reset:{path}")
                self.circuit.set(path, default)
                self.controls[path].echo(self.circuit.get(path))
                self._history.close()
                self.request_run()
        else:
            self.set(path, default)

    def default(self, path: str) -> Any:
        """The value ``path`` had when the tuner started."""
        if path in RUN_SETTINGS:
            return self._defaults.run[path]
        return self._defaults.values[path]

    # ------------------------------------------------------------------- running
    def request_run(self) -> None:
        """Simulate the current values on the worker thread (superseding older requests).

        Settings the budget cannot afford are refused here, with a message in
        ``error``; the last good result stays.
        """
        self._requested += 1
        generation = self._requested
        try:
            t_stop, dt, _, n_steps = check_run(self.t_stop, self.dt)
        except (TypeError, ValueError) as exc:
            self._refuse(generation, str(exc))
            return
        if n_steps > MAX_STEPS:
            self._refuse(
                generation,
                f"Not run: t_stop/dt = {n_steps:,} steps is over the dashboard's budget of "
                f"{MAX_STEPS:,} steps per run. Shorten t_stop or raise dt "
                f"(e.g. dt = {math.ceil(1000 * t_stop / MAX_STEPS) / 1000:g} ms); "
                "the plot shows the last run.",
            )
            return
        record_every = max(1, math.ceil(n_steps / (MAX_SAMPLES - 1)))
        record = None
        if self.network:
            plan = record_plan(self.circuit, self.members, n_steps, MAX_SAMPLES)
            record, record_every = plan.record, plan.record_every
        request = RunRequest(
            generation, self.circuit.copy(), t_stop, dt, self.method, record_every,
            self.points, record, dict(self.members),
        )  # fmt: skip
        if self.method not in self._compiled_methods:
            self.status = f"Running with {self.method} (its first run compiles for a few seconds)…"
        self.busy = True
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="neuntune-tuner")
        self._future = self._executor.submit(self._job, request)
        self._wake.set()  # a worker waiting to compute metrics: they are superseded

    def _refuse(self, generation: int, message: str) -> None:
        # Outcomes still in flight are older than this refusal: they must not hide it.
        self._delivered = generation
        self._failed = generation
        self.param.update(error=message, busy=False)

    def _job(self, request: RunRequest) -> None:
        """Worker thread: run and hand the result over; then, once the values rest, the
        metrics (the coupling protocol takes longer than the run)."""
        generation, circuit = request.generation, request.circuit
        if generation != self._requested or self._closed:
            return  # superseded while queued
        first_call: list[float] = []  # when the kernel first reported progress

        def cancel(_fraction: float) -> bool:
            # Timed from the first progress report, i.e. once the kernels are compiled:
            # a first-use compile takes seconds but is not the run's fault.
            now = time.monotonic()
            if not first_call:
                first_call.append(now)
            elapsed = now - first_call[0]
            # A network's sliders request runs on release only: nothing to show while
            # dragging, so a superseded network run stops at once.
            patience = 0.0 if self.network else SUPERSEDED_AFTER
            superseded = generation != self._requested and elapsed >= patience
            return self._closed or superseded or elapsed > MAX_SECONDS

        try:
            outcome = self._compute(request, cancel)
        except CancelledError:
            if generation != self._requested or self._closed:
                return
            outcome = Outcome(
                generation,
                error=f"Stopped: the run took longer than {MAX_SECONDS:g} s. "
                "Shorten t_stop or raise dt; the plot shows the last run.",
            )
        except SimulationError as exc:
            outcome = Outcome(generation, error=f"{exc} The plot shows the last good run.")
        except (TypeError, ValueError) as exc:
            outcome = Outcome(generation, error=str(exc))
        except Exception as exc:  # a bug must not kill the session's worker silently
            log.exception("tuner run failed")
            outcome = Outcome(generation, error=f"Internal error ({type(exc).__name__}: {exc}).")
        else:
            self._compiled_methods.add(request.method)
        self.dispatch(partial(self._deliver, outcome))
        if outcome.error:
            return
        # Metrics wait until the values have rested a moment: while the slider moves
        # they would be superseded anyway, and their work (and the GIL it holds)
        # would slow the UI thread sending the plot and the browser drawing it.
        self._wake.clear()
        if generation == self._requested:
            self._wake.wait(METRICS_AFTER)
        if generation == self._requested and not self._closed:
            self._measure(generation, circuit, outcome.result)

    def _measure(self, generation: int, circuit: Circuit, result: Result) -> None:
        """Worker thread, after the plot: metrics, in a second update.

        The coupling protocol runs only for the newest values: when a newer request
        arrives it is abandoned and the metrics keep the last CC, marked as being
        re-measured.  A network gets its population metrics instead.
        """
        if self.network:
            try:
                found = network_metrics(result, circuit)
            except Exception:  # a bug must not kill the session's worker silently
                log.exception("tuner population metrics failed")
                return
            self.dispatch(partial(self._deliver_population_metrics, generation, found))
            return
        coupling, measured = self._coupling.measure(
            circuit, lambda: self._closed or generation != self._requested
        )
        metrics = measure.live_metrics(circuit, result, coupling, measured)
        self.dispatch(
            partial(self._deliver_metrics, generation, metrics, coupling if measured else None)
        )

    def _compute(self, request: RunRequest, cancel: Callable[[float], bool]) -> Outcome:
        circuit, t_stop, dt, method = request.circuit, request.t_stop, request.dt, request.method
        record_every, points = request.record_every, request.points
        # Short runs go to the kernel in one call: with a progress callback it would
        # stop every 2000 steps to take the GIL back, and each time wait for the UI
        # thread.  Only runs long enough to need cancelling pay for that.
        # A network's run is long whatever its step count: it can always be cancelled.
        chunked = self.network or math.ceil(t_stop / dt) > CHUNKED_AFTER
        progress = cancel if chunked else None
        result = simulate(
            circuit, t_stop, dt, method, self.preset.run.precision, record=request.record,
            record_every=record_every, init=self.preset.run.init, progress=progress,
        )  # fmt: skip
        if self.network:
            traces = network_traces(result, circuit, request.members or {}, points)
        else:
            traces = browser_traces(result, self.specs, points)
        note = ""
        if record_every > 1:
            note = (
                f"Long run: {len(result.t):,} samples kept per trace (1 step in {record_every}, "
                f"{record_every * dt:g} ms apart) for plots and CSV; spikes are still located "
                "at every step."
            )
        # No timing in the status: text that changed on every run would cost a page update.
        status = f"{t_stop:g} ms at dt {dt:g} ms ({method})"
        run = {"t_stop": t_stop, "dt": dt, "method": method}
        return Outcome(
            request.generation,
            result,
            traces,
            note=note,
            status=status,
            circuit=circuit,
            run=run,
        )

    def _deliver(self, outcome: Outcome) -> None:
        """Apply a finished run (on the UI thread when a view dispatches it)."""
        if outcome.generation <= self._delivered:
            return  # something newer is already shown
        self._delivered = outcome.generation
        updates: dict[str, Any] = {"busy": outcome.generation != self._requested}
        if outcome.error:
            updates.update(error=outcome.error, status=self._shown_status)
            self._failed = outcome.generation
            if self._shown is not None:
                mark_unsimulated(self.controls, self.circuit, self._shown[0])
        else:
            self._shown_status = outcome.status
            self._shown = (outcome.circuit, outcome.run)
            for control in self.controls.values():
                control.mark = ""
            updates.update(
                result=outcome.result,
                traces=outcome.traces,
                error="",
                note=outcome.note,
                status=outcome.status,
            )
        self.param.update(updates)

    def _deliver_metrics(
        self,
        generation: int,
        metrics: measure.LiveMetrics,
        coupling: measure.CouplingResult | None,
    ) -> None:
        """Show the metrics of run ``generation`` if that run is the one shown."""
        if generation != self._delivered:
            return
        if coupling is not None:
            self._coupling.shown = coupling
        self.metrics = metrics

    def _deliver_population_metrics(self, generation: int, metrics: NetworkMetrics) -> None:
        """Show a network run's metrics if that run is the one shown."""
        if generation == self._delivered:
            self.population_metrics = metrics

    # ------------------------------------------------------------------ members
    def show_members(self, population: str, members: str | list[int] | tuple[int, ...]) -> None:
        """Show the voltages of ``members`` of ``population`` (indices, or text such as
        "0, 1, 5-7") and re-run to record them.  A bad choice sets ``error`` and
        changes nothing.  Not an undo step: it changes what is shown, not the circuit."""
        if population not in self.members:
            raise KeyError(f"{population!r} is not a population with a voltage")
        text = members if isinstance(members, str) else format_members(tuple(members))
        try:
            chosen = parse_members(text, self.circuit.size(population), population)
        except ValueError as exc:
            self.error = str(exc)
            return
        if chosen == self.members[population]:
            return
        self.members = {**self.members, population: chosen}
        self.request_run()

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Block until the latest requested run has finished; False on timeout."""
        return finished(self._future, timeout)

    def close(self) -> None:
        """Stop the worker thread: running work is cancelled, queued work dropped."""
        self._closed = True
        self._wake.set()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # -------------------------------------------------------------------- export
    def to_preset(self) -> Preset:
        """The current state as a preset: every value and the run settings, with the
        metadata, slider hints and measurements of the preset the tuner opened.
        ``presets.dumps(m.to_preset())`` reopens to the same state."""
        preset = self.preset.copy()
        preset.circuit = self.circuit.copy()
        preset.run = replace(preset.run, t_stop=self.t_stop, dt=self.dt, method=self.method)
        return preset

    def simulated_preset(self) -> Preset:
        """What Download preset saves: the values and run settings simulated (or being
        simulated), never ones whose run failed or was refused.  :meth:`to_preset`
        (the current state), unless the newest request failed: then the run shown,
        with this tuner's metadata, hints and measurements (the controls whose values
        it lacks are marked)."""
        if self._shown is None or self._failed != self._requested:
            return self.to_preset()
        circuit, run = self._shown
        preset = self.preset.copy()
        preset.circuit = circuit.copy()
        preset.run = replace(preset.run, **run)
        return preset

    def csv(self) -> str:
        """The latest good run at full resolution as CSV, units in the header (a
        population's recorded members one column each: ``wb[3].v``); "" before one."""
        return "" if self.result is None else traces_csv(self.result)
