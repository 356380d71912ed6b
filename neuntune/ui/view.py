"""The live tuner: a Panel view of a :class:`~neuntune.ui.model.TunerModel`.

``Tuner(circuit)`` builds, per instance, one control row (slider, numeric entry,
reset) for every parameter the circuit's models declare, the Bokeh plots, a
metrics panel and a toolbar (Undo, Reset all, CSV download).  It displays in a
notebook, and ``.servable()`` or :func:`neuntune.ui.server.serve` serve it; a
server must build one Tuner per session (pass a function, not an instance).

Runs happen on the model's worker thread; finished runs come back through
:meth:`Tuner._dispatch`, which applies them on the session's event loop with
``doc.add_next_tick_callback`` (Bokeh's documented way to update a document from
another thread) and one ``pn.io.hold`` so a redraw is one websocket message.
"""

from __future__ import annotations

import asyncio
import html
import re
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
from .controls import Control
from .model import TunerModel, resolve_circuit
from .plots import TracePlots


class TuningSlider(pn.widgets.FloatSlider):
    """A FloatSlider whose drags reach Python without Panel's 50 ms wait.

    Panel's server holds each widget change for ``Syncable._debounce`` ms (50 by
    default, panel/reactive.py) before processing it, to merge bursts.  Panel has
    no public option for it; it is a per-class setting that Panel's own widgets
    override (as Tabulator overrides the neighbouring ``_priority_changes``), so a
    subclass lowers it for the tuning sliders only.  Bursts need no merging here:
    the model drops superseded runs itself.  tests/test_ui_view.py checks that
    Panel still reads this attribute.
    """

    _debounce = 0


_CSS = """
table.nt-metrics { border-collapse: collapse; margin: 0 1.5em 0.8em 0; font-size: 13px; }
table.nt-metrics th, table.nt-metrics td { padding: 2px 8px; text-align: right; }
table.nt-metrics th:first-child, table.nt-metrics td:first-child { text-align: left; }
table.nt-metrics tr:nth-child(even) { background: #f4f6f8; }
.nt-readout, .nt-notes { font-size: 12px; color: #333; line-height: 1.5; }
.nt-status { font-size: 12px; color: #555; }
"""


def _html(**properties: Any) -> pn.pane.HTML:
    """An empty HTML pane styled with the tuner's CSS.

    Panel's HTML pane, not a Bokeh Div: in the browser a Div's new text re-lays out
    the whole page (~50 ms here), the pane's does not (~1 ms).
    """
    return pn.pane.HTML("", stylesheets=[_CSS], **properties)


def _log_format() -> CustomJSTickFormatter:
    """Shows a log slider's position p as the value 10**p (3 significant digits)."""
    return CustomJSTickFormatter(code="return Number(Math.pow(10, tick).toPrecision(3)).toString()")


