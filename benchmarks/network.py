"""Networks (issue 18's goals): compile per set of model types, a 16-cell ring, scale
and memory, the Wang–Buzsáki gap-junction network and COBAHH against Brian2.

1. **Compile.** For each set of model types, a fresh subprocess with an empty
   ``NEUNTUNE_CACHE_DIR`` builds a small circuit and runs it briefly: the time of
   that first ``nt.simulate`` (generation + numba compilation + the short run;
   Python and ``import neuntune`` excluded, reported beside it).  The same process
   then builds a second circuit of the same types with other sizes, wiring and
   values and runs it: ``neuntune.engine.run.compilations`` must not move.
   Goal: ≤ 5 s, and 0 compilations for the second circuit.
2. **16-cell HH ring** (one population of 16, gap junctions i → i+1 mod 16 given
   as ``nt.connectivity.Pairs``, 0.1 µA into member 0; 10 ms, RK4, dt 0.01 ms):
   build + compile + run cold (fresh subprocess, empty cache dir; ≤ 6 s) and warm
   (a new circuit built and run in a process that has the types; ≤ 0.1 s).  Also
   shown: the first run in a new process whose disk cache has the kernels.
3. **Scale.** 10 000 HH cells with 100 000 gap junctions (explicit random pairs)
   and 100 000 ExpSynapse connections (``FixedNumberPre(10)``), 5 ms at dt 0.01 ms,
   RK4: build and run time and memory, each size in its own process (types already
   on disk).  Memory: the process's peak RSS above its RSS before building (the
   kernel loaded), and numpy/Python's own peak (tracemalloc), at several sizes with
   10 gap junctions and 10 synapses per cell; the growth exponent between the
   smallest and largest size must be ≈ 1 (O(cells + connections)), and the Python
   objects alive after a run must not grow with the number of cells.
4. **Wang–Buzsáki gap-junction network** (100 cells, all-to-all gap junctions, each
   unordered pair joined once with g = 0.001 mS, which equals Brian2's directed pairs
   each adding g(v_pre − v_post) to post; 0.6 µA; v0 uniform in [−70, −50] mV, h 0.6,
   n 0.32; RK4 at dt 0.01 ms for 1 s) in neuntune float64 and float32 (interleaved
   rounds) against Brian2 2.9 C++ standalone and runtime (cython) in the same run.
   Goal ≤ 1.2 s (float64), spike count within 10 % of Brian2's.
5. **COBAHH** (Brette et al. 2007 benchmark 3: 3200 + 800 ``TraubMilesCOBA`` cells,
   ``DeltaSynapse`` increments of ge by 6 nS and gi by 67 nS with p = 0.02 from each
   population to all cells, exponential Euler at dt 0.1 ms for 1 s; v0, ge0, gi0 as
   in Brian2's example, m, h, n starting at 0 as there) in neuntune float64/float32
   against Brian2's runtime (cython) and C++ standalone in the same run.  Goals:
   ≤ 1.2 s, 2× faster than both Brian2 modes, the first run with compilation ≤ 8 s
   (fresh subprocess, empty cache), spike count within 15 % of Brian2's.

Brian2 runs in the interpreter given by ``--compare-python`` or
$NEUNTUNE_COMPARE_PYTHON (its own venv), as a subprocess of
``brian2_networks.py``; without it those rows say so.  ``--quick`` runs 100 ms of
the Wang–Buzsáki network and COBAHH (times extrapolated × 10 to 1 s, flagged), few
repeats and fewer sizes.

    python benchmarks/network.py [--quick] [--repeats 30] [--compare-python PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SCRIPT = Path(__file__).resolve()
HERE = SCRIPT.parent
BRIAN2_SCRIPT = HERE / "brian2_networks.py"

WB_G = 0.001  # mS per pair (0.001 mS/cm² × 1 cm²)
RING_N = 16
SCALE_PER_CELL = 10  # gap junctions and event synapses per cell


# ------------------------------------------------------------------ circuits
def ring_circuit(n: int = RING_N):
    """One population of ``n`` HH cells, gap junctions i -> i+1 mod n, 0.1 µA into member 0."""
    import neuntune as nt

    c = nt.Circuit()
    c.add("ring", nt.HH(), n=n)
    k = np.arange(n)
    rule = nt.connectivity.Pairs(i=k, j=(k + 1) % n)
    c.connect("ring", "ring", nt.GapJunction(g=0.002), rule=rule, name="gap")
    c.stimulate("ring", nt.Constant(amplitude=0.0))
    amplitude = np.zeros(n)
    amplitude[0] = 0.1
    c.set("ring.stim0.amplitude", amplitude)
    return c


def scale_circuit(n: int, per_cell: int = SCALE_PER_CELL, seed: int = 1):
    """``n`` HH cells, ``per_cell·n`` random gap junctions and ``per_cell·n`` ExpSynapses."""
    import neuntune as nt

    c = nt.Circuit()
    c.add("hh", nt.HH(), n=n)
    rng = np.random.default_rng(seed)
    m = per_cell * n
    i = rng.integers(0, n, m)
    j = (i + rng.integers(1, n, m)) % n  # never i itself
    pairs = nt.connectivity.Pairs(i=i, j=j)
    c.connect("hh", "hh", nt.GapJunction(g=1e-5), rule=pairs, name="gap")
    rule = nt.connectivity.FixedNumberPre(per_cell, seed=seed + 1)
    c.connect("hh", "hh", nt.ExpSynapse(g=1e-5), rule=rule, name="syn")
    c.stimulate("hh", nt.Constant(amplitude=0.0))
    c.set("hh.stim0.amplitude", nt.connectivity.Uniform(0.0, 0.1, seed=seed + 2))
    return c


def wb_circuit(n: int = 100, g: float = WB_G, seed: int = 1, rule=None):
    """The Wang–Buzsáki gap-junction network (module docs, item 4)."""
    import neuntune as nt

    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(), n=n)
    c.set("wb.v0", nt.connectivity.Uniform(-70.0, -50.0, seed=seed))
    c.set("wb.h0", 0.6)
    c.set("wb.n0", 0.32)
    rule = rule or nt.connectivity.AllToAll()
    c.connect("wb", "wb", nt.GapJunction(g=g), rule=rule, name="gap")
    c.stimulate("wb", nt.Constant(amplitude=0.6))
    return c


def cobahh_circuit(n_exc: int = 3200, n_inh: int = 800, p: float = 0.02, seed: int = 1):
    """Brette et al. (2007) benchmark 3 as Brian2's examples/COBAHH.py sets it up."""
    import neuntune as nt
    from neuntune.connectivity import FixedProbability, Normal

    c = nt.Circuit()
    sizes = {"exc": n_exc, "inh": n_inh}
    for k, (name, n) in enumerate(sizes.items()):
        c.add(name, nt.TraubMilesCOBA(), n=n)
        s = seed + 10 * k
        c.set(f"{name}.v0", Normal(-65.0, 5.0, seed=s))  # El + (5·N(0,1) − 5) mV
        c.set(f"{name}.ge0", Normal(40e-6, 15e-6, seed=s + 1))  # (1.5·N + 4)·10 nS, in mS
        c.set(f"{name}.gi0", Normal(200e-6, 120e-6, seed=s + 2))  # (12·N + 20)·10 nS
        for gate in "mhn":
            c.set(f"{name}.{gate}0", 0.0)  # Brian2's example leaves the gates at 0
    synapses = {
        "exc": nt.DeltaSynapse(target="ge", w=6e-6),  # we = 6 nS
        "inh": nt.DeltaSynapse(target="gi", w=67e-6),  # wi = 67 nS
    }
    for k, (pre, synapse) in enumerate(synapses.items()):
        for m, post in enumerate(sizes):
            rule = FixedProbability(p, seed=seed + 100 + 10 * k + m)
            c.connect(pre, post, synapse, rule=rule, name=f"{pre}_{post}")
    return c


