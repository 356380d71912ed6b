"""The cell models networks need: LIF (with its exact refractory period), AdEx and
the Wang–Buzsáki interneuron, against closed forms and independent scipy solutions.

Each model's circuit compiles once (module fixtures); runs with other values or dt
reuse the kernel.
"""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import neuntune as nt
from neuntune.models.equations import EquationError


def crossing_bound(dt: float, tau: float) -> float:
    """Largest error of a located threshold crossing of a LIF (ms).

    The engine locates a crossing on the quadratic through v(0), v'(0) and v(h); its
    error is v'''(ξ)/6 · s²(h − s), at most (4/27)h³·max|v'''|/6, divided by the
    slope at the crossing.  For a LIF, v''' = v'/τ² and v' falls by at most e^(h/τ)
    within the step.  RK4's own error (h/τ)⁵/120 relative per step is ~1e-12 here.
    """
    return 4 / 27 * dt**3 / (6 * tau**2) * math.exp(dt / tau)


# ------------------------------------------------------------------------------ LIF
def lif(current: float, **values: float) -> nt.Circuit:
    """One LIF driven by a constant current (µA).  Every such circuit has the same
    structure, so they share one compiled kernel."""
    c = nt.Circuit()
    c.add("n", nt.LIF(**values, v0=values["V_rest"]))
    c.stimulate("n", nt.Constant(amplitude=current))
    return c


def lif_period(p: dict, current: float) -> float:
    """tau_ref + tau·ln((R·I − (V_reset − V_rest))/(R·I − (V_th − V_rest)))."""
    drive = p["R"] * current
    reset, threshold = p["V_reset"] - p["V_rest"], p["V_th"] - p["V_rest"]
    return p["tau_ref"] + p["tau"] * math.log((drive - reset) / (drive - threshold))


@pytest.mark.parametrize(
    "values, current",
    [
        (dict(V_rest=0.0, V_reset=-5.0, V_th=20.0, R=1.0, tau=10.0, tau_ref=2.0), 30.0),
        (dict(V_rest=-65.0, V_reset=-70.0, V_th=-50.0, R=10.0, tau=20.0, tau_ref=3.3), 2.5),
    ],
)
def test_lif_period_is_the_analytic_one(values, current):
    """Constant input above rheobase: the first spike at tau·ln(R·I/(R·I − (V_th − V_rest)))
    from rest, then every interval is the analytic period (refractory period included)
    to within the crossing's interpolation bound (2.5e-7 ms for tau 10 ms at dt 0.1 ms;
    measured 2.46e-7), at dt 0.1 and 0.05 ms."""
    c = lif(current, **values)
    period = lif_period(values, current)
    drive, threshold = values["R"] * current, values["V_th"] - values["V_rest"]
    first = values["tau"] * math.log(drive / (drive - threshold))
    for dt in (0.1, 0.05):
        spikes = nt.simulate(c, 500.0, dt, record="v").spikes["n"]
        bound = crossing_bound(dt, values["tau"])
        assert len(spikes) == 1 + int((500.0 - first) / period)
        assert abs(spikes[0] - first) < bound
        np.testing.assert_allclose(np.diff(spikes), period, rtol=0, atol=bound)


def test_lif_below_rheobase_never_spikes():
    """Just below the rheobase (V_th − V_rest)/R, v only approaches V_rest + R·I < V_th."""
    values = dict(V_rest=-65.0, V_reset=-70.0, V_th=-50.0, R=10.0, tau=20.0, tau_ref=2.0)
    res = nt.simulate(lif(0.999 * 15.0 / 10.0, **values), 1000.0, 0.1, record="v")
    assert len(res.spikes["n"]) == 0
    assert res.v["n"].max() < -50.0
    assert res.v["n"][-1] == pytest.approx(-65.0 + 14.985, abs=1e-9)  # 50 τ: settled


