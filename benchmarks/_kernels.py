"""Hand-written single-purpose numba kernels: the yardsticks the engine is measured against.

All integrate the Neun docs' HH pair (see :mod:`_models`; mV, ms, µA, mS) with
classic RK4 and bake Neun's parameters in as constants; only the junction g (mS),
the two inputs (µA) and dt (ms) are arguments.

- :func:`pair_libm`: the straightforward kernel — six libm ``exp`` per cell and
  stage, numba's default options.
- ``pair_fast(dtype)``: the best single-pair kernel we know how to write (issue 3's
  list): all six rates from one exponential per cell and stage, w = e^(−(v+65)/720)
  (720 = lcm of 10, 18, 20, 80: βm, αh, βn are powers of w and αm, αn, βh share
  e^(−(v+40)/10) = e^2.5·w⁷² and one division); an inline polynomial exp that vectorises;
  ``error_model="numpy"``; fastmath {contract, arcp, nsz, reassoc} (never nnan/ninf);
  compiled with numba's SLP vectoriser on, which packs the two cells into one SIMD
  register; the 0/0 at v = −40/−55 mV removed by replacing numerator and
  denominator.  v of both cells is recorded at every step, as ``nt.simulate`` does.
- ``batch_fast(dtype)``: the same step for many pairs side by side (one 1-D array
  per state, inner loop over the batch, so LLVM vectorises across members); no
  recording and no spike detection — the compute ceiling for a scan.
- ``exp_poly_loop(dtype)`` / :func:`exp_libm_loop`: exponential throughput, to
  estimate the exp-bound limit of an HH step.

float32 kernels compute in float32 throughout: every constant is a float32 scalar
frozen into the closure (a Python float literal would promote to float64).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

#: The fast kernels' fastmath flags: safe ones only (no nnan/ninf: NaN checks stay).
FASTMATH = {"contract", "arcp", "nsz", "reassoc"}
#: The exponential keeps its rounding trick ((x + M) − M): no reassociation inside it.
EXP_FASTMATH = {"contract", "arcp", "nsz"}
#: Exponentials per neuron per RK4 step: one per cell and stage, in neuntune's HH
#: declaration and in the hand-written kernels alike (see _make_cell).
EXPS_PER_NEURON_STEP = 4


# ------------------------------------------------------------------ bit casts
@intrinsic
def _f64_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bits_f64(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _f32_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.sext(builder.bitcast(args[0], ir.IntType(32)), ir.IntType(64))

    return types.int64(types.float32), codegen


@intrinsic
def _bits_f32(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(builder.trunc(args[0], ir.IntType(32)), ir.FloatType())

    return types.float32(types.int64), codegen


@contextlib.contextmanager
def slp_vectorize() -> Iterator[None]:
    """numba's SLP vectoriser (off by default) on while compiling inside the block."""
    previous = numba.config.SLP_VECTORIZE
    numba.config.SLP_VECTORIZE = True
    try:
        yield
    finally:
        numba.config.SLP_VECTORIZE = previous


