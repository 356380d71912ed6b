"""A run's synapse responses (neuntune.analysis.synapse) and the passive CC estimate."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.analysis import (
    chemical_connections,
    connection_response,
    delivery_times,
    passive_cc,
    synapse_response,
    synapse_responses,
)
from neuntune.bundled import hh_gap_pair

T = np.arange(0.0, 200.0, 0.025)
TAU_R, TAU_D = 0.2, 5.0  # ms
PEAK_TIME = TAU_R * TAU_D / (TAU_D - TAU_R) * np.log(TAU_D / TAU_R)
NORM = np.exp(-PEAK_TIME / TAU_D) - np.exp(-PEAK_TIME / TAU_R)


def responses(events, amplitudes):
    """A train of difference-of-exponentials responses (τ_r 0.2 ms, τ_d 5 ms), each
    scaled so its peak is its amplitude."""
    y = np.zeros_like(T)
    for time, amplitude in zip(events, amplitudes, strict=True):
        s = np.clip(T - time, 0.0, None)
        y += amplitude * (np.exp(-s / TAU_D) - np.exp(-s / TAU_R)) / NORM
    return y


def test_a_train_response_has_the_first_events_shape_and_the_trains_plasticity():
    """Responses 60 ms apart (12 τ_d: each has decayed to e⁻¹² before the next).  The
    first event's peak is its amplitude (to the 0.025 ms sampling of the peak: 1e-4),
    its charge amplitude·(τ_d − τ_r)/NORM (trapezoid rule: 1e-4) and its decay τ_d (an
    exponential fitted to a decay the rise term still shapes: 1 %); the train metrics
    are BMTool's of the amplitudes A1 = -2, A2 = -1, A3 = -1 (µA, inward)."""
    events = np.array([10.0, 70.0, 130.0])
    response = synapse_response(T, responses(events, [-2.0, -1.0, -1.0]), events, "PSC", "uA")
    assert (response.kind, response.unit, response.events, response.note) == ("PSC", "uA", 3, "")
    assert response.event["peak"] == pytest.approx(-2.0, rel=1e-4)
    assert response.event["charge"] == pytest.approx(-2.0 * (TAU_D - TAU_R) / NORM, rel=1e-4)
    assert response.event["decay"] == pytest.approx(TAU_D, rel=0.01)
    np.testing.assert_allclose(response.amplitudes, [-2.0, -1.0, -1.0], rtol=1e-4)
    assert response.train["paired_pulse_ratio"] == pytest.approx(0.5, rel=1e-4)
    # P90 of (2, 1, 1) is 1.8: ppr = (1 − 2)/1.8; induction and recovery need 8 and 12 pulses
    assert response.train["ppr"] == pytest.approx(-1.0 / 1.8, rel=1e-4)
    assert response.train["induction"] is None and response.train["recovery"] is None
    assert response.metric("ppr") == response.train["ppr"]
    assert np.isnan(response.metric("recovery"))


def test_events_outside_the_run_and_a_single_event():
    none = synapse_response(T, np.zeros_like(T), np.array([250.0]), "PSP", "mV")
    assert none.events == 0 and none.note == "no synaptic event within the run"
    assert np.isnan(none.metric("peak"))
    one = synapse_response(T, responses([10.0], [3.0]), np.array([10.0, 300.0]), "PSP", "mV")
    assert one.events == 1 and one.train == {} and one.amplitudes == []
    assert one.event["peak"] == pytest.approx(3.0, rel=1e-4)


def pair(clamped):
    c = nt.Circuit()
    c.add("pre", nt.SpikeSource([10.0, 30.0]))
    c.add("post", nt.Passive(area=2e-5, gl=1.0))
    c.connect("pre", "post", nt.Exp2Synapse(g=2e-6), name="syn")
    c.add("other", nt.Passive())
    c.connect("post", "other", nt.GapJunction(g=1e-5), name="gj")
    if clamped:
        clamp = nt.VoltageClamp(holding=-70.0, level=-70.0, start=0.0, stop=0.0)
        c.stimulate("post", clamp, name="clamp")
    return c


