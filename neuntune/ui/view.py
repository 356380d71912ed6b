"""The live tuner: a Panel view of a :class:`~neuntune.ui.session.Session`.

``Tuner(preset)`` shows a toolbar (preset picker, preset upload and download, Undo,
Reset all, CSV), the controls of the preset being tuned on the left — one row per
parameter the circuit's models declare: slider, numeric entry, reset — and tabs on
the right: Traces (live plots and metrics), Fit, Scan, Protocols and Data
(:mod:`neuntune.ui.panels`).  Opening another preset rebuilds the controls, the
plots and the tabs for its circuit.  It displays in a notebook, and
``.servable()`` or :func:`neuntune.ui.server.serve` serve it; a server must build
one Tuner per session (pass a function, not an instance).

Runs, fits, scans and protocols happen on worker threads; what they report comes
back through :meth:`Tuner._dispatch`, which applies it on the session's event loop
with ``doc.add_next_tick_callback`` (Bokeh's documented way to update a document
from another thread) and one ``pn.io.hold`` so a redraw is one websocket message.
"""

from __future__ import annotations

import asyncio
import html
import sys
import threading
from collections.abc import Callable
from functools import partial
from io import StringIO
from typing import Any

import numpy as np
import panel as pn
import param
from bokeh.document import Document
from bokeh.models import CustomJSTickFormatter

from ..circuit import Circuit
from ..presets import Preset
from . import notebook
from .controls import ENTRY_DIGITS, Control
from .diagram import CircuitDiagram, card_class
from .netplots import CouplingPlot, NetworkPlots
from .panels import DataPanel, FitPanel, ProtocolsPanel, ScanPanel
from .plots import TracePlots
from .population import (
    CouplingHistogram,
    NetworkMetrics,
    PairwiseCouplingModel,
    format_members,
)
from .recording import DataModel
from .session import Session
from .state import TunerModel
from .widgets import (
    css_class,
    format_number,
    html_pane,
    job_bar,
    message_alert,
    response_table,
    table,
)

__all__ = ["Tuner", "TuningSlider", "css_class", "format_conductance", "format_number"]

TITLE = "neuntune · live tuner"
TABS = ("Traces", "Fit", "Scan", "Protocols", "Data")


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


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of a Jupyter kernel, if this is one.

    Only an IPython kernel counts: other libraries (Playwright's sync API, for one)
    leave a loop marked as running on the main thread that nobody actually runs.
    """
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _log_format() -> CustomJSTickFormatter:
    """Shows a log slider's position p as the value 10**p (3 significant digits)."""
    return CustomJSTickFormatter(code="return Number(Math.pow(10, tick).toPrecision(3)).toString()")


def format_conductance(g_ms: float, name: str = "g") -> str:
    """A conductance given in mS as µS and nS, with its resistance R = 1/g in MΩ, to
    the digits the entries show (:data:`~neuntune.ui.controls.ENTRY_DIGITS`)."""
    resistance = "∞" if g_ms == 0 else format_number(1e-3 / g_ms, ENTRY_DIGITS)
    return (
        f"{name} = {format_number(g_ms * 1e3, ENTRY_DIGITS)} µS = "
        f"{format_number(g_ms * 1e6, ENTRY_DIGITS)} nS · R = 1/{name} = {resistance} MΩ"
    )


def _marks(mark: str, off_scale: str) -> str:
    """A control's marks (see :class:`~neuntune.ui.controls.Control`) as HTML."""
    return "<br>".join(
        f'<span class="nt-hint">⚠ {html.escape(text)}</span>' for text in (mark, off_scale) if text
    )


def _describe_spec(spec: Any) -> str:
    """A distribution as its repr (``Uniform(low=-70.0, high=-50.0, seed=1)``), an array
    as 'one value per member'."""
    return "one value per member" if isinstance(spec, np.ndarray) else repr(spec)


def format_cc(junction: dict[str, Any], way: str) -> str:
    """CC of a junction ("forward" or "backward"); "…" marks a value being re-measured."""
    value = format_number(junction[f"cc_{way}"])
    if junction["cc_measured"]:
        return value
    return "…" if junction[f"cc_{way}"] is None else f"{value} …"


def metrics_html(metrics: dict[str, Any]) -> str:
    """The metrics panel: spikes and rates, coupling, synchrony, synaptic responses."""
    if not metrics:
        return ""
    parts = [
        table(
            ["cell", "spikes", "rate (Hz)"],
            [[c, str(m["spikes"]), f"{m['rate']:.1f}"] for c, m in metrics["cells"].items()],
        )
    ]
    if metrics["junctions"]:
        parts.append(
            table(
                ["junction", "CC pre→post", "CC post→pre", "passive g/(gL+g) pre→post", "post→pre"],
                [
                    [
                        name,
                        format_cc(j, "forward"),
                        format_cc(j, "backward"),
                        format_number(j["passive_forward"]),
                        format_number(j["passive_backward"]),
                    ]
                    for name, j in metrics["junctions"].items()
                ],
            )
        )
    if metrics["pairs"]:
        parts.append(
            table(
                ["pair", "Pearson r of V", "mean |V₁−V₂| (mV)"],
                [
                    [f"{a}–{b}", format_number(p["r"]), f"{p['mean_abs_dv']:.2f}"]
                    for (a, b), p in metrics["pairs"].items()
                ],
            )
        )
    parts.append(response_table(metrics.get("synapses", {})))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in metrics["notes"])
    return (
        '<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
        + "".join(parts)
        + "</div>"
        + (f'<ul class="nt-notes">{notes}</ul>' if notes else "")
    )