# ----------------------------------------------------------- the exponential
def _make_exp(dtype: type) -> Callable:
    """exp(x) in ``dtype``: Cody–Waite reduction x = n ln2 + r, a Taylor polynomial of
    r in Estrin form (degree 13 for float64, 7 for float32: error below one ulp), and
    2^n assembled from bits.  Inputs are clamped to the finite range."""
    F = dtype
    ONE = F(1.0)
    if F is np.float64:
        lo, hi, magic, magic_bits, bias, mant = (
            -708.0,
            709.0,
            1.5 * 2**52,
            0x4338000000000000,
            1023,
            52,
        )
        ln2_hi, ln2_lo = 0.6931471803691238, 1.9082149292705877e-10
        to_bits, from_bits = _f64_bits, _bits_f64
    else:
        lo, hi, magic, magic_bits, bias, mant = -87.0, 88.0, 1.5 * 2**23, 0x4B400000, 127, 23
        ln2_hi, ln2_lo = 0.693145751953125, 1.428606765330187e-06
        to_bits, from_bits = _f32_bits, _bits_f32
    LO, HI, MAGIC, LOG2E = F(lo), F(hi), F(magic), F(1.4426950408889634)
    LN2_HI, LN2_LO = F(ln2_hi), F(ln2_lo)
    OFFSET = bias - magic_bits
    C = [F(1.0 / math.factorial(k)) for k in range(14)]
    C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = C[2:]

    if F is np.float64:

        @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=EXP_FASTMATH)
        def poly(r):
            r2 = r * r
            r4 = r2 * r2
            a = (ONE + r) + r2 * (C2 + r * C3)
            b = (C4 + r * C5) + r2 * (C6 + r * C7)
            c = (C8 + r * C9) + r2 * (C10 + r * C11)
            d = C12 + r * C13
            return (a + r4 * b) + (r4 * r4) * (c + r4 * d)

    else:

        @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=EXP_FASTMATH)
        def poly(r):
            r2 = r * r
            a = (ONE + r) + r2 * (C2 + r * C3)
            b = (C4 + r * C5) + r2 * (C6 + r * C7)
            return a + (r2 * r2) * b

    @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=EXP_FASTMATH)
    def pexp(x):
        x = min(max(x, LO), HI)
        shifted = x * LOG2E + MAGIC
        n = shifted - MAGIC
        r = (x - n * LN2_HI) - n * LN2_LO
        return poly(r) * from_bits((to_bits(shifted) + OFFSET) << mant)

    return pexp


# ----------------------------------------------------- the HH pair, two ways
def _make_cell(dtype: type, pexp: Callable, one_exp: bool = True) -> Callable:
    """One HH cell's (dv, dm, dh, dn) with shared exponentials, Neun's parameters.

    All six rates are powers of w = e^(−(v+65)/720) (720 = lcm of 10, 18, 20, 80):
    βm = 4w⁴⁰, αh = 0.07w³⁶, βn = 0.125w⁹, and e^(−(v+40)/10) = e^2.5·w⁷², which αm,
    αn and βh share with one division — one exponential per cell and stage.  With
    ``one_exp=False`` e^(−(v+40)/10) is a second exponential (what sharing it saves).
    """
    F = dtype
    ONE, HALF, TEN = F(1.0), F(0.5), F(10.0)
    C65, C40, C55, EPS = F(65.0), F(40.0), F(55.0), F(1e-6)
    M720, M10 = F(-1.0 / 720.0), F(-0.1)
    E_M15, E_P05 = F(math.exp(-1.5)), F(math.exp(0.5))  # e^(−15/10), e^(5/10)
    E_P25 = F(math.exp(2.5))  # e^(−(v+40)/10) = e^(25/10)·e^(−(v+65)/10)
    K_BM, K_AH, K_BN, K_AM, K_AN = F(4.0), F(0.07), F(0.125), F(0.1), F(0.01)
    area = 7.854e-3
    GNA, GK, GL = F(120.0), F(36.0), F(0.3)  # mS/cm²
    ENA, EK, EL = F(50.0), F(-77.0), F(-54.387)  # mV
    INV_AREA, INV_CM = F(1.0 / area), F(1.0)  # 1/cm², cm²/µF

    @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=FASTMATH)
    def cell(v, m, h, n, i_in):
        w = pexp((v + C65) * M720)
        w2 = w * w
        w4 = w2 * w2
        w8 = w4 * w4
        w32 = (w8 * w8) * (w8 * w8)
        bm = K_BM * w32 * w8  # 4 e^(−(v+65)/18)
        ah = K_AH * w32 * w4  # 0.07 e^(−(v+65)/20)
        bn = K_BN * w8 * w  # 0.125 e^(−(v+65)/80)
        xm = v + C40
        xn = v + C55
        near_m = abs(xm) < EPS
        near_n = abs(xn) < EPS
        if one_exp:
            w64 = w32 * w32
            em = E_P25 * (w64 * w8)  # e^(−(v+40)/10) = e^2.5 w⁷²
        else:
            em = pexp(xm * M10)
        qm = ONE if near_m else ONE - em
        qn = ONE if near_n else ONE - em * E_M15
        qh = ONE + em * E_P05
        xm = TEN + xm * HALF if near_m else xm
        xn = TEN + xn * HALF if near_n else xn
        inv = ONE / (qm * qn * qh)
        am = K_AM * xm * qn * qh * inv
        an = K_AN * xn * qm * qh * inv
        bh = qm * qn * inv
        n2 = n * n
        ion = GNA * (m * m * m) * h * (v - ENA) + GK * (n2 * n2) * (v - EK) + GL * (v - EL)
        return (
            (i_in * INV_AREA - ion) * INV_CM,
            am * (ONE - m) - bm * m,
            ah * (ONE - h) - bh * h,
            an * (ONE - n) - bn * n,
        )

    return cell


