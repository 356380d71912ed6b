"""Issue 20: the page never contradicts itself — every display of a value agrees with
the others and with what was simulated, in one unit per quantity."""

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from neuntune.ui.testing import (
    CHANGED_JS,
    entry,
    grab_slider,
    slider_value,
    trace,
    type_value,
    wait_for_entry,
    wait_for_slider,
)
from neuntune.ui.widgets import css_class


def download_preset(page) -> dict:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download preset").click()
    return json.loads(Path(download.value.path()).read_text())


def test_values_beyond_the_slider_widen_it_and_a_failed_run_is_marked(tuner_page) -> None:
    """Defect 2: 1e6 µS left the slider at its end (10), the readout at the last run and
    Download preset saving a value that never ran."""
    page, _ = tuner_page
    readout = page.locator(".nt-readout").first
    mark = page.locator(f".{css_class('mark.gj.g')}")
    before = trace(page, "v:b")["y"]
    type_value(page, "gj.g", "20")  # µS, beyond the log slider's 0.1–10: it widens
    wait_for_slider(page, "gj.g", 20.0, tol=0.05)
    expect(entry(page, "gj.g")).to_have_value("20")
    expect(readout).to_contain_text("g = 20 µS")
    page.wait_for_function(CHANGED_JS, arg=["v:b", before], timeout=20_000)
    shown = trace(page, "v:b")
    assert not mark.is_visible(), "a value that ran needs no mark"

    type_value(page, "gj.g", "1e6")  # 1000 mS: the run blows up
    alert = page.get_by_text("the simulation blew up")
    alert.wait_for(state="visible", timeout=20_000)
    # Entry, slider and readout all show the typed value; none is clamped...
    expect(entry(page, "gj.g")).to_have_value("1000000")
    wait_for_slider(page, "gj.g", 1e6, tol=1.0)
    expect(readout).to_contain_text("g = 1000000 µS")
    # ...and the mark says the plots show another value, which is the one saved.
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("Not simulated")
    expect(mark).to_contain_text("hold 20 µS")
    assert trace(page, "v:b") == shown, "the plot keeps the last good run"
    doc = download_preset(page)
    assert doc["connections"][0]["parameters"]["g"] == {"value": 0.02, "unit": "mS"}

    page.get_by_role("button", name="Undo").click()
    expect(entry(page, "gj.g")).to_have_value("20", timeout=20_000)
    expect(mark).to_be_hidden()
    alert.wait_for(state="hidden", timeout=20_000)
    assert abs(slider_value(page, "gj.g") - 20.0) <= 0.05
    expect(readout).to_contain_text("g = 20 µS")


def test_zero_on_a_log_slider_is_marked_not_clamped(tuner_page) -> None:
    """Defect 2: a log slider cannot show 0: its handle rests at the left end, and the
    row says so instead of showing 0.1 µS as if it were the value."""
    page, _ = tuner_page
    before = trace(page, "v:b")["y"]
    type_value(page, "gj.g", "0")
    page.wait_for_function(CHANGED_JS, arg=["v:b", before], timeout=20_000)
    mark = page.locator(f".{css_class('mark.gj.g')}")
    expect(mark).to_contain_text(re.compile(r"0 µS lies below the log slider's range"))
    expect(page.locator(".nt-readout").first).to_contain_text("g = 0 µS")
    assert download_preset(page)["connections"][0]["parameters"]["g"]["value"] == 0.0


#: The label of the y axis of figure ``name`` ("figure:I").
Y_LABEL_JS = """(name) => {
    const doc = window.Bokeh.documents[0];
    doc._recompute_all_models();
    return doc.get_model_by_name(name).left[0].axis_label;
}"""


def test_one_unit_per_quantity_in_messages_and_plots(tuner_page) -> None:
    """Defect 4: −1 typed in µS was refused as "−0.001 mS"; currents were plotted in µA
    with ticks like 6.000e−5 while the metrics table gave pA."""
    page, _ = tuner_page
    type_value(page, "gj.g", "-1")
    alert = page.get_by_text("gj.g: value -1 µS is out of range; allowed: ≥ 0 µS")
    alert.wait_for(state="visible", timeout=20_000)
    expect(entry(page, "gj.g")).to_have_value("2")
    # The junction's current (about 0.02 µA at 2 µS) reads in nA, with numbers to match.
    assert page.evaluate(Y_LABEL_JS, "figure:I") == "I (nA)"
    current = trace(page, "I:gj")["y"]
    peak = max(abs(y) for y in current)
    assert 1.0 <= peak < 1000.0, f"{peak} nA"
    # Stronger coupling, a larger current: same unit, numbers follow the engine's.
    before = trace(page, "v:b")["y"]
    type_value(page, "gj.g", "8")
    page.wait_for_function(CHANGED_JS, arg=["v:b", before], timeout=20_000)
    assert page.evaluate(Y_LABEL_JS, "figure:I") == "I (nA)"
    assert max(abs(y) for y in trace(page, "I:gj")["y"]) > peak


def test_the_entry_follows_a_drag_rounded_to_the_sliders_precision(tuner_page) -> None:
    """Defect 3: entries kept the old value during a drag and then showed full floats
    (0.48231516678791225) cut off in their box."""
    page, _ = tuner_page
    box = entry(page, "gj.g")
    x, y = grab_slider(page, "gj.g")
    try:
        page.mouse.move(x + 40, y, steps=8)
        # Still held: the entry has left 2 µS and shows the slider's value, rounded.
        expect(box).not_to_have_value("2", timeout=10_000)
        held = box.input_value()
        assert len(re.sub(r"[^0-9]", "", held).lstrip("0")) <= 4, held
        page.mouse.move(x + 70, y, steps=4)
    finally:
        page.mouse.up()
    moved = slider_value(page, "gj.g")  # its title: 3 significant digits
    assert moved > 2.0
    # Released: the entry takes the value the drag ended on, to 4 significant digits.
    wait_for_entry(page, "gj.g", moved, rel=0.006)
    released = box.input_value()
    assert len(re.sub(r"[^0-9]", "", released).lstrip("0")) <= 4, released
    readout = page.locator(".nt-readout").first
    expect(readout).to_contain_text(f"g = {released} µS", timeout=20_000)
