"""Model declarations: validation at declaration time, values, registry, user models."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.models.equations import EquationError
from neuntune.presets.document import element_to_json


def test_defaults_are_neuns_standard_set():
    hh = nt.HH()
    assert (hh.get("cm"), hh.get("gna"), hh.get("gk"), hh.get("gl")) == (1.0, 120.0, 36.0, 0.3)
    assert (hh.get("ena"), hh.get("ek"), hh.get("el"), hh.get("area")) == (
        50.0,
        -77.0,
        -54.387,
        7.854e-3,
    )
    assert hh.get("v0") == -65.0 and hh.get("m0") is None  # gates: steady state at v0


def test_rtm_defaults_are_the_brian2_example():
    rtm = nt.RTM()
    values = {k: rtm.get(k) for k in ("cm", "gna", "gk", "gl", "ena", "ek", "el", "area")}
    assert values == dict(
        cm=1.0, gna=100.0, gk=80.0, gl=0.1, ena=50.0, ek=-100.0, el=-67.0, area=1.0
    )
    syn = nt.ContinuousSynapse()
    assert [syn.get(k) for k in ("g", "weight", "tau_r", "tau_d", "E")] == [
        1.0,
        0.25,
        0.2,
        2.0,
        0.0,
    ]


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"cm": -1.0}, ValueError, r"HH.cm: value -1 uF/cm2 is out of range; allowed: > 0"),
        ({"cm": 0.0}, ValueError, "> 0"),
        ({"gna": float("nan")}, ValueError, "not finite"),
        ({"gna": "120"}, TypeError, "expected a number in mS/cm2, got str"),
        ({"gna": True}, TypeError, "got bool"),
        ({"v0": None}, TypeError, "a number is required"),
        ({"bogus": 1.0}, KeyError, "unknown parameter 'bogus'"),
    ],
)
def test_bad_values_name_the_parameter_the_value_and_the_range(kwargs, error, text):
    with pytest.raises(error, match=text):
        nt.HH(**kwargs)


def test_gap_junction_refuses_negative_conductance():
    with pytest.raises(ValueError, match="≥ 0"):
        nt.GapJunction(g=-0.002)


def test_registry_lists_models_by_kind():
    assert {"HH", "RTM", "Passive", "SpikeSource"} <= set(nt.registered("neuron"))
    assert {"GapJunction", "ContinuousSynapse"} <= set(nt.registered("synapse"))
    assert nt.model_class("Step") is nt.Step
    with pytest.raises(KeyError, match="unknown neuron 'Step'"):
        nt.model_class("Step", "neuron")


def test_a_bad_declaration_fails_when_the_class_is_defined():
    with pytest.raises(EquationError, match="unknown names"):

        class Broken(nt.Neuron):
            parameters = {"a": nt.Parameter(1.0, "1", "a")}
            states = {"v": nt.State(0.0, "mV", "v")}
            equations = "dv/dt = a*undefined"

    with pytest.raises(EquationError, match="must define"):

        class NoCurrent(nt.Synapse):
            equations = "x = 1"

    with pytest.raises(EquationError, match="no dynamics"):

        class Stuck(nt.Neuron):
            states = {"v": nt.State(0.0, "mV", "v"), "w": nt.State(0.0, "1", "w")}
            equations = "dv/dt = -v"


def test_register_refuses_a_second_class_with_the_same_name():
    class HH(nt.Neuron):
        states = {"v": nt.State(0.0, "mV", "v")}
        equations = "dv/dt = -v"

    with pytest.raises(ValueError, match="already registered"):
        nt.register(HH)


def test_user_model_runs_like_a_built_in():
    class Leaky(nt.Neuron):
        """dv/dt = (I_in/C - v/tau): a user's own model."""

        parameters = {
            "tau": nt.Parameter(10.0, "ms", "time constant", minimum=0, exclusive_minimum=True),
            "C": nt.Parameter(1.0, "uF", "capacitance", minimum=0, exclusive_minimum=True),
        }
        states = {"v": nt.State(0.0, "mV", "voltage")}
        equations = "dv/dt = I_in/C - v/tau"

    c = nt.Circuit()
    c.add("x", Leaky(tau=5.0))
    c.stimulate("x", nt.Constant(amplitude=2.0))
    res = nt.simulate(c, 20.0, 0.01)
    expected = 2.0 * 5.0 * (1 - np.exp(-res.t / 5.0))  # I*tau/C (1 - e^(-t/tau))
    assert np.max(np.abs(res.v["x"] - expected)) < 1e-9


def test_copy_and_equality():
    a = nt.HH(gna=100.0)
    b = a.copy()
    assert a == b
    b.set("gna", 90.0)
    assert a != b and a.get("gna") == 100.0
    assert "gna=100.0" in repr(a)


GATES = [
    *((model, gate) for model in (nt.HH, nt.RTM, nt.TraubMilesCOBA) for gate in ("m0", "h0", "n0")),
    (nt.WangBuzsaki, "h0"),
    (nt.WangBuzsaki, "n0"),
]