def total_spikes(res) -> int:
    return int(sum(len(s.t) for s in res.spikes.values()))


def run_wb(c, t_stop: float, precision: str):
    import neuntune as nt

    return nt.simulate(c, t_stop, 0.01, "rk4", precision, record="wb[0:2].v", record_every=100)


def run_cobahh(c, t_stop: float, precision: str):
    import neuntune as nt

    return nt.simulate(c, t_stop, 0.1, "expeuler", precision, record="exc[0:3].v", record_every=10)


def run_pair():
    """The Neun docs' HH gap-junction pair (neuntune.bundled.hh_gap_pair), 10 ms."""
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair

    return nt.simulate(hh_gap_pair(), 10.0, 0.01, "rk4", record="v")


def run_ring(c):
    import neuntune as nt

    return nt.simulate(c, 10.0, 0.01, "rk4", record="ring[0:2].v")


def run_scale(c):
    import neuntune as nt

    return nt.simulate(c, 5.0, 0.01, "rk4", record="hh[0:10].v", record_every=10)


#: Sets of model types for the compile section: (label, first circuit and run,
#: second circuit of the same types and run).
TYPE_SETS = {
    "hh_gap": (
        "HH + GapJunction + Constant (RK4, float64): the Neun pair",
        lambda: run_pair(),
        lambda: run_ring(ring_circuit()),
    ),
    "hh_gap_exp": (
        "HH + GapJunction + ExpSynapse + Constant (RK4, float64)",
        lambda: run_scale(scale_circuit(50, per_cell=2)),
        lambda: run_scale(scale_circuit(400, per_cell=7, seed=5)),
    ),
    "wb_gap": (
        "WangBuzsaki + GapJunction + Constant (RK4, float64)",
        lambda: run_wb(wb_circuit(10), 10.0, "float64"),
        lambda: run_wb(wb_circuit(200, seed=3, rule=_fixed_probability(0.1, 7)), 10.0, "float64"),
    ),
    "cobahh": (
        "TraubMilesCOBA + DeltaSynapse (exponential Euler, float64)",
        lambda: run_cobahh(cobahh_circuit(80, 20, p=0.1), 10.0, "float64"),
        lambda: run_cobahh(cobahh_circuit(1600, 400, seed=9), 10.0, "float64"),
    ),
}


