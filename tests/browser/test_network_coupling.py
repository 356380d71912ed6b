"""The pairwise-CC histogram of a network's gap junctions, in Debian's headless Chromium:
12 Wang–Buzsáki cells joined all to all by junctions of different g, served by a
server started here; the histogram the page draws is the one nt.pairwise_coupling
measures."""

import numpy as np
import pytest
from playwright.sync_api import expect

from neuntune.ui.testing import HAS_DATA_JS, open_tuner, running_server
from neuntune.ui.widgets import format_number

#: Run in the server process (and here): the circuit served, as a preset with 50 ms.
SETUP = """
import neuntune as nt
from neuntune.presets import Preset, RunSettings

c = nt.Circuit()
c.add("wb", nt.WangBuzsaki(), n=12)
c.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
c.set("gap.g", nt.Uniform(5e-4, 2e-3, seed=1))
c.stimulate("wb", nt.Constant(amplitude=0.6))
c.set("wb.v0", nt.Uniform(-70, -50, seed=1))
preset = Preset(c, "Wang-Buzsaki gap network", run=RunSettings(t_stop=50.0, dt=0.01))
"""

#: The bars the browser holds: centres, counts.
BARS_JS = """() => {
    const doc = window.Bokeh.documents[0];
    doc._recompute_all_models();
    const data = doc.get_model_by_name("cc:hist").data;
    return {x: Array.from(data.x), y: Array.from(data.y), w: Array.from(data.w)};
}"""


@pytest.fixture(scope="module")
def network_url():
    with running_server(SETUP, circuit="preset") as url:
        yield url


def test_measuring_shows_the_histogram_of_pairwise_cc(browser, network_url) -> None:
    namespace: dict = {}
    exec(SETUP, namespace)
    import neuntune as nt

    expected = nt.pairwise_coupling(namespace["c"], "gap")
    n = 12 * 11  # every cell injected (12 ≤ 16): both directions of all 66 pairs
    assert len(expected.values) == n

    context, page, log = open_tuner(browser, network_url, ready="raster:wb")
    try:
        card = page.locator(".nt-pairwise")
        expect(card).to_contain_text("Measure to see the distribution")
        card.locator(".nt-measure-cc button").click()
        page.wait_for_function(HAS_DATA_JS, arg="cc:hist", timeout=60_000)
        bars = page.evaluate(BARS_JS)
        # every directed pair is in one bar, and the bars cover the measured values
        assert sum(bars["y"]) == n
        low = min(x - w / 2 for x, w in zip(bars["x"], bars["w"], strict=True))
        high = max(x + w / 2 for x, w in zip(bars["x"], bars["w"], strict=True))
        values = expected.values
        tol = 1e-9 * float(np.max(values))
        assert low <= float(np.min(values)) + tol and float(np.max(values)) <= high + tol
        # bar by bar: the counts of the values the API measures
        edges = np.array([x - w / 2 for x, w in zip(bars["x"], bars["w"], strict=True)])
        edges = np.append(edges, high)
        counts, _ = np.histogram(values, bins=edges)
        assert counts.tolist() == bars["y"]
        table = page.locator(".nt-pairwise-cc")
        expect(table).to_contain_text(f"{n}")
        expect(table).to_contain_text("12 of 12")
        expect(table).to_contain_text(format_number(expected.mean, 4))
        expect(card).to_contain_text("CC of 132 directed pairs from 12 injected cells")
        # the mean and the passive estimate are drawn as lines
        labels = page.evaluate(
            "() => Array.from(Bokeh.documents[0].get_model_by_name('cc:marks').data.label)"
        )
        assert labels[0].startswith("mean ") and labels[1].startswith("passive estimate ")
        page.wait_for_timeout(300)
        assert log["errors"] == []
        assert [text for kind, text in log["console"] if kind == "error"] == []
    finally:
        context.close()
    if log["foreign"]:
        pytest.fail(f"requests to hosts other than the server's: {log['foreign']}")