def test_refractory_period_holds_v_at_reset_for_exactly_tau_ref():
    """After each reset at ts, every sample in (ts, ts + tau_ref] is exactly V_reset;
    after ts + tau_ref (between grid points: the step is split there) v follows
    V∞ − (V∞ − V_reset)e^(−(t − ts − tau_ref)/τ) to RK4's error, from the spike time
    the engine reports.  Without the split the first step after the window would be
    off by up to dt·dv/dt ≈ 0.15 mV."""
    values = dict(V_rest=-65.0, V_reset=-70.0, V_th=-50.0, R=10.0, tau=20.0, tau_ref=2.35)
    res = nt.simulate(lif(2.5, **values), 200.0, 0.1, record="v")  # V∞ = −40 mV
    t, v, spikes = res.t, res.v["n"], res.spikes["n"]
    assert len(spikes) >= 5
    for ts, following in zip(spikes, [*spikes[1:], t[-1] + 1], strict=True):
        end = ts + values["tau_ref"]
        inside = (t > ts) & (t <= end)
        assert inside.sum() >= 23 and np.all(v[inside] == -70.0)
        after = (t > end) & (t < following)
        if not after.any():  # the run ended inside the window
            continue
        expected = -40.0 - 30.0 * np.exp(-(t[after] - end) / 20.0)
        assert v[after][0] > -70.0  # the first sample after the window has left V_reset
        np.testing.assert_allclose(v[after], expected, rtol=0, atol=1e-9)


def test_no_spike_within_the_refractory_period():
    """A drive that would fire every 0.25 ms without refractoriness fires every
    tau_ref + 0.25 ms: no interval is shorter than tau_ref."""
    values = dict(V_rest=0.0, V_reset=-5.0, V_th=20.0, R=1.0, tau=10.0, tau_ref=2.0)
    spikes = nt.simulate(lif(1000.0, **values), 100.0, 0.1, record="v").spikes["n"]
    period = lif_period(values, 1000.0)
    assert period - values["tau_ref"] < 0.26
    assert np.diff(spikes).min() >= values["tau_ref"]
    np.testing.assert_allclose(np.diff(spikes), period, rtol=0, atol=crossing_bound(0.1, 10.0))


def test_refractory_periods_are_per_batch_member():
    """Members of one batched run each keep their own refractory period."""
    values = dict(V_rest=0.0, V_reset=-5.0, V_th=20.0, R=1.0, tau=10.0, tau_ref=0.0)
    periods = [0.0, 1.0, 2.5, 4.0]
    runs = nt.simulate_batch(lif(30.0, **values), {"n.tau_ref": periods}, 200.0, 0.1)
    for tau_ref, res in zip(periods, runs, strict=True):
        expected = lif_period({**values, "tau_ref": tau_ref}, 30.0)
        np.testing.assert_allclose(
            np.diff(res.spikes["n"]), expected, rtol=0, atol=crossing_bound(0.1, 10.0)
        )


def test_lif_declaration():
    lif = nt.LIF()
    assert {k: lif.get(k) for k in ("V_rest", "V_reset", "V_th", "R", "tau", "tau_ref")} == dict(
        V_rest=0.0, V_reset=-5.0, V_th=20.0, R=1.0, tau=10.0, tau_ref=0.0
    )  # BrainPy's defaults
    assert lif.parameter_table()["R"].unit == "kOhm"  # kΩ·µA = mV
    d = lif.resolved()
    assert d.refractory == "tau_ref" and d.voltage == "v"
    with pytest.raises(ValueError, match="V_reset = 20 mV must lie below"):
        nt.LIF(V_reset=20.0)

    class Plain(nt.LIF):  # the same model without a refractory period compiles differently
        refractory = ""

    assert Plain.definition().key != d.key
    with pytest.raises(EquationError, match="refractory needs a reset"):

        class NoReset(nt.Neuron):
            parameters = {"t_ref": nt.Parameter(1.0, "ms", "refractory period")}
            states = {"v": nt.State(0.0, "mV", "v")}
            equations = "dv/dt = -v"
            refractory = "t_ref"


