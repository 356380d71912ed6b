"""The command line: summaries, preset commands, bad input as exit code 2 without a traceback.

Two tests run the real process; the rest call ``main`` in this process (faster, and
an escaping exception would fail the test just as a traceback would).
"""

import json
import socket
import subprocess
import sys
from types import SimpleNamespace

import jsonschema
import numpy as np
import pytest

import neuntune as nt
from neuntune.cli import main
from neuntune.presets import load, names, save


def process(*args):
    return subprocess.run(
        [sys.executable, "-m", "neuntune.cli", *args], capture_output=True, text=True
    )


@pytest.fixture
def run(capsys):
    """``run(*args)`` -> an object with returncode, stdout and stderr, like subprocess.run."""

    def call(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return call


def rows(stdout):
    return {line.split()[0]: line.split() for line in stdout.splitlines()[2:]}


def test_run_prints_a_summary():
    out = process("run", "hh_gap_pair", "--t-stop", "50")
    assert out.returncode == 0, out.stderr
    assert "hh_gap_pair: 50 ms" in out.stdout
    cells = rows(out.stdout)
    assert int(cells["a"][1]) >= 3 and int(cells["b"][1]) >= 3  # both fire


def test_the_default_preset_runs_with_its_own_settings(run):
    out = run("run")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("hh_gap_pair: 100 ms at dt 0.001 ms (rk4)")


def test_set_changes_a_value(run):
    # without input, and starting at rest (−75 mV would give a rebound spike), nothing fires
    silenced = ["a.stim0.amplitude=0", "b.stim0.amplitude=0", "a.v0=-65"]
    quiet = run("run", "hh_gap_pair", "--t-stop", "50", *[f"--set={s}" for s in silenced])
    assert quiet.returncode == 0
    cells = rows(quiet.stdout)
    assert cells["a"][1] == "0" and cells["b"][1] == "0"


def test_set_takes_units_and_the_cc_protocol_prints_its_coupling(run):
    """1 nS against the cells' 2 nS leak: CC = 1/(2 + 1) in both directions."""
    out = run("run", "bmtool_gap_cc", "--set", "gj.g=1nS")
    assert out.returncode == 0, out.stderr
    assert "CC a->b: 0.3333" in out.stdout and "CC b->a: 0.3333" in out.stdout


def test_run_writes_traces_in_three_formats(run, tmp_path):
    for suffix in ("csv", "npz", "json"):
        path = tmp_path / f"traces.{suffix}"
        out = run("run", "hh_gap_pair", "--t-stop", "2", "--out", str(path))
        assert out.returncode == 0, out.stderr
        assert f"traces written to {path}" in out.stdout
    table = np.loadtxt(tmp_path / "traces.csv", delimiter=",", skiprows=1)
    header = (tmp_path / "traces.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["t (ms)", "a.v (mV)"] and table.shape == (2001, len(header))
    npz = np.load(tmp_path / "traces.npz")
    doc = json.loads((tmp_path / "traces.json").read_text())
    assert np.array_equal(npz["a.v"], table[:, 1]) and np.array_equal(doc["a.v"], table[:, 1])
    assert doc["units"]["gj.I"] == "uA" and doc["units"]["t"] == "ms"


def test_presets_lists_every_bundled_preset_with_its_description(run):
    out = run("presets")
    assert out.returncode == 0
    listed = {line.split()[0]: line for line in out.stdout.splitlines()}
    assert sorted(listed) == names()
    assert "Hodgkin–Huxley" in listed["hh_gap_pair"]


def test_validate_reports_ok_or_the_first_problem(run, tmp_path):
    good = save(load("hh_gap_pair"), tmp_path / "good.json")
    bad = tmp_path / "bad.json"
    doc = json.loads(good.read_text())
    doc["connections"][0]["post"] = "c"
    bad.write_text(json.dumps(doc))
    out = run("validate", str(good))
    assert out.returncode == 0 and "good.json: ok (hh_gap_pair: 2 cells" in out.stdout
    out = run("validate", str(good), str(bad))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "bad.json: $.connections[0].post: no neuron named 'c'" in out.stderr


def test_schema_prints_the_json_schema(run):
    out = run("schema")
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "model.HH" in schema["$defs"]


def test_export_writes_bmtk_files_and_brian2_scripts(run, tmp_path):
    folder = str(tmp_path / "bmtk")
    out = run("export", "bmtool_ampa_nmda_stp", "--format", "bmtk", "--out", folder)
    assert out.returncode == 0, out.stderr
    syn = json.loads((tmp_path / "bmtk" / "syn.json").read_text())
    assert syn["level_of_detail"] == "AMPA_NMDA_STP" and syn["Dep"] == 100.0
    whole = json.loads((tmp_path / "bmtk" / "bmtk_export.json").read_text())
    assert whole["edges"]["syn"]["dynamics_params"] == "syn.json"
    # a synapse NEURON has no equivalent of is refused, by name (issue 19)
    out = run("export", "rtm_continuous", "--format", "bmtk")
    assert out.returncode == 2 and "ContinuousSynapse has no NEURON/BMTK equivalent" in out.stderr
    out = run("export", "hh_gap_pair", "--format", "bmtk")
    assert json.loads(out.stdout)["gap_junctions"]["gj"]["resistance"]["g"]["value"] == 0.5
    script = tmp_path / "pair.py"
    out = run("export", "hh_gap_pair", "--format", "brian2", "--out", str(script))
    assert out.returncode == 0, out.stderr
    compile(script.read_text(), str(script), "exec")
    # an unwritable target is named as given (not as the temporary file written first)
    lost = tmp_path / "no such folder" / "pair.py"
    out = run("export", "hh_gap_pair", "--format", "brian2", "--out", str(lost))
    assert out.returncode == 2 and f"--out {lost}: the folder" in out.stderr
    assert ".tmp" not in out.stderr


def test_bad_input_exits_2_from_the_real_process():
    out = process("run", "--set", "gj.g=-1")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "gj.g: value -1 mS is out of range" in out.stderr


def test_bad_input_exits_2_with_a_message(run):
    for args, text in (
        (("run", "--set", "gj.g=-1"), "gj.g: value -1 mS is out of range"),
        (("run", "--set", "gj.q=1"), "GapJunction has no parameter 'q'"),
        (("run", "--set", "gj.g=2mV"), "'mV' is a voltage, but a conductance"),
        (("run", "--dt", "0"), "dt: 0.0 ms is not allowed"),
        (("run", "--set", "gj.g"), "expected path=value"),
        (("run", "--set", "gj.g=abc"), "'abc' is not a number"),
        (("run", "nope"), "nope: cannot read it"),
        (("run", "--out", "traces.txt"), "use a .csv, .npz, .json file"),
        (("validate", "missing.json"), "missing.json: cannot read it"),
        (("export", "hh_gap_pair", "--format", "neuron"), "invalid choice"),
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out)
        assert text in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_a_run_that_blows_up_exits_1(run, tmp_path):
    out = run("run", "hh_gap_pair", "--t-stop", "5", "--dt", "0.5")
    assert out.returncode == 1 and "blew up" in out.stderr and "Traceback" not in out.stderr


def test_fit_gap_prints_g_resistance_and_cc(run, tmp_path):
    saved = tmp_path / "fitted.json"
    out = run("fit-gap", "bmtool_gap_cc", "--target", "0.1", "--save", str(saved))
    assert out.returncode == 0, out.stderr
    g = float(out.stdout.split("g     ")[1].split()[0])
    gl = 2e-6  # mS: the preset's 2 nS leak
    assert g == pytest.approx(0.1 * gl / 0.9, rel=1e-3)
    assert "R = 1/g" in out.stdout and "MOhm" in out.stdout
    assert nt.load_preset(str(saved)).circuit.get("gj.g") == pytest.approx(g, rel=1e-5)


def test_scan_writes_a_table_and_a_plot(run, tmp_path):
    table, plot = tmp_path / "scan.csv", tmp_path / "scan.png"
    out = run(
        "scan", "hh_gap_pair", "--param", "gj.g=0.0001:0.01:3", "--metric", "synchrony",
        "--t-stop", "40", "--dt", "0.01", "--out", str(table), "--plot", str(plot),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = table.read_text().splitlines()
    assert rows[0] == "gj.g,synchrony" and len(rows) == 4
    values = [float(r.split(",")[1]) for r in rows[1:]]
    assert values == sorted(values)  # stronger coupling, more synchrony
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_outputs_are_refused_before_the_work(run, tmp_path, monkeypatch):
    """A scan or fit that would finish only to fail on its --out, --plot or --save
    path is refused up front (exit 2, the option and path named), running nothing."""

    def must_not_run(*args, **kwargs):
        raise AssertionError("the work ran before its output path was checked")

    monkeypatch.setattr("neuntune.sweep.scan", must_not_run)
    monkeypatch.setattr("neuntune.fit.fit_gap_junction", must_not_run)
    missing = tmp_path / "no such folder"
    scan = ("scan", "hh_gap_pair", "--param", "gj.g=0.0001:0.01:3")
    for args, text in (
        ((*scan, "--out", tmp_path / "scan.txt"), "use a .csv, .json file"),
        ((*scan, "--out", missing / "scan.csv"), "does not exist"),
        ((*scan, "--plot", tmp_path / "scan.xyz"), ".png"),
        ((*scan, "--plot", missing / "scan.png"), "does not exist"),
        (("fit-gap", "hh_gap_pair", "--target", "0.1", "--save", missing / "f.json"), "--save"),
        (("fit-gap", "hh_gap_pair", "--target", "0.1", "--save", tmp_path / "f.txt"), ".json"),
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert text in out.stderr and str(args[-1]) in out.stderr, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_serve_refuses_a_bad_or_taken_port_before_compiling(run, monkeypatch):
    def must_not_warm(*args, **kwargs):
        raise AssertionError("serve warmed its kernels before checking where it listens")

    monkeypatch.setattr("neuntune.ui.warm.start", must_not_warm)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for args, text in (
            (("--port", port), f"cannot listen on 127.0.0.1:{port}: Address already in use"),
            (("--port", 70000), "port 70000: allowed 1–65535"),
            (("--port", 0), "port 0: allowed 1–65535"),
            (("--address", "no.such.host.invalid"), "address 'no.such.host.invalid'"),
        ):
            out = run("serve", *args)
            assert out.returncode == 2, (args, out.stdout, out.stderr)
            assert text in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_fit_synapse_from_a_targets_file(run, tmp_path):
    spec = tmp_path / "targets.json"
    spec.write_text(
        '{"targets": {"decay": 6.1}, "params": {"tau_d": [1, 20]}, '
        '"protocol": {"frequencies": [20], "pulses": 2, "recovery_pulses": 0}}'
    )
    circuit = nt.Circuit()
    circuit.add("pre", nt.SpikeSource([10.0]))
    circuit.add("post", nt.Passive(area=2e-5))
    circuit.connect("pre", "post", nt.Exp2Synapse(g=2e-6), name="syn")
    preset = tmp_path / "syn.json"
    nt.save_preset(circuit, str(preset))
    out = run("fit-synapse", str(preset), "--targets", str(spec))
    assert out.returncode == 0, out.stderr
    line = next(r for r in out.stdout.splitlines() if r.strip().startswith("decay"))
    assert float(line.split()[2]) == pytest.approx(6.1, rel=1e-3)  # achieved


def test_fit_and_scan_bad_input_exit_2(run, tmp_path):
    for args, text in (
        (("fit-gap", "hh_gap_pair", "--target", "1.5"), "strictly between 0 and 1"),
        (("fit-gap", "rtm_continuous", "--target", "0.1"), "has gap junctions []"),
        (("scan", "hh_gap_pair", "--param", "gj.g"), "expected path=start:stop:count"),
        (("scan", "hh_gap_pair", "--param", "gj.g=1:2"), "start:stop:count"),
        (
            ("scan", "hh_gap_pair", "--param", "gj.g=0.001:0.002:100000000", "--t-stop", "1"),
            "100000000 points, over the limit of 1000000 points",
        ),
        (
            ("scan", "hh_gap_pair", "--param", "gj.g=0.001:0.002:3", "--t-stop", "0"),
            "t_stop: 0.0 ms is not allowed",
        ),
        (
            ("scan", "hh_gap_pair", "--param", "gj.g=0.001:0.002:3", "--dt", "0"),
            "dt: 0.0 ms is not allowed",
        ),
        (
            ("scan", "hh_gap_pair", "--param", "gj.g=0.001:0.002:3", "--param", "gj.g=1:2:3"),
            "--param 'gj.g=1:2:3': gj.g is already scanned (0.001:0.002:3)",
        ),
        (
            ("scan", "hh_gap_pair", "--param", "gj.g=0.001:0.002:3", "--metric", "rate"),
            "metric 'rate': name the cell, e.g. rate:a",
        ),
        (("fit-synapse", "hh_gap_pair", "--targets", str(tmp_path / "none.json")), "cannot read"),
    ):
        out = run(*args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert text in out.stderr and "Traceback" not in out.stderr


def test_fit_synapse_names_a_bad_targets_file_field(run, tmp_path, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the fit ran with a bad targets file")

    monkeypatch.setattr("neuntune.protocols.train.simulate_batch", must_not_run)
    circuit = nt.Circuit()
    circuit.add("pre", nt.SpikeSource([10.0]))
    circuit.add("post", nt.Passive(area=2e-5))
    circuit.connect("pre", "post", nt.Exp2Synapse(g=2e-6), name="syn")
    preset = tmp_path / "syn.json"
    nt.save_preset(circuit, str(preset))
    spec = tmp_path / "targets.json"
    base = {"targets": {"decay": 6.1}, "params": {"tau_d": [1, 20]}}
    for change, text in (
        ({"protocol": {"pulses": 0}}, "protocol.pulses: 0 is not allowed; at least 2"),
        ({"protocol": {"dt": -1}}, "protocol.dt: -1 is not allowed; a finite number > 0 (ms)"),
        ({"protocol": {"frequencies": ["a"]}}, "protocol.frequencies[0]: expected a number"),
        ({"protocol": {"pulse": 3}}, "protocol: expected an object with some of frequencies"),
        ({"protocl": {}}, "unknown key(s) 'protocl'"),
        ({"params": {"tau_d": 5}}, "params['tau_d']: expected (low, high) bounds, got 5"),
        ({"targets": {"decay": "a"}}, "targets['decay']: expected a number"),
        ({"targets": {"decay": None}}, "targets['decay']: expected a number"),
    ):
        spec.write_text(json.dumps({**base, **change}))
        out = run("fit-synapse", str(preset), "--targets", str(spec))
        assert out.returncode == 2, (change, out.stdout, out.stderr)
        assert text in out.stderr and "Traceback" not in out.stderr, (change, out.stderr)


def test_fit_synapse_follows_the_presets_convention(run, tmp_path, monkeypatch):
    """A bmtool_* preset's targets are fitted under BMTool's convention (its metrics,
    the fresh recovery stream) unless the targets file names another."""
    used = []

    def record(*args, protocol, **kwargs):
        used.append(protocol)
        raise ValueError("recorded")  # the CLI reports it; the fit itself is not tested here

    monkeypatch.setattr("neuntune.fit.synapse.fit_synapse", record)
    spec = tmp_path / "targets.json"
    for protocol, convention, stream in (
        ({}, "bmtool", "fresh"),
        ({"convention": "neuntune"}, "neuntune", "single"),
        ({"recovery_stream": "single"}, "bmtool", "single"),
    ):
        spec.write_text(json.dumps({"targets": {"ppr": -0.5}, "protocol": protocol}))
        run("fit-synapse", "bmtool_ampa_nmda_stp", "--targets", str(spec))
        assert (used[-1].convention, used[-1].stream) == (convention, stream), protocol


def synapse_preset(tmp_path, tau_d=5.0):
    """A spike source driving an Exp2Synapse onto a passive cell, saved as a preset."""
    circuit = nt.Circuit()
    circuit.add("pre", nt.SpikeSource([10.0]))
    circuit.add("post", nt.Passive(area=2e-5))
    circuit.connect("pre", "post", nt.Exp2Synapse(g=2e-6, tau_d=tau_d), name="syn")
    path = tmp_path / "syn.json"
    nt.save_preset(circuit, str(path))
    return path, circuit


# the fit's protocol: two pulses at 20 Hz from 50 ms, clamped at -70 mV, 100 ms of tail
PROTOCOL = {"frequencies": [20], "pulses": 2, "recovery_pulses": 0}


def recorded_epsc(circuit, tau_d):
    """What an ideal voltage-clamp recording of the protocol gives for the synapse with
    ``tau_d``: the clamp current (µA) of the isolated synapse at the protocol's dt."""
    isolated = nt.Circuit()
    isolated.add("pre", nt.SpikeSource([50.0, 100.0]))
    isolated.add("post", circuit.neurons["post"].copy())
    isolated.connect("pre", "post", circuit.connections["syn"].synapse.copy(), name="syn")
    isolated.set("syn.tau_d", tau_d)
    clamp = nt.VoltageClamp(holding=-70.0, level=-70.0, start=0.0, stop=0.0)
    isolated.stimulate("post", clamp, name="clamp")
    run = nt.simulate(isolated, 200.0, 0.025, "rk4", record=["clamp.I"], init="rest")
    return run.t, run.current["clamp"]


def test_fit_synapse_to_a_recorded_trace(run, tmp_path):
    """A recorded EPSC (a CSV in pA, as an amplifier's export) is the only target: the
    fit finds the decay time constant that made it.  The recording is the model's own
    response, so the loss is 0 at τ_d = 6.1 ms and the printed value (6 digits) is it."""
    preset, circuit = synapse_preset(tmp_path)
    t, current = recorded_epsc(circuit, tau_d=6.1)
    trace = tmp_path / "epsc.csv"
    rows = "".join(f"{float(a)!r},{float(b) * 1e6!r}\n" for a, b in zip(t, current, strict=True))
    trace.write_text("t (ms),I (pA)\n" + rows)
    spec = tmp_path / "fit.json"  # no "targets": the trace alone
    spec.write_text(json.dumps({"params": {"tau_d": [1, 20]}, "protocol": PROTOCOL}))
    out = run("fit-synapse", preset, "--targets", spec, "--trace", trace)
    assert out.returncode == 0, out.stderr
    assert f"trace {trace}: I (pA), 8,001 samples over 200 ms (current, uA)" in out.stdout
    line = next(r for r in out.stdout.splitlines() if r.strip().startswith("tau_d"))
    assert float(line.split()[1]) == pytest.approx(6.1, rel=1e-5)
    assert "metric" not in out.stdout  # no metric targets, no table of them


def test_fit_synapse_names_a_bad_trace_file(run, tmp_path, monkeypatch):
    """Every problem with --trace is exit 2 naming the file and the problem, before the
    fit runs."""

    def must_not_run(*args, **kwargs):
        raise AssertionError("the fit ran with a bad trace")

    monkeypatch.setattr("neuntune.fit.synapse.fit_synapse", must_not_run)
    preset, _ = synapse_preset(tmp_path)
    spec = tmp_path / "fit.json"
    spec.write_text(json.dumps({"params": {"tau_d": [1, 20]}, "protocol": PROTOCOL}))
    free = tmp_path / "free.json"
    free.write_text(
        json.dumps({"params": {"tau_d": [1, 20]}, "protocol": {**PROTOCOL, "clamp": None}})
    )
    files = {
        "garbage.csv": b"t (ms),I (pA)\n0,1\n0.1,x\n",
        "epsp.csv": b"t (ms),v (mV)\n0,-65\n0.1,-64\n",
        "epsc.csv": b"t (ms),I (pA)\n0,-1\n0.1,-2\n",
        "flat.csv": b"t (ms),I (pA)\n0,0\n0.1,0\n",
        "bad.abf": b"not an ABF file\n" * 100,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    missing = tmp_path / "none.csv"
    for args, text in (
        (("--trace", missing), f"--trace {missing}: cannot read it (No such file or directory)"),
        (("--trace", tmp_path), f"--trace {tmp_path}: cannot read it (Is a directory)"),
        (("--trace", tmp_path / "garbage.csv"), "garbage.csv: line 3 is not all numbers"),
        (
            ("--trace", tmp_path / "epsc.csv", "--channel", "V"),
            "epsc.csv: no column 'V' (columns: I (pA))",
        ),
        (
            ("--trace", tmp_path / "epsp.csv"),
            "epsp.csv: 'v (mV)' is a voltage, but the protocol clamps the post cell at -70 mV "
            'and records its current; set "clamp": null',
        ),
        (("--trace", tmp_path / "flat.csv"), "flat.csv: 'I (pA)' is 0 throughout"),
        (("--trace", tmp_path / "bad.abf"), "bad.abf: pyabf cannot read it"),
        (("--channel", "sweep 2"), "--channel: options of --trace, which is not given"),
        (("--time-unit", "s", "--value-unit", "nA"), "--time-unit, --value-unit: options of"),
    ):
        out = run("fit-synapse", preset, "--targets", spec, *args)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert text in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)
    out = run("fit-synapse", preset, "--targets", free, "--trace", tmp_path / "epsc.csv")
    assert out.returncode == 2 and "'I (pA)' is a current, but the protocol records the post " \
        "cell's voltage (no clamp)" in out.stderr, out.stderr  # fmt: skip


def test_fit_synapse_reads_an_abf_sweep(run, tmp_path):
    """An ABF recording is read through pyabf, its sweeps are the channels (--channel):
    sweep 2 holds the EPSC of τ_d = 6.1 ms in pA.  pyabf's ABF1 writer rounds to int16
    counts of 10·max/32767 (3e-4 of the peak), so the fit lands within 1 % of 6.1.  A
    recording in mV is refused naming the sweeps to choose from."""
    from pyabf import abfWriter

    preset, circuit = synapse_preset(tmp_path)
    _, slow = recorded_epsc(circuit, tau_d=6.1)
    _, fast = recorded_epsc(circuit, tau_d=2.0)
    spec = tmp_path / "fit.json"
    spec.write_text(json.dumps({"params": {"tau_d": [1, 20]}, "protocol": PROTOCOL}))
    for unit in ("pA", "mV"):
        path = tmp_path / f"cell_{unit}.abf"
        abfWriter.writeABF1(np.array([fast, slow]) * 1e6, str(path), 40_000.0, units=unit)
        out = run("fit-synapse", preset, "--targets", spec, "--trace", path, "--channel", "sweep 2")
        if unit == "pA":
            assert out.returncode == 0, out.stderr
            line = next(r for r in out.stdout.splitlines() if r.strip().startswith("tau_d"))
            assert float(line.split()[1]) == pytest.approx(6.1, rel=0.01)
        else:
            assert out.returncode == 2
            assert (
                f"--trace {path}: 'sweep 2' is a voltage, but the protocol clamps the post cell"
                in out.stderr
            )
            assert "(or choose another with --channel: sweep 1, sweep 2)" in out.stderr


def test_text_from_a_file_cannot_drive_the_terminal(run, tmp_path):
    """A preset name with ANSI/OSC escapes, a carriage return and a newline is printed
    with those characters escaped: no cursor movement, no second (fake) line."""
    evil = "x\x1b[2K\r\nother.json: ok (\x1b]0;title\x07\u202e"
    preset = tmp_path / "evil.json"
    save(load("hh_gap_pair"), preset, name=evil)
    out = run("validate", str(preset))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1 and out.stdout.startswith(f"{preset}: ok (")
    assert not any(ch in out.stdout[:-1] for ch in "\x1b\r\n\x07\u202e")
    assert "x\\x1b[2K\\r\\nother.json: ok (\\x1b]0;title\\x07\\u202e" in out.stdout
    out = run("run", str(preset), "--t-stop", "1")
    assert out.returncode == 0 and out.stdout.startswith("x\\x1b[2K\\r\\nother.json")
    assert "\x1b" not in out.stdout
    # error messages quote what the file says: escaped too
    doc = json.loads(preset.read_text())
    doc["neurons"][0]["model"] = "HH\x1b[31m\nneuntune: ok"
    preset.write_text(json.dumps(doc))
    out = run("validate", str(preset))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "\x1b" not in out.stderr


def test_export_checks_its_output_path(run, tmp_path):
    out = run("export", "hh_gap_pair", "--format", "brian2", "--out", tmp_path / "x.txt")
    assert out.returncode == 2 and "--out" in out.stderr and "use a .py file" in out.stderr
    afile = tmp_path / "there.json"
    afile.write_text("{}")
    out = run("export", "hh_gap_pair", "--format", "bmtk", "--out", afile)
    assert out.returncode == 2 and "a file; --format bmtk writes a folder" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["there.json"]
    assert (
        run("export", "hh_gap_pair", "--format", "brian2", "--out", tmp_path / "x.py").returncode
        == 0
    )
