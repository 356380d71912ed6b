"""Issue 20: the tuner's displays agree with each other and with what was simulated,
in one unit per quantity (models and figures, without a browser)."""

import json
import math

import pytest

from neuntune import presets
from neuntune.ui.state import TunerModel, resolve_preset


@pytest.fixture
def tuner():
    model = TunerModel(resolve_preset(None))
    model.request_run()
    assert model.wait()
    yield model
    model.close()


def test_a_loaded_value_beyond_the_slider_widens_it(tuner) -> None:
    """Defect 2: a scan point (set_many) of 20 µS on the 0.1–10 µS log slider."""
    control = tuner.controls["gj.g"]
    assert control.param.position.bounds == (-1.0, 1.0)
    tuner.set_many({"gj.g": 0.02})
    low, high = control.param.position.bounds
    assert low == -1.0 and high == pytest.approx(math.log10(20.0))
    assert control.position == pytest.approx(math.log10(20.0))
    assert control.entry == pytest.approx(20.0)
    assert control.param.position.step == pytest.approx((high - low) / 1000)
    assert control.off_scale == "" and control.mark == ""
    # Linear sliders widen both ways.
    amplitude = tuner.controls["a.stim0.amplitude"]
    lo, hi = amplitude.param.position.bounds
    amplitude.entry = hi + 1.0
    amplitude.entry = lo - 2.0
    assert amplitude.param.position.bounds == (lo - 2.0, hi + 1.0)
    assert amplitude.position == lo - 2.0


def test_a_failed_run_marks_the_value_and_the_preset_saves_the_simulated_one(tuner) -> None:
    """Defect 2: 1e6 µS blows up; Download preset saved 1000 mS, a value that never ran."""
    control = tuner.controls["gj.g"]
    control.entry = 5.0
    assert tuner.wait() and tuner.error == ""
    control.entry = 1e6
    assert tuner.wait()
    assert "blew up" in tuner.error
    assert control.entry == 1e6 and control.position == pytest.approx(6.0)
    assert "Not simulated" in control.mark and "hold 5 µS" in control.mark
    assert tuner.controls["gj.g"] is control and tuner.controls["a.cm"].mark == ""
    saved = json.loads(presets.dumps(tuner.simulated_preset()))
    assert saved["connections"][0]["parameters"]["g"] == {"value": 0.005, "unit": "mS"}
    assert tuner.to_preset().circuit.get("gj.g") == 1000.0  # the current state (mS)
    # A value that runs clears the mark; the download follows.
    control.entry = 3.0
    assert tuner.wait() and tuner.error == "" and control.mark == ""
    assert tuner.simulated_preset().circuit.get("gj.g") == pytest.approx(0.003)


def test_zero_on_a_log_slider_is_marked(tuner) -> None:
    control = tuner.controls["gj.g"]
    control.entry = 0.0
    assert control.position == control.param.position.bounds[0]
    assert control.off_scale.startswith("0 µS lies below the log slider's range")
    control.entry = 2.0
    assert control.off_scale == ""


# ----------------------------------------------------------- defect 4: one unit each
def test_a_refused_value_is_named_in_the_unit_it_was_typed_in(tuner) -> None:
    """Typing −1 in the µS entry said "−0.001 mS"."""
    tuner.controls["gj.g"].entry = -1.0
    assert tuner.error == "gj.g: value -1 µS is out of range; allowed: ≥ 0 µS"
    assert tuner.get("gj.g") == 0.002 and tuner.controls["gj.g"].entry == 2.0
    # A parameter shown in its declared unit keeps the declaration's own message.
    tuner.controls["a.cm"].entry = -1.0
    assert tuner.error.startswith("a.cm: value -1 uF/cm2 is out of range")