@pytest.mark.parametrize(("model", "gate"), GATES)
def test_gate_initial_values_lie_between_0_and_1(model, gate):
    c = nt.Circuit()
    c.add("a", model())
    for bad in (-3.0, 1.5):
        with pytest.raises(ValueError, match=rf"a\.{gate}: value {bad:g} is out of range; "
                           r"allowed: ≥ 0 and ≤ 1 \(or None\)"):  # fmt: skip
            c.set(f"a.{gate}", bad)
        assert c.get(f"a.{gate}") is None  # unchanged: still the steady state
    for good in (0.0, 0.3, 1.0, None):
        c.set(f"a.{gate}", good)
        assert c.get(f"a.{gate}") == good


def test_a_step_that_stops_before_it_starts_is_refused():
    with pytest.raises(ValueError, match=r"^Step: the step would stop \(stop = 10 ms\) before it "
                       r"starts \(start = 50 ms\)"):  # fmt: skip
        nt.Step(start=50.0, stop=10.0)
    # the constructor checks the relation once every value is in: order does not matter
    assert nt.Step(start=200.0, stop=300.0).get("start") == 200.0
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.stimulate("a", nt.Step(start=10.0, stop=20.0), name="s")
    with pytest.raises(ValueError, match=r"^s\.start: .*stop = 20 ms.*start = 50 ms"):
        c.set("s.start", 50.0)
    with pytest.raises(ValueError, match=r"^s\.stop: .*stop = 5 ms.*start = 10 ms"):
        c.set("s.stop", 5.0)
    assert (c.get("s.start"), c.get("s.stop")) == (10.0, 20.0)  # a refused value is not kept
    c.set("s.stop", 10.0)  # a step of length zero is allowed (it injects nothing)


def test_an_izhikevich_reset_at_or_above_the_peak_is_refused():
    for values in ({"c": 40.0}, {"c": 30.0}, {"c": -60.0, "v_peak": -70.0}):
        with pytest.raises(ValueError, match=r"^Izhikevich: the reset voltage c = .* must lie "
                           r"below v_peak"):  # fmt: skip
            nt.Izhikevich(**values)
    c = nt.Circuit()
    c.add("a", nt.Izhikevich())
    with pytest.raises(ValueError, match=r"^a\.c: the reset voltage c = 35 mV .* v_peak = 30 mV"):
        c.set("a.c", 35.0)
    with pytest.raises(ValueError, match=r"^a\.v_peak: .*c = -65 mV .* v_peak = -70 mV"):
        c.set("a.v_peak", -70.0)
    assert c.get("a.c") == -65.0 and c.get("a.v_peak") == 30.0


def test_a_preset_with_related_values_out_of_order_names_the_element():
    doc = {
        "schema": 1,
        "metadata": {"name": "bad step"},
        "neurons": [{"name": "a", **element_to_json(nt.Passive())}],
        "stimuli": [{"name": "s", "target": "a", **element_to_json(nt.Step())}],
    }
    doc["stimuli"][0]["parameters"].update(
        start={"value": 50, "unit": "ms"}, stop={"value": 10, "unit": "ms"}
    )
    with pytest.raises(nt.PresetError, match=r"^\$\.stimuli\[0\]\.parameters: Step: the step "):
        nt.presets.from_dict(doc)


@pytest.mark.parametrize(
    "values, shown",
    [(["0.001"], "str '0.001'"), ("0.001", "str '0.001'"), ([True], "bool True"),
     ([0.001, None], "NoneType None")],
)  # fmt: skip
def test_batch_values_must_be_numbers(values, shown):
    parameter = nt.GapJunction.parameter_table()["g"]
    with pytest.raises(TypeError, match=rf"^gj\.g: expected numbers in mS, got {shown}$"):
        parameter.validate_array("gj.g", values)
    assert parameter.validate_array("gj.g", [1, 0.5]).tolist() == [1.0, 0.5]


def test_simulate_batch_refuses_a_string_as_c_set_does():
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.add("b", nt.Passive())
    c.connect("a", "b", nt.GapJunction(), name="gj")
    with pytest.raises(TypeError, match=r"gj\.g: expected a number in mS, got str"):
        c.set("gj.g", "0.001")
    with pytest.raises(TypeError, match=r"gj\.g: expected numbers in mS, got str '0\.001'"):
        nt.simulate_batch(c, {"gj.g": "0.001"}, 1.0)


def test_every_registered_model_is_reachable_by_name_without_an_export_list():
    """Models are discovered from their files: each registered one is nt.<Name> and in
    nt.__all__, and its package lists exactly the models registered from its files."""
    import importlib

    from neuntune.models.registry import _REGISTRY

    for name, cls in _REGISTRY.items():
        if cls.__module__.startswith("neuntune."):
            assert getattr(nt, name) is cls and name in nt.__all__, name
    for package in ("neurons", "synapses", "stimuli", "plasticity"):
        module = importlib.import_module(f"neuntune.models.{package}")
        own = {n for n, c in _REGISTRY.items() if c.__module__.startswith(module.__name__ + ".")}
        assert set(module.__all__) - {"EventSynapse"} == own, package
