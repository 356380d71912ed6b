"""Bokeh figures for the tuner, built once per view and updated in place.

Every trace has its own ColumnDataSource named after its :class:`TraceSpec` key
("v:a", "I:gj", ...; ghosts "ghost:v:a"; a recorded trace "recording:v"), so an
update sends only new columns and never rebuilds a figure; the names also let
browser tests find the data.  :class:`XYPlot` does the same for the tabs' plots,
and :class:`ScanPlot` draws a scan as a line or a heat map whose points can be
clicked.

Axis ranges are set here, from the data, rather than left to Bokeh's automatic
ranges, which the browser recomputes after every update and sends back to the
server.  The time axis moves only with the run length and a y range is refitted
only when the data leave it or shrink well inside it: in the browser a new range
re-lays out the axes, which costs more than redrawing the lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.models import (
    BasicTicker,
    ColorBar,
    ColumnDataSource,
    CustomJSTickFormatter,
    FixedTicker,
    GlyphRenderer,
    HoverTool,
    Legend,
    LegendItem,
    Line,
    Range1d,
    Scatter,
    Span,
    TapTool,
)
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure
from bokeh.transform import linear_cmap

from .decimate import minmax_decimate
from .recording import Recording
from .traces import TraceSpec

_TITLES = {
    "v": ("Membrane voltage", "V (mV)"),
    "I": ("Synaptic currents (into the named cell)", "I (pA)"),
    "gate": ("Synaptic gates and states (dimensionless; times are in the CSV)", "state"),
}
#: The states' colours: distinct from each other (several states of one synapse).
GATE_COLORS = Category10_10[3:] + Category10_10[:3]
#: The "previous" legend entry's swatch: the ghosts are faint copies of every colour.
SWATCH_GHOST = "#666666"
#: Units a current plot may use, with their factor from the engine's µA: the first
#: in which the largest current stays under 1000 (as the metrics table gives pA).
CURRENT_UNITS = (("pA", 1e6), ("nA", 1e3), ("µA", 1.0))
#: A current unit is kept while the largest current reads between these in it, so a
#: drag across a boundary does not flip the axis back and forth.
CURRENT_KEPT = (0.5, 5000.0)
_TOOLS = "pan,xwheel_zoom,box_zoom,reset,save"
GHOST_ALPHA = 0.3
RECORDING_COLOR = "#222222"
#: Margin around the data in the y direction, as a fraction of its span.
Y_PADDING = 0.05
#: A y range is kept while it holds the data and the data fill this fraction of it.
FIT_KEPT = 0.7
#: Smallest y span per plot, in its display unit: a flat trace (a clamped voltage, no
#: current) is drawn in the middle of this span rather than on an axis reading
#: −69.999997 … −70.000003.
MIN_SPAN = {"v": 2.0, "I": 2.0, "gate": 0.1}

Traces = dict[str, tuple[np.ndarray, np.ndarray]]


def _empty() -> dict[str, np.ndarray]:
    return {"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32)}


class TracePlots:
    """Voltage, current and (if any synapse has states) gate figures on one time axis."""

    def __init__(self, specs: list[TraceSpec], height: int = 260) -> None:
        self.sources: dict[str, ColumnDataSource] = {}
        self.ghosts: dict[str, ColumnDataSource] = {}
        self.recordings: dict[str, ColumnDataSource] = {}  # by group: "v" or "I"
        self._recording_items: dict[str, LegendItem] = {}  # listed only while shown
        # One shared time axis: panning or zooming one plot moves them all.
        self.x_range = Range1d(0, 1)
        self._t_stop: float | None = None
        self.figures = []
        self._groups: dict[str, list[str]] = {}  # figure name -> its trace keys
        self._fitted: dict[str, tuple[float, float]] = {}  # y range last set from data
        self.current_unit = CURRENT_UNITS[0]  # (label, factor from µA) of the current plot
        self._ghost: Traces = {}  # as given (µA), to redraw in another current unit
        self._recording: Recording | None = None
        self._hovers: dict[str, HoverTool] = {}
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
            for i, spec in enumerate(members):
                owner = spec.cell or spec.key.partition(":")[2].split(".")[0]
                color = colors.setdefault(owner, Category10_10[len(colors) % 10])
                if group == "gate":  # a synapse's states: one colour each, not its own
                    color = GATE_COLORS[i % len(GATE_COLORS)]
                source = ColumnDataSource(_empty(), name=spec.key)
                self.sources[spec.key] = source
                if spec.key.startswith("spikes:"):
                    marker = _render(
                        fig, source, f"{spec.label} spikes",
                        Scatter(x="x", y="y", marker="inverted_triangle", size=8,
                                fill_color=color, line_color=color),
                    )  # fmt: skip
                    items.setdefault(spec.label, []).append(marker)
                    continue
                ghost = ColumnDataSource(_empty(), name=f"ghost:{spec.key}")
                self.ghosts[spec.key] = ghost
                ghosts.append(
                    _line(fig, ghost, f"{spec.label} (previous)", color, GHOST_ALPHA, line_width=1)
                )
                line = _line(fig, source, spec.label, color, line_width=1.5)
                lines.append(line)
                items.setdefault(spec.label, []).append(line)
            unit = self.current_unit[0] if group == "I" else members[0].unit
            hover = HoverTool(renderers=lines, tooltips=_tooltips(unit))
            self._hovers[group] = hover
            fig.add_tools(hover)
            legend_items = [LegendItem(label=k, renderers=v) for k, v in items.items()]
            # BokehJS draws a legend swatch only for a renderer holding data: the ghosts
            # (empty until a change) get a stand-in that always shows one.
            swatch = _swatch(fig, SWATCH_GHOST, GHOST_ALPHA * 2, line_width=1)
            legend_items.append(LegendItem(label="previous", renderers=[*ghosts, swatch]))
            if group in ("v", "I"):
                # A recorded voltage or current is drawn over the traces of its kind.
                recording = ColumnDataSource(_empty(), name=f"recording:{group}")
                self.recordings[group] = recording
                line = _line(
                    fig, recording, "recording", RECORDING_COLOR, 0.7, line_width=1.2,
                    line_dash="dashed",
                )  # fmt: skip
                swatch = _swatch(fig, RECORDING_COLOR, 0.7, line_width=1.2, line_dash="dashed")
                item = LegendItem(label="recording", renderers=[line, swatch], visible=False)
                self._recording_items[group] = item
                legend_items.append(item)
            legend = Legend(items=legend_items, click_policy="hide", location="top_left")
            fig.add_layout(legend, "right")
            self.figures.append(fig)

    def show(self, traces: Traces, t_stop: float) -> None:
        """Replace every trace's data in place (``cds.data.update``); currents (µA in
        ``traces``) in the unit that suits their size (:data:`CURRENT_UNITS`)."""
        self._choose_current_unit(traces)
        factor = self.current_unit[1]
        for key, (x, y) in traces.items():
            if key.startswith("I:"):
                y = (y * factor).astype(np.float32)
            self.sources[key].data.update(x=x, y=y)
        # Only a new run length moves the time axis: a user's zoom survives re-runs.
        if t_stop != self._t_stop:
            self._t_stop = t_stop
            self.x_range.update(start=0, end=t_stop, reset_start=0, reset_end=t_stop)
        for fig in self.figures:
            self._fit_y(fig)

    def show_ghost(self, ghost: Traces) -> None:
        """Draw ``ghost`` (the run before the current change) faintly; empty clears it."""
        self._draw_ghost(ghost)
        for fig in self.figures:
            self._fit_y(fig)

    def _draw_ghost(self, ghost: Traces) -> None:
        self._ghost = ghost
        factor = self.current_unit[1]
        for key, source in self.ghosts.items():
            x, y = ghost.get(key, (np.zeros(0, np.float32), np.zeros(0, np.float32)))
            if key.startswith("I:"):
                y = (y * factor).astype(np.float32)
            source.data.update(x=x, y=y)

    def show_recording(self, recording: Recording | None) -> None:
        """Draw ``recording`` over the voltage or current traces; None removes it."""
        self._draw_recording(recording)
        for fig in self.figures:
            self._fit_y(fig)

    def _draw_recording(self, recording: Recording | None) -> None:
        self._recording = recording
        group = None if recording is None else {"voltage": "v", "current": "I"}[recording.quantity]
        for key, source in self.recordings.items():
            if key == group:
                x, y = minmax_decimate(recording.t, recording.y, 4000)
                if key == "I":
                    y = y * self.current_unit[1]
                source.data.update(x=x.astype(np.float32), y=y.astype(np.float32))
            elif len(source.data["x"]):
                source.data.update(_empty())
            self._recording_items[key].visible = key == group

    def _choose_current_unit(self, traces: Traces) -> None:
        """Switch the current plot to the unit that suits ``traces``' largest current;
        the ghost and the recording already drawn are redrawn in it."""
        currents = [y for key, (_, y) in traces.items() if key.startswith("I:") and len(y)]
        if not currents:
            return
        peak = float(max(np.max(np.abs(y)) for y in currents))
        factor = self.current_unit[1]
        if CURRENT_KEPT[0] <= peak * factor < CURRENT_KEPT[1] or not np.isfinite(peak):
            return
        chosen = next((u for u in CURRENT_UNITS if peak * u[1] < 1000), CURRENT_UNITS[-1])
        if chosen == self.current_unit:
            return
        self.current_unit = chosen
        fig = next(f for f in self.figures if f.name == "figure:I")
        fig.yaxis.axis_label = f"I ({chosen[0]})"
        self._hovers["I"].tooltips = _tooltips(chosen[0])
        self._fitted.pop(fig.name, None)  # new numbers: refit the range (show does)
        self._draw_ghost(self._ghost)
        if self._recording is not None and self._recording.quantity == "current":
            self._draw_recording(self._recording)

    def _fit_y(self, fig: figure) -> None:
        """Fit the y range to the lines, ghosts and recording, unless the user has zoomed."""
        group = fig.name.partition(":")[2]
        arrays = [
            source.data["y"]
            for key in self._groups[fig.name]
            for source in (self.sources[key], self.ghosts.get(key))
            if source is not None and len(source.data["y"])
        ]
        recording = self.recordings.get(group)
        if recording is not None and len(recording.data["y"]):
            arrays.append(recording.data["y"])
        if not arrays:
            return
        low = float(min(np.min(a) for a in arrays))
        high = float(max(np.max(a) for a in arrays))
        pad = (high - low) * Y_PADDING
        fitted = (low - pad, high + pad)
        widen = MIN_SPAN[group] - (fitted[1] - fitted[0])
        if widen > 0:
            fitted = (fitted[0] - widen / 2, fitted[1] + widen / 2)
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


def _line(
    fig: figure,
    source: ColumnDataSource,
    name: str | None,
    color: str,
    alpha: float = 1.0,
    **line,
) -> GlyphRenderer:
    """A line of ``source``'s x and y on ``fig`` (see :func:`_render`)."""
    return _render(
        fig, source, name, Line(x="x", y="y", line_color=color, line_alpha=alpha, **line)
    )


