"""NEURON tuner latency in Chromium (issue 17's goal): slider change → the next
animation frame after the train's plot received new data, on a template cell of 200
segments (a soma and a 1 mm dendrite of 199 segments, AMPA_NMDA_STP halfway along it).

Serves a NEURON preset of that cell with ``neuntune serve`` (the example mods in
examples/neuron), presses ArrowRight/ArrowLeft on the Dep slider as
benchmarks/dashboard_latency.py does, and times each press to the first redraw (the
tuner's preview: both streams at dt 0.1 ms, then the exact run follows).  Prints
min/median/p95 and writes benchmarks/results/neuron_latency.json.  Goal: p95 ≤ 150 ms.

    python benchmarks/neuron_latency.py [--samples 40]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from _latency import measure, summary
from bmtool_compat import LONG_CELL

from neuntune.ui.testing import accepts, free_port, serving

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "neuron"
RESULTS = HERE / "results" / "neuron_latency.json"
PRESET = {
    "schema": 2,
    "engine": "neuron",
    "metadata": {"name": "AMPA_NMDA_STP on a 200-segment cell"},
    "cell": {"template": "LongCell", "templates": "cells.hoc", "mechanisms": "mechanisms"},
    "synapse": {"point_process": "AMPA_NMDA_STP", "sec_id": 1, "sec_x": 0.5},
    "protocol": {"kind": "train"},
    "sliders": ["Use", "Dep", "Fac"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40, help="key presses measured (≥ 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(EXAMPLE / "mechanisms", folder / "mechanisms")
        (folder / "cells.hoc").write_text(LONG_CELL)
        (folder / "preset.json").write_text(json.dumps(PRESET))
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        command = [sys.executable, "-m", "neuntune.cli", "serve", str(folder / "preset.json"),
                   "--port", str(port)]  # fmt: skip
        with serving(command, "neuntune serve", lambda out: url in out and accepts(port), 180):
            samples = measure(url, "syn.Dep", "neuron:fresh", args.samples, 30_000,
                              ready="neuron:fresh")  # fmt: skip
    stats = summary(samples)
    print(f"slider → first redraw, 200 segments: {stats}")
    print(f"goal p95 ≤ 150 ms: {'met' if stats['p95_ms'] <= 150 else 'MISSED'}")
    RESULTS.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now().isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "what": "NEURON tuner, 200-segment cell: key press on Dep → first redraw",
                "load_average": os.getloadavg(),
                "summary": stats,
                "samples_ms": [round(s, 2) for s in samples],
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