def _fixed_probability(p: float, seed: int):
    import neuntune as nt

    return nt.connectivity.FixedProbability(p, seed=seed)


# --------------------------------------------- subprocess probes (--child)
def _rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset) in MB, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = float(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child_compile(kind: str) -> dict[str, Any]:
    """Cold first use of a set of model types, then a second circuit of the same types."""
    start = time.perf_counter()
    import neuntune  # noqa: F401
    from neuntune.engine import run as network

    out: dict[str, Any] = {"import_s": time.perf_counter() - start}
    _, first, second = TYPE_SETS[kind]
    start = time.perf_counter()
    first()
    out["first_s"] = time.perf_counter() - start
    before = network.compilations
    start = time.perf_counter()
    second()
    out["second_s"] = time.perf_counter() - start
    out["first_compilations"] = before
    out["second_compilations"] = network.compilations - before
    return out


def child_ring(repeats: int) -> dict[str, Any]:
    """Ring build + compile + run (cold or from the disk cache), then warm repeats."""
    start = time.perf_counter()
    import neuntune  # noqa: F401
    from neuntune.engine import run as network

    out: dict[str, Any] = {"import_s": time.perf_counter() - start}
    start = time.perf_counter()
    res = run_ring(ring_circuit())
    out["first_s"] = time.perf_counter() - start
    out["spikes"] = total_spikes(res)
    before = network.compilations
    warm = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run_ring(ring_circuit())
        warm.append(time.perf_counter() - start)
    out["warm_s"] = warm
    out["warm_compilations"] = network.compilations - before
    return out


def child_cobahh(precision: str) -> dict[str, Any]:
    """COBAHH in a fresh process: build + compile + run 1 s."""
    start = time.perf_counter()
    import neuntune  # noqa: F401

    out: dict[str, Any] = {"import_s": time.perf_counter() - start}
    start = time.perf_counter()
    res = run_cobahh(cobahh_circuit(), 1000.0, precision)
    out["first_s"] = time.perf_counter() - start
    out["spikes"] = total_spikes(res)
    return out


def child_memory(n: int, repeats: int = 0) -> dict[str, Any]:
    """Build and run the scale circuit with ``n`` cells; RSS, tracemalloc peak, objects;
    then ``repeats`` timed builds + runs."""
    import tracemalloc

    import neuntune  # noqa: F401

    run_scale(scale_circuit(20, per_cell=2))  # loads (or compiles) the types
    gc.collect()
    objects_before = len(gc.get_objects())
    rss_before, _ = _rss_mb()
    reset = _reset_peak()
    start = time.perf_counter()
    c = scale_circuit(n)
    build = time.perf_counter() - start
    start = time.perf_counter()
    res = run_scale(c)
    run = time.perf_counter() - start
    rss_after, peak = _rss_mb()
    gc.collect()
    objects_after = len(gc.get_objects())
    out = {
        "n": n,
        "connections": sum(len(c.pairs(name)[0]) for name in c.connections),
        "build_s": build,
        "run_s": run,
        "spikes": total_spikes(res),
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "peak_mb": peak,
        "peak_reset": reset,
        "objects_added": objects_after - objects_before,
    }
    del res, c
    gc.collect()
    tracemalloc.start()
    run_scale(scale_circuit(n))
    out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run_scale(scale_circuit(n))
        samples.append(time.perf_counter() - start)
    out["repeat_s"] = samples
    return out


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["compile", "ring", "cobahh", "memory"], required=True)
    parser.add_argument("--kind", default="hh_gap_exp")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--precision", default="float64")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    if args.child == "compile":
        out = child_compile(args.kind)
    elif args.child == "ring":
        out = child_ring(args.repeats)
    elif args.child == "cobahh":
        out = child_cobahh(args.precision)
    else:
        out = child_memory(args.n, args.repeats)
    Path(args.out).write_text(json.dumps(out))
    return 0