# ----------------------------------------------------------------------------- AdEx
def adex_reference(p: dict, current: float, t_stop: float) -> np.ndarray:
    """Spike times of the AdEx by scipy's DOP853 (rtol 1e-10), the cut-off an event
    that ends the solve; then v ← Vr, w ← w + b, w alone evolves for tau_ref
    (in closed form, v held at Vr), and the solve restarts."""
    C, gL, EL, VT, DT = p["C"], p["gL"], p["EL"], p["VT"], p["DeltaT"]

    def rhs(t, y):
        v, w = y
        return [(gL * (EL - v) + gL * DT * math.exp((v - VT) / DT) - w + current) / C,
                (p["a"] * (v - EL) - w) / p["tauw"]]  # fmt: skip

    def cut(t, y):
        return y[0] - p["Vcut"]

    cut.terminal, cut.direction = True, 1
    t, y, spikes = 0.0, [p["v0"], p["w0"]], []
    while t < t_stop:
        sol = solve_ivp(rhs, (t, t_stop), y, method="DOP853", rtol=1e-10, atol=1e-12, events=cut)
        if sol.status != 1:
            break
        t = sol.t_events[0][0]
        spikes.append(t)
        w, hold = sol.y_events[0][0][1] + p["b"], p["tau_ref"]
        w_inf = p["a"] * (p["Vr"] - EL)
        y = [p["Vr"], w_inf + (w - w_inf) * math.exp(-hold / p["tauw"])]
        t += hold
    return np.array(spikes)


@pytest.fixture(scope="module")
def adex():
    c = nt.Circuit()
    c.add("n", nt.AdEx())
    c.stimulate("n", nt.Constant(amplitude=1e-3))  # the paper's 1 nA
    return c


@pytest.mark.parametrize("tau_ref", [0.0, 5.0])
def test_adex_spike_times_match_scipy(adex, tau_ref):
    """Brette & Gerstner's values under 1 nA (17 adapting spikes in 500 ms), without and
    with a refractory period (v held at Vr while w decays).  Measured against DOP853:
    errors of 1.1e-3, 8.1e-5 and 1.2e-5 ms at dt 0.025, 0.01 and 0.005 ms, third order
    as the crossing is located by a quadratic on the steep upswing; at dt 0.01 the
    errors must be below 2e-4 ms, and halving dt must shrink them at least 4×."""
    adex.set("n.tau_ref", tau_ref)
    reference = adex_reference(adex.element("n").values, 1e-3, 500.0)
    assert len(reference) >= 12
    errors = {}
    for dt in (0.01, 0.005):
        spikes = nt.simulate(adex, 500.0, dt, record="v").spikes["n"]
        assert len(spikes) == len(reference)
        errors[dt] = np.abs(spikes - reference).max()
    assert errors[0.01] < 2e-4 and errors[0.005] < errors[0.01] / 4, errors
    if tau_ref:
        assert np.diff(reference).min() > tau_ref


def test_adex_reset_is_exact(adex):
    """No sample above the cut-off; each spike raises w by exactly b."""
    adex.set("n.tau_ref", 0.0)
    res = nt.simulate(adex, 200.0, 0.01)
    v, w, spikes = res.v["n"], res.state["n"]["w"], res.spikes["n"]
    assert v.max() < -40.4 and len(spikes) >= 5
    p = nt.AdEx().values
    # between two samples w also moves smoothly, by at most dt·max|a(v − EL) − w|/tauw
    # (~1e-8 µA, 1e-4 of b)
    smooth = 0.01 * np.abs(p["a"] * (v - p["EL"]) - w).max() / p["tauw"]
    for ts in spikes:
        i = np.searchsorted(res.t, ts)  # first sample after the reset
        assert abs(w[i] - w[i - 1] - p["b"]) <= smooth


# --------------------------------------------------------------------- Wang–Buzsáki
WB = dict(cm=1.0, gna=35.0, gk=9.0, gl=0.1, ena=55.0, ek=-90.0, el=-65.0, phi=5.0)