def _make_rk4(dtype: type, cell: Callable) -> Callable:
    """One RK4 step of the pair: (8-tuple state, g, ia, ib, dt) -> 8-tuple."""
    F = dtype
    HALF, SIXTH, THIRD = F(0.5), F(1.0 / 6.0), F(1.0 / 3.0)

    @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=FASTMATH)
    def f(y, g, ia, ib):
        a = cell(y[0], y[1], y[2], y[3], ia + g * (y[4] - y[0]))
        b = cell(y[4], y[5], y[6], y[7], ib + g * (y[0] - y[4]))
        return (a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3])

    @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=FASTMATH)
    def axpy(y, k, h):
        return (
            y[0] + h * k[0],
            y[1] + h * k[1],
            y[2] + h * k[2],
            y[3] + h * k[3],
            y[4] + h * k[4],
            y[5] + h * k[5],
            y[6] + h * k[6],
            y[7] + h * k[7],
        )

    @njit(forceinline=True, nogil=True, error_model="numpy", fastmath=FASTMATH)
    def step(y, g, ia, ib, dt):
        k1 = f(y, g, ia, ib)
        k2 = f(axpy(y, k1, HALF * dt), g, ia, ib)
        k3 = f(axpy(y, k2, HALF * dt), g, ia, ib)
        k4 = f(axpy(y, k3, dt), g, ia, ib)
        s, t = SIXTH * dt, THIRD * dt
        return (
            y[0] + s * (k1[0] + k4[0]) + t * (k2[0] + k3[0]),
            y[1] + s * (k1[1] + k4[1]) + t * (k2[1] + k3[1]),
            y[2] + s * (k1[2] + k4[2]) + t * (k2[2] + k3[2]),
            y[3] + s * (k1[3] + k4[3]) + t * (k2[3] + k3[3]),
            y[4] + s * (k1[4] + k4[4]) + t * (k2[4] + k3[4]),
            y[5] + s * (k1[5] + k4[5]) + t * (k2[5] + k3[5]),
            y[6] + s * (k1[6] + k4[6]) + t * (k2[6] + k3[6]),
            y[7] + s * (k1[7] + k4[7]) + t * (k2[7] + k3[7]),
        )

    return step


@cache
def kernels(dtype: type = np.float64) -> dict[str, Callable]:
    """The hand-written kernels for ``dtype`` (np.float64 or np.float32), compiled
    lazily: call :func:`warm` before timing.

    Separate builds: the single-pair kernels' helpers are compiled with the SLP
    vectoriser on (it packs the two cells into one register); the batch and exp loops
    use helpers compiled without it.  numba optimises each helper on its own before
    inlining it, so an SLP-packed helper reaches the batch loop already half-vectorised
    and LLVM's loop vectoriser then leaves that loop scalar (measured here: ~3× slower).
    For the profile: ``pair_fast_noslp`` (the pair kernel without SLP) and
    ``pair_fast_2exp`` / ``batch_fast_2exp`` (two exponentials per cell and stage: what
    sharing the second one saves).
    """
    slp, slp2, plain, plain2 = (_build(dtype, one) for one in (True, False, True, False))
    return {
        "pair_fast": slp["pair_fast"],
        "pair_fast_2exp": slp2["pair_fast"],
        "pair_fast_noslp": plain["pair_fast"],
        "batch_fast": plain["batch_fast"],
        "batch_fast_2exp": plain2["batch_fast"],
        "exp_poly_loop": plain["exp_poly_loop"],
        "pexp": plain["pexp"],
    }


