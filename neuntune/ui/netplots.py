"""Bokeh figures for a circuit with populations, built once per view, updated in place.

Three figures on one time axis: the spike raster (one scatter per population, its
members stacked on the y axis, a colour per population), the population rate under
it (Hz per cell, one line per population) and the voltages of a few chosen members
(one multi-line source).  The sources are named for browser tests: ``"raster:wb"``,
``"rate:wb"`` and ``"members"``.  As in :mod:`neuntune.ui.plots`, ranges are set here
from the data, and only when the data leave them or shrink well inside them.
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, Legend, LegendItem, Range1d
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from ..circuit import Circuit
from .plots import FIT_KEPT, Y_PADDING, _empty
from .population import CouplingHistogram, stack_offsets, voltage_populations

_TOOLS = "pan,xwheel_zoom,box_zoom,reset,save"
#: Colours of the members' voltage lines, per population (shades of the population's).
_MEMBER_COLORS = Category10_10


def _member_key(key: str) -> tuple[str, int] | None:
    """``"v:wb[3]"`` -> ("wb", 3); None for other keys."""
    if not key.startswith("v:") or not key.endswith("]"):
        return None
    name, _, index = key[2:-1].partition("[")
    return name, int(index)


class NetworkPlots:
    """Raster, population rate and member voltages of a circuit with populations."""

    def __init__(self, circuit: Circuit, height: int = 260) -> None:
        self.x_range = Range1d(0, 1)
        self._t_stop: float | None = None
        self._fitted: dict[str, tuple[float, float]] = {}
        self.colors = {
            name: Category10_10[k % len(Category10_10)] for k, name in enumerate(circuit.neurons)
        }
        offsets = stack_offsets(circuit)
        total = sum(circuit.size(name) for name in circuit.neurons)
        common = dict(
            sizing_mode="stretch_width",
            x_range=self.x_range,
            tools=_TOOLS,
            active_scroll="xwheel_zoom",
        )
        self.raster = figure(
            title="Spike raster",
            height=height,
            y_range=Range1d(-0.5, total - 0.5),
            x_axis_label="t (ms)",
            y_axis_label="member" if len(circuit.neurons) == 1 else "member (populations stacked)",
            name="figure:raster",
            **common,
        )
        self.rate = figure(
            title="Population rate (Hz per cell)",
            height=170,
            y_range=Range1d(0, 1),
            x_axis_label="t (ms)",
            y_axis_label="rate (Hz)",
            name="figure:rate",
            **common,
        )
        self.members = figure(
            title="Chosen members' voltages",
            height=height,
            y_range=Range1d(0, 1),
            x_axis_label="t (ms)",
            y_axis_label="V (mV)",
            name="figure:members",
            **common,
        )
        self.sources: dict[str, ColumnDataSource] = {}
        raster_items, rate_items = [], []
        for name in circuit.neurons:
            color = self.colors[name]
            raster = ColumnDataSource(_empty(), name=f"raster:{name}")
            rate = ColumnDataSource(_empty(), name=f"rate:{name}")
            self.sources[f"raster:{name}"] = raster
            self.sources[f"rate:{name}"] = rate
            dots = self.raster.scatter(
                "x", "y", source=raster, size=3, color=color, name=f"{name} spikes"
            )
            line = self.rate.line("x", "y", source=rate, color=color, line_width=1.5, name=name)
            size = circuit.size(name)
            label = name if size == 1 else f"{name} ({size}: rows {offsets[name]}–"
            label += "" if size == 1 else f"{offsets[name] + size - 1})"
            raster_items.append(LegendItem(label=label, renderers=[dots]))
            rate_items.append(LegendItem(label=name, renderers=[line]))
        self.raster.add_layout(Legend(items=raster_items, location="top_left"), "right")
        self.rate.add_layout(Legend(items=rate_items, location="top_left"), "right")
        self.raster.add_tools(
            HoverTool(tooltips=[("", "$name"), ("t", "@x{0.000} ms"), ("row", "@y{0}")])
        )
        self.rate.add_tools(HoverTool(tooltips=[("t", "@x{0.0} ms"), ("rate", "@y{0.0} Hz")]))
        self.member_source = ColumnDataSource(
            {"xs": [], "ys": [], "label": [], "color": []}, name="members"
        )
        lines = self.members.multi_line(
            "xs", "ys", source=self.member_source, color="color", line_width=1.3,
            legend_field="label",
        )  # fmt: skip
        self.members.legend.location = "top_left"
        self.members.legend.click_policy = "hide"
        self.members.add_tools(
            HoverTool(
                renderers=[lines],
                tooltips=[("", "@label"), ("t", "$data_x{0.000} ms"), ("V", "$data_y{0.0} mV")],
            )
        )
        self.populations = voltage_populations(circuit)
        self.figures = [self.raster, self.rate, self.members]

    def show(self, traces: dict[str, tuple[np.ndarray, np.ndarray]], t_stop: float) -> None:
        """Replace the raster's, the rates' and the members' data in place."""
        for key, source in self.sources.items():
            x, y = traces.get(key, (np.zeros(0, np.float32), np.zeros(0, np.float32)))
            source.data.update(x=x, y=y)
        members = sorted((found, key) for key in traces if (found := _member_key(key)) is not None)
        shade: dict[str, int] = {}
        xs, ys, labels, colors = [], [], [], []
        for (name, index), key in members:
            x, y = traces[key]
            k = shade.setdefault(name, 0)
            shade[name] += 1
            xs.append(x)
            ys.append(y)
            labels.append(f"{name}[{index}]")
            colors.append(_MEMBER_COLORS[(self.populations.index(name) * 3 + k) % 10])
        self.member_source.data.update(xs=xs, ys=ys, label=labels, color=colors)
        if t_stop != self._t_stop:
            self._t_stop = t_stop
            self.x_range.update(start=0, end=t_stop, reset_start=0, reset_end=t_stop)
        rates = [self.sources[k].data["y"] for k in self.sources if k.startswith("rate:")]
        peak = max((float(np.max(r)) for r in rates if len(r)), default=0.0)
        self._fit(self.rate, 0.0, max(peak, 1.0))
        if ys:
            self._fit(
                self.members,
                float(min(np.min(y) for y in ys)),
                float(max(np.max(y) for y in ys)),
            )

    def show_ghost(self, _ghost: dict) -> None:
        """The previous run is not drawn over a raster (it would hide the new one)."""

    def show_recording(self, _recording: object) -> None:
        """A recorded trace is not drawn over a network's plots."""

    def _fit(self, fig: figure, low: float, high: float) -> None:
        """Fit ``fig``'s y range to [low, high] unless it still fits or the user zoomed."""
        pad = max(high - low, 1e-9) * Y_PADDING
        fitted = (low - pad if low != 0 else 0.0, high + pad)
        last = self._fitted.get(fig.name)
        if last is not None and last[0] <= low and high <= last[1]:
            if high - low >= FIT_KEPT * (last[1] - last[0]):
                return
        y = fig.y_range
        if last is None or (y.start, y.end) == last:
            y.update(start=fitted[0], end=fitted[1])
        y.update(reset_start=fitted[0], reset_end=fitted[1])
        self._fitted[fig.name] = fitted


