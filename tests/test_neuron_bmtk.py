"""A user's BMTK network of NEURON cells (neuntune.neuron.bmtk and compat.bmtool's
``config=``): its connection types as BMTool lists them, a connection tuned in context,
the tuned values written back, and the round trip: bionet, BMTK's own simulator, runs
the rewritten network and gives the response that was tuned.

The network is built here with ``bmtk.builder``: a virtual input onto a PassiveCell and
two PassiveGapCells (examples/neuron/templates), Exp2Syn edges with
``afferent_section_id``/``_pos``, ``syn_weight`` and ``dynamics_params`` files, and a
gap-junction edge type.  Its mechanisms are the fixture mods plus BMTK's own
vecevent.mod (bionet's spike input), compiled once per machine.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

from neuntune.compat import _warn
from neuntune.compat.bmtool import BMToolWarning, GapJunctionTuner, SynapseTuner
from neuntune.neuron import NeuronSession, RunSpec, VClampSpec, compile_mechanisms
from neuntune.neuron.bmtk import BMTKNetwork, NetworkError
from neuntune.neuron.spec import SpecError

DATA = Path(__file__).parent.parent / "examples" / "neuron"
#: The cells' leak: 1e-4 S/cm² over 2e-5 cm², in µS.
G_LEAK = 1e-4 * 2e-5 * 1e6
INPUT2PN = {"level_of_detail": "exp2syn", "tau1": 0.5, "tau2": 3.0, "erev": 0.0, "note": "kept"}
#: bionet's run, as a script (BMTK's documented three lines)
RUN_BIONET = """
import sys
from bmtk.simulator import bionet
conf = bionet.Config.from_json(sys.argv[1], validate=True)
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
bionet.BioSimulator.from_config(conf, network=net).run()
"""


def build(root: Path) -> Path:
    """Write the network, its components and a simulation config under ``root``."""
    import bmtk
    from bmtk.builder import NetworkBuilder
    from bmtk.utils.reports.spike_trains import SpikeTrains

    templates = root / "components" / "templates"
    models = root / "components" / "synaptic_models"
    mods = root / "components" / "mechanisms" / "modfiles"
    for folder in (templates, models, mods):
        folder.mkdir(parents=True)
    shutil.copy(DATA / "templates" / "passive_cells.hoc", templates)
    for mod in (DATA / "mechanisms").glob("*.mod"):
        shutil.copy(mod, mods)
    vecevent = Path(bmtk.__file__).parent / "utils/scripts/bionet/mechanisms/modfiles/vecevent.mod"
    shutil.copy(vecevent, mods)
    # bionet loads <mechanisms_dir>/x86_64: the compiled cache's
    (mods.parent / "x86_64").symlink_to(compile_mechanisms(mods).folder / "x86_64")
    (models / "Input2PN.json").write_text(json.dumps(INPUT2PN, indent=2))
    (models / "PN2FS.json").write_text(json.dumps({"tau1": 1.0, "tau2": 5.0, "erev": -75.0}))
    (models / "FS2FS_gap.json").write_text("{}")

    placed = {"afferent_section_id": 0, "afferent_section_pos": 0.5}
    net = NetworkBuilder("net")
    net.add_nodes(N=1, pop_name="PN", model_type="biophysical", model_template="hoc:PassiveCell")
    net.add_nodes(N=2, pop_name="FS", model_type="biophysical", model_template="hoc:PassiveGapCell")
    net.add_edges(
        source={"pop_name": "PN"},
        target={"pop_name": "FS"},
        connection_rule=1,
        syn_weight=0.003,
        delay=2.0,
        dynamics_params="PN2FS.json",
        model_template="Exp2Syn",
        **placed,
    )
    net.add_edges(
        source={"pop_name": "FS"},
        target={"pop_name": "FS"},
        connection_rule=lambda s, t: int(s.node_id != t.node_id),
        is_gap_junction=True,
        syn_weight=0.001,
        dynamics_params="FS2FS_gap.json",
        model_template="Gap",
        **placed,
    )
    net.build()
    net.save(output_dir=str(root / "network"))
    source = NetworkBuilder("input")
    source.add_nodes(N=1, pop_name="input", model_type="virtual")
    source.add_edges(
        source=source.nodes(),
        target=net.nodes(pop_name="PN"),
        connection_rule=1,
        syn_weight=0.002,
        delay=1.0,
        dynamics_params="Input2PN.json",
        model_template="Exp2Syn",
        **placed,
    )
    source.build()
    source.save(output_dir=str(root / "network"))
    spikes = SpikeTrains(population="input")
    spikes.add_spikes(node_ids=0, timestamps=[50.0])
    spikes.to_sonata(str(root / "spikes.h5"))

    def files(kind: str, name: str) -> dict[str, str]:
        return {
            f"{kind}_file": f"$BASE_DIR/network/{name}_{kind}.h5",
            f"{kind[:-1]}_types_file": f"$BASE_DIR/network/{name}_{kind[:-1]}_types.csv",
        }

    config = {
        "manifest": {"$BASE_DIR": str(root)},
        "target_simulator": "NEURON",
        "run": {"tstop": 150.0, "dt": 0.025, "spike_threshold": -15.0, "nsteps_block": 5000},
        "conditions": {"celsius": 20.0, "v_init": -70.0},
        "components": {
            "templates_dir": "$BASE_DIR/components/templates",
            "mechanisms_dir": "$BASE_DIR/components/mechanisms",
            "synaptic_models_dir": "$BASE_DIR/components/synaptic_models",
        },
        "networks": {
            "nodes": [files("nodes", "net"), files("nodes", "input")],
            "edges": [files("edges", "net_net"), files("edges", "input_net")],
            "gap_juncs": [{"gap_juncs_file": "$BASE_DIR/network/net_gap_juncs.h5"}],
        },
        "inputs": {
            "spikes": {
                "input_type": "spikes",
                "module": "sonata",
                "input_file": "$BASE_DIR/spikes.h5",
                "node_set": "input",
            }
        },
        "output": {
            "output_dir": "$BASE_DIR/output",
            "spikes_file": "spikes.h5",
            "overwrite_output_dir": True,
        },
        "reports": {
            "v": {
                "cells": {"population": "net", "node_id": [0]},
                "variable_name": "v",
                "module": "membrane_report",
                "sections": "soma",
            }
        },
    }
    path = root / "simulation_config.json"
    path.write_text(json.dumps(config, indent=2))
    return path


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("bmtk"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A network no test writes to (``config``'s is written back by some): tests copy it."""
    return build(tmp_path_factory.mktemp("bmtk_pristine"))


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(_warn, "_warned", set())


