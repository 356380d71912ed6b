"""The live tuner on a NEURON cell in Chromium: BMTool's train appears, dragging a
slider redraws it (through the NEURON worker process), nothing is fetched from
another host and the console stays clean."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from neuntune.ui.testing import (
    CHANGED_JS,
    _accepts,
    free_port,
    open_tuner,
    serving,
    trace,
)
from neuntune.ui.widgets import css_class

DATA = Path(__file__).parent.parent / "data"
SERVER = """
import json, warnings
from neuntune.compat.bmtool import SynapseTuner
from neuntune.ui.server import access, build
ref = json.loads(open({ref!r}).read())
warnings.simplefilter("ignore")
tuner = SynapseTuner(
    {{"gaba": ref["synapse"]["bmtool_gaba_a_stp"]["conn_type_settings"]}},
    mechanisms_dir={mods!r}, templates_dir={templates!r},
    general_settings=ref["general_settings"], slider_vars=["Use", "Dep", "Fac"],
)
server = build(tuner.tuner_view, access("127.0.0.1", {port}))
print("serving http://127.0.0.1:{port}/", flush=True)
server.start()
server.io_loop.start()
"""


def test_dragging_a_slider_redraws_the_neuron_train(browser) -> None:
    port = free_port()
    code = SERVER.format(
        ref=str(DATA / "bmtool_0.8.7.json"),
        mods=str(DATA / "neuron/bmtool/mechanisms"),
        templates=str(DATA / "neuron/bmtool/templates/passive_cells.hoc"),
        port=port,
    )
    url = f"http://127.0.0.1:{port}/"
    with serving(
        [sys.executable, "-c", code],
        "the NEURON tuner",
        lambda out: url in out and _accepts(port),
        timeout=120,
    ):
        context, page, log = open_tuner(browser, url, ready="neuron:fresh")
        try:
            first = trace(page, "neuron:fresh")
            # the first PSC: GABA_A_STP clamped at 0 mV, 75 pA outward (BMTool's A1)
            assert min(first["y"]) == pytest.approx(-75.0, rel=1e-3)
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
            errors = [text for kind, text in log["console"] if kind == "error"]
            assert not errors and not log["errors"], (errors, log["errors"])
            assert not log["foreign"], log["foreign"]
        finally:
            context.close()
