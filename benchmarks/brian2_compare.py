"""Brian2's continuous_interaction example in Brian2 and in neuntune, side by side.

Two RTM cells, 1.5 µA into n0, a tanh-gated synapse n0 -> n1; 100 ms at dt 0.01 ms
with RK4 (``neuntune.presets.load("rtm_continuous")``).  Brian2 runs in the
interpreter that has the ``compare`` extra, as a subprocess (``--worker``), in
runtime mode with the cython target — compiled by a first, untimed run; the timed
figure is Brian2's own ``device._last_run_time`` (the simulation loop, code
generation excluded), beside the wall time of ``run()`` on a fresh network (code
generation again, compiled code from cython's cache) — and, where it builds, in
C++ standalone mode (the binary's own run time, compilation excluded).

Spike times (upward 0 mV crossings; ms) of neuntune, Brian2 and a tight scipy
DOP853 solution are shown side by side.  Brian2 updates the ``(summed)`` synaptic
input once per step, so its postsynaptic spikes lag the exact solution by about
dt/2; neuntune evaluates the synapse at every RK stage.  Also shown: what Brian2's
default exponential Euler at dt 0.1 ms (the example as published) does to the spike
times.  Goals (issue 10): |Δt_spike| ≤ 0.02 ms, neuntune ≥ 30× faster.

    python benchmarks/brian2_compare.py [--quick] [--repeats 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

T_STOP, DT = 100.0, 0.01  # ms
SCRIPT = Path(__file__).resolve()


# ------------------------------------------------- Brian2 side (in its venv)
def _trace(monitor) -> dict[str, list[float]]:
    from brian2 import ms, mV

    return {
        "t": (np.asarray(monitor.t / ms)).tolist(),
        "v0": (np.asarray(monitor.vm[0] / mV)).tolist(),
        "v1": (np.asarray(monitor.vm[1] / mV)).tolist(),
    }


def worker_runtime(args: argparse.Namespace) -> dict:
    """Runtime mode: a first run (compiles), then ``repeats`` fresh networks."""
    import brian2 as b2
    from brian2 import ms
    from brian2_reference import network

    b2.prefs.codegen.target = args.target
    t_stop = args.t_stop * ms
    out: dict = {"brian2": b2.__version__, "target": args.target, "method": args.method}
    start = time.perf_counter()
    net, monitor, ns = network(b2, args.method, args.dt)
    net.run(t_stop, namespace=ns)
    out["first_run_wall_s"] = time.perf_counter() - start
    trace = _trace(monitor)
    loop, wall, loop2, wall2 = [], [], [], []
    for _ in range(args.repeats):
        net, monitor, ns = network(b2, args.method, args.dt)
        start = time.perf_counter()
        net.run(t_stop, namespace=ns)
        wall.append(time.perf_counter() - start)
        loop.append(b2.get_device()._last_run_time)
        trace = _trace(monitor)
        if args.second_run:
            start = time.perf_counter()
            net.run(t_stop, namespace=ns)
            wall2.append(time.perf_counter() - start)
            loop2.append(b2.get_device()._last_run_time)
    out.update(loop_s=loop, run_wall_s=wall, second_loop_s=loop2, second_run_wall_s=wall2)
    out.update(trace)
    return out


def worker_standalone(args: argparse.Namespace) -> dict:
    """C++ standalone: build once (timed separately), then re-run the binary."""
    import tempfile

    import brian2 as b2
    from brian2 import ms
    from brian2_reference import network

    directory = tempfile.mkdtemp(prefix="brian2-standalone-")
    b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
    net, monitor, ns = network(b2, args.method, args.dt)
    net.run(args.t_stop * ms, namespace=ns)
    device = b2.get_device()
    start = time.perf_counter()
    device.build(directory=directory, compile=True, run=True, with_output=False)
    out: dict = {"brian2": b2.__version__, "build_and_first_run_s": time.perf_counter() - start}
    out.update(_trace(monitor))
    loop, binary = [], []
    for _ in range(args.repeats):
        device.run(directory=directory, with_output=False)
        loop.append(device._last_run_time)
        binary.append(device.timers["run_binary"])
    out.update(loop_s=loop, binary_wall_s=binary)
    shutil.rmtree(directory, ignore_errors=True)
    return out


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=["runtime", "standalone"], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--method", default="rk4")
    parser.add_argument("--dt", type=float, default=DT)
    parser.add_argument("--t-stop", type=float, default=T_STOP)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--target", default="cython")
    parser.add_argument("--second-run", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(SCRIPT.parent))
    work = {"runtime": worker_runtime, "standalone": worker_standalone}[args.worker]
    Path(args.out).write_text(json.dumps(work(args)))
    return 0


# ------------------------------------------------------- neuntune side (main)
def run(cfg):
    import _models
    from _common import Section, heading, measure, run_worker, stats

    import neuntune as nt
    from neuntune import presets

    heading("Brian2 continuous_interaction: Brian2 vs neuntune vs scipy")
    sec = Section("brian2_compare", "Brian2's continuous_interaction: Brian2 vs neuntune vs scipy")
    circuit = presets.load("rtm_continuous").circuit
    reps = cfg.n(quick=3)

    res = nt.simulate(circuit, T_STOP, DT, "rk4")  # compiles or loads the kernel

    def simulate():
        return nt.simulate(circuit, T_STOP, DT, "rk4")

    label = "neuntune nt.simulate, 100 ms at dt 0.01 ms (RK4, all recorded)"
    ours = measure(simulate, reps)

    start = time.perf_counter()
    sol = _models.solve(_models.rtm_pair_rhs(), _models.rtm_pair_y0(), T_STOP, rtol=1e-12)
    exact = [_models.dense_crossings(sol, 0), _models.dense_crossings(sol, 4)]
    sec.value(
        "scipy_time", "scipy DOP853 rtol 1e-12 reference: time", time.perf_counter() - start, "s"
    )
    mine = [res.spikes["n0"], res.spikes["n1"]]
    mine_spline = [_models.spline_crossings(res.t, res.v[c]) for c in ("n0", "n1")]

    table = {"scipy DOP853 rtol 1e-12": exact, "neuntune RK4 dt 0.01": mine}
    python = cfg.compare_python
    if not (python and cfg.compare_info.get("brian2")):
        why = cfg.compare_info.get("brian2_error") or "no interpreter with the compare extra"
        sec.skip(
            f"brian2 is not importable ({why}); install the compare extra: "
            "pip install -e '.[compare]' (brian2 2.9.0 needs numpy < 2.4)"
        )
        sec.timing("neuntune", label, ours)
        _spike_table(sec, table, exact)
        return sec

    # Brian2 runtime (cython), timed in its own process; neuntune is timed before and
    # after it and the samples pooled, so both see the same machine conditions
    try:
        b2 = run_worker(python, SCRIPT, ["runtime", "--repeats", reps, "--second-run"])
    except Exception as exc:  # cython missing or broken: try numpy so the physics still shows
        sec.note(
            f"Brian2 runtime with the cython target failed ({str(exc)[-300:]}); "
            "falling back to the numpy target"
        )
        b2 = run_worker(python, SCRIPT, ["runtime", "--repeats", reps, "--target", "numpy"])
    target = b2["target"]
    ours = stats(ours["samples_s"] + measure(simulate, reps, warmup=0)["samples_s"])
    sec.timing("neuntune", label, ours)
    v_only = measure(lambda: nt.simulate(circuit, T_STOP, DT, "rk4", record="v"), reps)
    sec.timing("neuntune_v", "neuntune nt.simulate, v only recorded (for the profile)", v_only)
    sec.value(
        "brian2_version", "Brian2 version / code-generation target", f"{b2['brian2']} / {target}"
    )
    sec.value(
        "brian2_first",
        f"Brian2 runtime ({target}): first run incl. code generation "
        "and compilation (or cython's cache)",
        b2["first_run_wall_s"],
        "s",
    )
    loop = sec.timing(
        "brian2_loop",
        f"Brian2 runtime ({target}): simulation loop "
        "(device._last_run_time, code generation excluded)",
        stats(b2["loop_s"]),
    )
    sec.timing(
        "brian2_wall",
        f"Brian2 runtime ({target}): run() of a fresh network "
        "(code generation again, compiled code cached)",
        stats(b2["run_wall_s"]),
    )
    if b2.get("second_loop_s"):
        sec.timing(
            "brian2_second",
            f"Brian2 runtime ({target}): second run() of the same network (wall)",
            stats(b2["second_run_wall_s"]),
        )
    bt = np.asarray(b2["t"])
    theirs = [_models.spline_crossings(bt, np.asarray(b2[k])) for k in ("v0", "v1")]
    table[f"Brian2 RK4 dt 0.01 ({target})"] = theirs

    # agreement
    worst = max(_models.match_spikes(a, b) for a, b in zip(mine, theirs, strict=True))
    sec.value("dspike_brian2", "max |spike time neuntune − Brian2| (both cells)", worst, "ms")
    sec.goal("|Δ spike time| neuntune vs Brian2", 0.02, "<=", worst, unit="ms")
    same = [_models.match_spikes(a, b) for a, b in zip(mine_spline, theirs, strict=True)]
    sec.value(
        "dspike_brian2_spline",
        "same, both located on cubic splines of the traces (n0, n1)",
        f"{same[0]:.2e}, {same[1]:.2e}",
        "ms",
    )
    n = min(len(bt), len(res.t))
    sec.value(
        "dv0",
        "presynaptic v (n0): max |neuntune − Brian2| at every step",
        np.max(np.abs(np.asarray(b2["v0"])[:n] - res.v["n0"][:n])),
        "mV",
    )
    ratio_loop = (loop["fastest_s"] / ours["fastest_s"], loop["median_s"] / ours["median_s"])
    sec.value("speedup", "Brian2 runtime loop / neuntune", ratio_loop[0], "×", median=ratio_loop[1])
    sec.goal(
        f"neuntune faster than Brian2 runtime ({target}, loop only)", 30, ">=", *ratio_loop, "×"
    )

    # what the published example (exponential Euler, dt 0.1 ms) does to the spikes
    try:
        ee = run_worker(
            python,
            SCRIPT,
            [
                "runtime",
                "--repeats",
                0,
                "--method",
                "exponential_euler",
                "--dt",
                0.1,
                "--target",
                target,
            ],
        )
        et = np.asarray(ee["t"])
        euler = [_models.spline_crossings(et, np.asarray(ee[k])) for k in ("v0", "v1")]
        table["Brian2 exponential Euler dt 0.1 (the example's default)"] = euler
        shifts = [_nearest_shift(e, x) for e, x in zip(euler, exact, strict=True)]
        counts = [f"{len(e)} vs {len(x)}" for e, x in zip(euler, exact, strict=True)]
        sec.value(
            "expeuler_shift",
            "Brian2 exponential Euler dt 0.1: max spike shift vs scipy (n0, n1)",
            f"{shifts[0]:.2f}, {shifts[1]:.2f}",
            "ms",
        )
        sec.value("expeuler_counts", "… spike counts vs scipy (n0; n1)", "; ".join(counts))
        sec.note(
            "For users: Brian2's default exponential Euler at dt 0.1 ms (the example as "
            f"published) moves this example's spikes by up to {max(shifts):.1f} ms; use "
            "method='rk4' at dt 0.01 ms (or neuntune) for spike times to 1e-3 ms."
        )
    except Exception as exc:
        sec.skip(f"Brian2 exponential Euler run failed: {str(exc)[-300:]}")

    # C++ standalone, reported separately
    try:
        sa = run_worker(python, SCRIPT, ["standalone", "--repeats", reps], timeout=1800)
        sec.value(
            "standalone_build",
            "Brian2 standalone: code generation + C++ build + first run",
            sa["build_and_first_run_s"],
            "s",
        )
        sl = sec.timing(
            "standalone_loop",
            "Brian2 C++ standalone: simulation loop (the binary's own run time)",
            stats(sa["loop_s"]),
        )
        sec.timing(
            "standalone_binary",
            "Brian2 C++ standalone: launching the binary (process wall, incl. writing results)",
            stats(sa["binary_wall_s"]),
        )
        r = (sl["fastest_s"] / ours["fastest_s"], sl["median_s"] / ours["median_s"])
        sec.value("speedup_standalone", "Brian2 standalone loop / neuntune", r[0], "×", median=r[1])
        st = np.asarray(sa["t"])
        sa_spikes = [_models.spline_crossings(st, np.asarray(sa[k])) for k in ("v0", "v1")]
        worst_sa = max(_models.match_spikes(a, b) for a, b in zip(sa_spikes, theirs, strict=True))
        sec.value("standalone_vs_runtime", "standalone vs runtime spike times", worst_sa, "ms")
    except Exception as exc:
        sec.skip(f"Brian2 C++ standalone did not build or run here: {str(exc)[-400:]}")

    _spike_table(sec, table, exact)
    return sec


def _nearest_shift(spikes: np.ndarray, exact: np.ndarray) -> float:
    """Largest distance (ms) from a spike to the nearest exact spike."""
    if len(spikes) == 0 or len(exact) == 0:
        return float("inf")
    return float(max(np.min(np.abs(exact - s)) for s in spikes))


def _spike_table(sec, table: dict, exact: list) -> None:
    """Spike times side by side and each solver's offset from the scipy solution."""
    rows = []
    for name, (s0, s1) in table.items():
        d0 = _nearest_shift(s0, exact[0]) if len(s0) == len(exact[0]) else float("nan")
        if len(s1) == len(exact[1]):
            mean1, max1 = float(np.mean(s1 - exact[1])), float(np.max(np.abs(s1 - exact[1])))
        else:
            mean1 = max1 = float("nan")
        first = ", ".join(f"{x:.4f}" for x in s1[:3])
        rows.append(
            [name, f"{len(s0)} / {len(s1)}", f"{d0:.1e}", f"{mean1:+.1e}", f"{max1:.1e}", first]
        )
    sec.table(
        "Spike times against scipy (ms)",
        ["solver", "spikes n0 / n1", "n0: max |Δ|", "n1: mean Δ", "n1: max |Δ|", "first n1 spikes"],
        rows,
    )
    sec.extra["spike_times_ms"] = {k: [np.asarray(a).tolist() for a in v] for k, v in table.items()}
    sec.note(
        "Brian2 holds the (summed) synaptic input s_in constant within each step, so n1 sees "
        "n0's synapse half a step late: its spikes lag scipy by ~dt/2 = 0.005 ms; neuntune's "
        "fully coupled RK4 sits within ~1e-4 ms of scipy."
    )


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(worker_main(sys.argv[1:]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    from run import main

    sys.exit(main(["--only", "brian2_compare", *sys.argv[1:]]))
