"""The NEURON tuner's Fit section: target train metrics (BMTool's), the PARAMETERs to
move within their sliders' ranges, a fit in the session's NEURON worker
(:func:`neuntune.neuron.fit.fit_train`) as a job with a progress bar and Cancel
(:class:`~neuntune.ui.neuron_runs.NeuronJob`), and Apply to put the values found on
the sliders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import panel as pn

from ..neuron.fit import METRICS, TrainFit, fit_train
from .jobs import Progress
from .neuron_runs import NeuronJob
from .widgets import format_number, html_pane, job_bar, table

if TYPE_CHECKING:
    from .neuron_tuner import NeuronTrainTuner

#: Each target's label (BMTool's metrics are dimensionless; A1 in pA).
LABELS = {
    "ppr": "PPR",
    "induction": "induction",
    "recovery": "recovery",
    "simple_ppr": "simple PPR",
    "a1": "A1 (pA)",
}


class TrainFitPanel:
    """Targets, parameters and the fit's progress and result for one NEURON tuner."""

    def __init__(self, tuner: NeuronTrainTuner) -> None:
        self.tuner = tuner
        self.targets = {
            key: pn.widgets.FloatInput(label=LABELS[key], value=None, width=110) for key in METRICS
        }
        names = list(tuner.sliders)
        self.params = pn.widgets.MultiChoice(
            label="Parameters to fit", options=names, value=names[:2], width=360
        )
        self.fit_button = pn.widgets.Button(label="Fit", color="primary", width=90)
        self.fit_button.on_click(lambda _e: self.fit())
        self.apply_button = pn.widgets.Button(label="Apply", width=90, disabled=True)
        self.apply_button.on_click(lambda _e: self.apply())
        self.result = html_pane(sizing_mode="stretch_width", css_classes=["nt-neuron-fit"])
        self.found: TrainFit | None = None
        self.job = NeuronJob(tuner.session, dispatch=tuner._dispatch, name="neuron_fit")
        self.bar = job_bar(self.job, self.fit_button, self.apply_button)

    def bounds(self) -> dict[str, tuple[float, float]]:
        """Each chosen PARAMETER's slider range; a positive one (a time constant, a
        conductance) starts at 1/1000 of its range's end, not at 0."""
        out = {}
        for name in self.params.value:
            slider = self.tuner.sliders[name]
            low = slider.start
            if low == 0 and slider.step != 0.01:  # not a probability in [0, 1]
                low = 1e-3 * slider.end
            out[name] = (float(low), float(slider.end))
        return out

    def fit(self) -> None:
        """Start a fit to the targets given (blank ones are left out); the previous
        result is cleared, so a fit that fails or is cancelled leaves nothing to apply."""
        targets = {k: float(w.value) for k, w in self.targets.items() if w.value is not None}
        tuner = self.tuner
        if not targets or not self.params.value:
            self.job.refuse("Give at least one target and one parameter to fit.")
            return
        bounds = self.bounds()
        frequency, delay = float(tuner.frequency.value), float(tuner.delay.value)
        self.apply_button.disabled = True
        self.found = None
        self.result.object = ""
        # least_squares' trains are not known ahead: a rough budget for the bar (one
        # train per parameter and one more per step, ~20 steps), as the native fits do
        budget = 20 * (len(bounds) + 1)

        def work(progress: Progress) -> TrainFit:
            # the live view waits: a slider's set between a trial's set and its train
            # would fit the wrong values (fit_train sets and runs in separate calls)
            with tuner.session.held():
                return fit_train(
                    tuner.session, targets, bounds, tuner.settings, frequency, delay,
                    on_step=lambda n, _params, _metrics: progress(min(0.95, n / budget)),
                )  # fmt: skip

        def done(found: TrainFit) -> str:
            self._show(found)
            return f"Fitted {', '.join(found.params)}: {len(found.path)} trains"

        self.job.start("Fitting", work, done)

    def _show(self, found: TrainFit) -> None:
        self.found = found
        rows = [[name, format_number(value, 5)] for name, value in found.params.items()]
        rows += [
            [f"{LABELS[k]}: target {format_number(v)}", format_number(found.achieved[k])]
            for k, v in found.targets.items()
        ]
        self.result.object = table(
            ["found", ""], rows, caption=f"{len(found.path)} trains, cost {found.cost:.3g}"
        )
        self.apply_button.disabled = False

    def apply(self) -> None:
        """Put the values found on the sliders, one Undo step, and run them; a slider's
        range grows to hold a value beyond it."""
        if self.found is not None:
            self.tuner.set_values(self.found.params)

    def close(self) -> None:
        self.job.close()

    def panel(self) -> pn.viewable.Viewable:
        return pn.Card(
            pn.Row(*self.targets.values()),
            self.params,
            self.bar,
            self.result,
            title="Fit to target metrics (BMTool's)",
            collapsed=True,
            sizing_mode="stretch_width",
        )
