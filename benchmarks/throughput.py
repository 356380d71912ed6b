"""Throughput of batched HH runs through the public API, where the time goes, and the
Neun docs' conductance scan.

Rate unit: neuron-RK4-steps per second (one HH cell advanced one RK4 step).  The
batch is the Neun docs' HH pair with its junction g varied across members
(``nt.simulate_batch``, v recorded every 100 steps so the rate measures computing,
not memory), at 1 and 2 worker threads, in float64 and float32 (float32's error is
measured against float64 on the same members), the goals judged on them.  Yardsticks
measured in the same run:

- the exp-bound limit: the polynomial exponential's vectorised throughput on this
  CPU divided by the exponentials an HH step needs (1 per cell and stage = 4 per
  RK4 step, with shared exponentials);
- a hand-written batched kernel of the same equations (:mod:`_kernels`).

Profile: the same engine with parts removed through the public API (a passive pair —
no exponentials — shows the per-step bookkeeping; v recorded every step shows the
recording), the kernels' instruction mix from their assembly (packed SIMD vs scalar
arithmetic), and, where ``perf`` works, where the CPU samples land (compiled kernel,
Python, numpy, OS).  Goals (issues 5, 10): ≥ 45 M/s on one core and ≥ 80 M/s on two
in float64, ≥ 150 M/s in float32; the scan (20 g values 0.0001–0.01 mS, 100 ms at
dt 0.001 ms, RK4, float64) in ≤ 60 ms.  The issues set these against hand-written
kernels they timed on this machine, so each goal is also judged as a ratio to the
hand-written kernel timed in the same interleaved rounds (goal / the slowest quoted
yardstick speed), which the machine's load moves far less than absolute times.

    python benchmarks/throughput.py [--quick] [--repeats 30]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import _kernels
import _models
import numpy as np
from _common import (
    Config,
    Section,
    fmt_time,
    heading,
    measure,
    measure_many,
    paired_ratio,
    ratio,
    scaled,
)

SCRIPT = Path(__file__).resolve()
BATCH = 128  # pairs per batch (256 neurons; a multiple of the engine's 8 lanes)
DT = 0.001  # ms
EVERY = 100  # record v every 100 steps in the throughput runs


def _rate(timing: dict, neuron_steps: float) -> tuple[float, float]:
    """(fastest, median) throughput in neuron-steps per second."""
    return neuron_steps / timing["fastest_s"], neuron_steps / timing["median_s"]


EXP_SIZE, EXP_REPS = 2048, 8000  # 2048 values stay in L1; ~15–60 ms per call


def exp_loops() -> dict[str, tuple]:
    """Exponential-throughput calls, keyed "exp_{poly_f64|poly_f32|libm_f64}_{threads}":
    (function, number of exps per call).  Each thread works on its own array."""
    loops = {
        "poly_f64": (_kernels.kernels(np.float64)["exp_poly_loop"], np.float64),
        "poly_f32": (_kernels.kernels(np.float32)["exp_poly_loop"], np.float32),
        "libm_f64": (_kernels.exp_libm_loop, np.float64),
    }
    out = {}
    for name, (loop, F) in loops.items():
        for threads in (1, 2):
            xs = [np.linspace(-5, 0, EXP_SIZE).astype(F) for _ in range(threads)]

            def go(loop=loop, xs=xs) -> None:
                if len(xs) == 1:
                    loop(xs[0], EXP_REPS)
                    return
                with ThreadPoolExecutor(len(xs)) as pool:
                    for f in [pool.submit(loop, x, EXP_REPS) for x in xs]:
                        f.result()

            out[f"exp_{name}_{threads}"] = (go, EXP_SIZE * EXP_REPS * threads)
    return out


def run(cfg: Config) -> Section:
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair

    heading("Throughput: batched HH scans, exp-bound limit, profile, conductance scan")
    sec = Section("throughput", "Throughput of batched HH runs, profile, and the Neun scan")
    _kernels.warm(np.float64)
    _kernels.warm(np.float32)
    reps = cfg.n(quick=3)

    circuit = hh_gap_pair()
    g = np.linspace(0.0001, 0.01, BATCH)
    t_stop = 5.0 if cfg.quick else 20.0
    n_steps = round(t_stop / DT)
    neuron_steps = 2 * BATCH * n_steps
    sec.note(
        f"Throughput batch: {BATCH} HH pairs ({2 * BATCH} cells), g 0.0001–0.01 mS, "
        f"{t_stop:g} ms at dt {DT} ms = {n_steps} RK4 steps; v recorded every {EVERY} "
        "steps; rates in neuron-RK4-steps per second."
    )

    y0 = _models.hh_pair_y0()

    def handwritten(F: type, workers: int, name: str = "batch_fast"):
        def go() -> None:
            state = _kernels.batch_state(y0, g, F)
            _kernels.run_batch(F, state, 0.1, 0.08, DT, n_steps, workers, name)

        return go

    def api(
        precision: str,
        workers: int,
        record_every: int = EVERY,
        circ=circuit,
        progress=None,
    ):
        def go():
            return nt.simulate_batch(
                circ,
                {"gj.g": g},
                t_stop,
                DT,
                "rk4",
                precision=precision,
                record="v",
                record_every=record_every,
                workers=workers,
                progress=progress,
            )

        return go

    passive = nt.Circuit()
    passive.add("a", nt.Passive())
    passive.add("b", nt.Passive())
    passive.connect("a", "b", nt.GapJunction(g=0.002), name="gj")
    passive.stimulate("a", nt.Constant(amplitude=1e-4))

    fns = {}
    for prec, F in (("float64", np.float64), ("float32", np.float32)):
        for w in (1, 2):
            fns[f"api_{prec}_{w}"] = api(prec, w)
            fns[f"hw_{prec}_{w}"] = handwritten(F, w)
    fns["hw2exp_float64_1"] = handwritten(np.float64, 1, "batch_fast_2exp")
    fns["api_float64_1_every_step"] = api("float64", 1, 1)
    # a progress callback (the CLI's bar, the dashboard's) makes the engine return to
    # Python every 2000 steps to report; without one a chunk runs in one kernel call
    fns["api_float64_1_chunked"] = api("float64", 1, progress=lambda fraction: False)
    fns["passive_float64_1"] = api("float64", 1, circ=passive)
    exps = exp_loops()
    fns.update({k: fn for k, (fn, _) in exps.items()})
    for f in fns.values():  # compile everything before timing
        f()
    timings = measure_many(fns, reps)  # interleaved: the yardsticks see the same load

    # the exp-bound limit: polynomial exps per second / exps per neuron-step
    per = _kernels.EXPS_PER_NEURON_STEP
    exp_rate = {}
    for key, (_, count) in exps.items():
        t = timings.pop(key)
        exp_rate[key] = (count / t["fastest_s"], count / t["median_s"])
        name = key.removeprefix("exp_").rsplit("_", 1)
        sec.value(
            key,
            f"exp throughput, {name[0].replace('_', ' ')}, {name[1]} thread(s)",
            exp_rate[key][0] / 1e6,
            "M exp/s",
            median=exp_rate[key][1] / 1e6,
        )
    limit = {p: exp_rate[f"exp_poly_{p}_1"][0] / per for p in ("f64", "f32")}
    for p, label in (("f64", "float64"), ("f32", "float32")):
        sec.value(
            f"exp_bound_{p}",
            f"exp-bound limit, {label}, one core: poly exp rate / {per} exps per neuron-step "
            "(one per cell and stage)",
            limit[p] / 1e6,
            "M/s",
        )
    rates = {k: _rate(t, neuron_steps) for k, t in timings.items()}
    labels = {
        "api": "nt.simulate_batch",
        "hw": "hand-written batched kernel",
        "hw2exp": "hand-written batched kernel with 2 exps per cell-stage (no shared exp)",
    }
    for key, t in timings.items():
        parts = key.split("_")
        if parts[0] in labels:
            label = f"{labels[parts[0]]}, {parts[1]}, {parts[2]} worker(s)"
            if key.endswith("every_step"):
                label += ", v recorded every step"
            if key.endswith("chunked"):
                label += ", with a progress callback (2000-step chunks)"
        else:
            label = "nt.simulate_batch, passive pair (no exponentials), float64, 1 worker"
        sec.timing(key, f"{label}: one batch", t)
        sec.value(
            f"rate_{key}",
            f"{label}: throughput",
            rates[key][0] / 1e6,
            "M/s",
            median=rates[key][1] / 1e6,
        )

    # goals on the public API, in M/s and relative to the yardstick measured beside it:
    # the issue set each goal against a hand-written kernel it measured on this machine
    # (46–57, 86–113, 160–220 M/s); dividing by the slowest of those gives the fraction of the
    # hand-written kernel's speed each goal asks for, which this machine's load does
    # not move (its rounds are paired, see paired_ratio)
    for goal, quoted, key, label in (
        (45, 46, "float64_1", "float64, 1 worker"),
        (80, 86, "float64_2", "float64, 2 workers"),
        (150, 160, "float32_2", "float32, 2 workers"),
    ):
        sec.goal(
            f"{label}, nt.simulate_batch (M neuron-steps/s)",
            goal,
            ">=",
            *(r / 1e6 for r in rates[f"api_{key}"]),
            "M/s",
        )
        sec.goal(
            f"{label}, nt.simulate_batch: speed / hand-written kernel's, same run "
            f"(goal {goal} over the quoted {quoted} M/s)",
            round(goal / quoted, 3),
            ">=",
            *paired_ratio(timings[f"hw_{key}"], timings[f"api_{key}"]),
            "×",
        )
    for prec in ("float64", "float32"):
        f, m = ratio(timings[f"api_{prec}_1"], timings[f"hw_{prec}_1"])
        sec.value(
            f"api_over_hw_{prec}",
            f"{prec}, 1 worker: nt.simulate_batch time / hand-written",
            f,
            "×",
            median=m,
        )
        p = "f64" if prec == "float64" else "f32"
        sec.value(
            f"api_of_limit_{prec}",
            f"{prec}, 1 worker: nt.simulate_batch as a fraction of the exp-bound limit",
            rates[f"api_{prec}_1"][0] / limit[p],
        )
        f, m = ratio(timings[f"api_{prec}_1"], timings[f"api_{prec}_2"])
        sec.value(f"scaling_{prec}", f"{prec}: speed-up from 1 to 2 workers", f, "×", median=m)

    # float32's error on these members
    r64 = api("float64", 2)()
    r32 = api("float32", 2)()
    dv = max(
        np.max(np.abs(a.v[c] - b.v[c].astype(float)))
        for a, b in zip(r64, r32, strict=True)
        for c in ("a", "b")
    )
    sec.value(
        "f32_error",
        f"float32 vs float64: max |Δv| over the batch ({t_stop:g} ms, "
        f"sampled every {EVERY * DT:g} ms)",
        dv,
        "mV",
    )

    profile(cfg, sec, timings, rates, limit, neuron_steps)
    conductance_scan(cfg, sec)
    return sec


# ------------------------------------------------------------------- profile
def profile(cfg: Config, sec: Section, timings: dict, rates: dict, limit: dict, steps: float):
    """Where the time of one float64 neuron-step goes, from the measurements above,
    the kernels' instruction mix and (if perf works) a sampling profile."""
    ns = {k: 1e9 / r[0] for k, r in rates.items()}  # ns per neuron-step (fastest)
    rows = [
        [
            "exp-bound limit (4 polynomial exps, one per cell and stage)",
            f"{1e9 / limit['f64']:.1f}",
        ],
        [
            "hand-written batched kernel (1 exp per cell-stage, no bookkeeping)",
            f"{ns['hw_float64_1']:.1f}",
        ],
        [
            "hand-written batched kernel with 2 exps per cell-stage (no shared exp)",
            f"{ns['hw2exp_float64_1']:.1f}",
        ],
        [
            "nt.simulate_batch, passive pair (engine bookkeeping, no exps)",
            f"{ns['passive_float64_1']:.1f}",
        ],
        ["nt.simulate_batch, HH pair", f"{ns['api_float64_1']:.1f}"],
        [
            "nt.simulate_batch, HH pair, v recorded every step",
            f"{ns['api_float64_1_every_step']:.1f}",
        ],
        [
            "nt.simulate_batch, HH pair, progress callback (2000-step chunks)",
            f"{ns['api_float64_1_chunked']:.1f}",
        ],
    ]
    sec.table("Time per neuron-step, float64, 1 worker (ns, fastest run)", ["what", "ns"], rows)
    sec.value(
        "formulation_ns",
        "one exp per cell-stage instead of two saves (hand-written, per neuron-step)",
        ns["hw2exp_float64_1"] - ns["hw_float64_1"],
        "ns",
    )
    sec.value(
        "gap_ns_api",
        "nt.simulate_batch − hand-written (both 1 exp per cell-stage), per neuron-step",
        ns["api_float64_1"] - ns["hw_float64_1"],
        "ns",
    )
    sec.value(
        "bookkeeping_ns",
        "… compare: the passive pair's whole per-neuron-step cost (engine bookkeeping)",
        ns["passive_float64_1"],
        "ns",
    )

    asm = instruction_mix()
    if asm:
        header = ["kernel", "instructions", "packed 256-bit", "packed 128-bit", "scalar", "div"]
        sec.table(
            "Instruction mix of the compiled kernels (float64; from numba's assembly)",
            header,
            [[k, *v.values()] for k, v in asm.items()],
        )
        sec.extra["instruction_mix"] = asm
    else:
        sec.skip(
            "instruction mix: could not compile the engine's kernel afresh to read its assembly"
        )

    dsos = perf_profile(cfg)
    if dsos:
        sec.table(
            "perf: where the CPU samples of repeated nt.simulate_batch runs land "
            "(float64, 1 worker)",
            ["shared object", "share"],
            [[k, f"{v:.1f} %"] for k, v in dsos],
        )
        sec.extra["perf_dso"] = dsos
    else:
        sec.skip("perf profile: perf is not available or not permitted here")


