"""The workbench's tabs — Scan, Protocols, Data, and what they share with the Fit tab
(:mod:`neuntune.ui.fit_panel`) — as views of a session's models.

Each panel is built for one preset (the Data tab's for the whole session) from the
models in :class:`~neuntune.ui.session.Session`; it binds widgets to their
parameters and redraws its plots in place when a job delivers a result.  Every
long-running action has a progress bar and a Cancel button (:func:`job_bar`); the
tuner's sliders stay live meanwhile.
"""

from __future__ import annotations

import html
from io import StringIO
from typing import Any

import numpy as np
import panel as pn
import param

from ..io import EXTRA_HINT
from .plots import ScanPlot, XYPlot
from .protocol_runs import SynapseSettings, recovery_note
from .recording import DataModel
from .scanning import NONE
from .session import Session
from .widgets import (
    controls_row,
    format_number,
    hint,
    html_pane,
    job_bar,
    response_table,
)

#: Display factors for a response: currents in pA, voltages in mV.
RESPONSE_DISPLAY = {"uA": ("pA", 1e6), "mV": ("mV", 1.0)}


def warming_note(session: Session) -> pn.pane.Alert:
    """Says that the tabs' kernels are being compiled for this circuit."""
    return pn.pane.Alert(
        "Compiling this circuit's fit, scan and protocol kernels in the background "
        "(first use of its structure, about 10 s per kernel); work started meanwhile waits.",
        alert_type="info",
        visible=session.param.warming,
        sizing_mode="stretch_width",
    )


def synapse_settings(settings: SynapseSettings) -> pn.FlexBox:
    """The isolated synapse's protocol: connection, clamp mode, holding level, frequency."""
    return controls_row(
        pn.widgets.Select.from_param(settings.param.connection, label="Synapse", width=130),
        pn.widgets.RadioButtonGroup.from_param(settings.param.mode),
        pn.widgets.FloatInput.from_param(settings.param.holding, width=110),
        pn.widgets.FloatInput.from_param(settings.param.frequency, width=150),
    )


def section(title: str, *objects: Any, css: str) -> pn.Card:
    """One part of a tab: a titled card that stays open; ``css`` names it for styles
    and tests."""
    return pn.Card(
        *objects, title=title, sizing_mode="stretch_width", collapsible=False, css_classes=[css]
    )


class ScanPanel:
    """A metric over one or two parameters; click a point to load its values."""

    def __init__(self, session: Session) -> None:
        self.session = session
        scan = self.scan = session.scan
        self.plot = ScanPlot(self._picked)
        self.plot_pane = pn.pane.Bokeh(None, sizing_mode="stretch_width", min_height=420)
        self.loaded = html_pane(sizing_mode="stretch_width", css_classes=["nt-scan-loaded"])
        run = pn.widgets.Button(label="Run scan", color="primary", width=110)
        run.on_click(lambda _event: scan.run())
        download = pn.widgets.FileDownload(
            callback=self._csv, filename="neuntune_scan.csv", label="Download scan CSV",
            width=160, embed=False,
        )  # fmt: skip
        self.settings_note = html_pane(sizing_mode="stretch_width")
        tuner = session.tuner
        tuner.param.watch(self._show_settings, ["t_stop", "dt", "method"])
        self._show_settings()
        scan.param.watch(self._show, "result")
        self._show()
        self.panel = pn.Column(
            warming_note(session),
            section(
                "Scan: a metric over one or two parameters",
                self._axis("x"),
                self._axis("y"),
                controls_row(
                    pn.widgets.Select.from_param(scan.param.metric, width=330),
                    self.settings_note,
                ),
                job_bar(scan, run, download),
                self.loaded,
                self.plot_pane,
                css="nt-scan",
            ),
            sizing_mode="stretch_width",
        )

    def _axis(self, axis: str) -> pn.FlexBox:
        scan = self.scan
        p = scan.param
        return controls_row(
            pn.widgets.Select.from_param(p[axis], width=200),
            pn.widgets.FloatInput.from_param(p[f"{axis}_from"], width=110),
            pn.widgets.FloatInput.from_param(p[f"{axis}_to"], width=110),
            pn.widgets.IntInput.from_param(p[f"{axis}_count"], width=80),
            pn.widgets.Checkbox.from_param(p[f"{axis}_log"], width=50),
            html_pane(self._unit_note(axis), width=160),
            css_classes=[f"nt-scan-{axis}"],
        )

    def _unit_note(self, axis: str) -> Any:
        """The unit the range is entered in, following the chosen parameter."""

        def note(path: str | None) -> str:
            if path in (None, NONE):
                return ""
            unit = self.session.tuner.controls[path].display.unit
            return f'<span class="nt-hint">{html.escape(unit) or "(no unit)"}</span>'

        return self.scan.param[axis].rx.pipe(note)

    def _show_settings(self, *_events: param.parameterized.Event) -> None:
        t = self.session.tuner
        self.settings_note.object = (
            f'<span class="nt-hint">Each point runs {format_number(t.t_stop)} ms at dt '
            f"{format_number(t.dt)} ms ({t.method}) — the run settings; CC metrics run the "
            "coupling protocol instead.</span>"
        )

    def _display(self, path: str) -> tuple[np.ndarray, str]:
        control = self.session.tuner.controls[path]
        unit = f" ({control.display.unit})" if control.display.unit else ""
        return self.scan.result.axes[path] * control.display.factor, f"{path}{unit}"

    def _show(self, *_events: param.parameterized.Event) -> None:
        result = self.scan.result
        if result is None:
            return
        paths = self.scan.shown
        x, x_label = self._display(paths[0])
        y, y_label = self._display(paths[1]) if len(paths) > 1 else (None, None)
        logs = self.scan.shown_logs
        self.plot_pane.object = self.plot.show(
            x, y, result.values, (x_label, y_label, result.metric), logs
        )
        self.loaded.object = (
            '<span class="nt-hint">Click a point to load its values into the tuner.</span>'
        )

    def _picked(self, index: int) -> None:
        values = self.scan.load(index)
        controls = self.session.tuner.controls
        shown = ", ".join(
            f"{path} = {format_number(v * controls[path].display.factor, 4)} "
            f"{controls[path].display.unit}"
            for path, v in values.items()
        )
        result = self.scan.result
        metric = f"{result.metric} = {format_number(float(result.values.flat[index]), 4)}"
        self.loaded.object = (
            f'<span class="nt-status">Loaded {html.escape(shown)} ({html.escape(metric)}) '
            "into the tuner; Undo steps back.</span>"
        )

    def _csv(self) -> StringIO:
        return StringIO(self.scan.csv())


