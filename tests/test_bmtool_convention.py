"""BMTool's convention in the train protocol (issue 17, step 3): the recovery pulses on
a fresh stream, BMTool's metric definitions, the bmtool_* presets that use both, fits
to BMTool's numbers and the Protocols tab's note on the difference.

The reference is BMTool 0.8.7 itself on NEURON 8.2.4 (tests/data/bmtool_0.8.7.json,
written by benchmarks/bmtool_reference.py) on a hoc cell equal to the presets' (a
passive 2e-5 cm² compartment, 2 nS leak to −70 mV) with the mechanisms' defaults, so
the presets must give its numbers.  The issue's goals are peaks within 0.5 % and PPR,
induction and recovery within 0.005; the tolerances below are far tighter because
what remains is only the integrators' difference (NEURON's cnexp and its event
delivery on the step grid against neuntune's RK4 at the same dt 0.025 ms), measured
as stated at each assertion.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from pathlib import Path

import numpy as np
import panel as pn
import pytest

from neuntune import fit_synapse, presets
from neuntune.errors import PresetError
from neuntune.protocols.train import SynapseEvaluator, SynapseProtocol

DATA = json.loads((Path(__file__).parent / "data" / "bmtool_0.8.7.json").read_text())
BMTOOL_PRESETS = ("bmtool_ampa_nmda_stp", "bmtool_gaba_a_stp")
#: BMTool's names of neuntune's train metrics.
BMTOOL_NAMES = {
    "ppr": "ppr",
    "induction": "induction",
    "recovery": "recovery",
    "paired_pulse_ratio": "simple_ppr",
}


def bmtool_train(name: str) -> dict:
    """BMTool's 50 Hz train on the preset's synapse, as SynapseTuner reports it
    (``vclamp`` False, its default: amplitudes of ``syn.i`` in nA)."""
    return DATA["synapse"][name]["train"]["vclamp=False"]


def run_train(preset: presets.Preset, **fields) -> tuple[np.ndarray, object]:
    """(amplitudes, TrainMetrics) of the preset's synapse under its train protocol at
    50 Hz (``fields`` change the protocol)."""
    protocol = preset.synapse_protocol("syn", **fields)
    evaluator = SynapseEvaluator(preset.circuit, "syn", protocol)
    delay = preset.circuit.get("syn.delay")
    (result,) = evaluator.responses({"syn.delay": np.array([delay])}, 50.0)
    return evaluator.train(result, 50.0, delay)


# ------------------------------------------------------------------------ protocol
def test_the_recovery_stream_follows_the_convention_unless_named() -> None:
    assert SynapseProtocol().stream == "single"
    bmtool = SynapseProtocol(convention="bmtool")
    assert bmtool.recovery_stream is None and bmtool.stream == "fresh"
    assert SynapseProtocol(convention="bmtool", recovery_stream="single").stream == "single"
    assert SynapseProtocol(recovery_stream="fresh").stream == "fresh"
    # A changed convention takes its own stream along; a named stream stays.
    assert dataclasses.replace(bmtool, convention="neuntune").stream == "single"
    named = SynapseProtocol(convention="bmtool", recovery_stream="fresh")
    assert dataclasses.replace(named, convention="neuntune").stream == "fresh"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"convention": "BMTool"}, r"protocol\.convention: 'BMTool' is not allowed; one of "
                                   r"'neuntune' .* or 'bmtool'"),
        ({"convention": None}, r"protocol\.convention: None is not allowed"),
        ({"recovery_stream": "same"}, r"protocol\.recovery_stream: 'same' is not allowed; one "
                                      r"of 'single' .*'fresh' .* or None"),
    ],
)  # fmt: skip
def test_protocol_fields_are_checked(fields, message) -> None:
    with pytest.raises(ValueError, match=message):
        SynapseProtocol(**fields)


# ------------------------------------------------------------------------- presets
@pytest.mark.parametrize("name", BMTOOL_PRESETS)
def test_the_presets_train_gives_bmtool_0_8_7s_peaks_and_metrics(name: str) -> None:
    preset = presets.load(name)
    protocol = preset.synapse_protocol("syn")
    assert (protocol.convention, protocol.stream) == ("bmtool", "fresh")
    assert protocol.clamp == preset.circuit.get("post.clamp.holding")
    reference = bmtool_train(name)
    amplitudes, metrics = run_train(preset)
    # µA (BMTool's signs) against BMTool's nA.  Measured: AMPA_NMDA_STP 1.7e-5
    # relative (its NMDA current), GABA_A_STP 1.8e-7; the goal was 0.5 %.
    np.testing.assert_allclose(1e3 * amplitudes, reference["amp"], rtol=1e-4)
    # Measured: at most 1.9e-6 (AMPA_NMDA_STP), 3e-9 (GABA_A_STP); the goal was 0.005.
    for ours, theirs in BMTOOL_NAMES.items():
        assert getattr(metrics, ours) == pytest.approx(reference[theirs], abs=1e-5), ours
    assert abs(metrics.recovery) < 1e-4, "a fresh stream recovers fully by construction"


@pytest.mark.parametrize("name", BMTOOL_PRESETS)
def test_the_presets_frequency_response_is_bmtools(name: str) -> None:
    preset = presets.load(name)
    reference = DATA["synapse"][name]["frequency_response"]
    # A subset of BMTool's 16 frequencies (the slow ones take long runs); at 35 Hz the
    # period is no whole number of steps, so the spikes fall between steps, where
    # NEURON delivers them on its own grid rule.  Measured over all 16: at most
    # 8.6e-5 (3 Hz), 2.9e-5 at 35 Hz and < 3e-6 where spikes fall on the grid.
    frequencies = (5.0, 35.0, 100.0, 200.0)
    protocol = preset.synapse_protocol("syn", frequencies=frequencies)
    wanted = [(metric, f) for f in frequencies for metric in BMTOOL_NAMES]
    delay = np.array([preset.circuit.get("syn.delay")])
    got = SynapseEvaluator(preset.circuit, "syn", protocol).metrics({"syn.delay": delay}, wanted)
    for (metric, f), value in zip(wanted, got[0][0], strict=True):
        expected = reference[BMTOOL_NAMES[metric]][reference["frequencies"].index(f)]
        assert value == pytest.approx(expected, abs=1e-4), f"{metric} at {f:g} Hz"


def test_on_one_stream_pulse_9_meets_the_pool_the_train_left() -> None:
    """What a real synapse does: with Use = 1 the 8th release empties the pool, which
    refills as 1 − exp(−Δt/Dep) over the 250 ms gap, so A9/A1 = 1 − e^(−2.5); on BMTool's
    fresh stream pulse 9 meets a full pool and A9 = A1."""
    preset = presets.load("bmtool_gaba_a_stp")
    dep = preset.circuit.get("syn.Dep")
    single, single_metrics = run_train(preset, recovery_stream="single")
    fresh, _ = run_train(preset)
    # GABA_A's 8 ms decay has gone 250 ms later: measured equal to 6e-15.
    assert single[8] / single[0] == pytest.approx(1 - math.exp(-250.0 / dep), rel=1e-9)
    assert fresh[8] / fresh[0] == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_allclose(fresh[:8], single[:8], rtol=1e-12)  # the same stream until 9
    # BMTool's definitions on the one stream: (mean A9–12 − mean A1–4)/P90.
    a = single / np.percentile(single, 90)
    assert single_metrics.recovery == pytest.approx(a[8:12].mean() - a[:4].mean(), rel=1e-12)
    assert single_metrics.recovery == pytest.approx(-0.0263, abs=5e-5)


def test_a_preset_names_its_train_convention_and_round_trips(tmp_path) -> None:
    preset = presets.load("bmtool_ampa_nmda_stp")
    assert [(t.connection, t.convention, t.recovery_stream) for t in preset.trains] == [
        ("syn", "bmtool", "fresh")
    ]
    again = presets.parse(presets.dumps(preset))
    assert again.trains == preset.trains and again.copy().trains == preset.trains
    # A preset that names no train convention (every older one) measures neuntune's way.
    doc = json.loads(presets.dumps(preset))
    doc["measurements"] = []
    plain = presets.from_dict(doc)
    assert plain.trains == [] and plain.synapse_protocol("syn").stream == "single"
    del doc["measurements"]
    doc["schema"] = 1  # schema 1 had no populations and no train measurements
    assert presets.from_dict(doc).synapse_protocol("syn").convention == "neuntune"
    assert presets.load("hh_gap_pair").trains == []


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ({"connection": "syn", "convention": "BMTool"},
         r"measurements\[0\]\.convention: 'BMTool' is not one of neuntune, bmtool"),
        ({"connection": "syn", "recovery_stream": "same"},
         r"measurements\[0\]\.recovery_stream: 'same' is not one of single, fresh"),
        ({"connection": "post.clamp"},
         r"measurements\[0\]\.connection: 'post\.clamp' is not one of syn"),
        ({"convention": "bmtool"}, r"measurements\[0\]: missing required key 'connection'"),
        ({"connection": "syn", "stream": "fresh"}, r"measurements\[0\]\.stream: unknown key"),
    ],
)  # fmt: skip
def test_a_bad_train_measurement_is_named(train, message) -> None:
    doc = json.loads(presets.dumps(presets.load("bmtool_ampa_nmda_stp")))
    doc["measurements"] = [{"kind": "train", **train}]
    with pytest.raises(PresetError, match=message):
        presets.from_dict(doc)
    doc["measurements"] = [{"kind": "train", "connection": "syn"}] * 2
    with pytest.raises(PresetError, match=r"measurements\[1\]\.connection: a second train"):
        presets.from_dict(doc)


# ---------------------------------------------------------------------------- fits
def test_a_fit_to_bmtools_own_numbers_recovers_dep() -> None:
    """Targets from BMTool's run (Dep 100 ms): PPR and induction at 50 Hz (its train)
    and 20 Hz (its frequency response), fitted from a synapse set to Dep 300 ms."""
    name = "bmtool_ampa_nmda_stp"
    train, response = bmtool_train(name), DATA["synapse"][name]["frequency_response"]
    at20 = response["frequencies"].index(20.0)
    targets = {
        "ppr": train["ppr"],
        "induction": train["induction"],
        "ppr@20": response["ppr"][at20],
        "induction@20": response["induction"][at20],
    }
    circuit = presets.load(name).circuit
    circuit.set("syn.Dep", 300.0)
    protocol = SynapseProtocol(frequencies=(50.0, 20.0))  # neuntune's unless told
    bounds = {"Dep": (20.0, 1000.0)}
    fit = fit_synapse(
        circuit, "syn", targets, bounds, protocol=protocol, convention="bmtool",
        maxiter=8, popsize=6,
    )  # fmt: skip
    # The metrics agree with BMTool's to 2e-6 (above), so Dep is pinned far better
    # than 1e-4: measured 3e-6 off.
    assert fit.params["Dep"] == pytest.approx(100.0, rel=1e-4)
    for target, (goal, achieved) in fit.table.items():
        assert achieved == pytest.approx(goal, abs=1e-5), target
    # neuntune's convention measures other numbers (each pulse from its own baseline,
    # one stream): the same targets cannot be met, and Dep comes out wrong.
    physical = fit_synapse(circuit, "syn", targets, bounds, protocol=protocol, maxiter=8,
                           popsize=6)  # fmt: skip
    assert abs(physical.params["Dep"] / 100.0 - 1) > 0.02
    assert max(abs(a - g) for g, a in physical.table.values()) > 0.01
    with pytest.raises(ValueError, match=r"convention: 'BMTool' is not allowed; one of neuntune"):
        fit_synapse(circuit, "syn", targets, bounds, convention="BMTool")


def test_a_bmtool_convention_fit_recovers_use_and_dep() -> None:
    """Known values, BMTool-convention targets computed from them, a fit from bounds."""
    preset = presets.load("bmtool_gaba_a_stp")
    protocol = preset.synapse_protocol("syn", frequencies=(50.0, 20.0))
    truth = {"Use": 0.35, "Dep": 250.0}
    wanted = [("ppr", 50.0), ("induction", 50.0), ("ppr", 20.0), ("induction", 20.0)]
    values = {f"syn.{k}": np.array([v]) for k, v in truth.items()}
    got = SynapseEvaluator(preset.circuit, "syn", protocol).metrics(values, wanted)[0][0]
    targets = dict(zip(["ppr", "induction", "ppr@20", "induction@20"], got, strict=True))
    bounds = {"Use": (0.05, 0.9), "Dep": (20.0, 1000.0)}
    fit = fit_synapse(preset.circuit, "syn", targets, bounds, protocol=protocol, maxiter=10,
                      popsize=8)  # fmt: skip
    # Noise-free targets from the same protocol: measured exact to 1e-15.
    for key, value in truth.items():
        assert fit.params[key] == pytest.approx(value, rel=1e-6), key
    assert fit.unconstrained == []


# ---------------------------------------------------------------------- dashboard
@pytest.fixture
def bmtool_session():
    """The dashboard's session on BMTool's AMPA_NMDA_STP preset, with one train run."""
    from neuntune.ui.session import Session

    session = Session("bmtool_ampa_nmda_stp", warm=False)
    try:
        assert session.wait()
        session.protocol.run_train()
        assert session.protocol.wait() and session.protocol.error == ""
        yield session
    finally:
        session.close()


def test_the_protocols_tab_shows_bmtools_metrics_and_the_single_stream_recovery(
    bmtool_session,
) -> None:
    from neuntune.ui.protocol_runs import recovery_note

    session, name = bmtool_session, "bmtool_ampa_nmda_stp"
    assert session.settings.convention == "bmtool"  # the preset's
    run, reference = session.protocol.train, bmtool_train(name)
    # BMTool's numbers, as the presets' test measured them.
    np.testing.assert_allclose(1e3 * np.array(run.response.amplitudes), reference["amp"],
                               rtol=1e-4)  # fmt: skip
    for ours, theirs in BMTOOL_NAMES.items():
        assert run.response.train[ours] == pytest.approx(reference[theirs], abs=1e-5), ours
    # Beside them: the recovery the same definitions give on one stream.
    _, single = run_train(presets.load(name), recovery_stream="single")
    assert run.single_stream_recovery == pytest.approx(single.recovery, rel=1e-9)
    assert run.single_stream_recovery == pytest.approx(-0.0252, abs=5e-5)
    note = recovery_note(run.single_stream_recovery)
    assert note == (
        "Recovery with pulses 9–12 on the train's own stream (what a real synapse does): "
        "-0.0252. BMTool sends them through a fresh NetCon, so its recovery above is ≈ 0 "
        "by construction."
    )
    # The Protocols tab: BMTool's metrics in its table, and that line under it.
    from neuntune.ui.panels import ProtocolsPanel

    panel = ProtocolsPanel(session).panel
    lines = [p for p in panel.select(pn.pane.HTML) if note in html.unescape(str(p.object))]
    assert len(lines) == 1 and lines[0].visible
    table = next(p for p in panel.select(pn.pane.HTML) if "PPR A2/A1" in str(p.object))
    assert "0.201" in table.object, "BMTool's simple PPR (neuntune's would be 0.181)"
    # The frequency response too (frequencies whose spikes fall on the step grid).
    session.protocol.frequencies = "20, 100"
    session.protocol.run_frequency_response()
    assert session.protocol.wait() and session.protocol.error == ""
    response = DATA["synapse"][name]["frequency_response"]
    for i, f in enumerate(session.protocol.response.frequency):
        k = response["frequencies"].index(f)
        for ours, theirs in BMTOOL_NAMES.items():
            got = getattr(session.protocol.response, ours)[i]
            assert got == pytest.approx(response[theirs][k], abs=1e-5), f"{ours} at {f:g} Hz"
    # neuntune's convention: one stream, each pulse from its own baseline; no note.
    session.settings.convention = "neuntune"
    session.protocol.run_train()
    assert session.protocol.wait() and session.protocol.error == ""
    run = session.protocol.train
    assert run.single_stream_recovery is None and recovery_note(run.single_stream_recovery) == ""
    assert not lines[0].visible, "the tab hides the line for a single-stream train"
    dep = session.tuner.get("syn.Dep")
    a = run.response.amplitudes
    # What is left of the 8th pulse's Mg-blocked NMDA current after 250 ms (τ 43 ms)
    # is all that separates A9/A1 from the closed form: measured 6e-7.
    assert a[8] / a[0] == pytest.approx(1 - math.exp(-250.0 / dep), rel=1e-5)