def network_metrics_html(metrics: NetworkMetrics | None) -> str:
    """The metrics panel of a network: per population its spikes, mean rate, ISI CV
    and Golomb's synchrony χ."""
    if metrics is None:
        return ""
    rows = []
    for name, p in metrics.populations.items():
        chi = "—" if p.chi is None else format_number(p.chi, 3)
        if p.chi is not None and p.chi_members > 1:
            chi += f" (χ√N = {format_number(p.chi * p.chi_members**0.5, 3)})"
        rows.append(
            [
                name,
                str(p.size),
                str(p.spikes),
                f"{p.mean_rate:.1f}",
                "—" if p.cv is None else f"{p.cv:.3f} ({p.cv_cells} cells)",
                chi,
            ]
        )
    start, stop = metrics.window
    parts = [
        table(
            ["population", "cells", "spikes", "mean rate (Hz)", "ISI CV", "synchrony χ"],
            rows,
            caption=f"{format_number(start)}–{format_number(stop)} ms",
            css="nt-population-metrics",
        ),
        '<p class="nt-hint">χ (Golomb): variance of the population-averaged voltage over '
        "the mean variance of single cells, square-rooted: 1 when all cells move together, "
        "about 1/√N when they are independent (χ√N ≈ 1). CV: standard deviation over mean "
        "of each cell's interspike intervals (cells with ≥ 3 spikes), averaged.</p>",
    ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in metrics.notes)
    return "".join(parts) + (f'<ul class="nt-notes">{notes}</ul>' if notes else "")


def coupling_html(job: PairwiseCouplingModel) -> str:
    """What the pairwise-CC histogram shows, in numbers: how many directed pairs from
    how many injected cells, mean, median and range of the CC, the passive-pair
    estimate, and whether the values have changed since."""
    result, h = job.result, job.histogram
    if result is None or h is None:
        return (
            '<span class="nt-hint">Measure to see the distribution of CC = ΔV target / '
            "ΔV source over the pairs this connection joins (BMTool's protocol: stimuli "
            "removed, from rest, a −10 pA step for 500 ms into one cell at a time, all "
            "injected cells in one batched run).</span>"
        )
    injected = sum(len(v) for v in result.injected.values())
    taking_part = sum(result.members.values())
    rows = [
        [
            result.connection,
            str(h.n),
            f"{injected} of {taking_part}",
            format_number(h.mean, 4),
            format_number(h.median, 4),
            f"{format_number(h.low, 4)}–{format_number(h.high, 4)}",
            format_number(h.passive, 4),
        ]
    ]
    header = ["connection", "directed pairs", "cells injected", "mean CC", "median", "range"]
    parts = [
        table([*header, "passive estimate"], rows, css="nt-pairwise-cc"),
        '<p class="nt-hint">Passive estimate: g/(g_L + g) per pair, with g_L = gl·area of '
        "the receiving cell, averaged: exact for passive cells joined all to all by one g; "
        "an active cell at rest has its own slope conductance, and the rest of a network "
        "can shunt a pair, so the measured CC differs."
        + (
            f" Only {injected} of the {taking_part} cells were injected (a seeded sample): "
            "raise “Cells injected” for more."
            if result.sampled
            else ""
        )
        + "</p>",
    ]
    if job.stale:
        parts.append(
            '<p class="nt-hint nt-cc-stale">⚠ The cells or junctions have changed since this '
            "was measured: measure again.</p>"
        )
    return "".join(parts)


