"""The live tuner for a synapse on a NEURON cell (ui/neuron_tuner.py): BMTool's train and
metrics as BMTool reports them, sliders that set the synapse, a preview before the
exact run, errors shown instead of raised, and the sweeps and fit as jobs whose Cancel
stops the NEURON run in flight."""

from __future__ import annotations

import copy
import json
import time
import warnings
from pathlib import Path

import numpy as np
import panel as pn
import pytest

from neuntune.compat.bmtool import BMToolWarning, SynapseTuner
from neuntune.neuron import RunCancelled, WorkerError
from neuntune.neuron.introspect import Parameter
from neuntune.ui.neuron_tuner import NeuronTrainTuner, slider_range

DATA = Path(__file__).parent.parent / "examples" / "neuron"
REFERENCE = json.loads((Path(__file__).parent / "data" / "bmtool_0.8.7.json").read_text())
GABA = REFERENCE["synapse"]["bmtool_gaba_a_stp"]


def bar_widgets(bar: pn.Column) -> tuple[pn.widgets.Button, pn.indicators.Progress, str, str]:
    """A job bar's Cancel button, progress bar, status text and error text (the error
    alert's, "" while it is hidden)."""
    (cancel,) = [b for b in bar.select(pn.widgets.Button) if b.name == "Cancel"]
    (progress,) = bar.select(pn.indicators.Progress)
    (status,) = [p for p in bar.select(pn.pane.HTML) if "nt-status" in str(p.object)]
    (error,) = bar.select(pn.pane.Alert)
    return cancel, progress, status.object, error.object if error.visible else ""


def spy_on_runs(session, monkeypatch) -> list[tuple[str, BaseException | None]]:
    """Each NEURON run from now on, as it starts ("started", None) and as it ends
    ("ended", the exception it raised or None)."""
    runs: list[tuple[str, BaseException | None]] = []
    original = session.run

    def run(spec):
        runs.append(("started", None))
        try:
            out = original(spec)
        except BaseException as error:
            runs.append(("ended", error))
            raise
        runs.append(("ended", None))
        return out

    monkeypatch.setattr(session, "run", run)
    return runs


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def bmtool():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BMToolWarning)
        tuner = SynapseTuner(
            {"gaba": copy.deepcopy(GABA["conn_type_settings"])},
            mechanisms_dir=str(DATA / "mechanisms"),
            templates_dir=str(DATA / "templates" / "passive_cells.hoc"),
            general_settings=REFERENCE["general_settings"],
            slider_vars=["Use", "Dep", "Fac", "tau_d_GABAA"],
        )
    yield tuner
    tuner.close()


def test_the_view_shows_bmtools_metrics_and_the_single_stream_recovery(bmtool) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        shown = view.latest
        assert not shown.preview
        want = GABA["train"]["vclamp=False"]
        for key in ("ppr", "induction", "recovery", "simple_ppr"):
            assert getattr(shown, key) == pytest.approx(want[key], rel=1e-9, abs=1e-12)
        assert shown.amplitudes[0] == pytest.approx(1e3 * want["amp"][0], rel=1e-12)  # pA
        # one stream: pulse 9 meets the depression, so the recovery is negative
        assert shown.single_recovery < -0.02
        assert "fresh NetCon" in view.metrics.object
        assert list(view.sliders) == ["Use", "Dep", "Fac", "tau_d_GABAA"]
        assert view.sliders["tau_d_GABAA"].label == "tau_d_GABAA (ms)"
        x = view.sources["fresh"].data["x"]
        assert x[0] == pytest.approx(-REFERENCE["general_settings"]["tstart"])  # from pulse 1
    finally:
        view.close()


def test_a_slider_sets_the_synapse_and_redraws_after_a_preview(bmtool, monkeypatch) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        before = view.latest
        shown = []
        original = view._show
        monkeypatch.setattr(view, "_show", lambda v, g: (shown.append(v.preview), original(v, g)))
        view.sliders["Dep"].value = 400.0
        assert view._runner.wait(60)
        assert shown == [True, False]
        assert bmtool.syn.Dep == 400.0
        # slower recovery from depression: the second pulse finds less
        assert view.latest.amplitudes[1] < before.amplitudes[1]
        assert "exact: both trains in" in view.status.object
    finally:
        view.sliders["Dep"].value = 100.0
        view._runner.wait(60)
        view.close()


