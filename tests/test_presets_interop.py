"""Interoperability: BMTK synaptic-model files out and back, and Brian2 scripts.

The Brian2 scripts are run with the ``compare`` environment's interpreter
($NEUNTUNE_COMPARE_PYTHON, else the .venv-compare that tools/test.sh builds; without
one the tests fail and say how to get one), and their traces compared with neuntune's.
Every bundled preset's script is run in tests/test_brian2_presets.py; BMTK's own reader
opens the SONATA export in tests/test_bmtk_sonata.py.
"""

import ast
import json
import subprocess

import numpy as np
import pytest
from models_for_tests import LIF, ExpTest
from test_brian2_presets import BUNDLED, CASES, compare_python

import neuntune as nt
from neuntune.models import model_class
from neuntune.presets import Preset, RunSettings, load
from neuntune.presets.bmtk import MECHANISMS, from_bmtk, synapse_from_bmtk, to_bmtk
from neuntune.presets.brian2_export import _UNIT, safe, to_brian2


# ------------------------------------------------------------------------ BMTK
def chemical_and_electrical() -> nt.Circuit:
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.add("b", nt.HH())
    c.connect("a", "b", nt.GapJunction(g=0.002), name="gj")
    c.connect("b", "a", nt.AsymmetricGapJunction(g_ab=0.001, g_ba=0.001), name="agj")
    c.connect("a", "b", model_class("Exp2Synapse")(tau_r=0.5, tau_d=4.0, g=2e-6), name="e2")
    stp = model_class("AMPA_NMDA_STP")(Use=0.13, Fac=200.0, output="cuba")
    c.connect("a", "b", stp, name="a->b")
    c.connect("b", "a", model_class("ExpSynapse")(tau=2.0, E=-80.0), name="exp")
    return c


def test_bmtk_export_round_trips_every_connection():
    c = chemical_and_electrical()
    doc = json.loads(json.dumps(to_bmtk(c)))  # through JSON, as a file would
    assert set(doc["synaptic_models"]) == {"e2", "a->b", "exp"}
    assert set(doc["gap_junctions"]) == {"gj", "agj"}
    back = from_bmtk(doc)
    for name, conn in c.connections.items():
        assert back[name] == conn.synapse, name


def test_bmtk_files_use_neuron_names_and_units():
    doc = to_bmtk(chemical_and_electrical())
    e2 = doc["synaptic_models"]["e2"]
    assert e2["level_of_detail"] == "exp2syn"
    assert (e2["tau1"], e2["tau2"], e2["erev"]) == (0.5, 4.0, 0.0)
    assert "g" not in e2 and "delay" not in e2  # per-edge in BMTK
    assert doc["edges"]["e2"]["syn_weight"] == pytest.approx(0.002)  # 2e-6 mS = 0.002 µS
    assert doc["edges"]["e2"]["dynamics_params"] == "e2.json"
    stp = doc["synaptic_models"]["a->b"]
    assert stp["level_of_detail"] == "AMPA_NMDA_STP" and stp["e"] == 0.0
    assert stp["output"] == "cuba"  # a non-default option travels as a string
    assert stp["amplitude"] == pytest.approx(
        chemical_and_electrical().get("a->b.amplitude") * 1e3
    )  # µA -> nA
    assert doc["edges"]["a->b"]["syn_weight"] == pytest.approx(1.0)  # BMTool's weights are nS
    assert doc["edges"]["a->b"]["dynamics_params"] == "a_b.json"
    exp = doc["synaptic_models"]["exp"]  # NEURON's ExpSyn: tau, e
    assert (exp["level_of_detail"], exp["tau"], exp["e"]) == ("expsyn", 2.0, -80.0)


def test_gap_junctions_export_as_conductance_and_resistance():
    gaps = to_bmtk(chemical_and_electrical())["gap_junctions"]
    gj = gaps["gj"]
    assert gj["syn_weight"] == 2.0  # µS, what BMTK's Gap mechanism takes
    assert gj["parameters"]["g"] == {"value": 2.0, "unit": "uS"}
    assert gj["resistance"]["g"] == {"value": 0.5, "unit": "MOhm"}  # R = 1/g
    assert gaps["agj"]["resistance"]["g_ab"]["value"] == 1.0  # symmetric: BMTK's are