def spawn(args: list[Any], cache_dir: str | None = None, timeout: float = 1800) -> dict:
    """Run ``network.py --child ...`` in this interpreter (a fresh process); with
    ``cache_dir`` None an empty kernel cache directory is made for it and removed."""
    with tempfile.TemporaryDirectory(prefix="neuntune-net-") as tmp:
        out = Path(tmp) / "out.json"
        env = dict(os.environ)
        env["NEUNTUNE_CACHE_DIR"] = cache_dir or str(Path(tmp) / "kernels")
        cmd = [sys.executable, str(SCRIPT), "--child", *map(str, args), "--out", str(out)]
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            raise RuntimeError(f"network.py --child {args[0]} failed ({proc.returncode}):\n{tail}")
        return {**json.loads(out.read_text()), "process_wall_s": wall}


# -------------------------------------------------------------- the sections
def run(cfg):
    from _common import Section, heading

    heading("Networks: compile per model types, ring, scale, Wang–Buzsáki, COBAHH")
    sec = Section("network", "Networks: compile per model types, ring, scale, WB, COBAHH")
    summary: list[list[str]] = []
    for part in (_compile, _ring, _scale, _wang_buzsaki, _cobahh):
        try:
            part(cfg, sec, summary)
        except Exception as exc:  # one broken part must not lose the others
            import traceback

            traceback.print_exc()
            sec.skip(f"{part.__name__.strip('_')}: failed: {type(exc).__name__}: {exc}"[:600])
    if summary:
        sec.table(
            "Side by side (1 s of simulated time unless stated)",
            ["benchmark", "implementation", "fastest", "median", "n", "spikes"],
            summary,
        )
    return sec


def _row(summary, bench, impl, timing, spikes="") -> None:
    from _common import fmt_time

    summary.append(
        [
            bench,
            impl,
            fmt_time(timing["fastest_s"]),
            fmt_time(timing["median_s"]),
            str(timing["n"]),
            str(spikes),
        ]
    )


def _compile(cfg, sec, summary) -> None:
    from _common import stats

    reps = cfg.n(5, quick=1)
    for kind, (label, _, _) in TYPE_SETS.items():
        runs = [spawn(["compile", "--kind", kind]) for _ in range(reps)]
        first = sec.timing(
            f"compile_{kind}",
            f"first use, empty cache, fresh process: {label} (small circuit, 10 ms; "
            "import excluded)",
            stats([r["first_s"] for r in runs]),
        )
        sec.timing(
            f"compile_{kind}_second",
            "… then a second circuit of the same types, other sizes and wiring (same process)",
            stats([r["second_s"] for r in runs]),
        )
        sec.goal(f"first use of {label}", 5.0, "<=", first["fastest_s"], first["median_s"], "s")
        most = max(r["second_compilations"] for r in runs)
        sec.goal(
            f"compilations by a second circuit of {label.split(' (')[0]}", 0, "<=", most, unit=""
        )
        sec.value(
            f"import_{kind}",
            f"… import neuntune in those processes (median; {label.split(' (')[0]})",
            float(np.median([r["import_s"] for r in runs])),
            "s",
        )
        _row(summary, "compile (first use)", label, first)
    sec.note(
        "Compile rows: each repeat is a fresh Python process with an empty "
        "NEUNTUNE_CACHE_DIR; the time is the first nt.simulate of a small circuit "
        "(code generation, numba compilation, a 10 ms run), without starting Python and "
        "importing neuntune (shown separately).  The second circuit has other sizes, "
        "wiring, seeds and values; its compilation count comes from "
        "neuntune.engine.run.compilations."
    )


