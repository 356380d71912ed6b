"""``neun_py.to_circuit`` and compat-versus-native agreement.

Neun steps each synapse, then each cell, with the synaptic current held at its
start-of-step value: coupling is then first-order accurate in dt, whatever the
integrator, while the native engine integrates the coupled system as one ODE
(fourth order with RK4).  So compat and native runs of one setup differ by O(dt),
and halving dt halves the difference.  The native circuits here have the
structures of the examples' (pair + gap junction + two inputs, pair + diffusion
synapse, HH + HR), which therefore compile once for both.
"""

import numpy as np
import pytest

import neuntune as nt
import neuntune.compat.neun_py as neun_py

# the docs' conventions warn once per process; here they are expected
pytestmark = pytest.mark.filterwarnings("ignore::neuntune.compat._warn.NeunSignWarning")

V = neun_py.HHDoubleVariable
AREA = 7.854e-3


def coupled_pair(g1: float = 0.002, g2: float = 0.002):
    h1, h2 = neun_py.HHDoubleRK4(), neun_py.HHDoubleRK4()
    h1.set(V.v, -75)
    h2.set(V.v, -65)
    return h1, h2, neun_py.ESynHHHHDoubleRK4(h1, V.v, h2, V.v, g1, g2)


def run_pair(dt: float, t_stop: float):
    """The docs' two-cell loop with a positive junction; voltages at every step
    (the initial state first), and the native circuit converted before the run."""
    h1, h2, synapse = coupled_pair()
    circuit = neun_py.to_circuit({"a": h1, "b": h2}, {"gj": synapse}, {"a": 0.1, "b": 0.08})
    v = [(h1.get(V.v), h2.get(V.v))]
    for _ in range(round(t_stop / dt)):
        synapse.step(dt)
        h1.add_synaptic_input(0.1)
        h2.add_synaptic_input(0.08)
        h1.step(dt)
        h2.step(dt)
        v.append((h1.get(V.v), h2.get(V.v)))
    return np.array(v), circuit


# ------------------------------------------------------------------ conversion
def test_hh_parameters_become_densities_on_neuns_area():
    h1, h2, synapse = coupled_pair()
    h2.set(V.m, 0.05)
    c = neun_py.to_circuit([h1, h2], [synapse], inputs={h1: 0.1, "n2": 0.08})
    assert list(c.neurons) == ["n1", "n2"] and list(c.connections) == ["n1->n2"]
    expected = dict(cm=1.0, gna=120.0, gk=36.0, gl=0.3, ena=50.0, ek=-77.0, el=-54.387)
    for name, value in expected.items():
        assert c.get(f"n1.{name}") == pytest.approx(value, rel=1e-14)
    assert c.get("n1.area") == AREA and c.get("n1.celsius") == 6.3  # rates unscaled
    assert c.get("n1.v0") == -75.0 and c.get("n1.m0") is None  # still at steady state
    assert c.get("n2.m0") == 0.05 and c.get("n2.h0") is None
    assert isinstance(c.element("n1->n2"), nt.GapJunction) and c.get("n1->n2.g") == 0.002
    assert [c.get(f"{s}.amplitude") for s in c.stimuli] == [0.1, 0.08]
    h1.step(0.01)  # once stepped, every state is explicit
    assert neun_py.to_circuit([h1]).get("n1.m0") == h1.get(V.m)


def test_hr_and_izhikevich_conversions():
    hr, iz = neun_py.HRDoubleRK4(), neun_py.IzDoubleRK6()
    hr.set_param(neun_py.HRDoubleParameter.e, 3.2)
    iz.set_param(neun_py.IzDoubleParameter.threshold, 25.0)
    c = neun_py.to_circuit({"hr": hr, "iz": iz})
    assert c.element("hr").values == {
        "e": 3.2, "mu": 0.001, "S": 4.0, "a": 1.0, "b": 3.0, "c": 1.0, "d": 5.0,
        "xr": -1.6, "vh": 1.0, "x0": -1.5, "y0": 0.0, "z0": 0.0,
    }  # fmt: skip
    iz_native = c.element("iz")
    assert isinstance(iz_native, nt.Izhikevich)
    assert (iz_native.get("v_peak"), iz_native.get("C"), iz_native.get("u0")) == (25.0, 1.0, None)


def test_asymmetric_esyn_maps_each_direction():
    h1, h2, synapse = coupled_pair(0.001, 0.003)  # g1 into h1, g2 into h2
    c = neun_py.to_circuit([h1, h2], {"gj": synapse})
    junction = c.element("gj")
    # native: I_post = g_ab·(v_pre − v_post) into post (h2), I_pre = g_ba·(…) into pre
    assert isinstance(junction, nt.AsymmetricGapJunction)
    assert (junction.get("g_ab"), junction.get("g_ba")) == (0.003, 0.001)


