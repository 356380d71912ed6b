"""The coupling protocol (neuntune.protocols): the coupling coefficient of a circuit,
its spectrum, the one window rule, the quiet rule and the batched probe that the
fits, the scans, the preset measurements and the dashboard share."""

import inspect

import numpy as np
import pytest

import neuntune as nt
from neuntune import protocols
from neuntune.analysis.coupling import first_spike
from neuntune.bundled import hh_gap_pair
from neuntune.protocols.coupling import check_quiet, coupling_protocol, run_probes, windows

GL = 0.1 * 7.854e-3  # mS: a default Passive cell's leak conductance


@pytest.fixture
def passive(passive_pair):
    passive_pair.stimulate("a", nt.Constant(amplitude=0.5))  # removed by the protocol
    return passive_pair


def test_coupling_coefficient_of_a_passive_pair_is_g_over_gl_plus_g(passive):
    assert nt.coupling_coefficient(passive, "a", "b") == pytest.approx(1e-4 / (GL + 1e-4), abs=1e-6)
    assert passive.stimuli["a.stim0"].stimulus.get("amplitude") == 0.5  # unchanged


def test_a_cell_that_fires_during_the_protocol_is_an_error():
    circuit = hh_gap_pair()
    with pytest.raises(ValueError, match="fired during the coupling protocol"):
        nt.coupling_coefficient(circuit, "a", "b", amplitude=0.2)  # a depolarising probe