ASM_CHILD = r"""
import json, re, sys
sys.path.insert(0, {here!r})
import numpy as np
import _kernels
import neuntune as nt
from neuntune.engine.run import compile_circuit
from neuntune.bundled import hh_gap_pair

def mix(dispatcher):
    text = "\n".join(dispatcher.inspect_asm().values())
    ins = re.findall(r"^\s+(v?[a-z0-9]+)\s+([^\n]*)", text, re.M)
    ops = r"add|sub|mul|div|fmadd\w*|fmsub\w*|fnmadd\w*|fnmsub\w*|max|min|sqrt"
    arith = re.compile(rf"^v?({{ops}})(p|s)[sd]$")
    packed = [a for i, a in ins if (m := arith.match(i)) and m.group(2) == "p"]
    return {{
        "instructions": len(ins),
        "packed_256": sum("ymm" in a for a in packed),
        "packed_128": sum("ymm" not in a for a in packed),
        "scalar": sum(1 for i, a in ins if (m := arith.match(i)) and m.group(2) == "s"),
        "div": sum(1 for i, a in ins if i.startswith("vdiv") or i.startswith("div")),
    }}

c = hh_gap_pair()
nt.simulate_batch(c, {{"gj.g": [0.001, 0.002]}}, 0.1, 0.01)
engine = compile_circuit(c, "rk4", "float64")
_kernels.warm(np.float64)
k = _kernels.kernels(np.float64)
print(json.dumps({{
    "engine kernel (HH pair, rk4)": mix(engine.module.kernel),
    "hand-written batched kernel": mix(k["batch_fast"]),
    "hand-written single-pair kernel (SLP)": mix(k["pair_fast"]),
}}))
"""