def _render(fig: figure, source: ColumnDataSource, name: str | None, glyph: Any) -> GlyphRenderer:
    """``glyph`` of ``source`` on ``fig``: what ``figure.line``/``scatter`` make, without
    the nonselection and muted copies of the glyph they add to every renderer (two more
    models each, in every page and preset switch; BokehJS derives them when needed, and
    these plots select nothing and hide rather than mute)."""
    renderer = GlyphRenderer(data_source=source, glyph=glyph, name=name)
    fig.renderers.append(renderer)
    return renderer


def _swatch(fig: figure, color: str, alpha: float, **line) -> GlyphRenderer:
    """A line that draws nothing in the plot (one NaN point) but a legend swatch."""
    source = ColumnDataSource({"x": [np.nan], "y": [np.nan]})
    return _line(fig, source, None, color, alpha, **line)


def _tooltips(unit: str) -> list[tuple[str, str]]:
    return [("", "$name"), ("t", "@x{0.000} ms"), ("", f"@y{{0.0000}} {unit}")]


TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


def small_figure(
    title: str,
    x_label: str,
    y_label: str,
    *,
    x_log: bool = False,
    y_log: bool = False,
    height: int = 240,
    **extra,
) -> figure:
    """A figure for a tab's plot, with the tuner's tools."""
    return figure(
        title=title,
        height=height,
        sizing_mode="stretch_width",
        x_axis_label=x_label,
        y_axis_label=y_label,
        x_axis_type="log" if x_log else "linear",
        y_axis_type="log" if y_log else "linear",
        tools=TOOLS,
        **extra,
    )


