"""The tuner's model and view on circuits with populations (no browser)."""

import time

import numpy as np
import pytest

import neuntune as nt
from neuntune.presets import Preset, RunSettings
from neuntune.ui.population import (
    MAX_SHOWN,
    RECORD_VALUES,
    NetworkMetrics,
    parse_members,
    record_plan,
)
from neuntune.ui.session import Session
from neuntune.ui.state import TunerModel


def network(n: int = 10) -> nt.Circuit:
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(), n=n)
    c.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    c.set("wb.v0", nt.Uniform(-70, -50, seed=1))
    return c


def short(c: nt.Circuit) -> Preset:
    return Preset(c, "net", run=RunSettings(t_stop=50.0, dt=0.02))


@pytest.fixture
def model():
    m = TunerModel(short(network()))
    yield m
    m.close()


def settle(m: TunerModel) -> None:
    """Wait for the run and for its metrics (computed after METRICS_AFTER)."""
    assert m.wait()
    for _ in range(100):
        if m.population_metrics is not None and not m.busy:
            return
        time.sleep(0.05)


def test_a_network_run_gives_raster_rate_members_and_metrics(model) -> None:
    model.request_run()
    settle(model)
    assert model.network and model.specs == []
    assert set(model.traces) == {"raster:wb", "rate:wb", "v:wb[0]", "v:wb[1]", "v:wb[2]"}
    times, rows = model.traces["raster:wb"]
    spikes = model.result.spikes["wb"]
    np.testing.assert_allclose(times, spikes.t, rtol=1e-6)
    np.testing.assert_array_equal(rows, spikes.i)
    assert model.traces["rate:wb"][0][-1] == pytest.approx(49.5)  # 1 ms bins
    metrics = model.population_metrics
    assert isinstance(metrics, NetworkMetrics)
    wb = metrics.populations["wb"]
    assert wb.size == 10 and wb.spikes == len(spikes.t)
    assert wb.mean_rate == pytest.approx(len(spikes.t) / 10 / 0.05)
    assert wb.chi_members == 10 and 0 < wb.chi <= 1  # every member recorded for χ
    assert model.result.v["wb"].shape[0] == 10


def test_members_shown_are_chosen_and_checked(model) -> None:
    model.show_members("wb", "1, 4-5")
    settle(model)
    assert model.members == {"wb": (1, 4, 5)}
    assert {k for k in model.traces if k.startswith("v:")} == {"v:wb[1]", "v:wb[4]", "v:wb[5]"}
    model.show_members("wb", "12")
    assert "12 is out of range; wb has 10 members (0 to 9)" in model.error
    assert model.members == {"wb": (1, 4, 5)}
    with pytest.raises(ValueError, match="at most"):
        parse_members("0-10", 100, "wb")
    with pytest.raises(ValueError, match="not a member index"):
        parse_members("a", 10, "wb")
    assert parse_members(" 3; 1,1 ,2-3", 10, "wb") == (1, 2, 3)


def test_a_heterogeneous_parameter_says_so_and_a_slider_replaces_it(model) -> None:
    control = model.controls["wb.v0"]
    v0 = model.circuit.get("wb.v0")
    assert control.spread.startswith("Differs between the 10 members: mean")
    assert control.entry == round(v0.mean(), 2)  # to the slider's precision (4 digits)
    assert "every member" in control.spread
    assert model.controls["wb.gna"].spread == ""
    model.set("wb.v0", -60.0)
    assert model.circuit.get("wb.v0") == -60.0 and control.spread == ""
    model.undo()  # the distribution itself comes back, not its samples
    assert model.circuit.member_values["wb"]["v0"] == nt.Uniform(-70, -50, seed=1)
    assert control.spread.startswith("Differs")
    model.set("wb.v0", -55.0)
    model.reset("wb.v0")
    assert model.circuit.member_values["wb"]["v0"] == nt.Uniform(-70, -50, seed=1)
    model.set("gap.g", 2e-3)
    model.reset()
    assert model.circuit.get("gap.g") == 1e-3
    assert model.circuit.member_values["wb"]["v0"] == nt.Uniform(-70, -50, seed=1)


def test_csv_has_a_column_per_recorded_member(model) -> None:
    model.request_run()
    settle(model)
    header = model.csv().splitlines()[0].split(",")
    assert header[:3] == ["t (ms)", "wb[0].v (mV)", "wb[1].v (mV)"]
    assert len(header) == 11