def instruction_mix() -> dict | None:
    """Count arithmetic instructions in the engine's kernel and the hand-written ones.
    numba refuses to show the assembly of cached code, so the engine's kernel is
    compiled afresh in a child process with an empty NEUNTUNE_CACHE_DIR."""
    with tempfile.TemporaryDirectory(prefix="neuntune-asm-") as cache:
        env = dict(os.environ, NEUNTUNE_CACHE_DIR=cache)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", ASM_CHILD.format(here=str(SCRIPT.parent))],
                capture_output=True,
                text=True,
                timeout=900,
                env=env,
            )
            return json.loads(proc.stdout.strip().splitlines()[-1])
        except (subprocess.SubprocessError, ValueError, IndexError, OSError):
            return None


PERF_CHILD = r"""
import os, time, numpy as np, neuntune as nt
from neuntune.bundled import hh_gap_pair
c, g = hh_gap_pair(), np.linspace(0.0001, 0.01, {batch})
run = lambda: nt.simulate_batch(c, {{"gj.g": g}}, 20.0, {dt}, "rk4", record="v",
                                record_every={every}, workers=1)
run()
with open(os.environ["PERF_CTL"], "w") as ctl:  # start sampling only now (imports excluded)
    ctl.write("enable\n")
with open(os.environ["PERF_ACK"]) as ack:
    ack.readline()
end = time.time() + {seconds}
while time.time() < end:
    run()
"""


