"""The live tuner on a NEURON cell in Chromium, opened as a user does (``neuntune serve``
on the example NEURON preset): BMTool's train appears, dragging a slider redraws it
(through the session's NEURON worker process), Undo puts the slider and the train
back, the frequency response's job bar cancels and runs it, nothing is fetched from
another host and the console stays clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuntune.ui.testing import CHANGED_JS, entry, open_tuner, serving_file, trace, wait_for_entry
from neuntune.ui.widgets import css_class

PRESET = Path(__file__).parent.parent.parent / "examples" / "neuron" / "gaba_a_stp.json"


def test_dragging_a_slider_redraws_the_neuron_train(browser) -> None:
    with serving_file(PRESET) as url:
        context, page, log = open_tuner(browser, url, ready="neuron:fresh")
        try:
            first = trace(page, "neuron:fresh")
            # the first PSC: GABA_A_STP clamped at 0 mV, 75 pA outward (BMTool's A1)
            assert min(first["y"]) == pytest.approx(-75.0, rel=1e-3)
            page.get_by_text("exact: both trains in").wait_for(timeout=30_000)
            opened = trace(page, "neuron:fresh")  # the exact run, before any change
            handle = page.locator(f".{css_class('syn.Dep')} .noUi-handle")
            handle.scroll_into_view_if_needed()
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 60, y, steps=6)
            page.mouse.up()
            page.wait_for_function(CHANGED_JS, arg=["neuron:fresh", first["y"]], timeout=30_000)
            # Playwright's text locators look into Panel's shadow roots; innerText does not
            page.get_by_text("exact: both trains in").wait_for(timeout=30_000)
            assert page.get_by_text("through a fresh NetCon").count() == 1
            # Undo: the whole drag is one step, the slider is back where the page opened
            assert float(entry(page, "syn.Dep").input_value()) != 100.0
            undo = page.get_by_role("button", name="Undo")
            assert undo.is_enabled()
            undo.click()
            wait_for_entry(page, "syn.Dep", 100.0, rel=1e-9)
            # the exact run at the opened values again, as first drawn
            page.wait_for_function(f"(args) => !({CHANGED_JS})(args)",
                                   arg=["neuron:fresh", opened["y"]], timeout=30_000)  # fmt: skip
            assert undo.is_disabled()
            # a sweep's job bar, served: Cancel stops it and says so, a new start runs whole
            sweep = page.locator(".nt-job-neuron_sweep")
            sweep.get_by_role("button", name="Frequency response").click()
            sweep.get_by_role("button", name="Cancel").click()
            sweep.get_by_text("Cancelled.").wait_for(timeout=30_000)
            sweep.get_by_role("button", name="Frequency response").click()
            sweep.get_by_text("Frequency response: 16 points").wait_for(timeout=60_000)
            errors = [text for kind, text in log["console"] if kind == "error"]
            assert not errors and not log["errors"], (errors, log["errors"])
            assert not log["foreign"], log["foreign"]
        finally:
            context.close()
