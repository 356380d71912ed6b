"""Drive the served tuner from a real browser: shared by tests/browser and benchmarks.

``running_server()`` starts :func:`neuntune.ui.server.serve` in a subprocess on a
free port and yields its URL; ``launch_chromium()`` starts Debian's Chromium
through Playwright (no downloaded browsers); the other helpers find and fill the
tuner's controls.  Playwright is imported by the caller, so this module loads
without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse
from urllib.request import urlopen

from .widgets import css_class

#: Debian's Chromium, and the flags it needs as root in a container.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: JavaScript: ``find(name)``, the model called ``name`` (or null) in the newest Bokeh
#: document that has one: a served page holds one document, a notebook one per
#: output (and one of Panel's own, without the tuner).  BokehJS forgets replaced
#: models only 30 s after a change (Document._recompute_timeout), so after another
#: preset opens, old and new sources share names until it recomputes its model
#: set: do that first.
_FIND_JS = """const find = (name) => {
    const docs = (window.Bokeh && window.Bokeh.documents) || [];
    for (let i = docs.length - 1; i >= 0; i--) {
        docs[i]._recompute_all_models();
        const model = docs[i].get_model_by_name(name);
        if (model) return model;
    }
    return null;
};"""

#: True once trace ``name`` (a ColumnDataSource name such as "v:a") holds data.
HAS_DATA_JS = f"""(name) => {{
    {_FIND_JS}
    const source = find(name);
    return Boolean(source && source.data.x && source.data.x.length > 0);
}}"""

#: True once trace ``name`` differs from ``before`` (lists of y values).
CHANGED_JS = f"""([name, before]) => {{
    {_FIND_JS}
    const y = find(name).data.y;
    if (y.length !== before.length) return true;
    for (let i = 0; i < y.length; i++) if (Math.abs(y[i] - before[i]) > 1e-4) return true;
    return false;
}}"""

#: True once trace ``name`` ends at time ``t`` (ms): a run with that t_stop has landed.
ENDS_AT_JS = f"""([name, t]) => {{
    {_FIND_JS}
    const source = find(name);
    const x = source ? source.data.x : [];
    return x.length > 0 && Math.abs(x[x.length - 1] - t) < 1e-3;
}}"""

#: True once source ``name``'s x or y differ from ``before`` ({x, y} lists): for a
#: raster, spike times and rows.
DATA_CHANGED_JS = f"""([name, before]) => {{
    {_FIND_JS}
    const data = find(name).data;
    for (const key of ["x", "y"]) {{
        const now = data[key], was = before[key];
        if (now.length !== was.length) return true;
        for (let i = 0; i < now.length; i++) if (Math.abs(now[i] - was[i]) > 1e-4) return true;
    }}
    return false;
}}"""

#: How many glyphs of source ``name`` the browser has drawn inside its plot's frame:
#: the renderer's glyph view holds screen coordinates (sx, sy) for each point once
#: it has been painted, and the plot view its frame's box on screen.  -1 while no
#: renderer of that source has a view.
DRAWN_JS = """(name) => {
    const seen = new Set();
    let found = -1;
    const walk = (view) => {
        if (!view || seen.has(view)) return;
        seen.add(view);
        const source = view.model && view.model.data_source;
        if (source && source.name === name && view.glyph && view.glyph.sx) {
            const box = view.parent.frame.bbox;
            const sx = view.glyph.sx, sy = view.glyph.sy;
            let inside = 0;
            for (let i = 0; i < sx.length; i++) {
                if (sx[i] >= box.x0 && sx[i] <= box.x1 && sy[i] >= box.y0 && sy[i] <= box.y1) {
                    inside++;
                }
            }
            found = Math.max(found, 0) + inside;
        }
        if (typeof view.children === "function") for (const child of view.children()) walk(child);
    };
    for (const root of window.Bokeh.index.roots) walk(root);
    return found;
}"""

#: A trace's plotted data as plain arrays.
TRACE_JS = f"""(name) => {{
    {_FIND_JS}
    const source = find(name);
    return {{x: Array.from(source.data.x), y: Array.from(source.data.y)}};
}}"""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(
    command: list[str],
    what: str,
    ready: Callable[[str], bool],
    timeout: float,
    stop_wait: float = 10.0,
    **popen: Any,
) -> Iterator[None]:
    """Run ``command`` (a server) until the ``with`` block ends; enter once
    ``ready(output so far)`` is true.  Its exit or ``timeout`` s without being ready
    is an error naming ``what`` (with its output); on exit it is terminated, then
    killed if it takes longer than ``stop_wait`` s."""
    # Append mode: the server writes at the end whatever position we read from.
    with tempfile.TemporaryFile("a+") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, **popen)
        try:
            deadline = time.monotonic() + timeout
            while True:
                log.seek(0)
                output = log.read()
                if proc.poll() is not None:
                    raise RuntimeError(f"{what} exited:\n{output}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{what} did not answer")
                if ready(output):
                    break
                time.sleep(0.25)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(stop_wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        return True
    return False


@contextlib.contextmanager
def running_server(setup: str = "", timeout: float = 180.0, circuit: str = "None") -> Iterator[str]:
    """Serve the tuner in a subprocess; yield its URL once it answers.

    ``setup`` is Python run in the server process before :func:`serve` (e.g. to
    change a class attribute for a comparison, or to build a circuit); ``circuit``
    is a Python expression, evaluated after it, for what to serve (default: None,
    the default preset).  The server is stopped on exit.
    """
    port = free_port()
    code = f"{setup}\nfrom neuntune.ui.server import serve\nserve({circuit}, port={port})\n"
    url = f"http://127.0.0.1:{port}/"

    # Ready once it has printed its URL and accepts connections; an HTTP GET here
    # would open a Bokeh session (and a simulation) nobody looks at.
    def ready(output: str) -> bool:
        return url in output and accepts(port)

    with serving([sys.executable, "-c", code], f"the tuner server at {url}", ready, timeout):
        yield url


@contextlib.contextmanager
def serving_file(path: str | Path, timeout: float = 120.0) -> Iterator[str]:
    """``neuntune serve PATH`` (a preset, a NEURON preset or a BMTK config) as a user
    starts it, in a subprocess; yield its URL once it answers, stop it on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "neuntune.cli", "serve", str(path), "--port", str(port)]
    ready = lambda output: url in output and accepts(port)  # noqa: E731
    with serving(command, f"neuntune serve {path}", ready, timeout):
        yield url