class CouplingPlot:
    """The histogram of pairwise coupling coefficients across a gap-junction connection
    (:class:`~neuntune.ui.population.CouplingHistogram`), with vertical lines at the
    mean CC and at the passive-pair estimate g/(g_L + g).  Sources are named for
    browser tests: ``"cc:hist"`` (bars: x centre, y count, w width) and ``"cc:marks"``."""

    def __init__(self, height: int = 240) -> None:
        self.figure = figure(
            title="Pairwise coupling coefficients",
            height=height,
            sizing_mode="stretch_width",
            x_axis_label="CC = ΔV target / ΔV source",
            y_axis_label="directed pairs",
            tools="pan,box_zoom,reset,save",
            y_range=Range1d(0, 1),
            x_range=Range1d(0, 1),
            name="figure:cc",
        )
        self.bars = ColumnDataSource({"x": [], "y": [], "w": []}, name="cc:hist")
        self.marks = ColumnDataSource(
            {"x": [], "y0": [], "y1": [], "label": [], "color": []}, name="cc:marks"
        )
        self.figure.vbar(
            x="x", top="y", width="w", source=self.bars, color=Category10_10[0], alpha=0.7
        )
        self.figure.segment(
            x0="x", x1="x", y0="y0", y1="y1", source=self.marks, color="color", line_width=2,
            line_dash="dashed", legend_field="label",
        )  # fmt: skip
        # beside the plot, as the raster's: inside it would hide bars
        self.figure.add_layout(self.figure.legend[0], "right")
        self.figure.add_tools(
            HoverTool(tooltips=[("CC", "@x{0.00000}"), ("pairs", "@y")], mode="mouse")
        )

    def show(self, histogram: CouplingHistogram | None) -> None:
        """Replace the bars and the mean/passive lines (empty for None)."""
        if histogram is None or histogram.n == 0:
            self.bars.data.update(x=[], y=[], w=[])
            self.marks.data.update(x=[], y0=[], y1=[], label=[], color=[])
            return
        top = float(np.max(histogram.counts)) * 1.08
        self.bars.data.update(
            x=histogram.centres.tolist(), y=histogram.counts.tolist(), w=histogram.widths.tolist()
        )
        lines = [(histogram.mean, f"mean {histogram.mean:.4g}", Category10_10[3])]
        if histogram.passive is not None:
            lines.append(
                (histogram.passive, f"passive estimate {histogram.passive:.4g}", Category10_10[2])
            )
        self.marks.data.update(
            x=[x for x, _, _ in lines],
            y0=[0.0] * len(lines),
            y1=[top] * len(lines),
            label=[label for _, label, _ in lines],
            color=[color for _, _, color in lines],
        )
        xs = [
            histogram.low - histogram.widths[0] / 2,
            histogram.high + histogram.widths[-1] / 2,
        ] + [x for x, _, _ in lines]
        low, high = min(xs), max(xs)
        pad = max(high - low, 1e-12) * 0.08
        self.figure.x_range.update(start=low - pad, end=high + pad)
        self.figure.y_range.update(start=0, end=top)
