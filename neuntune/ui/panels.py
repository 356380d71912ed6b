"""The workbench's tabs — Fit, Scan, Protocols, Data — as views of a session's models.

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
import pandas as pd
import panel as pn
import param

from ..fit.gap import FIT_SOURCES
from ..io import EXTRA_HINT
from .controls import pretty_unit
from .fitting import METRICS
from .metrics import SynapseResponse
from .plots import ScanPlot, XYPlot, target_line
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
    table,
)

#: Display factors for a response: currents in pA, voltages in mV.
RESPONSE_DISPLAY = {"uA": ("pA", 1e6), "mV": ("mV", 1.0)}


def target_units(clamped: bool) -> dict[str, tuple[str, float]]:
    """How a synapse fit's targets are shown, by metric: (unit, factor from engine
    units), as the response table shows them (peak in pA, charge in pC when clamped)."""
    peak, charge = (("pA", 1e6), ("pC", 1e3)) if clamped else (("mV", 1.0), ("mV·ms", 1.0))
    times = dict.fromkeys(("latency", "rise", "decay", "half_width"), ("ms", 1.0))
    return {"peak": peak, "charge": charge, **times}


def target_display(metric: str, clamped: bool) -> tuple[str, float]:
    """(unit, factor) of target ``metric`` ("ppr@20" has no unit: ("", 1))."""
    return target_units(clamped).get(metric.partition("@")[0], ("", 1.0))


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


def _section(title: str, *objects: Any, css: str) -> pn.Card:
    return pn.Card(
        *objects, title=title, sizing_mode="stretch_width", collapsible=False, css_classes=[css]
    )


class FitPanel:
    """Fit a gap junction to a target CC, or a chemical synapse to target metrics
    and/or a recorded trace; Apply moves the tuner's sliders to the result."""

    def __init__(self, session: Session) -> None:
        self.session = session
        sections = []
        if session.gap_fit.junction is not None:
            sections.append(self._gap())
        if session.settings.connection is not None:
            sections.append(self._synapse())
        if not sections:
            sections.append(hint("This circuit has no gap junction or chemical synapse to fit."))
        self.panel = pn.Column(warming_note(session), *sections, sizing_mode="stretch_width")

    # ------------------------------------------------------------ gap junction
    def _gap(self) -> pn.Card:
        fit = self.session.gap_fit
        run = pn.widgets.Button(label="Fit g", color="primary", width=90)
        run.on_click(lambda _event: fit.run())
        apply = pn.widgets.Button(label="Apply", color="success", disabled=True, width=260)
        apply.on_click(lambda _event: fit.apply())
        plot = XYPlot(
            "gapfit", "Convergence: CC at each g tried", "simulation batch", "CC",
            {"cc": ("CC tried", "both")}, height=260, integer_x=True,
        )  # fmt: skip
        target = target_line(plot.figure, fit.target, name="gapfit:target")
        results = html_pane(sizing_mode="stretch_width", css_classes=["nt-gap-fit-results"])

        def cleared() -> None:
            if fit.result is not None:
                return  # a result arrived meanwhile
            plot.clear()
            target.location = fit.target if fit.settings_error() == "" else None
            results.object = ""
            apply.param.update(label="Apply", disabled=True)

        def show(*_events: param.parameterized.Event) -> None:
            r = fit.result
            if r is None:
                # A new fit started (or the target changed since): nothing of the previous
                # one stays.  Through dispatch: a widget's callback (the target's, Fit g)
                # does not hold the document's lock that changing a plot directly needs.
                self.session.dispatch(cleared)
                return
            plot.show("cc", np.arange(1, len(r.history) + 1), [cc for _, cc in r.history])
            target.location = r.target
            conn = self.session.tuner.circuit.connections[fit.fitted]
            display = fit.display()
            results.object = table(
                ["", "target", "achieved"],
                [
                    [
                        "CC (fitted direction)",
                        format_number(r.target, 4),
                        format_number(r.achieved, 4),
                    ],
                    [f"CC {conn.pre}→{conn.post}", "", format_number(r.cc_ab, 4)],
                    [f"CC {conn.post}→{conn.pre}", "", format_number(r.cc_ba, 4)],
                    [f"g ({display.unit})", "", format_number(r.g * display.factor, 4)],
                    ["R = 1/g (MΩ)", "", format_number(r.resistance, 4)],
                    ["simulations", "", str(r.n_sims)],
                ],
                caption=f"{fit.fitted}: target vs achieved",
            )
            apply.label = (
                f"Apply g = {format_number(r.g * display.factor, 4)} {display.unit} to {fit.fitted}"
            )
            apply.disabled = False

        fit.param.watch(show, "result")
        # The target line follows a new target until a fit reaches it.
        fit.param.watch(lambda _e: fit.result is None and show(), "target")
        show()
        inputs = controls_row(
            pn.widgets.Select.from_param(fit.param.junction, label="Junction", width=120),
            pn.widgets.Select.from_param(fit.param.direction, label="Direction", width=150),
            pn.widgets.FloatInput.from_param(
                fit.param.target, width=120, css_classes=["nt-target-cc"]
            ),
            pn.widgets.FloatInput.from_param(fit.param.g_low, width=110, css_classes=["nt-g-low"]),
            pn.widgets.FloatInput.from_param(
                fit.param.g_high, width=150, placeholder="auto", css_classes=["nt-g-high"]
            ),
        )
        about = (
            "BMTool's protocol: stimuli removed, −10 pA into one cell, CC = ΔV₂/ΔV₁ at steady "
            "state (window means). Starts from the passive closed form, then root-finds "
            "between g from and g to (empty: up to 100 times the cell's own conductance)."
        )
        if self.session.tuner.network:
            about += (
                " Between populations: the mean CC of the pairs, probing up to "
                f"{FIT_SOURCES} members in turn; every junction gets the one fitted g."
            )
        return _section(
            "Gap junction: fit g to a coupling coefficient",
            hint(about),
            inputs,
            job_bar(fit, run),
            pn.Row(
                pn.pane.Bokeh(plot.figure, sizing_mode="stretch_width"),
                pn.Column(results, apply, width=380),
                sizing_mode="stretch_width",
            ),
            css="nt-gap-fit",
        )

    # -------------------------------------------------------- chemical synapse
    def _synapse(self) -> pn.Card:
        fit, settings = self.session.synapse_fit, self.session.settings
        targets = pn.widgets.Tabulator(
            self._target_rows(), show_index=False, layout="fit_data_table", height=300,
            editors={"metric": None, "unit": None, "target": {"type": "number"}},
            css_classes=["nt-targets"],
        )  # fmt: skip
        params = pn.widgets.Tabulator(
            self._param_rows(), show_index=False, layout="fit_data_table", height=300,
            editors={"parameter": None, "value": None, "fit": {"type": "tickCross"},
                     "low": {"type": "number"}, "high": {"type": "number"}},
            css_classes=["nt-fit-params"],
        )  # fmt: skip
        syncing = [False]

        def targets_edited(_event: Any) -> None:
            if syncing[0]:
                return
            rows, clamped = targets.value, settings.clamped
            fit.targets = {  # entered in the units shown (pA, pC), kept in engine units
                m: float(v) / target_display(m, clamped)[1]
                for m, v in zip(rows["metric"], rows["target"], strict=True)
                if pd.notna(v)
            }

        def params_edited(_event: Any) -> None:
            if syncing[0]:
                return
            rows = params.value
            fit.bounds = {
                p: (float(lo), float(hi))
                for p, on, lo, hi in zip(
                    rows["parameter"], rows["fit"], rows["low"], rows["high"], strict=True
                )
                if on
            }

        def model_changed(*_events: param.parameterized.Event) -> None:
            syncing[0] = True
            try:
                targets.value = self._target_rows()
                params.value = self._param_rows()
            finally:
                syncing[0] = False

        targets.on_edit(targets_edited)
        params.on_edit(params_edited)
        fit.param.watch(model_changed, ["targets", "bounds"])
        settings.param.watch(model_changed, ["connection", "mode"])
        load = pn.widgets.FileInput(accept=".json,.csv", width=230)
        load.param.watch(
            lambda e: e.new and fit.load_targets(e.new, load.filename or "targets"), "value"
        )
        fill = pn.widgets.Button(label="Targets = current response", width=210)
        fill.on_click(lambda _event: self._fill_targets())
        run = pn.widgets.Button(label="Fit synapse", color="primary", width=120)
        run.on_click(lambda _event: fit.run())
        apply = pn.widgets.Button(label="Apply", color="success", disabled=True, width=260)
        apply.on_click(lambda _event: fit.apply())
        loss = XYPlot(
            "synfit", "Loss after each stage", "stage (1: global search, 2: least squares)",
            "loss", {"loss": ("best loss", "both")}, height=220, y_log=True, integer_x=True,
        )  # fmt: skip
        results = html_pane(sizing_mode="stretch_width")

        def show(*_events: param.parameterized.Event) -> None:
            r = fit.result
            if r is None:
                return
            loss.show("loss", np.arange(1, len(r.history) + 1), np.maximum(r.history, 1e-300))
            rows = []
            for m, (goal, got) in r.table.items():
                unit, factor = target_display(m, settings.clamped)
                label = f"{m} ({unit})" if unit else m
                rows.append(
                    [label, format_number(goal * factor, 4), format_number(got * factor, 4)]
                )
            achieved = table(["metric", "target", "achieved"], rows, caption="target vs achieved")
            fitted = table(
                ["parameter", "fitted", "± (1σ)", ""],
                [
                    [
                        name,
                        format_number(value, 4),
                        f"{100 * r.uncertainty.get(name, np.nan):.1f} %",
                        "not constrained" if name in r.unconstrained else "",
                    ]
                    for name, value in r.params.items()
                ],
                caption=f"{fit.fitted}: fitted parameters",
            )
            results.object = f'<div style="display:flex;flex-wrap:wrap">{achieved}{fitted}</div>'
            apply.label = f"Apply {len(r.params)} fitted values to {fit.fitted}"
            apply.disabled = False

        def cleared() -> None:
            if fit.result is None:  # a result may have arrived meanwhile
                loss.clear()
                results.object = ""
                apply.param.update(label="Apply", disabled=True)

        def clear(*_events: param.parameterized.Event) -> None:
            if fit.result is None:  # a new fit started: nothing of the previous one stays
                self.session.dispatch(cleared)  # the document's lock: see the gap fit's
            else:
                show()

        fit.param.watch(clear, "result")
        show()
        return _section(
            "Chemical synapse: fit parameters to targets or a recording",
            hint(
                "The synapse is isolated (a spike source drives it onto a copy of its post cell) "
                "and driven by BMTool's train: 8 pulses, 4 more 250 ms later. Enter targets in "
                "the units shown (pA and pC as the response table, mV, ms; ratios), tick the "
                "parameters to fit and their ranges."
            ),
            synapse_settings(settings),
            pn.Row(
                pn.Column(html_pane("<b>Targets</b>"), targets, width=330),
                pn.Column(html_pane("<b>Parameters</b>"), params, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            controls_row(
                fill,
                html_pane("<small>or load targets (.json, .csv)</small>", width=90),
                load,
                pn.widgets.Checkbox.from_param(fit.param.use_recording),
            ),
            job_bar(fit, run),
            pn.Row(
                pn.Column(results, apply, sizing_mode="stretch_width"),
                pn.pane.Bokeh(loss.figure, width=380),
                sizing_mode="stretch_width",
            ),
            css="nt-synapse-fit",
        )

    def _target_rows(self) -> pd.DataFrame:
        """The targets in the units the response table shows (pA, pC, mV, ms)."""
        fit, clamped = self.session.synapse_fit, self.session.settings.clamped
        names = [*METRICS, *(m for m in fit.targets if m not in METRICS)]
        shown = [target_display(m, clamped) for m in names]
        return pd.DataFrame(
            {
                "metric": names,
                "target": [
                    fit.targets[m] * factor if m in fit.targets else np.nan
                    for m, (_, factor) in zip(names, shown, strict=True)
                ],
                "unit": [unit for unit, _ in shown],
            }
        )

    def _param_rows(self) -> pd.DataFrame:
        fit = self.session.synapse_fit
        candidates = fit.candidates()
        table = self.session.tuner.circuit.element(
            self.session.settings.connection
        ).parameter_table()
        bounds = {name: fit.bounds.get(name) or fit.default_range(name) for name in candidates}
        return pd.DataFrame(
            {
                "fit": [name in fit.bounds for name in candidates],
                "parameter": list(candidates),
                "value": list(candidates.values()),
                "unit": [pretty_unit(table[name].unit) for name in candidates],
                "low": [bounds[name][0] for name in candidates],
                "high": [bounds[name][1] for name in candidates],
            }
        )

    def _fill_targets(self) -> None:
        """Targets from the isolated synapse's last train (Protocols tab), else from the
        live run's response."""
        session = self.session
        connection = session.settings.connection
        train = session.protocol.train
        response: SynapseResponse | None = train.response if train is not None else None
        if response is None:
            response = session.tuner.metrics.get("synapses", {}).get(connection)
        if response is None:
            session.synapse_fit.refuse("Run the train on the Protocols tab first.")
            return
        session.synapse_fit.fill_targets({**response.event, **response.train})


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
            _section(
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
            note = recovery_note(run)
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
        return _section(
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
        return _section(
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
            _section(
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
