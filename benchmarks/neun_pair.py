"""Neun's two-cell example (HH pair, g 0.002 mS, inputs 0.1/0.08 µA, 100 ms at
dt 0.001 ms, RK4, float64, v of both cells recorded at every step) run four ways in
one process: ``nt.simulate``, a pure-Python loop, hand-written numba kernels, and
the neun_py compat layer stepping cell by cell as Neun's docs do.

Times are per 100 000 steps (= one run).  Goals (issue 3): nt.simulate ≥ 150× the
pure-Python loop, ≤ 12 ms, and within 1.5× of the best hand-written kernel.  Also
float32: its time and how far its voltages and spike times move (mV, ms).

    python benchmarks/neun_pair.py [--quick] [--repeats 30]
"""

from __future__ import annotations

import sys
import time
from typing import Any

import _kernels
import _models
import numpy as np
from _common import Config, Section, heading, measure, measure_many, ratio, scaled

T_STOP, DT = 100.0, 0.001  # ms
N_STEPS = 100_000
PER = 1e5 / N_STEPS  # scale to "per 100 000 steps"


def compat_loop(neun_py: Any, n_steps: int, dt: float = DT, g: float = _models.PAIR_G):
    """The Neun docs' "Basic Two-Neuron Network" through neuntune.compat.neun_py, as
    written there except the sign of g (+0.002 mS: an ordinary gap junction, the
    circuit the other rows run).  Returns v of both cells after each step (mV)."""
    V, P = neun_py.HHDoubleVariable, neun_py.HHDoubleParameter
    args = neun_py.HHDoubleConstructorArgs()
    h1, h2 = neun_py.HHDoubleRK4(args), neun_py.HHDoubleRK4(args)
    for neuron in (h1, h2):
        neuron.set_param(P.cm, 1 * 7.854e-3)
        neuron.set_param(P.vna, 50)
        neuron.set_param(P.vk, -77)
        neuron.set_param(P.vl, -54.387)
        neuron.set_param(P.gna, 120 * 7.854e-3)
        neuron.set_param(P.gk, 36 * 7.854e-3)
        neuron.set_param(P.gl, 0.3 * 7.854e-3)
    h1.set(V.v, -75)
    h2.set(V.v, -65)
    synapse = neun_py.ESynHHHHDoubleRK4(h1, V.v, h2, V.v, g, g)
    v1, v2 = [], []
    for _ in range(n_steps):
        synapse.step(dt)
        h1.add_synaptic_input(0.1)
        h2.add_synaptic_input(0.08)
        h1.step(dt)
        h2.step(dt)
        v1.append(h1.get(V.v))
        v2.append(h2.get(V.v))
    return v1, v2


