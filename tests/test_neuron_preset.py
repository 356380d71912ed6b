"""NEURON cell presets (``"engine": "neuron"``, neuntune.neuron.preset): the bundled
example loads and tunes, paths and units are checked where the file says them, a saved
preset reads back, and the native loader and the CLI tell the two kinds apart."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import neuntune as nt
from neuntune.errors import PresetError
from neuntune.neuron import load_preset
from neuntune.neuron.preset import save_preset
from neuntune.ui.neuron_tuner import NeuronTrainTuner

EXAMPLE = Path(__file__).parent.parent / "examples" / "neuron"
PRESET = EXAMPLE / "gaba_a_stp.json"
REFERENCE = json.loads((Path(__file__).parent / "data" / "bmtool_0.8.7.json").read_text())


def variant(tmp_path: Path, change) -> Path:
    """The example preset copied beside its files in ``tmp_path``, changed by ``change``."""
    for folder in ("mechanisms", "templates"):
        if not (tmp_path / folder).exists():
            shutil.copytree(EXAMPLE / folder, tmp_path / folder)
    doc = json.loads(PRESET.read_text())
    change(doc)
    path = tmp_path / "preset.json"
    path.write_text(json.dumps(doc))
    return path


def test_the_example_loads_with_its_paths_resolved() -> None:
    preset = load_preset(PRESET)
    assert preset.cell.template == "PassiveCell"
    assert preset.cell.mechanisms == (EXAMPLE / "mechanisms").resolve()
    assert preset.cell.synapse.params["Dep"] == 100.0
    assert preset.units["Dep"] == "ms"
    assert preset.protocol["clamp"] == 0.0 and preset.protocol["frequency"] == 50.0


def test_the_coupling_example_has_a_partner_and_a_current_step() -> None:
    preset = load_preset(EXAMPLE / "gap_pair.json")
    assert preset.kind == "coupling" and preset.cell.partner == "PassiveGapCell"
    assert preset.protocol == {
        "amp": -0.01, "start": 500.0, "duration": 500.0, "dt": 0.025, "celsius": 20.0,
        "v_init": -70.0,
    }  # fmt: skip
    doc = preset.to_dict({"g": 2e-4}, {"g": "uS"}, EXAMPLE)
    assert doc["cell"]["partner"] == "PassiveGapCell" and "weight" not in doc["protocol"]


def test_the_example_tunes_and_gives_bmtools_numbers() -> None:
    view = NeuronTrainTuner.from_preset(load_preset(PRESET))
    try:
        assert view._runner.wait(60)
        want = REFERENCE["synapse"]["bmtool_gaba_a_stp"]["train"]["vclamp=False"]
        # the preset's train starts at 500 ms, BMTool's reference at 50: a clamped
        # passive cell has settled either way
        assert view.latest.ppr == pytest.approx(want["ppr"], rel=1e-9)
        assert list(view.sliders) == ["Use", "Dep", "Fac", "tau_d_GABAA", "e_GABAA"]
        view.sliders["Dep"].value = 250.0
        assert view._runner.wait(60)
        saved = json.loads(view.preset_text())
        assert saved["synapse"]["parameters"]["Dep"] == {"value": 250.0, "unit": "ms"}
        assert saved["synapse"]["parameters"]["e_GABAA"]["unit"] == "mV"
        assert Path(saved["cell"]["mechanisms"]).is_absolute()
    finally:
        view.close()
    assert view.session.pid is None  # its own worker stopped with it


def test_a_saved_preset_reads_back(tmp_path) -> None:
    preset = load_preset(PRESET)
    out = tmp_path / "sub" / "tuned.json"
    out.parent.mkdir()
    save_preset(preset, out, {"Dep": 300.0, "Use": 0.5}, {"Dep": "ms", "Use": "1"})
    again = load_preset(out)
    assert again.cell.synapse.params == {"Dep": 300.0, "Use": 0.5}
    assert again.cell.templates == preset.cell.templates  # relative to the new file
    written = json.loads(out.read_text())["cell"]["mechanisms"]
    assert not Path(written).is_absolute()
    assert (out.parent / written).resolve() == preset.cell.mechanisms


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["cell"].update(templates="gone.hoc"), r"\$\.cell\.templates: 'gone\.hoc'"),
        (lambda d: d["cell"].update(mechanisms="mods"), r"\$\.cell\.mechanisms: 'mods' .*no such"),
        (lambda d: d["synapse"].update(sec_x=2), r"\$\.synapse\.sec_x: sec_x = 2\.0"),
        (lambda d: d["protocol"]["dt"].update(value=0), r"\$\.protocol\.dt\.value: 0: must be > 0"),
        (lambda d: d["protocol"]["dt"].update(unit="Hz"), r"\$\.protocol\.dt\.unit: 'Hz'"),
        (lambda d: d.update(colour="red"), r"\$\.colour: unknown key"),
        (lambda d: d.update(schema=1), r"\$\.schema: 1: NEURON presets are schema 2"),
        (lambda d: d["cell"].update(partner="X"), r"\$\.cell\.partner: only a coupling"),
        (lambda d: d["protocol"].update(kind="spike"), r"\$\.protocol\.kind: 'spike' is not"),
        (lambda d: d["protocol"].update(amp=1), r"\$\.protocol\.amp: unknown key"),
    ],
)
def test_bad_presets_name_the_field(tmp_path, change, message) -> None:
    with pytest.raises(PresetError, match=message):
        load_preset(variant(tmp_path, change))


def test_a_unit_other_than_the_mod_files_is_refused_when_the_cell_is_built(tmp_path) -> None:
    path = variant(tmp_path, lambda d: d["synapse"]["parameters"]["Dep"].update(unit="s"))
    preset = load_preset(path)  # the mod file's unit is known once NEURON has loaded it
    with pytest.raises(PresetError, match=r"parameters\.Dep\.unit: 's', but the mod file"):
        NeuronTrainTuner.from_preset(preset)


def test_the_native_loader_and_the_cli_tell_the_kinds_apart() -> None:
    with pytest.raises(PresetError, match=r"a preset of a NEURON cell.*neuntune serve FILE"):
        nt.presets.load(PRESET)
    done = subprocess.run(
        [sys.executable, "-m", "neuntune.cli", "validate", str(PRESET)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "ok (GABA_A_STP on a passive cell (NEURON): NEURON cell PassiveCell" in done.stdout


def test_a_cell_neuron_cannot_build_gives_a_page_that_says_so(tmp_path) -> None:
    """A mod file that does not compile: the session's page shows nrnivmodl's error (the
    server goes on serving other sessions)."""
    import panel as pn

    from neuntune.ui.neuron_app import _opened, view_of

    path = variant(tmp_path, lambda d: None)
    (tmp_path / "mechanisms" / "broken.mod").write_text(
        "NEURON { POINT_PROCESS Broken }\nBREAKPOINT { x = }\n"
    )
    page = _opened(lambda: view_of(load_preset(path)))
    assert isinstance(page, pn.pane.Alert) and page.alert_type == "danger"
    assert "could not be opened in NEURON" in page.object and "broken.mod" in page.object
