"""Scans: batched equals one-by-one, 2-D grids, metrics, progress and dask."""

import time

import dask
import dask.distributed as distributed
import numpy as np
import pytest

import neuntune as nt
from neuntune.bundled import hh_chain, hh_gap_pair
from neuntune.sweep import parse_axis


def test_batched_scan_equals_one_by_one_runs():
    circuit = hh_gap_pair()
    gs = np.linspace(1e-4, 1e-2, 20)
    result = nt.scan(circuit, {"gj.g": gs}, "synchrony", t_stop=100.0, dt=0.001)
    singles = []
    for g in gs[:5]:
        circuit.set("gj.g", g)
        res = nt.simulate(circuit, 100.0, 0.001, record="v")
        singles.append(nt.analysis.pearson(res.v["a"], res.v["b"]))
    np.testing.assert_allclose(result.values[:5], singles, rtol=1e-12)
    # the Neun docs' claim: coupled cells synchronise more as g grows
    assert result.values[0] < 0.5 < 0.95 < result.values[-1]
    assert np.all(np.diff(result.values) > -1e-3)


def test_summed_voltages_equal_sums_of_the_recorded_traces():
    """sum_batch adds each voltage sample as it is made (nothing stored); its first
    sample, Σd and Σd_i·d_k (d = v − first sample) match numpy's sums of the traces
    simulate_batch keeps, to rounding of 10⁴-term sums.  One member takes the
    single-member kernel, two the batch kernel."""
    circuit = hh_chain()
    cells = ["n1", "n2", "n3"]
    for values in (
        {"s12.g": [0.0005, 0.002], "n1.stim0.amplitude": [0.1, 0.15]},
        {"s12.g": [0.001]},
    ):
        sums = nt.sum_batch(circuit, values, 40.0, 0.01, record_every=3)
        runs = nt.simulate_batch(circuit, values, 40.0, 0.01, record="v", record_every=3)
        assert sums.cells == cells and sums.n == len(runs[0].t)
        for member, res in enumerate(runs):
            d = np.array([res.v[c] - res.v[c][0] for c in cells])
            m = sums.moments[member]
            np.testing.assert_array_equal(m[:, 0], [res.v[c][0] for c in cells])
            np.testing.assert_allclose(m[:, 1], d.sum(axis=1), rtol=1e-11)
            np.testing.assert_allclose(m[:, 2:], d @ d.T, rtol=1e-11)


def test_circuits_with_events_are_summed_too():
    """Event-driven circuits sum their voltages as they go like any other (the events
    split steps; samples are taken on the grid): a synchrony scan gives a single run's
    correlation, and float32, whose sums would lose digits, declines (None)."""
    circuit = hh_gap_pair()
    circuit.connect("a", "b", nt.ExpSynapse(g=0.0005, tau=5.0), name="syn")
    assert nt.sum_batch(circuit, {"gj.g": [0.001]}, 10.0, precision="float32") is None
    result = nt.scan(circuit, {"gj.g": [0.0005, 0.004]}, "synchrony", t_stop=40.0)
    circuit.set("gj.g", 0.004)
    single = nt.simulate(circuit, 40.0, 0.01)
    assert len(single.spikes["a"]) > 0
    assert result.values[1] == pytest.approx(
        nt.analysis.pearson(single.v["a"], single.v["b"]), rel=1e-9
    )


