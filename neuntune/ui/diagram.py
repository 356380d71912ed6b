"""A diagram of the circuit being tuned: its cells and connections, clickable.

One node per cell or population, drawn by a Bokeh ``GraphRenderer`` on a fixed,
deterministic layout (no networkx): a single cell is a circle labelled with its
name and model, a population a square block labelled "name (n=100)".  One edge per
connection: gap junctions are plain lines, chemical synapses lines ending in an
arrow head; each edge is labelled with its name, its conductance in the slider's
display unit and, between populations, its rule ("AllToAll",
"FixedProbability(p=0.02)").  A connection of a population onto itself is a loop
beside its block.  Two connections between the same cells bend apart.

Clicking a node or an edge's handle (the diamond under its label) opens that
element's card in the sidebar and scrolls it into view: the click selects a row
of a source; Python opens the card (``on_select``) and the browser scrolls to the
element with its CSS class (:func:`~neuntune.ui.widgets.css_class` of
``"card.<name>"``).  The sources are named for tests: ``"diagram:nodes"`` and
``"diagram:edges"``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.models import (
    Arrow,
    ColumnDataSource,
    CustomJS,
    GraphRenderer,
    LabelSet,
    NodesOnly,
    Range1d,
    Scatter,
    StaticLayoutProvider,
    TapTool,
    VeeHead,
)
from bokeh.models import MultiLine as MultiLineGlyph
from bokeh.plotting import figure

from ..circuit import Circuit, _symmetric
from ..connectivity import Pairs, Rule
from .controls import Display, display_for
from .widgets import css_class, format_number

#: Plot size (px) and the data range across it: the layout is in data units, and
#: markers (sized in px) are converted with :data:`PX_PER_UNIT`.
WIDTH, HEIGHT = 400, 300
X_SPAN = 3.2
PX_PER_UNIT = WIDTH / X_SPAN
#: Node radius (data units): a cell's circle, half a population block's side.
CELL_RADIUS = 0.17
BLOCK_RADIUS = 0.24
GAP_COLOR = "#4c72b0"
CHEMICAL_COLOR = "#dd8452"


def card_class(name: str) -> str:
    """The CSS class of element ``name``'s card in the sidebar ("gj" -> "nt-card-gj")."""
    return css_class(f"card.{name}")


def describe_rule(rule: Rule | None) -> str:
    """A rule in a few characters: its class and the arguments that differ from their
    defaults ("AllToAll", "FixedProbability(p=0.02)"); "" for the single pair of two
    cells.  Seeds are left out, ``self_connections=True`` is "self", and explicit pairs
    are counted."""
    if rule is None:
        return ""
    name = type(rule).__name__
    if isinstance(rule, Pairs):
        return f"{name}({len(rule.i)} pairs)"
    args = []
    if dataclasses.is_dataclass(rule):
        for field in dataclasses.fields(rule):
            value = getattr(rule, field.name)
            if field.name == "seed" or (
                field.default is not dataclasses.MISSING and value == field.default
            ):
                continue
            args.append("self" if field.name == "self_connections" else f"{field.name}={value!r}")
    else:
        described = rule.describe()
        args = [f"{k}={v!r}" for k, v in described.items() if k not in ("rule", "seed")]
    return f"{name}({', '.join(args)})" if args else name


def _layout(names: list[str]) -> dict[str, tuple[float, float]]:
    """Node positions: one in the middle, two in a row, more on a circle (the first at
    the left, counter-clockwise)."""
    n = len(names)
    if n == 1:
        return {names[0]: (0.0, 0.0)}
    if n == 2:
        return {names[0]: (-0.85, -0.1), names[1]: (0.85, -0.1)}
    radius = 0.95
    return {
        name: (
            radius * math.cos(math.pi + 2 * math.pi * k / n),
            0.85 * radius * math.sin(math.pi + 2 * math.pi * k / n),
        )
        for k, name in enumerate(names)
    }