def _build(dtype: type, one_exp: bool) -> dict[str, Callable]:
    pexp = _make_exp(dtype)
    step = _make_rk4(dtype, _make_cell(dtype, pexp, one_exp))
    NEG5 = dtype(-5.0)

    @njit(nogil=True, error_model="numpy", fastmath=FASTMATH)
    def pair_fast(y, g, ia, ib, dt, n_steps, va, vb):
        """Integrate y (8 states) n_steps; va/vb (n_steps + 1) get v at every step."""
        s = (y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7])
        va[0] = s[0]
        vb[0] = s[4]
        for i in range(n_steps):
            s = step(s, g, ia, ib, dt)
            va[i + 1] = s[0]
            vb[i + 1] = s[4]
        for j in range(8):
            y[j] = s[j]

    @njit(nogil=True, error_model="numpy", fastmath=FASTMATH)
    def batch_fast(va, ma, ha, na, vb, mb, hb, nb, g, ia, ib, dt, n_steps):
        """n_steps for every member b of the batch (1-D arrays, one per state; g per member)."""
        for _ in range(n_steps):
            for b in range(va.shape[0]):
                s = step((va[b], ma[b], ha[b], na[b], vb[b], mb[b], hb[b], nb[b]), g[b], ia, ib, dt)
                va[b] = s[0]
                ma[b] = s[1]
                ha[b] = s[2]
                na[b] = s[3]
                vb[b] = s[4]
                mb[b] = s[5]
                hb[b] = s[6]
                nb[b] = s[7]

    @njit(nogil=True, error_model="numpy", fastmath=FASTMATH)
    def exp_poly_loop(x, reps):
        """reps × len(x) polynomial exps (x stays in [−5, 0])."""
        for _ in range(reps):
            for i in range(x.shape[0]):
                x[i] = NEG5 * pexp(x[i])

    return {
        "pair_fast": pair_fast,
        "batch_fast": batch_fast,
        "exp_poly_loop": exp_poly_loop,
        "pexp": pexp,
    }


@njit
def exp_libm_loop(x, reps):
    """reps × len(x) libm exps (numba's defaults), for comparison."""
    for _ in range(reps):
        for i in range(x.shape[0]):
            x[i] = -5.0 * math.exp(x[i])


@njit
def pair_libm(y, g, ia, ib, dt, n_steps, va, vb):
    """The straightforward kernel: the pair with six libm exps per cell and stage,
    numba's default options (float64), v recorded at every step."""
    x = y.copy()
    k = np.empty((4, 8))
    tmp = np.empty(8)
    va[0] = x[0]
    vb[0] = x[4]
    for i in range(n_steps):
        for stage in range(4):
            if stage == 0:
                tmp[:] = x
            else:
                h = dt if stage == 3 else 0.5 * dt
                for j in range(8):
                    tmp[j] = x[j] + h * k[stage - 1, j]
            for c in range(2):
                v, m, hh, n = tmp[4 * c], tmp[4 * c + 1], tmp[4 * c + 2], tmp[4 * c + 3]
                i_in = (ia if c == 0 else ib) + g * (tmp[4 * (1 - c)] - v)
                am = 0.1 * (v + 40.0) / (1.0 - math.exp(-(v + 40.0) / 10.0))
                bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
                ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
                bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
                an = 0.01 * (v + 55.0) / (1.0 - math.exp(-(v + 55.0) / 10.0))
                bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
                ion = 120.0 * m**3 * hh * (v - 50.0) + 36.0 * n**4 * (v + 77.0)
                ion += 0.3 * (v + 54.387)
                k[stage, 4 * c] = i_in / 7.854e-3 - ion
                k[stage, 4 * c + 1] = am * (1.0 - m) - bm * m
                k[stage, 4 * c + 2] = ah * (1.0 - hh) - bh * hh
                k[stage, 4 * c + 3] = an * (1.0 - n) - bn * n
        for j in range(8):
            x[j] += dt / 6.0 * (k[0, j] + 2.0 * k[1, j] + 2.0 * k[2, j] + k[3, j])
        va[i + 1] = x[0]
        vb[i + 1] = x[4]
    y[:] = x


