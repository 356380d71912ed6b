"""The dashboard in Debian's headless Chromium, against a server started here."""

import re
from pathlib import Path

from playwright.sync_api import expect

from neuntune.ui.testing import (
    CHANGED_JS,
    entry,
    grab_slider,
    open_tuner,
    slider_value,
    trace,
    type_value,
    wait_for_entry,
)


def test_page_loads_offline_without_console_errors(tuner_page) -> None:
    page, log = tuner_page
    page.get_by_text("neuntune · live tuner").wait_for()
    page.wait_for_timeout(500)  # let late scripts and styles load or fail
    assert log["errors"] == []
    assert [text for kind, text in log["console"] if kind == "error"] == []
    assert log["foreign"] == [], "fonts, scripts or styles fetched from outside the server"
    assert len(trace(page, "v:a")["x"]) <= 2002
    # The coupling protocol follows the run: the live CC appears beside its passive estimate.
    page.get_by_text(re.compile(r"CC a→b = 0\.\d+ \(passive estimate 0\.459\)")).wait_for()


def test_dragging_the_conductance_slider_redraws_while_it_moves(tuner_page) -> None:
    page, _ = tuner_page
    before = trace(page, "v:b")["y"]
    x, y = grab_slider(page, "gj.g")
    page.mouse.move(x + 60, y, steps=6)
    # Still held: the plot already shows the stronger coupling, the label its value.
    page.wait_for_function(CHANGED_JS, arg=["v:b", before], timeout=20_000)
    moved = slider_value(page, "gj.g")
    assert moved > 2.0
    page.mouse.up()
    # Released: the entry takes the value (µS), the readout its R = 1/g and live CC.
    wait_for_entry(page, "gj.g", moved, rel=0.01)
    readout = page.locator(".nt-readout").first
    expect(readout).not_to_contain_text("g = 2 µS", timeout=20_000)
    expect(readout).to_contain_text(re.compile(r"R = 1/g = [\d.]+ MΩ"))
    expect(readout).to_contain_text(re.compile(r"CC a→b = 0\.\d+ \(passive"))
    # HH cells at rest have more than their leak: the card says why CC < the estimate.
    expect(readout).to_contain_text("channels open at rest")
    expect(page.locator(".nt-guidance")).to_contain_text("Drag a slider")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download traces (CSV)").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("t (ms),a.v (mV)") and len(lines) == 20002


def test_a_blow_up_shows_a_message_and_keeps_the_last_plot(tuner_page) -> None:
    page, _ = tuner_page
    before = trace(page, "v:a")
    page.locator(".card-header", has_text="cell a · HH").click()
    type_value(page, "a.cm", "0.1")  # the slider's left end: too stiff for dt = 0.01 ms
    alert = page.get_by_text("the simulation blew up")
    alert.wait_for(state="visible", timeout=20_000)
    assert "try dt = 0.0025 ms" in alert.inner_text()
    page.wait_for_timeout(300)
    assert trace(page, "v:a") == before, "the last good plot stays"
    page.get_by_role("button", name="Undo").click()
    alert.wait_for(state="hidden", timeout=20_000)
    assert entry(page, "a.cm").input_value() == "1"


def test_two_sessions_are_isolated(browser, server_url) -> None:
    (ctx_a, page_a, log_a), (ctx_b, page_b, log_b) = (open_tuner(browser, server_url) for _ in "ab")
    try:
        before = trace(page_a, "v:b")["y"]
        type_value(page_a, "gj.g", "20")  # µS
        type_value(page_b, "a.stim0.amplitude", "0.2")
        page_a.wait_for_function(CHANGED_JS, arg=["v:b", before], timeout=20_000)
        page_b.wait_for_function(CHANGED_JS, arg=["v:b", before], timeout=20_000)
        expect(page_a.locator(".nt-readout").first).to_contain_text("g = 20 µS")
        expect(page_b.locator(".nt-readout").first).to_contain_text("g = 2 µS")
        assert entry(page_a, "a.stim0.amplitude").input_value() == "0.1"
        assert entry(page_b, "gj.g").input_value() == "2"
        assert trace(page_a, "v:b") != trace(page_b, "v:b")
        assert log_a["foreign"] == log_b["foreign"] == []
    finally:
        ctx_a.close()
        ctx_b.close()