@contextlib.contextmanager
def running_jupyterlab(
    notebooks: list[Path], token: str = "neuntune-test", timeout: float = 180.0
) -> Iterator[str]:
    """A JupyterLab server on localhost, in a temporary directory holding copies of
    ``notebooks``; yields its base URL (the token is ``token``).

    Its ``python3`` kernel runs this interpreter (a kernelspec in a temporary
    JUPYTER_PATH, first in the search path), and its configuration, settings,
    workspaces and runtime files are temporary too: the user's own are never read
    or written.  The server (and with it its kernels) is stopped on exit.
    """
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "notebooks"
        root.mkdir()
        for notebook in notebooks:
            (root / notebook.name).write_bytes(notebook.read_bytes())
        kernel = Path(tmp) / "share" / "jupyter" / "kernels" / "python3"
        kernel.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec = {"argv": argv, "display_name": "Python 3", "language": "python"}
        (kernel / "kernel.json").write_text(json.dumps(spec))
        env = dict(
            os.environ,
            JUPYTER_PATH=str(Path(tmp) / "share" / "jupyter"),
            JUPYTER_CONFIG_DIR=str(Path(tmp) / "config"),
            JUPYTER_RUNTIME_DIR=str(Path(tmp) / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(Path(tmp) / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(Path(tmp) / "workspaces"),
        )
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
            # nothing asks the internet for news or updates
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        url = f"http://127.0.0.1:{port}"

        def ready(_output: str) -> bool:
            with contextlib.suppress(URLError, OSError):
                urlopen(f"{url}/api/status?token={token}", timeout=5).close()
                return True
            return False

        with serving(command, f"JupyterLab at {url}", ready, timeout, 30.0, cwd=root, env=env):
            yield url


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium via Playwright; a missing browser is an error, never a skip."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} not found: install Debian's chromium (tools/test.sh does); "
            "Playwright's own browser downloads are not used"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def block_foreign_requests(page: Any, origin: str) -> list[str]:
    """List every request ``page`` makes to a host other than ``origin`` ("host:port"),
    and abort it: the page runs as on a machine without internet, and the list
    is what it would have fetched from elsewhere (CDNs, fonts).  A test asserts it
    stays empty."""
    foreign: list[str] = []

    def elsewhere(url: str) -> bool:
        parts = urlparse(url)
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != origin

    page.on("request", lambda r: elsewhere(r.url) and foreign.append(r.url))
    page.route(elsewhere, lambda route: route.abort("blockedbyclient"))
    return foreign


def open_tuner(
    browser: Any, url: str, timeout: float = 120.0, ready: str = "v:a"
) -> tuple[Any, Any, dict]:
    """A new context and page showing the tuner's first run (once the source named
    ``ready`` holds data: "v:a" for the default pair, "raster:wb" for a network).

    Returns (context, page, log) where ``log`` collects console messages
    ("console"), uncaught errors ("errors"), every requested URL ("requests") and
    the requests to hosts other than the server's ("foreign"), which are aborted.
    """
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    log: dict[str, list] = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda m: log["console"].append((m.type, m.text)))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.on("request", lambda r: log["requests"].append(r.url))
    log["foreign"] = block_foreign_requests(page, urlparse(url).netloc)
    page.goto(url)
    page.wait_for_function(HAS_DATA_JS, arg=ready, timeout=timeout * 1000)
    return context, page, log


def trace(page: Any, name: str) -> dict[str, list[float]]:
    """The plotted (x, y) of trace ``name`` as the browser holds it."""
    return page.evaluate(TRACE_JS, name)


def entry(page: Any, path: str) -> Any:
    """The numeric entry of the control at ``path`` ("gj.g", "t_stop")."""
    return page.locator(f".{css_class(path)} input").first


def grab_slider(page: Any, path: str) -> tuple[float, float]:
    """Press the mouse on the handle of the slider at ``path``; its centre (px)."""
    box = page.locator(f".{css_class(path)} .noUi-handle").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    return x, y


def drag_slider(page: Any, path: str, dx: float, tries: int = 3) -> float:
    """Drag the handle of the slider at ``path`` by ``dx`` px and release it; the value
    its title then shows.  A drag that left the slider where it was (on a loaded
    machine the page may still be moving when the handle is found) is repeated, as a
    user would, ``tries`` times at most."""
    start = slider_value(page, path)
    for _ in range(tries):
        page.locator(f".{css_class(path)} .noUi-handle").scroll_into_view_if_needed()
        x, y = grab_slider(page, path)
        page.mouse.move(x + dx, y, steps=8)
        page.mouse.up()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if (shown := slider_value(page, path)) != start:
                return shown
            page.wait_for_timeout(100)
    raise AssertionError(f"slider {path} stayed at {start} after {tries} drags of {dx} px")


def slider_value(page: Any, path: str) -> float:
    """The value the slider of the control at ``path`` shows in its title."""
    title = page.locator(f".{css_class(path)} .bk-slider-title").inner_text()
    return float(title.split(":")[1])


def wait_for_slider(page: Any, path: str, value: float, tol: float, timeout: float = 20.0) -> None:
    """Wait until the slider at ``path`` shows ``value`` ± ``tol``.

    The entry and the slider are separate Bokeh models: a value set from Python
    reaches the browser in separate messages, so one may land before the other.
    """
    deadline = time.monotonic() + timeout
    while abs((shown := slider_value(page, path)) - value) > tol:
        if time.monotonic() > deadline:
            raise AssertionError(f"slider {path} shows {shown}, expected {value} ± {tol}")
        page.wait_for_timeout(100)


def wait_for_entry(page: Any, path: str, value: float, rel: float, timeout: float = 20.0) -> float:
    """Wait until the entry at ``path`` shows ``value`` within ``rel`` (relative); returns
    what it shows.  While a slider is dragged its entry follows it a few times a second,
    so a changed entry is not yet the value the drag ended on."""
    deadline = time.monotonic() + timeout
    while True:
        text = entry(page, path).input_value()
        try:
            shown = float(text)
        except ValueError:
            shown = float("nan")
        if abs(shown - value) <= rel * abs(value):
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"entry {path} shows {text!r}, expected {value} ± {rel:.0%}")
        page.wait_for_timeout(100)