def perf_profile(cfg: Config) -> list[tuple[str, float]] | None:
    """Share of cpu-clock samples by where they land while nt.simulate_batch runs,
    after start-up (sampling is switched on by the child through perf's control fifo).
    numba's compiled code has no symbols: perf shows it as JIT code."""
    perf = shutil.which("perf")
    if not perf:
        return None
    seconds = 2 if cfg.quick else 6
    code = PERF_CHILD.format(batch=BATCH, dt=DT, every=EVERY, seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="neuntune-perf-") as tmp:
        data, ctl, ack = (str(Path(tmp) / n) for n in ("perf.data", "ctl", "ack"))
        os.mkfifo(ctl)
        os.mkfifo(ack)
        record = [perf, "record", "-q", "-e", "cpu-clock", "-F", "999", "-D", "-1"]
        record += ["--control", f"fifo:{ctl},{ack}", "-o", data, "--"]
        record += [sys.executable, "-c", code]
        report = [perf, "report", "-i", data, "--stdio", "--sort", "dso,sym"]
        try:
            env = dict(os.environ, PERF_CTL=ctl, PERF_ACK=ack)
            subprocess.run(record, capture_output=True, timeout=300, check=True, env=env)
            text = subprocess.run(report, capture_output=True, text=True, timeout=300).stdout
        except (subprocess.SubprocessError, OSError):
            return None
    merged: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+(?: tid \d+)?)\s+\[.\]\s+(\S+)", line)
        if m and not line.lstrip().startswith("#"):
            name = _category(m.group(2), m.group(3))
            merged[name] = merged.get(name, 0.0) + float(m.group(1))
    return sorted(merged.items(), key=lambda kv: -kv[1])[:8] or None


