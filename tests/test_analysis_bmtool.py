"""neuntune.analysis.bmtool: BMTool 0.8.7's conventions, on hand-computed synthetic
traces and on the traces BMTool itself recorded (tests/data/bmtool_0.8.7.json, written
by benchmarks/bmtool_reference.py from the real BMTool on NEURON 8.2.4).

The recorded traces are NEURON's float64 samples, stored with Python's round-trip
``repr``, so BMTool's amplitudes, metrics and CCs are reproduced to 1e-12 (they are
the same float operations on the same numbers); only the decay time constant, an
iterative ``curve_fit`` result, gets 1e-9 (the same scipy 1.17.1 here and in the
BMTool venv, but BLAS/MINPACK builds may differ in the last bits).  The train trace
is stored as each window's first 5 ms; the samples left out are filled with the
first sample, which the reference script checked leaves BMTool's amplitudes exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neuntune.analysis as nta
from neuntune.analysis import (
    bmtool_amplitudes,
    bmtool_cc,
    bmtool_syn_props,
    bmtool_train_metrics,
)

DATA = json.loads((Path(__file__).parent / "data" / "bmtool_0.8.7.json").read_text())
SYNAPSES = sorted(DATA["synapse"])
DT = DATA["general_settings"]["dt"]
DELAY = DATA["general_settings"]["delay"]


def _train_trace(case: dict) -> np.ndarray:
    train = case["train"]
    trace = train["trace"]
    segments = trace["segments"]
    y = np.full(train["n_samples"], segments[0][1][0])
    y[: trace["start_index"]] = np.nan  # BMTool reads nothing before its baseline sample
    for first, values in segments:
        y[first : first + len(values)] = values
    return y


def _single_trace(single: dict) -> np.ndarray:
    trace = single["trace"]
    y = np.full(trace["start_index"] + len(trace["i"]), np.nan)
    y[trace["start_index"] :] = trace["i"]
    return y


# ----------------------------------------------------------------- synthetic traces


def test_amplitudes_floor_windows_and_global_baseline():
    # dt 0.5 ms, spikes at 1.0 and 3.0 ms, delay 0.5: windows floor(1.5/0.5)=3..5 and
    # floor(3.5/0.5)=7..floor((5+0.5)/0.5)-1=10 (t_stop 5).  Baseline y[floor(1/0.5)] = 1.
    y = np.array([0, 0, 1, 1, 3, 2, 1, 5, 4, 2, 2, 9], dtype=float)
    a = bmtool_amplitudes(y, [1.0, 3.0], 0.5, delay=0.5, t_stop=5.0)
    # sign: largest |y[2:] - 1| is 8 (the 9 at index 11) → +1
    np.testing.assert_array_equal(a, [3 - 1, 5 - 1])
    # a reference trace moves baseline and sign
    ref = np.zeros_like(y)
    ref[2:] = 10.0
    ref[5] = 0.0  # largest deviation from 10 is −10 → sign −1
    b = bmtool_amplitudes(y, [1.0, 3.0], 0.5, delay=0.5, t_stop=5.0, reference=ref)
    np.testing.assert_array_equal(b, [-(1 - 10), -(2 - 10)])
    c = bmtool_amplitudes(y, [1.0, 3.0], 0.5, delay=0.5, t_stop=5.0, baseline=0.0, sign=-1.0)
    np.testing.assert_array_equal(c, [-1.0, -2.0])  # −min over 3..6 and 7..10


def test_amplitudes_empty_last_window_is_dropped():
    y = np.array([0, 0, 0, 2, 0, 0], dtype=float)
    # last spike's window starts at floor((2.4+0.5)/0.5)=5 and ends at floor((2.5+0.5)/0.5)=6
    a = bmtool_amplitudes(y, [1.0, 2.4], 0.5, delay=0.5, t_stop=2.5)
    assert a.shape == (2,)
    # a window past the end is empty: BMTool keeps all but the last pulse
    a = bmtool_amplitudes(y, [1.0, 2.9], 0.5, delay=0.5, t_stop=3.0)
    np.testing.assert_array_equal(a, [2.0])


def test_train_metrics_hand_computed():
    amps = np.array([10, 20, 30, 40, 50, 60, 70, 80, 10, 10, 10, 10], dtype=float) * 1e-3
    m = bmtool_train_metrics(amps)
    p90 = np.percentile(amps * 1000, 90)  # 70 + 0.9·… numpy linear: 69.0
    assert p90 == pytest.approx(69.0)
    assert m.p90 == pytest.approx(69.0)
    assert m.ppr == pytest.approx((20 - 10) / 69.0, rel=1e-15)
    assert m.induction == pytest.approx((70 - 10) / 69.0, rel=1e-15)
    assert m.recovery == pytest.approx((10 - 25) / 69.0, rel=1e-15)
    assert m.simple_ppr == pytest.approx(2.0, rel=1e-15)
    # BMTool's signs are kept: negated amplitudes flip ppr, induction and recovery
    n = bmtool_train_metrics(-amps)
    assert n.ppr != pytest.approx(-m.ppr)  # P90 of the negated set is a different value
    assert n.simple_ppr == pytest.approx(2.0)
    short = bmtool_train_metrics(amps[:7])
    assert short.induction == (65 - 10) / 64  # BMTool's A6–8 of 7 pulses: mean(A6, A7)
    assert np.isnan(short.recovery)
    assert np.isnan(bmtool_train_metrics(amps[:4]).induction)


def test_syn_props_half_width_offset():
    dt = 0.1
    y = np.zeros(200)
    k = np.arange(200)
    on = 23  # the rise starts 13 samples after the spike sample (10)
    y[on:] = np.exp(-(k[on:] - on) * dt / 2.0) - np.exp(-(k[on:] - on) * dt / 0.2)
    p = bmtool_syn_props(-y, 1.0, dt)  # an inward current, negative
    assert p.sign == -1.0 and p.baseline == 0.0
    istart = on - 10  # first rising diff at index 13 → latency dt·14
    assert p.latency == pytest.approx(dt * (istart + 1))
    assert p.half_width - p.half_width_true == pytest.approx(dt * istart)
    up = y[10:]
    ipk = int(np.argmax(up))
    hw1 = int(np.nonzero(up[: ipk + 1] > 0.5 * up[ipk])[0][0])
    hw2 = ipk + int(np.nonzero(up[ipk:] < 0.5 * up[ipk])[0][0])
    assert p.half_width_true == pytest.approx(dt * (hw2 - hw1))
    assert p.amp == pytest.approx(up[ipk])


def test_cc_single_samples():
    t = np.arange(0, 10.0, 1.0)
    v1 = np.array([0, 0, 0, -1, -2, -3, -4, -4, 0, 0], dtype=float)
    v2 = 0.25 * v1 + 5
    # last t < 3 is index 2, last t < 7 is index 6: (-1 - 0)/(-4 - 0)
    assert bmtool_cc(t, v1, v2, 3.0, 7.0) == 0.25
    v2[6] += 0.5  # only those two samples count
    assert bmtool_cc(t, v1, v2, 3.0, 7.0) == pytest.approx((-1 + 0.5) / -4)
    with pytest.raises(ValueError, match="t_start"):
        bmtool_cc(t, v1, v2, 0.0, 7.0)


def test_exported():
    for name in ("bmtool_amplitudes", "bmtool_train_metrics", "bmtool_syn_props", "bmtool_cc"):
        assert name in nta.__all__


# ------------------------------------------------------------- BMTool's own numbers


@pytest.mark.parametrize("conn", SYNAPSES)
@pytest.mark.parametrize("vclamp", [False, True])
def test_train_matches_bmtool(conn, vclamp):
    case = DATA["synapse"][conn]
    train = case["train"]
    ref = train[f"vclamp={vclamp}"]
    y = _train_trace(case)
    if vclamp:  # BMTool's baseline and sign come from the clamp current
        amps = bmtool_amplitudes(
            y,
            train["tspk"],
            DT,
            delay=DELAY,
            t_stop=train["tstop"],
            baseline=ref["baseline"],
            sign=ref["sign"],
        )
        i0 = train["trace"]["start_index"]
        assert ref["baseline"] == train["trace"]["ivcl_at"][str(i0)]
    else:
        amps = bmtool_amplitudes(y, train["tspk"], DT, delay=DELAY, t_stop=train["tstop"])
    np.testing.assert_allclose(amps, ref["amp"], rtol=1e-12, atol=0)
    m = bmtool_train_metrics(ref["amp"])
    for key in ("ppr", "induction", "simple_ppr"):
        assert getattr(m, key) == pytest.approx(ref[key], rel=1e-12, abs=0)
    assert m.recovery == pytest.approx(ref["recovery"], rel=1e-9, abs=1e-15)


def test_gaba_vclamp_true_subtracts_the_holding_current():
    """BMTool's bug (design note §0.3): with vclamp the clamp's +140 pA holding current
    at 0 mV is the baseline of syn.i, so every IPSC comes out negative."""
    ref = DATA["synapse"]["bmtool_gaba_a_stp"]["train"]
    assert ref["vclamp=True"]["baseline"] == pytest.approx(0.14, rel=1e-6)
    assert all(a < 0 for a in ref["vclamp=True"]["amp"])
    assert all(a > 0 for a in ref["vclamp=False"]["amp"])


@pytest.mark.parametrize("conn", SYNAPSES)
def test_syn_props_match_bmtool(conn):
    single = DATA["synapse"][conn]["single_event_vclamp=False"]
    rise = tuple(DATA["general_settings"]["rise_interval"])
    p = bmtool_syn_props(_single_trace(single), single["tspk"][0], DT, rise_interval=rise)
    for key in ("baseline", "sign", "latency", "amp", "rise_time", "half_width"):
        assert getattr(p, key) == pytest.approx(single[key], rel=1e-12, abs=0), key
    assert p.decay_time == pytest.approx(single["decay_time"], rel=1e-9)
    assert p.half_width_true == pytest.approx(p.half_width - (p.latency - DT), rel=1e-12)


@pytest.mark.parametrize("k", range(3))
def test_cc_matches_bmtool(k):
    case = DATA["gap"]["cc"][k]
    s = case["samples"]
    gs = DATA["gap"]["general_settings"]
    cc = bmtool_cc(s["t"], s["v1"], s["v2"], gs["tstart"], gs["tstart"] + gs["tdur"])
    assert cc == pytest.approx(case["cc"], rel=1e-12, abs=0)
    g, g_leak = case["g_uS"] * 1e3, 2.0  # nS; passive cells: CC = g/(g_L + g)
    assert cc == pytest.approx(g / (g_leak + g), rel=1e-8)