def test_the_connection_types_are_listed_as_bmtool_names_them(config) -> None:
    network = BMTKNetwork(config)
    assert sorted(network.connections) == ["FS2FS_gj_type_101", "Input2PN", "PN2FS"]
    conn = network.connection("Input2PN")
    assert (conn.pre_template, conn.post_template, conn.model_template) == (
        None,
        "PassiveCell",
        "exp2syn",
    )
    assert (conn.syn_weight, conn.delay, conn.sec_id, conn.sec_x) == (0.002, 1.0, 0, 0.5)
    assert conn.params == {"tau1": 0.5, "tau2": 3.0, "erev": 0.0}
    pn2fs = network.connection("PN2FS")
    assert (pn2fs.pre_template, pn2fs.post_template) == ("PassiveCell", "PassiveGapCell")
    assert pn2fs.model_template == "Exp2Syn"  # no level_of_detail: the edge's model_template
    gap = network.connection("FS2FS_gj_type_101")
    assert gap.gap and gap.syn_weight == 0.001
    listed = SynapseTuner.list_connections_from_config(str(config))
    assert listed == {
        "PN2FS": {
            "post_cell": "PassiveGapCell",
            "synapse_type": "Exp2Syn",
            "parameters": ["tau1", "tau2", "erev", "initW"],
        },
        "Input2PN": {
            "post_cell": "PassiveCell",
            "synapse_type": "exp2syn",
            "parameters": ["tau1", "tau2", "erev", "initW"],
        },
    }


def test_bmtools_tuner_opens_a_connection_of_the_network(config) -> None:
    with pytest.warns(BMToolWarning) as caught:
        tuner = SynapseTuner(config=str(config), connection="Input2PN")
    try:
        messages = " ".join(str(w.message) for w in caught)
        # BMTool's mapping: erev is not Exp2Syn's, and initW = syn_weight has nowhere to go
        assert "erev cannot be assigned" in messages
        assert "bionet runs the JSON's values at NetCon weight syn_weight" in messages
        assert tuner.syn.tau2 == 3.0 and tuner.syn.e == 0.0
        tuner._simulate_model(20, 250)
        amp = tuner._response_amplitude()
        assert len(amp) == 12 and min(amp) > 0
    finally:
        tuner.close()


def test_the_gap_junction_tuner_opens_the_networks_gap_junctions(config) -> None:
    tuner = GapJunctionTuner(config=str(config))
    try:
        assert tuner.current_connection == "FS2FS_gj_type_101"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BMToolWarning)
            tuner.model(0.001)
        assert tuner.coupling_ratio() == pytest.approx(0.001 / (G_LEAK + 0.001), rel=1e-9)
    finally:
        tuner.close()