def run(cfg: Config) -> Section:
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair

    heading("Neun's two-cell example (HH pair, 100 ms at dt 0.001 ms, RK4)")
    sec = Section("neun_pair", "Neun's two-cell example: neuntune vs pure Python vs hand-written")
    circuit = hh_gap_pair()
    reps = cfg.n(quick=5)

    def simulate(precision: str = "float64", record: str | None = "v"):
        return nt.simulate(circuit, T_STOP, DT, "rk4", precision=precision, record=record)

    start = time.perf_counter()
    ref = simulate()
    sec.value(
        "first_call_s",
        "first nt.simulate in this process (kernel from the disk cache, or compiled)",
        time.perf_counter() - start,
        "s",
    )
    simulate("float32")

    # hand-written kernels (compiled before timing)
    start = time.perf_counter()
    _kernels.warm(np.float64)
    _kernels.warm(np.float32)
    sec.value(
        "handwritten_compile_s",
        "hand-written kernels: compile time (both precisions)",
        time.perf_counter() - start,
        "s",
    )
    y0 = _models.hh_pair_y0()
    out = {
        F: (np.empty(N_STEPS + 1, F), np.empty(N_STEPS + 1, F)) for F in (np.float64, np.float32)
    }
    fast = {F: _kernels.kernels(F)["pair_fast"] for F in out}

    def handwritten(F: type = np.float64) -> None:
        y = y0.astype(F)
        fast[F](y, F(0.002), F(0.1), F(0.08), F(DT), N_STEPS, *out[F])

    def handwritten_variant(name: str):
        kernel = _kernels.kernels(np.float64)[name]
        return lambda: kernel(y0.copy(), 0.002, 0.1, 0.08, DT, N_STEPS, *out[np.float64])

    def straightforward() -> None:
        _kernels.pair_libm(y0.copy(), 0.002, 0.1, 0.08, DT, N_STEPS, *out[np.float64])

    timings = measure_many(
        {
            "simulate": simulate,
            "simulate_all": lambda: simulate(record=None),
            "handwritten": handwritten,
            "handwritten_noslp": handwritten_variant("pair_fast_noslp"),
            "handwritten_2exp": handwritten_variant("pair_fast_2exp"),
            "straightforward": straightforward,
            "simulate_f32": lambda: simulate("float32"),
            "handwritten_f32": lambda: handwritten(np.float32),
        },
        reps,
    )
    labels = {
        "simulate": "nt.simulate, float64, v recorded every step",
        "simulate_all": "nt.simulate, float64, every state and current recorded",
        "handwritten": "hand-written numba kernel (1 polynomial exp per cell-stage, SLP), float64",
        "handwritten_noslp": "the same hand-written kernel compiled without the SLP vectoriser",
        "handwritten_2exp": "the hand-written kernel with 2 exps per cell-stage (no shared exp)",
        "straightforward": "straightforward numba kernel (6 libm exp per cell-stage), float64",
        "simulate_f32": "nt.simulate, float32",
        "handwritten_f32": "hand-written numba kernel, float32",
    }
    for key, label in labels.items():
        sec.timing(key, f"{label} (per 100 000 steps)", timings[key])

    # agreement of the fast paths with nt.simulate (same equations, same RK4)
    handwritten()
    sec.value(
        "err_handwritten",
        "max |Δv| hand-written vs nt.simulate (float64)",
        max(
            np.max(np.abs(out[np.float64][0] - ref.v["a"])),
            np.max(np.abs(out[np.float64][1] - ref.v["b"])),
        ),
        "mV",
    )
    straightforward()
    sec.value(
        "err_straightforward",
        "max |Δv| straightforward kernel vs nt.simulate",
        np.max(np.abs(out[np.float64][0] - ref.v["a"])),
        "mV",
    )

    # pure Python: the whole run in full mode, a shorter one (scaled) in quick mode
    py_steps = 5_000 if cfg.quick else N_STEPS
    py = measure(lambda: _models.pure_python_pair(py_steps), cfg.n(quick=1), warmup=0)
    py = scaled(py, 1e5 / py_steps)
    how = (
        ""
        if py_steps == N_STEPS
        else f" (measured on {py_steps} steps, scaled ×{N_STEPS // py_steps})"
    )
    sec.timing("pure_python", f"pure-Python loop (math.exp, lists), per 100 000 steps{how}", py)
    va, _ = _models.pure_python_pair(min(py_steps, 5_000))
    sec.value(
        "err_pure_python",
        "max |Δv| pure Python vs nt.simulate (first 5 ms)",
        np.max(np.abs(np.array(va) - ref.v["a"][: len(va)])),
        "mV",
    )

    # the compat layer, stepping cell by cell from Python as the Neun docs do
    try:
        import neuntune.compat.neun_py as neun_py

        neun_py.warm_up(("Double",))
        compat_steps = 10_000 if cfg.quick else N_STEPS
        compat = measure(lambda: compat_loop(neun_py, compat_steps), cfg.n(quick=2), warmup=1)
        compat = scaled(compat, 1e5 / compat_steps)
        how = "" if compat_steps == N_STEPS else f" (measured on {compat_steps} steps, scaled)"
        sec.timing("compat", f"neuntune.compat.neun_py, the docs' step loop{how}", compat)
        v1, _ = compat_loop(neun_py, 5_000)
        sec.value(
            "err_compat",
            "max |Δv| compat vs nt.simulate (first 5 ms; Neun's split "
            "stepping makes the coupling first order)",
            np.max(np.abs(np.array(v1) - ref.v["a"][1:5001])),
            "mV",
        )
        f, m = ratio(compat, timings["simulate"])
        sec.value("compat_over_simulate", "compat step loop / nt.simulate (fastest)", f, "×")
        f, m = ratio(py, compat)
        sec.value("python_over_compat", "pure Python / compat step loop (fastest)", f, "×")
    except ImportError as exc:
        sec.skip(f"neuntune.compat.neun_py is not importable ({exc})")

    # float32: how far it moves the voltages and spikes
    r32 = simulate("float32")
    dv = max(np.max(np.abs(r32.v[c].astype(float) - ref.v[c])) for c in ("a", "b"))
    sec.value("f32_dv", "float32 vs float64: max |Δv| over 100 ms (nt.simulate)", dv, "mV")
    dts = [
        np.max(np.abs(r32.spikes[c] - ref.spikes[c]))
        if len(r32.spikes[c]) == len(ref.spikes[c])
        else np.inf
        for c in ("a", "b")
    ]
    sec.value("f32_dspike", "float32 vs float64: max spike-time shift", max(dts), "ms")
    handwritten(np.float32)
    sec.value(
        "f32_dv_handwritten",
        "float32 hand-written kernel vs float64: max |Δv|",
        np.max(np.abs(out[np.float32][0].astype(float) - ref.v["a"])),
        "mV",
    )

    # ratios and goals
    sim = timings["simulate"]
    f, m = ratio(py, sim)
    sec.value("speedup_python", "pure Python / nt.simulate", f, "×", median=m)
    # The simulation-core issue asks for 150× and 12 ms, the benchmarks issue for 50× and
    # 20 ms "on this machine": both are reported.
    for speedup, limit, source in ((150, 12, "core issue"), (50, 20, "benchmarks issue")):
        sec.goal(f"speed-up over pure Python ({source})", speedup, ">=", f, m, "×")
        sec.goal(
            f"nt.simulate per 100 000 steps ({source})",
            limit,
            "<=",
            sim["fastest_s"] * 1e3,
            sim["median_s"] * 1e3,
            "ms",
        )
    f, m = ratio(sim, timings["handwritten"])
    sec.value("over_handwritten", "nt.simulate / hand-written kernel", f, "×", median=m)
    sec.goal("nt.simulate / hand-written kernel", 1.5, "<=", f, m, "×")
    f, m = ratio(timings["handwritten_noslp"], timings["handwritten"])
    sec.value(
        "slp_gain", "hand-written: SLP off / SLP on (two cells in one register)", f, "×", median=m
    )
    f, m = ratio(sim, timings["handwritten_2exp"])
    sec.value(
        "over_handwritten_2exp",
        "nt.simulate / hand-written kernel with 2 exps per cell-stage",
        f,
        "×",
        median=m,
    )
    f, m = ratio(timings["straightforward"], sim)
    sec.value("speedup_straightforward", "straightforward numba / nt.simulate", f, "×", median=m)
    f, m = ratio(timings["simulate_f32"], timings["handwritten_f32"])
    sec.value("over_handwritten_f32", "float32: nt.simulate / hand-written", f, "×", median=m)
    sec.note(
        "All rows integrate the same equations with classic RK4 from the same initial state "
        "(v0 −75/−65 mV, gates at steady state); nt.simulate also locates spikes at every "
        "step and returns a Result. The hand-written kernel bakes in every parameter and "
        "detects no spikes."
    )
    return sec


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "neun_pair", *sys.argv[1:]]))
