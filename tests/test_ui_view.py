"""The Panel view without a browser: widgets per control, in-place plot updates,
presets' run settings and slider hints, rebuilding on a
preset switch, formatting and the entry point's argument checks."""

import time

import panel as pn
import pytest
from bokeh.document import Document

from neuntune import PresetError, bundled
from neuntune.ui import Tuner, TunerModel, view
from neuntune.ui.readouts import format_conductance
from neuntune.ui.view import TuningSlider
from neuntune.ui.widgets import format_number


@pytest.fixture
def tuner():
    t = Tuner(warm=False)
    assert t.model.wait()
    yield t
    t.session.close()


def _unfold(layout: pn.viewable.Viewable) -> None:
    """Open every card (folded ones build their rows when opened), nested ones too."""
    while folded := [card for card in layout.select(pn.Card) if card.collapsed]:
        for card in folded:
            card.collapsed = False


def test_every_control_gets_its_own_widgets(tuner: Tuner) -> None:
    layout = tuner.__panel__()
    assert tuner.__panel__() is layout
    _unfold(layout)
    sliders = layout.select(TuningSlider)
    controls = tuner.model.controls.values()
    assert len(sliders) == sum(c.has_slider for c in controls)
    entries = tuner._panel.sidebar.select(pn.widgets.FloatInput)
    assert len(entries) == len(controls) + 2  # + t_stop and dt
    labels = {s.label for s in sliders}
    assert {"g (µS)", "gna (mS/cm²)", "amplitude (µA)"} <= labels
    other = Tuner(warm=False)
    try:
        _unfold(other.__panel__())
        assert not set(map(id, other.__panel__().select(TuningSlider))) & set(map(id, sliders))
    finally:
        other.session.close()


def test_folded_cards_build_their_rows_when_first_opened(tuner: Tuner) -> None:
    panel = tuner._panel
    card = panel.cards["a"]  # a cell's card starts folded, empty
    assert card.collapsed and card.objects == []
    assert not any(s.label.startswith("gna") for s in panel.sidebar.select(TuningSlider))
    card.collapsed = False
    rows = list(card.objects)
    assert any(s.label == "gna (mS/cm²)" for s in card.select(TuningSlider))
    more = next(c for c in card.objects if isinstance(c, pn.Card))  # nested, folded too
    assert more.collapsed and more.objects == []
    card.collapsed = True
    card.collapsed = False
    assert card.objects == rows  # built once
    # The readout follows a conductance whatever has been built.
    tuner.model.set("gj.g", 0.004)
    assert "4 µS" in panel.readouts["gj"].object


def test_widgets_and_model_stay_in_step(tuner: Tuner) -> None:
    layout = tuner.__panel__()
    slider = next(s for s in layout.select(TuningSlider) if s.label == "g (µS)")
    slider.value = 1.0  # 10 µS
    assert tuner.model.get("gj.g") == pytest.approx(0.01)
    tuner.model.undo()
    assert slider.value == pytest.approx(0.30103, abs=1e-5)


def test_plots_update_in_place(tuner: Tuner) -> None:
    root = pn.panel(tuner).get_root(Document())  # renders without a browser
    figures = list(tuner._panel.plots.figures)
    source = tuner._panel.plots.sources["v:b"]
    before = source.data["y"].copy()
    tuner.model.set("gj.g", 0.02)
    assert tuner.model.wait()
    plots = tuner._panel.plots
    assert plots.figures == figures and plots.sources["v:b"] is source
    assert len(source.data["y"]) <= 2002 and (source.data["y"][: len(before)] != before).any()
    ghost = plots.ghosts["v:b"]
    assert list(ghost.data["y"]) == list(before), "the previous run stays as a ghost"
    assert root is not None


def test_a_rtm_circuit_gets_a_gate_plot() -> None:
    t = Tuner(bundled.rtm_continuous(), warm=False)
    try:
        assert [f.name for f in t._panel.plots.figures] == ["figure:v", "figure:I", "figure:gate"]
        assert t.model.controls["syn.g"].label == "g (mS)"
    finally:
        t.session.close()


