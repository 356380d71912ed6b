"""neun_py's API as neuntune.compat provides it: names, enumerations, state and
parameter access, input handling, synapse semantics, warnings and the docs'
snippets that only build objects.
"""

import math
import warnings

import numpy as np
import pytest
from reference import hh_steady

import neuntune.compat.neun_py as neun_py
from neuntune.compat import _warn

V = neun_py.HHDoubleVariable
P = neun_py.HHDoubleParameter
MODELS = ("HH", "HR", "Iz")
PRECISIONS = ("Double", "Float")
INTEGRATORS = ("RK4", "RK6")


@pytest.fixture
def fresh_warnings():
    """Forget which one-time warnings were emitted, and record the next ones."""
    _warn._warned.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    _warn._warned.clear()


def sign_warnings(caught) -> list:
    return [w for w in caught if issubclass(w.category, neun_py.NeunSignWarning)]


# ---------------------------------------------------------------------- naming
def test_every_neuron_class_enum_and_args_exists_in_neun_order():
    for model in MODELS:
        for precision in PRECISIONS:
            for suffix in ("ConstructorArgs", "Parameter", "Variable"):
                assert hasattr(neun_py, f"{model}{precision}{suffix}")
            for integrator in INTEGRATORS:
                cls = getattr(neun_py, f"{model}{precision}{integrator}")
                assert cls.__module__ == "neuntune.compat.neun_py"
    # Neun's enum order (models/*.h): the index is what Neun's arrays use
    assert [m.name for m in neun_py.HHDoubleVariable] == ["v", "h", "m", "n"]
    assert [m.name for m in neun_py.HHFloatParameter] == [
        "cm", "vna", "vk", "vl", "gna", "gk", "gl"
    ]  # fmt: skip
    assert [m.name for m in neun_py.HRDoubleParameter] == [
        "e", "mu", "S", "a", "b", "c", "d", "xr", "vh"
    ]  # fmt: skip
    assert [m.name for m in neun_py.IzDoubleVariable] == ["v", "u"]
    assert [m.name for m in neun_py.IzDoubleParameter] == ["a", "b", "c", "d", "threshold"]
    assert len(neun_py.get_available_neurons()) == 12


def test_every_synapse_pair_exists_with_its_enums():
    names = neun_py.get_available_synapses()
    assert len(names) == 2 * 3 * 3 * 2 * 2
    for kind in ("ESyn", "DSyn"):
        for a in MODELS:
            for b in MODELS:
                for precision in PRECISIONS:
                    for integrator in INTEGRATORS:
                        assert f"{kind}{a}{b}{precision}{integrator}" in names
        for precision in PRECISIONS:
            assert hasattr(neun_py, f"{kind}{precision}Variable")
            assert hasattr(neun_py, f"{kind}{precision}Parameter")
    assert [m.name for m in neun_py.ESynDoubleParameter] == ["g1", "g2"]
    assert [m.name for m in neun_py.DSynFloatParameter] == [
        "alpha", "beta", "threshold", "esyn", "gsyn", "T", "max_release_time"
    ]  # fmt: skip
    assert hasattr(neun_py, "DSynDoubleConstructorArgs")


def test_model_info_lists_variables_and_parameters():
    info = neun_py.get_model_info("HR")
    assert info["class_name"] == "HindmarshRoseModel"
    assert [v["name"] for v in info["variables"]] == ["x", "y", "z"]
    assert neun_py.get_model_info("nope") == {}


# ------------------------------------------------------------- docs' snippets
def test_docs_hh_snippet():
    neuron_args = neun_py.HHDoubleConstructorArgs()
    neuron = neun_py.HHDoubleRK4(neuron_args)
    neuron.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.vna, 50)
    neuron.set_param(neun_py.HHDoubleParameter.vk, -77)
    neuron.set_param(neun_py.HHDoubleParameter.vl, -54.387)
    neuron.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)
    neuron.set(neun_py.HHDoubleVariable.v, -65)
    neuron.set(neun_py.HHDoubleVariable.m, 0.05)
    neuron.set(neun_py.HHDoubleVariable.h, 0.6)
    neuron.set(neun_py.HHDoubleVariable.n, 0.3)
    assert neuron.get_param(neun_py.HHDoubleParameter.gna) == 120 * 7.854e-3
    assert neuron.variables() == {"v": -65.0, "h": 0.6, "m": 0.05, "n": 0.3}


