"""The live tuner for a synapse on a NEURON cell: BMTool's train under voltage clamp,
redrawn while a slider moves.

``NeuronTrainTuner(session, settings)`` puts every PARAMETER of the session's point
process (or those named) on a slider with NEURON's unit, runs the 8 + 4 pulse train in
the session's worker process and shows the synaptic current and BMTool's metrics, with
the recovery the same synapse shows when pulses 9–12 come on the train's own stream.
``compat.bmtool.SynapseTuner.InteractiveTuner()`` opens it on a BMTool setup.

A change first draws a preview (dt 0.1 ms, a 50 ms settle under the clamp instead of
the protocol's), then the exact run; a newer change supersedes both.  Undo steps the
sliders back (a whole drag is one step) and Reset all returns them to the values the
page opened with, through the native tuner's history (:mod:`neuntune.ui.history`).  A
recorded clamp current (CSV, ABF, NWB: :class:`~neuntune.ui.recording.DataModel`) is
drawn over the simulated current.
"""

from __future__ import annotations

import html
import json
import threading
from functools import partial
from io import StringIO
from typing import Any

import numpy as np
import panel as pn
import param
from bokeh.core.properties import value as bokeh_value
from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from ..io import EXTRA_HINT
from ..neuron import protocols
from ..neuron.introspect import Parameter
from ..neuron.preset import NeuronPreset
from ..neuron.session import NeuronSession
from .decimate import minmax_decimate
from .dispatch import Dispatcher
from .history import History, Snapshot
from .neuron_fit import TrainFitPanel
from .neuron_runs import (
    TrainView,
    measure_train,
    open_preset,
    page,
    unless_superseded,
)
from .neuron_sweeps import SweepPanel
from .plots import TOOLS
from .protocol_runs import recovery_note
from .recording import DataModel, Recording
from .runner import Runner, Ticket
from .widgets import (
    controls_row,
    css_class,
    format_number,
    hint,
    html_pane,
    job_bar,
    status_html,
    table,
    upload_button,
)

#: BMTool's train frequencies (Hz).
FREQUENCIES = (1, 2, 5, 10, 20, 50, 100, 200)
#: The preview's step (ms) and settle before the first pulse (ms).
PREVIEW_DT = 0.1
PREVIEW_START = 50.0
#: How much of the settle before the first pulse is shown (ms).
SHOWN_BEFORE = 20.0
#: µA → pA
_PA = 1e6
#: Points of a recording sent to the browser (min/max decimated, as the native plots).
RECORDING_POINTS = 4000


def recording_overlay(recording: Recording, start: float) -> tuple[np.ndarray, np.ndarray]:
    """A recorded clamp current as the plot draws it: time from the first pulse (ms),
    the recording's first sample taken as the protocol's t = 0 (first pulse at
    ``start``, ms), and the synaptic current into the cell that the clamp balances
    (pA): the clamp current's negative, less its median over the settle shown before
    the first pulse (a holding current; none is taken off a recording that begins
    later)."""
    x = recording.t - start
    settle = recording.y[(x >= -SHOWN_BEFORE) & (x < 0.0)]
    baseline = float(np.median(settle)) if settle.size else 0.0
    x, y = minmax_decimate(x, -_PA * (recording.y - baseline), RECORDING_POINTS)
    return x, y


def slider_range(p: Parameter) -> tuple[float, float, float]:
    """A slider's (start, end, step) for a PARAMETER: 0 to 1 for a dimensionless value
    in [0, 1] (a probability such as Use; BMTool's 0–20× would reach 20), −120 to 60 mV
    for a voltage, else BMTool's 0 to 20× the value, step value/50, and −100 to 1000
    for a zero or negative one."""
    value = p.default
    if p.units in ("", "1") and 0.0 <= value <= 1.0:
        return 0.0, 1.0, 0.01
    if p.units == "mV":  # a reversal potential: the physiological range
        return min(-120.0, value), max(60.0, value), 0.5
    if value > 0:
        return 0.0, 20.0 * value, value / 50.0
    return min(value, 0.0) - 100.0, 1000.0, 1.0