def test_the_current_plot_uses_pa_or_na_as_the_metrics_do() -> None:
    """Currents were plotted in µA (ticks 6.000e−5) while the table gave pA."""
    import numpy as np

    from neuntune.ui.plots import TracePlots
    from neuntune.ui.traces import trace_specs

    tuner = TunerModel(resolve_preset(None))
    plots = TracePlots(trace_specs(tuner.circuit))
    figure = next(f for f in plots.figures if f.name == "figure:I")
    t = np.linspace(0, 10, 11, dtype=np.float32)
    tiny = {"I:gj": (t, np.full(11, -7.18e-5, np.float32))}  # µA: −71.8 pA
    plots.show(tiny, 10.0)
    assert figure.yaxis[0].axis_label == "I (pA)"
    np.testing.assert_allclose(plots.sources["I:gj"].data["y"], -71.8, rtol=1e-5)
    low, high = figure.y_range.start, figure.y_range.end
    assert low < -71.8 < high and high - low < 10
    plots.show_ghost(tiny)
    np.testing.assert_allclose(plots.ghosts["I:gj"].data["y"], -71.8, rtol=1e-5)
    # 20 nA: the axis switches to nA, and the ghost already drawn follows.
    plots.show({"I:gj": (t, np.full(11, 0.02, np.float32))}, 10.0)
    assert figure.yaxis[0].axis_label == "I (nA)"
    np.testing.assert_allclose(plots.sources["I:gj"].data["y"], 20.0, rtol=1e-5)
    np.testing.assert_allclose(plots.ghosts["I:gj"].data["y"], -0.0718, rtol=1e-5)
    assert figure.y_range.start < -0.0718 and figure.y_range.end > 20.0
    hover = next(tool for tool in figure.tools if type(tool).__name__ == "HoverTool")
    assert hover.tooltips[-1][1].endswith(" nA")
    # Small changes near the boundary keep the unit (no flicker while dragging).
    plots.show({"I:gj": (t, np.full(11, 8e-4, np.float32))}, 10.0)  # 0.8 nA
    assert figure.yaxis[0].axis_label == "I (nA)"


@pytest.fixture
def session():
    from neuntune.ui.session import Session

    opened = Session(None, warm=False, t_stop=20.0)
    assert opened.wait()
    yield opened
    opened.close()


def test_the_scan_csv_names_its_units_and_uses_the_plots(session) -> None:
    """The scan CSV stored gj.g in mS under a bare "gj.g" while the plot used µS."""
    scan = session.scan
    scan.param.update(x="gj.g", x_from=1.0, x_to=20.0, x_count=3, x_log=False, metric="spikes of a")
    scan.run()
    assert scan.wait() and scan.error == ""
    lines = scan.csv().splitlines()
    assert lines[0] == "gj.g (µS),spikes of a"
    rows = [[float(v) for v in line.split(",")] for line in lines[1:]]
    assert [r[0] for r in rows] == pytest.approx([1.0, 10.5, 20.0])
    assert [r[1] for r in rows] == list(scan.result.values)


def test_the_gap_fit_speaks_the_sliders_unit(session) -> None:
    """The fit's error reported mS while the slider and table show µS."""
    fit = session.gap_fit
    fit.target = 0.999
    fit.run()
    assert fit.wait()
    assert "out of reach" in fit.error and " µS" in fit.error and " mS" not in fit.error
    fit.target = 0.3
    fit.run()
    assert fit.wait() and fit.error == ""
    g = float(fit.status.split("g = ")[1].split(" µS")[0])
    assert g == pytest.approx(fit.result.g * 1e3, rel=1e-3)


