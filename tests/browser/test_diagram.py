"""The circuit diagram in the sidebar, in Debian's headless Chromium: drawn, and a click
on a connection's edge or a cell opens its card and scrolls it into view."""

import pytest
from playwright.sync_api import expect

from neuntune.ui.testing import DRAWN_JS, click_glyph_until, open_tuner, running_server, type_value
from neuntune.ui.widgets import css_class

LABELS_JS = """() => {
    const doc = window.Bokeh.documents[0];
    doc._recompute_all_models();
    return Array.from(doc.get_model_by_name("diagram:edges").data.label);
}"""


def _top(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def test_the_diagram_is_drawn_and_clicking_the_junction_opens_and_scrolls_to_its_card(
    tuner_page,
) -> None:
    page, log = tuner_page
    # Drawn: both cells and the junction's handle inside the plot's frame, labelled with g.
    page.wait_for_function(f"() => ({DRAWN_JS})('diagram:nodes') === 2", timeout=20_000)
    page.wait_for_function(f"() => ({DRAWN_JS})('diagram:edges') === 1", timeout=20_000)
    assert page.evaluate(LABELS_JS) == ["gj: g = 2 µS"]
    # A short window, the junction's card folded and below the bottom edge.
    page.set_viewport_size({"width": 1500, "height": 450})
    page.locator(".nt-card-gj").get_by_text("gj · GapJunction a → b").click()
    expect(page.locator(f".{css_class('gj.g')}")).to_be_hidden()
    page.locator(".nt-diagram").first.evaluate("el => el.scrollIntoView({block: 'end'})")
    assert _top(page, ".nt-card-gj") > 450
    click_glyph_until(page, "diagram:edges", 0, page.locator(f".{css_class('gj.g')} input").first)
    expect(page.locator(f".{css_class('gj.g')} input").first).to_be_visible()
    page.wait_for_function(
        """() => {
            const find = (root) => root.querySelector(".nt-card-gj") || Array.from(
                root.querySelectorAll("*")).map((el) => el.shadowRoot && find(el.shadowRoot))
                .find(Boolean);
            const top = find(document).getBoundingClientRect().top;
            return top >= -1 && top < 100;  // scrolled to its top (to a pixel)
        }""",
        timeout=10_000,
    )
    # The label follows a typed conductance.
    type_value(page, "gj.g", "5")
    page.wait_for_function(f"() => ({LABELS_JS})()[0] === 'gj: g = 5 µS'", timeout=20_000)
    assert log["errors"] == []


def test_clicking_a_cell_opens_its_folded_card_and_scrolls_to_it(tuner_page) -> None:
    page, _ = tuner_page
    page.wait_for_function(f"() => ({DRAWN_JS})('diagram:nodes') === 2", timeout=20_000)
    page.set_viewport_size({"width": 1500, "height": 500})
    # Cells start folded, at the bottom of the sidebar: below the window's edge.
    expect(page.locator(f".{css_class('b.gna')}").first).to_be_hidden()
    assert _top(page, ".nt-card-b") > 500
    row = page.locator(f".{css_class('b.gna')} input").first
    click_glyph_until(page, "diagram:nodes", 1, row)
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_be_in_viewport(timeout=10_000)
    # The card's header is in the window (as high as the page's length lets it go).
    assert -1 <= _top(page, ".nt-card-b") < 460  # in view (to a pixel)


@pytest.fixture(scope="module")
def network_url():
    with running_server(circuit="'wb_gap_network'") as url:
        yield url


def test_a_network_shows_its_block_and_loop_and_the_loop_opens_its_card(browser, network_url):
    context, page, log = open_tuner(browser, network_url, ready="raster:wb")
    try:
        page.wait_for_function(f"() => ({DRAWN_JS})('diagram:nodes') === 1", timeout=20_000)
        nodes = page.evaluate(
            """() => {
                const doc = window.Bokeh.documents[0];
                doc._recompute_all_models();
                const data = doc.get_model_by_name("diagram:nodes").data;
                return [Array.from(data.label), Array.from(data.marker)];
            }"""
        )
        assert nodes[0][0].startswith("wb (n=100)") and nodes[1] == ["square"]
        [label] = page.evaluate(LABELS_JS)
        assert label.startswith("gap: g = ") and label.endswith("\nAllToAll")
        page.set_viewport_size({"width": 1500, "height": 500})
        page.locator(".nt-card-gap").get_by_text("gap · GapJunction wb → wb").click()
        expect(page.locator(f".{css_class('gap.g')}")).to_be_hidden()
        row = page.locator(f".{css_class('gap.g')} input").first
        click_glyph_until(page, "diagram:edges", 0, row)  # scrolls up to the diagram first
        expect(row).to_be_visible(timeout=10_000)
        expect(row).to_be_in_viewport(timeout=10_000)
        assert -1 <= _top(page, ".nt-card-gap") < 100  # in view (to a pixel)
        assert log["errors"] == [] and log["foreign"] == []
    finally:
        context.close()
