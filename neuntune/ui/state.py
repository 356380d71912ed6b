"""The tuner's state, independent of any UI toolkit (this module never imports panel).

:class:`TunerModel` owns one copy of a circuit (with the preset it came from:
metadata, slider hints, measurements), the run settings, the latest good result
(full resolution, for CSV export) with its browser-sized traces and metrics, an
undo history (:mod:`~neuntune.ui.history`) and the values to reset to.  Simulations
(:mod:`~neuntune.ui.live_run`) run on the model's own
:class:`~neuntune.ui.runner.Runner`, so each browser session computes independently
and the UI thread never waits on numba; finished runs are handed to ``dispatch`` so
a view can apply them on its own event loop.

Latest wins: a request supersedes every earlier one.  A queued request that has
been superseded never starts, a long run that has been superseded is cancelled,
and a result older than one already shown is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import param

from .. import presets
from ..circuit import Circuit
from ..engine.methods import METHODS
from ..models.declarations import initial_parameter
from ..presets import Preset, RunSettings
from ..simulate import Result
from . import metrics as measure
from .controls import Control, mark_unsimulated
from .history import History, Snapshot, same_spec, same_value, spec_of
from .live_run import Outcome, RunRequest, plan_run, run_live
from .population import (
    NetworkMetrics,
    default_members,
    format_members,
    network_metrics,
    parse_members,
)
from .runner import Runner, Ticket
from .traces import trace_specs, traces_csv

log = logging.getLogger(__name__)

#: Run-setting keys used in history snapshots and by :meth:`TunerModel.reset`.
RUN_SETTINGS = ("t_stop", "dt", "method")
#: The run a bare circuit (or no preset at all) gets: short enough to redraw while a
#: slider moves (20 000 steps).  A preset brings its own.
LIVE_RUN = RunSettings(t_stop=200.0, dt=0.01, method="rk4")
#: How long (s) the values must rest after a run before its metrics are computed.
METRICS_AFTER = 0.1


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
        self._delivered = 0  # generation of the newest outcome applied
        self._compiled_methods: set[str] = set()
        self._shown_status = ""
        #: The values and run settings of the run shown (None before the first).
        self._shown: tuple[Circuit, dict[str, Any]] | None = None
        self._failed = 0  # generation of the newest request that failed or was refused
        self._coupling = measure.CouplingCache()
        self._runner = Runner("tuner")
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
        try:
            request = plan_run(
                self.circuit, self.t_stop, self.dt, self.method,
                precision=self.preset.run.precision, init=self.preset.run.init,
                points=self.points, specs=self.specs,
                members=self.members if self.network else None,
            )  # fmt: skip
        except (TypeError, ValueError) as exc:
            self._refuse(self._runner.supersede(), str(exc))
            return
        if self.method not in self._compiled_methods:
            self.status = f"Running with {self.method} (its first run compiles for a few seconds)…"
        self.busy = True
        self._runner.start(partial(self._job, request))

    @property
    def _requested(self) -> int:
        """Generation of the newest request (0 before the first)."""
        latest = self._runner.latest
        return 0 if latest is None else latest.generation

    def _refuse(self, ticket: Ticket, message: str) -> None:
        # Outcomes still in flight are older than this refusal: they must not hide it.
        self._delivered = ticket.generation
        self._failed = ticket.generation
        self.param.update(error=message, busy=False)

    def _job(self, request: RunRequest, ticket: Ticket) -> None:
        """Worker thread: run and hand the result over; then, once the values rest, the
        metrics (the coupling protocol takes longer than the run)."""
        outcome = run_live(request, ticket)
        if outcome is None:
            return  # superseded and cancelled: a newer run is coming
        if not outcome.error:
            self._compiled_methods.add(request.method)
        self.dispatch(partial(self._deliver, outcome))
        # Metrics wait until the values have rested a moment: while the slider moves
        # they would be superseded anyway, and their work (and the GIL it holds)
        # would slow the UI thread sending the plot and the browser drawing it.
        if not outcome.error and ticket.rest(METRICS_AFTER):
            self._measure(ticket, request.circuit, outcome.result)

    def _measure(self, ticket: Ticket, circuit: Circuit, result: Result) -> None:
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
            self.dispatch(partial(self._deliver_population_metrics, ticket.generation, found))
            return
        coupling, measured = self._coupling.measure(circuit, lambda: not ticket.current)
        metrics = measure.live_metrics(circuit, result, coupling, measured)
        self.dispatch(
            partial(
                self._deliver_metrics, ticket.generation, metrics, coupling if measured else None
            )
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
        return self._runner.wait(timeout)

    def close(self) -> None:
        """Stop the worker thread: running work is cancelled, queued work dropped."""
        self._runner.close()

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