# ------------------------------------------------------------------ defect 7: Fit tab
def test_the_gap_fit_validates_its_target_and_bounds_and_clears_stale_results(session) -> None:
    fit = session.gap_fit
    fit.target = 1.5  # refused at once, with the reason, and never clamped
    assert fit.target == 1.5 and fit.error.startswith("Target CC must lie strictly between 0 and 1")
    fit.run()
    assert fit.wait() and fit.result is None and fit.status == ""
    fit.target = 0.3
    assert fit.error == ""
    fit.run()
    assert fit.wait() and fit.result is not None
    # g ≤ 1 µS cannot reach 0.3: the failed fit leaves no result of the previous one.
    fit.g_high = 1.0
    fit.run()
    assert fit.result is None, "cleared as the fit starts"
    assert fit.wait() and fit.result is None
    assert "g between 0 and 1 µS" in fit.error and "widen the g bounds" in fit.error
    fit.g_low, fit.g_high = 2.0, 1.0
    assert fit.error == "g to (1.0 µS) must be larger than g from (2.0 µS)."
    fit.g_high = None
    assert fit.error.startswith("g from = 2.0 µS: give g to as well")
    fit.g_low, fit.g_high = 1.0, 20.0
    fit.run()
    assert fit.wait() and fit.error == ""
    assert 1e-3 <= fit.result.g <= 20e-3 and abs(fit.result.achieved - 0.3) <= 1e-4


def test_counts_tick_at_whole_numbers() -> None:
    from neuntune.ui.plots import XYPlot

    plot = XYPlot("n", "t", "simulation batch", "CC", {"cc": ("CC", "both")}, integer_x=True)
    ticker = plot.figure.xaxis[0].ticker
    assert ticker.min_interval == 1 and ticker.num_minor_ticks == 0


# ------------------------------------------------------------- defect 3: entries
def test_entries_show_the_sliders_precision_and_follow_a_drag(tuner) -> None:
    control = tuner.controls["gj.g"]
    tuner.set_many({"gj.g": 0.00048231516678791225})  # a fit's g, in mS
    assert control.entry == 0.4823  # µS, not 0.48231516678791225
    assert tuner.get("gj.g") == 0.00048231516678791225, "the model keeps the exact value"
    # A drag step (log slider): the value is the slider's, to its precision, and the
    # entry follows while the handle moves (at most every DRAG_ENTRY_EVERY s).
    control._entry_at = 0.0
    control.position = 0.3
    assert tuner.get("gj.g") == pytest.approx(1.995e-3, rel=1e-12)
    assert control.entry == 1.995
    control.position = 0.31  # within DRAG_ENTRY_EVERY of the last: the entry waits...
    assert control.entry == 1.995 and tuner.get("gj.g") == pytest.approx(2.042e-3, rel=1e-12)
    tuner.checkpoint()  # ...and takes the value on release
    assert control.entry == 2.042
    # A typed value is shown as typed.
    control.entry = 2.123456
    assert control.entry == 2.123456 and tuner.get("gj.g") == pytest.approx(2.123456e-3)
    # Linear sliders: the decimals of the step (0.3 µA / 1000), at least 4 digits.
    amplitude = tuner.controls["a.stim0.amplitude"]
    assert amplitude.rounded(0.123456789) == 0.1235
    assert amplitude.rounded(1.23456e-6) == 1.235e-6, "small values keep 4 digits"


# ------------------------------------------------------------ defect 6: gates plot
def test_the_gates_plot_has_distinct_colours_no_bookkeeping_and_legend_swatches() -> None:
    from bokeh.models import Legend

    from neuntune.ui.plots import TracePlots
    from neuntune.ui.traces import trace_specs

    circuit = presets.load("bmtool_ampa_nmda_stp").circuit
    specs = trace_specs(circuit)
    gates = [s.key for s in specs if s.group == "gate"]
    # BMTool's AMPA_NMDA_STP: four kinetic components, u and R; t_last (ms) is not a gate.
    assert gates == [
        "state:syn.A_AMPA", "state:syn.B_AMPA", "state:syn.A_NMDA", "state:syn.B_NMDA",
        "state:syn.u", "state:syn.R",
    ]  # fmt: skip
    plots = TracePlots(specs)
    figure = next(f for f in plots.figures if f.name == "figure:gate")
    colors = [
        r.glyph.line_color
        for r in figure.renderers
        if r.data_source.name in gates  # the gates' own lines
    ]
    assert len(colors) == 6 and len(set(colors)) == 6
    for fig in plots.figures:
        legend = next(obj for obj in fig.right if isinstance(obj, Legend))
        assert legend.click_policy == "hide"
        for item in legend.items:
            # A swatch is drawn from a renderer holding data: every entry has one that
            # always does ("previous" before any change, "recording" before a recording).
            if item.label.value in ("previous", "recording"):
                held = [len(r.data_source.data["x"]) for r in item.renderers]
                assert max(held) >= 1, item.label.value