def _ring(cfg, sec, summary) -> None:
    from _common import stats

    reps = cfg.n(5, quick=1)
    warm_reps = cfg.n(quick=5)
    runs = [spawn(["ring", "--repeats", warm_reps if k == 0 else 3]) for k in range(reps)]
    cold = sec.timing(
        "ring_cold",
        f"{RING_N}-cell HH ring: build + compile + run 10 ms, empty cache, fresh process "
        "(import excluded)",
        stats([r["first_s"] for r in runs]),
    )
    sec.value(
        "ring_cold_process",
        "… whole process (Python start, import, the above; median)",
        float(np.median([r["process_wall_s"] for r in runs])),
        "s",
    )
    warm = sec.timing(
        "ring_warm",
        f"{RING_N}-cell HH ring: build a new circuit + run 10 ms, types compiled in this process",
        stats(runs[0]["warm_s"]),
    )
    with tempfile.TemporaryDirectory(prefix="neuntune-ring-") as cache:
        spawn(["ring", "--repeats", 0], cache_dir=cache)
        disk = [spawn(["ring", "--repeats", 0], cache_dir=cache) for _ in range(reps)]
    sec.timing(
        "ring_disk",
        f"{RING_N}-cell HH ring: build + run 10 ms in a new process, kernels cached on disk",
        stats([r["first_s"] for r in disk]),
    )
    sec.value("ring_spikes", "ring: spikes in 10 ms", runs[0]["spikes"])
    sec.goal(f"{RING_N}-cell ring cold", 6.0, "<=", cold["fastest_s"], cold["median_s"], "s")
    sec.goal(f"{RING_N}-cell ring warm", 0.1, "<=", warm["fastest_s"], warm["median_s"], "s")
    sec.goal(
        "compilations by warm ring circuits",
        0,
        "<=",
        max(r["warm_compilations"] for r in runs),
    )
    _row(summary, f"{RING_N}-cell ring, 10 ms", "cold (empty cache)", cold, runs[0]["spikes"])
    _row(summary, f"{RING_N}-cell ring, 10 ms", "warm (types compiled)", warm)