def test_importing_bmtools_values_never_inverts_a_conductance():
    """BMTool's "Resistance (MOhm)" slider sets a conductance in µS: read as such."""
    doc = {
        "gap_junctions": {
            "gj": {
                "level_of_detail": "GapJunction",
                "parameters": {"g": {"value": 5e-4, "unit": "uS"}},
            }
        }
    }
    assert from_bmtk(doc)["gj"].get("g") == pytest.approx(5e-7)  # mS
    doc["gap_junctions"]["gj"]["parameters"]["g"]["unit"] = "MOhm"
    with pytest.raises(nt.PresetError, match=r"parameters\.g: 'MOhm' is a resistance"):
        from_bmtk(doc)


def test_a_bmtool_config_entry_imports():
    """spec_syn_param from BMTool's SynapseTuner docs, with its level_of_detail."""
    syn = synapse_from_bmtk(
        {
            "level_of_detail": "AMPA_NMDA_STP",
            "initW": 0.76,
            "tau_r_AMPA": 0.45,
            "tau_d_AMPA": 7.5,
            "Use": 0.13,
            "Dep": 0.0,
            "Fac": 200.0,
        },
        {"syn_weight": 2.0, "delay": 1.3},
    )
    assert type(syn).__name__ == "AMPA_NMDA_STP"
    assert (syn.get("initW"), syn.get("tau_d_AMPA"), syn.get("Fac")) == (0.76, 7.5, 200.0)
    assert syn.get("g") == pytest.approx(2e-6) and syn.get("delay") == 1.3


@pytest.mark.parametrize(
    "dynamics, message",
    [
        ({"level_of_detail": "AMPA_NMDA_STP", "tau9": 1}, r"\$\.tau9: not a parameter"),
        ({"level_of_detail": "nope"}, r"\$\.level_of_detail: unknown mechanism 'nope'"),
        ({"level_of_detail": "exp2syn", "tau1": "x"}, r"\$\.tau1: expected a number in ms"),
        ({"level_of_detail": "exp2syn", "tau1": -1}, r"\$\.tau1: value -1 ms is out of range"),
        ({"level_of_detail": "HH"}, r"HH is a neuron, not a synapse"),
        ({"tau1": 1}, r"\$: expected an object with a 'level_of_detail'"),
    ],
)
def test_bad_bmtk_input_is_a_preset_error(dynamics, message):
    with pytest.raises(nt.PresetError, match=message):
        synapse_from_bmtk(dynamics)


def test_bmtk_mechanisms_name_real_parameters():
    for model, mech in MECHANISMS.items():
        table = model_class(model).parameter_table()
        assert set(mech.names) <= set(table), model


# ----------------------------------------------------------------------- Brian2
def test_names_brian2_would_refuse_are_renamed():
    for unit in ("cm", "mV", "ms", "nS", "uA", "msiemens", "kilogram2", "Hz", "um2"):
        assert _UNIT.fullmatch(unit) and safe(unit) == f"{unit}_nt"
    for fine in ("gna", "v", "m", "h", "n", "tau_r", "E", "Use", "mg", "C", "area"):
        assert safe(fine) == fine
    assert safe("I_post") == "I_post_nt" and safe("t") == "t_nt"
    assert safe("e") == "e_nt" and safe("pi") == "pi_nt"  # Brian2's constants


@pytest.mark.parametrize("name", [n for n in BUNDLED if CASES[n].refused is None])
def test_every_bundled_preset_exports_as_valid_python(name):
    script = to_brian2(load(name))
    compile(script, f"{name}.py", "exec")
    assert "import brian2 as b2" in script and "/dt = (" in script


def test_hindmarsh_roses_input_current_e_is_not_brian2s_constant():
    script = to_brian2(load("hr_bursting_pair"))
    assert "e_nt : 1 (constant)" in script and "cell_a.e_nt = 3.0" in script
    assert " e " not in script.split("b2.NeuronGroup(")[1].split('""",')[0]


def test_a_description_never_becomes_code():
    p = load("hh_gap_pair")
    p.name = 'x"""'
    p.description = 'ends """ + __import__("os").getcwd() + """ here, with a \\ backslash'
    tree = ast.parse(to_brian2(p))
    doc = ast.get_docstring(tree)
    assert doc.startswith('x""": ') and p.description in doc
    assert not any(
        isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__"
        for node in ast.walk(tree)
    )


