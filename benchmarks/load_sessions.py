"""Load: N browser sessions pressing the gj.g slider of one tuner server at once.

Issue 19's goals, with 10 sessions on the default preset (HH gap-junction pair,
200 ms at dt 0.01 ms, rk4):

* p95 slider → frame ≤ 300 ms, over every session's samples: keydown on the gj.g
  slider to the next animation frame after the v:a trace's data changed
  (``_latency.HOOK_JS``, as in ``dashboard_latency.py``);
* no crosstalk: session k types its own g = k+0.5 µS and presses its keys (left and
  right alternately: the slider returns within a step, 0.5 %, of k+0.5), then types
  k+1 µS, all sessions together; then its entry must show k+1, its slider k+1 ± 1 %,
  and its v:b trace must equal ``nt.simulate`` of the preset at k+1 µS (at the
  plotted x points, which are min/max-decimated samples of the run) and be farther
  from every other session's g;
* no leak: the server's resident memory (psutil) 30–60 s after every session closed
  within 10 % of its idle level (server started, one page loaded and closed, its
  session discarded: Bokeh drops a closed session after 15 s, checking every 17 s).

One process per session (``multiprocessing``, spawned), each with Playwright's sync
API and its own Debian Chromium: the sessions then reuse ``neuntune.ui.testing``'s
synchronous helpers (``open_tuner``, ``type_value``, ``trace``…) and
``_latency.press_keys`` unchanged, instead of an async copy of each; the price is a
Playwright driver and a browser process per session (memory, not CPU, while they
wait), on the same machine as the server.  A barrier starts the presses of all
sessions together.

    python benchmarks/load_sessions.py [--sessions 10] [--samples 30]

Writes benchmarks/results/load_sessions.json and prints a summary.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import platform
import queue
import time
from pathlib import Path
from typing import Any

import numpy as np
from _latency import WARM_UP, press_keys, summary
from playwright.sync_api import sync_playwright

from neuntune.ui.testing import (
    CHANGED_JS,
    entry,
    launch_chromium,
    open_tuner,
    running_server,
    slider_value,
    trace,
    type_value,
)

RESULTS = Path(__file__).parent / "results" / "load_sessions.json"
SLIDER, SOURCE, CHECKED = "gj.g", "v:a", "v:b"
GOAL_P95_MS = 300.0
GOAL_MEMORY = 1.10
SETTLE = (10, 20, 30, 45, 60)  # s after the sessions closed: memory samples
IDLE_WAIT = 35.0  # s after the first page closed: its session is discarded by then
TIMEOUT_MS = 60_000


def g_of(k: int) -> float:
    """Session k's final conductance in µS (the entry's unit)."""
    return float(k + 1)


def g_start(k: int) -> float:
    """Session k's conductance while it presses keys (µS): k + 0.5, never the preset's
    2 µS (typing that would change nothing) nor a neighbour's final value."""
    return k + 0.5