class ProtocolsPanel:
    """BMTool's protocols on the isolated synapse (train, frequency response) and the
    coupling spectrum of a gap junction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        sections = []
        if session.settings.connection is not None:
            sections.append(self._synapse())
        if session.spectrum.junction is not None:
            sections.append(self._spectrum())
        if not sections:
            sections.append(hint("This circuit has no chemical synapse or gap junction."))
        self.panel = pn.Column(warming_note(session), *sections, sizing_mode="stretch_width")

    def _synapse(self) -> pn.Card:
        protocol, settings, data = self.session.protocol, self.session.settings, self.session.data
        train = pn.widgets.Button(label="Run train", color="primary", width=110)
        train.on_click(lambda _event: protocol.run_train())
        sweep = pn.widgets.Button(label="Frequency response", color="primary", width=170)
        sweep.on_click(lambda _event: protocol.run_frequency_response())
        response = XYPlot(
            "protocol", "Response of the isolated synapse", "t (ms)", "response",
            {"response": ("response", "line"), "events": ("events", "markers"),
             "recording": ("recording", "line")},
            height=280, dashed=("recording",),
        )  # fmt: skip
        amplitudes = XYPlot(
            "amplitudes", "Amplitude of each response", "pulse", "amplitude",
            {"amplitude": ("A1…A12", "both")}, height=240, integer_x=True,
        )  # fmt: skip
        frequency = XYPlot(
            "frequency", "Frequency response", "frequency (Hz)", "ratio",
            {"paired_pulse_ratio": ("PPR A2/A1", "both"), "steady_ratio": ("A6–8/A1", "both"),
             "induction": ("induction", "both"), "recovery": ("recovery", "both")},
            x_log=True, height=260,
        )  # fmt: skip
        metrics = html_pane(sizing_mode="stretch_width")
        recovery = hint("")  # BMTool's fresh-stream recovery against a real synapse's
        recovery.visible = False

        def show_train(*_events: param.parameterized.Event) -> None:
            run = protocol.train
            if run is None:
                return
            unit, factor = RESPONSE_DISPLAY[run.response.unit]
            response.figure.yaxis.axis_label = f"{run.response.kind} ({unit})"
            amplitudes.figure.yaxis.axis_label = f"amplitude ({unit})"
            response.show("response", run.t, run.y * factor)
            response.show("events", run.events, np.interp(run.events, run.t, run.y) * factor)
            amplitudes.show(
                "amplitude",
                np.arange(1, len(run.response.amplitudes) + 1),
                np.asarray(run.response.amplitudes) * factor,
            )
            metrics.object = response_table({settings.connection: run.response})
            note = recovery_note(run.single_stream_recovery)
            recovery.object = f'<span class="nt-hint">{html.escape(note)}</span>'
            recovery.visible = bool(note)
            show_recording()

        def show_recording(*_events: param.parameterized.Event) -> None:
            recording, run = data.recording, protocol.train
            if recording is None or not data.overlay or run is None:
                response.show("recording", [], [])
                return
            factor = RESPONSE_DISPLAY[recording.unit][1]
            response.show("recording", recording.t, recording.y * factor)

        def show_frequency(*_events: param.parameterized.Event) -> None:
            r = protocol.response
            if r is None:
                return
            for key in frequency.sources:
                frequency.show(key, r.frequency, getattr(r, key))

        protocol.param.watch(show_train, "train")
        protocol.param.watch(show_frequency, "response")
        data.param.watch(show_recording, ["recording", "overlay"])
        show_train()
        show_frequency()
        return section(
            "Chemical synapse: BMTool's train and frequency response",
            hint(
                "The synapse isolated: a spike source drives it onto a copy of its post cell, "
                "voltage-clamped (PSC: clamp current, negative for EPSCs) or free (PSP). Train: 8 "
                "pulses, then 4 more 250 ms after the 8th."
            ),
            synapse_settings(settings),
            pn.widgets.TextInput.from_param(protocol.param.frequencies, width=300),
            job_bar(protocol, train, sweep),
            metrics,
            recovery,
            pn.pane.Bokeh(response.figure, sizing_mode="stretch_width"),
            pn.Row(
                pn.pane.Bokeh(amplitudes.figure, sizing_mode="stretch_width"),
                pn.pane.Bokeh(frequency.figure, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            css="nt-protocol",
        )

    def _spectrum(self) -> pn.Card:
        spectrum = self.session.spectrum
        run = pn.widgets.Button(label="Measure spectrum", color="primary", width=160)
        run.on_click(lambda _event: spectrum.run())
        ratio = XYPlot(
            "spectrum", "Coupling spectrum: |ΔV target| / |ΔV source|", "frequency (Hz)",
            "CC", {"ratio": ("CC", "both")}, x_log=True, height=250,
        )  # fmt: skip
        phase = XYPlot(
            "phase", "Phase of the target (negative: lag)", "frequency (Hz)", "phase (°)",
            {"phase": ("phase", "both")}, x_log=True, height=250,
        )  # fmt: skip

        def show(*_events: param.parameterized.Event) -> None:
            r = spectrum.result
            if r is not None:
                ratio.show("ratio", r.frequency, r.ratio)
                phase.show("phase", r.frequency, r.phase)

        spectrum.param.watch(show, "result")
        show()
        p = spectrum.param
        return section(
            "Gap junction: coupling spectrum",
            hint(
                "A 10 pA sine into the source cell (stimuli removed, from rest); CC and phase of "
                "the target's response at each frequency. Gap junctions low-pass filter."
            ),
            controls_row(
                pn.widgets.Select.from_param(p.junction, label="Junction", width=120),
                pn.widgets.Checkbox.from_param(p.reverse),
                pn.widgets.FloatInput.from_param(p.f_min, width=100),
                pn.widgets.FloatInput.from_param(p.f_max, width=100),
                pn.widgets.IntInput.from_param(p.count, width=100),
            ),
            job_bar(spectrum, run),
            pn.Row(
                pn.pane.Bokeh(ratio.figure, sizing_mode="stretch_width"),
                pn.pane.Bokeh(phase.figure, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            css="nt-spectrum",
        )


class DataPanel:
    """Load a recorded trace (CSV; ABF and NWB with the optional readers) to show over
    the simulation and to fit."""

    def __init__(self, data: DataModel) -> None:
        upload = pn.widgets.FileInput(accept=".csv,.txt,.abf,.nwb", width=260)
        upload.param.watch(lambda e: e.new and data.load(e.new, upload.filename or "data"), "value")
        clear = pn.widgets.Button(label="Clear", width=80)
        clear.on_click(lambda _event: data.clear())
        preview = XYPlot(
            "data", "Recording", "t (ms)", "value", {"recording": ("recording", "line")},
            height=280,
        )  # fmt: skip

        def show(*_events: param.parameterized.Event) -> None:
            recording = data.recording
            if recording is None:
                preview.clear()
                return
            unit, factor = RESPONSE_DISPLAY[recording.unit]
            preview.figure.yaxis.axis_label = f"{recording.label} ({unit})"
            preview.show("recording", recording.t, recording.y * factor)

        data.param.watch(show, "recording")
        show()
        self.panel = pn.Column(
            section(
                "Recorded trace",
                hint(
                    "CSV: time in the first column, values in the others; units from the header "
                    "(e.g. <code>t (s)</code>, <code>I (pA)</code>) or chosen below. ABF and NWB "
                    f"files need their readers: <code>{html.escape(EXTRA_HINT)}</code>. The trace "
                    "shows over the voltage or current plot and the synapse's response, and the "
                    "synapse fit can match it (Fit tab: tick “Fit the recorded trace too”); align "
                    "it with the protocol's train (first pulse at 50 ms)."
                ),
                controls_row(
                    upload,
                    pn.widgets.Select.from_param(
                        data.param.channel, label="Column / sweep", width=180
                    ),
                    pn.widgets.Select.from_param(data.param.time_unit, width=130),
                    pn.widgets.Select.from_param(data.param.value_unit, width=200),
                    pn.widgets.Checkbox.from_param(data.param.overlay),
                    clear,
                ),
                job_bar(data),
                pn.pane.Bokeh(preview.figure, sizing_mode="stretch_width"),
                css="nt-data",
            ),
            sizing_mode="stretch_width",
        )
