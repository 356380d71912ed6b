"""Issue 20, defects 5 and 6 in the browser: legend entries with swatches, and the
gates plot of a synapse with several states."""

import io

import numpy as np
from PIL import Image
from playwright.sync_api import expect

from neuntune.ui.testing import HAS_DATA_JS, trace
from neuntune.ui.widgets import css_class

#: The legend of figure ``name`` on the page: its box in page coordinates, and per
#: entry its label and whether it is shown.
LEGEND_JS = """(name) => {
    let found = null;
    const seen = new Set();
    const walk = (view) => {
        if (!view || seen.has(view)) return;
        seen.add(view);
        const parent = view.parent;
        if (view.model && view.model.type === "Legend" && parent && parent.model.name === name) {
            found = view;
        }
        if (typeof view.children === "function") for (const child of view.children()) walk(child);
    };
    for (const root of window.Bokeh.index.roots) walk(root);
    const page = found.parent.el.getBoundingClientRect();
    const box = found.bbox;
    return {
        x0: box.x0 + page.left, y0: box.y0 + page.top, x1: box.x1 + page.left,
        y1: box.y1 + page.top,
        items: found.model.items.map((item) => [item.label.value, item.visible]),
        policy: found.model.click_policy,
    };
}"""

#: The line colours of the gates' own renderers in the gates figure.
GATE_COLORS_JS = """() => {
    const doc = window.Bokeh.documents[0];
    doc._recompute_all_models();
    const fig = doc.get_model_by_name("figure:gate");
    return fig.renderers
        .filter((r) => r.data_source.name && r.data_source.name.startsWith("state:"))
        .map((r) => {
            const color = r.glyph.line_color;
            return [r.data_source.name, color && color.value !== undefined ? color.value : color];
        });
}"""


def swatch_pixels(page, legend: dict, row: int, rows: int) -> int:
    """Non-background pixels in the glyph column of entry ``row`` of ``rows`` shown."""
    padding = 10  # Bokeh's legend padding; the glyph column is 20 px wide
    height = (legend["y1"] - legend["y0"] - 2 * padding) / rows
    top = legend["y0"] + padding + row * height
    shot = page.screenshot(
        clip={"x": legend["x0"] + padding, "y": top, "width": 20, "height": height}
    )
    pixels = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
    return int((pixels.min(axis=2) < 200).sum())


def test_every_legend_entry_has_a_swatch(tuner_page) -> None:
    """Defect 6: "previous" (before any change) was listed with an empty swatch."""
    page, _ = tuner_page
    legend = page.evaluate(LEGEND_JS, "figure:v")
    shown = [label for label, visible in legend["items"] if visible]
    assert shown == ["a", "b", "previous"]
    assert legend["policy"] == "hide"
    for row, label in enumerate(shown):
        assert swatch_pixels(page, legend, row, len(shown)) >= 5, f"no swatch for {label}"


def test_the_gates_plot_of_a_synapse_with_several_states(tuner_page) -> None:
    """Defect 6: BMTool's AMPA_NMDA_STP put t_last (0–500 ms) on the gates' 0–1 axis,
    in seven lines of one colour."""
    page, _ = tuner_page
    page.locator(".nt-preset select").select_option("bmtool_ampa_nmda_stp")
    expect(page.locator(f".{css_class('syn.g')}").first).to_be_visible(timeout=60_000)
    page.wait_for_function(HAS_DATA_JS, arg="state:syn.R", timeout=60_000)
    colors = dict(page.evaluate(GATE_COLORS_JS))
    assert set(colors) == {
        "state:syn.A_AMPA", "state:syn.B_AMPA", "state:syn.A_NMDA", "state:syn.B_NMDA",
        "state:syn.u", "state:syn.R",
    }  # fmt: skip
    assert len(set(colors.values())) == 6, colors
    legend = page.evaluate(LEGEND_JS, "figure:gate")
    assert legend["policy"] == "hide"
    labels = [label for label, visible in legend["items"] if visible]
    assert "syn.t_last" not in labels and labels[-1] == "previous"
    y = page.evaluate(
        """() => { const doc = window.Bokeh.documents[0];
        const r = doc.get_model_by_name("figure:gate").y_range; return [r.start, r.end]; }"""
    )
    assert -0.2 < y[0] and y[1] < 1.2, f"the gates' axis spans {y}: no bookkeeping in ms on it"


def test_a_clamped_voltage_gets_a_readable_axis(tuner_page) -> None:
    """Defect 5: the clamped post cell's voltage axis read −69.999997 … −70.000003."""
    page, _ = tuner_page
    page.locator(".nt-preset select").select_option("bmtool_ampa_nmda_stp")
    page.wait_for_function(HAS_DATA_JS, arg="v:post", timeout=60_000)
    page.wait_for_function(HAS_DATA_JS, arg="I:post.clamp", timeout=60_000)
    voltage = trace(page, "v:post")["y"]
    assert max(voltage) - min(voltage) < 1e-3, "clamped: flat"
    start, end = page.evaluate(
        """() => { const doc = window.Bokeh.documents[0]; doc._recompute_all_models();
        const r = doc.get_model_by_name("figure:v").y_range; return [r.start, r.end]; }"""
    )
    assert end - start >= 2.0 - 1e-9 and start < min(voltage) and max(voltage) < end


#: Height (px) of each live plot ("figure:…", not the circuit diagram) on the page.
FIGURE_HEIGHTS_JS = """() => {
    const heights = {};
    const seen = new Set();
    const walk = (view) => {
        if (!view || seen.has(view)) return;
        seen.add(view);
        const name = view.model && view.model.name;
        if (name && name.startsWith("figure:") && name !== "figure:diagram") {
            heights[name] = view.el.getBoundingClientRect().height;
        }
        if (typeof view.children === "function") for (const child of view.children()) walk(child);
    };
    for (const root of window.Bokeh.index.roots) walk(root);
    return heights;
}"""


def test_the_pairs_plots_share_the_windows_height(tuner_page) -> None:
    """The live plots of a pair are equally tall, at least PLOT_MIN_HEIGHT px, and share
    what a taller window adds: n plots grow by 1/n of it each."""
    from neuntune.ui.view import PLOT_MIN_HEIGHT

    page, log = tuner_page
    shown = {}
    for window in (1000, 1400):
        page.set_viewport_size({"width": 1600, "height": window})
        page.wait_for_timeout(800)  # the layout settles
        shown[window] = page.evaluate(FIGURE_HEIGHTS_JS)
    n = len(shown[1000])
    assert n >= 2 and shown[1000].keys() == shown[1400].keys(), shown
    for name, height in shown[1000].items():
        assert PLOT_MIN_HEIGHT <= height, (name, height)
        assert abs(height - next(iter(shown[1000].values()))) < 1, shown  # equal shares
        assert abs(shown[1400][name] - height - 400 / n) < 2, shown  # 400 px more, shared
    assert log["errors"] == []