class XYPlot:
    """A figure with named series, each a line, markers or both, updated in place.

    ``series`` maps a key to (legend label, glyph: "line", "markers" or "both");
    each series' source is named ``f"{name}:{key}"`` for browser tests.
    """

    def __init__(
        self,
        name: str,
        title: str,
        x_label: str,
        y_label: str,
        series: dict[str, tuple[str, str]],
        *,
        x_log: bool = False,
        y_log: bool = False,
        height: int = 240,
        dashed: tuple[str, ...] = (),
        integer_x: bool = False,
    ) -> None:
        self.figure = small_figure(
            title, x_label, y_label, x_log=x_log, y_log=y_log, height=height, name=name
        )
        if integer_x:  # counts (simulations, stages, pulses): ticks at whole numbers only
            self.figure.xaxis.ticker = BasicTicker(min_interval=1, num_minor_ticks=0)
        self.sources: dict[str, ColumnDataSource] = {}
        for i, (key, (label, glyph)) in enumerate(series.items()):
            source = ColumnDataSource(_empty(), name=f"{name}:{key}")
            self.sources[key] = source
            color = RECORDING_COLOR if key == "recording" else Category10_10[i % 10]
            style = {"line_dash": "dashed"} if key in dashed else {}
            if glyph in ("line", "both"):
                self.figure.line("x", "y", source=source, color=color, line_width=1.5,
                                 legend_label=label, **style)  # fmt: skip
            if glyph in ("markers", "both"):
                self.figure.scatter("x", "y", source=source, color=color, size=7,
                                    legend_label=label)  # fmt: skip
        self.figure.legend.location = "top_right"
        self.figure.legend.click_policy = "hide"
        self.figure.add_tools(HoverTool(tooltips=[("x", "@x{0.000 a}"), ("y", "@y{0.0000 a}")]))

    def show(self, key: str, x: np.ndarray | list, y: np.ndarray | list) -> None:
        """Replace series ``key``'s data."""
        self.sources[key].data.update(x=np.asarray(x, float), y=np.asarray(y, float))

    def clear(self) -> None:
        for source in self.sources.values():
            source.data.update(_empty())


