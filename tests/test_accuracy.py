"""Physics and numerics of the simulation core against analytic results and scipy."""

import re
import sys

import numpy as np
import pytest
from reference import HH, hh_pair_rhs, hh_rates, hh_steady, solve, upward_crossings
from scipy.optimize import brentq

import neuntune as nt
from neuntune.engine.run import compile_circuit


@pytest.mark.parametrize("g", [1e-5, 1e-4, 1e-3])
def test_passive_pair_coupling_coefficient_is_g_over_gl_plus_g(passive_pair, g):
    c = passive_pair
    c.set("gj.g", g)
    c.stimulate("a", nt.Step(amplitude=-1e-3, start=20.0, stop=1e9))
    res = nt.simulate(c, 220.0, 0.02)
    base = res.t < 20.0
    dva = res.v["a"][-1] - res.v["a"][base].mean()
    dvb = res.v["b"][-1] - res.v["b"][base].mean()
    gl = 0.1 * 7.854e-3  # mS: gl (mS/cm²) × area (cm²)
    assert dvb / dva == pytest.approx(g / (gl + g), abs=1e-4)


def _final(res, cells=("a", "b"), states=("v", "m", "h", "n")):
    return np.array([res.state[c][s][-1] for c in cells for s in states])


@pytest.mark.parametrize(
    "method, dts, order",
    [
        ("euler", (0.01, 0.005, 0.0025), 1),
        ("expeuler", (0.01, 0.005, 0.0025), 1),
        ("rk4", (0.04, 0.02, 0.01), 4),
        ("rk6", (0.04, 0.02, 0.01), 6),
    ],
)
def test_convergence_order_on_a_smooth_coupled_problem(method, dts, order):
    """HH pair, gap junction, sinusoidal drive: the error at t = 8 ms against a
    fine RK6 solution falls as dt^order."""
    c = nt.Circuit()
    c.add("a", nt.HH(v0=-70.0))
    c.add("b", nt.HH(v0=-60.0))
    c.connect("a", "b", nt.GapJunction(g=0.002), name="gj")
    c.stimulate("a", nt.Sine(amplitude=0.02, frequency=100.0))
    reference = _final(nt.simulate(c, 8.0, 0.002, method="rk6"))
    errors = [
        np.max(np.abs(_final(nt.simulate(c, 8.0, dt, method=method)) - reference)) for dt in dts
    ]
    measured = np.log2(errors[-2] / errors[-1])
    assert measured == pytest.approx(order, abs=0.25), errors


def test_chemical_synapse_is_integrated_with_the_cells():
    """RK4 stays fourth order when the coupling is a continuously gated synapse (a
    sine-driven presynaptic membrane near 0 mV keeps the gate moving): the synapse
    is evaluated at every stage, not stepped separately (which would make it first order)."""
    c = nt.Circuit()
    c.add("a", nt.Passive(el=-10.0, v0=-10.0, gl=1.0))
    c.add("b", nt.RTM(v0=-70.0))
    c.connect("a", "b", nt.ContinuousSynapse(g=0.05), name="syn")
    c.stimulate("a", nt.Sine(amplitude=0.2, frequency=200.0))

    def final(res):
        return np.array([res.state["b"]["v"][-1], res.state["syn"]["s"][-1]])

    reference = final(nt.simulate(c, 5.0, 0.0005, method="rk6"))
    errors = [
        np.max(np.abs(final(nt.simulate(c, 5.0, dt)) - reference)) for dt in (0.04, 0.02, 0.01)
    ]
    assert -np.diff(np.log2(errors)) == pytest.approx([4, 4], abs=0.5), errors


def test_hh_pair_matches_a_tight_scipy_solution(hh_pair):
    res = nt.simulate(hh_pair, 50.0, 0.001)
    y0 = np.array([-75.0, *hh_steady(-75.0), -65.0, *hh_steady(-65.0)])
    sol = solve(hh_pair_rhs(0.002, (0.1, 0.08)), y0, 50.0, res.t[::50])
    assert np.max(np.abs(sol.y[0] - res.v["a"][::50])) < 1e-6
    assert np.max(np.abs(sol.y[4] - res.v["b"][::50])) < 1e-6
    fine = np.linspace(0, 50.0, 500_001)
    v_ref = sol.sol(fine)[0]
    np.testing.assert_allclose(res.spikes["a"], upward_crossings(fine, v_ref), atol=1e-5)


def test_hh_rests_at_its_analytic_resting_potential():
    def current(v):
        m, h, n = hh_steady(v)
        return (
            HH["gna"] * m**3 * h * (v - HH["ena"])
            + HH["gk"] * n**4 * (v - HH["ek"])
            + HH["gl"] * (v - HH["el"])
        )

    v_rest = brentq(current, -80.0, -50.0, xtol=1e-12)
    c = nt.Circuit()
    c.add("a", nt.HH(v0=-80.0))
    c.stimulate("a", nt.Constant(amplitude=0.5))  # removed while finding rest
    res = nt.simulate(c, 1.0, 0.01, init="rest")
    assert res.v["a"][0] == pytest.approx(v_rest, abs=1e-7)
    assert res.state["a"]["m"][0] == pytest.approx(hh_steady(v_rest)[0], abs=1e-9)
    assert v_rest == pytest.approx(-65.0, abs=0.01)