@pytest.mark.parametrize("clamped", [True, False], ids=["PSC", "PSP"])
def test_a_connections_response_is_its_clamp_current_or_its_post_cells_voltage(clamped):
    circuit = pair(clamped)
    assert chemical_connections(circuit) == ["syn"]  # the gap junction has no events
    run = nt.simulate(circuit, 60.0, 0.025)
    responses = synapse_responses(circuit, run)
    assert list(responses) == ["syn"]
    got = responses["syn"]
    trace = run.current["clamp"] if clamped else run.v["post"]
    kind, unit = ("PSC", "uA") if clamped else ("PSP", "mV")
    # an Exp2Synapse logs no events: they arrive at the source's spikes plus the delay
    assert "syn" not in run.events and circuit.get("syn.delay") == 1.0
    expected = synapse_response(run.t, trace, np.array([11.0, 31.0]), kind, unit)
    assert got == expected and (got.kind, got.unit, got.events) == (kind, unit, 2)
    # an excitatory synapse: an inward (negative) clamp current, a depolarising PSP
    assert (got.event["peak"] < 0) if clamped else (got.event["peak"] > 0)
    assert connection_response(circuit, nt.simulate(circuit, 5.0, 0.025), "syn") is None


def test_delivery_is_the_pre_spikes_plus_the_delay_where_the_run_logs_no_events():
    """A synapse with short-term plasticity logs when each event arrives; for one that
    logs nothing the arrival is the pre cell's spike (an interpolated threshold
    crossing) plus the delay: the same numbers, as the engine delivers at that time."""
    circuit = nt.Circuit()
    circuit.add("pre", nt.HH())
    circuit.stimulate("pre", nt.Constant(amplitude=0.1))
    circuit.add("post", nt.Passive())
    circuit.connect("pre", "post", nt.GABA_A_STP(delay=1.3), name="stp")
    circuit.connect("pre", "post", nt.Exp2Synapse(delay=1.3), name="plain")
    run = nt.simulate(circuit, 60.0, 0.025)
    assert "plain" not in run.events and len(run.events["stp"]["t"]) >= 3
    np.testing.assert_array_equal(delivery_times(circuit, run, "plain"), run.events["stp"]["t"])
    np.testing.assert_array_equal(delivery_times(circuit, run, "stp"), run.events["stp"]["t"])
    shifted = delivery_times(circuit, run, "plain", delay=2.0)
    np.testing.assert_array_equal(shifted, run.spikes["pre"] + 2.0)


def test_passive_cc_is_g_over_the_receivers_leak_plus_g():
    """CC(pre → post) = g/(gl_post·area_post + g), in mS; and the reverse with pre's leak."""
    circuit = pair(clamped=False)
    g, leak_post, leak_other = 1e-5, 1.0 * 2e-5, circuit.get("other.gl") * circuit.get("other.area")
    forward, backward = passive_cc(circuit, "gj")
    assert forward == pytest.approx(g / (leak_other + g), rel=1e-12)
    assert backward == pytest.approx(g / (leak_post + g), rel=1e-12)
    assert passive_cc(circuit, "syn") == (None, None)  # a chemical synapse: no junction
    hh = hh_gap_pair()  # HH cells declare gl and area too
    leak_a, leak_b = (hh.get(f"{c}.gl") * hh.get(f"{c}.area") for c in "ab")
    g = hh.get("gj.g")
    assert passive_cc(hh, "gj") == pytest.approx((g / (leak_b + g), g / (leak_a + g)), rel=1e-12)
    mixed = nt.Circuit()
    mixed.add("a", nt.Passive())
    mixed.add("b", nt.Izhikevich())  # no gl, no area
    mixed.connect("a", "b", nt.GapJunction(g=1e-5), name="gj")
    assert passive_cc(mixed, "gj") == (
        None,
        mixed.get("gj.g") / (mixed.get("a.gl") * mixed.get("a.area") + mixed.get("gj.g")),
    )