def _conductances(circuit: Circuit, name: str, displays: dict[str, Display]) -> list[str]:
    """ "g = 5 µS" for each conductance (unit mS) of connection ``name``, in the display
    unit of its slider (``displays``) or else the one a slider would choose; a
    population's differing values as their mean."""
    synapse = circuit.connections[name].synapse
    out = []
    for param, decl in synapse.parameter_table().items():
        if decl.unit != "mS":
            continue
        path = f"{name}.{param}"
        value = circuit.get(path)
        prefix = ""
        if isinstance(value, np.ndarray):
            value, prefix = float(np.nanmean(value)), "mean "
        display = displays.get(path) or display_for(decl.unit, decl.default or value)
        shown = "—" if value is None else format_number(value * display.factor, 4)
        out.append(f"{prefix}{param} = {shown} {display.unit}".rstrip())
    return out


def _bend(
    a: tuple[float, float], b: tuple[float, float], offset: float, points: int = 24
) -> tuple[list[float], list[float]]:
    """A path from ``a`` to ``b``: straight, or a quadratic curve bent sideways by
    ``offset`` (data units, to the left of a→b)."""
    (x0, y0), (x1, y1) = a, b
    if offset == 0:
        return [x0, x1], [y0, y1]
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy) or 1.0
    cx = (x0 + x1) / 2 - dy / length * offset * 2
    cy = (y0 + y1) / 2 + dx / length * offset * 2
    t = np.linspace(0.0, 1.0, points)
    xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1
    ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1
    return xs.tolist(), ys.tolist()


def _loop(
    center: tuple[float, float], radius: float, k: int, upward: bool, points: int = 40
) -> tuple[list[float], list[float]]:
    """A self-connection: a circle touching the node above it (``upward``) or on its
    outer side; the ``k``-th loop of one node is larger."""
    x, y = center
    ux, uy = (x, y) if abs(x) > 1e-9 and upward is False else (0.0, 1.0)
    norm = math.hypot(ux, uy)
    ux, uy = ux / norm, uy / norm
    rho = 0.17 + 0.07 * k
    cx, cy = x + ux * (radius + rho * 0.55), y + uy * (radius + rho * 0.55)
    back = math.atan2(-uy, -ux)
    angles = np.linspace(back + 0.9, back + 2 * math.pi - 0.9, points)
    return (cx + rho * np.cos(angles)).tolist(), (cy + rho * np.sin(angles)).tolist()


def _cut(xs: list[float], ys: list[float], center: tuple[float, float], radius: float) -> int:
    """Index of the last point of a path outside the circle at ``center``: where an
    arrow head ending at that node's rim should point."""
    for k in range(len(xs) - 1, -1, -1):
        if math.hypot(xs[k] - center[0], ys[k] - center[1]) >= radius:
            return k
    return 0


def _unit(dx: float, dy: float) -> tuple[float, float]:
    length = math.hypot(dx, dy)
    return (0.0, 1.0) if length < 1e-9 else (dx / length, dy / length)


def _free_side(
    name: str, where: dict[str, tuple[float, float]], circuit: Circuit, upward_loops: bool
) -> tuple[float, float]:
    """Where node ``name``'s label goes: below the node, or above it when its
    connections (a loop counts where it is drawn) leave mostly downwards.  Never
    beside it: a sideways label runs out of the plot at the left and right nodes."""
    x, y = where[name]
    pull = [0.0, 0.0]
    for conn in circuit.connections.values():
        if name not in (conn.pre, conn.post):
            continue
        if conn.pre == conn.post:
            ux, uy = (0.0, 1.0) if upward_loops or abs(x) < 1e-9 else _unit(x, y)
        else:
            other = where[conn.post if conn.pre == name else conn.pre]
            ux, uy = _unit(other[0] - x, other[1] - y)
        pull[0] += ux
        pull[1] += uy
    return (0.0, 1.0) if pull[1] < -1e-6 else (0.0, -1.0)