def test_a_failed_run_is_shown_not_raised(bmtool, monkeypatch) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)

        def fail(_run):
            raise WorkerError("the NEURON process stopped (killed by signal SIGKILL)")

        monkeypatch.setattr(view.session, "run", fail)
        view.frequency.value = 20
        assert view._runner.wait(60)
        assert "SIGKILL" in view.status.object and "#a00" in view.status.object
    finally:
        view.close()


def test_slider_ranges_follow_bmtool() -> None:
    assert slider_range(Parameter("Dep", 100.0, "ms")) == (0.0, 2000.0, 2.0)
    assert slider_range(Parameter("Use", 1.0, "1")) == (0.0, 1.0, 0.01)
    assert slider_range(Parameter("u0", 0.0, "")) == (0.0, 1.0, 0.01)
    assert slider_range(Parameter("e_GABAA", -75.0, "mV")) == (-120.0, 60.0, 0.5)


def test_bmtools_interactive_tuner_opens_the_live_tuner(bmtool, capsys) -> None:
    view = bmtool.InteractiveTuner()
    try:
        assert isinstance(view, NeuronTrainTuner)
        assert view.session is bmtool.session  # its sliders set this tuner's synapse
    finally:
        view.close()


def test_the_frequency_response_gives_bmtools_and_the_single_stream(bmtool) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        sweeps = view.sweeps
        sweeps.response_button.clicks += 1
        assert sweeps.job.wait(120)
        want = GABA["frequency_response"]
        for key in ("ppr", "induction", "recovery"):
            got = sweeps.response.sources[key].data["y"]
            np.testing.assert_allclose(got, want[key], rtol=1e-9, atol=1e-12, err_msg=key)
        single = sweeps.response.sources["single_recovery"].data["y"]
        # one stream: the train's depression shows in pulses 9-12, more at high rates
        assert single[-1] < single[0] < 0.01
        _cancel, progress, status, error = bar_widgets(sweeps.bar)
        assert not progress.visible and not error
        assert "Frequency response: 16 points" in status
    finally:
        view.close()


def test_the_fit_finds_the_parameters_that_gave_the_targets(bmtool) -> None:
    """Targets made at Use 0.35, Dep 250 ms; the fit starts from Use 1, Dep 100 ms."""
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        view.sliders["Use"].value, view.sliders["Dep"].value = 0.35, 250.0
        assert view._runner.wait(60)
        made = view.latest
        view.sliders["Use"].value, view.sliders["Dep"].value = 1.0, 100.0
        assert view._runner.wait(60)
        fitting = view.fitting
        fitting.targets["ppr"].value = made.ppr
        fitting.targets["induction"].value = made.induction
        fitting.params.value = ["Use", "Dep"]
        fitting.fit_button.clicks += 1
        assert fitting.job.wait(120)
        found = fitting.found
        assert found.params["Use"] == pytest.approx(0.35, rel=1e-6)
        assert found.params["Dep"] == pytest.approx(250.0, rel=1e-6)
        assert "trains, cost" in fitting.result.object and not fitting.apply_button.disabled
        fitting.apply_button.clicks += 1
        assert view._runner.wait(60)
        assert view.sliders["Dep"].value == found.params["Dep"]
        assert view.latest.ppr == pytest.approx(made.ppr, abs=1e-8)
        # the applied fit is one step: one Undo puts both values back
        assert view.undo() and view._runner.wait(60)
        assert (view.sliders["Use"].value, view.sliders["Dep"].value) == (1.0, 100.0)
    finally:
        view.sliders["Use"].value, view.sliders["Dep"].value = 1.0, 100.0
        view._runner.wait(60)
        view.close()


def test_a_fit_without_targets_says_so(bmtool) -> None:
    view = bmtool.tuner_view()
    try:
        view.fitting.fit()
        assert "Give at least one target" in bar_widgets(view.fitting.bar)[3]
    finally:
        view.close()


def test_a_scan_of_dep_deepens_the_single_stream_depression(bmtool) -> None:
    """Use = 1: pulse 9 on one stream releases 1 - e^(-250/Dep) of pulse 1, so a longer
    Dep lowers the single-stream recovery; BMTool's stays ~0 (a fresh NetCon)."""
    view = bmtool.tuner_view()
    try:
        sweeps = view.sweeps
        sweeps.scanned.value = "Dep"
        sweeps.low.value, sweeps.high.value, sweeps.points.value = 50.0, 500.0, 4
        sweeps.scan_button.clicks += 1
        assert sweeps.job.wait(120)
        x = sweeps.scan.sources["single_recovery"].data["x"]
        single = sweeps.scan.sources["single_recovery"].data["y"]
        np.testing.assert_allclose(x, [50.0, 200.0, 350.0, 500.0])
        assert np.all(np.diff(single) < 0)
        assert np.max(np.abs(sweeps.scan.sources["recovery"].data["y"])) < 1e-9
        assert bmtool.syn.Dep == view.sliders["Dep"].value  # the sliders' values again
    finally:
        view.close()