# ------------------------------------------------------------ defect 5: flat traces
def test_flat_traces_get_a_minimum_axis_span() -> None:
    """A clamped voltage's axis read −69.999997 … −70.000003."""
    import numpy as np

    from neuntune.ui.plots import MIN_SPAN, TracePlots
    from neuntune.ui.traces import trace_specs

    tuner = TunerModel(resolve_preset(None))
    plots = TracePlots(trace_specs(tuner.circuit))
    t = np.linspace(0, 10, 11, dtype=np.float32)
    flat = {
        "v:a": (t, np.full(11, -70.0, np.float32)),
        "v:b": (t, np.full(11, -70.0, np.float32)),
        "I:gj": (t, np.zeros(11, np.float32)),
    }
    plots.show(flat, 10.0)
    ranges = {f.name: (f.y_range.start, f.y_range.end) for f in plots.figures}
    assert ranges["figure:v"] == pytest.approx((-71.0, -69.0))
    assert ranges["figure:I"] == pytest.approx((-1.0, 1.0))  # pA
    assert MIN_SPAN["v"] == 2.0
    # Data wider than the minimum keep their 5 % margins.
    flat["v:b"] = (t, np.linspace(-70.0, -50.0, 11, dtype=np.float32))
    plots.show(flat, 10.0)
    start, end = plots.figures[0].y_range.start, plots.figures[0].y_range.end
    assert (start, end) == pytest.approx((-71.0, -49.0))


# ----------------------------------------------------- defect 10: the notebook's text
def test_the_notebook_states_the_run_its_preset_makes() -> None:
    """examples/tuner.ipynb said "200 ms at dt 0.01 ms" for a preset that runs 100 ms at
    dt 0.001 ms: every run it describes must be the one its tuner makes."""
    import re
    from pathlib import Path

    notebook = Path(__file__).parents[1] / "examples" / "tuner.ipynb"
    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    preset = re.search(r'Tuner\("(\w+)"\)', code)[1]
    stated = re.findall(r"(\d+(?:\.\d+)?) ms at dt =? ?(\d+(?:\.\d+)?) ms(?: \((\w+)\))?", text)
    assert stated, "the notebook states its run settings"
    run = presets.load(preset).run
    for t_stop, dt, method in stated:
        assert (float(t_stop), float(dt)) == (run.t_stop, run.dt)
        assert method in ("", run.method.upper(), run.method)
    # And the tuner it opens runs with them (status line of the first run).
    model = TunerModel(resolve_preset(preset))
    model.request_run()
    assert model.wait()
    model.close()
    assert model.status == f"{run.t_stop:g} ms at dt {run.dt:g} ms ({run.method})"


def test_synapse_fit_targets_are_shown_in_the_response_tables_units() -> None:
    """Defect 4: the Fit tab's targets said µA while the response table said pA."""
    from neuntune.ui.fit_panel import FitPanel, target_display
    from neuntune.ui.session import Session

    session = Session("bmtool_ampa_nmda_stp", warm=False)
    try:
        assert session.wait() and session.settings.clamped
        session.synapse_fit.targets = {"peak": -7.18e-5, "charge": -2e-3, "decay": 3.0}
        rows = FitPanel(session)._target_rows().set_index("metric")
        assert rows.loc["peak", "unit"] == "pA"
        assert rows.loc["peak", "target"] == pytest.approx(-71.8)
        assert rows.loc["charge", "unit"] == "pC"
        assert rows.loc["charge", "target"] == pytest.approx(-2.0)
        assert (rows.loc["decay", "unit"], rows.loc["decay", "target"]) == ("ms", 3.0)
        assert target_display("ppr@20", True) == ("", 1.0)
        assert target_display("peak", False) == ("mV", 1.0)
    finally:
        session.close()
