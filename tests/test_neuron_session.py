"""A cell from a hoc template and mod files, run in a NEURON worker process: its physics
against closed forms, the bad inputs a user can give, and a worker that dies or hangs.

The fixture mods compile once per machine (the cache is keyed by their content)."""

import math
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from neuntune.neuron import (
    CellSpec,
    IClampSpec,
    NeuronSession,
    PointProcessSpec,
    RunSpec,
    SpecError,
    WorkerError,
)

DATA = Path(__file__).parent / "data" / "neuron"
TEMPLATES = DATA / "templates"
MODS = DATA / "mechanisms"
#: DExpSyn's default time constants (ms).
TAU_RISE, TAU_DECAY = 0.5, 3.0
#: A run long enough (4e8 steps) to be interrupted, recording little.
ENDLESS = RunSpec(tstop=1e7, record_dt=1e4)


def spec(**synapse) -> CellSpec:
    return CellSpec("TwoSectionCell", TEMPLATES, MODS, PointProcessSpec("DExpSyn", **synapse))


@pytest.fixture(scope="module")
def session():
    with NeuronSession(spec(sec_id=1, sec_x=0.5)) as s:
        yield s


def input_resistance(g_leak: float) -> float:
    """MOhm at the soma of TwoSectionCell (one segment per section, Ra 100 Ohm cm): the
    soma's membrane in parallel with the path through both half-sections' axial
    resistance to the dendrite's membrane."""

    def membrane(length: float, diam: float) -> float:  # S
        return g_leak * math.pi * length * diam * 1e-8  # um2 -> cm2

    def half_axial(length: float, diam: float) -> float:  # Ohm
        return 100 * (length / 2) / (math.pi * diam**2 / 4) * 1e4  # Ohm cm um / um2 -> Ohm

    axial = half_axial(20, 20) + half_axial(200, 2)
    return 1e-6 / (membrane(20, 20) + 1 / (axial + 1 / membrane(200, 2)))


def measured_input_resistance(s: NeuronSession) -> tuple[float, float]:
    """(rest mV, MOhm): settled from -80 mV for 300 ms, then a -10 pA step of 300 ms; both
    are 30 membrane time constants (10 ms), so what is left of a transient is e^-30."""
    out = s.run(RunSpec(600, v_init=-80, iclamp=IClampSpec(-0.01, 300, 300), record=("v",)))
    rest = out["v"][np.searchsorted(out["t"], 300.0) - 1]
    return rest, (out["v"][-1] - rest) / -0.01


def double_exponential(t: np.ndarray, onset: float, weight: float, rise: float, decay: float):
    """DExpSyn's conductance (uS) after one event: peak ``weight``."""
    peak = rise * decay / (decay - rise) * math.log(decay / rise)
    factor = 1 / (math.exp(-peak / decay) - math.exp(-peak / rise))
    s = np.clip(t - onset, 0.0, None)
    return weight * factor * (np.exp(-s / decay) - np.exp(-s / rise))


def test_the_two_section_cell_has_its_cable_input_resistance(session):
    # leak.mod's defaults: g 1e-4 S/cm2, e -70 mV.  The dendrite's path matters: the
    # soma alone would give 795.8 MOhm, both membranes without axial resistance 397.9.
    rest, r_in = measured_input_resistance(session)
    assert rest == pytest.approx(-70.0, abs=1e-9)
    assert r_in == pytest.approx(input_resistance(1e-4), rel=1e-9)
    assert r_in == pytest.approx(405.697, abs=1e-3)


@pytest.mark.parametrize("dt", [0.025, 0.1])
def test_the_synaptic_conductance_is_the_double_exponential(session, dt):
    out = session.run(RunSpec(40, dt=dt, events=(5.0,), weight=0.002, record=("syn.g",)))
    # cnexp integrates the two linear states exactly, so only rounding is left; NEURON
    # records g, computed in BREAKPOINT from the previous step's states, one step late
    expected = double_exponential(out["t"] - dt, 5.0, 0.002, TAU_RISE, TAU_DECAY)
    np.testing.assert_allclose(out["syn.g"], expected, rtol=0, atol=1e-12 * 0.002)
    assert out["syn.g"].max() == pytest.approx(0.002, rel=1e-3)  # the peak falls between samples