def test_docs_hr_snippet_and_naming_examples():
    neuron_args = neun_py.HRDoubleConstructorArgs()
    neuron = neun_py.HRDoubleRK4(neuron_args)
    neuron.set_param(neun_py.HRDoubleParameter.e, 3.0)
    neuron.set_param(neun_py.HRDoubleParameter.mu, 0.001)
    neuron.set_param(neun_py.HRDoubleParameter.S, 4.0)
    neuron.set(neun_py.HRDoubleVariable.x, -1.5)
    neuron.set(neun_py.HRDoubleVariable.y, 0.0)
    neuron.set(neun_py.HRDoubleVariable.z, 0.0)
    neuron.step(0.01)
    assert neuron.get(neun_py.HRDoubleVariable.x) != -1.5
    for name in ("HHDoubleRK4", "HRFloatRK6", "HHDoubleRK6"):
        assert getattr(neun_py, name)().step(0.01) is None
    hh, hr = neun_py.HHFloatRK4(), neun_py.HRFloatRK4()
    neun_py.ESynHHHRFloatRK4(hh, neun_py.HHFloatVariable.v, hr, neun_py.HRFloatVariable.x, 0.1, 0)


def test_docs_dsyn_snippet_constructs(fresh_warnings):
    neuron_args = neun_py.HHDoubleConstructorArgs()
    h1 = neun_py.HHDoubleRK4(neuron_args)
    h2 = neun_py.HHDoubleRK4(neuron_args)
    synapse = neun_py.DSynHHHHDoubleRK4(
        h1, neun_py.HHDoubleVariable.v, h2, neun_py.HHDoubleVariable.v
    )
    assert synapse.get(neun_py.DSynDoubleVariable.r) == 0.0
    # Neun's full signature: (n1, v1, n2, v2, ConstructorArgs, steps)
    args = neun_py.DSynDoubleConstructorArgs()
    args.params[neun_py.DSynDoubleParameter.gsyn] = -0.003
    other = neun_py.DSynHHHHDoubleRK4(
        h1, neun_py.HHDoubleVariable.v, h2, neun_py.HHDoubleVariable.v, args, 2
    )
    assert other.get_param(neun_py.DSynDoubleParameter.gsyn) == -0.003 and other.steps == 2


# ------------------------------------------------------------ state and params
def test_defaults_are_initialised_with_gates_at_steady_state():
    hh = neun_py.HHDoubleRK4()
    m, h, n = hh_steady(-65.0)
    assert hh.variables() == pytest.approx({"v": -65.0, "h": h, "m": m, "n": n}, rel=1e-12)
    assert hh.get_param(P.gl) == pytest.approx(0.3 * 7.854e-3)
    hr = neun_py.HRDoubleRK4()
    assert hr.parameters() == {
        "e": 3.0, "mu": 0.001, "S": 4.0, "a": 1.0, "b": 3.0, "c": 1.0, "d": 5.0, "xr": -1.6,
        "vh": 1.0,
    }  # fmt: skip
    iz = neun_py.IzDoubleRK4()
    assert iz.variables() == {"v": -65.0, "u": -13.0}  # u = b·v


def test_states_not_set_follow_v_until_the_first_step():
    hh = neun_py.HHDoubleRK4()
    hh.set(V.v, -75)
    m = hh_steady(-75.0)[0]
    assert hh.get(V.m) == pytest.approx(m, rel=1e-12) and hh.following() == ("h", "m", "n")
    hh.set(V.m, 0.05)
    hh.set(V.v, -60)
    assert hh.get(V.m) == 0.05 and hh.get(V.h) == pytest.approx(hh_steady(-60.0)[1], rel=1e-12)
    hh.step(0.01)
    before = hh.get(V.h)
    hh.set(V.v, -70)  # after a step the state is dynamical: nothing follows
    assert hh.get(V.h) == before and hh.following() == ()
    iz = neun_py.IzDoubleRK4()
    iz.set_param(neun_py.IzDoubleParameter.b, 0.25)
    assert iz.get(neun_py.IzDoubleVariable.u) == -16.25