def type_value(page: Any, path: str, value: str) -> None:
    """Type ``value`` into the entry of the control at ``path`` and press Enter."""
    box = entry(page, path)
    box.fill(value)
    box.press("Enter")


def open_tab(page: Any, name: str) -> None:
    """Show the tab called ``name`` ("Traces", "Fit", "Scan", "Protocols", "Data")."""
    page.locator(".bk-tab", has_text=name).click()


#: Where glyph ``index`` of source ``name`` is drawn, in the page's viewport (px): the
#: renderer's glyph view holds its screen position on the plot's canvas.  Null while
#: no renderer of that source has been painted.  ``scroll``: first scroll the plot
#: into the window if it is not (the least scrolling that shows it).
GLYPH_POINT_JS = """([name, index, scroll]) => {
    const seen = new Set();
    let found = null;
    const walk = (view) => {
        if (!view || seen.has(view) || found) return;
        seen.add(view);
        const source = view.model && view.model.data_source;
        if (source && source.name === name && view.glyph && view.glyph.sx) {
            const canvas = view.plot_view.canvas_view.el;
            if (scroll) canvas.scrollIntoView({block: "nearest"});
            const box = canvas.getBoundingClientRect();
            found = {x: box.left + view.glyph.sx[index], y: box.top + view.glyph.sy[index]};
            return;
        }
        if (typeof view.children === "function") for (const child of view.children()) walk(child);
    };
    for (const root of window.Bokeh.index.roots) walk(root);
    return found;
}"""


def click_glyph(page: Any, name: str, index: int, timeout: float = 20.0) -> None:
    """Click glyph ``index`` of source ``name`` (a node or edge handle of the circuit
    diagram: ``"diagram:nodes"``, ``"diagram:edges"``) where the browser drew it,
    scrolling its plot into the window first if need be."""
    page.wait_for_function(
        f"(arg) => ({GLYPH_POINT_JS})(arg) !== null", arg=[name, index], timeout=timeout * 1000
    )
    point = page.evaluate(GLYPH_POINT_JS, [name, index, True])
    page.mouse.click(point["x"], point["y"])


def click_glyph_until(page: Any, name: str, index: int, shown: Any, tries: int = 3) -> None:
    """Click glyph ``index`` of source ``name`` until locator ``shown`` is visible (10 s
    per click).  On a loaded machine the page may still be moving when the point is
    computed: a click that missed the handle is repeated, as a user would."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries - 1):
        click_glyph(page, name, index)
        with contextlib.suppress(PlaywrightTimeout):
            shown.wait_for(state="visible", timeout=10_000)
            return
    click_glyph(page, name, index)
    shown.wait_for(state="visible", timeout=10_000)
