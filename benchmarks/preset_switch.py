"""Dashboard after a structure change: choosing another preset → its first plot.

Serves the tuner (default preset), opens it in Debian's Chromium and chooses bundled
presets from the preset picker in turn, as a user does.  One sample is the time from
the choice to the next animation frame after the new preset's first trace holds data
(a new data source, or the old one's data replaced).  The first pass over the presets
is not timed: it fills the kernel cache, so the samples measure a structure change
"once the model types are cached" (issue 18; goal ≤ 1 s).  The networks are timed
apart: their first run itself takes a fraction of a second to seconds.

    python benchmarks/preset_switch.py [--rounds 5]

Writes every sample to benchmarks/results/preset_switch.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

from _latency import summary
from playwright.sync_api import sync_playwright

from neuntune.ui.testing import _FIND_JS, launch_chromium, open_tuner, running_server

RESULTS = Path(__file__).parent / "results" / "preset_switch.json"
GOAL_MS = 1000.0

#: Bundled pair-sized presets and the trace that shows each one's first plot, in an
#: order in which neighbours differ in structure (model types, cells, connections).
PAIRS = {
    "bmtool_gaba_a_stp": "v:post",
    "hr_bursting_pair": "v:a",
    "dsyn_pair": "v:pre",
    "rtm_continuous": "v:n0",
    "hh_chain": "v:n1",
    "brainpy_ampa": "v:post_coba",
    "bmtool_gap_cc": "v:a",
    "hh_gap_pair": "v:a",
}
NETWORKS = {"wb_gap_network": "raster:wb", "hh_gap_pair": "v:a"}

#: Before a switch: remember the source named ``name`` (if any) and note when its data
#: changes, so the wait below recognises the new preset's trace even where both
#: presets name it alike.
MARK_JS = f"""(name) => {{
    {_FIND_JS}
    const old = find(name);
    window.__ntSwitch = {{old, changed: false}};
    if (old) old.properties.data.change.connect(() => {{ window.__ntSwitch.changed = true; }});
}}"""
NEW_PLOT_JS = f"""(name) => {{
    {_FIND_JS}
    const s = find(name);
    const mark = window.__ntSwitch;
    return !!s && (s.data.x || []).length > 0 && (s !== mark.old || mark.changed);
}}"""
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def switch(page, preset: str, trace: str, timeout_ms: float = 120_000) -> float:
    """Choose ``preset`` in the picker; ms until its ``trace`` is drawn."""
    page.evaluate(MARK_JS, trace)
    start = time.perf_counter()
    page.locator(".nt-preset select").select_option(preset)
    page.wait_for_function(NEW_PLOT_JS, arg=trace, timeout=timeout_ms, polling="raf")
    page.evaluate(TWO_FRAMES_JS)
    return (time.perf_counter() - start) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the presets")
    parser.add_argument("--network-rounds", type=int, default=5)
    args = parser.parse_args()
    if args.rounds * len(PAIRS) < 30:
        parser.error(f"--rounds: at least {-(-30 // len(PAIRS))} (≥ 30 samples)")
    report: dict = {
        "what": "preset picker choice -> two frames after the new preset's first trace",
        "goal_ms": GOAL_MS,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}",
    }
    load = os.getloadavg()[0]
    with running_server() as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            _, page, log = open_tuner(browser, url)
            for preset, trace in {**PAIRS, **NETWORKS}.items():  # untimed: fills the cache
                switch(page, preset, trace)
            pairs: dict[str, list[float]] = {name: [] for name in PAIRS}
            for _ in range(args.rounds):
                for preset, trace in PAIRS.items():
                    pairs[preset].append(switch(page, preset, trace))
            networks = [
                switch(page, p, t) for _ in range(args.network_rounds) for p, t in NETWORKS.items()
            ][::2]
        finally:
            browser.close()
    values = [v for samples in pairs.values() for v in samples]
    report["pairs"] = {
        "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
        **summary(values),
        "samples_ms": {name: [round(v) for v in s] for name, s in pairs.items()},
    }
    report["wb_gap_network"] = {**summary(networks), "samples_ms": [round(v) for v in networks]}
    report["page_errors"] = log["errors"]
    stats = report["pairs"]
    print(
        f"pair presets: n={stats['n']} fastest {stats['min_ms']:.0f} ms, median "
        f"{stats['median_ms']:.0f} ms, p95 {stats['p95_ms']:.0f} ms, slowest "
        f"{stats['max_ms']:.0f} ms (goal ≤ {GOAL_MS:.0f} ms; load {stats['load_average_1min']})"
    )
    for name, samples in pairs.items():
        print(f"  {name:22s} median {sorted(samples)[len(samples) // 2]:.0f} ms")
    net = report["wb_gap_network"]
    print(f"wb_gap_network: fastest {net['min_ms']:.0f} ms, median {net['median_ms']:.0f} ms")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
