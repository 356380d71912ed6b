"""Live network tuning latency: slider change → next frame after the raster's data changed.

Serves the tuner on issue 18's gap-junction network, the bundled preset
``wb_gap_network`` — 100 Wang–Buzsáki cells, all-to-all gap junctions of
g = 0.001 mS (per cm², area 1 cm²), 0.6 µA drive, v0 uniform in [−70, −50] mV —
showing 200 ms at dt 0.01 ms (rk4); ``--cells N`` builds the same network of N
cells instead.  It opens it in
Debian's Chromium, focuses the gap conductance's slider and presses
ArrowRight/ArrowLeft alternately (a network's slider runs on release or on each
key press).  For each press the page records the keydown's timestamp and, once
the raster's ColumnDataSource has received new data, the time of the next
animation frame; the difference is one sample.  The same run is also timed in
this process (``simulate`` alone), so the dashboard's own share is visible.
Prints fastest/median/p95 and writes every sample to
benchmarks/results/network_latency.json.  Goal (issue 18): p95 ≤ 500 ms.

    python benchmarks/network_latency.py [--samples 40] [--cells N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

from _latency import measure, summary

from neuntune.ui.testing import running_server

RESULTS = Path(__file__).parent / "results" / "network_latency.json"

#: The bundled preset measured by default.
PRESET = "wb_gap_network"
#: ``--cells N``: the circuit, built in the server process (and here, to time the run alone).
SETUP = """
import neuntune as nt
from neuntune.presets import Preset, RunSettings

c = nt.Circuit()
c.add("wb", nt.WangBuzsaki(), n={cells})
c.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
c.stimulate("wb", nt.Constant(amplitude=0.6))
c.set("wb.v0", nt.Uniform(-70, -50, seed=1))
preset = Preset(c, "Wang-Buzsaki network", run=RunSettings(t_stop=200.0, dt=0.01, method="rk4"))
"""


def simulate_alone(cells: int | None, repeats: int = 5) -> list[float]:
    """Wall time (ms) of the live run's simulate() call alone, as the tuner records it."""
    import neuntune as nt
    from neuntune.ui.live_run import MAX_SAMPLES
    from neuntune.ui.population import default_members, record_plan

    if cells is None:
        circuit = nt.presets.load(PRESET).circuit
    else:
        scope: dict = {}
        exec(SETUP.format(cells=cells), scope)
        circuit = scope["c"]
    plan = record_plan(circuit, default_members(circuit), 20_000, MAX_SAMPLES)
    times = []
    for _ in range(repeats + 1):  # the first compiles or loads the kernel
        start = time.perf_counter()
        nt.simulate(circuit, 200.0, 0.01, "rk4", record=plan.record, record_every=plan.record_every)
        times.append(1e3 * (time.perf_counter() - start))
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40, help="key presses measured (≥ 30)")
    parser.add_argument(
        "--cells", type=int, default=None, help=f"build N cells instead of the {PRESET} preset"
    )
    args = parser.parse_args()
    if args.samples < 30:
        parser.error("--samples: at least 30, for a meaningful p95")
    load = os.getloadavg()[0]  # the machine is shared: latency depends on its load
    alone = summary(simulate_alone(args.cells))
    if args.cells is None:
        serving = running_server(circuit=repr(PRESET))
    else:
        serving = running_server(SETUP.format(cells=args.cells), circuit="preset")
    with serving as url:
        values = measure(url, "gap.g", "raster:wb", args.samples, 60_000, ready="raster:wb")
    stats = summary(values)
    report = {
        "what": "keydown on the gap.g slider -> next animation frame after raster:wb data changed",
        "circuit": (PRESET if args.cells is None else "built")
        + f": {args.cells or 100} Wang-Buzsaki cells, all-to-all gap junctions g = 0.001 mS, "
        "0.6 uA drive, 200 ms at dt 0.01 ms, rk4",
        "goal_p95_ms": 500,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "load_average_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
        "simulate_alone": alone,
        "latency": {**stats, "samples_ms": [round(v, 1) for v in values]},
    }
    print(
        f"simulate() alone: median {alone['median_ms']} ms (min {alone['min_ms']} ms, "
        f"n={alone['n']})"
    )
    print(
        f"slider -> redrawn raster: n={stats['n']} fastest {stats['min_ms']} ms, "
        f"median {stats['median_ms']} ms, p95 {stats['p95_ms']} ms (goal p95 <= 500 ms)"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