def test_protocols_name_an_unknown_cell_before_simulating(passive, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("simulated before checking the cell names")

    monkeypatch.setattr("neuntune.protocols.coupling.simulate", must_not_run)
    monkeypatch.setattr("neuntune.protocols.coupling.simulate_batch", must_not_run)
    monkeypatch.setattr("neuntune.protocols.spectrum.simulate_batch", must_not_run)
    for call, text in (
        (lambda: nt.coupling_coefficient(passive, "a", "zz"), "target: no cell 'zz'"),
        (lambda: nt.coupling_coefficient(passive, "zz", "b"), "source: no cell 'zz'"),
        (lambda: nt.coupling_spectrum(passive, "a", "zz", [10.0]), "target: no cell 'zz'"),
    ):
        with pytest.raises(ValueError, match=f"{text} in the circuit \\(cells: a, b\\)"):
            call()


def test_coupling_spectrum_low_pass_filters_like_the_analytic_pair(passive):
    freqs = np.array([1.0, 10.0, 100.0])
    spec = nt.coupling_spectrum(passive, "a", "b", freqs)
    # Two identical RC cells joined by g: the target is a low-pass of the source,
    # CC(ω) = g/(g_L + g + jωC) with C = cm·area
    w = 2 * np.pi * freqs / 1000.0
    expected = 1e-4 / (GL + 1e-4 + 1j * w * 7.854e-3)
    np.testing.assert_allclose(spec.ratio, np.abs(expected), rtol=2e-3)
    np.testing.assert_allclose(spec.phase, np.degrees(np.angle(expected)), atol=0.5)


def test_the_window_rule_is_the_last_fifth_of_the_settling_and_of_the_step():
    assert protocols.WINDOW == 0.2
    assert windows(500.0, 1000.0) == ((400.0, 500.0), (900.0, 1000.0))  # BMTool's lengths
    assert windows(100.0, 400.0) == ((80.0, 100.0), (340.0, 400.0))
    # a named width sets both windows
    assert windows(1500.0, 2000.0, 100.0) == ((1400.0, 1500.0), (1900.0, 2000.0))
    p = coupling_protocol(hh_gap_pair(), "a", settle=100.0, duration=300.0)
    assert (p.baseline, p.steady, p.t_stop) == ((80.0, 100.0), (340.0, 400.0), 400.0)


def test_a_presets_measurement_without_a_window_takes_the_protocols_rule():
    """A preset's coupling measurement that names no ``window`` used its own rule
    until the protocols got one home: min(100 ms, the step's start, half the step)
    for both windows.  It now takes the protocol's window rule, so such a preset's
    printed CC changes (slightly: both rules average a settled response) — here the
    second step of bmtool_gap_cc (1500–2000 ms) gets a 1200–1500 ms baseline instead
    of 1400–1500 ms.  The bundled preset names its window (100 ms), and for its first
    step (500–1000 ms) both rules give the protocol's own 400–500 and 900–1000 ms, so
    its stored and printed numbers do not change (test_presets_bundled pins them)."""
    p = nt.load_preset("bmtool_gap_cc")
    named = [m.windows(p.circuit) for m in p.couplings]
    assert named == [((400.0, 500.0), (900.0, 1000.0)), ((1400.0, 1500.0), (1900.0, 2000.0))]
    result = p.simulate()
    pinned = p.coupling(result)
    for m in p.couplings:
        m.window = None
    assert [m.windows(p.circuit) for m in p.couplings] == [
        windows(500.0, 1000.0),
        ((1200.0, 1500.0), (1900.0, 2000.0)),
    ]
    ruled = p.coupling(result)
    assert ruled["a->b"] == pinned["a->b"]  # the same windows
    g_leak = p.circuit.get("a.gl") * p.circuit.get("a.area")
    expected = p.circuit.get("gj.g") / (g_leak + p.circuit.get("gj.g"))
    assert ruled["b->a"] == pytest.approx(expected, abs=1e-4)


def test_the_quiet_rule_names_the_first_cell_or_member_to_fire():
    spikes = {"a": np.array([10.0, 450.0]), "b": np.array([420.0])}
    assert first_spike(spikes, 400.0) == ("b", 420.0)  # the earliest, not the first cell
    assert first_spike(spikes, 400.0, 430.0, ("a",)) is None
    members = {"wb": nt.Spikes(np.array([2, 7]), np.array([100.0, 401.5]))}
    assert first_spike(members, 400.0) == ("wb[7]", 401.5)
    p = coupling_protocol(hh_gap_pair(), "a")
    run = nt.Result(np.array([0.0, 1000.0]), {}, {}, {}, members)
    with pytest.raises(ValueError, match=r"wb\[7\] fired during the coupling protocol "
                       r"\(at t = 401\.50 ms, probe into wb\[3\]\)"):  # fmt: skip
        check_quiet(run, p, ("wb", 3))
    run = nt.Result(np.array([0.0, 1000.0]), {}, {}, {}, spikes)
    with pytest.raises(ValueError, match=r"cell 'b' fired during the coupling protocol"):
        check_quiet(run, p)


def test_the_batched_probe_switches_one_probe_on_per_member():
    """Member i probes sources[i] only: the live CC's batch gives what single runs of
    the protocol give, in both directions."""
    c = hh_gap_pair()
    p = coupling_protocol(c, "a", "b")
    ab, ba, again = run_probes(p, ["a", "b", "a"])
    for result, source, target in ((ab, "a", "b"), (ba, "b", "a"), (again, "a", "b")):
        single = nt.coupling_coefficient(c, source, target)
        assert protocols.measure_coupling(result, p, source, target) == pytest.approx(
            single, abs=1e-9
        )

    # the probed cell moves more than the cell it is coupled to (CC < 1), in each run
    def moved(result, cell):
        return abs(nt.analysis.deflection(result.t, result.v[cell], p.baseline, p.steady))

    assert moved(ab, "a") > moved(ab, "b") > 0 and moved(ba, "b") > moved(ba, "a") > 0


def test_every_protocol_takes_its_defaults_from_one_place():
    from neuntune.ui.metrics import live_coupling

    for function in (nt.coupling_coefficient, nt.coupling_spectrum, nt.pairwise_coupling,
                     nt.fit_gap_junction):  # fmt: skip
        parameters = inspect.signature(function).parameters
        assert parameters["dt"].default == protocols.DT == 0.025, function
        assert parameters["method"].default == protocols.METHOD == "rk4", function
    for function in (nt.coupling_coefficient, nt.pairwise_coupling, nt.fit_gap_junction):
        assert inspect.signature(function).parameters["amplitude"].default == protocols.PROBE
    protocol = protocols.SynapseProtocol()
    assert (protocol.dt, protocol.method) == (protocols.DT, protocols.METHOD)
    # the live CC runs the protocol of nt.coupling_coefficient
    live = live_coupling(hh_gap_pair()).cc
    assert live[("a", "b")] == nt.coupling_coefficient(hh_gap_pair(), "a", "b")
