"""Dashboard start-up: from launching ``neuntune serve`` to the first rendered plot.

Debian's headless Chromium (Playwright with ``executable_path="/usr/bin/chromium"``;
no downloaded browsers) is started once and stays open, as a user's browser would.
Each sample launches the server, waits until it prints its URL ("URL printed") and
opens that URL at once, as a user does, then waits until the voltage trace's data
source holds data and two animation frames have passed ("first plot").  (Until
2026-12-07 readiness was found by polling the URL, and every poll that got a page
built a whole tuner session nobody looked at, beside the browser's own.)  Warm: the
kernels are in the disk cache (a cache directory filled by one untimed launch).
Cold: NEUNTUNE_CACHE_DIR points at an empty directory, so the server compiles its
kernels (numba's own caches of neuntune's fixed helpers stay warm).  neuntune's
bytecode is compiled first, as an installed package's is (pip compiles it; Python
writes it on first import unless PYTHONDONTWRITEBYTECODE is set, as in some
sandboxes, where every launch would otherwise recompile the changed modules).  The
browser helpers are the browser tests' (:mod:`neuntune.ui.testing`).

    python benchmarks/startup.py [--quick] [--startup-repeats N]
"""

from __future__ import annotations

import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import Config, Section, heading, stats

import neuntune
from neuntune.presets import dumps
from neuntune.ui.state import resolve_preset
from neuntune.ui.testing import CHROMIUM, HAS_DATA_JS, free_port, launch_chromium

#: The goals (issue 18, fresh-install default): launch to first plot, seconds.
GOALS = {"warm": 3.0, "cold": 10.0}
#: The line ``neuntune serve`` prints when it is ready, and the URL in it.
URL_LINE = re.compile(r"neuntune tuner: (\S+)")

TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def server_command(port: int) -> list[str]:
    """``neuntune serve`` on ``port``, from this interpreter's environment."""
    exe = Path(sys.executable).with_name("neuntune")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "neuntune.cli"]
    return [*cli, "serve", "--port", str(port)]


def launch_once(browser, cache: str, timeout: float = 600.0) -> tuple[float, float]:
    """(seconds to the URL printed, seconds to the first rendered plot)."""
    cmd = server_command(free_port())
    env = dict(os.environ, NEUNTUNE_CACHE_DIR=cache)
    printed = threading.Event()
    found: dict[str, float | str] = {}
    log: list[str] = []
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )

    def read() -> None:  # to the end: a full pipe would stall the server
        for line in proc.stdout:
            log.append(line)
            match = URL_LINE.search(line)
            if match and not printed.is_set():
                found.update(url=match[1], at=time.perf_counter() - start)
                printed.set()
        printed.set()  # exited without printing it

    threading.Thread(target=read, daemon=True).start()
    try:
        if not printed.wait(timeout) or "url" not in found:
            raise RuntimeError(f"the server printed no URL:\n{''.join(log)[-2000:]}")
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        try:
            page = context.new_page()
            page.goto(str(found["url"]))
            page.wait_for_function(HAS_DATA_JS, arg="v:a", timeout=timeout * 1000)
            page.evaluate(TWO_FRAMES_JS)
            plotted = time.perf_counter() - start
        finally:
            context.close()
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return float(found["at"]), plotted


def fill_tabs(cache: str) -> None:
    """Compile what the server's child compiles after the first plot (the live CC's
    and the tabs' kernels): a launch stopped at its first plot leaves them out, and
    a warm launch would then compile them in the background while it is measured."""
    preset = resolve_preset(None)
    subprocess.run(
        [sys.executable, "-m", "neuntune.ui.warm", preset.run.method],
        input=dumps(preset),
        text=True,
        env=dict(os.environ, NEUNTUNE_CACHE_DIR=cache),
        check=True,
    )


def run(cfg: Config) -> Section:
    heading("Dashboard start-up: neuntune serve -> first rendered plot")
    sec = Section("startup", "Dashboard start-up: launch to first rendered plot (Chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sec.skip("playwright is not installed (pip install -e '.[test]')")
        return sec
    if not Path(CHROMIUM).exists():
        sec.skip(f"{CHROMIUM} not found (apt-get install chromium); browsers are never downloaded")
        return sec
    n = cfg.startup_repeats or cfg.n(quick=1)
    package = Path(neuntune.__file__).parent
    compileall.compile_dir(package, quiet=2)
    loads = [os.getloadavg()[0]]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        warm_cache = tempfile.mkdtemp(prefix="neuntune-warm-cache-")
        try:
            _, first = launch_once(browser, warm_cache)  # fills the warm cache
            sec.value("first_fill", "first launch with an empty cache (untimed fill)", first, "s")
            fill_tabs(warm_cache)
            sec.note("server launched as: neuntune serve")
            samples: dict[str, tuple[list[float], list[float]]] = {
                "warm": ([], []),
                "cold": ([], []),
            }
            for i in range(n):
                for kind in ("warm", "cold") if i % 2 == 0 else ("cold", "warm"):
                    cache = warm_cache if kind == "warm" else tempfile.mkdtemp(prefix="nt-cold-")
                    try:
                        printed, plotted = launch_once(browser, cache)
                    finally:
                        if kind == "cold":
                            shutil.rmtree(cache, ignore_errors=True)
                    samples[kind][0].append(printed)
                    samples[kind][1].append(plotted)
                    loads.append(os.getloadavg()[0])
                    print(
                        f"    {kind} #{i + 1}: URL printed {printed:.2f} s, plot {plotted:.2f} s "
                        f"(load {loads[-1]:.1f})",
                        flush=True,
                    )
        finally:
            browser.close()
            shutil.rmtree(warm_cache, ignore_errors=True)
    for kind, (printed, plotted) in samples.items():
        cache = "kernels in the disk cache" if kind == "warm" else "empty NEUNTUNE_CACHE_DIR"
        sec.timing(f"{kind}_url", f"{kind} ({cache}): launch -> URL printed", stats(printed))
        timing = stats(plotted)
        sec.timing(f"{kind}_plot", f"{kind} ({cache}): launch -> first rendered plot", timing)
        sec.goal(
            f"{kind} launch -> first plot",
            GOALS[kind],
            "<=",
            timing["fastest_s"],
            timing["median_s"],
            "s",
        )
    sec.value(
        "load",
        "1-minute load average over the samples (min-max; 2 cores)",
        f"{min(loads):.1f}-{max(loads):.1f}",
    )
    if n < 30:
        sec.note(f"{n} launch(es) per cache state; use --startup-repeats 30 for ≥ 30 samples")
    sec.note(
        "The browser is already running and opens the URL as soon as it is printed; each "
        "sample includes Python start-up, imports (panel, bokeh, numba), the live run's "
        "kernel (compiled or loaded from the cache), the session's build, page load and the "
        "first run's plot.  neuntune's bytecode is compiled before the first launch."
    )
    return sec


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "startup", *sys.argv[1:]]))