def wb_rates(v: float) -> tuple[float, ...]:
    """Wang & Buzsáki's rates (1/ms), written as the paper does."""
    am = 0.1 * (v + 35) / (1 - math.exp(-0.1 * (v + 35)))
    bm = 4 * math.exp(-(v + 60) / 18)
    ah = 0.07 * math.exp(-(v + 58) / 20)
    bh = 1 / (math.exp(-0.1 * (v + 28)) + 1)
    an = 0.01 * (v + 34) / (1 - math.exp(-0.1 * (v + 34)))
    bn = 0.125 * math.exp(-(v + 44) / 80)
    return am, bm, ah, bh, an, bn


def wb_rhs(t: float, y: list[float], current: float) -> list[float]:
    v, h, n = y
    am, bm, ah, bh, an, bn = wb_rates(v)
    m = am / (am + bm)
    i_ion = WB["gna"] * m**3 * h * (v - WB["ena"]) + WB["gk"] * n**4 * (v - WB["ek"])
    return [
        (current - i_ion - WB["gl"] * (v - WB["el"])) / WB["cm"],
        WB["phi"] * (ah * (1 - h) - bh * h),
        WB["phi"] * (an * (1 - n) - bn * n),
    ]


def wb_steady(v: float) -> list[float]:
    _, _, ah, bh, an, bn = wb_rates(v)
    return [v, ah / (ah + bh), an / (an + bn)]


@pytest.fixture(scope="module")
def wang_buzsaki():
    c = nt.Circuit()
    c.add("n", nt.WangBuzsaki())
    c.stimulate("n", nt.Constant(amplitude=0.6))  # µA/cm² × 1 cm²
    return c


def test_wang_buzsaki_fires_as_scipy_at_0_6(wang_buzsaki):
    """0.6 µA/cm², the network benchmark's drive: spike times (0 mV upward crossings)
    over 300 ms agree with DOP853 (rtol 1e-10) from the same start.  Measured: 4.4e-4,
    2.9e-5 and 1.8e-6 ms at dt 0.02, 0.01 and 0.005 ms, RK4's fourth order; at dt 0.01
    the error must be below 5e-5 ms and halving dt must shrink it at least 8×.  The
    single cell fires at 38.3 Hz (the 100-cell gap-junction network: ~39 Hz)."""
    v0 = wang_buzsaki.get("n.v0")

    def up(t, y, current):
        return y[0]

    up.direction = 1
    sol = solve_ivp(wb_rhs, (0.0, 300.0), wb_steady(v0), method="DOP853", rtol=1e-10,
                    atol=1e-12, events=up, args=(0.6,))  # fmt: skip
    reference = sol.t_events[0]
    errors = {}
    for dt in (0.01, 0.005):
        spikes = nt.simulate(wang_buzsaki, 300.0, dt, record="v").spikes["n"]
        assert len(spikes) == len(reference) >= 10
        errors[dt] = np.abs(spikes - reference).max()
    assert errors[0.01] < 5e-5 and errors[0.005] < errors[0.01] / 8, errors
    rate = 1000.0 / np.diff(reference)[-1]
    assert 36.0 < rate < 40.0, rate


def test_wang_buzsaki_rests_where_its_currents_balance(wang_buzsaki):
    """Without input the resting potential is the root of the steady-state current
    (h, n at steady state, found here by brentq from the paper's formulas): −64.02 mV,
    which is also the default v0; the engine's rest finder gets it to 1e-9 mV."""
    rest = brentq(lambda v: wb_rhs(0.0, wb_steady(v), 0.0)[0], -70.0, -60.0, xtol=1e-13)
    res = nt.simulate(wang_buzsaki, 1.0, 0.01, init="rest", record="n")
    assert res.v["n"][0] == pytest.approx(rest, abs=1e-9)
    assert res.state["n"]["h"][0] == pytest.approx(wb_steady(rest)[1], abs=1e-10)
    assert nt.WangBuzsaki().get("v0") == pytest.approx(rest, abs=0.01)