def rss(pid: int) -> int:
    """Resident memory of process ``pid`` in bytes."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for process {pid}") from None


def server_pid(url: str) -> int:
    """The PID of the child process serving ``url`` (running_server's subprocess)."""
    import psutil

    port = url.rstrip("/").rsplit(":", 1)[1]
    for child in psutil.Process().children():
        if f"port={port}" in " ".join(child.cmdline()):
            return child.pid
    raise RuntimeError(f"no child process serves {url}")


def wait_settled(page: Any, before: dict, quiet_s: float = 1.5) -> None:
    """Wait until trace CHECKED differs from ``before`` and then stays the same
    for ``quiet_s``: the run of a typed value has landed."""
    page.wait_for_function(CHANGED_JS, arg=[CHECKED, before["y"]], timeout=TIMEOUT_MS)
    last = trace(page, CHECKED)
    while True:
        page.wait_for_timeout(quiet_s * 1000)
        now = trace(page, CHECKED)
        if now == last:
            return
        last = now


def session(k: int, url: str, samples: int, barrier: Any, out: Any) -> None:
    """Session k: open the tuner, type g_k, press keys with the others, type g_k
    again with the others; report its latencies, values and v:b trace."""
    g = g_of(k)
    report: dict[str, Any] = {"session": k, "g_uS": g}
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                _, page, log = open_tuner(browser, url, timeout=TIMEOUT_MS / 1000)
                barrier.wait()  # every page is open: type together
                before = trace(page, CHECKED)
                type_value(page, SLIDER, f"{g_start(k):g}")
                wait_settled(page, before)
                barrier.wait()  # press together
                # ArrowLeft first: the 10 µS session starts at the slider's right end.
                report["samples_ms"] = press_keys(
                    page, SLIDER, SOURCE, samples, TIMEOUT_MS, ("ArrowLeft", "ArrowRight")
                )
                page.wait_for_timeout(1000)  # the entry follows the slider a few times a second
                report["after_keys"] = {
                    "entry": entry(page, SLIDER).input_value(),
                    "slider": slider_value(page, SLIDER),
                }
                barrier.wait()  # type the final value together
                before = trace(page, CHECKED)
                type_value(page, SLIDER, f"{g:g}")
                wait_settled(page, before)
                report["final"] = {
                    "entry": entry(page, SLIDER).input_value(),
                    "slider": slider_value(page, SLIDER),
                }
                report["trace"] = trace(page, CHECKED)
                report["page_errors"] = log["errors"]
                out.put(report)
                barrier.wait()  # all done: the server's peak is measured with every page open
            finally:
                browser.close()
    except Exception as exc:  # reported, and the barrier released for the others
        report["error"] = f"{type(exc).__name__}: {exc}"
        out.put(report)
        barrier.abort()


def first_page(url: str) -> None:
    """Load the tuner once and close it (what 'idle' is measured after)."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context, _, _ = open_tuner(browser, url, timeout=TIMEOUT_MS / 1000)
            context.close()
        finally:
            browser.close()


def references(gs: list[float]) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """(t, v_b) of ``nt.simulate`` of the default preset at each g (µS), with the
    tuner's live run settings."""
    import neuntune as nt
    from neuntune.ui.state import LIVE_RUN

    out = {}
    for g in gs:
        circuit = nt.presets.load("hh_gap_pair").circuit
        circuit.set(SLIDER, g * 1e-3)  # mS
        result = nt.simulate(circuit, LIVE_RUN.t_stop, dt=LIVE_RUN.dt, method=LIVE_RUN.method)
        out[g] = (np.asarray(result.t), np.asarray(result.v["b"]))
    return out


def trace_error(shown: dict, ref: tuple[np.ndarray, np.ndarray]) -> float:
    """Largest |v| difference (mV) between a plotted trace and a reference run, at the
    plotted x points (each is one of the run's samples)."""
    t, v = ref
    x, y = np.asarray(shown["x"]), np.asarray(shown["y"])
    idx = np.clip(np.searchsorted(t, x - 1e-4), 0, len(t) - 1)
    if len(x) < 10 or np.max(np.abs(t[idx] - x)) > 1e-3:
        return float("inf")
    return float(np.max(np.abs(v[idx] - y)))


def crosstalk(reports: list[dict]) -> list[dict]:
    """Per session: its values and trace against its own g and the others'."""
    gs = sorted({g_of(r["session"]) for r in reports})
    refs = references(gs)
    checks = []
    for r in reports:
        g = r["g_uS"]
        if "error" in r:
            checks.append(
                {
                    "round": r["round"] + 1,
                    "session": r["session"],
                    "passed": False,
                    "why": r["error"],
                }
            )
            continue
        errors = {other: trace_error(r["trace"], refs[other]) for other in gs}
        own = errors[g]
        nearest_other = min((e for o, e in errors.items() if o != g), default=float("inf"))
        after, start = float(r["after_keys"]["entry"]), g_start(r["session"])
        checks.append(
            {
                "round": r["round"] + 1,
                "session": r["session"],
                "g_uS": g,
                "entry_after_keys": r["after_keys"]["entry"],
                "slider_after_keys": r["after_keys"]["slider"],
                "entry": r["final"]["entry"],
                "slider": r["final"]["slider"],
                "trace_max_error_own_g_mV": round(own, 5),
                "trace_max_error_nearest_other_g_mV": round(nearest_other, 3),
                "passed": bool(
                    float(r["final"]["entry"]) == g
                    and abs(r["final"]["slider"] - g) <= 0.01 * g
                    and abs(after - start) <= 0.01 * start
                    and own < 0.01
                    and nearest_other > 100 * max(own, 1e-4)
                ),
            }
        )
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions (default 10)")
    parser.add_argument("--samples", type=int, default=30, help="key presses measured per session")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the sessions (a leak grows with each round; a high-water mark does not)",
    )
    args = parser.parse_args()
    if args.samples < 30:
        parser.error("--samples: at least 30, for a meaningful p95")
    if not 1 <= args.sessions <= 20:
        parser.error("--sessions: 1–20")
    started = time.monotonic()
    load_start = os.getloadavg()
    report: dict[str, Any] = {
        "what": (
            f"{args.sessions} Chromium sessions on one tuner server pressing the gj.g slider "
            "at once: keydown -> next animation frame after v:a data changed; crosstalk; "
            "server RSS"
        ),
        "circuit": "hh_gap_pair, 200 ms at dt 0.01 ms, rk4",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "sessions": args.sessions,
        "rounds": args.rounds,
        "samples_per_session": args.samples,
        "warm_up_presses": WARM_UP,
    }
    spawn = mp.get_context("spawn")
    with running_server() as url:
        pid = server_pid(url)
        first_page(url)
        time.sleep(IDLE_WAIT)
        idle = rss(pid)
        print(f"server {pid}: idle RSS {idle / 2**20:.1f} MiB", flush=True)
        peak = idle
        reports: list[dict] = []
        rounds: list[list[tuple[int, int]]] = []  # per round: (s after close, RSS)
        for round_ in range(args.rounds):
            barrier = spawn.Barrier(args.sessions)
            out = spawn.Queue()
            procs = [
                spawn.Process(target=session, args=(k, url, args.samples, barrier, out))
                for k in range(args.sessions)
            ]
            for p in procs:
                p.start()
            got: list[dict] = []
            # Sample the server while the sessions run; take their reports as they come
            # (a process exits only once what it put on the queue has been read).
            while any(p.is_alive() for p in procs) or len(got) < args.sessions:
                peak = max(peak, rss(pid))
                try:
                    got.append({**out.get(timeout=0.5), "round": round_})
                except queue.Empty:
                    if not any(p.is_alive() for p in procs):
                        break
            for p in procs:
                p.join(60)
            reports += got
            closed = time.monotonic()
            after = []
            for when in SETTLE:
                time.sleep(max(0.0, closed + when - time.monotonic()))
                after.append((when, rss(pid)))
                print(
                    f"  round {round_ + 1}, {when:>3} s after close: RSS "
                    f"{after[-1][1] / 2**20:.1f} MiB",
                    flush=True,
                )
            rounds.append(after)
    reports.sort(key=lambda r: (r["round"], r["session"]))
    samples = [v for r in reports for v in r.get("samples_ms", [])]
    checks = crosstalk(reports)
    report["load_average_1_5_15"] = {
        "start": [round(x, 2) for x in load_start],
        "end": [round(x, 2) for x in os.getloadavg()],
    }
    stats = summary(samples) if samples else {}
    report["latency"] = {
        "all": stats,
        "per_session": [
            {"round": r["round"] + 1, "session": r["session"], **summary(r["samples_ms"])}
            for r in reports
            if r.get("samples_ms")
        ],
    }
    after = rounds[-1]
    ratio_end = after[-1][1] / idle
    report["memory"] = {
        "idle_MiB": round(idle / 2**20, 1),
        "peak_MiB": round(peak / 2**20, 1),
        "after_close_MiB": [
            {str(s): round(b / 2**20, 1) for s, b in samples} for samples in rounds
        ],
        "ratio_30s": [round(dict(r)[30] / idle, 3) for r in rounds],
        f"ratio_{SETTLE[-1]}s": [round(r[-1][1] / idle, 3) for r in rounds],
    }
    report["crosstalk"] = checks
    errors = [r["error"] for r in reports if "error" in r]
    report["errors"] = errors
    p95_ok = bool(stats) and stats["p95_ms"] <= GOAL_P95_MS and not errors
    cross_ok = len(checks) == args.sessions * args.rounds and all(c["passed"] for c in checks)
    mem_ok = ratio_end <= GOAL_MEMORY
    report["goals"] = {
        f"p95 <= {GOAL_P95_MS:g} ms": "met" if p95_ok else "MISSED",
        "no crosstalk": "met" if cross_ok else "MISSED",
        f"memory {SETTLE[-1]} s after the last close <= {GOAL_MEMORY}x idle": "met"
        if mem_ok
        else "MISSED",
    }
    report["wall_s"] = round(time.monotonic() - started, 1)
    report["samples_ms"] = {
        f"round {r['round'] + 1}, session {r['session']}": [
            round(v, 1) for v in r.get("samples_ms", [])
        ]
        for r in reports
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")

    print(f"{args.sessions} sessions, load average {report['load_average_1_5_15']}")
    if stats:
        print(
            f"latency, all {stats['n']} samples: fastest {stats['min_ms']} ms, "
            f"median {stats['median_ms']} ms, p95 {stats['p95_ms']} ms, max {stats['max_ms']} ms"
        )
    for s in report["latency"]["per_session"]:
        print(
            f"  round {s['round']}, session {s['session']}: n={s['n']} fastest "
            f"{s['min_ms']} median {s['median_ms']} p95 {s['p95_ms']} ms"
        )
    for c in checks:
        print(
            f"  crosstalk round {c['round']}, session {c['session']} (g {c.get('g_uS')} µS): "
            f"{'pass' if c['passed'] else 'FAIL ' + c.get('why', '')}; "
            f"entry {c.get('entry')}, slider {c.get('slider')}, trace vs own g "
            f"{c.get('trace_max_error_own_g_mV')} mV, vs nearest other "
            f"{c.get('trace_max_error_nearest_other_g_mV')} mV"
        )
    m = report["memory"]
    print(
        f"server RSS: idle {m['idle_MiB']} MiB, peak {m['peak_MiB']} MiB, after close "
        f"{m['after_close_MiB']} MiB; ratio 30 s {m['ratio_30s']}, {SETTLE[-1]} s {ratio_end:.3f}"
    )
    for goal, verdict in report["goals"].items():
        print(f"{goal}: {verdict}")
    if errors:
        print("errors:", *errors, sep="\n  ")
    print(f"wrote {RESULTS} ({report['wall_s']} s)")


if __name__ == "__main__":
    main()
