"""Dashboard latency: slider change → next animation frame after the plot's data changed.

Serves the tuner on the default circuit (HH gap-junction pair, 200 ms at dt 0.01,
rk4), opens it in Debian's Chromium, focuses the gap-junction conductance slider
and presses ArrowRight/ArrowLeft alternately.  For each key press the page
records the keydown event's timestamp and, once the voltage trace's
ColumnDataSource has received new data, the time of the next animation frame;
the difference is one sample.  Prints min/median/p95 and writes every sample to
benchmarks/results/dashboard_latency.json.  Goal (issue 20): p95 ≤ 70 ms.

Then the redraw rate while dragging: the handle held and moved back and forth every
~16 ms for 2 s, ``--drags`` times; redraws per second are the voltage source's data
changes over the drag's time.  Goal (issue 20): ≥ 10 per second.

    python benchmarks/dashboard_latency.py [--samples 40] [--drags 30] [--compare-panel-debounce]

``--compare-panel-debounce`` repeats the measurement with Panel's default 50 ms
server-side debounce restored on the tuning sliders, for comparison.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

from _latency import drag_rates, measure, summary

from neuntune.ui.testing import running_server
from neuntune.ui.view import TuningSlider

RESULTS = Path(__file__).parent / "results" / "dashboard_latency.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40, help="key presses measured (≥ 30)")
    parser.add_argument("--drags", type=int, default=30, help="2 s drags measured (≥ 30)")
    parser.add_argument(
        "--compare-panel-debounce",
        action="store_true",
        help="also measure with Panel's default 50 ms debounce on the sliders",
    )
    args = parser.parse_args()
    if args.samples < 30 or args.drags < 30:
        parser.error("--samples and --drags: at least 30 each (fastest and median of ≥ 30)")
    runs = {"tuning_slider": ("", TuningSlider._debounce)}
    if args.compare_panel_debounce:
        setup = "import neuntune.ui.view as v; v.TuningSlider._debounce = 50"
        runs["panel_default_debounce"] = (setup, 50)
    report: dict = {
        "what": "keydown on the gj.g slider -> next animation frame after v:a data changed",
        "circuit": "hh_gap_pair, 200 ms at dt 0.01 ms, rk4",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}",
    }
    for name, (setup, debounce) in runs.items():
        load = os.getloadavg()[0]  # the machine is shared: latency depends on its load
        with running_server(setup) as url:
            values = measure(url, "gj.g", "v:a", args.samples, 20_000)
        stats = summary(values)
        report[name] = {
            "server_debounce_ms": debounce,
            "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
            **stats,
            "samples_ms": [round(v, 1) for v in values],
        }
        print(
            f"{name} (server debounce {debounce} ms): n={stats['n']} min {stats['min_ms']} ms, "
            f"median {stats['median_ms']} ms, p95 {stats['p95_ms']} ms"
        )
    load = os.getloadavg()[0]
    with running_server() as url:
        rates = drag_rates(url, "gj.g", "v:a", args.drags)
    report["drag"] = {
        "what": "redraws per second of v:a while the gj.g handle is dragged (2 s per drag)",
        "goal_per_s": 10,
        "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
        "n": len(rates),
        "slowest_per_s": round(min(rates), 1),
        "median_per_s": round(float(sorted(rates)[len(rates) // 2]), 1),
        "fastest_per_s": round(max(rates), 1),
        "samples_per_s": [round(r, 1) for r in rates],
    }
    print(
        f"drag: {len(rates)} drags, redraws/s slowest {min(rates):.1f}, "
        f"median {report['drag']['median_per_s']}, fastest {max(rates):.1f} (goal ≥ 10)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