def bionet_v(config: Path) -> np.ndarray:
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    done = subprocess.run(
        [sys.executable, "-c", RUN_BIONET, str(config)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with h5py.File(config.parent / "output" / "v.h5") as f:
        return f["report/net/data"][:, 0]


def aligned(v: np.ndarray, report: np.ndarray) -> np.ndarray:
    """``v`` (sampled from t = 0) at bionet's report times: its membrane report saves the
    voltage after each step, so its sample k is t = (k + 1)·dt."""
    return v[1 : report.size + 1]


def test_tuned_values_written_back_give_the_tuned_response_in_bionet(config) -> None:
    """Tune Input2PN's decay in context, write it back, run the network with bionet: the
    post cell's voltage is the one the tuned cell gave here (the same NEURON equations
    at the same dt, so to rounding)."""
    network = BMTKNetwork(config)
    conn = network.connection("Input2PN")
    before = bionet_v(config)
    with NeuronSession(network.cell_spec("Input2PN")) as session:
        run = RunSpec(tstop=150.0, dt=0.025, v_init=-70.0, events=(51.0,), weight=conn.syn_weight)
        np.testing.assert_allclose(aligned(session.run(run)["v"], before), before, atol=1e-9)
        session.set(tau2=6.0, e=-10.0)
        tuned = session.run(run)["v"]
        path = network.write_back("Input2PN", session.params)
    written = json.loads(path.read_text())
    # other keys and their order kept; bionet's name for e
    assert list(written) == list(INPUT2PN)
    assert written == {**INPUT2PN, "tau2": 6.0, "erev": -10.0}
    assert json.loads(path.with_name("Input2PN.json.bak").read_text()) == INPUT2PN
    assert network.connection("Input2PN").params["tau2"] == 6.0
    after = bionet_v(config)
    np.testing.assert_allclose(after, aligned(tuned, after), atol=1e-9)
    assert np.abs(after - before).max() > 1.0  # mV: the tuning changed what bionet runs
    # a second write keeps the first backup and adds .bak.1
    network.write_back("Input2PN", {"tau1": 0.4})
    assert json.loads(path.with_name("Input2PN.json.bak.1").read_text())["tau2"] == 6.0


#: bionet builds the network and reports every gap junction's conductance (µS).
GAP_CONDUCTANCES = (
    RUN_BIONET.split("bionet.BioSimulator")[0]
    + """
bionet.BioSimulator.from_config(conf, network=net)
import json
print(json.dumps([gj.g for cell in net.get_local_cells().values() for gj in cell._gap_juncs]))
"""
)


def copied(config: Path, into: Path) -> Path:
    """The network of ``config`` copied to ``into`` (its own files to write)."""
    root = into / "network_copy"
    shutil.copytree(config.parent, root, symlinks=True, ignore=shutil.ignore_patterns("output"))
    data = json.loads((root / config.name).read_text())
    data["manifest"]["$BASE_DIR"] = str(root)
    (root / config.name).write_text(json.dumps(data))
    return root / config.name


def bionet_gap_conductances(config: Path) -> list[float]:
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    done = subprocess.run(
        [sys.executable, "-c", GAP_CONDUCTANCES, str(config)],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_gap_conductance_written_back_is_what_bionet_builds(pristine, tmp_path) -> None:
    """The edge types CSV holds the gap junctions' syn_weight (bmtk.builder's scalar
    property): g goes into that column, the rest of the file as it was; bionet then
    builds every gap junction of the type with it."""
    config = copied(pristine, tmp_path)
    network = BMTKNetwork(config)
    before = (network.connection("FS2FS_gj_type_101").edge_types_file).read_text()
    path = network.write_gap_conductance("FS2FS_gj_type_101", 0.0042)
    assert path.name == "net_net_edge_types.csv"
    assert path.with_name(path.name + ".bak").read_text() == before
    # bmtk.builder's column order varies from run to run: compare by field
    rows = [line.split(" ") for line in path.read_text().splitlines()]
    was = [line.split(" ") for line in before.splitlines()]
    weight, kind = was[0].index("syn_weight"), was[0].index("edge_type_id")
    gap = next(i for i, row in enumerate(was) if row[kind] == "101")
    assert was[gap][weight] == "0.001"
    was[gap][weight] = "0.0042"
    assert rows == was  # every other field as it was
    assert BMTKNetwork(config).connection("FS2FS_gj_type_101").syn_weight == 0.0042
    assert BMTKNetwork(config).connection("PN2FS").syn_weight == 0.003  # untouched
    # two edges (FS0 to FS1 and back), each a Gap on both cells
    assert bionet_gap_conductances(config) == [0.0042] * 4
    with pytest.raises(NetworkError, match="'PN2FS' is not a gap junction"):
        network.write_gap_conductance("PN2FS", 0.001)
    with pytest.raises(SpecError, match="finite conductance"):
        network.write_gap_conductance("FS2FS_gj_type_101", -1.0)


def test_a_gap_conductance_kept_per_edge_is_written_in_the_edges_h5(pristine, tmp_path) -> None:
    """Edges that carry their own syn_weight (an h5 column) override their type's:
    g is written there, for this type's edges only."""
    config = copied(pristine, tmp_path)
    edges = config.parent / "network" / "net_net_edges.h5"
    with h5py.File(edges, "r+") as f:
        group = f["edges/net_to_net"]
        types = group["edge_type_id"][()]
        group["0"].create_dataset("syn_weight", data=np.where(types == 101, 0.002, 0.003))
    network = BMTKNetwork(config)
    assert network.connection("FS2FS_gj_type_101").syn_weight == 0.002  # the edge's own
    path = network.write_gap_conductance("FS2FS_gj_type_101", 0.0042)
    assert path == edges and path.with_name(path.name + ".bak").is_file()
    with h5py.File(edges) as f:
        weights = f["edges/net_to_net/0/syn_weight"][()]
        types = f["edges/net_to_net/edge_type_id"][()]
    np.testing.assert_array_equal(weights, np.where(types == 101, 0.0042, 0.003))
    assert BMTKNetwork(config).connection("FS2FS_gj_type_101").syn_weight == 0.0042
    assert bionet_gap_conductances(config) == [0.0042] * 4


#: bionet builds the network; a VClamp (as VClampSpec places it: the first section of
#: ``all``) holds node 0 while bionet runs it; the clamp's current (nA) at every step.
CLAMPED_BIONET = (
    RUN_BIONET.split("bionet.BioSimulator")[0]
    + """
sim = bionet.BioSimulator.from_config(conf, network=net)
from neuron import h
import numpy as np
clamp = h.VClamp(list(net.get_cell_gid(0).hobj.all)[0](0.5))
for k in range(3):
    clamp.amp[k] = -70.0
clamp.dur[0], clamp.dur[1], clamp.dur[2] = 1e9, 0.0, 0.0
current = h.Vector()
current.record(clamp._ref_i)
sim.run()
np.save(sys.argv[2], np.array(current))
"""
)


def bionet_psc(config: Path) -> np.ndarray:
    out = config.parent / "psc.npy"
    env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
    done = subprocess.run(
        [sys.executable, "-c", CLAMPED_BIONET, str(config), str(out)],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return np.load(out)


def test_a_tuned_synapse_written_back_gives_the_tuned_psc_in_bionet(pristine, tmp_path) -> None:
    """BMTool's PSC protocol (the post cell clamped at -70 mV): Input2PN's decay tuned
    on its cell, written back; bionet's network, clamped alike, gives the tuned PSC (the
    same NEURON equations at the same dt: to rounding)."""
    config = copied(pristine, tmp_path)
    network = BMTKNetwork(config)
    conn = network.connection("Input2PN")
    run = RunSpec(
        tstop=150.0, dt=0.025, v_init=-70.0, events=(51.0,), weight=conn.syn_weight,
        vclamp=VClampSpec(-70.0), record=("vclamp.i",),
    )  # fmt: skip
    before = bionet_psc(config)
    with NeuronSession(network.cell_spec("Input2PN")) as session:
        here = session.run(run)["vclamp.i"]
        assert here.shape == before.shape
        np.testing.assert_allclose(here, before, rtol=0, atol=1e-12)
        session.set(tau2=6.0)
        tuned = session.run(run)["vclamp.i"]
        network.write_back("Input2PN", session.params)
    after = bionet_psc(config)
    np.testing.assert_allclose(after, tuned, rtol=0, atol=1e-12)  # nA
    # the PSC peaks at ~0.1 nA; tau2 3 -> 6 ms moved it by far more than the tolerance
    assert np.abs(after - before).max() > 0.01


def test_the_network_tuner_tunes_a_gap_junction_and_writes_its_g_back(pristine, tmp_path) -> None:
    """A gap junction picked in the network tuner: its two cells joined by bionet's Gap
    at the edge's syn_weight, BMTool's step, the CC live; its g written back."""
    from neuntune.ui.neuron_app import NetworkTuner
    from neuntune.ui.neuron_coupling import NeuronCouplingTuner

    config = copied(pristine, tmp_path)
    view = NetworkTuner(BMTKNetwork(config), "FS2FS_gj_type_101")
    try:
        tuner = view.tuner
        assert isinstance(tuner, NeuronCouplingTuner)
        assert tuner.slider.value == 0.001  # µS: the edges' syn_weight
        assert tuner._runner.wait(60) and tuner.latest is not None
        assert tuner.latest.cc == pytest.approx(0.001 / (G_LEAK + 0.001), rel=1e-6)
        tuner.slider.value = 0.003
        assert tuner._runner.wait(60)
        assert tuner.latest.cc == pytest.approx(0.003 / (G_LEAK + 0.003), rel=1e-6)
        view.write_back()
        assert "written to" in view.saved.object
    finally:
        view.close()
    assert BMTKNetwork(config).connection("FS2FS_gj_type_101").syn_weight == 0.003


def test_bad_networks_and_writes_are_named(config, tmp_path, monkeypatch) -> None:
    with pytest.raises(NetworkError, match="no such file"):
        BMTKNetwork(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(NetworkError, match="does not parse"):
        BMTKNetwork(broken)
    data = json.loads(config.read_text())
    data["networks"]["nodes"][0]["nodes_file"] = "$BASE_DIR/network/gone.h5"
    wrong = config.parent / "wrong_config.json"
    wrong.write_text(json.dumps(data))
    with pytest.raises(NetworkError, match=r"nodes_file .*gone\.h5.*: no such file"):
        BMTKNetwork(wrong)
    network = BMTKNetwork(config)
    with pytest.raises(NetworkError, match="connection 'X2Y': not in the network; its"):
        network.connection("X2Y")
    with pytest.raises(NetworkError, match="syn_weight lives in the edges"):
        network.write_back("Input2PN", {"weight": 0.1})
    # root may write anywhere, so a read-only folder is what os.access says
    models = network.connection("PN2FS").params_file
    text = models.read_text()
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(NetworkError, match="is read-only: the tuned values were not written"):
        network.write_back("PN2FS", {"tau2": 9.0})
    assert models.read_text() == text


def test_the_network_tuner_tunes_a_connection_in_context_and_writes_it_back(config) -> None:
    from neuntune.neuron.bmtk import is_bmtk_config
    from neuntune.ui.neuron_app import NetworkTuner

    assert is_bmtk_config(config)
    assert not is_bmtk_config(Path(__file__).parent.parent / "examples/neuron/gap_pair.json")
    view = NetworkTuner(BMTKNetwork(config), "PN2FS")
    try:
        assert view.picker.options == ["PN2FS", "Input2PN", "FS2FS_gj_type_101"]
        tuner = view.tuner
        assert tuner._runner.wait(60) and tuner.latest is not None
        # bionet's semantics: the edge's weight and delay, Exp2Syn's e from erev
        assert tuner.settings["weight"] == 0.003 and tuner.settings["netcon_delay"] == 2.0
        assert tuner.session.params["e"] == -75.0
        tuner.sliders["tau2"].value = 7.0
        assert tuner._runner.wait(60)
        view.write_back()
        assert "written to" in view.saved.object
        path = view.network.connection("PN2FS").params_file
        assert json.loads(path.read_text())["tau2"] == 7.0
        view.picker.value = "Input2PN"
        assert tuner.session.pid is None  # the old connection's worker stopped
        assert view.tuner is not tuner and view.tuner._runner.wait(60)
        # a connection NEURON cannot build is said beside the picker; the page stays
        broken = view.network.connections["PN2FS"]
        view.network.connections["PN2FS"] = dataclasses.replace(broken, params={"tau9": 1.0})
        view.picker.value = "PN2FS"
        assert view.tuner is None
        assert "has no PARAMETER 'tau9'" in html.unescape(view.saved.object)
        view.write_back()  # nothing to write: no error
        view.network.connections["PN2FS"] = broken
        view.picker.value = "Input2PN"
        assert view.tuner is not None and view.tuner._runner.wait(60)
    finally:
        view.close()


def test_neuntune_serve_opens_the_network_in_the_browser(config, browser) -> None:
    """``neuntune serve simulation_config.json``, as a user starts it: the first
    connection's train is drawn in Chromium, with no request to another host."""
    from neuntune.ui.testing import open_tuner, serving_file

    with serving_file(config) as url:
        context, page, log = open_tuner(browser, url, ready="neuron:fresh")
        try:
            assert page.get_by_text("Write back to the network").count() == 1
            assert not log["foreign"] and not log["errors"]
        finally:
            context.close()
