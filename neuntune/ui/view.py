"""One preset's controls, live plots and metrics (:class:`TunePanel`), as the tuner
(:mod:`neuntune.ui.tuner`) shows them: one row per parameter the circuit's models
declare — slider, numeric entry, reset — in cards per cell and connection under the
circuit diagram, and the Traces tab's plots, metrics and run status.  Built anew for
each preset opened; what the worker threads report reaches it through the tuner's
dispatch (see :class:`~neuntune.ui.tuner.Tuner`).
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from functools import partial
from io import StringIO
from typing import Any

import numpy as np
import panel as pn
import param
from bokeh.models import CustomJSTickFormatter

from .controls import Control
from .diagram import CircuitDiagram, card_class
from .netplots import CouplingPlot, NetworkPlots
from .plots import TracePlots
from .population import (
    CouplingHistogram,
    PairwiseCouplingModel,
    format_members,
)
from .readouts import (
    CC_EXPLAINED,
    coupling_html,
    describe_spec,
    format_cc,
    format_conductance,
    marks_html,
    metrics_html,
    network_metrics_html,
)
from .recording import DataModel
from .state import TunerModel
from .widgets import (
    css_class,
    format_number,
    html_pane,
    job_bar,
    message_alert,
)

__all__ = ["TunePanel", "TuningSlider"]


class TuningSlider(pn.widgets.FloatSlider):
    """A FloatSlider whose drags reach Python without Panel's 50 ms wait.

    Panel's server holds each widget change for ``Syncable._debounce`` ms (50,
    panel/reactive.py) to merge bursts.  Panel 1.9 exposes no public setting for it
    (not in ``pn.config``, not a widget parameter), so this subclass lowers the class
    attribute for the tuning sliders only; bursts need no merging here, the model
    drops superseded runs itself.  benchmarks/dashboard_latency.py measures the
    effect (slider to redrawn frame in Chromium).
    """

    _debounce = 0


def _log_format() -> CustomJSTickFormatter:
    """Shows a log slider's position p as the value 10**p (3 significant digits)."""
    return CustomJSTickFormatter(code="return Number(Math.pow(10, tick).toPrecision(3)).toString()")


#: Least height of one live plot (px), and what the page keeps for the header, the
#: status line and the metrics below the plots (px of the window's height).
PLOT_MIN_HEIGHT = 220
PLOTS_LEAVE = 330
#: A run not shown after this long (s) puts the loading overlay over the plots.
SLOW_RUN = 0.3