def test_what_brian2_cannot_reproduce_is_refused():
    p = load("hh_gap_pair")
    p.circuit.stimulate("a", model_class("Noise")(), name="noise")
    with pytest.raises(ValueError, match="noise: Noise has on_step statements"):
        to_brian2(p)
    with pytest.raises(ValueError, match="init='rest'"):
        to_brian2(load("hh_gap_pair"), RunSettings(init="rest"))


def events_preset() -> Preset:
    """Events, resets and a spike source, from the test models (LIF, ExpTest)."""
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([5.0, 12.0, 20.0]))
    c.add("lif", LIF())
    c.add("p", nt.Passive())
    c.connect("src", "lif", ExpTest(g=1.5e-4, tau=3.0), name="in")
    c.connect("lif", "p", ExpTest(g=2e-4, threshold=-50.5), name="out")
    return Preset(c, "events", run=RunSettings(t_stop=30.0, dt=0.01))


def test_exported_events_run_in_brian2_and_match(tmp_path):
    """Events, resets and a spike source (the bundled presets' scripts are run and
    compared in tests/test_brian2_presets.py)."""
    preset = events_preset()
    script = tmp_path / "events.py"
    script.write_text(to_brian2(preset))
    job = subprocess.run(
        [str(compare_python()), str(script), str(tmp_path / "events.npz")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert job.returncode == 0, job.stderr[-3000:]
    b, o = np.load(tmp_path / "events.npz"), preset.simulate()
    # the same spikes and responses, to within a step of spike timing; the LIF's reset
    # is its spike for its synapses, in the engine and in the script
    assert len(b["lif.spikes"]) == len(o.spikes["lif"]) >= 3
    assert np.max(np.abs(b["lif.spikes"] - o.spikes["lif"])) < 0.02
    rise = o.v["p"].max() - o.v["p"][0]
    assert rise > 1.0  # the chain src -> lif -> p really carried events
    assert np.max(np.abs(b["p.v"] - o.v["p"][:-1])) < 0.05 * rise  # measured 0.019 mV of 9.5


# ------------------------------------------------------------- Brian2 networks
def gap_network() -> Preset:
    """Ten Wang–Buzsáki cells, all-to-all gap junctions: values differ between members
    and between connections (drawn from seeded distributions); one member at steady state."""
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(h0=0.6, n0=0.32), n=10)
    c.set("wb.v0", nt.Uniform(-70.0, -50.0, seed=1))
    c.set("wb[2].h0", None)
    c.connect("wb", "wb", nt.GapJunction(g=0.001), rule=nt.AllToAll(), name="gap")
    c.set("gap.g", nt.Uniform(0.0005, 0.0015, seed=3))
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    c.set("wb.stim0.amplitude", nt.Normal(0.6, 0.02, seed=5))
    return Preset(c, "wb10", run=RunSettings(t_stop=50.0, dt=0.01, record=("wb[0:3].v",)))


def coba_network() -> Preset:
    """A 50-cell COBAHH (40 + 10, p = 0.2, stronger excitation so that it fires)."""
    c = nt.Circuit()
    for pop, n, seed in (("exc", 40, 1), ("inh", 10, 4)):
        c.add(pop, nt.TraubMilesCOBA(m0=0.0, h0=0.0, n0=0.0), n=n)
        c.set(f"{pop}.v0", nt.Normal(-65.0, 5.0, seed=seed))
        c.set(f"{pop}.ge0", nt.Normal(4e-5, 1.5e-5, seed=seed + 1))
        c.set(f"{pop}.gi0", nt.Normal(2e-4, 1.2e-4, seed=seed + 2))
    seeds = iter(range(11, 20))
    for pre, target, w in (("exc", "ge", 6e-5), ("inh", "gi", 67e-6)):
        for post in ("exc", "inh"):
            rule = nt.FixedProbability(0.2, seed=next(seeds), self_connections=True)
            c.connect(pre, post, nt.DeltaSynapse(target=target, w=w), f"{pre}->{post}", rule)
    c.set("exc->inh.w", nt.Uniform(3e-5, 9e-5, seed=99))  # one weight per connection
    run = RunSettings(t_stop=100.0, dt=0.1, method="expeuler", record=("exc[0:2].v",))
    return Preset(c, "coba50", run=run)


def _calls(script: str, method: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(script))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == method
    ]


