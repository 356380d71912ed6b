"""Issue 20, defect 7: the Fit tab never shows a stale result, refuses a target CC
outside (0, 1) with a message, exposes the g bounds its messages talk about, and
counts simulations in whole numbers."""

import re

from playwright.sync_api import expect

from neuntune.ui.testing import HAS_DATA_JS, open_tab

#: A tab's first job may wait for the tabs' kernels (see test_workflows.FIRST_JOB_MS).
FIRST_JOB_MS = 180_000

#: The state of the gap fit's convergence plot: points shown, target line, x ticker.
PLOT_JS = """() => {
    const doc = window.Bokeh.documents[0];
    doc._recompute_all_models();
    const fig = doc.get_model_by_name("gapfit");
    return {
        points: doc.get_model_by_name("gapfit:cc").data.x.length,
        target: doc.get_model_by_name("gapfit:target").location,
        min_interval: fig.below[0].ticker.min_interval,
    };
}"""


def fill(page, css: str, value: str) -> None:
    box = page.locator(f"{css} input")
    box.fill(value)
    box.press("Enter")


def test_a_failed_fit_leaves_nothing_stale_and_bounds_are_exposed(tuner_page) -> None:
    page, _ = tuner_page
    open_tab(page, "Fit")
    status = page.locator(".nt-job-gap_fit .nt-status")
    error = page.locator(".nt-job-gap_fit .nt-job-error")
    results = page.locator(".nt-gap-fit-results")
    apply = page.locator(".nt-gap-fit").get_by_role("button", name=re.compile("^Apply"))
    fill(page, ".nt-target-cc", "0.05")
    page.get_by_role("button", name="Fit g").click()
    expect(status).to_contain_text("CC 0.0500 for target 0.05", timeout=FIRST_JOB_MS)
    expect(results).to_contain_text("g (µS)")
    expect(apply).to_be_enabled()
    page.wait_for_function(HAS_DATA_JS, arg="gapfit:cc", timeout=20_000)
    shown = page.evaluate(PLOT_JS)
    assert shown["points"] >= 3 and shown["target"] == 0.05
    assert shown["min_interval"] == 1, "simulation counts tick at whole numbers"

    # g at most 1 µS cannot reach CC 0.3: the error names the bounds in µS, and the
    # previous fit's table, points, target line and Apply are gone.
    fill(page, ".nt-g-high", "1")
    fill(page, ".nt-target-cc", "0.3")
    page.get_by_role("button", name="Fit g").click()
    expect(error).to_contain_text("out of reach", timeout=60_000)
    expect(error).to_contain_text(re.compile(r"g between 0 and 1 µS gives CC from 0 to 0\.\d+"))
    expect(error).to_contain_text("widen the g bounds")
    expect(error).not_to_contain_text("mS")
    expect(results).to_be_empty()
    expect(apply).to_be_disabled()
    expect(apply).to_have_text("Apply")
    shown = page.evaluate(PLOT_JS)
    assert shown["points"] == 0 and shown["target"] == 0.3

    # Wider bounds reach it.
    fill(page, ".nt-g-high", "20")
    page.get_by_role("button", name="Fit g").click()
    expect(status).to_contain_text("CC 0.3000 for target 0.3", timeout=60_000)
    expect(error).to_be_hidden()
    expect(apply).to_be_enabled()

    # A target outside (0, 1) is refused with a message, never clamped, and fits nothing.
    fill(page, ".nt-target-cc", "1.5")
    expect(error).to_contain_text("Target CC must lie strictly between 0 and 1 (got 1.5)")
    assert page.locator(".nt-target-cc input").input_value() == "1.5"
    page.get_by_role("button", name="Fit g").click()
    page.wait_for_timeout(500)
    expect(error).to_contain_text("Target CC must lie strictly between 0 and 1")
    expect(status).to_be_empty()
    fill(page, ".nt-target-cc", "0.2")
    expect(error).to_be_hidden()
