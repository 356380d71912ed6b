"""BMTK export read back with BMTK's own SONATA reader (the ``bmtk`` package, test extra).

neuntune's own reader (tests/test_presets_interop.py) cannot catch a file BMTK would
misread; here the network written by :func:`write_sonata` is opened with
``bmtk.utils.sonata.File`` and its nodes, edges, model templates and dynamics_params
files are checked against the circuit.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import neuntune as nt
from neuntune.models import model_class
from neuntune.presets import Preset, load
from neuntune.presets.bmtk import check_exportable, to_bmtk, write_sonata

sonata = pytest.importorskip("bmtk.utils.sonata", reason="bmtk comes with the test extra")


def network() -> nt.Circuit:
    """A spike source, a population and a single cell; Exp2Syn, ExpSyn, BMTool's
    AMPA_NMDA_STP and gap junctions (a rule with per-connection conductances)."""
    c = nt.Circuit()
    c.add("src", nt.SpikeSource([5.0, 10.0]))
    c.add("pop", nt.HH(), n=4)
    c.add("one", nt.Passive())
    c.connect("src", "pop", model_class("Exp2Synapse")(tau_r=0.5, tau_d=4.0, g=2e-6),
              name="in", rule=nt.AllToAll())  # fmt: skip
    c.connect("pop", "one", model_class("ExpSynapse")(tau=2.0, g=3e-6, delay=1.5),
              name="out", rule=nt.AllToAll())  # fmt: skip
    c.connect("one", "pop", model_class("AMPA_NMDA_STP")(Use=0.13, Fac=200.0),
              name="back", rule=nt.AllToAll())  # fmt: skip
    c.connect("pop", "pop", nt.GapJunction(g=0.001), name="gap", rule=nt.AllToAll())
    c.set("gap.g", nt.Uniform(0.0005, 0.0015, seed=3))
    return c


def read(config: Path):
    paths = json.loads(config.read_text())["networks"]
    return sonata.File(
        data_files=[p["nodes_file"] for p in paths["nodes"]]
        + [p["edges_file"] for p in paths["edges"]],
        data_type_files=[p["node_types_file"] for p in paths["nodes"]]
        + [p["edge_types_file"] for p in paths["edges"]],
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    c = network()
    config = write_sonata(Preset(c, "net"), tmp_path_factory.mktemp("sonata"))
    return c, config, read(config)


def test_bmtk_reads_the_nodes(written):
    _, _, net = written
    cells = net.nodes["cells"].to_dataframe()
    assert len(cells) == 5  # pop's 4 members, then one
    assert list(cells["pop_name"]) == ["pop"] * 4 + ["one"]
    assert list(cells["model_type"]) == ["single_compartment"] * 5
    assert list(cells["model_template"]) == ["neuntune:HH"] * 4 + ["neuntune:Passive"]
    inputs = net.nodes["inputs"].to_dataframe()
    assert list(inputs["model_type"]) == ["virtual"] and list(inputs["pop_name"]) == ["src"]


def test_bmtk_reads_the_edges_with_neuron_templates(written):
    c, _, net = written
    edges = {name: net.edges[name].to_dataframe() for name in net.edges.population_names}
    assert set(edges) == {"inputs_to_cells", "cells_to_cells"}
    recurrent = edges["cells_to_cells"]
    by_name = {name: recurrent[recurrent["name"] == name] for name in ("out", "back", "gap")}
    # ExpSynapse -> NEURON's ExpSyn, BMTool's mechanism by its own name; weights per edge
    out = by_name["out"]
    assert set(out["model_template"]) == {"expsyn"} and len(out) == 4
    assert np.allclose(out["syn_weight"], 3e-3) and np.allclose(out["delay"], 1.5)  # µS, ms
    assert sorted(out["source_node_id"]) == [0, 1, 2, 3] and set(out["target_node_id"]) == {4}
    back = by_name["back"]
    assert set(back["model_template"]) == {"AMPA_NMDA_STP"}
    assert np.allclose(back["syn_weight"], c.get("back.g") * 1e6)  # mS -> nS
    # gap junctions: is_gap_junction, a conductance in µS per pair, as BMTK's add_gap_junctions
    gap = by_name["gap"]
    assert gap["is_gap_junction"].astype(bool).all() and len(gap) == len(c.pairs("gap")[0])
    i, j = c.pairs("gap")
    g = dict(zip(zip(i, j, strict=True), c.member_array("gap", "g") * 1e3, strict=True))
    for s, t, w in zip(
        gap["source_node_id"], gap["target_node_id"], gap["syn_weight"], strict=True
    ):
        assert w == pytest.approx(g[(s, t)])
    inward = edges["inputs_to_cells"]
    assert set(inward["model_template"]) == {"exp2syn"}
    assert list(inward["source_node_id"]) == [0] * 4
    assert np.allclose(inward["syn_weight"], 2e-3)
    # the index BMTK uses to find a cell's inputs
    population = net.edges["cells_to_cells"]
    assert {e.source_node_id for e in population.get_target(4)} == {0, 1, 2, 3}


def test_dynamics_params_files_hold_neuron_names_and_units(written):
    c, config, net = written
    components = json.loads(config.read_text())["components"]
    types = net.edges["cells_to_cells"].edge_types_table.to_dataframe()
    out = types[types["name"] == "out"].iloc[0]
    dynamics = json.loads(
        (Path(components["synaptic_models_dir"]) / out["dynamics_params"]).read_text()
    )
    assert dynamics["level_of_detail"] == "expsyn"
    assert (dynamics["tau"], dynamics["e"]) == (2.0, 0.0)
    back = types[types["name"] == "back"].iloc[0]
    stp = json.loads(
        (Path(components["synaptic_models_dir"]) / back["dynamics_params"]).read_text()
    )
    assert stp["level_of_detail"] == "AMPA_NMDA_STP" and stp["Fac"] == 200.0 and stp["e"] == 0.0
    cell = json.loads((Path(components["point_neuron_models_dir"]) / "pop.json").read_text())
    assert cell["level_of_detail"] == "HH" and cell["gna"] == c.get("pop.gna")


@pytest.mark.parametrize("name", ["hh_gap_pair", "bmtool_ampa_nmda_stp", "bmtool_gap_cc"])
def test_bundled_presets_with_neuron_equivalents_are_read_by_bmtk(name, tmp_path):
    p = load(name)
    net = read(write_sonata(p, tmp_path))
    edges = net.edges["cells_to_cells" if "inputs" not in net.nodes.population_names else
                      "inputs_to_cells"].to_dataframe()  # fmt: skip
    assert list(edges["name"]) == list(p.circuit.connections)


@pytest.mark.parametrize(
    "synapse, message",
    [
        (nt.ContinuousSynapse(), "ContinuousSynapse has no NEURON/BMTK equivalent; supported"),
        (model_class("DiffusionSynapse")(), "DiffusionSynapse has no NEURON/BMTK equivalent"),
        (model_class("Exp2Synapse")(output="cuba"), "output='cuba' has no NEURON equivalent"),
        (
            model_class("ExpSynapse")(plasticity=model_class("TsodyksMarkram")()),
            "plasticity TsodyksMarkram has no NEURON equivalent",
        ),
        (nt.AsymmetricGapJunction(g_ab=0.001, g_ba=0.0), "BMTK's gap junctions are symmetric"),
    ],
)
def test_models_neuron_does_not_know_are_refused_by_name(synapse, message, tmp_path):
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.add("b", nt.HH())
    c.connect("a", "b", synapse, name="s")
    with pytest.raises(ValueError, match=f"^s: .*{message}"):
        check_exportable("s", synapse)
    with pytest.raises(ValueError, match=message):
        to_bmtk(c)
    with pytest.raises(ValueError, match=message):
        write_sonata(c, tmp_path)