def _category(dso: str, symbol: str) -> str:
    """A readable name for where a perf sample landed."""
    if dso.startswith(("[JIT]", "[unknown]", "anon", "//anon")):
        return "numba-compiled kernels (JIT code, no symbols)"
    if "kernel" in dso:
        return "operating system (page faults, memory)"
    if "libpython" in dso or dso.startswith("python"):
        if re.search(r"gc_|visit_|_traverse|subtract_refs|move_unreachable", symbol):
            return "Python's cyclic garbage collector"
        return "Python interpreter"
    if "openblas" in dso:
        return "OpenBLAS threads (spinning)"
    if "_multiarray" in dso or "numpy" in dso:
        return "numpy"
    if "libm" in dso:
        return "libm"
    return dso


# --------------------------------------------------------- conductance scan
def conductance_scan(cfg: Config, sec: Section) -> None:
    """The Neun docs' conductance scan three ways: nt.scan (one batched run on every
    core), a loop of single nt.simulate runs, and the pure-Python loop it replaces."""
    import neuntune as nt
    from neuntune import analysis
    from neuntune.bundled import hh_gap_pair

    circuit = hh_gap_pair()
    values = np.linspace(0.0001, 0.01, 20)
    t_stop, dt = 100.0, 0.001

    def scan():
        return nt.scan(
            circuit,
            {"gj.g": "0.0001:0.01:20"},
            metric="synchrony",
            t_stop=t_stop,
            dt=dt,
            method="rk4",
        )

    def loop():
        out = []
        for g in values:
            circuit.set("gj.g", float(g))
            r = nt.simulate(circuit, t_stop, dt, "rk4", record="v")
            out.append(analysis.pearson(r.v["a"], r.v["b"]))
        circuit.set("gj.g", 0.002)
        return np.array(out)

    def handwritten():  # the yardstick: the same 20 members, no metric
        state = _kernels.batch_state(_models.hh_pair_y0(), values, np.float64)
        _kernels.run_batch(np.float64, state, 0.1, 0.08, dt, round(t_stop / dt), 2)

    sc = scan()
    lp = loop()
    sec.value(
        "scan_vs_loop",
        "scan vs loop of single runs: max |Δ synchrony|",
        float(np.max(np.abs(sc.values - lp))),
    )
    timings = measure_many(
        {
            "scan": scan,
            "loop": loop,
            "scan_hw": handwritten,
        },
        cfg.n(quick=3),
    )
    sec.timing(
        "scan",
        "nt.scan: Neun's conductance scan (20 g, 100 ms at dt 0.001, RK4, float64, every core)",
        timings["scan"],
    )
    sec.timing(
        "scan_loop", "loop of 20 single nt.simulate runs (+ the same metric)", timings["loop"]
    )
    sec.timing(
        "scan_hw",
        "hand-written batched kernel, the same 20 members on 2 threads (12 + 8), no metric",
        timings["scan_hw"],
    )
    steps = 1000 if cfg.quick else 5000
    py = measure(lambda: _models.pure_python_pair(steps), cfg.n(quick=1), warmup=0)
    py = scaled(py, 20 * 1e5 / steps)
    sec.timing(
        "scan_python",
        f"pure-Python loop of the 20 runs (extrapolated from {steps} "
        f"steps of one run, ×{20 * 100_000 // steps})",
        py,
    )
    sec.goal(
        "conductance scan",
        60,
        "<=",
        timings["scan"]["fastest_s"] * 1e3,
        timings["scan"]["median_s"] * 1e3,
        "ms",
    )
    # the issue measured the hand-written kernel at 47 ms here when it set 60 ms
    f, m = paired_ratio(timings["scan"], timings["scan_hw"])
    sec.goal(
        "conductance scan: time / hand-written kernel's, same run (goal 60 over the quoted 47 ms)",
        round(60 / 47, 3),
        "<=",
        f,
        m,
        "×",
    )
    f, m = ratio(timings["loop"], timings["scan"])
    sec.value("scan_speedup_loop", "loop of singles / nt.scan", f, "×", median=m)
    f, m = ratio(py, timings["scan"])
    sec.value("scan_speedup_python", "pure Python (extrapolated) / nt.scan", f, "×", median=m)
    # where the scan's time goes: the batched run (summing, storing or neither), the
    # metric on stored traces
    from neuntune.simulate import sum_batch

    batch = {"gj.g": values}
    fast: dict = {}
    parts = {
        "sum_2w": lambda: sum_batch(circuit, batch, t_stop, dt, "rk4", **fast),
        "sum_1w": lambda: sum_batch(circuit, batch, t_stop, dt, "rk4", workers=1, **fast),
        "run_every_step_2w": lambda: nt.simulate_batch(
            circuit, batch, t_stop, dt, "rk4", record="v", **fast
        ),
        "run_every_100_2w": lambda: nt.simulate_batch(
            circuit, batch, t_stop, dt, "rk4", record="v", record_every=100, **fast
        ),
        "one_step": lambda: nt.simulate_batch(circuit, batch, dt, dt, "rk4", record="v", **fast),
    }
    results = parts["run_every_step_2w"]()
    parts["metric"] = lambda: [analysis.pearson(r.v["a"], r.v["b"]) for r in results]
    pt = measure_many(parts, cfg.n(quick=3))
    labels = {
        "sum_2w": "sum_batch of the 20 members (v summed in the kernel, nothing stored), "
        "2 workers: what nt.scan runs",
        "sum_1w": "same, 1 worker",
        "run_every_step_2w": "nt.simulate_batch, v stored every step (32 MB), 2 workers",
        "run_every_100_2w": "nt.simulate_batch, v stored every 100 steps, 2 workers",
        "one_step": "nt.simulate_batch of a single step (the fixed cost of a call)",
        "metric": "the synchrony metric on 20 stored results (keep_traces=True)",
    }
    sec.table(
        "Where the scan's time goes (fastest of n)",
        ["part", "time"],
        [["nt.scan (all of it)", fmt_time(timings["scan"]["fastest_s"])]]
        + [[labels[k], fmt_time(pt[k]["fastest_s"])] for k in labels],
    )
    sec.extra["scan_parts"] = {
        k: {"fastest_s": v["fastest_s"], "median_s": v["median_s"], "n": v["n"]}
        for k, v in pt.items()
    }
    sec.note(
        "The scan sums v of both cells at every step inside the kernel (the synchrony "
        "metric needs only Σd, Σd², Σd_a·d_b), so nothing of 20 × 2 × 100 001 samples is "
        "stored.  20 members are 5 AVX2 vectors of 4; two workers split them 3 + 2, so "
        "two cores can do at most 5/3 of one core's work here."
    )


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "throughput", *sys.argv[1:]]))
