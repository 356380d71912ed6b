"""Plain reference implementations of the benchmarked circuits (no neuntune, no numba).

Units are the engine's: mV, ms, µF, mS, µA.  The HH pair is the Neun docs'
example (DESIGN.md): per-cm² densities × membrane area 7.854e-3 cm², inputs 0.1
and 0.08 µA, v0 −75 and −65 mV with the gates at their steady state, and a gap
junction g (mS) putting g·(v_other − v) into each cell.  The RTM pair is Brian2's
continuous_interaction example.  The rates are written exactly as published, with
none of neuntune's tricks (shared or polynomial exponentials), so agreement is a
real check.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

# the textbook equations live once, beside the tests that check the engine with them
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import hh_pair_rhs as _hh_pair_rhs
from reference import hh_steady, rtm_steady, solve  # noqa: F401 (re-exported)
from reference import rtm_synapse_rhs as rtm_pair_rhs  # noqa: F401 (re-exported)

#: The Neun docs' two-cell example: initial voltages (mV), inputs (µA), junction (mS).
PAIR_V0 = (-75.0, -65.0)
PAIR_INPUTS = (0.1, 0.08)
PAIR_G = 0.002


def hh_pair_y0() -> np.ndarray:
    """Initial state [v, m, h, n] × 2 of the Neun docs' pair."""
    return np.array([x for v in PAIR_V0 for x in (v, *hh_steady(v))])


def hh_pair_rhs(g: float = PAIR_G, inputs: tuple[float, float] = PAIR_INPUTS) -> Callable:
    """dy/dt of two HH cells (state [v, m, h, n] × 2) joined by a gap junction g (mS)."""
    return _hh_pair_rhs(g, inputs)


def rtm_pair_y0() -> np.ndarray:
    """Initial state [v0, m0, h0, n0, v1, m1, h1, n1, s] of Brian2's example."""
    return np.array([-70.0, *rtm_steady(-70.0), -65.0, *rtm_steady(-65.0), 0.0])


def dense_crossings(sol, index: int, threshold: float = 0.0) -> np.ndarray:
    """Upward threshold crossings (ms) of component ``index`` of a dense solution,
    each polished to machine precision by root finding on the interpolant."""
    from scipy.optimize import brentq

    t = np.unique(np.concatenate([sol.t, np.linspace(sol.t[0], sol.t[-1], 200_001)]))
    v = sol.sol(t)[index]
    out = []
    for i in np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]:
        out.append(brentq(lambda x: sol.sol(x)[index] - threshold, t[i], t[i + 1], xtol=1e-14))
    return np.array(out)


def spline_crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Upward crossings (ms) of a sampled trace located on its cubic spline (error
    ~dt⁴, so the sampling does not blur a comparison at the 1e-4 ms level)."""
    from scipy.interpolate import CubicSpline
    from scipy.optimize import brentq

    spline = CubicSpline(t, v)
    idx = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    f = lambda x: float(spline(x)) - threshold  # noqa: E731
    return np.array([brentq(f, t[i], t[i + 1], xtol=1e-14) for i in idx])


def match_spikes(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| (ms) of two spike trains of equal length; inf if the counts differ."""
    if len(a) != len(b) or len(a) == 0:
        return math.inf
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# ------------------------------------------------------- the pure-Python loop
def pure_python_pair(n_steps: int, dt: float = 0.001, g: float = PAIR_G) -> tuple[list, list]:
    """The Neun docs' pair integrated with RK4 in plain scalar Python, the way a user
    writes it: math.exp for each of the six rates per cell and stage, v of both cells
    appended to lists at every step.  Returns (v_a, v_b) in mV, n_steps + 1 samples."""
    cm, gna, gk, gl = 1.0, 120.0, 36.0, 0.3  # µF/cm², mS/cm²
    ena, ek, el, area = 50.0, -77.0, -54.387, 7.854e-3  # mV, cm²
    i_a, i_b = 0.1, 0.08  # µA

    def derivs(v, m, h, n, i_in):
        am = 0.1 * (v + 40.0) / (1.0 - math.exp(-(v + 40.0) / 10.0))
        bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
        ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
        bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
        an = 0.01 * (v + 55.0) / (1.0 - math.exp(-(v + 55.0) / 10.0))
        bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
        i_ion = gna * m**3 * h * (v - ena) + gk * n**4 * (v - ek) + gl * (v - el)
        dv = (i_in / area - i_ion) / cm
        return dv, am * (1.0 - m) - bm * m, ah * (1.0 - h) - bh * h, an * (1.0 - n) - bn * n

    def f(y):
        va, vb = y[0], y[4]
        da = derivs(y[0], y[1], y[2], y[3], i_a + g * (vb - va))
        db = derivs(y[4], y[5], y[6], y[7], i_b + g * (va - vb))
        return da + db

    y = [PAIR_V0[0], *hh_steady(PAIR_V0[0]), PAIR_V0[1], *hh_steady(PAIR_V0[1])]
    va, vb = [y[0]], [y[4]]
    for _ in range(n_steps):
        k1 = f(y)
        k2 = f([y[i] + 0.5 * dt * k1[i] for i in range(8)])
        k3 = f([y[i] + 0.5 * dt * k2[i] for i in range(8)])
        k4 = f([y[i] + dt * k3[i] for i in range(8)])
        y = [y[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) for i in range(8)]
        va.append(y[0])
        vb.append(y[4])
    return va, vb
