"""The live tuner for a gap junction between two NEURON cells: BMTool's current step,
redrawn while the conductance moves, and a fit of g to a target coupling coefficient.

``NeuronCouplingTuner(session, settings)`` needs a session whose cell has a partner (a
``coupling`` NEURON preset, or ``compat.bmtool.GapJunctionTuner``).  It shows both
cells' voltages, the CC by neuntune's window rule and by BMTool's single samples, and
fits g (the junction's PARAMETER, µS for BMTool's Gap) by a root search in log g.  The
fit and the coupling spectrum are jobs with a progress bar and Cancel
(:class:`~neuntune.ui.neuron_runs.NeuronJob`); each holds the session while it runs, so
the live view redraws once it has finished.
"""

from __future__ import annotations

from functools import partial
from itertools import count
from typing import TYPE_CHECKING

import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from ..neuron import protocols
from ..neuron.preset import NeuronPreset
from ..neuron.session import NeuronSession
from .dispatch import Dispatcher
from .jobs import Progress
from .neuron_runs import NeuronJob, open_preset, page, unless_superseded
from .neuron_tuner import slider_range
from .plots import TOOLS, XYPlot
from .runner import Runner, Ticket
from .widgets import css_class, format_number, html_pane, job_bar, status_html, table

if TYPE_CHECKING:
    from ..protocols.spectrum import CouplingSpectrum