def test_hh_rates_take_their_limit_where_neun_divides_zero_by_zero():
    for v, gate in ((-40.0, V.m), (-55.0, V.n)):
        hh = neun_py.HHDoubleRK4()
        hh.set(V.v, v)
        assert math.isfinite(hh.get(gate))
        assert hh.get(gate) == pytest.approx(hh_steady(v)[0 if gate == V.m else 2], rel=1e-12)
        hh.step(0.01)
        assert all(math.isfinite(x) for x in hh.variables().values())


def test_constructor_args_carry_parameters():
    args = neun_py.HHDoubleConstructorArgs()
    args.params[P.gna] = 0.5
    assert neun_py.HHDoubleRK6(args).get_param(P.gna) == 0.5
    assert neun_py.HHDoubleRK4().get_param(P.gna) == pytest.approx(120 * 7.854e-3)
    with pytest.raises(TypeError, match="HHDoubleConstructorArgs"):
        neun_py.HHDoubleRK4(neun_py.HRDoubleConstructorArgs())


def test_enumerations_are_checked_by_kind_and_model():
    hh = neun_py.HHDoubleRK4()
    with pytest.raises(TypeError, match="gna is a HHDoubleParameter member"):
        hh.get(P.gna)
    with pytest.raises(TypeError, match="expected a HHDoubleParameter"):
        hh.set_param(V.v, 1.0)
    with pytest.raises(TypeError, match="expected a HHDoubleVariable"):
        hh.set(neun_py.HHFloatVariable.v, -70)
    with pytest.raises(TypeError, match="expected a HHDoubleVariable"):
        hh.get(0)


def test_float_classes_store_and_return_float32_values():
    hh = neun_py.HHFloatRK4()
    hh.set_param(neun_py.HHFloatParameter.gna, 0.1)
    value = hh.get_param(neun_py.HHFloatParameter.gna)
    assert type(value) is float and value == float(np.float32(0.1)) != 0.1
    hh.step(0.01)
    v = hh.get(neun_py.HHFloatVariable.v)
    assert type(v) is float and float(np.float32(v)) == v


# ----------------------------------------------------------------------- input
def test_inputs_add_up_are_held_for_one_step_and_cleared():
    a, b, c = (neun_py.HHDoubleRK4() for _ in range(3))
    a.add_synaptic_input(0.04)
    a.add_synaptic_input(0.06)
    assert a.get_synaptic_input() == pytest.approx(0.1)
    b.add_synaptic_input(0.1)
    for cell in (a, b, c):
        cell.step(0.05)
    assert a.get_synaptic_input() == 0.0
    assert a.variables() == pytest.approx(b.variables(), rel=1e-15)
    assert a.get(V.v) > c.get(V.v)  # the input depolarised
    a.step(0.05)  # no input now: a and c evolve by the same law
    c.step(0.05)
    assert a.get(V.v) - c.get(V.v) < 0.5 * (b.get(V.v) - c.get(V.v)) + 1


def test_izhikevich_resets_after_the_step_that_reaches_threshold():
    iz = neun_py.IzDoubleRK4()
    Iv = neun_py.IzDoubleVariable
    iz.set(Iv.v, 29.9)
    u = iz.get(Iv.u)
    iz.step(0.1)  # dv/dt ≈ 0.04·894 + 149.5 + 140 − u: past 30 within the step
    assert iz.get(Iv.v) == -65.0 and iz.get(Iv.u) > u + 7.9


# -------------------------------------------------------------------- synapses
def test_esyn_adds_neuns_currents_from_the_states_at_the_start_of_the_step():
    h1, h2 = neun_py.HHDoubleRK4(), neun_py.HHDoubleRK4()
    h1.set(V.v, -75)
    s = neun_py.ESynHHHHDoubleRK4(h1, V.v, h2, V.v, 0.002, 0.003)
    s.step(0.01)
    i1, i2 = 0.002 * (-65 - -75), 0.003 * (-75 - -65)  # g1·(V2 − V1), g2·(V1 − V2)
    E = neun_py.ESynDoubleVariable
    assert (s.get(E.i1), s.get(E.i2)) == pytest.approx((i1, i2), rel=1e-15)
    assert h1.get_synaptic_input() == pytest.approx(i1) and s.get_synaptic_current() == s.get(E.i2)
    h1.step(0.01)  # the neurons hold that current through their own step
    reference = neun_py.HHDoubleRK4()
    reference.set(V.v, -75)
    reference.add_synaptic_input(i1)
    reference.step(0.01)
    assert h1.variables() == reference.variables()
    assert s.get_param(neun_py.ESynDoubleParameter.g2) == 0.003