class TunePanel:
    """The controls, live plots and metrics of one :class:`TunerModel`: the sidebar,
    the Traces tab (with the run's status) and the toolbar's Undo, Reset all and CSV.  Built anew
    for each preset opened; the recorded trace (``data``) is drawn over the plots.  A
    network with gap junctions also gets the pairwise-CC histogram of ``coupling``.

    The plots and metrics carry Panel's loading overlay until the preset's first run
    is shown (its kernels may be compiling), and whenever a run takes over
    :data:`SLOW_RUN`: what is on screen never mixes two presets or two runs unmarked.
    """

    def __init__(
        self,
        model: TunerModel,
        data: DataModel,
        coupling: PairwiseCouplingModel | None = None,
    ) -> None:
        self.model = model
        self.data = data
        self.coupling = coupling
        self.plots = NetworkPlots(model.circuit) if model.network else TracePlots(model.specs)
        self.readouts: dict[str, pn.pane.HTML] = {}
        self.cards: dict[str, pn.Card] = {}  # by element, in the sidebar
        self._ghost: dict | None = None  # ghost traces waiting for the next metrics
        self.metrics_pane = html_pane(sizing_mode="stretch_width")
        self.status_pane = html_pane(sizing_mode="stretch_width", margin=(0, 10))
        self._frames = 0  # runs drawn: a drag draws many while the model stays busy
        self.sidebar = self._sidebar()
        self.traces = self._traces()
        self.actions = self._actions()
        # Follow the model once the layout exists (a worker may deliver a run at any
        # time), then show what it already has: its first run may have ended already.
        model.param.watch(self._show_traces, "traces")
        model.param.watch(self._show_ghost, "ghost")
        model.param.watch(self._show_metrics, "metrics")
        model.param.watch(self._show_status, "status")
        model.param.watch(self._show_population_metrics, "population_metrics")
        model.param.watch(self._busy_changed, "busy")
        self._data_watcher = data.param.watch(self._show_recording, ["recording", "overlay"])
        if model.traces:
            self.plots.show(model.traces, float(model.result.t[-1]))
            self._frames += 1
        self._show_status()
        self._show_metrics()
        self._show_population_metrics()
        self._show_recording()
        self.results.loading = model.result is None and model.busy

    def dispose(self) -> None:
        """Stop following the session's recording (this panel's preset was closed)."""
        self.data.param.unwatch(self._data_watcher)

    # ---------------------------------------------------------------- updates
    def _show_traces(self, event: param.parameterized.Event) -> None:
        # Only the plots: text updates (readouts, metrics) follow with the metrics.
        self.plots.show(event.new, float(self.model.result.t[-1]))
        self._frames += 1
        self.results.loading = False

    def _show_ghost(self, event: param.parameterized.Event) -> None:
        # Drawn with the next metrics rather than now or with the next result: the ghost
        # changes as a drag starts, and the redraw of that first step should carry only
        # the new traces.
        self._ghost = event.new

    def _busy_changed(self, event: param.parameterized.Event) -> None:
        if event.new:
            self._await_frame()
        else:
            self.results.loading = False

    def _await_frame(self) -> None:
        """Overlay the plots if nothing is drawn in the next :data:`SLOW_RUN` s while
        the model stays busy."""
        drawn = self._frames
        timer = threading.Timer(SLOW_RUN, self.model.dispatch, [partial(self._no_frame, drawn)])
        timer.daemon = True
        timer.start()

    def _no_frame(self, drawn: int) -> None:
        if not self.model.busy:
            return
        if self._frames == drawn:
            self.results.loading = True
        else:  # frames are coming (a drag): wait from the latest
            self._await_frame()

    def _show_status(self, *_events: param.parameterized.Event) -> None:
        self.status_pane.object = f'<span class="nt-status">{html.escape(self.model.status)}</span>'

    def _show_metrics(self, *_events: param.parameterized.Event) -> None:
        self.metrics_pane.object = metrics_html(self.model.metrics)
        for name in self.readouts:
            self._update_readout(name)
        if self._ghost is not None:
            self.plots.show_ghost(self._ghost)
            self._ghost = None

    def _show_population_metrics(self, *_events: param.parameterized.Event) -> None:
        if self.model.network:
            self.metrics_pane.object = network_metrics_html(self.model.population_metrics)
            for name in self.readouts:
                self._update_readout(name)

    def _show_recording(self, *_events: param.parameterized.Event) -> None:
        self.plots.show_recording(self.data.recording if self.data.overlay else None)

    def _update_readout(self, connection: str) -> None:
        """R = 1/g beside the conductance, and the live CC beside its passive estimate."""
        circuit = self.model.circuit
        lines = []
        for p in self.model.controls:
            if p.rsplit(".", 1)[0] != connection or self.model.controls[p].decl.unit != "mS":
                continue
            value, name = circuit.get(p), p.rsplit(".", 1)[1]
            if isinstance(value, np.ndarray):  # one per connection: their mean
                lines.append(
                    html.escape(format_conductance(float(np.nanmean(value)), f"mean {name}"))
                )
            else:
                lines.append(html.escape(format_conductance(value, name)))
        if self.model.network:
            size = circuit.size(connection)
            lines.append(f"{size:,} connections ({html.escape(self._rule(connection))})")
        metrics = self.model.metrics
        junction = None if metrics is None else metrics.junctions.get(connection)
        if junction is not None:
            pre, post = junction.pre, junction.post
            for source, target, cc, passive in (
                (pre, post, junction.cc_forward, junction.passive_forward),
                (post, pre, junction.cc_backward, junction.passive_backward),
            ):
                lines.append(
                    f"CC {source}→{target} = <b>{format_cc(cc, junction.cc_measured)}</b> "
                    f"(passive estimate {format_number(passive)})"
                )
            measured, passive = junction.cc_forward, junction.passive_forward
            if measured is not None and passive and abs(measured - passive) > 0.01 * passive:
                lines.append(CC_EXPLAINED)
        self.readouts[connection].object = f'<div class="nt-readout">{"<br>".join(lines)}</div>'

    def _rule(self, connection: str) -> str:
        rule = self.model.circuit.connections[connection].rule
        return "one pair" if rule is None else type(rule).__name__

    # ----------------------------------------------------------------- layout
    def _slider(self, control: Control) -> pn.widgets.FloatSlider:
        """A slider for ``control``: live while dragged, or for a network (a run takes
        most of a second) on release only (``value_throttled``: the handle moves
        freely, one run starts where it is let go; arrow keys run at each press)."""
        options = dict(
            format=_log_format() if control.log else None,
            tooltips=False,
            min_width=140,
            sizing_mode="stretch_width",
        )
        if not self.model.network:
            return TuningSlider.from_param(control.param.position, **options)
        spec = control.param.position
        low, high = spec.bounds
        slider = TuningSlider(
            label=spec.label, start=low, end=high, step=spec.step, value=control.position,
            **options,
        )  # fmt: skip

        def released(event: param.parameterized.Event) -> None:
            control.position = event.new

        slider.param.watch(released, "value_throttled")
        control.param.watch(lambda event: setattr(slider, "value", event.new), "position")

        def widened(_event: param.parameterized.Event) -> None:
            # A value beyond the slider's ends widens its range (see Control._extend).
            low, high = control.param.position.bounds
            slider.param.update(start=low, end=high, step=control.param.position.step)

        control.param.watch(widened, "position", what="bounds")
        return slider

    def _control_row(self, control: Control) -> pn.viewable.Viewable:
        model = self.model
        widgets: list[pn.viewable.Viewable] = []
        if control.has_slider:
            # The slider shows its own value as it moves (in the browser, no round trip);
            # the entry beside it takes the value on release.
            slider = self._slider(control)
            # Releasing the handle ends one undo step (a whole drag is undone at once).
            slider.param.watch(lambda _event: model.checkpoint(), "value_throttled")
            widgets.append(slider)
        else:
            widgets.append(
                pn.pane.HTML(
                    f"{html.escape(control.label)}<br><small>{html.escape(control.decl.doc)}"
                    "</small>",
                    sizing_mode="stretch_width",
                )
            )
        entry = pn.widgets.FloatInput.from_param(
            control.param.entry,
            label="",
            width=105,
            align="end",
            placeholder="steady state" if control.decl.nullable else "",
        )
        default = model.default(control.path)
        if default is None:
            shown = "steady state"
        elif isinstance(default, float | int):
            shown = f"{default * control.display.factor:g} {control.display.unit}"
        else:  # members differed at the start
            shown = f"the members' starting values ({describe_spec(default)})"
        reset = pn.widgets.Button(label="↺", width=36, align="end", description=f"Reset to {shown}")
        reset.on_click(lambda _event: model.reset(control.path))
        row = pn.Row(
            *widgets,
            entry,
            reset,
            sizing_mode="stretch_width",
            margin=0,
            css_classes=[css_class(control.path)],
        )
        # A value the plots do not show (its run failed), or the handle cannot (0 on a
        # log slider): said under the row, so the widgets never silently disagree.
        marks = param.rx(marks_html)(control.param.mark, control.param.off_scale)
        mark = pn.pane.HTML(
            marks,
            visible=marks.rx.bool(),
            sizing_mode="stretch_width",
            margin=(0, 10),
            css_classes=["nt-mark", css_class(f"mark.{control.path}")],
        )
        if not model.network:
            return pn.Column(row, mark, sizing_mode="stretch_width", margin=0)
        # Members of a population may differ: say so (and what moving the slider does)
        # above the slider, before it is moved.
        spread = pn.pane.HTML(
            control.param.spread.rx.pipe(
                lambda text: f'<span class="nt-hint">⚠ {html.escape(text)}</span>'
            ),
            visible=control.param.spread.rx.bool(),
            sizing_mode="stretch_width",
            margin=(0, 10),
            css_classes=["nt-spread", css_class(f"spread.{control.path}")],
        )
        return pn.Column(spread, row, mark, sizing_mode="stretch_width", margin=0)

    def _setting_row(self, name: str, widget: pn.widgets.Widget) -> pn.Row:
        reset = pn.widgets.Button(
            label="↺", width=36, align="end", description=f"Reset to {self.model.default(name)}"
        )
        reset.on_click(lambda _event: self.model.reset(name))
        return pn.Row(
            widget, reset, sizing_mode="stretch_width", margin=0, css_classes=[css_class(name)]
        )

    def _kind(self, element: str) -> str:
        circuit = self.model.circuit
        if element in circuit.neurons:
            return "cell"
        return "connection" if element in circuit.connections else "stimulus"

    def _sidebar(self) -> pn.Column:
        model = self.model
        settings = pn.Card(
            self._setting_row("t_stop", pn.widgets.FloatInput.from_param(model.param.t_stop)),
            self._setting_row("dt", pn.widgets.FloatInput.from_param(model.param.dt)),
            self._setting_row("method", pn.widgets.Select.from_param(model.param.method)),
            title="Run settings",
            sizing_mode="stretch_width",
        )
        cards = []
        # Connections first: the coupling is what is being tuned; cells start folded
        # unless the preset's hints point into them.
        order = {"connection": 0, "stimulus": 1, "cell": 2}
        hinted = {path.rsplit(".", 1)[0] for path in model.hints}
        for name, title, paths, initial in sorted(
            model.groups(), key=lambda g: order[self._kind(g[0])]
        ):
            # A preset's hinted parameters are what its author tunes: they come first and
            # the element's other parameters fold away.
            first = [p for p in model.hints if p in paths] if name in hinted else paths
            rest = [p for p in paths if p not in first]
            if name in model.circuit.connections:
                self.readouts[name] = html_pane(sizing_mode="stretch_width")
                self._update_readout(name)
                for p in paths:
                    if model.controls[p].decl.unit == "mS":
                        # The readout (g, R = 1/g) follows the value as soon as it is
                        # applied, whether or not its row has been built.
                        model.controls[p].param.watch(
                            lambda _e, n=name: self._update_readout(n), "entry"
                        )
            collapsed = self._kind(name) == "cell" and name not in hinted
            self.cards[name] = self._card(
                partial(self._element_rows, name, first, rest, initial),
                title=title,
                collapsed=collapsed,
                css_classes=[card_class(name)],
            )
            cards.append(self.cards[name])
        return pn.Column(
            self._edits(), self._diagram_card(), settings, *cards,
            sizing_mode="stretch_width", margin=0,
        )  # fmt: skip

    def _element_rows(
        self, name: str, first: list[str], rest: list[str], initial: list[str]
    ) -> list[pn.viewable.Viewable]:
        """An element's card: its first parameters' rows, its readout, and folded cards
        of its other parameters and initial values."""
        controls = self.model.controls
        rows: list[pn.viewable.Viewable] = [self._control_row(controls[p]) for p in first]
        if name in self.readouts:
            rows.append(self.readouts[name])
        for label, group in (("more parameters", rest), ("initial values", initial)):
            if group:
                rows.append(
                    self._card(
                        lambda g=group: [self._control_row(controls[p]) for p in g],
                        title=label,
                        collapsed=True,
                    )
                )
        return rows

    @staticmethod
    def _card(
        rows: Callable[[], list[pn.viewable.Viewable]], collapsed: bool, **options: Any
    ) -> pn.Card:
        """A card of ``rows()``; a folded card builds them when first opened.  Most of
        a preset's rows sit in folded cards (cells, more parameters, initial values):
        building, sending and drawing them only when asked for takes about half the
        Bokeh models off the first page."""
        if not collapsed:
            return pn.Card(*rows(), collapsed=False, sizing_mode="stretch_width", **options)
        card = pn.Card(collapsed=True, sizing_mode="stretch_width", **options)

        def opened(event: param.parameterized.Event) -> None:
            if not event.new:
                card.param.unwatch(watcher)
                card.objects = rows()

        watcher = card.param.watch(opened, "collapsed")
        return card

    def _diagram_card(self) -> pn.Card:
        """The circuit diagram (:mod:`neuntune.ui.diagram`): clicking a cell or a
        connection opens its card below and scrolls to it; the conductances it shows
        follow their entries."""
        model = self.model
        self.diagram = CircuitDiagram(
            model.circuit,
            {path: control.display for path, control in model.controls.items()},
            on_select=self._open_card,
        )
        for path, control in model.controls.items():
            if control.decl.unit == "mS" and path.rsplit(".", 1)[0] in model.circuit.connections:
                # Through dispatch: a widget's callback does not hold the document's lock
                # that changing a Bokeh source directly needs.
                control.param.watch(lambda _e: model.dispatch(self.diagram.update), "entry")
        return pn.Card(
            pn.pane.Bokeh(self.diagram.figure),
            title="Circuit",
            sizing_mode="stretch_width",
            css_classes=["nt-diagram"],
        )

    def _open_card(self, name: str) -> None:
        """Unfold element ``name``'s card (the browser scrolls to it)."""
        card = self.cards.get(name)
        if card is not None:
            card.collapsed = False

    def _traces(self) -> pn.Column:
        model = self.model
        error = message_alert(model.param.error, "danger")
        note = message_alert(model.param.note, "info")
        # The plots share the window's height (what the header, status and metrics
        # leave), each at least PLOT_MIN_HEIGHT px.  The height is the panes' CSS, not
        # Panel's stretch_both, which would spread to every layout above them.
        # A network's raster, rate and members keep their own heights.
        n = len(self.plots.figures)
        height = f"max({PLOT_MIN_HEIGHT}px, calc((100vh - {PLOTS_LEAVE}px) / {n}))"
        shared = {} if model.network else {"styles": {"height": height}}
        for fig in self.plots.figures if shared else ():
            fig.sizing_mode, fig.min_height = "stretch_both", PLOT_MIN_HEIGHT
        plots: list[Any] = [
            pn.pane.Bokeh(fig, sizing_mode="stretch_width", **shared) for fig in self.plots.figures
        ]
        if model.network:
            plots.insert(2, self._member_chooser())
        shown = pn.Column(*plots, sizing_mode="stretch_width", margin=0)
        extra = [] if self.coupling is None else [self._coupling_section(self.coupling)]
        # what a run draws (under the overlay while one is pending); the status says why
        self.results = pn.Column(
            shown,
            pn.pane.HTML("<h3 style='margin:4px 0'>Metrics</h3>"),
            self.metrics_pane,
            sizing_mode="stretch_width",
            margin=0,
            css_classes=["nt-results"],
        )
        return pn.Column(
            self.status_pane, error, note, self.results, *extra, sizing_mode="stretch_width"
        )

    def _coupling_section(self, job: PairwiseCouplingModel) -> pn.Card:
        """The pairwise-CC histogram of a gap-junction connection, measured on demand
        on the job's own thread (the live runs go on), with progress and Cancel."""
        plot = CouplingPlot()
        summary = html_pane(sizing_mode="stretch_width")
        measure = pn.widgets.Button(
            label="Measure pairwise CC", color="primary", width=170,
            css_classes=["nt-measure-cc"],
        )  # fmt: skip
        measure.on_click(lambda _event: job.run())

        def show_histogram(*_events: param.parameterized.Event) -> None:
            histogram: CouplingHistogram | None = job.histogram
            plot.show(histogram)
            summary.object = coupling_html(job)

        def show_summary(*_events: param.parameterized.Event) -> None:
            summary.object = coupling_html(job)

        job.param.watch(show_histogram, "histogram")
        job.param.watch(show_summary, "stale")
        show_histogram()
        controls = pn.Row(
            pn.widgets.Select.from_param(job.param.connection, label="Junction", width=160),
            pn.widgets.IntInput.from_param(job.param.sources, width=120),
            sizing_mode="stretch_width",
        )
        return pn.Card(
            controls,
            job_bar(job, measure),
            pn.pane.Bokeh(plot.figure, sizing_mode="stretch_width"),
            summary,
            title="Gap junctions: pairwise coupling coefficients",
            sizing_mode="stretch_width",
            css_classes=["nt-pairwise"],
        )

    def _member_chooser(self) -> pn.Row:
        """One entry per population: which members' voltages are shown (and recorded)."""
        model = self.model
        boxes = {}
        for name, members in model.members.items():
            box = pn.widgets.TextInput(
                label=f"{name}: members shown (0–{model.circuit.size(name) - 1})",
                value=format_members(members),
                placeholder="e.g. 0, 1, 5-7",
                width=230,
                css_classes=[css_class(f"members.{name}")],
            )
            box.param.watch(lambda event, n=name: model.show_members(n, event.new), "value")
            boxes[name] = box

        def follow(event: param.parameterized.Event) -> None:
            for name, box in boxes.items():
                box.value = format_members(event.new.get(name, ()))

        model.param.watch(follow, "members")
        return pn.Row(
            *boxes.values(),
            html_pane(
                '<span class="nt-hint">Members whose voltages are plotted below (indices '
                "and ranges, at most 10 per population); the raster shows every member.</span>",
                align="end",
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )

    def _actions(self) -> pn.Row:
        """The toolbar's part of this preset: its traces as CSV."""
        download = pn.widgets.FileDownload(
            callback=lambda: StringIO(self.model.csv()),
            filename="neuntune_traces.csv",
            label="Download traces (CSV)",
            width=170,
            embed=False,
            align="center",
        )
        return pn.Row(download, margin=0)

    def _edits(self) -> pn.Row:
        """Undo and Reset all, above the controls they act on."""
        model = self.model
        undo = pn.widgets.Button(
            label="Undo",
            disabled=model.param.can_undo.rx.not_(),
            width=80,
            description="Step back one change (a whole slider drag is one step)",
        )
        undo.on_click(lambda _event: model.undo())
        reset_all = pn.widgets.Button(
            label="Reset all", width=90, description="Every value back to where it started"
        )
        reset_all.on_click(lambda _event: model.reset())
        return pn.Row(undo, reset_all, sizing_mode="stretch_width", margin=0)