def _outward(
    xs: list[float], ys: list[float], middle: int, where: dict[str, tuple[float, float]]
) -> tuple[float, float]:
    """The side of an edge's handle its label goes: across the edge (not along it),
    away from the middle of the drawing (up when the edge runs through it)."""
    if len(xs) == 2:
        hx, hy = (xs[0] + xs[1]) / 2, (ys[0] + ys[1]) / 2
        tx, ty = xs[1] - xs[0], ys[1] - ys[0]
    else:
        hx, hy = xs[middle], ys[middle]
        tx, ty = xs[middle + 1] - xs[middle - 1], ys[middle + 1] - ys[middle - 1]
    nx, ny = _unit(-ty, tx)
    cx = sum(p[0] for p in where.values()) / len(where)
    cy = sum(p[1] for p in where.values()) / len(where)
    away = (hx - cx) * nx + (hy - cy) * ny
    if abs(away) < 1e-6:
        away = ny  # through the middle: the side that is up
    return (nx, ny) if away > 0 else (-nx, -ny)


def _place(columns: dict[str, list], side: tuple[float, float], distance: float) -> None:
    """A label's offset (px) ``distance`` from its anchor towards ``side``, aligned so
    that its text grows away from the anchor."""
    ux, uy = side
    columns["label_dx"].append(ux * distance)
    columns["label_dy"].append(uy * distance)
    columns["align"].append("center" if abs(ux) < 0.5 else "left" if ux > 0 else "right")
    columns["baseline"].append("middle" if abs(uy) < 0.5 else "bottom" if uy > 0 else "top")


def diagram_data(circuit: Circuit, displays: dict[str, Display] | None = None) -> dict[str, Any]:
    """The diagram as data: ``nodes`` and ``edges`` (columns for the Bokeh sources)
    and ``arrows`` (one per chemical synapse: where its head starts and ends).

    ``displays``: the display unit of each conductance's slider (path -> Display).
    """
    displays = displays or {}
    names = list(circuit.neurons)
    where = _layout(names)
    radius = {n: BLOCK_RADIUS if circuit.size(n) > 1 else CELL_RADIUS for n in names}
    nodes: dict[str, list] = {
        k: []
        for k in (
            "index", "x", "y", "kind", "marker", "size", "label", "label_dx", "label_dy",
            "align", "baseline", "card",
        )
    }  # fmt: skip
    for name in names:
        size = circuit.size(name)
        model = type(circuit.neurons[name]).__name__
        population = size > 1
        nodes["index"].append(name)
        nodes["x"].append(where[name][0])
        nodes["y"].append(where[name][1])
        nodes["kind"].append("population" if population else "cell")
        nodes["marker"].append("square" if population else "circle")
        nodes["size"].append(2 * radius[name] * PX_PER_UNIT * (0.886 if population else 1.0))
        nodes["label"].append(f"{name} (n={size})\n{model}" if population else f"{name}\n{model}")
        side = _free_side(name, where, circuit, upward_loops=len(names) < 3)
        _place(nodes, side, radius[name] * PX_PER_UNIT + 3)
        nodes["card"].append(card_class(name))
    edges: dict[str, list] = {
        k: []
        for k in (
            "start", "end", "name", "kind", "xs", "ys", "hx", "hy", "label", "label_dx",
            "label_dy", "align", "baseline", "rule", "card", "color",
        )
    }  # fmt: skip
    arrows: dict[str, list] = {k: [] for k in ("x_start", "y_start", "x_end", "y_end", "name")}
    # Connections between the same two cells bend apart; loops of one cell nest.
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, conn in circuit.connections.items():
        groups.setdefault(tuple(sorted((conn.pre, conn.post))), []).append(name)
    for name, conn in circuit.connections.items():
        group = groups[tuple(sorted((conn.pre, conn.post)))]
        k = group.index(name)
        gap = _symmetric(conn.synapse)
        if conn.pre == conn.post:
            xs, ys = _loop(where[conn.pre], radius[conn.pre], k, upward=len(names) < 3)
            middle = len(xs) // 2
        else:
            # Offsets measured along the sorted pair, so a→b and b→a bend apart.
            low, high = sorted((conn.pre, conn.post))
            offset = 0.0 if len(group) == 1 else 0.4 * (k - (len(group) - 1) / 2)
            xs, ys = _bend(where[low], where[high], offset)
            if (low, high) != (conn.pre, conn.post):
                xs, ys = xs[::-1], ys[::-1]
            middle = len(xs) // 2
        if len(xs) == 2:
            hx, hy = (xs[0] + xs[1]) / 2, (ys[0] + ys[1]) / 2
        else:
            hx, hy = xs[middle], ys[middle]
        rule = describe_rule(conn.rule)
        text = "; ".join(_conductances(circuit, name, displays))
        label = f"{name}: {text}" if text else name
        if rule:
            label += f"\n{rule}"
        edges["start"].append(conn.pre)
        edges["end"].append(conn.post)
        edges["name"].append(name)
        edges["kind"].append("gap" if gap else "chemical")
        edges["xs"].append(xs)
        edges["ys"].append(ys)
        edges["hx"].append(hx)
        edges["hy"].append(hy)
        edges["label"].append(label)
        _place(edges, _outward(xs, ys, middle, where), 8)
        edges["rule"].append(rule)
        edges["card"].append(card_class(name))
        edges["color"].append(GAP_COLOR if gap else CHEMICAL_COLOR)
        if not gap:
            if len(xs) == 2:  # a straight edge: the head ends at the post node's rim
                dx, dy = xs[1] - xs[0], ys[1] - ys[0]
                length = math.hypot(dx, dy) or 1.0
                r = radius[conn.post]
                x_end, y_end = xs[1] - dx / length * r, ys[1] - dy / length * r
                x_start, y_start = x_end - dx / length * 0.05, y_end - dy / length * 0.05
            else:
                end = _cut(xs, ys, where[conn.post], radius[conn.post])
                x_end, y_end = xs[end], ys[end]
                x_start, y_start = xs[max(end - 1, 0)], ys[max(end - 1, 0)]
            arrows["x_start"].append(x_start)
            arrows["y_start"].append(y_start)
            arrows["x_end"].append(x_end)
            arrows["y_end"].append(y_end)
            arrows["name"].append(name)
    return {"nodes": nodes, "edges": edges, "arrows": arrows, "layout": where}