def test_the_record_plan_keeps_shown_members_and_the_budget() -> None:
    c = network(10)
    plan = record_plan(c, {"wb": (0, 1, 2)}, 20_000, 200_001)
    assert plan.record == ["wb[0:10].v"] and plan.record_every == 1
    big = nt.Circuit()
    big.add("p", nt.WangBuzsaki(), n=5000)
    # The block spans the shown members, then grows up to the budget (upwards first).
    plan = record_plan(big, {"p": (4000, 4002)}, 20_000, 200_001)
    assert plan.record_every == 1
    lo, hi = plan.recorded["p"]
    assert lo == 4000 and hi - lo == RECORD_VALUES // 20_001
    plan = record_plan(big, {"p": (4990, 4999)}, 20_000, 200_001)
    assert plan.recorded["p"] == (5000 - RECORD_VALUES // 20_001, 5000)
    # Shown members too far apart for every step: the block is thinned in time.
    plan = record_plan(big, {"p": (0, 4999)}, 100_000, 200_001)
    assert plan.recorded["p"] == (0, 5000) and plan.record_every > 1
    samples = -(-100_000 // plan.record_every) + 1
    assert 5000 * samples <= RECORD_VALUES
    # Two populations share what is left in proportion to what each leaves out.
    two = nt.Circuit()
    two.add("e", nt.WangBuzsaki(), n=3200)
    two.add("i", nt.WangBuzsaki(), n=800)
    plan = record_plan(two, {"e": (0, 1, 2), "i": (0, 1, 2)}, 2000, 200_001)
    widths = {name: hi - lo for name, (lo, hi) in plan.recorded.items()}
    assert sum(widths.values()) * 2001 <= RECORD_VALUES
    assert widths["e"] == pytest.approx(4 * widths["i"], rel=0.01) and widths["i"] > 300
    assert MAX_SHOWN == 10


def test_the_session_offers_fits_scans_and_protocols_for_networks() -> None:
    session = Session(short(network(4)), warm=True)
    try:
        assert session.tuner.network and not session.warming  # tabs compile on first use
        assert session.gap_fit.junction == "gap" and session.scan.metric is not None
        # one population: the directions are its members' (pre member i to post member j)
        assert session.gap_fit.param.direction.objects == {
            "wb[i] → wb[j]": "a->b",
            "wb[j] → wb[i]": "b->a",
            "both (mean)": "both",
        }
        assert session.wait()
    finally:
        session.close()


def test_the_view_builds_for_a_network() -> None:
    from neuntune.ui.tuner import Tuner

    tuner = Tuner(short(network(4)), warm=False)
    try:
        tuner.__panel__()
        tuner.session.wait()
        panel = tuner._panel
        assert [f.name for f in panel.plots.figures] == [
            "figure:raster",
            "figure:rate",
            "figure:members",
        ]
        for tab in (1, 2, 3):  # Fit, Scan, Protocols build for a network
            tuner._tabs.active = tab
            assert tuner._tab_boxes[("Fit", "Scan", "Protocols")[tab - 1]].objects
    finally:
        tuner.session.close()


def test_the_fit_tab_fits_a_network_junction_on_its_mean_pairwise_cc() -> None:
    session = Session(short(network(6)), warm=False)
    try:
        fit = session.gap_fit
        assert fit.junction == "gap" and session.spectrum.param.junction.objects == []
        fit.param.update(target=0.05, direction="both")
        fit.run()
        assert fit.wait(300)
        assert fit.error == "" and fit.result is not None, fit.error
        assert fit.result.achieved == pytest.approx(0.05, abs=1e-4)
        check = session.tuner.circuit.copy()
        check.set("gap.g", fit.result.g)
        measured = nt.pairwise_coupling(check, "gap", max_sources=8)
        assert measured.mean == pytest.approx(fit.result.achieved, rel=1e-9)
        fit.apply()
        assert session.tuner.get("gap.g") == fit.result.g
    finally:
        session.close()


def test_the_scan_tab_offers_population_metrics_and_scans_a_network() -> None:
    session = Session(short(network(6)), warm=False)
    try:
        scan = session.scan
        labels = list(scan.choices)
        assert labels[:3] == [
            "χ synchrony of wb (Golomb)",
            "mean rate of wb (Hz per member)",
            "spikes of wb (all members)",
        ]
        assert not any(label.startswith(("CC ", "synchrony ")) for label in labels)
        scan.param.update(x="gap.g", x_from=0.0, x_to=5.0, x_count=3, x_log=False,
                          metric="χ synchrony of wb (Golomb)")  # fmt: skip
        scan.run()
        assert scan.wait(300)
        assert scan.error == "", scan.error
        tuner = session.tuner
        direct = nt.scan(tuner.circuit, {"gap.g": scan.result.axes["gap.g"]}, "chi:wb",
                         t_stop=tuner.t_stop, dt=tuner.dt, method=tuner.method)  # fmt: skip
        np.testing.assert_allclose(scan.result.values, direct.values, rtol=1e-12)
    finally:
        session.close()
