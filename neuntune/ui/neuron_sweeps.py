"""The NEURON tuner's sweeps: BMTool's metrics against the train's frequency (its
``stp_frequency_response``) or against one PARAMETER's value (a scan), each train run
in the session's NEURON worker, with a progress bar; the single-stream recovery is
plotted beside BMTool's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import panel as pn

from .neuron_runs import TrainView, measure_train
from .plots import XYPlot
from .runner import Runner, Ticket
from .widgets import status_html

if TYPE_CHECKING:
    from .neuron_tuner import NeuronTrainTuner

#: The frequency response's frequencies (Hz): BMTool's stp_frequency_response.
RESPONSE_FREQUENCIES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 35, 50, 100, 200)
#: A sweep's series: BMTool's metrics and the recovery on one stream.
SERIES = {
    "ppr": ("PPR", "both"),
    "induction": ("induction", "both"),
    "recovery": ("recovery", "both"),
    "single_recovery": ("recovery on one stream", "both"),
}


class SweepPanel:
    """Frequency response and parameter scan for one NEURON tuner: one job at a time
    (a new one supersedes a running one)."""

    def __init__(self, tuner: NeuronTrainTuner) -> None:
        self.tuner = tuner
        self.response = XYPlot("neuron-response", "BMTool's metrics against frequency",
                               "frequency (Hz)", "metric", SERIES, x_log=True,
                               dashed=("single_recovery",))  # fmt: skip
        self.scan = XYPlot("neuron-scan", "BMTool's metrics against a PARAMETER", "value",
                           "metric", SERIES, dashed=("single_recovery",))  # fmt: skip
        self.response_button = pn.widgets.Button(label="Frequency response", width=170)
        self.response_button.on_click(lambda _e: self.run_frequency_response())
        names = list(tuner.sliders)
        self.scanned = pn.widgets.Select(label="Scan", options=names, width=140)
        self.low = pn.widgets.FloatInput(label="from", value=None, width=100)
        self.high = pn.widgets.FloatInput(label="to", value=None, width=100)
        self.points = pn.widgets.IntInput(label="points", value=11, start=2, end=101, width=80)
        self.scan_button = pn.widgets.Button(label="Run scan", width=110, align="end")
        self.scan_button.on_click(lambda _e: self.run_scan())
        self.progress = pn.indicators.Progress(value=0, max=100, width=200, visible=False)
        self.message = pn.pane.HTML("")
        self._runner = Runner("neuron-sweep")

    def run_frequency_response(self) -> None:
        """BMTool's metrics at each of RESPONSE_FREQUENCIES (Hz)."""
        delay = float(self.tuner.delay.value)
        points = [({}, float(f), delay) for f in RESPONSE_FREQUENCIES]
        self._sweep(points, np.asarray(RESPONSE_FREQUENCIES, float), self.response)

    def run_scan(self) -> None:
        """BMTool's metrics with the chosen PARAMETER at ``points`` values from ``from``
        to ``to`` (default: its slider's range), the others as on the sliders."""
        name = self.scanned.value
        slider = self.tuner.sliders[name]
        low = slider.start if self.low.value is None else float(self.low.value)
        high = slider.end if self.high.value is None else float(self.high.value)
        values = np.linspace(low, high, int(self.points.value))
        frequency, delay = float(self.tuner.frequency.value), float(self.tuner.delay.value)
        self.scan.figure.xaxis.axis_label = f"{slider.label}"
        self._sweep([({name: float(v)}, frequency, delay) for v in values], values, self.scan)

    def _sweep(self, points: list[tuple[dict, float, float]], x: np.ndarray, plot: XYPlot) -> None:
        tuner = self.tuner
        base = {name: float(s.value) for name, s in tuner.sliders.items()}
        plot.clear()
        self.progress.value, self.progress.visible = 0, True
        self.message.object = ""

        def work(ticket: Ticket) -> None:
            rows = []
            try:
                for i, (params, frequency, delay) in enumerate(points):
                    if not ticket.current:
                        return
                    tuner.session.set(**{**base, **params})
                    rows.append(measure_train(tuner.session, tuner.settings, frequency, delay))
                    done = 100 * (i + 1) // len(points)
                    tuner._dispatch(lambda done=done: setattr(self.progress, "value", done))
                tuner.session.set(**base)  # the sliders' values again
            except Exception as error:  # shown, not raised: the page keeps working
                text = status_html(f"{type(error).__name__}: {error}", error=True)
                tuner._dispatch(lambda: setattr(self.message, "object", text))
                return
            tuner._dispatch(lambda: self._show(plot, x, rows))

        self._runner.start(work)

    def _show(self, plot: XYPlot, x: np.ndarray, rows: list[TrainView]) -> None:
        for key in ("ppr", "induction", "recovery", "single_recovery"):
            plot.show(key, x, [getattr(r, key) for r in rows])
        self.progress.visible = False

    def close(self) -> None:
        self._runner.close()

    def panel(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(self.response_button, self.progress, self.message),
            pn.pane.Bokeh(self.response.figure, sizing_mode="stretch_width"),
            pn.Row(self.scanned, self.low, self.high, self.points, self.scan_button),
            pn.pane.Bokeh(self.scan.figure, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
