"""The examples run as documented."""

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_custom_model_example_adapts_and_round_trips_through_a_preset():
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "custom_model.py")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    intervals = [
        float(x) for x in re.search(r"intervals \(ms\) \[(.*)\]", out.stdout)[1].split(",")
    ]
    assert len(intervals) >= 5
    assert intervals[-1] > 2 * intervals[0]  # spike-frequency adaptation through w
    assert "saved and reloaded" in out.stdout
