"""Slider-to-frame latency in Debian's Chromium, shared by the dashboard benchmarks.

The page records each keydown's timestamp and, once a ColumnDataSource has received
new data, the time of the next animation frame; the difference is one sample.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from playwright.sync_api import sync_playwright

from neuntune.ui.testing import grab_slider, launch_chromium, open_tuner
from neuntune.ui.widgets import css_class

WARM_UP = 3  # first presses pay for lazy JS paths; not counted
PAUSE = 0.4  # s between presses: each starts from an idle server (metrics done)

HOOK_JS = """(name) => {
    const lat = window.__ntLatency = {start: null, samples: []};
    window.addEventListener("keydown", (e) => { lat.start = e.timeStamp; }, true);
    const source = window.Bokeh.documents[0].get_model_by_name(name);
    source.properties.data.change.connect(() => {
        if (lat.start === null) return;
        const start = lat.start;
        lat.start = null;
        requestAnimationFrame(() => lat.samples.push(performance.now() - start));
    });
}"""


def measure(
    url: str, slider: str, source: str, samples: int, timeout_ms: int, ready: str | None = None
) -> list[float]:
    """Latencies (ms) of ``samples`` key presses (ArrowRight/ArrowLeft alternately) on
    the slider of parameter path ``slider``, until ``source``'s data changes."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            _, page, _ = open_tuner(browser, url, **({"ready": ready} if ready else {}))
            return press_keys(page, slider, source, samples, timeout_ms)
        finally:
            browser.close()


def press_keys(
    page: Any,
    slider: str,
    source: str,
    samples: int,
    timeout_ms: int,
    keys: tuple[str, str] = ("ArrowRight", "ArrowLeft"),
) -> list[float]:
    """On an open tuner ``page``: install :data:`HOOK_JS` on ``source``, focus the
    slider of parameter path ``slider`` and press ``keys`` alternately, WARM_UP +
    ``samples`` times (an even total returns the slider where it was); the latencies
    (ms) after the warm-up.  Each press waits for its sample, then :data:`PAUSE`."""
    page.evaluate(HOOK_JS, source)
    page.locator(f".{css_class(slider)} .noUi-handle").focus()
    for i in range(WARM_UP + samples):
        page.keyboard.press(keys[i % 2])
        page.wait_for_function(
            "(n) => window.__ntLatency.samples.length > n", arg=i, timeout=timeout_ms
        )
        time.sleep(PAUSE)
    return page.evaluate("() => window.__ntLatency.samples")[WARM_UP:]


#: Counts the data changes a source receives (redraws), from now on.
COUNT_JS = """(name) => {
    window.__ntRedraws = 0;
    window.Bokeh.documents[0].get_model_by_name(name).properties.data.change.connect(
        () => { window.__ntRedraws += 1; });
}"""


def drag_rates(
    url: str, slider: str, source: str, drags: int, seconds: float = 2.0, span: float = 60.0
) -> list[float]:
    """Redraws per second of ``source`` while the slider of parameter path ``slider``
    is dragged back and forth over ``span`` px without letting go, for ``seconds``
    each time, ``drags`` times (the mouse moves every ~16 ms, as a hand does at 60 Hz)."""
    rates = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            _, page, _ = open_tuner(browser, url)
            page.evaluate(COUNT_JS, source)
            for _ in range(drags):
                x, y = grab_slider(page, slider)
                before = page.evaluate("() => window.__ntRedraws")
                start, k = time.perf_counter(), 0
                while time.perf_counter() - start < seconds:
                    k += 1
                    page.mouse.move(x + span / 2 * np.sin(k / 8), y)
                    page.wait_for_timeout(16)
                elapsed = time.perf_counter() - start
                page.mouse.up()
                rates.append((page.evaluate("() => window.__ntRedraws") - before) / elapsed)
                time.sleep(PAUSE)
        finally:
            browser.close()
    return rates


def summary(values: list[float]) -> dict[str, float]:
    """Count, fastest, median, p95 and slowest of ``values`` (ms)."""
    data = np.asarray(values)
    return {
        "n": len(values),
        "min_ms": round(float(data.min()), 1),
        "median_ms": round(float(np.median(data)), 1),
        "p95_ms": round(float(np.percentile(data, 95)), 1),
        "max_ms": round(float(data.max()), 1),
    }