def _scale(cfg, sec, summary) -> None:
    from _common import stats

    sizes = (2_500, 10_000) if cfg.quick else (5_000, 10_000, 20_000, 40_000)
    with tempfile.TemporaryDirectory(prefix="neuntune-scale-") as cache:
        spawn(["memory", "--n", 100], cache_dir=cache)  # compile the types once
        rows = [
            spawn(
                ["memory", "--n", n, "--repeats", cfg.n(10, quick=2) if n == 10_000 else 0],
                cache_dir=cache,
            )
            for n in sizes
        ]
    table = []
    for r in rows:
        grown = r["peak_mb"] - r["rss_before_mb"]
        units = r["n"] + r["connections"]
        r["grown_mb"] = grown
        table.append(
            [
                f"{r['n']:,}",
                f"{r['connections']:,}",
                f"{r['build_s']:.3g} s",
                f"{r['run_s']:.3g} s",
                str(r["spikes"]),
                f"{grown:.0f} MB",
                f"{r['tracemalloc_peak_mb']:.0f} MB",
                f"{grown * 1e6 / units:.0f} B",
                str(r["objects_added"]),
            ]
        )
    sec.table(
        "Scale: HH cells with 10 gap junctions and 10 ExpSynapses per cell, 5 ms RK4 dt 0.01 "
        "(each size in its own process, kernels on disk)",
        [
            "cells",
            "connections",
            "build",
            "run 5 ms",
            "spikes",
            "peak RSS − RSS before",
            "tracemalloc peak",
            "per cell + connection",
            "Python objects added",
        ],
        table,
    )
    big = next((r for r in rows if r["n"] == 10_000), rows[-1])
    sec.value(
        "scale_10k_time",
        "10 000 HH cells, 100 000 gap junctions + 100 000 ExpSynapses: build + run 5 ms",
        big["build_s"] + big["run_s"],
        "s",
    )
    sec.value("scale_10k_peak", "… peak RSS of that process", big["peak_mb"], "MB")
    if big.get("repeat_s"):
        timing = sec.timing(
            "scale_10k",
            "10 000 HH cells, 100 000 gap junctions + 100 000 ExpSynapses: build + run 5 ms "
            "(repeated in that process)",
            stats(big["repeat_s"]),
        )
        _row(summary, "10 000 HH, 100 000 gap + 100 000 syn", "neuntune RK4 float64, 5 ms",
             timing, big["spikes"])  # fmt: skip
    small, large = rows[0], rows[-1]

    def exponent(a: dict, b: dict, key: str) -> float:
        return float(np.log(b[key] / a[key]) / np.log(b["n"] / a["n"]))

    traced = exponent(small, large, "tracemalloc_peak_mb")
    sec.value(
        "memory_exponent_traced",
        f"memory growth exponent {small['n']:,} → {large['n']:,} cells, numpy + Python "
        "allocations (tracemalloc peak)",
        traced,
    )
    rss = exponent(small, large, "grown_mb")
    rss_top = exponent(rows[-2], large, "grown_mb")
    sec.value(
        "memory_exponent_rss",
        f"… from peak RSS growth, {small['n']:,} → {large['n']:,} cells; "
        f"{rows[-2]['n']:,} → {large['n']:,}",
        f"{rss:.2f}; {rss_top:.2f}",
    )
    sec.goal(
        "memory growth exponent in cells + connections (tracemalloc; 1 = linear)",
        1.1,
        "<=",
        traced,
    )
    extra = large["objects_added"] - small["objects_added"]
    sec.goal(
        f"Python objects added by {large['n']:,} cells beyond those by {small['n']:,}",
        100,
        "<=",
        extra,
    )
    sec.note(
        "Scale memory: cells and connections grow together (10 + 10 per cell).  The "
        "tracemalloc peak counts every numpy array and Python object allocated while "
        "building and running; RSS growth at small sizes is understated because the "
        "allocator reuses heap freed after import and kernel loading."
    )
    if not all(r["peak_reset"] for r in rows):
        sec.note("the peak-RSS mark could not be reset: peaks include the kernel loading")


def _brian2(cfg, sec, model: str, t_stop: float, reps: int) -> dict[str, dict | str]:
    """Brian2's runtime and standalone results for ``model`` (or why not)."""
    from _common import run_worker

    python = cfg.compare_python
    if not (python and cfg.compare_info.get("brian2")):
        why = cfg.compare_info.get("brian2_error") or "no interpreter with brian2"
        text = (
            f"Brian2 not available ({why}); give --compare-python PATH or "
            "$NEUNTUNE_COMPARE_PYTHON (a venv with brian2==2.9.0, numpy<2.4, cython)"
        )
        sec.skip(f"{model}: {text}")
        return {"runtime": text, "standalone": text}
    out: dict[str, dict | str] = {}
    for mode in ("standalone", "runtime"):
        try:
            args = [mode, "--model", model, "--t-stop", t_stop, "--repeats", reps]
            out[mode] = run_worker(python, BRIAN2_SCRIPT, args, timeout=3600)
        except Exception as exc:
            out[mode] = f"Brian2 {mode} failed: {str(exc)[-400:]}"
            sec.skip(f"{model}: {out[mode]}")
    return out


