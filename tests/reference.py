"""Independent reference implementations (plain numpy/scipy) used by the tests and
the benchmarks (benchmarks/_models.py imports them).

Units are the engine's: mV, ms, µF, mS, µA.  These follow the textbook formulas
directly, with none of the kernel's tricks (shared exponentials, polynomial exp), so
agreement is a real check.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp


def hh_rates(v: float) -> tuple[float, float, float, float, float, float]:
    """Classic HH rates (1/ms) at 6.3 °C, v in mV."""

    def trap(x: float, k: float) -> float:  # x / (1 - exp(-x/k)) with its limit at 0
        return k if abs(x) < 1e-9 else x / (1.0 - math.exp(-x / k))

    am = 0.1 * trap(v + 40.0, 10.0)
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    an = 0.01 * trap(v + 55.0, 10.0)
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    return am, bm, ah, bh, an, bn


def hh_steady(v: float) -> tuple[float, float, float]:
    am, bm, ah, bh, an, bn = hh_rates(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


HH = dict(cm=1.0, gna=120.0, gk=36.0, gl=0.3, ena=50.0, ek=-77.0, el=-54.387, area=7.854e-3)


def hh_pair_rhs(g: float, inputs: tuple[float, float], p: dict = HH):
    """Right-hand side of two HH cells joined by a gap junction g (mS), inputs in µA."""

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        out = np.empty(8)
        for i in range(2):
            v, m, h, n = y[4 * i : 4 * i + 4]
            vo = y[4 * (1 - i)]
            am, bm, ah, bh, an, bn = hh_rates(v)
            i_ion = (
                p["gna"] * m**3 * h * (v - p["ena"])
                + p["gk"] * n**4 * (v - p["ek"])
                + p["gl"] * (v - p["el"])
            )
            i_in = inputs[i] + g * (vo - v)
            out[4 * i] = (i_in / p["area"] - i_ion) / p["cm"]
            out[4 * i + 1] = am * (1 - m) - bm * m
            out[4 * i + 2] = ah * (1 - h) - bh * h
            out[4 * i + 3] = an * (1 - n) - bn * n
        return out

    return rhs


def solve(
    rhs, y0: np.ndarray, t_stop: float, t_eval: np.ndarray | None = None, rtol: float = 1e-11
):
    """A tight-tolerance DOP853 solution with dense output (atol = rtol/100 on states
    of order 1–100), sampled at ``t_eval`` if given."""
    sol = solve_ivp(
        rhs,
        (0.0, t_stop),
        y0,
        method="DOP853",
        rtol=rtol,
        atol=rtol * 1e-2,
        t_eval=t_eval,
        dense_output=True,
    )
    assert sol.success, sol.message
    return sol


def upward_crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Linearly interpolated upward crossings of ``threshold``."""
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (t[i + 1] - t[i]) * (threshold - v[i]) / (v[i + 1] - v[i])


def rtm_synapse_rhs(i_ext: float = 1.5):
    """Brian2's continuous_interaction example written out: RTM cells 0 -> 1 joined by
    ds/dt = 0.5(1 + tanh(v0/10))(1 − s)/0.2 − s/2, I_syn = 1 mS · 0.25 · s · (0 − v1)."""

    def trap(x: float, k: float) -> float:
        return k if abs(x) < 1e-9 else x / (1.0 - math.exp(-x / k))

    def cell(v, m, h, n, i_in):
        am, bm = 0.32 * trap(v + 54, 4), 0.28 * trap(-(v + 27), 5)
        ah, bh = 0.128 * math.exp(-(v + 50) / 18), 4 / (1 + math.exp(-(v + 27) / 5))
        an, bn = 0.032 * trap(v + 52, 5), 0.5 * math.exp(-(v + 57) / 40)
        dv = i_in + 100 * m**3 * h * (50 - v) + 80 * n**4 * (-100 - v) + 0.1 * (-67 - v)
        return dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        v0, m0, h0, n0, v1, m1, h1, n1, s = y
        ds = 0.5 * (1 + math.tanh(v0 / 10)) * (1 - s) / 0.2 - s / 2.0
        return np.array(
            [*cell(v0, m0, h0, n0, i_ext), *cell(v1, m1, h1, n1, 0.25 * s * (0 - v1)), ds]
        )

    return rhs


def rtm_steady(v: float) -> tuple[float, float, float]:
    """RTM gates at steady state (v away from the removable singularities)."""
    am = 0.32 * ((v + 54) / (1 - math.exp(-(v + 54) / 4)))
    bm = 0.28 * (v + 27) / (math.exp((v + 27) / 5) - 1)
    ah, bh = 0.128 * math.exp(-(v + 50) / 18), 4 / (1 + math.exp(-(v + 27) / 5))
    an = 0.032 * (v + 52) / (1 - math.exp(-(v + 52) / 5))
    bn = 0.5 * math.exp(-(v + 57) / 40)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


def hr_alone(t_stop: float, y0) -> np.ndarray:
    """One uncoupled Hindmarsh–Rose cell (e 3, mu 0.001, S 4 and Neun's a 1, b 3, c 1,
    d 5, xr −1.6, vh 1) by scipy: its spike times (upward x = 0 crossings, located by
    DOP853's event finder; rtol 1e-8, atol 1e-10)."""

    def rhs(t, s):
        x, y, z = s
        return [y + 3 * x**2 - x**3 - z + 3.0, 1 - 5 * x**2 - y, 0.001 * (4.0 * (x + 1.6) - z)]

    def crossing(t, s):
        return s[0]

    crossing.direction = 1
    sol = solve_ivp(rhs, (0, t_stop), y0, method="DOP853", rtol=1e-8, atol=1e-10, events=crossing)
    assert sol.success, sol.message
    return sol.t_events[0]


def burst_starts(spikes: np.ndarray, gap: float = 100.0) -> np.ndarray:
    """The first spike of each burst: spikes after a silence longer than ``gap``."""
    spikes = np.asarray(spikes)
    if spikes.size == 0:
        return spikes
    return np.concatenate([spikes[:1], spikes[1:][np.diff(spikes) > gap]])
