"""Experiments on NEURON cells wired as BMTool wires them (neuntune.neuron.protocols):
BMTool 0.8.7's own numbers, the physics of the recovery stream and of a gap-junction
pair, agreement with neuntune's engine, and the inputs they refuse.

The cells and mechanisms (examples/neuron) are written for these tests from
the equations of BMTool's tutorial files and its reference cell: a passive 2e-5 cm²
compartment with a 2 nS leak.  The reference is BMTool itself (tests/data/bmtool_0.8.7.json,
benchmarks/bmtool_reference.py), run on BMTool's mod files in NEURON 8.2.4.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest

from neuntune import presets
from neuntune.analysis.bmtool import bmtool_amplitudes, bmtool_cc, bmtool_train_metrics
from neuntune.neuron import CellSpec, NeuronSession, PointProcessSpec, RunSpec, SpecError, protocols
from neuntune.protocols.train import SynapseEvaluator
from neuntune.result import CancelledError

DATA = Path(__file__).parent.parent / "examples" / "neuron"
TEMPLATES = DATA / "templates" / "passive_cells.hoc"
MODS = DATA / "mechanisms"
REFERENCE = json.loads((Path(__file__).parent / "data" / "bmtool_0.8.7.json").read_text())
SYNAPSES = ("bmtool_ampa_nmda_stp", "bmtool_gaba_a_stp")
#: The reference cell's leak: 1e-4 S/cm² over 2e-5 cm², in µS.
G_LEAK = 1e-4 * 2e-5 * 1e6


def settings(name: str) -> tuple[dict, dict]:
    conn = REFERENCE["synapse"][name]["conn_type_settings"]
    return conn["spec_settings"], conn["spec_syn_param"]


@pytest.fixture(scope="module", params=SYNAPSES)
def synapse(request):
    spec, params = settings(request.param)
    cell = CellSpec(
        spec["post_cell"],
        TEMPLATES,
        MODS,
        PointProcessSpec(spec["level_of_detail"], spec["sec_id"], spec["sec_x"], params),
    )
    with NeuronSession(cell) as session:
        yield request.param, session


def train(session: NeuronSession, name: str, stream: str, frequency: float = 50.0):
    g = REFERENCE["general_settings"]
    return protocols.train(
        session,
        frequency=frequency,
        start=g["tstart"],
        stream=stream,
        clamp=settings(name)[0]["vclamp_amp"],
        netcon_delay=g["delay"],
        dt=g["dt"],
    )


def amplitudes(run: protocols.TrainRun, reference: np.ndarray | None = None) -> np.ndarray:
    """BMTool's amplitudes (nA) of the synaptic current, NEURON's sign."""
    i = -1e3 * run.result.current["syn"]
    return bmtool_amplitudes(i, run.spikes, run.result.dt, t_stop=run.t_stop, reference=reference)


def test_the_fresh_stream_train_gives_bmtools_numbers(synapse) -> None:
    name, session = synapse
    run = train(session, name, "fresh")
    want = REFERENCE["synapse"][name]["train"]
    np.testing.assert_allclose(run.spikes, want["tspk"], rtol=0, atol=1e-9)
    assert run.t_stop == want["tstop"]
    assert run.result.t.size == want["n_samples"]
    for vclamp, reference in ((False, None), (True, 1e3 * run.result.current["clamp"])):
        got = amplitudes(run, reference)
        expected = want[f"vclamp={vclamp}"]
        # the same equations in the same simulator: only the nA <-> uA round trip differs
        np.testing.assert_allclose(got, expected["amp"], rtol=1e-12)
        metrics = bmtool_train_metrics(got)
        for key in ("ppr", "induction", "recovery", "simple_ppr"):
            assert getattr(metrics, key) == pytest.approx(expected[key], rel=1e-9, abs=1e-12)


def test_pulses_9_to_12_on_one_stream_meet_the_trains_depression(synapse) -> None:
    """Use = 1 empties the pool at every pulse, so pulse 9 releases what recovered in
    250 ms: 1 − e^(−250/Dep) of pulse 1.  On a fresh NetCon it releases all of it."""
    name, session = synapse
    dep = settings(name)[1]["Dep"]
    single = amplitudes(train(session, name, "single"))
    fresh = amplitudes(train(session, name, "fresh"))
    np.testing.assert_array_equal(single[:8], fresh[:8])
    if name == "bmtool_gaba_a_stp":  # linear in the release; AMPA_NMDA's NMDA tail lingers
        # 1e-8: the clamp's finite gain leaves the driving force differing by ~1e-9
        assert single[8] / single[0] == pytest.approx(1 - math.exp(-250 / dep), rel=1e-8)
        assert fresh[8] / fresh[0] == pytest.approx(1.0, rel=1e-8)
    assert single[8] < 0.93 * fresh[8]


def test_the_single_stream_agrees_with_neuntunes_engine(synapse) -> None:
    """The bmtool_* presets run the same synapse on neuntune's engine (RK4 at the same
    dt against NEURON's cnexp); the peaks agree to 1e-4 (measured 1.7e-5)."""
    name, session = synapse
    preset = presets.load(name)
    protocol = preset.synapse_protocol("syn", convention="bmtool", recovery_stream="single")
    evaluator = SynapseEvaluator(preset.circuit, "syn", protocol)
    delay = preset.circuit.get("syn.delay")
    (result,) = evaluator.responses({"syn.delay": np.array([delay])}, 50.0)
    native, _ = evaluator.train(result, 50.0, delay)
    neuron = amplitudes(train(session, name, "single"))
    np.testing.assert_allclose(neuron, 1e3 * native, rtol=1e-4)  # native in µA