def test_batched_traces_agree_with_single_runs():
    """The vectorised lanes and the scalar path contract multiply-adds differently
    (both valid roundings); the difference stays at rounding level here."""
    circuit = hh_gap_pair()
    batch = nt.simulate_batch(circuit, {"gj.g": [0.001, 0.004, 0.002]}, 30.0, 0.01)
    circuit.set("gj.g", 0.004)
    single = nt.simulate(circuit, 30.0, 0.01, record="v")
    np.testing.assert_allclose(batch[1].v["a"], single.v["a"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(batch[1].spikes["a"], single.spikes["a"], atol=1e-10)


def test_a_voltage_landing_exactly_on_the_threshold_is_a_spike_in_batches_too():
    """A crossing is old < threshold <= new.  A clamp stepping from -70 mV to exactly
    the 0 mV threshold is one; the batch kernel's vectorised spike gate must let it
    through to the exact pass (a gate testing new > threshold would drop it)."""
    circuit = nt.Circuit()
    circuit.add("a", nt.Passive())
    circuit.add("b", nt.Passive())
    circuit.connect("a", "b", nt.GapJunction(g=0.001), name="gj")
    circuit.stimulate("a", nt.VoltageClamp(holding=-70.0, level=0.0, start=1.0, stop=2.0))
    single = nt.simulate(circuit, 5.0, 0.01)
    assert single.v["a"].max() == 0.0
    assert len(single.spikes["a"]) == 1 and single.spikes["a"][0] == pytest.approx(1.0, abs=0.01)
    for run in nt.simulate_batch(circuit, {"gj.g": [0.001, 0.002, 0.003]}, 5.0, 0.01):
        np.testing.assert_allclose(run.spikes["a"], single.spikes["a"], rtol=0, atol=1e-12)


def test_a_batch_shares_one_read_only_time_axis():
    runs = nt.simulate_batch(hh_gap_pair(), {"gj.g": [0.001, 0.002]}, 5.0, 0.01, record_every=5)
    assert runs[0].t is runs[1].t
    np.testing.assert_allclose(runs[0].t, np.arange(101) * 0.05, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="read-only"):
        runs[0].t[0] = 1.0


def test_summed_moments_equal_the_recorded_traces():
    """sum_batch keeps Σd and Σd·d per member instead of traces: the same numbers as
    summing the traces simulate_batch records, also when a varied parameter feeds a
    derived value (cm -> 1/cm) that must then differ between members."""
    circuit = hh_gap_pair()
    values = {"a.cm": [1.0, 2.0, 0.5, 1.5], "gj.g": [0.002, 0.002, 0.004, 0.001]}
    runs = nt.simulate_batch(circuit, values, 30.0, 0.01)
    assert not np.allclose(runs[0].v["a"], runs[1].v["a"], atol=1.0)  # cm matters
    sums = nt.sum_batch(circuit, values, 30.0, 0.01)
    assert sums.cells == ["a", "b"] and sums.n == len(runs[0].t)
    for member, res in enumerate(runs):
        d = np.array([res.v[c] - res.v[c][0] for c in ("a", "b")])
        np.testing.assert_allclose(sums.moments[member][:, 1], d.sum(axis=1), rtol=1e-9)
        np.testing.assert_allclose(sums.moments[member][:, 2:], d @ d.T, rtol=1e-9)


def test_two_dimensional_scan_and_table():
    circuit = hh_gap_pair()
    result = nt.scan(
        circuit, {"gj.g": "0.0001:0.01:3", "a.stim0.amplitude": [0.0, 0.1]}, "rate:a", t_stop=60.0
    )
    assert result.values.shape == (3, 2)
    # without its own input a fires at most a rebound spike (it starts at -75 mV) and
    # what b drives through the junction; with 0.1 µA it fires repetitively
    assert np.all(result.values[:, 0] < 40.0) and np.all(result.values[:, 1] > 60.0)
    assert result.params["gj.g"].shape == (3, 2)
    rows = result.table()
    assert len(rows) == 6 and set(rows[0]) == {"gj.g", "a.stim0.amplitude", "rate:a"}
    frame = result.to_dataframe()
    assert list(frame.columns) == ["gj.g", "a.stim0.amplitude", "rate:a"] and len(frame) == 6


def test_cc_metric_runs_the_coupling_protocol():
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.add("b", nt.Passive())
    c.connect("a", "b", nt.GapJunction(), name="gj")
    gs = np.array([1e-5, 1e-4, 1e-3])
    result = nt.scan(c, {"gj.g": gs}, "cc:a->b", dt=0.025)
    gl = 0.1 * 7.854e-3
    np.testing.assert_allclose(result.values, gs / (gl + gs), atol=1e-5)


# BMTool's train: 8 pulses at 50 Hz, 4 more 250 ms after the 8th (all 12 define recovery)
TRAIN = np.concatenate([20.0 + 20.0 * np.arange(8), 410.0 + 20.0 * np.arange(4)])
SYNAPSE_METRICS = ["peak", "latency", "rise", "decay", "half_width", "charge",
                   "paired_pulse_ratio", "ppr", "induction", "recovery"]  # fmt: skip


def stp_synapse(clamped: bool) -> nt.Circuit:
    """A depressing GABA_A synapse driven by BMTool's train onto a passive cell, voltage-
    clamped at -70 mV (the response is the clamp current) or free (its voltage; τ_m =
    cm/gl = 1 ms, so a PSP falls to half before the next pulse and has a half-width)."""
    c = nt.Circuit()
    c.add("pre", nt.SpikeSource(TRAIN))
    c.add("post", nt.Passive(area=2e-5, gl=1.0))
    c.connect("pre", "post", nt.GABA_A_STP(), name="syn")
    if clamped:
        c.stimulate("post", nt.VoltageClamp(holding=-70.0, level=-70.0, start=0.0, stop=0.0),
                    name="clamp")  # fmt: skip
    return c


@pytest.mark.parametrize("clamped", [True, False], ids=["PSC", "PSP"])
def test_synapse_metrics_by_name_equal_the_analysis_of_a_single_run(clamped):
    """Metrics by name ("peak:syn", "ppr:syn", ...) equal analysis.synapse_response of one
    simulate() of the same circuit (the clamp current, or the post cell's voltage,
    against the delivery times of syn's events): the same arithmetic on the same
    numbers, so to 1e-12 (a batch member equals its single run)."""
    circuit = stp_synapse(clamped)
    uses = np.array([0.2, 0.6])
    settings = dict(t_stop=520.0, dt=0.025)
    for name in SYNAPSE_METRICS:
        scanned = nt.scan(circuit, {"syn.Use": uses}, f"{name}:syn", **settings)
        assert scanned.metric == f"{name}:syn"
        for use, value in zip(uses, scanned.values, strict=True):
            circuit.set("syn.Use", use)
            run = nt.simulate(circuit, **settings)
            y = run.current["clamp"] if clamped else run.v["post"]
            kind, unit = ("PSC", "uA") if clamped else ("PSP", "mV")
            response = nt.analysis.synapse_response(run.t, y, run.events["syn"]["t"], kind, unit)
            assert response.events == 12 and response.note == ""
            expected = {**response.event, **response.train}[name]
            assert expected is not None and np.isfinite(value), name
            np.testing.assert_allclose(value, expected, rtol=1e-12, err_msg=name)
    # the circuit has one chemical connection: its name may be left out
    alone = nt.scan(circuit, {"syn.Use": uses}, "ppr", **settings)
    named = nt.scan(circuit, {"syn.Use": uses}, "ppr:syn", **settings)
    np.testing.assert_array_equal(alone.values, named.values)


def test_synapse_metrics_mean_what_their_names_say():
    """Under an ideal clamp the current is g·s·(V_hold − E) with s independent of g, so
    the peak and charge scale with g (to rounding); a depressing synapse depresses
    more with a larger release probability Use: A2/A1 below 1 and falling, BMTool's
    ppr = (A2 − A1)/P90 negative and falling; the inhibitory current at -70 mV with
    E = -75 mV is outward (positive)."""
    circuit = stp_synapse(clamped=True)
    settings = dict(t_stop=520.0, dt=0.025)
    gs = np.array([1e-7, 2e-7, 4e-7])
    for name in ("peak", "charge"):
        values = nt.scan(circuit, {"syn.g": gs}, f"{name}:syn", **settings).values
        assert np.all(values > 0), name
        np.testing.assert_allclose(values / gs, values[0] / gs[0], rtol=1e-9, err_msg=name)
    uses = np.array([0.2, 0.4, 0.8])
    pulse_ratio = nt.scan(circuit, {"syn.Use": uses}, "paired_pulse_ratio:syn", **settings)
    ppr = nt.scan(circuit, {"syn.Use": uses}, "ppr:syn", **settings)
    assert np.all(pulse_ratio.values < 1) and np.all(np.diff(pulse_ratio.values) < 0)
    assert np.all(ppr.values < 0) and np.all(np.diff(ppr.values) < 0)


def test_a_synapse_metric_names_one_chemical_connection_onto_one_cell():
    with pytest.raises(ValueError, match=r"metric 'peak:gj': name a chemical connection, "
                       r"e\.g\. peak:syn \(chemical connections: none\)"):  # fmt: skip
        nt.scan(hh_gap_pair(), {"gj.g": [0.001]}, "peak:gj", t_stop=1.0)
    two = stp_synapse(clamped=False)
    two.connect("pre", "post", nt.ExpSynapse(), name="fast")
    with pytest.raises(ValueError, match=r"metric 'ppr': name a chemical connection, e\.g\. "
                       r"ppr:syn \(chemical connections: syn, fast\)"):  # fmt: skip
        nt.scan(two, {"syn.g": [1e-7]}, "ppr", t_stop=1.0)
    net = nt.Circuit()
    net.add("pre", nt.SpikeSource(TRAIN))
    net.add("post", nt.Passive(), n=3)
    net.connect("pre", "post", nt.ExpSynapse(), name="syn", rule=nt.AllToAll())
    with pytest.raises(ValueError, match=r"metric 'peak:syn': syn makes 3 connections onto 3 "
                       r"cell\(s\); a synapse metric needs one connection onto one"):  # fmt: skip
        nt.scan(net, {"syn.g": [1e-7]}, "peak:syn", t_stop=1.0)


def test_a_synapse_metric_of_a_synapse_that_logs_no_events_follows_the_scanned_delay():
    """An Exp2Synapse logs no events: its responses are measured from the pre cell's
    spikes plus each member's own delay, so the latency (delivery to onset) does not
    move with the delay while the whole response does."""
    circuit = nt.Circuit()
    circuit.add("pre", nt.SpikeSource(TRAIN[:2]))
    circuit.add("post", nt.Passive(area=2e-5, gl=1.0))
    circuit.connect("pre", "post", nt.Exp2Synapse(g=2e-6), name="syn")
    delays = np.array([0.5, 3.0])
    settings = dict(t_stop=60.0, dt=0.025)
    latency = nt.scan(circuit, {"syn.delay": delays}, "latency:syn", **settings).values
    for delay, value in zip(delays, latency, strict=True):
        circuit.set("syn.delay", delay)
        run = nt.simulate(circuit, **settings)
        events = run.spikes["pre"] + delay
        expected = nt.analysis.synapse_response(run.t, run.v["post"], events, "PSP", "mV")
        np.testing.assert_allclose(value, expected.event["latency"], rtol=1e-12)
    # the same shape, shifted by 2.5 ms = 100 steps of the grid: the same latency
    np.testing.assert_allclose(latency[1], latency[0], rtol=1e-9)


def test_a_synapse_metric_without_events_is_nan():
    circuit = stp_synapse(clamped=True)
    result = nt.scan(circuit, {"syn.Use": [0.5]}, "peak:syn", t_stop=10.0, dt=0.025)
    assert np.isnan(result.values[0])  # the first spike comes at 20 ms


def test_callable_metric_and_progress_and_cancel():
    circuit = hh_gap_pair()
    seen = []
    result = nt.scan(circuit, {"a.gna": [100.0, 120.0]}, lambda r: r.v["a"].max(), t_stop=20.0,
                     progress=lambda f: seen.append(f))  # fmt: skip
    assert result.values.shape == (2,) and seen and seen[-1] == pytest.approx(1.0)
    with pytest.raises(nt.CancelledError):
        nt.scan(circuit, {"a.gna": [100.0, 120.0]}, "synchrony", t_stop=200.0, dt=0.001,
                progress=lambda f: f > 0.2)  # fmt: skip


@pytest.mark.parametrize(
    "text, expected",
    [("0:1:3", [0.0, 0.5, 1.0]), ("log:1:100:3", [1.0, 10.0, 100.0])],
)
def test_grid_strings(text, expected):
    np.testing.assert_allclose(parse_axis(text), expected)


@pytest.mark.parametrize("text", ["1:2", "log:0:1:3", "a:b:c", "0:1:0"])
def test_bad_grid_strings(text):
    with pytest.raises(ValueError, match="grid"):
        parse_axis(text)


def test_bad_metric_and_path():
    circuit = hh_gap_pair()
    with pytest.raises(ValueError, match="unknown"):
        nt.scan(circuit, {"gj.g": [0.001]}, "happiness")
    with pytest.raises(KeyError, match="no parameter 'q'"):
        nt.scan(circuit, {"gj.q": [0.001]}, "synchrony")
    with pytest.raises(ValueError, match=r"gj\.g: value -1"):
        nt.scan(circuit, {"gj.g": [-1.0]}, "synchrony")
    with pytest.raises(TypeError, match=r"gj\.g: expected a 1-D sequence .* shape \(1, 2\)"):
        nt.simulate_batch(circuit, {"gj.g": [[0.001, 0.002]]}, 1.0)


def test_a_grid_over_the_size_limit_is_refused_before_anything_runs(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the scan ran a grid over the limit")

    monkeypatch.setattr("neuntune.sweep.sum_batch", must_not_run)
    monkeypatch.setattr("neuntune.sweep.simulate_batch", must_not_run)
    circuit = hh_gap_pair()
    with pytest.raises(ValueError, match=r"grid '0\.001:0\.002:100000000': 100000000 points, "
                       r"over the limit of 1000000 points per scan \(max_points\)"):  # fmt: skip
        nt.scan(circuit, {"gj.g": "0.001:0.002:100000000"}, t_stop=1.0)
    with pytest.raises(ValueError, match=r"grid: 2000 \(gj\.g\) × 1000 \(a\.gna\) = 2000000 "
                       r"points, over the limit of 1000000"):  # fmt: skip
        nt.scan(circuit, {"gj.g": "0.001:0.002:2000", "a.gna": np.linspace(100, 140, 1000)})
    with pytest.raises(ValueError, match=r"3 points, over the limit of 2 points"):
        nt.scan(circuit, {"gj.g": [0.001, 0.002, 0.003]}, max_points=2)


def test_grid_values_must_be_numbers():
    with pytest.raises(TypeError, match=r"grid\['gj\.g'\]: expected numbers or "
                       r"'start:stop:count', got \['0\.001'\]"):  # fmt: skip
        nt.scan(hh_gap_pair(), {"gj.g": ["0.001"]}, t_stop=1.0)


def test_a_one_cell_metric_names_its_cell_when_the_circuit_has_several():
    with pytest.raises(ValueError, match=r"metric 'rate': name the cell, e\.g\. rate:a "
                       r"\(cells: a, b\)"):  # fmt: skip
        nt.scan(hh_gap_pair(), {"gj.g": [0.001]}, "rate", t_stop=1.0)
    with pytest.raises(ValueError, match=r"metric 'spikes': name the cell"):
        nt.scan(hh_gap_pair(), {"gj.g": [0.001]}, "spikes", t_stop=1.0)
    alone = nt.Circuit()
    alone.add("a", nt.HH())
    alone.stimulate("a", nt.Constant(amplitude=0.1))
    by_default = nt.scan(alone, {"a.stim0.amplitude": [0.1]}, "rate", t_stop=50.0)
    named = nt.scan(alone, {"a.stim0.amplitude": [0.1]}, "rate:a", t_stop=50.0)
    assert by_default.values[0] == named.values[0] > 0  # one cell: no choice to make


def test_scan_spreads_chunks_over_a_dask_cluster():
    circuit = hh_gap_pair()
    gs = np.linspace(1e-4, 1e-2, 6)
    local = nt.scan(circuit, {"gj.g": gs}, "synchrony", t_stop=50.0)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster) as client:
            with distributed.get_task_stream(client) as stream:
                remote = nt.scan(circuit, {"gj.g": gs}, "synchrony", t_stop=50.0,
                                 client=client, chunk=2)  # fmt: skip
            workers = client.run(lambda: __import__("os").getpid())
            # where each chunk ran: 6 points in chunks of 2 are three tasks, each run
            # by one of the cluster's worker processes, and both workers took some
            chunks = [t for t in stream.data if t["key"].startswith("_chunk_metric")]
            assert len(chunks) == 3, [t["key"] for t in stream.data]
            assert {t["worker"] for t in chunks} == set(workers), chunks
            # a scheduler address: the scan connects its own client and closes it
            clients = set(cluster.scheduler.clients)
            by_address = nt.scan(circuit, {"gj.g": gs}, "synchrony", t_stop=50.0,
                                 client=cluster.scheduler_address, chunk=3)  # fmt: skip
            deadline = time.monotonic() + 10
            while set(cluster.scheduler.clients) != clients and time.monotonic() < deadline:
                time.sleep(0.05)
            assert set(cluster.scheduler.clients) == clients
    assert len(set(workers.values())) == 2
    np.testing.assert_allclose(remote.values, local.values, rtol=1e-12)
    np.testing.assert_allclose(by_address.values, local.values, rtol=1e-12)


def test_an_unreachable_scheduler_is_named():
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(
            ConnectionError, match=r"cannot reach a dask scheduler at 'tcp://127\.0\.0\.1:1'"
        ),
    ):
        nt.scan(
            hh_gap_pair(), {"gj.g": [0.001]}, "synchrony", t_stop=1.0, client="tcp://127.0.0.1:1"
        )
    with pytest.raises(ValueError, match="client 'nonsense': missing port number"):
        nt.scan(hh_gap_pair(), {"gj.g": [0.001]}, "synchrony", t_stop=1.0, client="nonsense")