class NeuronCouplingTuner(pn.viewable.Viewer):
    """A gap junction's conductance on a slider, both cells' voltages and the CC, live;
    ``settings``: :func:`~neuntune.neuron.protocols.coupling`'s keywords (amp nA, start
    and duration ms, dt ms, celsius °C, v_init mV); ``parameter``: the junction's
    conductance PARAMETER.  The session is the caller's unless made by
    :meth:`from_preset`."""

    def __init__(
        self,
        session: NeuronSession,
        settings: dict[str, float],
        parameter: str = "g",
        title: str = "",
        *,
        owns_session: bool = False,
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = dict(settings)
        self.parameter = parameter
        self.title = title or f"{session.point_process} between two {session.spec.template}"
        self._dispatch = Dispatcher()
        self._runner = Runner("neuron-coupling")
        self._owns_session = owns_session  # close the session with the view
        known = {p.name: p for p in session.parameters()}
        if parameter not in known:
            raise ValueError(
                f"parameter: {session.point_process} has no PARAMETER {parameter!r}; its "
                f"PARAMETERs: {', '.join(known)}"
            )
        p = known[parameter]
        value = session.params.get(parameter, p.default)
        low, high, step = slider_range(type(p)(p.name, value, p.units))
        self.slider = pn.widgets.EditableFloatSlider(
            label=f"{parameter} ({p.units})", start=low, end=high, step=step, value=value,
            format="0.[000000]", sizing_mode="stretch_width",
            css_classes=[css_class(f"gap.{parameter}")],
        )  # fmt: skip
        self.slider.param.watch(lambda _e: self._request(), "value")
        self.target = pn.widgets.FloatInput(label="Target CC", value=0.05, step=0.01, width=120)
        self.fit_button = pn.widgets.Button(label=f"Fit {parameter}", width=120)
        self.fit_button.on_click(lambda _e: self.fit())
        self.sources = {
            cell: ColumnDataSource({"x": [], "y": []}, name=f"neuron:{cell}")
            for cell in ("post", "partner")
        }
        self.plot = figure(
            height=300,
            sizing_mode="stretch_width",
            tools=TOOLS,
            x_axis_label="time (ms)",
            y_axis_label="membrane potential (mV)",
        )
        self.plot.line("x", "y", source=self.sources["post"], color="#1f77b4",
                       legend_label="cell 1 (current injected)")  # fmt: skip
        self.plot.line("x", "y", source=self.sources["partner"], color="#d62728",
                       legend_label="cell 2")  # fmt: skip
        self.plot.legend.location = "bottom_right"
        self.plot.legend.click_policy = "hide"
        self.readout = html_pane(sizing_mode="stretch_width", css_classes=["nt-neuron-cc"])
        self.spectrum = XYPlot(
            "neuron-spectrum", "Coupling against frequency (a sine into cell 1)",
            "frequency (Hz)", "CC (amplitude ratio)", {"ratio": ("CC", "both")}, x_log=True,
        )  # fmt: skip
        self.spectrum_button = pn.widgets.Button(label="Coupling spectrum", width=160)
        self.spectrum_button.on_click(lambda _e: self.run_spectrum())
        self.status = html_pane(css_classes=["nt-neuron-status"])
        jobs = {"session": session, "dispatch": self._dispatch}
        self.fit_job = NeuronJob(name="neuron_gap_fit", **jobs)
        self.spectrum_job = NeuronJob(name="neuron_spectrum", **jobs)
        self.fit_bar = job_bar(self.fit_job, self.fit_button)
        self.spectrum_bar = job_bar(self.spectrum_job, self.spectrum_button)
        self.latest: protocols.Coupling | None = None
        self._shown = 0
        self._layout: pn.viewable.Viewable | None = None
        self._request()

    @classmethod
    def from_preset(cls, preset: NeuronPreset) -> NeuronCouplingTuner:
        """The tuner of a ``coupling`` NEURON preset, in a NEURON worker of its own."""
        parameter = (preset.sliders or ("g",))[0]
        return open_preset(
            preset, "coupling",
            lambda session: cls(
                session, preset.protocol, parameter, preset.name, owns_session=True
            ),
        )  # fmt: skip

    def close(self) -> None:
        """Stop this view's runs, and its NEURON worker if it started it."""
        self._runner.close()
        self.fit_job.close()
        self.spectrum_job.close()
        if self._owns_session:
            self.session.close()

    # ------------------------------------------------------------------- runs
    def _request(self) -> None:
        value = float(self.slider.value)
        self._runner.start(lambda ticket: self._work(ticket, value))

    def _work(self, ticket: Ticket, value: float) -> None:
        try:
            with self.session.held():  # a job's set cannot come between ours and the run
                self.session.set(**{self.parameter: value})
                measured = unless_superseded(
                    ticket, partial(protocols.coupling, self.session, **self.settings)
                )
        except Exception as error:  # a hoc error or a stopped worker: say so, keep serving
            self._failed(f"{type(error).__name__}: {error}")
            return
        if measured is not None:
            self._dispatch(lambda: self._show(measured, ticket.generation))

    def fit(self) -> None:
        """Find the conductance whose CC (neuntune's rule) is the target, then put it on
        the slider (which runs and shows it)."""
        target = self.target.value
        if target is None:
            self.fit_job.refuse("Give a target CC between 0 and 1.")
            return
        target, value = float(target), float(self.slider.value)
        evaluations = count(1)

        def work(progress: Progress) -> float:
            with self.session.held():  # the live view waits: the fit moves g
                try:
                    # brentq's evaluations are not known ahead: ~20 for the bar
                    return protocols.fit_gap_conductance(
                        self.session, target, parameter=self.parameter,
                        on_step=lambda _g, _cc: progress(min(0.95, next(evaluations) / 20)),
                        **self.settings,
                    )  # fmt: skip
                except BaseException:
                    self.session.set(**{self.parameter: value})  # not a trial's g: the slider's
                    raise

        def done(g: float) -> str:
            if g > self.slider.end:  # the slider's range grows to show the fit, never clamps
                self.slider.end = 2 * g
            self.slider.value = g  # runs and shows it
            return f"Fitted {self.parameter} = {format_number(g, 6)} for CC {target:g}"

        self.fit_job.start(f"Fitting {self.parameter} to CC {target:g}", work, done)

    def run_spectrum(self) -> None:
        """The CC against frequency (neuntune's spectrum protocol, a sine of the step's
        amplitude) at the slider's conductance."""
        self.spectrum.clear()
        step = protocols.StepSettings(**self.settings)
        value = float(self.slider.value)

        def work(progress: Progress) -> CouplingSpectrum:
            with self.session.held():  # the live view waits: g stays the slider's
                self.session.set(**{self.parameter: value})
                return protocols.coupling_spectrum(
                    self.session, amp=abs(step.amp), dt=step.dt, celsius=step.celsius,
                    v_init=step.v_init, progress=progress,
                )  # fmt: skip

        def done(found: CouplingSpectrum) -> str:
            self.spectrum.show("ratio", found.frequency, found.ratio)
            return f"CC at {found.frequency.size} frequencies"

        self.spectrum_job.start("Coupling spectrum", work, done)

    def _failed(self, message: str) -> None:
        self._dispatch(lambda: setattr(self.status, "object", status_html(message, error=True)))

    def _show(self, measured: protocols.Coupling, generation: int) -> None:
        if generation < self._shown:
            return
        self._shown, self.latest = generation, measured
        result = measured.result
        self.sources["post"].data = {"x": result.t, "y": result.v["post"]}
        self.sources["partner"].data = {"x": result.t, "y": result.v["partner"]}
        rows = [
            ["CC (window means)", format_number(measured.cc, 5)],
            ["CC (BMTool: single samples)", format_number(measured.cc_bmtool, 5)],
        ]
        self.readout.object = table(["coupling coefficient", ""], rows)

    # ----------------------------------------------------------------- layout
    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            self._layout = page(
                self._dispatch,
                self.title,
                [self.slider],
                "BMTool's GapJunctionTuner protocol in NEURON: a current step into cell 1, "
                "the junction's conductance on the slider.",
                [
                    pn.pane.Bokeh(self.plot, sizing_mode="stretch_width"),
                    self.readout,
                    self.status,
                    self.target,
                    self.fit_bar,
                    self.spectrum_bar,
                    pn.pane.Bokeh(self.spectrum.figure, sizing_mode="stretch_width"),
                ],
            )
        return self._layout