def warm(dtype: type = np.float64) -> None:
    """Compile the hand-written kernels the benchmarks use for ``dtype``: the pair
    kernels with the SLP vectoriser on, the others without it (see :func:`kernels`)."""
    k = kernels(dtype)
    F = dtype
    y = np.full(8, 0.5, F)
    y[0] = y[4] = F(-65.0)
    v = np.empty(2, F)
    pairs = ["pair_fast"] + (["pair_fast_2exp"] if F is np.float64 else [])
    with slp_vectorize():
        for name in pairs:
            k[name](y, F(0.002), F(0.1), F(0.08), F(0.001), 1, v, v.copy())
    cols = [np.full(8, 0.5, F) for _ in range(8)]
    cols[0][:] = cols[4][:] = F(-65.0)
    k["batch_fast"](*cols, np.full(8, 0.002, F), F(0.1), F(0.08), F(0.001), 1)
    k["exp_poly_loop"](np.zeros(8, F), 1)
    if F is np.float64:
        k["pair_fast_noslp"](y, F(0.002), F(0.1), F(0.08), F(0.001), 1, v, v.copy())
        k["batch_fast_2exp"](*cols, np.full(8, 0.002, F), F(0.1), F(0.08), F(0.001), 1)
        exp_libm_loop(np.zeros(8), 1)
        pair_libm(y.astype(np.float64), 0.002, 0.1, 0.08, 0.001, 1, np.empty(2), np.empty(2))


def batch_state(y0: np.ndarray, g: np.ndarray, dtype: type) -> list[np.ndarray]:
    """The batch kernel's arrays: eight state columns (every member starts at ``y0``:
    v in mV, gates) and the per-member junction g (mS), in ``dtype``."""
    return [np.full(len(g), y0[r], dtype) for r in range(8)] + [np.asarray(g, dtype)]


def run_batch(
    dtype: type,
    arrays: list[np.ndarray],
    ia: float,
    ib: float,
    dt: float,
    n_steps: int,
    workers: int = 1,
    name: str = "batch_fast",
) -> None:
    """Integrate the batch ``n_steps`` of ``dt`` ms with inputs ``ia``, ``ib`` (µA) in
    ``workers`` nogil threads on contiguous chunks (each a whole number of AVX2
    vectors: 4 members in float64, 8 in float32, split as evenly as the engine
    splits them) with kernel ``name``; ``arrays`` are updated."""
    F = dtype
    kernel = kernels(dtype)[name]
    size = len(arrays[0])
    if workers <= 1:
        kernel(*arrays, F(ia), F(ib), F(dt), n_steps)
        return
    width = 8 if F is np.float32 else 4
    step = -(-size // (width * workers)) * width
    chunks = [
        [np.ascontiguousarray(a[lo : lo + step]) for a in arrays] for lo in range(0, size, step)
    ]
    with ThreadPoolExecutor(len(chunks)) as pool:
        for f in [pool.submit(kernel, *c, F(ia), F(ib), F(dt), n_steps) for c in chunks]:
            f.result()
    for k, a in enumerate(arrays[:8]):
        a[:] = np.concatenate([c[k] for c in chunks])