class NeuronTrainTuner(pn.viewable.Viewer):
    """Sliders for the synapse's PARAMETERs, the train's synaptic current and BMTool's
    metrics, live.  ``settings``: ``protocols.train``'s keywords (start, clamp,
    netcon_delay, weight, dt, celsius); ``parameters``: the names to put on sliders
    (default: every PARAMETER).  The session is the caller's: closing the view stops
    its runs, not the session.

    :meth:`undo` and :meth:`reset` act on the sliders; a slider's changes are one
    step until its handle is released (or :meth:`checkpoint`).  ``data`` holds the
    recorded trace drawn over the plot."""

    can_undo = param.Boolean(default=False, doc="there is a change of the sliders to undo")

    def __init__(
        self,
        session: NeuronSession,
        settings: dict[str, Any],
        parameters: list[str] | None = None,
        title: str = "",
        *,
        frequency: float = 50.0,
        delay: float = 250.0,
        preset: NeuronPreset | None = None,
        owns_session: bool = False,
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = dict(settings)
        self.title = title or f"{session.point_process} on {session.spec.template}"
        self._dispatch = Dispatcher()
        self._runner = Runner("neuron-train")
        known = {p.name: p for p in session.parameters()}
        values = {**{n: p.default for n, p in known.items()}, **session.params}
        names = parameters if parameters is not None else list(known)
        self.sliders: dict[str, pn.widgets.EditableFloatSlider] = {}
        for name in names:
            p = known[name]
            low, high, step = slider_range(Parameter(name, values[name], p.units))
            unit = "" if p.units in ("", "1") else f" ({p.units})"
            slider = pn.widgets.EditableFloatSlider(
                label=f"{name}{unit}", start=low, end=high, step=step, value=values[name],
                sizing_mode="stretch_width", css_classes=[css_class(f"syn.{name}")],
            )  # fmt: skip
            slider.param.watch(partial(self._slid, name), "value")
            # Releasing the handle (or entering a value) ends one undo step.
            slider.param.watch(lambda _event: self.checkpoint(), "value_throttled")
            self.sliders[name] = slider
        self._history = History()
        self._opened = self._snapshot()  # what Reset all returns to
        self._restoring = False  # True while undo or reset moves the sliders
        self.frequency = pn.widgets.Select(
            label="Frequency (Hz)",
            options=sorted({*FREQUENCIES, frequency}),
            value=frequency,
            width=120,
        )
        self.delay = pn.widgets.FloatInput(
            label="Recovery delay (ms)", value=delay, start=0.0, step=50.0, width=150
        )
        for widget in (self.frequency, self.delay):
            widget.param.watch(self._changed, "value")
        # named for browser tests (ui.testing finds sources by name)
        self.sources = {
            stream: ColumnDataSource({"x": [], "y": []}, name=f"neuron:{stream}")
            for stream in protocols.STREAMS
        }
        self.plot = figure(
            x_range=Range1d(-SHOWN_BEFORE, 500.0),
            height=320,
            sizing_mode="stretch_width",
            tools=TOOLS,
            x_axis_label="time from the first pulse (ms)",
            y_axis_label="synaptic current into the cell (pA)",
        )
        self.plot.line(
            "x",
            "y",
            source=self.sources["single"],
            color="#999999",
            line_dash="dashed",
            legend_label="pulses 9–12 on the train's own stream",
        )
        self.plot.line("x", "y", source=self.sources["fresh"], color="#1f77b4", line_width=1.5,
                       legend_label="BMTool: pulses 9–12 on a fresh NetCon")  # fmt: skip
        # a recorded clamp current, as the synaptic current it balances; listed once loaded
        self.sources["recording"] = ColumnDataSource({"x": [], "y": []}, name="neuron:recording")
        recorded = self.plot.line("x", "y", source=self.sources["recording"], color="#222222",
                                  line_dash="dashed", legend_label="recording")  # fmt: skip
        self._recording_item = next(
            item for item in self.plot.legend.items if recorded in item.renderers
        )
        self._recording_item.visible = False
        self.plot.legend.click_policy = "hide"
        self.plot.legend.location = "center"  # the quiet middle of a train's plot
        self.metrics = html_pane(sizing_mode="stretch_width", css_classes=["nt-neuron-metrics"])
        self.status = html_pane(css_classes=["nt-neuron-status"])
        self.sweeps = SweepPanel(self)
        self.fitting = TrainFitPanel(self)
        #: The recorded trace: a clamp current, in pA unless its file says otherwise.
        self.data = DataModel(
            name="neuron_recording", dispatch=self._dispatch, value_unit="pA", quantity="current"
        )
        self.data.param.watch(self._show_recording, "recording")
        #: The file input "Upload recording…" opens (hidden: the button stands for it).
        self.upload = pn.widgets.FileInput(
            accept=".csv,.txt,.abf,.nwb", multiple=False, visible=False,
            css_classes=["nt-recording-upload"],
        )  # fmt: skip
        self.upload.param.watch(self._uploaded, "value")
        self._upload_link: Any = None  # made with the recording card
        self.latest: TrainView | None = None
        #: The preset this view came from (its Download writes it with the slider values).
        self.preset = preset
        self._owns_session = owns_session  # close the session with the view
        self._units = {name: p.units for name, p in known.items()}
        self._shown = 0  # the generation of the request whose run is shown
        self._live_thread: int | None = None  # the runner's thread, once it has run
        self._note = ""  # the single-stream recovery's line, from the last exact run
        self._layout: pn.viewable.Viewable | None = None
        self._request()

    @classmethod
    def from_preset(cls, preset: NeuronPreset) -> NeuronTrainTuner:
        """The tuner of a train NEURON preset, in a NEURON worker of its own (closed with
        the view); raises PresetError where a PARAMETER's unit is not its mod file's."""
        return open_preset(
            preset, "train",
            lambda session: cls(
                session, preset.train_settings(), preset.sliders, preset.name,
                frequency=preset.protocol["frequency"],
                delay=preset.protocol["recovery_delay"], preset=preset, owns_session=True,
            ),
        )  # fmt: skip

    def preset_text(self) -> str:
        """The preset with the values on the sliders (JSON; paths absolute, so the
        file works wherever it is saved)."""
        params = {**self.preset.cell.synapse.params, **self.session.params}
        doc = self.preset.to_dict(params, self._units)
        doc["protocol"]["frequency"]["value"] = float(self.frequency.value)
        doc["protocol"]["recovery_delay"]["value"] = float(self.delay.value)
        return json.dumps(doc, indent=2) + "\n"

    def close(self) -> None:
        """Stop this view's runs, and its NEURON worker if it started it."""
        self._runner.close()
        self.sweeps.close()
        self.fitting.close()
        self.data.close()
        if self._upload_link is not None:
            self._upload_link.unwatch()  # see widgets.upload_button
        if self._owns_session:
            self.session.close()

    # ---------------------------------------------------------- undo / reset
    def _snapshot(self) -> Snapshot:
        return Snapshot(self.slider_values(), {})

    def _slid(self, name: str, event: param.parameterized.Event) -> None:
        if self._restoring:
            return  # undo or reset moves the sliders, then runs once
        # the values before this change: the slider's old one, the others as they are
        before = partial(Snapshot, {**self.slider_values(), name: float(event.old)}, {})
        if self._history.begin(name, before):
            self.can_undo = True
        self._request()

    def checkpoint(self) -> None:
        """End the change being made: the next change is a new undo step (a slider
        drag is one step from press to release)."""
        self._history.close()

    def undo(self) -> bool:
        """Put the sliders back as they were before the last change and run them;
        False if there is nothing to undo."""
        snapshot = self._history.pop()
        if snapshot is None:
            return False
        self.can_undo = bool(self._history)
        self._restore(snapshot)
        return True

    def set_values(self, values: dict[str, float]) -> None:
        """Put ``values`` (PARAMETER → value, in its units) on the sliders as one
        undoable change and run them once; a slider's range grows to hold a value
        beyond its end (a fit's result)."""
        self._history.close()
        self._history.begin("set", self._snapshot)
        self.can_undo = True
        for name, value in values.items():
            self.sliders[name].end = max(self.sliders[name].end, value)
        self._restore(Snapshot(dict(values), {}))

    def reset(self) -> None:
        """Every slider back to the value the page opened with, and run; undoable."""
        if self._snapshot().same(self._opened):
            return
        self._history.close()  # never merged into a drag that is still open
        self._history.begin("reset", self._snapshot)
        self.can_undo = True
        self._restore(self._opened)

    def _restore(self, snapshot: Snapshot) -> None:
        self._restoring = True
        try:
            for name, value in snapshot.values.items():
                self.sliders[name].value = value
        finally:
            self._restoring = False
        self._history.close()
        self._request()

    # ---------------------------------------------------------------- recording
    def _uploaded(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.data.load(event.new, self.upload.filename or "recording")

    def _show_recording(self, _event: Any = None) -> None:
        recording = self.data.recording
        if recording is None:
            self.sources["recording"].data = {"x": [], "y": []}
            self._recording_item.visible = False
            return
        x, y = recording_overlay(recording, float(self.settings["start"]))
        self.sources["recording"].data = {"x": x, "y": y}
        # bokeh_value(): a bare string would name a column of the source
        self._recording_item.label = bokeh_value(
            f"recording: {recording.source}, {recording.label}"
        )
        self._recording_item.visible = True

    def _recording_panel(self) -> pn.viewable.Viewable:
        """Upload recording… (a button opening a hidden file input, as the native
        page's Upload preset…), the column and the units a CSV without them is in."""
        data = self.data
        choose, self._upload_link = upload_button(
            self.upload, "Upload recording…",
            "A recorded clamp current (CSV, ABF, NWB) to draw over the simulation",
            width=150, align="end",
        )  # fmt: skip
        clear = pn.widgets.Button(label="Clear", width=80, align="end")
        clear.on_click(lambda _event: data.clear())
        start = float(self.settings["start"])
        return pn.Card(
            hint(
                "A voltage-clamp recording of this synapse's train: its clamp current, "
                "negative for an EPSC (as amplifiers and NEURON's SEClamp report it), drawn "
                "as the synaptic current it balances, less the holding current before the "
                f"first pulse; its first sample is t = 0, the first pulse at {start:g} ms. "
                "CSV: time in the first column, units from the header (<code>t (s)</code>, "
                "<code>I (nA)</code>) or chosen here. ABF and NWB need their readers: "
                f"<code>{html.escape(EXTRA_HINT)}</code>."
            ),
            controls_row(
                choose,
                pn.widgets.Select.from_param(data.param.channel, label="Column / sweep", width=150),
                pn.widgets.Select.from_param(data.param.time_unit, width=110),
                pn.widgets.Select.from_param(
                    data.param.value_unit,
                    label="Current unit (CSV)",
                    options=["pA", "nA"],
                    width=130,
                ),
                clear,
                self.upload,
            ),
            job_bar(data),
            title="Recorded trace",
            sizing_mode="stretch_width",
        )

    # ------------------------------------------------------------------- runs
    def _changed(self, _event: Any) -> None:
        self._request()

    def slider_values(self) -> dict[str, float]:
        """The PARAMETERs' values on the sliders, by name (their units)."""
        return {name: float(s.value) for name, s in self.sliders.items()}

    def _request(self) -> None:
        params = self.slider_values()
        frequency, delay = float(self.frequency.value), float(self.delay.value)
        self._runner.start(lambda ticket: self._work(ticket, params, frequency, delay))
        # the run in flight is stale now: stop it rather than wait for it (a fit's or a
        # sweep's runs, made by other threads, go on)
        if self._live_thread is not None:
            self.session.cancel(self._live_thread)

    def _work(self, ticket: Ticket, params: dict, frequency: float, delay: float) -> None:
        self._live_thread = threading.get_ident()
        exact = dict(self.settings)
        preview = {
            **exact,
            "dt": max(exact["dt"], PREVIEW_DT),
            "start": min(exact["start"], PREVIEW_START),
        }
        try:
            with self.session.held():  # a sweep's set cannot come between ours and the runs
                self.session.set(**params)
                for settings, is_preview in ((preview, True), (exact, False)):
                    view = unless_superseded(
                        ticket,
                        partial(
                            measure_train, self.session, settings, frequency, delay, is_preview
                        ),
                    )
                    if view is None:
                        return  # superseded: the newer request draws
                    self._dispatch(lambda view=view: self._show(view, ticket.generation))
        except Exception as error:  # a hoc error or a stopped worker: say so, keep serving
            self._failed(f"{type(error).__name__}: {error}")

    def _failed(self, message: str) -> None:
        self._dispatch(lambda: setattr(self.status, "object", status_html(message, error=True)))

    def _show(self, view: TrainView, generation: int) -> None:
        if generation < self._shown:  # an older request's run finished late
            return
        self._shown, self.latest = generation, view
        # from just before the first pulse: the settle under the clamp is flat
        self.plot.x_range.start, self.plot.x_range.end = -SHOWN_BEFORE, float(view.t[-1])
        self.sources["fresh"].data = {"x": view.t, "y": view.fresh}
        if view.single is not None:  # a preview leaves the single stream as it was
            self.sources["single"].data = {"x": view.t, "y": view.single}
        a = view.amplitudes
        rows = [
            ["A1 (pA)", format_number(a[0])],
            ["PPR", format_number(view.ppr)],
            ["induction", format_number(view.induction)],
            ["recovery", format_number(view.recovery)],
            ["simple PPR (A2/A1)", format_number(view.simple_ppr)],
        ]
        if view.single_recovery is not None:  # a preview keeps the last run's note
            self._note = recovery_note(view.single_recovery)
        note = self._note
        self.metrics.object = table(["BMTool's metrics", ""], rows) + (
            f'<div class="nt-notes">{note}</div>' if note else ""
        )
        kind = (
            f"preview (dt {PREVIEW_DT:g} ms, BMTool's stream)" if view.preview
            else "exact: both trains"
        )  # fmt: skip
        self.status.object = status_html(f"{kind} in {1e3 * view.seconds:.0f} ms")

    # ----------------------------------------------------------------- layout
    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            extra = []
            if self.preset is not None:
                extra.append(
                    pn.widgets.FileDownload(
                        callback=lambda: StringIO(self.preset_text()),
                        filename=f"{self.preset.path.stem if self.preset.path else 'neuron'}.json",
                        label="Download preset",
                        embed=False,
                        width=150,
                    )
                )
            undo = pn.widgets.Button(
                label="Undo", disabled=self.param.can_undo.rx.not_(), width=80,
                description="Step back one change of the sliders (a whole drag is one step)",
            )  # fmt: skip
            undo.on_click(lambda _event: self.undo())
            reset_all = pn.widgets.Button(
                label="Reset all", width=90,
                description="Every slider back to the value the page opened with",
            )  # fmt: skip
            reset_all.on_click(lambda _event: self.reset())
            edits = pn.Row(undo, reset_all, sizing_mode="stretch_width", margin=0)
            self._layout = page(
                self._dispatch,
                self.title,
                [edits, *self.sliders.values(), pn.Row(self.frequency, self.delay), *extra],
                "BMTool's SynapseTuner protocol in NEURON: 8 pulses, 4 more after the recovery "
                "delay, the soma voltage-clamped.",
                [
                    pn.pane.Bokeh(self.plot, sizing_mode="stretch_width"),
                    self.metrics,
                    self.status,
                    self._recording_panel(),
                    self.fitting.panel(),
                    self.sweeps.panel(),
                ],
            )
        return self._layout
