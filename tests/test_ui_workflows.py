"""The workbench tabs' models without a browser or Panel: recordings (CSV), the
session's presets (pick, upload, download), the gap-junction and synapse fits, scans,
the synapse protocols and the coupling spectrum, and the jobs that run them.

Expected values come from closed forms (passive coupling, Tsodyks–Markram depression
with Use = 1), from the bundled presets' documented references, or from neuntune.bundled
functions the tabs wrap, each with the tolerance its approximation allows.
"""

import json
import math
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import neuntune as nt
from neuntune import bundled, presets
from neuntune.simulate import CancelledError
from neuntune.ui import scanning
from neuntune.ui.fitting import check_metric, parse_targets
from neuntune.ui.jobs import Job
from neuntune.ui.protocol_runs import CURRENT_CLAMP, VOLTAGE_CLAMP, parse_frequencies
from neuntune.ui.recording import DataModel, RecordingError, read_csv
from neuntune.ui.scanning import NONE, metric_choices
from neuntune.ui.session import Session
from neuntune.ui.state import TunerModel

#: BMTool's AMPA_NMDA_STP preset: Use = 1 empties the pool at each release, which
#: recovers as 1 − exp(−Δt/Dep), so A2/A1 = 1 − exp(−Δt/Dep) (Tsodyks–Markram).
SYNAPSE_PRESET = "bmtool_ampa_nmda_stp"
CLAMP_COLUMN = "post.clamp.I (uA)"


@pytest.fixture
def open_session():
    """Open sessions (``Session(source, warm=False, **run)``) closed after the test."""
    opened: list[Session] = []

    def open_(source=None, **run) -> Session:
        session = Session(source, warm=False, **run)
        opened.append(session)
        assert session.wait()
        return session

    yield open_
    for session in opened:
        session.close()


def depression_ppr(frequency: float, dep: float) -> float:
    """A2/A1 of a Use = 1 depressing synapse at ``frequency`` (Hz), recovery τ ``dep`` (ms)."""
    return 1.0 - math.exp(-1000.0 / frequency / dep)