def test_esyn_checks_its_cells():
    hh, hr = neun_py.HHDoubleRK4(), neun_py.HRDoubleRK4()
    with pytest.raises(TypeError, match="second cell must be a HHDoubleRK4"):
        neun_py.ESynHHHHDoubleRK4(hh, V.v, hr, neun_py.HRDoubleVariable.x, 1, 1)
    with pytest.raises(TypeError, match="HRDoubleVariable"):
        neun_py.ESynHHHRDoubleRK4(hh, V.v, hr, V.v, 1, 1)
    with pytest.raises(TypeError, match="first cell must be a HHDoubleRK4"):
        neun_py.ESynHHHHDoubleRK4(neun_py.HHDoubleRK6(), V.v, hh, V.v, 1, 1)


def test_dsyn_releases_on_an_upward_crossing_for_max_release_time(fresh_warnings):
    pre, post = neun_py.HHDoubleRK4(), neun_py.HHDoubleRK4()
    s = neun_py.DSynHHHHDoubleRK4(pre, V.v, post, V.v)
    D, Dp = neun_py.DSynDoubleVariable, neun_py.DSynDoubleParameter
    alpha, beta, gsyn = (s.get_param(p) for p in (Dp.alpha, Dp.beta, Dp.gsyn))
    h = 0.01
    s.step(h)  # the first step only records the presynaptic value
    assert s.get(D.r) == 0.0
    pre.set(V.v, 10.0)  # an upward crossing of 0 mV
    s.step(h)
    assert s.get(D.r) == pytest.approx(alpha * h, rel=0.02)  # dr/dt = alpha·T at r = 0
    for _ in range(200):  # 2 ms more: the release (1 ms) ends, r decays with beta
        s.step(h)
    r = s.get(D.r)
    s.step(h)
    assert s.get(D.r) == pytest.approx(r * math.exp(-beta * h), rel=1e-9)
    # i = gsyn·r·(V_post − esyn), added to the second cell: excitatory for gsyn < 0
    assert s.get_synaptic_current() == pytest.approx(gsyn * s.get(D.r) * (-65.0 - 0.0))
    assert s.get_synaptic_current() > 0 and post.get_synaptic_input() > 0


# -------------------------------------------------------------------- warnings
def test_sign_warnings_fire_once_each(fresh_warnings):
    h1, h2 = neun_py.HHDoubleRK4(), neun_py.HHDoubleRK4()
    neun_py.ESynHHHHDoubleRK4(h1, V.v, h2, V.v, 0.002, 0.002)
    assert sign_warnings(fresh_warnings) == []  # an ordinary gap junction says nothing
    for _ in range(3):
        neun_py.ESynHHHHDoubleRK4(h1, V.v, h2, V.v, -0.002, -0.002)
        neun_py.DSynHHHHDoubleRK4(h1, V.v, h2, V.v)
    messages = [str(w.message) for w in sign_warnings(fresh_warnings)]
    assert len(messages) == 2
    assert "positive g" in messages[0] and "pushes the two voltages apart" in messages[0]
    assert "I = g·r·(E − V) with g ≥ 0" in messages[1]
    assert all(w.filename == __file__ for w in sign_warnings(fresh_warnings))


def test_a_blow_up_warns_once_and_carries_on(fresh_warnings):
    hh = neun_py.HHDoubleRK4()
    hh.set_param(P.cm, 1e-9)  # a membrane time constant far below the step: unstable
    hh.add_synaptic_input(1.0)
    for _ in range(3):
        hh.step(0.01)
    runtime = [w for w in fresh_warnings if issubclass(w.category, RuntimeWarning)]
    assert len(runtime) == 1 and "NaN or infinite" in str(runtime[0].message)
    assert math.isnan(hh.get(V.v))
