"""Error versus dt of every integration method on the Neun docs' HH pair.

The reference is scipy's DOP853 at rtol 1e-12 on the textbook equations
(:mod:`_models`), cross-checked against neuntune's rk6 at a tiny dt; their
difference is the floor below which errors are not meaningful.  The error of a run
is max |v − v_ref| (mV) over both cells, sampled every 0.08 ms over the first 20 ms
(two spikes per cell).  The measured order is the least-squares slope of log error
against log dt where the error is well above that floor and not saturated (the
asymptotic range).  Plot: results/accuracy.png.

    python benchmarks/accuracy.py [--quick]
"""

from __future__ import annotations

import sys
import time

import _models
import numpy as np
from _common import RESULTS, Config, Section, heading

T_STOP = 20.0  # ms
SAMPLE = 0.08  # ms between compared samples (every dt below divides it)
DTS = {
    "euler": [0.01, 0.005, 0.0025, 0.00125, 0.000625, 0.0003125],
    "expeuler": [0.01, 0.005, 0.0025, 0.00125, 0.000625, 0.0003125],
    "rk4": [0.04, 0.02, 0.01, 0.005, 0.0025, 0.00125],
    "rk6": [0.04, 0.02, 0.01, 0.005, 0.0025],
}
EXPECTED = {"euler": 1, "expeuler": 1, "rk4": 4, "rk6": 6}


def measured_order(dts: list[float], errors: list[float], floor: float) -> tuple[float, float]:
    """(least-squares slope of log error vs log dt, slope of the finest pair) over the
    points in the asymptotic range: 100·floor < error < 30 mV (above 30 mV whole spikes
    are misplaced and the error saturates at the spike height)."""
    pts = [(d, e) for d, e in zip(dts, errors, strict=True) if 100 * floor < e < 30.0]
    if len(pts) < 2:
        return float("nan"), float("nan")
    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0]), float((y[-1] - y[-2]) / (x[-1] - x[-2]))


def run(cfg: Config) -> Section:
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair

    heading("Accuracy: error vs dt on the HH pair")
    sec = Section("accuracy", "Accuracy: error vs dt on the HH pair (euler/rk4/rk6/expeuler)")
    circuit = hh_gap_pair()
    t = np.arange(0.0, T_STOP + 1e-9, SAMPLE)

    start = time.perf_counter()
    sol = _models.solve(_models.hh_pair_rhs(), _models.hh_pair_y0(), T_STOP, rtol=1e-12)
    ref = sol.sol(t)[[0, 4]]
    sec.value("ref_time", "DOP853 rtol 1e-12 reference: time", time.perf_counter() - start, "s")

    def error(method: str, dt: float) -> float:
        every = round(SAMPLE / dt)
        res = nt.simulate(circuit, T_STOP, dt, method, record="v", record_every=every)
        if len(res.t) != len(t) or np.max(np.abs(res.t - t)) > 1e-9:
            raise RuntimeError(f"{method} dt={dt}: sample times do not line up")
        return float(max(np.max(np.abs(res.v[c] - ref[i])) for i, c in enumerate("ab")))

    floor = error("rk6", 0.0005)
    sec.value("floor", "reference floor: |rk6 at dt 0.0005 − DOP853|", floor, "mV")

    curves: dict[str, tuple[list[float], list[float]]] = {}
    for method, dts in DTS.items():
        dts = dts[:4] if cfg.quick else dts
        errors = []
        for dt in dts:
            try:
                errors.append(error(method, dt))
            except nt.SimulationError:
                errors.append(float("nan"))
        curves[method] = (dts, errors)
        fit, finest = measured_order(dts, errors, floor)
        table = ", ".join(f"{dt:g}: {e:.2e}" for dt, e in zip(dts, errors, strict=True))
        sec.value(f"err_{method}", f"{method}: max |Δv| (mV) at dt (ms)", table)
        sec.value(
            f"order_{method}",
            f"{method}: measured order, fit over the asymptotic "
            f"range (expected {EXPECTED[method]})",
            fit,
        )
        sec.value(f"order_{method}_finest", f"{method}: order from the two finest dt", finest)
        sec.goal(
            f"{method} order (finest pair) ≈ {EXPECTED[method]}",
            EXPECTED[method] - 0.25,
            ">=",
            finest,
        )
    sec.extra["curves"] = {m: {"dt_ms": d, "max_abs_dv_mV": e} for m, (d, e) in curves.items()}

    image = plot(curves, floor)
    if image:
        sec.extra["images"] = [image.name]
        sec.note(f"plot: {image.relative_to(RESULTS.parent)}")
    sec.note(
        "Error = max |v − v_ref| over both cells at every 0.08 ms for 20 ms (two spikes per "
        "cell); reference scipy DOP853 rtol 1e-12 on the textbook equations. expeuler is "
        "first order (exact for the gates with v frozen, Euler for v)."
    )
    return sec


def plot(curves: dict, floor: float):
    """results/accuracy.png: error vs dt per method with slope guides; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for method, (dts, errors) in curves.items():
        ax.loglog(dts, errors, "o-", label=f"{method} (order {EXPECTED[method]})")
        d = np.array(dts)
        good = [(x, e) for x, e in zip(dts, errors, strict=True) if 100 * floor < e < 30.0]
        if good:
            x0, e0 = good[-1]
            ax.loglog(d, e0 * (d / x0) ** EXPECTED[method], ":", color="grey", lw=0.8)
    ax.axhline(floor, color="k", lw=0.6, ls="--", label="reference floor")
    ax.set(
        xlabel="dt (ms)",
        ylabel="max |v − v_ref| (mV), first 20 ms",
        title="neuntune on Neun's HH pair: error vs dt",
    )
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    path = RESULTS / "accuracy.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "accuracy", *sys.argv[1:]]))