def test_a_network_exports_as_groups_of_its_size_connected_by_the_same_pairs():
    p = coba_network()
    script = to_brian2(p)
    compile(script, "coba50.py", "exec")
    groups = {ast.unparse(call.args[0]) for call in _calls(script, "NeuronGroup")}
    assert groups == {"40", "10"}
    assert "cell_exc = b2.NeuronGroup(\n    40," in script
    connects = _calls(script, "connect")
    assert len(connects) == 4
    for name, call in zip(p.circuit.connections, connects, strict=True):
        given = {k.arg: eval(ast.unparse(k.value), {"np": np}) for k in call.keywords}
        i, j = p.circuit.pairs(name)
        assert np.array_equal(given["i"], i) and np.array_equal(given["j"], j), name
    assert "syn_exc_exc.connect(\n    i=np.array([" in script
    # the delta synapse raises the post cell's conductance, with no summed current
    assert 'on_pre="""\nge_post += w\n"""' in script and 'on_pre="""\ngi_post += w\n"""' in script
    assert ": 1 (summed)" not in script
    # values that differ between members are the arrays neuntune draws
    namespace = {"np": np}
    start = script.split("\ncell_exc.v = ")[1]
    v0 = eval(start[: start.index("])") + 2], namespace)
    assert np.array_equal(v0, p.circuit.member_array("exc", "v0"))
    weights = script.split("\nsyn_exc_inh.w = ")[1]
    w = eval(weights[: weights.index("])") + 2], namespace)
    assert np.array_equal(w, p.circuit.member_array("exc->inh", "w"))
    # monitors: the members the run records, or the first ten
    assert "b2.StateMonitor(cell_exc, ['v', 'm', 'h', 'n', 'ge', 'gi'], record=[0, 1])" in script
    assert "record=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9])" in script


def test_a_gap_network_exports_per_pair_conductances_and_steady_state_members():
    p = gap_network()
    script = to_brian2(p)
    compile(script, "wb10.py", "exec")
    assert "cell_wb = b2.NeuronGroup(\n    10," in script
    assert "Ipre_syn_gap_pre = Ipre : 1 (summed)" in script  # both cells of each pair
    assert 'cell_wb.h = "ah / (ah + bh)"' in script  # steady state, then the others' 0.6
    assert "cell_wb.h[np.array([\n    0, 1, 3, 4, 5, 6, 7, 8, 9,\n], dtype=np.int64)]" in script
    assert "syn_gap.g = np.array([" in script and "cell_wb.stim_wb_stim0_amplitude = " in script


def test_a_population_of_spike_sources_is_not_exported():
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([1.0]), n=3)
    with pytest.raises(ValueError, match="src: a population of spike sources is not exported"):
        to_brian2(Preset(c, "x"))


def test_exported_networks_run_in_brian2_with_the_same_spikes(tmp_path):
    """The 50-cell COBAHH: events at step ends and exponential Euler on both sides, so
    the same spikes and voltages to rounding; the gap network: the same spikes, within
    what Brian2's once-per-step summed coupling (dt/2 late) shifts them."""
    runs = {"coba50": coba_network(), "wb10": gap_network()}
    jobs = {}
    for name, preset in runs.items():
        script = tmp_path / f"{name}.py"
        script.write_text(to_brian2(preset))
        jobs[name] = subprocess.Popen(
            [str(compare_python()), str(script), str(tmp_path / f"{name}.npz")],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for job in jobs.values():
        _, err = job.communicate(timeout=600)
        assert job.returncode == 0, err[-3000:]
    brian = {name: np.load(tmp_path / f"{name}.npz") for name in runs}
    ours = {name: p.simulate() for name, p in runs.items()}
    b, o = brian["coba50"], ours["coba50"]
    for cell in ("exc", "inh"):
        assert len(b[f"{cell}.spikes"]) == len(o.spikes[cell].t) > 100, cell
    assert list(b["exc.members"]) == [0, 1]
    assert np.max(np.abs(b["exc.v"] - o.v["exc"][:, :-1])) < 1e-9
    b, o = brian["wb10"], ours["wb10"]
    assert len(b["wb.spikes"]) == len(o.spikes["wb"].t) >= 10
    for member in range(10):
        theirs = np.sort(b["wb.spikes"][b["wb.spike_i"] == member])
        mine = o.spikes["wb"].t[o.spikes["wb"].i == member]
        assert len(theirs) == len(mine) and np.all(np.abs(theirs - mine) < 0.05), member