def test_cancel_stops_a_sweeps_neuron_run_at_once_and_the_bar_says_so(bmtool, monkeypatch):
    """The frequency response starts at 1 Hz (a train of ~12 s, ~0.5 s of NEURON's
    time per stream): Cancel stops that run in flight, not at its end, nothing is
    plotted, the bar says Cancelled, and the sliders' values are back in the session."""
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        sweeps = view.sweeps
        runs = spy_on_runs(view.session, monkeypatch)
        sweeps.response_button.clicks += 1
        wait_for(lambda: runs)
        time.sleep(0.1)  # the run's request has reached the worker
        cancel, *_ = bar_widgets(sweeps.bar)
        assert not cancel.disabled
        cancel.clicks += 1
        assert sweeps.job.wait(10)
        assert isinstance(runs[-1][1], RunCancelled), runs  # stopped in flight
        assert not sweeps.job.running and sweeps.job.status == "Cancelled."
        cancel, progress, status, error = bar_widgets(sweeps.bar)
        assert "Cancelled." in status and not error
        assert cancel.disabled and not progress.visible
        assert len(sweeps.response.sources["ppr"].data["x"]) == 0
        assert bmtool.syn.Dep == view.sliders["Dep"].value
        # the session goes on: the next sweep runs whole
        sweeps.response_button.clicks += 1
        assert sweeps.job.wait(120)
        assert len(sweeps.response.sources["ppr"].data["x"]) == 16
    finally:
        view.close()


def test_cancel_stops_a_fit_and_leaves_nothing_to_apply(bmtool, monkeypatch) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        fitting = view.fitting
        fitting.targets["ppr"].value = 0.5
        fitting.params.value = ["Use", "Dep"]
        runs = spy_on_runs(view.session, monkeypatch)
        fitting.fit_button.clicks += 1
        wait_for(lambda: len(runs) > 6)  # a few trains into the fit
        bar_widgets(fitting.bar)[0].clicks += 1
        assert fitting.job.wait(10)
        assert fitting.job.status == "Cancelled." and not fitting.job.error
        assert "Cancelled." in bar_widgets(fitting.bar)[2]
        assert fitting.found is None and fitting.apply_button.disabled
        assert fitting.result.object == ""
    finally:
        view.close()


def button(view: NeuronTrainTuner, label: str) -> pn.widgets.Button:
    """The page's button labelled ``label``."""
    (found,) = [b for b in view.__panel__().select(pn.widgets.Button) if b.name == label]
    return found


def test_undo_steps_the_sliders_back_and_runs_them(bmtool) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        # the module's session may hold another test's values: start from those
        opened, a1 = view.slider_values(), view.latest.amplitudes[0]
        undo = button(view, "Undo")
        assert not view.can_undo and undo.disabled
        view.sliders["Dep"].value = opened["Dep"] + 200.0  # one drag: two values, a release
        view.sliders["Dep"].value = opened["Dep"] + 300.0
        view.checkpoint()
        view.sliders["Use"].value = 0.5 * opened["Use"]
        assert view._runner.wait(60)
        assert view.latest.amplitudes[0] == pytest.approx(0.5 * a1, rel=1e-3)  # A1 ∝ Use
        assert view.can_undo and not undo.disabled
        undo.clicks += 1
        assert view._runner.wait(60)
        assert view.slider_values() == {**opened, "Dep": opened["Dep"] + 300.0}
        assert bmtool.syn.Use == opened["Use"]  # set in the session and run again
        assert view.latest.amplitudes[0] == pytest.approx(a1, rel=1e-9)
        assert not view.latest.preview
        undo.clicks += 1  # the whole drag at once
        assert view._runner.wait(60)
        assert view.slider_values() == opened and bmtool.syn.Dep == opened["Dep"]
        assert not view.can_undo and undo.disabled
        assert view.undo() is False
    finally:
        view.reset()
        view._runner.wait(60)
        view.close()


