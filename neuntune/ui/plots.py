"""Bokeh figures for the tuner, built once per view and updated in place.

Every trace has its own ColumnDataSource named after its :class:`TraceSpec` key
("v:a", "I:gj", ...; ghosts "ghost:v:a"), so an update sends only new columns
and never rebuilds a figure; the names also let browser tests find the data.

Axis ranges are set here, from the data, rather than left to Bokeh's automatic
ranges, which the browser recomputes after every update and sends back to the
server.  The time axis moves only with the run length and a y range is refitted
only when the data leave it or shrink well inside it: in the browser a new range
re-lays out the axes, which costs more than redrawing the lines.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem, Range1d
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from .model import TraceSpec

_TITLES = {
    "v": ("Membrane voltage", "V (mV)"),
    "I": ("Synaptic currents (into the named cell)", "I (µA)"),
    "gate": ("Synaptic gates and states", "state"),
}
_TOOLS = "pan,xwheel_zoom,box_zoom,reset,save"
GHOST_ALPHA = 0.3
#: Margin around the data in the y direction, as a fraction of its span.
Y_PADDING = 0.05
#: A y range is kept while it holds the data and the data fill this fraction of it.
FIT_KEPT = 0.7

Traces = dict[str, tuple[np.ndarray, np.ndarray]]


def _empty() -> dict[str, np.ndarray]:
    return {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32)}


class TracePlots:
    """Voltage, current and (if any synapse has states) gate figures on one time axis."""

    def __init__(self, specs: list[TraceSpec], height: int = 260) -> None:
        self.sources: dict[str, ColumnDataSource] = {}
        self.ghosts: dict[str, ColumnDataSource] = {}
        # One shared time axis: panning or zooming one plot moves them all.
        self.x_range = Range1d(0, 1)
        self._t_stop: float | None = None
        self.figures = []
        self._groups: dict[str, list[str]] = {}  # figure name -> its trace keys
        self._fitted: dict[str, tuple[float, float]] = {}  # y range last set from data
        colors: dict[str, str] = {}
        for group in ("v", "I", "gate"):
            members = [s for s in specs if s.group == group]
            if not members:
                continue
            title, y_label = _TITLES[group]
            fig = figure(
                title=title,
                height=height,
                sizing_mode="stretch_width",
                x_range=self.x_range,
                y_range=Range1d(0, 1),
                x_axis_label="t (ms)",
                y_axis_label=y_label,
                tools=_TOOLS,
                active_scroll="xwheel_zoom",
                name=f"figure:{group}",
            )
            self._groups[fig.name] = [s.key for s in members]
            items: dict[str, list] = {}
            lines = []
            ghosts = []
            for spec in members:
                owner = spec.cell or spec.key.partition(":")[2].split(".")[0]
                color = colors.setdefault(owner, Category10_10[len(colors) % 10])
                source = ColumnDataSource(_empty(), name=spec.key)
                self.sources[spec.key] = source
                if spec.key.startswith("spikes:"):
                    marker = fig.scatter(
                        "x",
                        "y",
                        source=source,
                        marker="inverted_triangle",
                        size=8,
                        color=color,
                        name=f"{spec.label} spikes",
                    )
                    items.setdefault(spec.label, []).append(marker)
                    continue
                ghost = ColumnDataSource(_empty(), name=f"ghost:{spec.key}")
                self.ghosts[spec.key] = ghost
                ghosts.append(
                    fig.line(
                        "x",
                        "y",
                        source=ghost,
                        color=color,
                        alpha=GHOST_ALPHA,
                        line_width=1,
                        name=f"{spec.label} (previous)",
                    )
                )
                line = fig.line(
                    "x",
                    "y",
                    source=source,
                    color=color,
                    line_width=1.5,
                    name=spec.label,
                )
                lines.append(line)
                items.setdefault(spec.label, []).append(line)
            unit = members[0].unit
            fig.add_tools(
                HoverTool(
                    renderers=lines,
                    tooltips=[("", "$name"), ("t", "@x{0.000} ms"), ("", f"@y{{0.0000}} {unit}")],
                )
            )
            legend_items = [LegendItem(label=k, renderers=v) for k, v in items.items()]
            legend_items.append(LegendItem(label="previous", renderers=ghosts))
            legend = Legend(items=legend_items, click_policy="hide", location="top_left")
            fig.add_layout(legend, "right")
            self.figures.append(fig)

    def show(self, traces: Traces, t_stop: float) -> None:
        """Replace every trace's data in place (``cds.data.update``)."""
        for key, (x, y) in traces.items():
            self.sources[key].data.update(x=x, y=y)
        # Only a new run length moves the time axis: a user's zoom survives re-runs.
        if t_stop != self._t_stop:
            self._t_stop = t_stop
            self.x_range.update(start=0, end=t_stop, reset_start=0, reset_end=t_stop)
        for fig in self.figures:
            self._fit_y(fig)

    def show_ghost(self, ghost: Traces) -> None:
        """Draw ``ghost`` (the run before the current change) faintly; empty clears it."""
        for key, source in self.ghosts.items():
            x, y = ghost.get(key, (np.zeros(0, np.float32), np.zeros(0, np.float32)))
            source.data.update(x=x, y=y)
        for fig in self.figures:
            self._fit_y(fig)

    def _fit_y(self, fig: figure) -> None:
        """Fit the y range to the lines and ghosts, unless the user has zoomed."""
        arrays = [
            source.data["y"]
            for key in self._groups[fig.name]
            for source in (self.sources[key], self.ghosts.get(key))
            if source is not None and len(source.data["y"])
        ]
        if not arrays:
            return
        low = float(min(np.min(a) for a in arrays))
        high = float(max(np.max(a) for a in arrays))
        pad = max(high - low, 1e-6 * max(abs(low), abs(high)), 1e-12) * Y_PADDING
        fitted = (low - pad, high + pad)
        y = fig.y_range
        last = self._fitted.get(fig.name)
        if last is not None and last[0] <= low and high <= last[1]:
            if high - low >= FIT_KEPT * (last[1] - last[0]):
                return  # still a good fit: a new range would re-lay out the axes (costly)
        # The browser sends zooms back: a range other than the one last fitted is the
        # user's, kept until they press Reset (which returns to the newest fit).
        if last is None or (y.start, y.end) == last:
            y.update(start=fitted[0], end=fitted[1])
        y.update(reset_start=fitted[0], reset_end=fitted[1])
        self._fitted[fig.name] = fitted