def test_parameters_are_set_checked_and_kept(session):
    session.set(tau_decay=6.0)
    with pytest.raises(SpecError, match=r"DExpSyn has no PARAMETER 'nope'.*tau_rise, tau_decay"):
        session.set(tau_decay=9.0, nope=1.0)
    assert session.params == {"tau_decay": 6.0}  # the failed call set nothing
    out = session.run(RunSpec(40, events=(5.0,), weight=0.002, record=("syn.g",)))
    expected = double_exponential(out["t"] - 0.025, 5.0, 0.002, TAU_RISE, 6.0)
    np.testing.assert_allclose(out["syn.g"], expected, rtol=0, atol=1e-12 * 0.002)
    session.set(tau_decay=TAU_DECAY)


def test_a_held_session_keeps_other_threads_out_until_the_block_ends(session):
    """``held``: a set and the run that measures it are not split by another thread."""
    import threading

    tau = TAU_DECAY
    entered = threading.Event()
    seen: list[float] = []

    def other() -> None:
        entered.set()
        session.set(tau_decay=tau + 2.0)  # waits for the block below

    with session.held():
        session.set(tau_decay=tau + 1.0)
        thread = threading.Thread(target=other)
        thread.start()
        assert entered.wait(10)
        thread.join(0.5)  # it would have set by now if nothing held it
        assert thread.is_alive()
        seen.append(session.params["tau_decay"])
    thread.join(30)
    assert seen == [tau + 1.0] and session.params["tau_decay"] == tau + 2.0
    session.set(tau_decay=tau)


def test_a_worker_killed_mid_run_gives_a_clear_error_and_the_next_call_works():
    with NeuronSession(spec(sec_id=0, params={"tau_decay": 6.0})) as s:
        first = s.pid
        killer = threading.Timer(0.5, os.kill, (first, signal.SIGKILL))
        killer.start()
        start = time.perf_counter()
        with pytest.raises(WorkerError, match=r"stopped \(killed by signal SIGKILL\) during 'run'"):
            s.run(ENDLESS)
        assert time.perf_counter() - start < 10
        killer.join()
        assert s.pid is None
        # a new worker, with the spec's and the set parameters
        out = s.run(RunSpec(40, events=(5.0,), weight=0.002, record=("syn.g",)))
        assert s.pid not in (None, first)
        expected = double_exponential(out["t"] - 0.025, 5.0, 0.002, TAU_RISE, 6.0)
        np.testing.assert_allclose(out["syn.g"], expected, rtol=0, atol=1e-12 * 0.002)
        # a worker that dies between calls is replaced without an error
        second = s.pid
        os.kill(second, signal.SIGKILL)
        os.waitpid(second, 0)
        assert s.params == {"tau_decay": 6.0}
        np.testing.assert_array_equal(
            s.run(RunSpec(40, events=(5.0,), weight=0.002, record=("syn.g",)))["syn.g"],
            out["syn.g"],
        )
        assert s.pid not in (None, first, second)


def test_a_call_past_its_timeout_stops_the_worker_and_the_next_call_works():
    with NeuronSession(spec()) as s:
        first = s.pid
        s.timeout = 1.0
        start = time.perf_counter()
        with pytest.raises(WorkerError, match=r"longer than 1 s on 'run'.*next call starts"):
            s.run(ENDLESS)
        assert time.perf_counter() - start < 5
        s.timeout = 60.0
        assert measured_input_resistance(s)[1] == pytest.approx(input_resistance(1e-4), rel=1e-9)
        assert s.pid != first