#: Why a junction's live CC and its passive estimate differ (under its readout).
CC_EXPLAINED = (
    '<span class="nt-hint">CC is measured as BMTool does: stimuli off, cells at rest, a '
    "small step into one cell, ΔV<sub>target</sub>/ΔV<sub>source</sub>. The passive "
    "estimate g/(g<sub>L</sub> + g) counts only the leak; channels open at rest (HH: K "
    "and Na) change the cell's own conductance, and with it the measured CC.</span>"
)
#: One line for a first-time user, under the toolbar.
GUIDANCE = (
    "Drag a slider or type a value and press Enter: the plots redraw as you go (grey: the "
    "previous run). Click a cell or connection in the Circuit to open its controls; Fit, "
    "Scan and Protocols tune towards targets."
)
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
        junction = self.model.metrics.get("junctions", {}).get(connection)
        if junction is not None:
            pre, post = junction["pre"], junction["post"]
            for source, target, way in ((pre, post, "forward"), (post, pre, "backward")):
                lines.append(
                    f"CC {source}→{target} = <b>{format_cc(junction, way)}</b> "
                    f"(passive estimate {format_number(junction[f'passive_{way}'])})"
                )
            measured, passive = junction["cc_forward"], junction["passive_forward"]
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
            shown = f"the members' starting values ({_describe_spec(default)})"
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
        marks = param.rx(_marks)(control.param.mark, control.param.off_scale)
        mark = pn.pane.HTML(
            marks,
            visible=marks.rx.bool(),
            sizing_mode="stretch_width",
            margin=(0, 10),
            css_classes=["nt-mark", css_class(f"mark.{control.path}")],
        )
        if control.decl.unit == "mS" and control.path.rsplit(".", 1)[0] in self.readouts:
            # The readout (g, R = 1/g) follows the value as soon as it is applied.
            connection = control.path.rsplit(".", 1)[0]
            control.param.watch(lambda _e: self._update_readout(connection), "entry")
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
            if name in model.circuit.connections:  # before its rows: they update it
                self.readouts[name] = html_pane(sizing_mode="stretch_width")
                self._update_readout(name)
            rows: list[pn.viewable.Viewable] = [self._control_row(model.controls[p]) for p in first]
            if name in self.readouts:
                rows.append(self.readouts[name])
            for label, group in (("more parameters", rest), ("initial values", initial)):
                if group:
                    rows.append(
                        pn.Card(
                            *(self._control_row(model.controls[p]) for p in group),
                            title=label,
                            collapsed=True,
                            sizing_mode="stretch_width",
                        )
                    )
            collapsed = self._kind(name) == "cell" and name not in hinted
            self.cards[name] = pn.Card(
                *rows,
                title=title,
                collapsed=collapsed,
                sizing_mode="stretch_width",
                css_classes=[card_class(name)],
            )
            cards.append(self.cards[name])
        return pn.Column(
            self._edits(), self._diagram_card(), settings, *cards,
            sizing_mode="stretch_width", margin=0,
        )  # fmt: skip

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