def test_a_gap_junction_pair_couples_as_its_conductances_divide() -> None:
    """Two equal passive cells joined by g: at steady state CC = g/(g_leak + g); the
    step is 50 membrane time constants long, so BMTool's single samples reach it."""
    cell = CellSpec("PassiveGapCell", TEMPLATES, MODS, PointProcessSpec("Gap"), "PassiveGapCell")
    with NeuronSession(cell) as session:
        for g in (1e-4, 1e-3, 1e-2):
            session.set(g=g)
            result = protocols.current_step(session)
            cc = bmtool_cc(result.t, result.v["post"], result.v["partner"], 500.0, 1000.0)
            assert cc == pytest.approx(g / (G_LEAK + g), rel=1e-9)
            recorded = REFERENCE["gap"]["cc"]
            assert cc == pytest.approx(next(r["cc"] for r in recorded if r["g_uS"] == g), rel=1e-9)
        # the injected current is the step's, in uA
        assert result.current["iclamp"].min() == pytest.approx(-1e-5, rel=1e-12)


def test_the_steps_keywords_have_one_home_and_a_fit_of_g_stops_when_asked() -> None:
    """current_step and coupling take StepSettings' keywords (shown as their own), refuse
    another; fit_gap_conductance stops when on_step says so."""
    defaults = dataclasses.asdict(protocols.StepSettings())
    for function in (protocols.current_step, protocols.coupling):
        params = dict(inspect.signature(function).parameters)
        params.pop("session")
        assert list(params) == list(defaults)
        assert {n: p.default for n, p in params.items()} == defaults
        assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
    cell = CellSpec("PassiveGapCell", TEMPLATES, MODS, PointProcessSpec("Gap"), "PassiveGapCell")
    with NeuronSession(cell) as session:
        with pytest.raises(TypeError, match="ampl"):
            protocols.coupling(session, ampl=-0.01)
        seen = []
        with pytest.raises(CancelledError):
            protocols.fit_gap_conductance(
                session, 0.5, on_step=lambda g, cc: seen.append(g) or True
            )
        assert len(seen) == 1


def test_the_inputs_a_pair_and_a_train_refuse() -> None:
    with pytest.raises(SpecError, match=r"partner.*needs a synapse"):
        CellSpec("PassiveGapCell", TEMPLATES, MODS, partner="PassiveGapCell")
    with pytest.raises(SpecError, match=r"partner = 'Nope': not defined in .*PassiveCell"):
        NeuronSession(CellSpec("PassiveGapCell", TEMPLATES, MODS, PointProcessSpec("Gap"), "Nope"))
    with pytest.raises(SpecError, match="no vgap: not a gap junction"):
        NeuronSession(
            CellSpec("PassiveCell", TEMPLATES, MODS, PointProcessSpec("GABA_A_STP"), "PassiveCell")
        )
    cell = CellSpec("PassiveCell", TEMPLATES, MODS, PointProcessSpec("GABA_A_STP"))
    with NeuronSession(cell) as session:
        with pytest.raises(SpecError, match="record = 'v2': the cell has no partner"):
            session.run(RunSpec(tstop=1.0, record=("v", "v2")))
        with pytest.raises(SpecError, match="stream = 'both': must be one of single, fresh"):
            protocols.train(session, stream="both")
        with pytest.raises(SpecError, match="frequency = 0: must be > 0 Hz"):
            protocols.train(session, frequency=0)


def test_a_cancelled_run_stops_at_once_and_the_next_one_is_whole() -> None:
    """NeuronSession.cancel (a newer slider value): a 100 s run stops within a chunk of
    steps; the session goes on, and cancelling another thread's call does nothing."""
    import threading
    import time

    from neuntune.neuron import RunCancelled

    cell = CellSpec("PassiveCell", TEMPLATES, MODS, PointProcessSpec("GABA_A_STP"))
    with NeuronSession(cell) as session:
        long = RunSpec(tstop=1e5, record_dt=100.0)
        caught: list[BaseException] = []

        def run() -> None:
            try:
                session.run(long)
            except BaseException as error:
                caught.append(error)

        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(0.5)
        session.cancel(thread=threading.get_ident())  # not this thread's call: ignored
        time.sleep(0.2)
        assert worker.is_alive()
        began = time.monotonic()
        session.cancel()
        worker.join(30)
        assert isinstance(caught[0], RunCancelled) and time.monotonic() - began < 5
        whole = protocols.train(session, start=50.0, clamp=0.0)
        assert whole.result.t[-1] == pytest.approx(whole.t_stop)
