"""Dashboard start-up: from launching ``neuntune serve`` to the first rendered plot.

Debian's headless Chromium (Playwright with ``executable_path="/usr/bin/chromium"``;
no downloaded browsers) is started once and stays open, as a user's browser would.
Each sample then launches the server, polls its URL until it answers ("server
ready"), opens the page and waits until the voltage trace's data source holds data
and two animation frames have passed ("first plot").  Warm: the kernels are in the
disk cache (a cache directory filled by one untimed launch).  Cold:
NEUNTUNE_CACHE_DIR points at an empty directory, so the server compiles its kernels
(numba's own caches of neuntune's fixed helpers stay warm).  The browser helpers
are the browser tests' (:mod:`neuntune.ui.testing`).

    python benchmarks/startup.py [--quick] [--startup-repeats N]
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import Config, Section, heading, stats

from neuntune.ui.testing import CHROMIUM, HAS_DATA_JS, free_port, launch_chromium

TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def server_command(port: int) -> list[str]:
    """``neuntune serve`` on ``port``, from this interpreter's environment."""
    exe = Path(sys.executable).with_name("neuntune")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "neuntune.cli"]
    return [*cli, "serve", "--port", str(port)]


def launch_once(browser, cache: str, timeout: float = 600.0) -> tuple[float, float]:
    """(seconds to server ready, seconds to first rendered plot)."""
    port = free_port()
    cmd = server_command(port)
    env = dict(os.environ, NEUNTUNE_CACHE_DIR=cache)
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the server exited:\n{log.read()[-2000:]}")
                if time.perf_counter() - start > timeout:
                    raise TimeoutError(f"no answer from {url} after {timeout:.0f} s")
                with contextlib.suppress(OSError):
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                time.sleep(0.05)
            ready = time.perf_counter() - start
            context = browser.new_context(viewport={"width": 1500, "height": 1000})
            try:
                page = context.new_page()
                page.goto(url)
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
    return ready, plotted


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
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        warm_cache = tempfile.mkdtemp(prefix="neuntune-warm-cache-")
        try:
            _, first = launch_once(browser, warm_cache)  # fills the warm cache
            sec.value("first_fill", "first launch with an empty cache (untimed fill)", first, "s")
            sec.note("server launched as: neuntune serve")
            samples: dict[str, tuple[list[float], list[float]]] = {
                "warm": ([], []),
                "cold": ([], []),
            }
            for i in range(n):
                for kind in ("warm", "cold") if i % 2 == 0 else ("cold", "warm"):
                    cache = warm_cache if kind == "warm" else tempfile.mkdtemp(prefix="nt-cold-")
                    try:
                        ready, plotted = launch_once(browser, cache)
                    finally:
                        if kind == "cold":
                            shutil.rmtree(cache, ignore_errors=True)
                    samples[kind][0].append(ready)
                    samples[kind][1].append(plotted)
                    print(
                        f"    {kind} #{i + 1}: ready {ready:.2f} s, plot {plotted:.2f} s",
                        flush=True,
                    )
        finally:
            browser.close()
            shutil.rmtree(warm_cache, ignore_errors=True)
    for kind, (ready, plotted) in samples.items():
        cache = "kernels in the disk cache" if kind == "warm" else "empty NEUNTUNE_CACHE_DIR"
        sec.timing(f"{kind}_ready", f"{kind} ({cache}): launch -> server answers", stats(ready))
        sec.timing(
            f"{kind}_plot", f"{kind} ({cache}): launch -> first rendered plot", stats(plotted)
        )
    if n < 30:
        sec.note(f"{n} launch(es) per cache state; use --startup-repeats 30 for ≥ 30 samples")
    sec.note(
        "The browser is already running; each sample includes Python start-up, imports "
        "(panel, bokeh, numba), the kernels' compile or cache load and the server's warm-up "
        "run, page load and the first run's plot."
    )
    return sec


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "startup", *sys.argv[1:]]))