class ScanPlot:
    """A scan's metric: a line over one parameter or a heat map over two.

    Clicking (tapping) a point calls ``on_pick(index)`` with the point's flat index in
    the scan's grid.  A new figure is made only when the scan's shape or axes change
    (one parameter or two, linear or log); a new scan of the same kind updates the
    sources.
    """

    def __init__(self, on_pick: Callable[[int], None]) -> None:
        self.on_pick = on_pick
        self.figure: figure | None = None
        self.source: ColumnDataSource | None = None
        self._kind: tuple | None = None
        self._mapper = None

    def show(
        self,
        x: np.ndarray,
        y: np.ndarray | None,
        values: np.ndarray,
        labels: tuple[str, str | None, str],
        logs: tuple[bool, bool],
    ) -> figure:
        """Show ``values`` over ``x`` (and ``y``), in display units; returns the figure."""
        kind = (y is None, *logs, *labels)
        if kind != self._kind:
            self._kind = kind
            self._build(labels, logs, two=y is not None)
        flat = np.asarray(values, float).ravel()
        if y is None:
            self.source.data = {"x": x, "y": flat, "index": np.arange(flat.size)}
        else:
            xs, ys = np.meshgrid(x, y, indexing="ij")
            left, right = _edges(x, logs[0])
            bottom, top = _edges(y, logs[1])
            lefts, bottoms = np.meshgrid(left, bottom, indexing="ij")
            rights, tops = np.meshgrid(right, top, indexing="ij")
            self.source.data = {
                "x": xs.ravel(), "y": ys.ravel(), "value": flat,
                "left": lefts.ravel(), "right": rights.ravel(),
                "bottom": bottoms.ravel(), "top": tops.ravel(),
                "index": np.arange(flat.size),
            }  # fmt: skip
            finite = flat[np.isfinite(flat)]
            low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            self._mapper.update(low=low, high=high if high > low else low + 1e-12)
        for axis, values, log in ((self.figure.xaxis, x, logs[0]), (self.figure.yaxis, y, logs[1])):
            if log and values is not None:
                ticks, minor = log_ticks(float(values.min()), float(values.max()))
                axis.ticker = FixedTicker(ticks=ticks, minor_ticks=minor)
                axis.formatter = PLAIN
        return self.figure

    def _build(
        self, labels: tuple[str, str | None, str], logs: tuple[bool, bool], two: bool
    ) -> None:
        x_label, y_label, metric = labels
        fig = figure(
            title=f"{metric} — click a point to load its parameters",
            height=420,
            sizing_mode="stretch_width",
            x_axis_label=x_label,
            y_axis_label=y_label if two else metric,
            x_axis_type="log" if logs[0] else "linear",
            y_axis_type="log" if two and logs[1] else "linear",
            tools=TOOLS,
            name="figure:scan",
        )
        self.source = ColumnDataSource({}, name="scan")
        if two:
            mapper = linear_cmap("value", Viridis256, 0.0, 1.0, nan_color="#dddddd")
            self._mapper = mapper.transform
            renderer = fig.quad(
                left="left", right="right", bottom="bottom", top="top", source=self.source,
                fill_color=mapper, line_color=None, selection_line_color="red",
                selection_line_width=3, nonselection_fill_alpha=1.0,
            )  # fmt: skip
            fig.add_layout(ColorBar(color_mapper=self._mapper, title=metric), "right")
            tooltips = [(x_label, "@x{0.000 a}"), (y_label, "@y{0.000 a}"), (metric, "@value")]
        else:
            fig.line("x", "y", source=self.source, color=Category10_10[0], line_width=1.5)
            renderer = fig.scatter(
                "x", "y", source=self.source, size=9, color=Category10_10[0],
                selection_color="red", nonselection_alpha=1.0,
            )  # fmt: skip
            tooltips = [(x_label, "@x{0.000 a}"), (metric, "@y")]
        fig.add_tools(HoverTool(renderers=[renderer], tooltips=tooltips))
        tap = TapTool(renderers=[renderer])
        fig.add_tools(tap)
        fig.toolbar.active_tap = tap
        self.source.selected.on_change("indices", self._picked)
        self.figure = fig

    def _picked(self, _attr: str, _old: list[int], new: list[int]) -> None:
        if new:
            self.on_pick(int(self.source.data["index"][new[0]]))