def _wang_buzsaki(cfg, sec, summary) -> None:
    from _common import measure_many, scaled, stats

    t_stop = 100.0 if cfg.quick else 1000.0
    factor = 1000.0 / t_stop
    tag = "" if factor == 1 else f" [{t_stop:g} ms × {factor:g}]"
    reps = cfg.n(quick=2)
    c = wb_circuit()
    start = time.perf_counter()
    wb_circuit()
    sec.value("wb_build", "WB network: building the circuit (100 cells, 4 950 pairs)",
              time.perf_counter() - start, "s")  # fmt: skip
    counts = {p: total_spikes(run_wb(c, t_stop, p)) for p in ("float64", "float32")}
    timings = measure_many(
        {p: (lambda p=p: run_wb(c, t_stop, p)) for p in ("float64", "float32")},
        reps,
        warmup=0,
    )
    ours = {p: scaled(t, factor) for p, t in timings.items()}
    for p in ("float64", "float32"):
        sec.timing(f"wb_{p}", f"WB network: neuntune RK4 {p}, 1 s{tag}", ours[p])
        sec.value(f"wb_{p}_spikes", f"WB network: neuntune {p} spikes", counts[p])
        _row(summary, "WB gap network", f"neuntune RK4 {p}{tag}", ours[p], counts[p])
    f64 = ours["float64"]
    sec.goal("WB network, neuntune float64", 1.2, "<=", f64["fastest_s"], f64["median_s"], "s")

    b2 = _brian2(cfg, sec, "wb", t_stop, cfg.n(10, quick=1))
    reference: list[int] = []
    for mode, key, label in (
        ("standalone", "loop_s", "Brian2 C++ standalone (binary's run time)"),
        ("runtime", "loop_s", "Brian2 runtime cython (device._last_run_time)"),
    ):
        got = b2[mode]
        if isinstance(got, str):
            summary.append(["WB gap network", label, "–", "–", "–", got[:80]])
            continue
        timing = sec.timing(f"wb_brian2_{mode}", f"WB network: {label}, 1 s{tag}",
                            scaled(stats(got[key]), factor))  # fmt: skip
        spikes = got["spikes"][-1]
        reference.append(spikes)
        sec.value(f"wb_brian2_{mode}_spikes", f"WB network: Brian2 {mode} spikes", spikes)
        if mode == "standalone":
            sec.value("wb_brian2_build", "WB network: Brian2 standalone code generation + "
                      "C++ build + first run", got["build_and_first_run_s"], "s")  # fmt: skip
        else:
            sec.value("wb_brian2_first", "WB network: Brian2 runtime first run (cython "
                      "compilation or its cache)", got["first_run_wall_s"], "s")  # fmt: skip
        _row(summary, "WB gap network", f"{label}{tag}", timing, spikes)
        speed = (timing["fastest_s"] / f64["fastest_s"], timing["median_s"] / f64["median_s"])
        sec.value(f"wb_speedup_{mode}", f"WB network: Brian2 {mode} / neuntune float64",
                  speed[0], "×", median=speed[1])  # fmt: skip
    if reference:
        mean = float(np.mean(reference))
        off = abs(counts["float64"] - mean) / mean
        sec.goal("WB spike count: |neuntune − Brian2| / Brian2 (mean of its modes)", 0.10,
                 "<=", off)  # fmt: skip
    sec.note(
        "WB: neuntune joins each unordered pair once (4 950 junctions of g = 0.001 mS); "
        "Brian2 has 9 900 directed synapses each adding g(v_pre − v_post) to post: the "
        "same currents.  Brian2 sums the gap current once per step and holds it constant "
        "through the RK4 stages; neuntune evaluates it in every stage.  Seeds differ "
        "(Brian2's rand() vs neuntune's Uniform(seed=1)); the network is chaotic, so "
        "counts agree in regime, not exactly (Brian2/NEURON give 3933 with theirs)."
    )


