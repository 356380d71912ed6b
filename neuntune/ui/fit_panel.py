"""The Fit tab: fit a gap junction's g to a coupling coefficient, and a chemical
synapse's parameters to targets or a recorded trace (:mod:`neuntune.ui.fitting`'s
models), with each fit's progress, convergence plot, result table and Apply.
Targets are entered and shown in the response table's units (pA, pC, mV, ms)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import panel as pn
import param

from ..fit.gap import FIT_SOURCES
from .controls import pretty_unit
from .fitting import METRICS
from .metrics import SynapseResponse
from .panels import section, synapse_settings, warming_note
from .plots import XYPlot, target_line
from .session import Session
from .widgets import controls_row, format_number, hint, html_pane, job_bar, table

if TYPE_CHECKING:  # pandas is imported when the Fit tab is built, not with the tuner
    import pandas as pd


def target_units(clamped: bool) -> dict[str, tuple[str, float]]:
    """How a synapse fit's targets are shown, by metric: (unit, factor from engine
    units), as the response table shows them (peak in pA, charge in pC when clamped)."""
    peak, charge = (("pA", 1e6), ("pC", 1e3)) if clamped else (("mV", 1.0), ("mV·ms", 1.0))
    times = dict.fromkeys(("latency", "rise", "decay", "half_width"), ("ms", 1.0))
    return {"peak": peak, "charge": charge, **times}


def target_display(metric: str, clamped: bool) -> tuple[str, float]:
    """(unit, factor) of target ``metric`` ("ppr@20" has no unit: ("", 1))."""
    return target_units(clamped).get(metric.partition("@")[0], ("", 1.0))


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
        return section(
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

        import pandas as pd

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
        return section(
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
        import pandas as pd

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
        import pandas as pd

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
        live = session.tuner.metrics
        if response is None and live is not None:
            response = live.synapses.get(connection)
        if response is None:
            session.synapse_fit.refuse("Run the train on the Protocols tab first.")
            return
        session.synapse_fit.fill_targets({**response.event, **response.train})
