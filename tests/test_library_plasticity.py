"""Attaching short-term plasticity to a synapse, and named parameter sets: the API
the circuit, presets and the dashboard rely on (no simulation here; the release
sequences are checked in test_library_synapses.py)."""

import pytest

import neuntune as nt
import neuntune.models as nm


def circuit(synapse: nt.Synapse) -> nt.Circuit:
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.add("b", nt.HH())
    c.connect("a", "b", synapse, name="syn")
    return c


def test_plasticity_parameters_have_flat_paths():
    rule = nm.TsodyksMarkram(Use=0.5)
    c = circuit(nm.ExpSynapse(tau=2.0, plasticity=rule))
    assert c.get("syn.Use") == 0.5 and c.get("syn.tau") == 2.0
    c.set("syn.Dep", 250.0)
    assert rule.get("Dep") == 250.0  # the attached object itself holds the value
    assert {"syn.Use", "syn.Dep", "syn.Fac", "syn.u0", "syn.R0"} <= set(c.parameters())
    with pytest.raises(ValueError, match=r"syn.Use: value 2 is out of range; allowed: ≥ 0 and ≤ 1"):
        c.set("syn.Use", 2.0)
    values = c.element("syn").values  # what the engine copies into its arrays
    assert values["Use"] == 0.5 and values["tau"] == 2.0


def test_attaching_changes_the_structure_and_detaching_restores_it():
    syn = nm.ExpSynapse()
    c = circuit(syn)
    plain = c.structure()
    syn.plasticity = nm.TsodyksMarkram()
    attached = c.structure()
    assert attached != plain
    c.set("syn.Use", 0.3)
    assert c.structure() == attached  # values never change the structure
    syn.plasticity = None
    assert c.structure() == plain and "syn.Use" not in set(c.parameters())


def test_the_rule_runs_first_and_its_release_is_logged():
    d = nm.ExpSynapse(plasticity=nm.TsodyksMarkram()).resolved()
    targets = [s.target for s in d.on_pre]
    assert targets.index("release") < targets.index("s")
    assert d.logged == ("release",) and {"u", "R", "t_last", "s"} <= set(d.states)


def test_copy_equality_and_repr_include_the_rule():
    syn = nm.Exp2Synapse(plasticity=nm.TsodyksMarkram(Use=0.4))
    twin = syn.copy()
    assert twin == syn and twin.plasticity is not syn.plasticity
    twin.set("Use", 0.6)
    assert syn.get("Use") == 0.4 and twin != syn
    assert twin != nm.Exp2Synapse()
    assert repr(syn) == "Exp2Synapse(plasticity=TsodyksMarkram(Use=0.4))"
    c = circuit(syn)
    assert c.copy().element("syn") == syn


def test_a_preset_layer_can_take_it_apart_and_rebuild_it():
    syn = nm.AlphaSynapse(form="brainpy", tau=3.0, plasticity=nm.TsodyksMarkram(Fac=50.0))
    rule = syn.plasticity
    assert "Use" not in syn.own_values and syn.own_values["tau"] == 3.0
    cls = nm.model_class(type(syn).__name__, "synapse")
    rule_cls = nm.model_class(type(rule).__name__, "plasticity")
    rebuilt = cls(
        **syn.option_values,
        **syn.own_values,
        plasticity=rule_cls(**rule.option_values, **rule.values),
    )
    assert rebuilt == syn and rebuilt.resolved().key == syn.resolved().key


def test_attachment_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="needs an event-driven synapse"):
        nt.GapJunction(plasticity=nm.TsodyksMarkram())
    with pytest.raises(TypeError, match="expected a Plasticity"):
        nm.ExpSynapse(plasticity=nm.ExpSynapse())
    with pytest.raises(ValueError, match="sets release itself"):
        nm.GABA_A_STP(plasticity=nm.TsodyksMarkram())
    with pytest.raises(KeyError, match="unknown parameter 'Use'"):
        nm.ExpSynapse(Use=0.5)  # plasticity values belong to the rule


def test_a_user_rule_attaches_like_the_built_in():
    class Halving(nt.Plasticity):
        """Each event releases half of what the previous one did."""

        states = {"w": nt.State(1.0, "1", "next release")}
        on_pre = """
            release = w
            w = w*0.5
        """
        logged = ("release",)

    syn = nm.NMDA(plasticity=Halving())
    assert syn.resolved().name == "NMDA+Halving" and syn.get("w0") == 1.0

    class Clash(nt.Plasticity):
        parameters = {"tau_rise": nt.Parameter(1.0, "ms", "clashes with NMDA's")}
        on_pre = "release = 1"

    with pytest.raises(ValueError, match=r"both declare \['tau_rise'\]"):
        nm.NMDA(plasticity=Clash())

    class Silent(nt.Plasticity):
        states = {"n": nt.State(0.0, "1", "events seen")}
        on_pre = "n += 1"

    with pytest.raises(ValueError, match="must set release"):
        nm.NMDA(plasticity=Silent())


def test_named_sets_are_checked_when_the_class_is_defined():
    with pytest.raises(ValueError, match="out of range"):

        class Bad(nt.Neuron):
            parameters = {"k": nt.Parameter(1.0, "1", "positive", minimum=0)}
            states = {"v": nt.State(0.0, "mV", "v")}
            equations = "dv/dt = -k*v"
            parameter_sets = {"broken": {"k": -1.0}}

    with pytest.raises(TypeError, match="values only"):

        class WithOption(nm.ExpSynapse):
            parameter_sets = {"current": {"output": "cuba"}}