#: Tick labels as plain numbers (3 significant digits): 0.5, 20, 1e-7.
PLAIN = CustomJSTickFormatter(code="return Number(tick.toPrecision(3)).toString()")


def log_ticks(low: float, high: float) -> tuple[list[float], list[float]]:
    """Labelled and minor ticks for a log axis from ``low`` to ``high`` (> 0): 1-2-5
    in each decade up to three decades (1–100: 1, 2, 5, 10, 20, 50, 100), powers of
    ten beyond; every integer mantissa within a decade or less (5–25: 5, 6, …, 10,
    20).  Bokeh's LogTicker labels only the powers of ten (two labels on 1–100)."""
    decades = math.log10(high / low)
    mantissas = range(1, 10) if decades <= 1 else (1, 2, 5) if decades <= 3 else (1,)
    labelled: list[float] = []
    minor: list[float] = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in range(1, 10):
            tick = mantissa * 10.0**exponent
            if low * (1 - 1e-9) <= tick <= high * (1 + 1e-9):
                (labelled if mantissa in mantissas else minor).append(tick)
    return labelled, minor


def _edges(centres: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges around ≥ 2 grid ``centres``: midpoints (geometric on a log axis)."""
    c = np.log(centres) if log else np.asarray(centres, float)
    inner = (c[1:] + c[:-1]) / 2
    low = np.concatenate([[2 * c[0] - inner[0]], inner])
    high = np.concatenate([inner, [2 * c[-1] - inner[-1]]])
    return (np.exp(low), np.exp(high)) if log else (low, high)


def target_line(fig: figure, value: float, name: str | None = None) -> Span:
    """A dashed horizontal line at ``value`` (a fit's target)."""
    span = Span(location=value, dimension="width", line_dash="dashed", line_color="red", name=name)
    fig.add_layout(span)
    return span
