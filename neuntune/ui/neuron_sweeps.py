"""The NEURON tuner's sweeps: BMTool's metrics against the train's frequency (its
``stp_frequency_response``) or against one PARAMETER's value (a scan), each train run
in the session's NEURON worker, as one job with a progress bar and Cancel
(:class:`~neuntune.ui.neuron_runs.NeuronJob`); the single-stream recovery is plotted
beside BMTool's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import panel as pn

from ..result import CancelledError
from .jobs import Progress
from .neuron_runs import NeuronJob, TrainView, measure_train
from .plots import XYPlot
from .widgets import job_bar

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
        self.job = NeuronJob(tuner.session, dispatch=tuner._dispatch, name="neuron_sweep")
        self.bar = job_bar(self.job, self.response_button, self.scan_button)

    def run_frequency_response(self) -> None:
        """BMTool's metrics at each of RESPONSE_FREQUENCIES (Hz)."""
        delay = float(self.tuner.delay.value)
        points = [({}, float(f), delay) for f in RESPONSE_FREQUENCIES]
        x = np.asarray(RESPONSE_FREQUENCIES, float)
        self._sweep("Frequency response", points, x, self.response)

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
        points = [({name: float(v)}, frequency, delay) for v in values]
        self._sweep(f"Scanning {name}", points, values, self.scan)

    def _sweep(
        self, label: str, points: list[tuple[dict, float, float]], x: np.ndarray, plot: XYPlot
    ) -> None:
        tuner = self.tuner
        base = tuner.slider_values()
        plot.clear()

        def work(progress: Progress) -> list[TrainView]:
            rows = []
            try:
                for i, (params, frequency, delay) in enumerate(points):
                    with tuner.session.held():  # no live run's set between set and train
                        tuner.session.set(**{**base, **params})
                        rows.append(measure_train(tuner.session, tuner.settings, frequency, delay))
                    if progress((i + 1) / len(points)):
                        raise CancelledError(f"{label} cancelled")
            finally:
                # the sliders' values again, as they are now (they may have moved meanwhile)
                tuner.session.set(**tuner.slider_values())
            return rows

        def done(rows: list[TrainView]) -> str:
            for key in SERIES:
                plot.show(key, x, [getattr(r, key) for r in rows])
            return f"{label}: {len(rows)} points"

        self.job.start(label, work, done)

    def close(self) -> None:
        self.job.close()

    def panel(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(self.scanned, self.low, self.high, self.points),
            self.bar,
            pn.pane.Bokeh(self.response.figure, sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.scan.figure, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