def test_formatting() -> None:
    assert format_conductance(0.002) == "g = 2 µS = 2000 nS · R = 1/g = 0.5 MΩ"
    assert format_conductance(0.0).endswith("R = 1/g = ∞ MΩ")
    assert format_number(None) == "—"
    assert format_number(0.17913) == "0.179"
    assert format_number(1.5e-9) == "1.5e-09"


def test_tuner_accepts_names_and_rejects_nonsense() -> None:
    t = Tuner("hh_chain", t_stop=50.0, warm=False)
    try:
        assert isinstance(t.model, TunerModel) and t.model.t_stop == 50.0
        assert t.model.dt == 0.001, "the preset's own step"
        assert "s23.g" in t.model.controls and t.session.preset_name == "hh_chain"
    finally:
        t.session.close()
    with pytest.raises(PresetError, match="hh_gap_pair"):  # names the bundled presets
        Tuner("nope")
    with pytest.raises(TypeError, match="expected a Circuit"):
        Tuner(42)


def test_a_preset_brings_its_run_settings_and_slider_hints() -> None:
    t = Tuner("bmtool_ampa_nmda_stp", warm=False)
    try:
        m = t.model
        assert (m.t_stop, m.dt, m.method) == (600.0, 0.025, "rk4")
        g = m.controls["syn.g"]  # hint: nS, 0.1…10, log (declared in mS)
        assert g.label == "g (nS)" and g.log and g.entry == pytest.approx(1.0)
        assert g.param.position.bounds == pytest.approx((-1.0, 1.0))
        assert m.controls["syn.Use"].param.position.bounds == (0.0, 1.0)
        # The hinted parameters come first in their card; the rest fold away.
        t.__panel__()
        sliders = [s.label for s in t._panel.sidebar.select(TuningSlider)]
        assert sliders[:7] == [
            "g (nS)",
            "initW",
            "Use",
            "Dep (ms)",
            "Fac (ms)",
            "tau_d_AMPA (ms)",
            "NMDA_ratio",
        ]
        # The clamp current is plotted (EPSCs negative, as an amplifier records them).
        assert "I:post.clamp" in t._panel.plots.sources
    finally:
        t.session.close()


def test_opening_another_preset_rebuilds_controls_plots_and_tabs(tuner: Tuner) -> None:
    tuner.__panel__()
    old_model, old_sidebar = tuner.model, tuner._sidebar_box.objects[0]
    tuner.session.preset_name = "rtm_continuous"
    assert tuner.model is not old_model and tuner.model.circuit.connections.keys() == {"syn"}
    assert tuner._sidebar_box.objects[0] is not old_sidebar
    labels = {s.label for s in tuner._sidebar_box.select(TuningSlider)}
    assert "weight" in labels and "g (µS)" not in labels
    assert set(tuner._panel.plots.sources) >= {"v:n0", "I:syn", "state:syn.s"}
    assert tuner.model.wait() and tuner.model.result.t[-1] == pytest.approx(100.0)
    with pytest.raises(RuntimeError, match="shutdown"):
        old_model._runner.start(print)  # the old preset's worker was stopped


def test_the_plots_carry_the_loading_overlay_while_a_run_is_slow(tuner: Tuner) -> None:
    tuner.__panel__()
    panel = tuner._panel
    assert not panel.results.loading  # the first run is shown
    with tuner.model.param.update(busy=True):  # a run that shows nothing for a while
        assert not panel.results.loading  # not at once: most runs take ~20 ms
        time.sleep(3 * view.SLOW_RUN)
        assert panel.results.loading
    assert not panel.results.loading  # shown: the overlay lifts
    # a drag: runs follow each other, each shown within SLOW_RUN, so no overlay
    frames = panel._frames
    for value in (0.001, 0.002, 0.003, 0.004, 0.005):
        tuner.model.set("gj.g", value)
        time.sleep(view.SLOW_RUN / 3)
        assert not panel.results.loading
    assert tuner.model.wait() and panel._frames > frames and not panel.results.loading
    # a new preset's plots are under the overlay until its first run is shown
    tuner.session.preset_name = "rtm_continuous"
    assert tuner.model.wait()
    assert not tuner._panel.results.loading and tuner._panel._frames >= 1