# ---------------------------------------------------------------------- no panel
def test_workbench_models_never_import_panel() -> None:
    modules = "recording, fitting, scanning, protocol_runs, session, jobs"
    code = (
        f"import sys\nfrom neuntune.ui import {modules}\n"
        "assert 'panel' not in sys.modules and 'bokeh' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- recordings
def test_csv_header_units_are_converted_to_engine_units() -> None:
    data = b"t (s),I (pA)\n0.000,0\n0.001,-10\n0.002,-25.5\n"
    rec = read_csv(data, "epsc.csv")
    np.testing.assert_allclose(rec.t, [0.0, 1.0, 2.0])  # s -> ms
    np.testing.assert_allclose(rec.y, [0.0, -1e-5, -2.55e-5])  # pA -> µA
    assert (rec.quantity, rec.unit, rec.label, rec.source) == (
        "current",
        "uA",
        "I (pA)",
        "epsc.csv",
    )
    # µ spelled as a micro sign, units in brackets, volts.
    rec = read_csv("t [ms],I [µA],V [V]\n0,1,-0.07\n0.5,2,-0.06\n".encode(), "x.csv", "V [V]")
    np.testing.assert_allclose(rec.y, [-70.0, -60.0])
    assert rec.quantity == "voltage" and rec.channels == ("I [µA]", "V [V]")


def test_csv_without_units_uses_the_declared_units() -> None:
    rec = read_csv(b"t,v\n0,-65\n0.1,-64\n", "plain.csv")
    assert rec.quantity == "voltage" and list(rec.y) == [-65.0, -64.0]  # defaults: ms, mV
    np.testing.assert_allclose(rec.t, [0.0, 0.1])
    # No header at all: columns are numbered; the units are the ones declared.
    rec = read_csv(b"0.5,2\n0.6,3\n0.7,5\n", "bare.csv", time_unit="s", value_unit="nA")
    np.testing.assert_allclose(rec.t, [0.0, 100.0, 200.0])  # from the first sample, in ms
    np.testing.assert_allclose(rec.y, [2e-3, 3e-3, 5e-3])  # nA -> µA
    assert rec.label == "column 2" and rec.quantity == "current"


def test_csv_column_choice() -> None:
    data = b"t (ms),V (mV),I (nA)\n0,-70,0.1\n1,-69,0.2\n"
    assert read_csv(data, "two.csv").label == "V (mV)"  # the second column by default
    rec = read_csv(data, "two.csv", column="I (nA)")
    np.testing.assert_allclose(rec.y, [1e-4, 2e-4])
    assert rec.channels == ("V (mV)", "I (nA)")
    with pytest.raises(RecordingError, match=r"two.csv: no column 'w' \(columns: V \(mV\), I"):
        read_csv(data, "two.csv", column="w")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("t,I (µA)\n0,1\n1,2\n".encode("latin-1"), "not UTF-8"),
        (b"", "the file is empty"),
        (b"\n  \n,\n", "the file is empty"),
        (b"t (ms),v (mV)\n", "no rows of numbers after the header"),
        (b"t\n0\n1\n", "needs two columns"),
        (b"t,v\n0,1\n1,abc\n", "line 3 is not all numbers"),
        (b"t,v\n0,1\n\n1,\n", "line 4 is not all numbers"),  # an empty cell; blank lines count
        (b"t,v\n0,1\n1,2,3\n", "line 3 has 3 columns, the first row 2"),
        (b"t,v\n0,1\n2,2\n1,3\n", "times must increase"),
        (b"t,v\n0,1\n1,1\n", None),  # control: a good file
        (b"t,v\n0,1\n1,nan\n", "missing or non-finite"),
        (b"t,v\n0,1\nnan,2\n", "missing or non-finite"),
        (b"t,v\n0,1\n", "at least two samples"),
        (b"t (ms),g (mS)\n0,1\n1,2\n", "column 'g (mS)': unit 'mS' is not a voltage"),
        (b"t (mV),v (mV)\n0,1\n1,2\n", "time column: 'mV' is not a unit of time"),
    ],
)
def test_bad_csv_files_are_refused_naming_the_file(data: bytes, message: str | None) -> None:
    if message is None:
        assert read_csv(data, "cell7.csv").t.size == 2
        return
    with pytest.raises(RecordingError) as info:
        read_csv(data, "cell7.csv")
    assert str(info.value).startswith("cell7.csv") and message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_tuners_own_csv_reads_back_to_the_same_samples(hh_pair: nt.Circuit) -> None:
    tuner = TunerModel(hh_pair, t_stop=20.0)
    try:
        tuner.request_run()
        assert tuner.wait()
        result, data = tuner.result, tuner.csv().encode()
    finally:
        tuner.close()
    voltage = read_csv(data, "tuner.csv", "b.v (mV)")
    current = read_csv(data, "tuner.csv", "gj.I (uA)")
    # The CSV keeps 10 significant digits: equal to that precision, every sample.
    np.testing.assert_allclose(voltage.t, result.t, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(voltage.y, result.v["b"], rtol=1e-9)
    np.testing.assert_allclose(current.y, result.current["gj"], rtol=1e-9, atol=1e-15)
    assert (voltage.quantity, current.quantity) == ("voltage", "current")
    assert "a.v (mV)" in voltage.channels and "gj.I (uA)" in voltage.channels
    gate = next(name for name in voltage.channels if name.startswith("a.m"))
    with pytest.raises(RecordingError, match="no unit in a header that gives units"):
        read_csv(data, "tuner.csv", gate)  # a gate is no voltage, whatever value_unit says


# ------------------------------------------------------------------- data model
def test_the_data_model_loads_and_keeps_the_last_good_recording() -> None:
    data = DataModel()
    try:
        data.load(b"t (ms),V (mV),I (pA)\n0,-70,-1\n1,-69,-2\n2,-68,-4\n", "cell.csv")
        assert data.wait()
        good = data.recording
        assert data.error == "" and good.label == "V (mV)" and data.overlay
        assert data.param.channel.objects == ["V (mV)", "I (pA)"]
        assert data.status.startswith("cell.csv: V (mV), 3 samples over 2 ms (voltage)")
        data.channel = "I (pA)"  # another column of the same file
        assert data.wait()
        assert data.recording.quantity == "current"
        np.testing.assert_allclose(data.recording.y, [-1e-6, -2e-6, -4e-6])  # pA -> µA
        shown = data.recording
        data.load(b"t,v\n0,1\n1,x\n", "broken.csv")
        assert data.wait()
        assert data.error.startswith("broken.csv: line 3") and data.recording is shown
        # A unit change re-reads the file shown, not the one that failed.
        data.time_unit = "s"
        assert data.wait()
        assert data.error == "" and data.recording.source == "cell.csv"
        assert data.recording.label == "I (pA)"
        np.testing.assert_allclose(data.recording.t, [0.0, 1.0, 2.0])  # "t (ms)" wins
        data.clear()
        assert data.recording is None
    finally:
        data.close()


# ---------------------------------------------------------------------- session
def test_an_invalid_upload_changes_nothing_and_names_the_json_path(open_session) -> None:
    session = open_session()
    tuner, name = session.tuner, session.preset_name
    assert not session.upload(b'{"schema": 1, ', "broken.json")
    assert session.preset_error.startswith("broken.json: $: not valid JSON")
    _, text = session.download()
    doc = json.loads(text)
    doc["connections"][0]["parameters"]["g"]["value"] = -1.0  # a negative conductance
    assert not session.upload(json.dumps(doc).encode(), "negative.json")
    error = session.preset_error
    assert error.startswith("negative.json: $.connections[0].parameters.g.value:")
    assert "out of range" in error
    assert session.tuner is tuner and session.preset_name == name
    assert tuner.get("gj.g") == 0.002 and "negative.json" not in str(
        session.param.preset_name.objects
    )


def test_download_then_upload_restores_every_value(open_session) -> None:
    source = open_session()
    tuner = source.tuner
    tuner.set_many({"gj.g": 0.0035, "a.gna": 100.0, "b.stim0.amplitude": 0.05})
    tuner.t_stop = 40.0
    filename, text = source.download()
    assert filename == "hh_gap_pair.json"
    target = open_session("rtm_continuous")
    assert target.upload(text.encode(), filename) and target.preset_error == ""
    assert target.preset_name == "hh_gap_pair (uploaded)"
    copy = target.tuner
    assert list(copy.controls) == list(tuner.controls)
    assert {p: copy.get(p) for p in copy.controls} == {p: tuner.get(p) for p in tuner.controls}
    assert {p: c.entry for p, c in copy.controls.items()} == {
        p: c.entry for p, c in tuner.controls.items()
    }
    assert (copy.t_stop, copy.dt, copy.method) == (40.0, tuner.dt, tuner.method)


def test_picking_a_bundled_preset_switches_the_tuner_and_keeps_the_recording(
    open_session,
) -> None:
    session = open_session()
    session.data.load(b"t,v\n0,1\n1,2\n", "kept.csv")
    assert session.data.wait()
    old = session.tuner
    session.preset_name = "bmtool_gap_cc"
    assert session.wait()
    new = session.tuner
    expected = presets.load("bmtool_gap_cc")
    assert new is not old and session.preset_error == ""
    assert {p: new.get(p) for p in new.controls} == {
        p: expected.circuit.get(p) for p in expected.circuit.parameters()
    }
    assert new.t_stop == expected.run.t_stop and new.result.t[-1] == pytest.approx(2000.0)
    assert session.gap_fit.tuner is new and session.gap_fit.junction == "gj"
    assert session.settings.connection is None  # no chemical synapse here
    assert session.data.recording.source == "kept.csv"
    with pytest.raises(RuntimeError, match="shutdown"):
        old._runner.start(print)  # the previous preset's worker was stopped


# ----------------------------------------------------------------------- gap fit
def test_gap_fit_reaches_the_target_cc_and_apply_is_undoable(open_session) -> None:
    session = open_session()
    fit = session.gap_fit
    assert fit.junction == "gj" and fit.param.direction.names == {
        "a → b": "a->b",
        "b → a": "b->a",
        "both (mean)": "both",
    }
    fit.target = 0.3
    fit.run()
    assert fit.wait()
    assert fit.error == "" and fit.status.startswith("CC 0.3000 for target 0.3")
    result = fit.result
    assert abs(result.achieved - 0.3) <= 1e-4
    assert session.tuner.get("gj.g") == 0.002, "fitting works on a copy"
    # Independently: the step protocol of nt.coupling_coefficient at the fitted g
    # (its own settle and step lengths, hence a little more than the fit's tolerance).
    check = session.tuner.circuit.copy()
    check.set("gj.g", result.g)
    assert nt.coupling_coefficient(check, "a", "b") == pytest.approx(0.3, abs=3e-4)
    # Stronger coupling than the default's CC (0.18): a larger g.
    assert result.g > 0.002
    fit.apply()
    assert session.tuner.get("gj.g") == result.g and session.tuner.can_undo
    assert session.tuner.undo() and session.tuner.get("gj.g") == 0.002


# -------------------------------------------------------------------------- scan
def test_metric_choices_follow_the_circuit() -> None:
    gap = metric_choices(bundled.hh_gap_pair())
    assert (
        gap["CC a→b (coupling protocol)"].spec == "cc:a->b"
        and gap["CC a→b (coupling protocol)"].protocol
    )
    assert gap["CC b→a (coupling protocol)"].spec == "cc:b->a"
    assert gap["synchrony a–b (Pearson r of V)"].spec == "synchrony:a,b"
    assert not any(label.startswith("syn") and ":" in label for label in gap)
    chemical = metric_choices(presets.load(SYNAPSE_PRESET).circuit)
    peak = chemical["syn: first peak"]
    assert peak.spec == "peak:syn" and not peak.protocol
    assert not any(label.startswith("CC ") for label in chemical)


def test_a_summed_metric_needs_no_trace_budget(open_session) -> None:
    """Synchrony comes from running sums (nt.sum_batch): a 60 × 60 grid of the default
    preset stores no traces, while |ΔV| on the same grid would record them all."""
    session = open_session()
    scan = session.scan
    axes = {"gj.g": np.linspace(0, 1e-2, 60), "a.stim0.amplitude": np.linspace(0, 0.1, 60)}
    synchrony = scan.choices["synchrony a–b (Pearson r of V)"]
    difference = scan.choices["mean |Va − Vb| (mV)"]
    assert scan.budget(axes, synchrony) == ""
    refusal = scan.budget(axes, difference)
    assert refusal.startswith("Not run: 3,600 points would record"), refusal


def test_a_1d_scan_of_cc_over_g(open_session) -> None:
    session = open_session(t_stop=20.0)
    scan = session.scan
    scan.param.update(
        x="gj.g", x_from=0.1, x_to=100.0, x_count=5, x_log=True,
        y=NONE, metric="CC a→b (coupling protocol)",
    )  # fmt: skip
    scan.run()
    assert scan.wait()
    assert scan.error == "" and scan.status.startswith("5 points")
    result = scan.result
    # Entered in µS (as the slider shows g), scanned in the declared mS.
    np.testing.assert_allclose(result.axes["gj.g"], np.geomspace(1e-4, 0.1, 5))
    assert result.values.shape == (5,) and np.all(np.isfinite(result.values))
    assert result.metric == "CC a→b (coupling protocol)"
    # CC rises with g towards 1 and stays inside (0, 1).
    assert np.all(np.diff(result.values) > 0)
    assert 0 < result.values[0] < 0.05 and 0.85 < result.values[-1] < 1
    middle = session.tuner.circuit.copy()
    middle.set("gj.g", result.axes["gj.g"][2])
    assert result.values[2] == pytest.approx(nt.coupling_coefficient(middle, "a", "b"), abs=1e-3)
    # A point of the result is loaded into the tuner as one undoable change.
    values = scan.load(3)
    assert values == {"gj.g": pytest.approx(10**-1.75)}
    assert session.tuner.get("gj.g") == values["gj.g"]
    assert session.tuner.undo() and session.tuner.get("gj.g") == 0.002


def test_a_2d_scan_of_a_cell_metric(open_session) -> None:
    session = open_session(t_stop=20.0)
    scan = session.scan
    scan.param.update(x="gj.g", y="a.stim0.amplitude")  # each brings its slider's range
    assert (scan.y_from, scan.y_to) == session.tuner.controls[
        "a.stim0.amplitude"
    ].param.position.bounds
    scan.param.update(
        x_from=1.0, x_to=10.0, x_count=3, x_log=False, y_from=0.0, y_to=0.2, y_count=2,
        metric="mean |Va − Vb| (mV)",
    )  # fmt: skip
    scan.run()
    assert scan.wait() and scan.error == ""
    values = scan.result.values
    assert values.shape == (3, 2) and np.all(np.isfinite(values)) and np.all(values >= 0)
    index = 5  # flat, C order: the last g, the last amplitude
    assert scan.load(index) == {
        "gj.g": pytest.approx(0.01),
        "a.stim0.amplitude": pytest.approx(0.2),
    }


def test_scan_refuses_impossible_ranges(open_session) -> None:
    scan = open_session().scan
    scan.param.update(x="gj.g", x_from=0.0, x_to=10.0, x_log=True)
    scan.run()
    assert "gj.g: a log range needs From and To > 0" in scan.error and scan.result is None
    scan.param.update(x_from=5.0, x_to=5.0)
    scan.run()
    assert "From and To are equal" in scan.error


def test_cancelling_a_scan_stops_it_and_applies_nothing(open_session, monkeypatch) -> None:
    session = open_session(t_stop=50.0)
    scan = session.scan
    scan.param.update(x="gj.g", x_from=1.0, x_to=10.0, x_count=3, x_log=True, y=NONE,
                      metric="rate of a (Hz)")  # fmt: skip
    scan.run()
    assert scan.wait()
    earlier = scan.result
    assert earlier.values.shape == (3,)

    real_scan = scanning.scan
    midway, resume = threading.Event(), threading.Event()
    outcome: list[str] = []

    def paused_scan(*args, progress, **kwargs):
        """The real scan, held at its first progress report part-way through."""

        def report(fraction: float) -> bool:
            if 0 < fraction < 1 and not midway.is_set():
                midway.set()
                resume.wait(10)
            return progress(fraction)

        try:
            found = real_scan(*args, progress=report, **kwargs)
        except CancelledError:
            outcome.append("cancelled")
            raise
        outcome.append("finished")
        return found

    monkeypatch.setattr(scanning, "scan", paused_scan)
    scan.param.update(x_count=40)  # a larger scan, chunked (2000 steps per report)
    scan.run()
    assert midway.wait(30), "the scan never reported progress"
    scan.cancel()
    resume.set()
    assert scan.wait()
    assert outcome == ["cancelled"]
    assert scan.status == "Cancelled." and not scan.running and scan.error == ""
    assert scan.result is earlier, "nothing the cancelled scan found is applied"
    monkeypatch.setattr(scanning, "scan", real_scan)
    scan.param.update(x_count=4)
    scan.run()
    assert scan.wait()
    assert scan.status.startswith("4 points") and scan.result.values.shape == (4,)


# ------------------------------------------------------------------- synapse fit
def test_synapse_fit_recovers_g_from_a_recorded_clamp_current(open_session) -> None:
    session = open_session(SYNAPSE_PRESET)
    tuner, fit = session.tuner, session.synapse_fit
    # The recording is the live run, one spike stream: fit on one stream too (the
    # preset's BMTool convention sends pulses 9-12 down a fresh one).
    assert session.settings.convention == "bmtool"
    session.settings.convention = "neuntune"
    g0 = tuner.get("syn.g")
    # The "recording": the tuner's own run at 1.5 g, exported as CSV.
    tuner.set("syn.g", 1.5 * g0)
    assert tuner.wait()
    session.data.load(tuner.csv().encode(), "recorded.csv")
    assert session.data.wait() and session.data.recording.label == "post.v (mV)"
    assert tuner.undo() and tuner.wait() and tuner.get("syn.g") == g0
    fit.param.update(targets={}, bounds={"g": fit.default_range("g")}, use_recording=True)
    assert fit.bounds["g"] == pytest.approx((g0 / 10, g0 * 10))
    fit.run()  # the protocol records the clamp current: a voltage is refused
    assert "recording is a voltage" in fit.error and fit.result is None
    session.data.channel = CLAMP_COLUMN
    assert session.data.wait() and session.data.recording.quantity == "current"
    assert session.data.recording.y.min() < 0, "EPSCs are inward: negative clamp current"
    fit.run()
    assert fit.wait()
    assert fit.error == "" and fit.status.startswith("Loss")
    # Noise-free data from the same model and protocol, rounded to 10 digits in the
    # CSV: g is pinned far better than 1e-4 (a 1e-4 change moves the peak by 1e-4).
    assert fit.result.params["g"] == pytest.approx(1.5 * g0, rel=1e-4)
    # A whole trace pins g down: 1 % of the peak per sample gives far below 10 %.
    assert fit.result.unconstrained == [] and fit.result.uncertainty["g"] < 0.01
    assert tuner.get("syn.g") == g0, "fitting works on a copy"
    fit.apply()
    assert tuner.get("syn.g") == fit.result.params["g"]
    assert tuner.undo() and tuner.get("syn.g") == g0


def test_synapse_fit_to_ppr_targets_at_two_rates_recovers_dep(open_session) -> None:
    session = open_session(SYNAPSE_PRESET)
    fit = session.synapse_fit
    session.settings.convention = "neuntune"  # the closed form is A2/A1 from A2's own baseline
    assert session.settings.frequency == 50.0
    dep = 200.0  # the preset's is 100 ms
    fit.param.update(
        targets={
            "paired_pulse_ratio": depression_ppr(50.0, dep),
            "paired_pulse_ratio@20": depression_ppr(20.0, dep),
        },
        bounds={"Dep": fit.default_range("Dep")},
    )
    fit.run()
    assert fit.wait()
    assert fit.error == ""
    # The closed form leaves out the AMPA tail and NMDA current under the 2nd pulse,
    # under 1 % of A2/A1 here; d ln(A2/A1)/d ln Dep ≈ 0.9, so Dep within 2 %.
    assert fit.result.params["Dep"] == pytest.approx(dep, rel=0.02)
    assert set(fit.result.table) == {"paired_pulse_ratio", "paired_pulse_ratio@20"}


def test_synapse_targets_from_a_file(open_session) -> None:
    fit = open_session(SYNAPSE_PRESET).synapse_fit
    fit.load_targets(b'{"targets": {"peak": -1e-4}, "params": {"g": [1e-7, 1e-5]}}', "t.json")
    assert fit.error == "" and fit.targets == {"peak": -1e-4}
    assert fit.bounds == {"g": (1e-7, 1e-5)}
    fit.load_targets(b'{"targets": {"decay": 3}, "params": {"delay": [1, 2]}}', "d.json")
    assert "d.json: delay cannot be fitted here" in fit.error
    assert fit.targets == {"peak": -1e-4} and fit.bounds == {"g": (1e-7, 1e-5)}
    fit.load_targets(b'{"targets": {"peak": -1e-4}, "params": {"g": 5}}', "b.json")
    assert "b.json" in fit.error and "[low, high]" in fit.error
    measured = {"peak": -7e-5, "decay": 2.0, "latency": None}
    fit.targets = {}
    fit.fill_targets(measured)
    assert fit.targets == {"peak": -7e-5, "decay": 2.0}


# --------------------------------------------------------------------- protocols
def test_a_train_and_the_frequency_response_follow_depression(open_session) -> None:
    session = open_session(SYNAPSE_PRESET)
    protocol, dep = session.protocol, session.tuner.get("syn.Dep")
    # The closed forms are a real synapse's: one stream, each pulse from its own
    # baseline (BMTool's convention, the preset's: tests/test_bmtool_convention.py).
    session.settings.convention = "neuntune"
    assert session.settings.mode == VOLTAGE_CLAMP and session.settings.holding == -70.0
    protocol.run_train()
    assert protocol.wait() and protocol.error == ""
    train = protocol.train
    # 8 pulses at 50 Hz from 50 ms, 4 more 250 ms after the 8th, each 1.3 ms late.
    expected = np.r_[50.0 + 20.0 * np.arange(8), 440.0 + 20.0 * np.arange(4)] + 1.3
    np.testing.assert_allclose(train.events, expected)
    assert train.t.shape == train.y.shape and train.t[-1] == pytest.approx(600.0)
    response = train.response
    assert (response.kind, response.unit, response.events) == ("PSC", "uA", 12)
    assert len(response.amplitudes) == 12
    # BMTool's first EPSC for these settings (the preset's reference): −71.8 pA.
    assert response.event["peak"] == pytest.approx(-71.8e-6, rel=0.005)
    assert response.train["paired_pulse_ratio"] == pytest.approx(depression_ppr(50, dep), rel=0.01)
    # After 250 ms the pool has refilled to 1 − exp(−250/Dep).
    recovered = response.amplitudes[8] / response.amplitudes[0]
    assert recovered == pytest.approx(1 - math.exp(-250.0 / dep), rel=0.01)

    protocol.frequencies = "100, 10 20,50"
    protocol.run_frequency_response()
    assert protocol.wait() and protocol.error == ""
    fr = protocol.response
    np.testing.assert_array_equal(fr.frequency, [10.0, 20.0, 50.0, 100.0])
    assert len(fr.amplitudes) == 4 and all(len(a) == 12 for a in fr.amplitudes)
    ppr = fr.paired_pulse_ratio
    assert ppr.shape == (4,) and np.all(np.diff(ppr) < 0), "more depression at higher rates"
    # Within 2 %: at 100 Hz the previous EPSC's tail is still under the 2nd pulse.
    expected = [depression_ppr(f, dep) for f in fr.frequency]
    np.testing.assert_allclose(ppr, expected, rtol=0.02)

    protocol.frequencies = "10, 0"
    protocol.run_frequency_response()
    assert protocol.error == "frequencies: '0' is not a frequency > 0 Hz"
    assert protocol.response is fr

    session.settings.mode = CURRENT_CLAMP  # the same synapse, recorded as a PSP
    protocol.run_train()
    assert protocol.wait()
    assert protocol.train.response.kind == "PSP" and protocol.train.response.event["peak"] > 0


def test_the_coupling_spectrum_of_passive_cells_is_low_pass(open_session) -> None:
    session = open_session("bmtool_gap_cc")
    spectrum, circuit = session.spectrum, session.tuner.circuit
    spectrum.param.update(f_min=0.5, f_max=200.0, count=6)
    assert spectrum.direction() == ("a", "b")
    spectrum.run()
    assert spectrum.wait() and spectrum.error == ""
    result = spectrum.result
    assert result.frequency.shape == result.ratio.shape == result.phase.shape == (6,)
    np.testing.assert_allclose(result.frequency, np.geomspace(0.5, 200.0, 6))
    assert np.all(np.diff(result.ratio) < 0) and np.all(np.diff(result.phase) < 0)
    # Closed form for a passive target: V_b/V_a = g/(g + G + iωC).
    g = circuit.get("gj.g")
    area = circuit.get("b.area")
    G, C = circuit.get("b.gl") * area, circuit.get("b.cm") * area  # mS, µF
    transfer = g / (g + G + 2j * np.pi * result.frequency / 1000.0 * C)
    np.testing.assert_allclose(result.ratio, np.abs(transfer), rtol=2e-3)
    np.testing.assert_allclose(result.phase, np.degrees(np.angle(transfer)), atol=0.5)
    # The 0-Hz limit is the step protocol's CC (ωτ = 0.03 at 0.5 Hz: 5e-4 below it).
    dc = nt.coupling_coefficient(circuit, "a", "b")
    assert dc == pytest.approx(g / (g + G), rel=1e-6)
    assert result.ratio[0] == pytest.approx(dc, rel=2e-3)
    spectrum.param.update(f_min=10.0, f_max=1.0)
    spectrum.run()
    assert "'From' must be below 'To'" in spectrum.error and spectrum.result is result


def test_the_coupling_spectrum_of_the_hh_pair(open_session) -> None:
    session = open_session()
    spectrum = session.spectrum
    spectrum.param.update(f_min=0.5, f_max=200.0, count=6, reverse=True)
    assert spectrum.direction() == ("b", "a")
    spectrum.run()
    assert spectrum.wait() and spectrum.error == ""
    ratio = spectrum.result.ratio
    # At 0.5 Hz the gates follow the sine: the step protocol's DC CC (both small signals).
    dc = nt.coupling_coefficient(session.tuner.circuit, "b", "a")
    assert ratio[0] == pytest.approx(dc, rel=0.01)
    # Unlike passive cells, HH membranes resonate (K+ activation and Na+ inactivation
    # act as an inductance): the transfer peaks between the ends instead of falling from DC.
    peak = int(np.argmax(ratio))
    assert 0 < peak < len(ratio) - 1 and ratio[peak] > 1.2 * dc


# ----------------------------------------------------------------------- parsers
def test_parse_frequencies_accepts_commas_and_spaces() -> None:
    assert parse_frequencies("1, 2, 5 10") == [1.0, 2.0, 5.0, 10.0]
    assert parse_frequencies(" 50,20,,20  0.5 ") == [0.5, 20.0, 50.0]


@pytest.mark.parametrize(
    ("text", "bad"), [("1, ten, 20", "'ten'"), ("5 -2", "'-2'"), ("0", "'0'"),
                      ("10 nan", "'nan'"), ("inf", "'inf'"), ("", "one or more")]
)  # fmt: skip
def test_parse_frequencies_names_the_bad_value(text: str, bad: str) -> None:
    with pytest.raises(ValueError, match="frequencies") as info:
        parse_frequencies(text)
    assert bad in str(info.value)


def test_parse_targets_reads_json_and_csv() -> None:
    cli = b'{"targets": {"peak": -5e-5, "ppr@20": 0.4}, "params": {"tau_d": [1, 20]}}'
    assert parse_targets(cli, "fit.json") == (
        {"peak": -5e-5, "ppr@20": 0.4},
        {"tau_d": (1.0, 20.0)},
    )
    assert parse_targets(b'{"decay": 3}', "plain.txt") == ({"decay": 3.0}, {})
    csv_text = b"metric,target\npeak, -5e-5\npaired_pulse_ratio,0.7\n"
    assert parse_targets(csv_text, "t.csv") == ({"peak": -5e-5, "paired_pulse_ratio": 0.7}, {})
    assert parse_targets(b"charge,-1e-4\n", "t.csv") == ({"charge": -1e-4}, {})


@pytest.mark.parametrize(
    ("source", "data", "bad"),
    [
        ("t.json", b'{"peak": ', "t.json: not valid JSON"),
        ("t.json", b"[1, 2]", "t.json: expected"),
        ("t.json", b'{"peek": 1}', "t.json: unknown metric 'peek'"),
        ("t.json", b'{"peak": "big"}', "t.json: target of 'peak' is not a number: 'big'"),
        ("t.json", b'{"peak": null}', "target of 'peak' is not a number: None"),
        ("t.json", b'{"ppr@fast": 1}', "metric 'ppr@fast': after @ give a frequency"),
        ("t.json", b'{"ppr@0": 1}', "metric 'ppr@0': after @ give a frequency"),
        ("t.json", b'{"targets": {"peak": 1}, "params": [1, 2]}', '"params" must map names'),
        ("t.json", b'{"targets": {"peak": 1}, "params": {"g": [1]}}', "'g' must be [low, high]"),
        ("t.json", b'{"targets": {"peak": 1}, "params": {"g": 3}}', "'g' must be [low, high]"),
        ("t.json", b'{"targets": {"peak": 1}, "params": {"g": [2, 1]}}', "got [2, 1]"),
        ("t.json", b'{"targets": {"peak": 1}, "params": {"g": ["a", 1]}}', "got ['a', 1]"),
        ("t.csv", b"metric,target\npeak,abc\n", "t.csv: target of 'peak' is not a number: 'abc'"),
        ("t.csv", b"peak,-1e-4\nwidth,2\n", "t.csv: unknown metric 'width'"),
        ("t.csv", b"metric,target\n", "t.csv: no targets found"),
        ("t.csv", b"", "t.csv: no targets found"),
    ],
)
def test_parse_targets_names_the_bad_value(source: str, data: bytes, bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_targets(data, source)
    assert bad in str(info.value)


def test_check_metric() -> None:
    for name in ("peak", "decay", "charge", "paired_pulse_ratio", "ppr@20", "recovery@5.5"):
        check_metric(name)
    with pytest.raises(ValueError, match=r"unknown metric 'amplitude'; known: peak, latency"):
        check_metric("amplitude")
    with pytest.raises(ValueError, match="after @ give a frequency"):
        check_metric("ppr@-20")


# -------------------------------------------------------------------------- jobs
def test_a_job_reports_its_result_errors_and_supersedes_older_work() -> None:
    job = Job(name="job")
    try:
        shown: list[str] = []
        job.start("Adding", lambda progress: 1 + 1, lambda r: shown.append(r) or f"got {r}")
        assert job.wait()
        assert shown == [2] and job.status.startswith("got 2 (") and job.progress == 1.0
        assert not job.running and job.error == ""

        def refuse(progress):
            raise ValueError("bad settings: dt must be > 0")

        job.start("Checking", refuse, shown.append)
        assert job.wait()
        assert job.error == "bad settings: dt must be > 0" and not job.running and job.status == ""

        entered, release = threading.Event(), threading.Event()

        def slow(progress):
            entered.set()
            release.wait(10)
            return "old"

        job.start("Slow", slow, shown.append)
        assert entered.wait(10)
        job.start("Fast", lambda progress: "new", shown.append)  # supersedes the slow one
        release.set()
        assert job.wait()
        assert shown == [2, "new"], "the superseded result is never applied"
    finally:
        job.close()


def test_a_job_waits_for_the_kernels_and_can_be_cancelled_meanwhile() -> None:
    ready = threading.Event()
    job = Job(name="job", ready=ready)
    try:
        job.start("Fitting", lambda progress: "done", lambda r: r)
        assert job.running
        for _ in range(200):  # the worker says why it waits
            if job.status.startswith("Compiling"):
                break
            time.sleep(0.01)
        assert job.status.startswith("Compiling the kernels")
        job.cancel()
        assert job.status == "Cancelled." and not job.running
        ready.set()
        assert job.wait() and job.status == "Cancelled.", "the cancelled work never reports"
        job.start("Fitting", lambda progress: "done", lambda r: r)
        assert job.wait() and job.status.startswith("done (")
    finally:
        job.close()


def test_a_log_axis_of_a_2d_scan_gets_labelled_ticks() -> None:
    from neuntune.ui.plots import ScanPlot, log_ticks

    plot = ScanPlot(on_pick=lambda _index: None)
    x, y = np.geomspace(1, 100, 6), np.geomspace(5, 25, 5)
    fig = plot.show(x, y, np.zeros(30), ("gj.g (µS)", "a.gna", "r"), (True, True))
    (x_axis,), (y_axis,) = fig.xaxis, fig.yaxis
    # Bokeh's LogTicker labels only 1, 10 and 100 here
    assert x_axis.ticker.ticks == [1, 2, 5, 10, 20, 50, 100]
    assert x_axis.ticker.minor_ticks == [3, 4, 6, 7, 8, 9, 30, 40, 60, 70, 80, 90]
    assert y_axis.ticker.ticks == [5, 6, 7, 8, 9, 10, 20]
    assert log_ticks(0.1, 1000)[0] == [0.1, 1, 10, 100, 1000]  # beyond 3 decades: powers