def _cobahh(cfg, sec, summary) -> None:
    from _common import measure_many, scaled, stats

    import neuntune as nt

    if not hasattr(nt, "TraubMilesCOBA") or not hasattr(nt, "DeltaSynapse"):
        sec.skip("COBAHH: waiting for nt.TraubMilesCOBA and nt.DeltaSynapse in neuntune")
        return
    t_stop = 100.0 if cfg.quick else 1000.0
    factor = 1000.0 / t_stop
    tag = "" if factor == 1 else f" [{t_stop:g} ms × {factor:g}]"
    reps = cfg.n(quick=2)

    cold_runs = [spawn(["cobahh"]) for _ in range(cfg.n(3, quick=1))]
    cold = sec.timing(
        "cobahh_cold",
        "COBAHH: build + compile + 1 s, empty cache, fresh process (import excluded)",
        stats([r["first_s"] for r in cold_runs]),
    )
    sec.goal("COBAHH first run incl. compile", 8.0, "<=", cold["fastest_s"], cold["median_s"], "s")

    start = time.perf_counter()
    c = cobahh_circuit()
    sec.value("cobahh_build", "COBAHH: building the circuit (4 000 cells, ~320 000 synapses)",
              time.perf_counter() - start, "s")  # fmt: skip
    n_syn = sum(len(c.pairs(name)[0]) for name in c.connections)
    sec.value("cobahh_synapses", "COBAHH: synapses", n_syn)
    counts = {p: total_spikes(run_cobahh(c, t_stop, p)) for p in ("float64", "float32")}
    timings = measure_many(
        {p: (lambda p=p: run_cobahh(c, t_stop, p)) for p in ("float64", "float32")},
        reps,
        warmup=0,
    )
    ours = {p: scaled(t, factor) for p, t in timings.items()}
    for p in ("float64", "float32"):
        sec.timing(f"cobahh_{p}", f"COBAHH: neuntune exp. Euler {p}, 1 s{tag}", ours[p])
        sec.value(f"cobahh_{p}_spikes", f"COBAHH: neuntune {p} spikes", counts[p])
        _row(summary, "COBAHH", f"neuntune exp. Euler {p}{tag}", ours[p], counts[p])
    _row(summary, "COBAHH", "neuntune first run incl. compile (fresh process, 1 s)", cold,
         cold_runs[0]["spikes"])  # fmt: skip
    f64 = ours["float64"]
    sec.goal("COBAHH, neuntune float64", 1.2, "<=", f64["fastest_s"], f64["median_s"], "s")

    b2 = _brian2(cfg, sec, "cobahh", t_stop, cfg.n(10, quick=1))
    reference: list[int] = []
    for mode, label in (
        ("runtime", "Brian2 runtime cython (device._last_run_time)"),
        ("standalone", "Brian2 C++ standalone (binary's run time)"),
    ):
        got = b2[mode]
        if isinstance(got, str):
            summary.append(["COBAHH", label, "–", "–", "–", got[:80]])
            continue
        timing = sec.timing(f"cobahh_brian2_{mode}", f"COBAHH: {label}, 1 s{tag}",
                            scaled(stats(got["loop_s"]), factor))  # fmt: skip
        spikes = got["spikes"][-1]
        reference.append(spikes)
        sec.value(f"cobahh_brian2_{mode}_spikes", f"COBAHH: Brian2 {mode} spikes", spikes)
        if mode == "standalone":
            sec.value("cobahh_brian2_build", "COBAHH: Brian2 standalone code generation + "
                      "C++ build + first run", got["build_and_first_run_s"], "s")  # fmt: skip
        else:
            sec.value("cobahh_brian2_first", "COBAHH: Brian2 runtime first run (cython "
                      "compilation or its cache)", got["first_run_wall_s"], "s")  # fmt: skip
        _row(summary, "COBAHH", f"{label}{tag}", timing, spikes)
        speed = (timing["fastest_s"] / f64["fastest_s"], timing["median_s"] / f64["median_s"])
        sec.value(f"cobahh_speedup_{mode}", f"COBAHH: Brian2 {mode} / neuntune float64",
                  speed[0], "×", median=speed[1])  # fmt: skip
        sec.goal(f"COBAHH: Brian2 {mode} / neuntune float64", 2.0, ">=", *speed, "×")
    if reference:
        mean = float(np.mean(reference))
        off = abs(counts["float64"] - mean) / mean
        sec.goal("COBAHH spike count: |neuntune − Brian2| / Brian2 (mean of its modes)", 0.15,
                 "<=", off)  # fmt: skip
    sec.note(
        "COBAHH: Brian2 draws one group of 4000 with subgroups; neuntune has populations "
        "exc (3200) and inh (800) and four FixedProbability(0.02) projections.  Seeds "
        "differ, so counts agree in regime (~138 000 in Brette et al.'s setting).  Brian2's "
        "refractory=3 ms (without 'unless refractory') only blocks its threshold; "
        "TraubMilesCOBA declares no refractory period and counts upward −20 mV crossings."
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.exit(child_main(sys.argv[1:]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    from run import main

    sys.exit(main(["--only", "network", *sys.argv[1:]]))
