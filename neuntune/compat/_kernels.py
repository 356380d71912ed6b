"""The compiled step of every compat model: one generic explicit Runge–Kutta step
over the right-hand side of a Neun model, chosen by a small integer.

These functions are ordinary module-level numba functions with ``cache=True``,
compiled on their first call (one specialisation per precision: the model is a
run-time argument) and loaded from numba's disk cache by later processes.  They
are separate from the native engine's generated kernels, which integrate whole
circuits as one ODE system; here each object is stepped on its own, as Neun does.

Every constant goes through ``F`` (the state array's scalar type), so the float32
specialisation computes in float32 throughout, as Neun's ``Float`` classes do.
The equations are Neun's (``models/*.h`` in GNB-UAM/Neun), with one repair: the
0/0 of the Hodgkin–Huxley rates αm at v = −40 mV and αn at v = −55 mV is replaced
by its limit (Neun returns NaN there).
"""

from __future__ import annotations

import math

from numba import njit

# Model numbers (the ``model`` argument of rk_step).
HH = 0
HR = 1
IZ = 2
DSYN = 3


@njit(cache=True)
def vtrap(x, k, F):
    """x/(e^(x/k) − 1), with its removable 0/0 at x = 0 replaced by the limit k.

    expm1 keeps full relative accuracy near 0, where 1 − e^(x/k) would cancel
    (badly in float32)."""
    if x == F(0.0):
        return k
    return x / math.expm1(x / k)


@njit(cache=True)
def hh_rates(v, F):
    """Hodgkin–Huxley opening and closing rates (1/ms) at v (mV):
    (αm, βm, αh, βh, αn, βn), as in Neun's ``HodgkinHuxleyModel.h``."""
    am = F(0.1) * vtrap(-v - F(40.0), F(10.0), F)
    bm = F(4.0) * math.exp((-v - F(65.0)) / F(18.0))
    ah = F(0.07) * math.exp((-v - F(65.0)) / F(20.0))
    bh = F(1.0) / (math.exp((-v - F(35.0)) / F(10.0)) + F(1.0))
    an = F(0.01) * vtrap(-v - F(55.0), F(10.0), F)
    bn = F(0.125) * math.exp((-v - F(65.0)) / F(80.0))
    return am, bm, ah, bh, an, bn


@njit(cache=True)
def derive(model, x, p, derived):
    """Set the states flagged in ``derived`` (a bool per state) to their initial
    value for the current voltage and parameters: Hodgkin–Huxley gates at their
    steady state, Izhikevich u = b·v (what Neun leaves uninitialised)."""
    F = x.dtype.type
    if model == HH:
        am, bm, ah, bh, an, bn = hh_rates(x[0], F)
        if derived[1]:
            x[1] = ah / (ah + bh)
        if derived[2]:
            x[2] = am / (am + bm)
        if derived[3]:
            x[3] = an / (an + bn)
    elif model == IZ and derived[1]:
        x[1] = p[1] * x[0]


@njit(cache=True)
def rhs(model, x, p, drive, out, F):
    """Write dx/dt of ``model`` at state ``x`` with parameters ``p`` into ``out``.

    ``drive`` is the neuron's synaptic input (held through the step, as Neun holds
    it) or, for a diffusion synapse, 1 while transmitter is released and 0 otherwise.
    Indices follow Neun's enums (see neurons.py and synapses.py).
    """
    one = F(1.0)
    if model == HH:  # v, h, m, n; cm, vna, vk, vl, gna, gk, gl (absolute: µF, mS)
        v, h, m, n = x[0], x[1], x[2], x[3]
        am, bm, ah, bh, an, bn = hh_rates(v, F)
        i_na = p[4] * m * m * m * h * (v - p[1])
        i_k = p[5] * (n * n) * (n * n) * (v - p[2])
        out[0] = (drive - p[6] * (v - p[3]) - i_na - i_k) / p[0]
        out[1] = ah * (one - h) - bh * h
        out[2] = am * (one - m) - bm * m
        out[3] = an * (one - n) - bn * n
    elif model == HR:  # x, y, z; e, mu, S, a, b, c, d, xr, vh
        xx, y, z = x[0], x[1], x[2]
        out[0] = y + p[4] * xx * xx - p[3] * xx * xx * xx - z + p[0] + drive
        out[1] = p[5] - p[6] * xx * xx - y
        out[2] = p[1] * (p[2] * (xx - p[7]) - p[8] * z)
    elif model == IZ:  # v, u; a, b, c, d, threshold
        v, u = x[0], x[1]
        out[0] = F(0.04) * v * v + F(5.0) * v + F(140.0) - u + drive
        out[1] = p[0] * (p[1] * v - u)
    else:  # DSYN: r, i; alpha, beta, threshold, esyn, gsyn, T, max_release_time
        r = x[0]
        out[0] = p[0] * p[5] * drive * (one - r) - p[1] * r
        out[1] = F(0.0)  # i is computed from r after the step, not integrated


@njit(cache=True)
def rk_step(model, x, p, drive, h, table, work):
    """Advance ``x`` in place by one explicit Runge–Kutta step of ``h`` (ms).

    ``table`` is a Butcher table from :mod:`neuntune.compat.integrators`; ``work``
    is scratch space of shape (stages + 1, len(x)).  After the step, an Izhikevich
    cell at or above its threshold is reset (v ← c, u ← u + d), as Neun's
    ``post_step`` does: at the end of the step, not at the crossing.  Returns
    whether every state is still finite.
    """
    F = x.dtype.type
    h = F(h)
    drive = F(drive)
    stages = table.shape[1]
    stage = work[stages]
    for i in range(stages):
        for j in range(x.size):
            acc = F(0.0)
            for k in range(i):
                acc += table[i, k] * work[k, j]
            stage[j] = x[j] + h * acc
        rhs(model, stage, p, drive, work[i], F)
    for j in range(x.size):
        acc = F(0.0)
        for k in range(stages):
            acc += table[stages, k] * work[k, j]
        x[j] += h * acc
    if model == IZ and x[0] >= p[4]:
        x[0] = p[2]
        x[1] += p[3]
    finite = True
    for j in range(x.size):
        finite = finite and math.isfinite(x[j])
    return finite