class Tuner(pn.viewable.Viewer):
    """The live tuner: sliders from the model declarations, live plots and metrics, and
    the Fit, Scan, Protocols and Data tabs.

    ``circuit`` is a :class:`~neuntune.Circuit` (copied: the tuner never changes
    yours), a :class:`~neuntune.Preset`, a preset name or JSON file (with its own run
    settings), or None for the Neun docs' HH gap-junction pair run for 200 ms at dt
    0.01 ms.  ``t_stop``, ``dt`` and ``method`` override the run settings.  The
    state lives in ``tuner.session`` (a :class:`~neuntune.ui.session.Session`);
    ``tuner.model`` is the preset being tuned (a :class:`TunerModel`):
    ``tuner.model.set("gj.g", 0.003)``, ``.undo()``, ``.reset()``, ``.result``,
    ``.metrics``, ``.csv()``, ``.to_preset()``.  ``warm=False`` skips compiling the
    tabs' kernels in the background; an Event means someone else compiles them and
    sets it when they are ready (:func:`~neuntune.ui.server.serve`).  A server needs
    one Tuner per session: serve a function that makes it, not an instance.
    """

    def __init__(
        self,
        circuit: Circuit | Preset | str | None = None,
        *,
        t_stop: float | None = None,
        dt: float | None = None,
        method: str | None = None,
        warm: bool | threading.Event = True,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        # Where finished work is applied: the session's document when served, else the
        # notebook kernel's event loop, else (a plain script) at once.
        self._doc: Document | None = pn.state.curdoc
        self._loop = _kernel_loop()
        self._queue: list[Callable[[], None]] = []  # updates waiting for the UI thread
        self._queue_lock = threading.Lock()
        # A served page takes updates once it has loaded (see _dispatch).
        self._loaded = not (self._doc is not None and self._doc.session_context is not None)
        self._layout: pn.viewable.Viewable | None = None
        given = (("t_stop", t_stop), ("dt", dt), ("method", method))
        run = {key: value for key, value in given if value is not None}
        self.session = Session(circuit, dispatch=self._dispatch, warm=warm, **run)
        self._panel = TunePanel(self.session.tuner, self.session.data, self.session.pairwise)
        self.session.param.watch(self._switched, "tuner")
        if self._doc is not None and self._doc.session_context is not None:
            pn.state.on_session_destroyed(lambda _context: self.close())
            pn.state.onload(self._page_loaded)
        # The upload button's browser-side link (see _build), if built.
        self._upload_link: Any = None

    def close(self) -> None:
        """Stop everything this tuner runs and let it be collected (its page closed).

        Panel keeps a button's JavaScript links in a class-wide registry keyed
        (weakly) by the button; the upload link's arguments lead back to the button
        through this tuner, so the entry would keep the whole session alive."""
        self.session.close()
        if self._upload_link is not None:
            self._upload_link.unwatch()

    @property
    def model(self) -> TunerModel:
        """The preset being tuned (a new one after another preset is opened)."""
        return self.session.tuner

    # ------------------------------------------------------------------ threads
    def _dispatch(self, update: Callable[[], None]) -> None:
        """Run ``update`` (from a worker thread) where it may touch the document.

        Updates run in the order they were dispatched (the models rely on it): they
        are queued here and drained by one callback, because Bokeh runs next-tick
        callbacks added before a session has started in no particular order.

        A served page drains nothing before it has loaded: Panel defers changes to
        its own widgets until the browser is connected, but a change made directly
        to a Bokeh model (a plot's data or range) between the page's rendering and
        its websocket's connection never reaches the browser.  A network's first
        run (over a second) used to land there and leave the plots empty.
        """
        doc = self._doc
        served = doc is not None and doc.session_context is not None
        if not served and (self._loop is None or not self._loop.is_running()):
            update()  # a plain script: no event loop to hand over to
            return
        with self._queue_lock:
            self._queue.append(update)
            if len(self._queue) > 1 or not self._loaded:
                return  # a drain is already scheduled (or the page's load drains)
        if served:
            doc.add_next_tick_callback(partial(self._drain, doc))
        else:
            self._loop.call_soon_threadsafe(self._drain, None)

    def _page_loaded(self) -> None:
        """The browser has rendered the page: apply what arrived meanwhile."""
        with self._queue_lock:
            self._loaded = True
        self._drain(self._doc)

    def _drain(self, doc: Document | None) -> None:
        with self._queue_lock:
            updates, self._queue = self._queue, []
        with pn.io.hold(doc):  # one websocket message for all of them
            for update in updates:
                update()
        if doc is None and self._layout is not None:
            # Bokeh models changed outside a Panel callback reach a notebook only when pushed.
            pn.io.push_notebook(self._layout)

    # ------------------------------------------------------------------ presets
    def _switched(self, event: param.parameterized.Event) -> None:
        """Another preset was opened: new controls, plots and tabs for its circuit."""
        self._panel.dispose()
        self._panel = TunePanel(event.new, self.session.data, self.session.pairwise)
        if self._layout is None:
            return
        with pn.io.hold(self._doc):
            self._fill()

    def _uploaded(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.session.upload(event.new, event.obj.filename or "preset.json")

    def _download(self) -> StringIO:
        name, text = self.session.download()
        self._download_button.filename = name
        return StringIO(text)

    # ------------------------------------------------------------------- layout
    def _fill(self) -> None:
        """Put the current preset's panels into the layout's boxes.

        The Fit, Scan, Protocols and Data tabs are built when first shown (a third fewer
        Bokeh models on the first page) and then stay in the page.  Panel's
        ``Tabs(dynamic=True)`` would do the first part, but it also drops a hidden
        tab's models from the document, and Panel gives a model updated outside a
        document its stylesheets' CDN URLs (no ``dist_url`` to patch them to): the
        page then fetched Panel's theme CSS from its CDN on coming back to a tab.
        """
        self._sidebar_box.objects = [self._panel.sidebar]
        self._actions_box.objects = [self._panel.actions]
        self._traces_box.objects = [self._panel.traces]
        # The preset's own tabs: rebuilt for the new preset when next shown.
        for name in ("Fit", "Scan", "Protocols"):
            self._tab_boxes[name].objects = []
            self._built.discard(name)
        self._show_tab()

    def _show_tab(self, *_events: param.parameterized.Event) -> None:
        """Build the shown tab's panel if it has not been built for this preset."""
        name = TABS[self._tabs.active]
        if name in self._built:
            return
        session = self.session
        if name == "Fit":
            panel = FitPanel(session).panel
        elif name == "Scan":
            panel = ScanPanel(session).panel
        elif name == "Protocols":
            panel = ProtocolsPanel(session).panel
        elif name == "Data":
            panel = DataPanel(session.data).panel
        else:
            return  # Traces: filled with the preset's panel
        self._tab_boxes[name].objects = [panel]
        self._built.add(name)

    def _build(self) -> pn.viewable.Viewable:
        session = self.session
        picker = pn.widgets.Select.from_param(
            session.param.preset_name, width=220, label="", css_classes=["nt-preset"]
        )
        # One "Upload preset…" button instead of the browser's "Choose File / No file
        # chosen": it opens the (hidden) file input's dialog.
        upload = pn.widgets.FileInput(
            accept=".json", multiple=False, visible=False, css_classes=["nt-upload"]
        )
        upload.param.watch(self._uploaded, "value")
        choose = pn.widgets.Button(
            label="Upload preset…", width=140, align="center",
            description="Open a preset saved as JSON (from Download preset or the CLI)",
            css_classes=["nt-upload-button"],
        )  # fmt: skip
        self._upload_link = choose.js_on_click(
            args={"upload": upload}, code="Bokeh.index.find_one(upload)?.input_el.click()"
        )
        self._download_button = pn.widgets.FileDownload(
            callback=self._download,
            filename="preset.json",
            label="Download preset",
            width=150,
            embed=False,
            align="center",
        )
        preset_error = message_alert(session.param.preset_error, "danger", "nt-preset-error")
        box = partial(pn.Column, sizing_mode="stretch_width", margin=0)
        self._sidebar_box = pn.Column(width=430, margin=0)
        self._actions_box = pn.Row(sizing_mode="stretch_width", margin=0)
        self._traces_box = box()
        self._tab_boxes = {name: box() for name in TABS[1:]}
        self._built: set[str] = set()
        self._tabs = pn.Tabs(
            ("Traces", self._traces_box),
            *self._tab_boxes.items(),
            sizing_mode="stretch_width",
        )
        self._fill()
        self._tabs.param.watch(self._show_tab, "active")
        toolbar = pn.Row(
            pn.pane.HTML(f"<h2 style='margin:0'>{TITLE}</h2>", width=250, align="center"),
            pn.pane.HTML("<b>Preset</b>", width=50, align="center"),
            picker,
            choose,
            upload,
            self._download_button,
            self._actions_box,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            toolbar,
            pn.pane.HTML(f'<span class="nt-hint nt-guidance">{GUIDANCE}</span>', margin=(0, 10)),
            preset_error,
            pn.Row(self._sidebar_box, self._tabs, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            self._layout = self._build()
        return self._layout

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """The notebook output: works offline (front end inline, never from a CDN) and
        says so when its front end has not loaded (:mod:`neuntune.ui.notebook`)."""
        notebook.load_front_end()
        bundle = super()._repr_mimebundle_(include, exclude)
        return notebook.offline_bundle(self.__panel__(), bundle)