def test_reset_all_returns_to_the_values_the_page_opened_with(bmtool) -> None:
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        opened = view.slider_values()
        view.sliders["Use"].value = 0.4 if opened["Use"] != 0.4 else 0.6
        view.sliders["Fac"].value = opened["Fac"] + 40.0
        changed = view.slider_values()
        assert view._runner.wait(60)
        button(view, "Reset all").clicks += 1
        assert view._runner.wait(60)
        assert view.slider_values() == opened
        assert bmtool.syn.Use == opened["Use"] and bmtool.syn.Fac == opened["Fac"]
        view.undo()  # the reset is a step of its own
        assert view._runner.wait(60)
        assert view.slider_values() == changed != opened
        assert bmtool.syn.Fac == changed["Fac"]
    finally:
        view.reset()
        view._runner.wait(60)
        view.close()


def upload(view: NeuronTrainTuner, path: Path) -> None:
    """Upload ``path`` as the page's file input does, and wait until it is read."""
    view.upload.filename = path.name
    view.upload.value = path.read_bytes()
    assert view.data.wait(30)


def test_a_recorded_clamp_current_is_drawn_over_the_train(bmtool, tmp_path) -> None:
    """A clamp current written from the simulated train (nA, time in s, a 140 pA holding
    current) comes back on the plot as the synaptic current it balances: pA, time from
    the first pulse, the holding current taken off."""
    view = bmtool.tuner_view()
    try:
        assert view._runner.wait(60)
        shown = view.latest
        start = view.settings["start"]
        clamp = 0.14 - 1e-3 * shown.fresh  # nA
        path = tmp_path / "train.csv"
        np.savetxt(path, np.column_stack([1e-3 * (shown.t + start), clamp]), delimiter=",",
                   header="t (s),I (nA)", comments="")  # fmt: skip
        upload(view, path)
        assert not view.data.error and "train.csv" in view.data.status
        data = view.sources["recording"].data
        x, y = np.asarray(data["x"]), np.asarray(data["y"])
        assert x[0] == pytest.approx(shown.t[0]) and x[-1] == pytest.approx(shown.t[-1])
        np.testing.assert_allclose(y, np.interp(x, shown.t, shown.fresh), atol=1e-6)  # pA
        assert y.min() == pytest.approx(shown.fresh.min(), rel=1e-9)  # the peaks are kept
        assert view._recording_item.visible
        assert view._recording_item.label.value == "recording: train.csv, I (nA)"
        # a CSV without units is in the unit chosen (pA here first), re-read on a change
        bare = tmp_path / "bare.csv"
        np.savetxt(bare, np.column_stack([shown.t + start, 1e3 * clamp]), delimiter=",",
                   header="t,I", comments="")  # fmt: skip
        upload(view, bare)
        data = view.sources["recording"].data
        pa = np.asarray(data["y"])
        np.testing.assert_allclose(pa, np.interp(data["x"], shown.t, shown.fresh), atol=1e-6)
        view.data.value_unit = "nA"
        assert view.data.wait(30)
        np.testing.assert_allclose(view.sources["recording"].data["y"], 1e3 * pa, atol=1e-6)
        view.data.clear()
        assert len(view.sources["recording"].data["x"]) == 0
        assert not view._recording_item.visible
    finally:
        view.close()


def test_a_bad_recording_says_why_and_changes_nothing(bmtool, tmp_path) -> None:
    view = bmtool.tuner_view()
    try:
        good = tmp_path / "good.csv"
        good.write_text("t (ms),I (pA)\n0,0\n1,-10\n2,-5\n")
        upload(view, good)
        before = dict(view.sources["recording"].data)
        recording = view.data.recording
        (bar,) = [
            c for c in view.__panel__().select(pn.Column)
            if "nt-job-neuron_recording" in c.css_classes
        ]  # fmt: skip
        for name, text, why in [
            ("short.csv", "t (ms),I (pA)\n0,1\n", "needs at least two samples"),
            ("voltage.csv", "t (ms),v (mV)\n0,-70\n1,-69\n", "is a voltage (mV)"),
        ]:
            (tmp_path / name).write_text(text)
            upload(view, tmp_path / name)
            assert why in view.data.error and name in view.data.error
            assert why in bar_widgets(bar)[3]
            assert view.data.recording is recording
            assert view.sources["recording"].data == before
    finally:
        view.close()