def test_two_sessions_with_different_mod_sets_run_at_once():
    # both sets define `leak`, which NEURON cannot load twice into one process
    other = CellSpec("TwoSectionCell", TEMPLATES, DATA / "mechanisms_alt")
    with NeuronSession(spec()) as a, NeuronSession(other) as b:
        assert a.pid != b.pid
        results = {}
        threads = [
            threading.Thread(target=lambda s=s: results.update({s: measured_input_resistance(s)}))
            for s in (a, b)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results[a][0] == pytest.approx(-70.0, abs=1e-9)
        assert results[a][1] == pytest.approx(input_resistance(1e-4), rel=1e-9)
        assert results[b][0] == pytest.approx(-65.0, abs=1e-9)
        assert results[b][1] == pytest.approx(input_resistance(2e-4), rel=1e-9)
        assert [p.default for p in b.parameters("leak")] == [2e-4, -65.0]


def test_missing_folders_are_named(tmp_path):
    with pytest.raises(SpecError, match=r"templates = '.*nowhere': no such file or folder"):
        NeuronSession(CellSpec("TwoSectionCell", tmp_path / "nowhere", MODS))
    with pytest.raises(SpecError, match=r"mechanisms = '.*nowhere': no such folder"):
        NeuronSession(CellSpec("TwoSectionCell", TEMPLATES, tmp_path / "nowhere"))
    with pytest.raises(SpecError, match=r"templates = .*holds no \.hoc files"):
        NeuronSession(CellSpec("TwoSectionCell", tmp_path, MODS))


def test_an_unknown_template_lists_those_defined():
    with pytest.raises(SpecError) as caught:
        NeuronSession(CellSpec("TwoSectionCel", TEMPLATES, MODS))
    assert caught.value.field == "template"
    assert "not defined in" in str(caught.value) and "defined there: TwoSectionCell" in str(
        caught.value
    )


def test_sec_id_out_of_range_states_the_sections():
    with pytest.raises(SpecError) as caught:
        NeuronSession(spec(sec_id=2))
    assert caught.value.field == "sec_id" and caught.value.value == 2
    assert "TwoSectionCell has 2 sections in 'all' (0..1: soma, dend)" in str(caught.value)


def test_an_unknown_parameter_or_point_process_is_named():
    with pytest.raises(SpecError, match=r"params = 'tau1': DExpSyn has no PARAMETER 'tau1'"):
        NeuronSession(spec(params={"tau1": 1.0}))
    with pytest.raises(SpecError, match=r"name = 'NoSuchSyn': no such point process.*DExpSyn"):
        NeuronSession(CellSpec("TwoSectionCell", TEMPLATES, MODS, PointProcessSpec("NoSuchSyn")))


def test_a_hoc_error_in_a_template_quotes_neuron(tmp_path):
    (tmp_path / "bad.hoc").write_text(
        "begintemplate Bad\npublic soma\ncreate soma\nproc init() { soma { L = } }\n"
        "endtemplate Bad\n"
    )
    with pytest.raises(WorkerError, match=r"(?s)NEURON failed in 'load'.*syntax error.*line 4"):
        NeuronSession(CellSpec("Bad", tmp_path / "bad.hoc", MODS))


def test_run_requests_are_checked(session):
    with pytest.raises(SpecError, match=r"record = 'iclamp\.i': the run has no iclamp"):
        session.run(RunSpec(10, record=("iclamp.i",)))
    with pytest.raises(SpecError, match=r"record = 'syn\.nothing': DExpSyn has no 'nothing'"):
        session.run(RunSpec(10, record=("syn.nothing",)))
    with pytest.raises(SpecError, match=r"iclamp.sec_id = 5: out of range"):
        session.run(RunSpec(10, iclamp=IClampSpec(0.1, 1, 1, sec_id=5)))
    # the worker goes on serving after each
    assert measured_input_resistance(session)[1] == pytest.approx(input_resistance(1e-4), rel=1e-9)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: PointProcessSpec(sec_x=1.5), r"sec_x = 1.5: must be finite and within \[0, 1\]"),
        (lambda: PointProcessSpec(sec_id=-1), r"sec_id = -1: must be an integer >= 0"),
        (lambda: PointProcessSpec(params={"g": "big"}), r"params\['g'\] = 'big': must be a number"),
        (lambda: CellSpec("Two Section", TEMPLATES, MODS), r"template = 'Two Section'"),
        (lambda: RunSpec(0), r"tstop = 0: must be > 0"),
        (lambda: RunSpec(10, events=(11.0,)), r"events\[0\] = 11.0: must be finite and within"),
        (lambda: RunSpec(10, record=("i",)), r"record = 'i': must be one of v, v_syn"),
    ],
)
def test_fields_are_checked_where_they_are_made(make, match):
    with pytest.raises(SpecError, match=match):
        make()