#: In the browser: scroll to the card of the element clicked (its CSS class in column
#: "card"), looking through Panel's shadow roots; again when the card has opened (its
#: height changes once Python has unfolded it, which takes longer on a loaded machine;
#: a card already open is scrolled to at once).
_SCROLL_JS = """
const index = source.selected.indices[0];
if (index === undefined) return;
const cls = source.data.card[index];
const find = (root) => {
    const hit = root.querySelector("." + cls);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) {
        if (el.shadowRoot) {
            const inner = find(el.shadowRoot);
            if (inner) return inner;
        }
    }
    return null;
};
const scroll = (card) => card.scrollIntoView({block: "start", behavior: "instant"});
const card = find(document);
if (!card) return;
scroll(card);
const folded = card.getBoundingClientRect().height;
const deadline = Date.now() + 10000;
const opened = () => {
    const now = find(document);
    if (now && now.getBoundingClientRect().height !== folded) {
        // One frame more: the rows below the header are laid out.
        requestAnimationFrame(() => scroll(now));
    } else if (Date.now() < deadline) {
        setTimeout(opened, 100);
    }
};
setTimeout(opened, 100);
"""


class CircuitDiagram:
    """The diagram figure of ``circuit``, updated in place by :meth:`update`.

    ``on_select(name)`` is called with the element clicked (a cell, population or
    connection); ``displays`` gives each conductance's display unit.
    """

    def __init__(
        self,
        circuit: Circuit,
        displays: dict[str, Display] | None = None,
        on_select: Callable[[str], None] | None = None,
    ) -> None:
        self.circuit = circuit
        self.displays = displays or {}
        self.on_select = on_select
        data = diagram_data(circuit, self.displays)
        self.layout = data["layout"]
        span_y = X_SPAN * HEIGHT / WIDTH
        self.figure = figure(
            width=WIDTH,
            height=HEIGHT,
            x_range=Range1d(-X_SPAN / 2, X_SPAN / 2),
            y_range=Range1d(-span_y / 2, span_y / 2),
            tools="",
            toolbar_location=None,
            min_border=0,
            outline_line_color=None,
            name="figure:diagram",
        )
        self.figure.axis.visible = False
        self.figure.grid.visible = False
        graph = GraphRenderer(name="diagram:graph")
        graph.layout_provider = StaticLayoutProvider(graph_layout=self.layout)
        graph.node_renderer.data_source = self.nodes = ColumnDataSource(
            data["nodes"], name="diagram:nodes"
        )
        node = Scatter(
            marker="marker", size="size", fill_color="#f2f2f2", line_color="#333333", line_width=1.5
        )
        graph.node_renderer.glyph = node
        graph.node_renderer.selection_glyph = node.clone()
        graph.node_renderer.nonselection_glyph = node.clone()
        graph.edge_renderer.data_source = self.edge_paths = ColumnDataSource(
            {k: data["edges"][k] for k in ("start", "end", "xs", "ys", "color", "kind")},
            name="diagram:paths",
        )
        graph.edge_renderer.glyph = MultiLineGlyph(line_color="color", line_width=2.5)
        graph.selection_policy = NodesOnly()
        self.figure.renderers.append(graph)
        # Each edge's handle (clicked to open its card) and label.
        self.edges = ColumnDataSource(data["edges"], name="diagram:edges")
        handle = Scatter(
            x="hx", y="hy", marker="diamond", size=13, fill_color="color", line_color="white"
        )
        handles = self.figure.add_glyph(
            self.edges, handle, selection_glyph=handle.clone(), nonselection_glyph=handle.clone()
        )
        self.arrows = ColumnDataSource(data["arrows"], name="diagram:arrows")
        self.figure.add_layout(
            Arrow(
                source=self.arrows,
                x_start="x_start", y_start="y_start", x_end="x_end", y_end="y_end",
                end=VeeHead(size=12, line_color=CHEMICAL_COLOR, fill_color=CHEMICAL_COLOR),
                line_alpha=0.0,
                name="diagram:arrow",
            )
        )  # fmt: skip
        for source, x, y, style in (
            (
                self.edges,
                "hx",
                "hy",
                {
                    "text_color": "#333333",
                    "background_fill_color": "white",
                    "background_fill_alpha": 0.7,
                },
            ),
            (self.nodes, "x", "y", {"text_color": "#111111"}),
        ):  # each label where _place put it
            self.figure.add_layout(
                LabelSet(
                    x=x, y=y, text="label", source=source, x_offset="label_dx",
                    y_offset="label_dy", text_align="align", text_baseline="baseline",
                    text_font_size="10px", **style,
                )
            )  # fmt: skip
        tap = TapTool(renderers=[graph, handles])
        self.figure.add_tools(tap)
        self.figure.toolbar.active_tap = tap
        for source in (self.nodes, self.edges):
            source.selected.js_on_change(
                "indices", CustomJS(args={"source": source}, code=_SCROLL_JS)
            )
            source.selected.on_change("indices", self._selected_callback(source))

    def _selected_callback(self, source: ColumnDataSource) -> Callable[[str, Any, Any], None]:
        column = "index" if source is self.nodes else "name"

        def selected(_attr: str, _old: Any, new: list[int]) -> None:
            if not new:
                return
            if self.on_select is not None:
                self.on_select(source.data[column][new[0]])
            source.selected.indices = []  # a second click on it selects it again

        return selected

    def select(self, name: str) -> None:
        """Act as if element ``name`` had been clicked (Python side only)."""
        if self.on_select is not None:
            self.on_select(name)

    def update(self) -> None:
        """Redraw the labels for the circuit's current values (its structure is fixed:
        a new preset gets a new diagram)."""
        data = diagram_data(self.circuit, self.displays)
        labels = data["edges"]["label"]
        if labels != list(self.edges.data["label"]):
            self.edges.patch({"label": list(enumerate(labels))})
