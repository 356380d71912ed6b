"""The live tuner for a synapse on a NEURON cell (ui/neuron_tuner.py): BMTool's train and
metrics as BMTool reports them, sliders that set the synapse, a preview before the
exact run, and errors shown instead of raised."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from neuntune.compat.bmtool import BMToolWarning, SynapseTuner
from neuntune.neuron import WorkerError
from neuntune.neuron.introspect import Parameter
from neuntune.ui.neuron_tuner import NeuronTrainTuner, slider_range

DATA = Path(__file__).parent.parent / "examples" / "neuron"
REFERENCE = json.loads((Path(__file__).parent / "data" / "bmtool_0.8.7.json").read_text())
GABA = REFERENCE["synapse"]["bmtool_gaba_a_stp"]


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
        assert sweeps._runner.wait(120)
        want = GABA["frequency_response"]
        for key in ("ppr", "induction", "recovery"):
            got = sweeps.response.sources[key].data["y"]
            np.testing.assert_allclose(got, want[key], rtol=1e-9, atol=1e-12, err_msg=key)
        single = sweeps.response.sources["single_recovery"].data["y"]
        # one stream: the train's depression shows in pulses 9-12, more at high rates
        assert single[-1] < single[0] < 0.01
        assert not sweeps.progress.visible
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
        assert fitting._runner.wait(120)
        found = fitting.found
        assert found.params["Use"] == pytest.approx(0.35, rel=1e-6)
        assert found.params["Dep"] == pytest.approx(250.0, rel=1e-6)
        assert "trains, cost" in fitting.result.object and not fitting.apply_button.disabled
        fitting.apply_button.clicks += 1
        assert view._runner.wait(60)
        assert view.sliders["Dep"].value == found.params["Dep"]
        assert view.latest.ppr == pytest.approx(made.ppr, abs=1e-8)
    finally:
        view.sliders["Use"].value, view.sliders["Dep"].value = 1.0, 100.0
        view._runner.wait(60)
        view.close()


def test_a_fit_without_targets_says_so(bmtool) -> None:
    view = bmtool.tuner_view()
    try:
        view.fitting.fit()
        assert "give at least one target" in view.fitting.result.object
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
        assert sweeps._runner.wait(120)
        x = sweeps.scan.sources["single_recovery"].data["x"]
        single = sweeps.scan.sources["single_recovery"].data["y"]
        np.testing.assert_allclose(x, [50.0, 200.0, 350.0, 500.0])
        assert np.all(np.diff(single) < 0)
        assert np.max(np.abs(sweeps.scan.sources["recovery"].data["y"])) < 1e-9
        assert bmtool.syn.Dep == view.sliders["Dep"].value  # the sliders' values again
    finally:
        view.close()