def test_hh_fires_repetitively_under_a_step():
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.stimulate("a", nt.Step(amplitude=0.1, start=10.0, stop=60.0))
    res = nt.simulate(c, 80.0, 0.005)
    spikes = res.spikes["a"]
    assert len(spikes) >= 3 and spikes[0] > 10.0 and spikes[-1] < 65.0
    assert np.all(np.diff(spikes) > 10.0)  # a regular train, period ~ 14-16 ms
    assert res.v["a"].max() > 30.0 and res.v["a"][res.t < 10].max() < -64.0


def test_gap_junction_currents_are_equal_and_opposite(hh_pair):
    res = nt.simulate(hh_pair, 30.0, 0.01)
    into_b, into_a = res.current["gj"], res.state["gj"]["I_pre"]
    np.testing.assert_array_equal(into_a, -into_b)
    np.testing.assert_allclose(into_b, 0.002 * (res.v["a"] - res.v["b"]), rtol=1e-12, atol=1e-15)


def test_explicit_initial_values_are_parameters(hh_pair):
    hh_pair.set("a.m0", 0.2)
    hh_pair.set("b.v0", -60.0)
    res = nt.simulate(hh_pair, 1.0, 0.01)
    assert res.state["a"]["m"][0] == 0.2
    assert res.v["b"][0] == -60.0
    assert res.state["b"]["m"][0] == pytest.approx(hh_steady(-60.0)[0], rel=1e-12)


def test_float32_really_computes_in_float32(hh_pair, tmp_path, monkeypatch):
    # a private cache directory: numba cannot show the IR of code loaded from its cache
    monkeypatch.setenv("NEUNTUNE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("neuntune.engine.run._MEMORY", {})
    for name in [m for m in sys.modules if m.startswith("neuntune_kernels.")]:
        monkeypatch.delitem(sys.modules, name)
    for batch in ({"gj.g": [0.001]}, {"gj.g": [0.001, 0.002, 0.003, 0.004]}):
        nt.simulate_batch(hh_pair, batch, 1.0, 0.01, precision="float32")
    kernel = compile_circuit(hh_pair, "rk4", "float32").module.kernel
    ir = kernel.inspect_llvm(kernel.signatures[0])
    double_ops = re.findall(
        r"= (?:[\w ]*?)(fadd|fsub|fmul|fdiv|fcmp)(?: \w+)* (?:double|<\d+ x double>)", ir
    )
    float_ops = re.findall(
        r"= (?:[\w ]*?)(fadd|fsub|fmul|fdiv)(?: \w+)* (?:float|<\d+ x float>)", ir
    )
    assert double_ops == [] and len(float_ops) > 100


def test_float32_stays_close_to_float64(hh_pair):
    """Where float32 differs, and by how much.  Rounding (ε = 6e-8 per operation) shifts
    each spike by < 2e-3 ms over 100 ms: measured 2.8e-4 to 8.7e-4 ms as v0 moves by
    1e-5 mV (how the rounding falls decides it, not a bias).  Away from spikes
    (|dv/dt| < 1 mV/ms, which includes their peaks) the traces agree to 2e-2 mV
    (measured ≤ 7.6e-3).  Near a spike the two traces are the same upstroke shifted in
    time, so they differ by at most the steepest slope times the largest spike shift:
    that bound, not a fixed number, is asserted."""
    r64 = nt.simulate(hh_pair, 100.0, 0.001)
    r32 = nt.simulate(hh_pair, 100.0, 0.001, precision="float32")
    assert r32.v["a"].dtype == np.float32
    for cell in ("a", "b"):
        assert len(r32.spikes[cell]) == len(r64.spikes[cell]) == 8
        shift = np.max(np.abs(r32.spikes[cell] - r64.spikes[cell]))
        assert shift < 2e-3  # ms
        slope = np.abs(np.gradient(r64.v[cell], r64.t))  # mV/ms
        dv = np.abs(r32.v[cell].astype(np.float64) - r64.v[cell])
        assert dv[slope < 1.0].max() < 2e-2  # mV, between spikes
        assert dv.max() <= slope.max() * shift, (cell, dv.max(), slope.max(), shift)


@pytest.mark.parametrize("celsius", [6.3, 16.3, 25.0])
def test_temperature_scales_the_gates_by_q10(celsius):
    """Under an ideal clamp at −20 mV the potassium gate relaxes exponentially with
    rate φ(αn + βn), φ = 3^((celsius − 6.3)/10): NEURON's hh convention."""
    c = nt.Circuit()
    c.add("a", nt.HH(celsius=celsius, v0=-70.0))  # gates at rest at the holding level
    c.stimulate("a", nt.VoltageClamp(holding=-70.0, level=-20.0, start=1.0, stop=1e9))
    res = nt.simulate(c, 6.0, 0.001, record=["a.n"])
    _, _, _, _, an, bn = hh_rates(-20.0)
    phi = 3.0 ** ((celsius - 6.3) / 10)
    n0 = hh_steady(-70.0)[2]
    n_inf = an / (an + bn)
    t = res.t[res.t >= 1.0] - 1.0
    expected = n_inf + (n0 - n_inf) * np.exp(-phi * (an + bn) * t)
    np.testing.assert_allclose(res.state["a"]["n"][res.t >= 1.0], expected, atol=1e-9)
