"""Small view helpers shared by the tuner and its tabs: number formatting, styled
HTML panes, CSS class names for tests, and a job's progress bar with its Cancel."""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import panel as pn
import param

from .jobs import Job
from .metrics import SynapseResponse

CSS = """
table.nt-metrics { border-collapse: collapse; margin: 0 1.5em 0.8em 0; font-size: 13px; }
table.nt-metrics th, table.nt-metrics td { padding: 2px 8px; text-align: right; }
table.nt-metrics th:first-child, table.nt-metrics td:first-child { text-align: left; }
table.nt-metrics tr:nth-child(even) { background: #f4f6f8; }
table.nt-metrics caption { text-align: left; font-weight: 600; padding: 0 0 3px 2px; }
.nt-readout, .nt-notes { font-size: 12px; color: #333; line-height: 1.5; }
.nt-status { font-size: 12px; color: #555; }
.nt-hint { font-size: 12px; color: #666; }
"""


def html_pane(text: str = "", **properties: Any) -> pn.pane.HTML:
    """An HTML pane styled with the tuner's CSS.

    Panel's HTML pane, not a Bokeh Div: in the browser a Div's new text re-lays out
    the whole page (~50 ms here), the pane's does not (~1 ms).
    """
    return pn.pane.HTML(text, stylesheets=[CSS], **properties)


def hint(text: str) -> pn.pane.HTML:
    """A line of grey explanatory text."""
    return html_pane(f'<span class="nt-hint">{text}</span>', sizing_mode="stretch_width")


def controls_row(*objects: Any, **properties: Any) -> pn.FlexBox:
    """Input widgets side by side, wrapping onto the next line where the tab is too
    narrow for them (a notebook's output area), instead of running past its edge."""
    return pn.FlexBox(
        *objects,
        flex_wrap="wrap",
        align_items="flex-end",
        sizing_mode="stretch_width",
        **properties,
    )


def format_number(value: float | None, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, positional unless huge or tiny
    (2000, not 2e+03); an em dash for None or NaN."""
    if value is None or not np.isfinite(value):
        return "—"
    if value == 0 or 1e-4 <= abs(value) < 1e7:
        return np.format_float_positional(value, precision=digits, fractional=False, trim="-")
    return f"{value:.{digits}g}"


def status_html(text: str, error: bool = False) -> str:
    """A status line's HTML (escaped here): grey, or dark red for an error."""
    color = "#a00" if error else "#555"
    return f'<span class="nt-status" style="color:{color}">{html.escape(text)}</span>'


def css_class(path: str) -> str:
    """A CSS class naming a control ("gj.g" -> "nt-gj-g"), for styling and browser tests."""
    return "nt-" + re.sub(r"[^A-Za-z0-9_]", "-", path)


def table(header: list[str], rows: list[list[str]], caption: str = "", css: str = "") -> str:
    """An HTML table; cells are escaped here, so pass plain text."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="nt-metrics {css}">{title}<tr>{head}</tr>{body}</table>'


def upload_button(
    upload: pn.widgets.FileInput, label: str, description: str, **properties: Any
) -> tuple[pn.widgets.Button, Any]:
    """A button that opens ``upload``'s (hidden) file dialog, one button instead of the
    browser's "Choose File / No file chosen"; and its JavaScript link.  Unwatch the
    link when the page closes: Panel keeps links in a class-wide registry whose entry
    leads through ``upload`` to whatever watches it, and would keep that alive."""
    button = pn.widgets.Button(label=label, description=description, **properties)
    link = button.js_on_click(
        args={"upload": upload}, code="Bokeh.index.find_one(upload)?.input_el.click()"
    )
    return button, link


def message_alert(text: param.String, alert_type: str, css: str = "") -> pn.pane.Alert:
    """An alert showing the string parameter ``text`` (escaped), hidden while empty."""
    return pn.pane.Alert(
        text.rx.pipe(html.escape),
        alert_type=alert_type,
        visible=text.rx.bool(),
        sizing_mode="stretch_width",
        css_classes=[css] if css else [],
    )


def job_bar(job: Job, *buttons: pn.widgets.Button) -> pn.Column:
    """``buttons``, a Cancel button, a progress bar and the job's status and error,
    kept up to date from the job's parameters."""
    cancel = pn.widgets.Button(label="Cancel", color="warning", width=90)
    cancel.disabled = not job.running
    cancel.on_click(lambda _event: job.cancel())
    progress = pn.indicators.Progress(
        value=0, max=100, width=220, height=18, visible=False, align="center", bar_color="info"
    )
    status = html_pane(sizing_mode="stretch_width", align="center")
    error = pn.pane.Alert(
        "", alert_type="danger", visible=False, sizing_mode="stretch_width",
        css_classes=["nt-job-error"],
    )  # fmt: skip

    def show(*_events: Any) -> None:
        cancel.disabled = not job.running
        progress.visible = job.running
        progress.value = round(100 * job.progress)
        status.object = f'<span class="nt-status">{html.escape(job.status)}</span>'
        error.param.update(object=html.escape(job.error), visible=bool(job.error))

    job.param.watch(show, ["running", "progress", "status", "error"])
    show()
    return pn.Column(
        pn.Row(*buttons, cancel, progress, status, sizing_mode="stretch_width"),
        error,
        sizing_mode="stretch_width",
        margin=0,
        css_classes=[f"nt-job-{job.name}"],
    )


#: How a response's quantities are shown: (unit label, factor from engine units).
_RESPONSE_UNITS = {
    "PSC": {"peak": ("pA", 1e6), "charge": ("pC", 1e3)},
    "PSP": {"peak": ("mV", 1.0), "charge": ("mV·ms", 1.0)},
}
_EVENT_LABELS = {
    "peak": "peak",
    "latency": "latency (ms)",
    "rise": "rise 10–90 % (ms)",
    "decay": "decay τ (ms)",
    "half_width": "half-width (ms)",
    "charge": "charge",
}
_TRAIN_LABELS = {
    "paired_pulse_ratio": "PPR A2/A1",
    "ppr": "ppr (A2−A1)/P90",
    "induction": "induction",
    "recovery": "recovery",
}


def response_table(responses: dict[str, SynapseResponse]) -> str:
    """The PSP/PSC shape and train metrics of each connection's response, one row each,
    currents in pA and charges in pC."""
    if not responses:
        return ""
    kinds = {r.kind for r in responses.values()}
    header = ["synapse", "events"]
    for key, label in _EVENT_LABELS.items():
        units = {_RESPONSE_UNITS[k][key][0] for k in kinds} if key in ("peak", "charge") else ()
        header.append(f"{label} ({'/'.join(sorted(units))})" if units else label)
    header += list(_TRAIN_LABELS.values())
    rows = []
    for name, r in responses.items():
        row = [f"{name} ({r.kind})", str(r.events)]
        for key in _EVENT_LABELS:
            factor = _RESPONSE_UNITS[r.kind].get(key, ("", 1.0))[1]
            value = r.event.get(key)
            row.append(format_number(None if value is None else value * factor))
        row += [format_number(r.train.get(key)) for key in _TRAIN_LABELS]
        rows.append(row)
    return table(header, rows)
