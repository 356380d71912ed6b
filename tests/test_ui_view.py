"""The Panel view without a browser: widgets per control, in-place plot updates,
Panel's debounce hook, formatting and the server entry point's argument checks."""

import inspect

import panel as pn
import pytest
from bokeh.document import Document
from panel.reactive import Syncable

from neuntune import PresetError, library
from neuntune.ui import Tuner, TunerModel
from neuntune.ui.view import TuningSlider, format_conductance, format_number


@pytest.fixture
def tuner():
    t = Tuner()
    assert t.model.wait()
    yield t
    t.model.close()


def test_tuning_sliders_skip_panels_server_debounce() -> None:
    # TuningSlider lowers Panel's per-class debounce; if Panel renames or stops reading
    # the attribute, this fails instead of the sliders silently waiting 50 ms again.
    assert Syncable._debounce == 50
    assert "self._debounce" in inspect.getsource(Syncable._server_change)
    assert TuningSlider._debounce == 0
    assert pn.widgets.FloatSlider._debounce == 50, "only our sliders change"


def test_every_control_gets_its_own_widgets(tuner: Tuner) -> None:
    layout = tuner.__panel__()
    assert tuner.__panel__() is layout
    sliders = layout.select(TuningSlider)
    controls = tuner.model.controls.values()
    assert len(sliders) == sum(c.has_slider for c in controls)
    entries = layout.select(pn.widgets.FloatInput)
    assert len(entries) == len(controls) + 2  # + t_stop and dt
    labels = {s.label for s in sliders}
    assert {"g (µS)", "gna (mS/cm²)", "amplitude (µA)"} <= labels
    other = Tuner()
    try:
        assert not set(map(id, other.__panel__().select(TuningSlider))) & set(map(id, sliders))
    finally:
        other.model.close()


def test_widgets_and_model_stay_in_step(tuner: Tuner) -> None:
    layout = tuner.__panel__()
    slider = next(s for s in layout.select(TuningSlider) if s.label == "g (µS)")
    slider.value = 1.0  # 10 µS
    assert tuner.model.get("gj.g") == pytest.approx(0.01)
    tuner.model.undo()
    assert slider.value == pytest.approx(0.30103, abs=1e-5)


def test_plots_update_in_place(tuner: Tuner) -> None:
    root = pn.panel(tuner).get_root(Document())  # renders without a browser
    figures = list(tuner._plots.figures)
    source = tuner._plots.sources["v:b"]
    before = source.data["y"].copy()
    tuner.model.set("gj.g", 0.02)
    assert tuner.model.wait()
    assert tuner._plots.figures == figures and tuner._plots.sources["v:b"] is source
    assert len(source.data["y"]) <= 2002 and (source.data["y"][: len(before)] != before).any()
    ghost = tuner._plots.ghosts["v:b"]
    assert list(ghost.data["y"]) == list(before), "the previous run stays as a ghost"
    assert root is not None


def test_a_rtm_circuit_gets_a_gate_plot() -> None:
    t = Tuner(library.rtm_continuous())
    try:
        assert [f.name for f in t._plots.figures] == ["figure:v", "figure:I", "figure:gate"]
        assert t.model.controls["syn.g"].label == "g (mS)"
    finally:
        t.model.close()


def test_formatting() -> None:
    assert format_conductance(0.002) == "g = 2 µS = 2000 nS · R = 1/g = 0.5 MΩ"
    assert format_conductance(0.0).endswith("R = 1/g = ∞ MΩ")
    assert format_number(None) == "—"
    assert format_number(0.17913) == "0.179"
    assert format_number(1.5e-9) == "1.5e-09"


def test_tuner_accepts_names_and_rejects_nonsense() -> None:
    t = Tuner("hh_chain", t_stop=50.0)
    try:
        assert isinstance(t.model, TunerModel) and t.model.t_stop == 50.0
        assert "s23.g" in t.model.controls
    finally:
        t.model.close()
    with pytest.raises(PresetError, match="hh_gap_pair"):  # names the bundled presets
        Tuner("nope")
    with pytest.raises(TypeError, match="expected a Circuit"):
        Tuner(42)
