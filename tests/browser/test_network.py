"""The tuner on a network, in Debian's headless Chromium: 20 Wang–Buzsáki cells coupled
all-to-all by gap junctions, 100 ms at dt 0.01 ms, served by a server started here."""

import re

import pytest
from playwright.sync_api import expect

from neuntune.ui.testing import (
    DATA_CHANGED_JS,
    DRAWN_JS,
    HAS_DATA_JS,
    entry,
    grab_slider,
    open_tab,
    open_tuner,
    running_server,
    trace,
)
from neuntune.ui.widgets import css_class

#: Run in the server process: the circuit it serves, as a preset with 100 ms.
SETUP = """
import neuntune as nt
from neuntune.presets import Preset, RunSettings

c = nt.Circuit()
c.add("wb", nt.WangBuzsaki(), n={n})
c.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
c.stimulate("wb", nt.Constant(amplitude=0.6))
c.set("wb.v0", nt.Uniform(-70, -50, seed=1))
preset = Preset(c, "Wang-Buzsaki network", run=RunSettings(t_stop={t_stop}, dt=0.01))
"""


@pytest.fixture(scope="module")
def network_url():
    with running_server(SETUP.format(n=20, t_stop=100.0), circuit="preset") as url:
        yield url


@pytest.fixture
def network_page(browser, network_url):
    context, page, log = open_tuner(browser, network_url, ready="raster:wb")
    yield page, log
    context.close()
    if log["foreign"]:
        pytest.fail(f"requests to hosts other than the server's: {log['foreign']}")


def drawn(page, name: str) -> int:
    return page.evaluate(DRAWN_JS, name)


def test_the_raster_is_drawn_with_rate_members_and_metrics(network_page) -> None:
    page, log = network_page
    spikes = len(trace(page, "raster:wb")["x"])
    assert spikes > 20 * 3  # 20 cells at ~40 Hz for 100 ms
    # Every spike is a glyph the browser has painted (screen coordinates computed).
    page.wait_for_function(f"() => ({DRAWN_JS})('raster:wb') === {spikes}", timeout=20_000)
    assert drawn(page, "rate:wb") > 0
    rows = trace(page, "raster:wb")["y"]
    assert min(rows) >= 0 and max(rows) <= 19
    members = page.evaluate(
        "() => Bokeh.documents[0].get_model_by_name('members').data.label.slice()"
    )
    assert members == ["wb[0]", "wb[1]", "wb[2]"]
    metrics = page.locator(".nt-population-metrics")
    expect(metrics).to_contain_text("synchrony χ", timeout=20_000)
    expect(metrics).to_contain_text(re.compile(r"wb\s*20\s*\d+"))
    expect(page.locator(".nt-readout").first).to_contain_text("190 connections (AllToAll)")
    page.wait_for_timeout(300)
    assert log["errors"] == []
    assert [text for kind, text in log["console"] if kind == "error"] == []


def test_moving_the_gap_conductance_changes_the_raster(network_page) -> None:
    page, _ = network_page
    before = trace(page, "raster:wb")
    x, y = grab_slider(page, "gap.g")
    page.mouse.move(x + 60, y, steps=6)
    page.mouse.up()  # a network runs once, where the handle is let go
    page.wait_for_function(DATA_CHANGED_JS, arg=["raster:wb", before], timeout=30_000)
    after = trace(page, "raster:wb")
    assert after != before
    page.wait_for_function(f"() => ({DRAWN_JS})('raster:wb') === {len(after['x'])}")
    g = float(entry(page, "gap.g").input_value())
    assert g > 1.0  # µS: moved right from 1 µS
    expect(page.locator(".nt-readout").first).to_contain_text(f"g = {g:.4g} µS")
    # Keys move it too, one run per press.
    page.locator(f".{css_class('gap.g')} .noUi-handle").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(DATA_CHANGED_JS, arg=["raster:wb", after], timeout=30_000)
    # Undo brings the drag's start back in one step.
    page.get_by_role("button", name="Undo").click()
    page.get_by_role("button", name="Undo").click()
    expect(entry(page, "gap.g")).to_have_value("1", timeout=20_000)


def test_members_can_be_chosen_and_the_tabs_fit_and_scan_the_network(network_page) -> None:
    page, _ = network_page
    box = page.locator(f".{css_class('members.wb')} input")
    box.fill("4, 7-8")
    box.press("Enter")
    page.wait_for_function(
        "() => Bokeh.documents[0].get_model_by_name('members').data.label.join() === "
        "'wb[4],wb[7],wb[8]'",
        timeout=30_000,
    )
    box.fill("25")
    box.press("Enter")
    expect(page.get_by_text("25 is out of range; wb has 20 members")).to_be_visible()
    # The Fit tab fits the junctions' g on the mean CC of the pairs (wb[i] → wb[j]).
    open_tab(page, "Fit")
    expect(page.locator(".nt-gap-fit select").nth(1)).to_contain_text("wb[i] → wb[j]")
    target = page.locator(".nt-target-cc input")
    target.fill("0.02")
    target.press("Enter")
    page.get_by_role("button", name="Fit g").click()
    status = page.locator(".nt-job-gap_fit .nt-status")
    expect(status).to_contain_text("CC 0.0200 for target 0.02", timeout=120_000)
    # The Scan tab offers the population's metrics.
    open_tab(page, "Scan")
    expect(page.locator(".nt-scan select").last).to_contain_text("χ synchrony of wb")
    open_tab(page, "Traces")


def test_the_bundled_network_preset_opens_from_the_pair_tuner(tuner_page) -> None:
    page, log = tuner_page
    page.locator(".nt-preset select").select_option("wb_gap_network")
    page.wait_for_function(HAS_DATA_JS, arg="raster:wb", timeout=60_000)
    spikes = len(trace(page, "raster:wb")["x"])
    assert spikes > 100 * 5  # 100 cells at ~40 Hz over 200 ms
    page.wait_for_function(f"() => ({DRAWN_JS})('raster:wb') === {spikes}", timeout=20_000)
    expect(page.locator(".nt-population-metrics")).to_contain_text("wb", timeout=30_000)
    # The voltages differ between members at the start: the control says so.
    page.locator(".card-header", has_text="cell wb · WangBuzsaki").click()
    # its rows are built as it opens: the folded "initial values" inside it, not another's
    page.locator(".nt-card-wb").locator(".card-header", has_text="initial values").click()
    expect(page.locator(f".{css_class('spread.wb.v0')}")).to_contain_text(
        "Differs between the 100 members"
    )
    assert log["errors"] == []