def format_number(value: float | None, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, positional unless huge or tiny
    (2000, not 2e+03); an em dash for None."""
    if value is None:
        return "—"
    if value == 0 or 1e-4 <= abs(value) < 1e7:
        return np.format_float_positional(value, precision=digits, fractional=False, trim="-")
    return f"{value:.{digits}g}"


def css_class(path: str) -> str:
    """A CSS class naming a control ("gj.g" -> "nt-gj-g"), for styling and browser tests."""
    return "nt-" + re.sub(r"[^A-Za-z0-9_]", "-", path)


def format_conductance(g_ms: float, name: str = "g") -> str:
    """A conductance given in mS as µS and nS, with its resistance R = 1/g in MΩ."""
    resistance = "∞" if g_ms == 0 else format_number(1e-3 / g_ms)
    return (
        f"{name} = {format_number(g_ms * 1e3)} µS = {format_number(g_ms * 1e6)} nS · "
        f"R = 1/{name} = {resistance} MΩ"
    )


def format_cc(junction: dict[str, Any], way: str) -> str:
    """CC of a junction ("forward" or "backward"); "…" marks a value being re-measured."""
    value = format_number(junction[f"cc_{way}"])
    if junction["cc_measured"]:
        return value
    return "…" if junction[f"cc_{way}"] is None else f"{value} …"


class Tuner(pn.viewable.Viewer):
    """Live tuner for a circuit: sliders from the model declarations, live plots, metrics.

    ``circuit`` is a :class:`~neuntune.Circuit` (copied: the tuner never changes
    yours), a preset (bundled name or JSON file), or None for the Neun docs' HH
    gap-junction pair.  ``t_stop``, ``dt`` and ``method`` are the initial run
    settings.  The state lives in ``tuner.model`` (a :class:`TunerModel`):
    ``tuner.model.set("gj.g", 0.003)``, ``.undo()``, ``.reset()``, ``.result``,
    ``.metrics``, ``.csv()``.  A server needs one Tuner per session: serve a
    function that makes it, not an instance.
    """

    model = param.ClassSelector(class_=TunerModel, constant=True, doc="the tuner's state")

    def __init__(
        self,
        circuit: Circuit | str | None = None,
        *,
        t_stop: float = 200.0,
        dt: float = 0.01,
        method: str = "rk4",
        **params: Any,
    ) -> None:
        model = TunerModel(resolve_circuit(circuit), t_stop=t_stop, dt=dt, method=method)
        super().__init__(model=model, **params)
        # Where finished runs are applied: the session's document when served, else the
        # notebook kernel's event loop, else (a plain script) at once.
        self._doc: Document | None = pn.state.curdoc
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._queue: list[Callable[[], None]] = []  # updates waiting for the UI thread
        self._queue_lock = threading.Lock()
        model.dispatch = self._dispatch
        self._plots = TracePlots(model.specs)
        self._layout: pn.viewable.Viewable | None = None
        self._readouts: dict[str, pn.pane.HTML] = {}
        self._ghost: dict | None = None  # ghost traces waiting for the next metrics
        self._metrics_pane = _html(sizing_mode="stretch_width")
        self._status_pane = _html(sizing_mode="stretch_width")
        model.param.watch(self._show_traces, "traces")
        model.param.watch(self._show_ghost, "ghost")
        model.param.watch(self._show_metrics, "metrics")
        model.param.watch(self._show_status, "status")
        if self._doc is not None and self._doc.session_context is not None:
            pn.state.on_session_destroyed(lambda _context: model.close())
        model.request_run()

    # ------------------------------------------------------------------ threads
    def _dispatch(self, update: Callable[[], None]) -> None:
        """Run ``update`` (from the worker thread) where it may touch the document.

        Updates run in the order they were dispatched (the model relies on it): they
        are queued here and drained by one callback, because Bokeh runs next-tick
        callbacks added before a session has started in no particular order.
        """
        doc = self._doc
        served = doc is not None and doc.session_context is not None
        if not served and (self._loop is None or not self._loop.is_running()):
            update()  # a plain script: no event loop to hand over to
            return
        with self._queue_lock:
            self._queue.append(update)
            if len(self._queue) > 1:
                return  # a drain is already scheduled and will run this one too
        if served:
            doc.add_next_tick_callback(partial(self._drain, doc))
        else:
            self._loop.call_soon_threadsafe(self._drain, None)

    def _drain(self, doc: Document | None) -> None:
        with self._queue_lock:
            updates, self._queue = self._queue, []
        with pn.io.hold(doc):  # one websocket message for all of them
            for update in updates:
                update()
        if doc is None and self._layout is not None:
            # Bokeh models changed outside a Panel callback reach a notebook only when pushed.
            pn.io.push_notebook(self._layout)

    # ------------------------------------------------------------------ updates
    def _show_traces(self, event: param.parameterized.Event) -> None:
        # Only the plots: text updates (readouts, metrics) follow with the metrics.
        self._plots.show(event.new, float(self.model.result.t[-1]))

    def _show_ghost(self, event: param.parameterized.Event) -> None:
        # Drawn with the next metrics rather than now or with the next result: the ghost
        # changes as a drag starts, and the redraw of that first step should carry only
        # the new traces.
        self._ghost = event.new

    def _show_status(self, event: param.parameterized.Event) -> None:
        self._status_pane.object = f'<span class="nt-status">{html.escape(event.new)}</span>'

    def _show_metrics(self, event: param.parameterized.Event) -> None:
        self._metrics_pane.object = self._metrics_html(event.new)
        for name in self._readouts:
            self._update_readout(name)
        if self._ghost is not None:
            self._plots.show_ghost(self._ghost)
            self._ghost = None

    def _metrics_html(self, metrics: dict[str, Any]) -> str:
        if not metrics:
            return ""
        rows = "".join(
            f"<tr><td>{html.escape(cell)}</td><td>{m['spikes']}</td><td>{m['rate']:.1f}</td></tr>"
            for cell, m in metrics["cells"].items()
        )
        parts = [
            '<table class="nt-metrics"><tr><th>cell</th><th>spikes</th>'
            f"<th>rate (Hz)</th></tr>{rows}</table>"
        ]
        if metrics["junctions"]:
            rows = "".join(
                f"<tr><td>{html.escape(name)}</td>"
                f"<td>{format_cc(j, 'forward')}</td>"
                f"<td>{format_cc(j, 'backward')}</td>"
                f"<td>{format_number(j['passive_forward'])}</td>"
                f"<td>{format_number(j['passive_backward'])}</td></tr>"
                for name, j in metrics["junctions"].items()
            )
            parts.append(
                '<table class="nt-metrics"><tr><th>junction</th><th>CC pre→post</th>'
                "<th>CC post→pre</th><th>passive g/(g<sub>L</sub>+g) pre→post</th>"
                f"<th>post→pre</th></tr>{rows}</table>"
            )
        if metrics["pairs"]:
            rows = "".join(
                f"<tr><td>{html.escape(a)}–{html.escape(b)}</td>"
                f"<td>{format_number(p['r'])}</td><td>{p['mean_abs_dv']:.2f}</td></tr>"
                for (a, b), p in metrics["pairs"].items()
            )
            parts.append(
                '<table class="nt-metrics"><tr><th>pair</th><th>Pearson r of V</th>'
                f"<th>mean |V₁−V₂| (mV)</th></tr>{rows}</table>"
            )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in metrics["notes"])
        return (
            '<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
            + "".join(parts)
            + "</div>"
            + (f'<ul class="nt-notes">{notes}</ul>' if notes else "")
        )

    def _update_readout(self, connection: str) -> None:
        """R = 1/g beside the conductance, and the live CC beside its passive estimate."""
        circuit = self.model.circuit
        lines = [
            html.escape(format_conductance(circuit.get(p), p.rsplit(".", 1)[1]))
            for p in self.model.controls
            if p.rsplit(".", 1)[0] == connection and self.model.controls[p].decl.unit == "mS"
        ]
        junction = self.model.metrics.get("junctions", {}).get(connection)
        if junction is not None:
            pre, post = junction["pre"], junction["post"]
            for source, target, way in ((pre, post, "forward"), (post, pre, "backward")):
                lines.append(
                    f"CC {source}→{target} = <b>{format_cc(junction, way)}</b> "
                    f"(passive estimate {format_number(junction[f'passive_{way}'])})"
                )
        self._readouts[connection].object = f'<div class="nt-readout">{"<br>".join(lines)}</div>'

    # ------------------------------------------------------------------- layout
    def _control_row(self, control: Control) -> pn.Row:
        model = self.model
        widgets: list[pn.viewable.Viewable] = []
        if control.has_slider:
            # The slider shows its own value as it moves (in the browser, no round trip);
            # the entry beside it takes the value on release.
            slider = TuningSlider.from_param(
                control.param.position,
                format=_log_format() if control.log else None,
                tooltips=False,
                min_width=140,
                sizing_mode="stretch_width",
            )
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
        shown = "steady state" if default is None else f"{default * control.display.factor:g}"
        reset = pn.widgets.Button(
            label="↺", width=36, align="end", description=f"Reset to {shown} {control.display.unit}"
        )
        reset.on_click(lambda _event: model.reset(control.path))
        return pn.Row(
            *widgets,
            entry,
            reset,
            sizing_mode="stretch_width",
            margin=0,
            css_classes=[css_class(control.path)],
        )

    def _setting_row(self, name: str, widget: pn.widgets.Widget) -> pn.Row:
        reset = pn.widgets.Button(
            label="↺", width=36, align="end", description=f"Reset to {self.model.default(name)}"
        )
        reset.on_click(lambda _event: self.model.reset(name))
        return pn.Row(
            widget, reset, sizing_mode="stretch_width", margin=0, css_classes=[css_class(name)]
        )

    def _build(self) -> pn.viewable.Viewable:
        model = self.model
        settings = pn.Card(
            self._setting_row("t_stop", pn.widgets.FloatInput.from_param(model.param.t_stop)),
            self._setting_row("dt", pn.widgets.FloatInput.from_param(model.param.dt)),
            self._setting_row("method", pn.widgets.Select.from_param(model.param.method)),
            title="Run settings",
            sizing_mode="stretch_width",
        )
        cards = []
        # Connections first: the coupling is what is being tuned; cells start folded.
        order = {"connection": 0, "stimulus": 1, "cell": 2}
        for name, title, paths, initial in sorted(
            model.groups(), key=lambda g: order[self._kind(g[0])]
        ):
            rows: list[pn.viewable.Viewable] = [self._control_row(model.controls[p]) for p in paths]
            if name in model.circuit.connections:
                self._readouts[name] = _html(sizing_mode="stretch_width")
                self._update_readout(name)
                rows.append(self._readouts[name])
            if initial:
                rows.append(
                    pn.Card(
                        *(self._control_row(model.controls[p]) for p in initial),
                        title="initial values",
                        collapsed=True,
                        sizing_mode="stretch_width",
                    )
                )
            cards.append(
                pn.Card(
                    *rows,
                    title=title,
                    collapsed=self._kind(name) == "cell",
                    sizing_mode="stretch_width",
                )
            )
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
        download = pn.widgets.FileDownload(
            callback=lambda: StringIO(model.csv()),
            filename="neuntune_traces.csv",
            label="Download CSV",
            width=130,
            embed=False,
        )
        toolbar = pn.Row(
            pn.pane.HTML("<h2 style='margin:0'>neuntune · live tuner</h2>", width=270),
            undo,
            reset_all,
            download,
            self._status_pane,
            sizing_mode="stretch_width",
        )
        error = pn.pane.Alert(
            model.param.error.rx.pipe(html.escape),
            alert_type="danger",
            visible=model.param.error.rx.bool(),
            sizing_mode="stretch_width",
        )
        note = pn.pane.Alert(
            model.param.note.rx.pipe(html.escape),
            alert_type="info",
            visible=model.param.note.rx.bool(),
            sizing_mode="stretch_width",
        )
        plots = [pn.pane.Bokeh(fig, sizing_mode="stretch_width") for fig in self._plots.figures]
        main = pn.Column(
            error,
            note,
            *plots,
            pn.pane.HTML("<h3>Metrics</h3>"),
            self._metrics_pane,
            sizing_mode="stretch_width",
        )
        sidebar = pn.Column(settings, *cards, width=430)
        return pn.Column(
            toolbar, pn.Row(sidebar, main, sizing_mode="stretch_width"), sizing_mode="stretch_width"
        )

    def _kind(self, element: str) -> str:
        circuit = self.model.circuit
        if element in circuit.neurons:
            return "cell"
        return "connection" if element in circuit.connections else "stimulus"

    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            self._layout = self._build()
        return self._layout