def test_dsyn_becomes_a_diffusion_synapse_with_the_sign_turned():
    h1, h2 = neun_py.HHDoubleRK4(), neun_py.HHDoubleRK4()
    args = neun_py.DSynDoubleConstructorArgs()
    Dp = neun_py.DSynDoubleParameter
    args.params[Dp.gsyn] = -0.002
    args.params[Dp.esyn] = -80.0
    for steps, scale in ((1, 1), (3, 3)):
        syn = neun_py.DSynHHHHDoubleRK4(h1, V.v, h2, V.v, args, steps)
        native = neun_py.to_circuit([h1, h2], [syn]).element("n1->n2")
        assert isinstance(native, nt.DiffusionSynapse)
        assert (native.get("g"), native.get("E"), native.get("delay")) == (0.002, -80.0, 0.0)
        assert native.get("alpha") == pytest.approx(1.1 * scale)
        assert native.get("beta") == pytest.approx(0.19 * scale)
        assert native.get("T_dur") == pytest.approx(1.0 / scale)


def test_conversions_without_a_native_equivalent_are_refused():
    h1, h2, synapse = coupled_pair(-0.002, -0.002)
    with pytest.raises(ValueError, match=r"no native equivalent.*use \+0.002"):
        neun_py.to_circuit([h1, h2], [synapse])
    dsyn = neun_py.DSynHHHHDoubleRK4(h1, V.v, h2, V.v)
    dsyn.set_param(neun_py.DSynDoubleParameter.gsyn, 0.001)
    with pytest.raises(ValueError, match="positive gsyn is a negative conductance"):
        neun_py.to_circuit([h1, h2], [dsyn])
    on_gate = neun_py.ESynHHHHDoubleRK4(h1, V.m, h2, V.v, 0.1, 0.1)
    with pytest.raises(ValueError, match="couple voltages only"):
        neun_py.to_circuit([h1, h2], [on_gate])
    with pytest.raises(ValueError, match="connects a cell not in neurons"):
        neun_py.to_circuit([h1], [coupled_pair()[2]])
    with pytest.raises(ValueError, match="not in neurons"):
        neun_py.to_circuit([h1], inputs={"x": 0.1})
    with pytest.raises(ValueError, match="passed twice"):
        neun_py.to_circuit([h1, h1])


# ------------------------------------------------------------------- agreement
def test_compat_and_native_differ_by_first_order_splitting_error():
    """Two HH cells, +0.002 mS, 30 ms: max |Δv| between compat (Neun's split step)
    and native RK4 at the same dt.  Measured 0.407, 0.203, 0.102 mV at dt = 0.01,
    0.005, 0.0025 ms: ratios 2.00 per halving.  The native run's own error is far
    smaller (4e-4, 2e-5, 1e-6 mV), so the difference is compat's O(dt) splitting."""
    differences = []
    for dt in (0.01, 0.005, 0.0025):
        compat, circuit = run_pair(dt, 30.0)
        res = nt.simulate(circuit, 30.0, dt, record="v")
        native = np.column_stack([res.v["a"], res.v["b"]])
        differences.append(np.max(np.abs(compat - native)))
    ratios = np.array(differences[:-1]) / differences[1:]
    np.testing.assert_allclose(ratios, 2.0, rtol=0.05)  # first order, within 5 %
    assert all(d < 50 * dt for d, dt in zip(differences, (0.01, 0.005, 0.0025), strict=True))


def test_dsyn_compat_and_native_agree():
    """A diffusion synapse h1 -> h2 (0.1 µA into h1, 40 ms, dt 0.005): the native
    DiffusionSynapse that to_circuit makes gives the same postsynaptic trace to the
    splitting error (measured 2.3e-3 mV; 4.4e-3 mV at dt 0.01)."""
    h1, h2 = neun_py.HHDoubleRK4(), neun_py.HHDoubleRK4()
    syn = neun_py.DSynHHHHDoubleRK4(h1, V.v, h2, V.v)
    circuit = neun_py.to_circuit({"h1": h1, "h2": h2}, {"syn": syn}, {"h1": 0.1})
    dt, v2, current = 0.005, [h2.get(V.v)], [0.0]
    for _ in range(8000):
        syn.step(dt)
        h1.add_synaptic_input(0.1)
        h1.step(dt)
        h2.step(dt)
        v2.append(h2.get(V.v))
        current.append(syn.get_synaptic_current())
    res = nt.simulate(circuit, 40.0, dt)
    assert len(res.spikes["h1"]) == 3 and np.ptp(v2) > 0.5  # three EPSPs
    assert np.max(np.abs(np.array(v2) - res.v["h2"])) < 0.01
    assert np.max(np.abs(np.array(current) - res.current["syn"])) < 0.05 * np.max(current)


def test_uncoupled_hh_and_hr_cells_agree_to_rounding():
    """Without coupling there is no splitting: compat and native RK4 make the same
    steps (HH and HR side by side, the model comparison's circuit)."""
    hh, hr = neun_py.HHDoubleRK4(), neun_py.HRDoubleRK4()
    circuit = neun_py.to_circuit({"hh": hh, "hr": hr}, inputs={"hh": 0.1, "hr": 0.1})
    dt = 0.01
    for _ in range(2000):
        for cell in (hh, hr):
            cell.add_synaptic_input(0.1)
            cell.step(dt)
    res = nt.simulate(circuit, 20.0, dt)
    assert hh.get(V.v) == pytest.approx(res.v["hh"][-1], abs=1e-9)
    assert hr.get(neun_py.HRDoubleVariable.x) == pytest.approx(res.v["hr"][-1], abs=1e-11)
