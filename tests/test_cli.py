"""The command line: summaries, and bad input as exit code 2 without a traceback."""

import subprocess
import sys


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "neuntune.cli", *args], capture_output=True, text=True
    )


def test_run_prints_a_summary():
    out = run("run", "hh_gap_pair", "--t-stop", "50")
    assert out.returncode == 0, out.stderr
    assert "hh_gap_pair: 50 ms" in out.stdout
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[2:]}
    assert int(rows["a"][1]) >= 3 and int(rows["b"][1]) >= 3  # both cells fire


def test_set_changes_a_value():
    # without input, and starting at rest (−75 mV would give a rebound spike), nothing fires
    silenced = ["a.stim0.amplitude=0", "b.stim0.amplitude=0", "a.v0=-65"]
    quiet = run("run", "hh_gap_pair", "--t-stop", "50", *[f"--set={s}" for s in silenced])
    assert quiet.returncode == 0
    rows = {line.split()[0]: line.split() for line in quiet.stdout.splitlines()[2:]}
    assert rows["a"][1] == "0" and rows["b"][1] == "0"


def test_bad_input_exits_2_with_a_message():
    for args, text in (
        (("run", "--set", "gj.g=-1"), "gj.g: value -1 mS is out of range"),
        (("run", "--set", "gj.q=1"), "GapJunction has no parameter 'q'"),
        (("run", "--dt", "0"), "dt: 0.0 ms is not allowed"),
        (("run", "--set", "gj.g"), "expected path=value"),
        (("run", "nope"), "invalid choice"),
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out)
        assert text in out.stderr and "Traceback" not in out.stderr
