"""examples/tuner.ipynb runs in a real Jupyter kernel and displays the tuner; its saved
output shows the tuner in Debian's headless Chromium with no network beyond localhost."""

import ast
import contextlib
import functools
import html
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from nbclient import NotebookClient

from neuntune import presets
from neuntune.ui.notebook import ENTER_GUARD, NOTE_CLASS
from neuntune.ui.testing import block_foreign_requests

NOTEBOOK = Path(__file__).parent.parent / "examples" / "tuner.ipynb"

#: Run after the notebook in its kernel: show another tab, change g, let the kernel's
#: loop apply the run to the panes, and list the stylesheet URLs the tuner's models hold.
UPDATED_STYLESHEETS = """
import asyncio
from bokeh.models import ImportedStyleSheet
tuner._tabs.active = 1  # the Fit tab, built when first shown
tuner.model.set("gj.g", 0.005)
tuner.model.wait()
await asyncio.sleep(1)
tuner._tabs.active = 0
models = [m for m, _ in tuner.__panel__()._models.values()]
print(sorted({s.url for m in models for s in m.select({"type": ImportedStyleSheet})}))
"""


@pytest.fixture(scope="module")
def executed() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The notebook run in a kernel (raises on any error), and the check cell run after it."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    check = nbformat.v4.new_code_cell(UPDATED_STYLESHEETS)
    nb.cells.append(check)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    nb.cells.pop()
    return nb, check


def test_tuner_notebook_runs_and_displays_the_tuner(executed) -> None:
    nb, _ = executed
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    shown = [o for o in outputs if o.output_type == "execute_result"]
    # Panel's notebook mimebundle: the tuner rendered as a live (comm-backed) Bokeh view.
    assert any("application/vnd.holoviews_exec.v0+json" in o.data for o in shown)
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    assert re.search(r"spikes: \{'a': \d+, 'b': \d+\}", printed)
    assert re.search(r"CC a→b = 0\.\d{3} \(passive estimate 0\.629\)", printed)


def test_enter_in_the_tuners_entries_stays_in_its_output(executed) -> None:
    # JupyterLab cancels the line break of an Enter that reaches the document from a
    # cell, and with it the entry's change event; the output stops Enter from inputs
    # (tests/browser/test_jupyterlab.py types a value + Enter in JupyterLab).
    nb, _ = executed
    shown = [
        o.data["text/html"]
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if o.output_type == "execute_result" and "text/html" in o.data
    ]
    wrapper = re.search(r'<div class="nt-notebook-tuner" onkeydown="([^"]*)">', shown[0])
    assert wrapper and html.unescape(wrapper.group(1)) == ENTER_GUARD


def test_the_notebook_states_the_run_settings_of_its_preset() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = "".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    run = presets.load("hh_gap_pair").run
    assert f"{run.t_stop:g} ms at dt = {run.dt:g} ms" in text


def test_updates_in_the_kernel_keep_the_stylesheets_inline(executed) -> None:
    # Panel restyles an updated pane from its stylesheet cache; in a notebook those
    # pointed at Panel's CDN (theme CSS, loading.css), fetched on every update.
    _, check = executed
    urls = ast.literal_eval("".join(o.text for o in check.outputs if o.output_type == "stream"))
    assert urls, "the tuner's panes are styled"
    assert [url for url in urls if not url.startswith("data:")] == []


def notebook_page(nb: nbformat.NotebookNode) -> str:
    """What a notebook front end shows for ``nb``'s outputs, in order: HTML inserted
    as it is (its scripts run), JavaScript outputs run."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                parts.append(data["text/html"])
            elif "application/javascript" in data:
                parts.append(f"<script>{data['application/javascript']}</script>")
    body = "\n".join(parts)
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


@contextlib.contextmanager
def serving(directory: Path):
    """An HTTP server on localhost for ``directory``; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    handler.log_message = lambda *args: None  # quiet
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join()


def test_the_saved_output_shows_the_tuner_offline_in_chromium(executed, browser, tmp_path) -> None:
    nb, _ = executed
    (tmp_path / "tuner.html").write_text(notebook_page(nb), encoding="utf-8")
    with serving(tmp_path) as base:
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        blind = browser.new_context(java_script_enabled=False)
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            foreign = block_foreign_requests(page, urlparse(base).netloc)
            page.goto(base + "tuner.html")
            # BokehJS (inline) draws the tuner: its plots' canvases appear, the note goes.
            output = page.locator(".nt-notebook-tuner")
            output.locator("canvas").first.wait_for(timeout=60_000)
            output.get_by_text("neuntune · live tuner").wait_for()
            page.locator(f".{NOTE_CLASS}").wait_for(state="hidden")
            page.wait_for_timeout(500)  # let late scripts and styles load or fail
            assert foreign == [], "scripts or styles fetched from outside (a CDN)"
            assert errors == []
            # Without its JavaScript the output says so instead of staying blank.
            blind_page = blind.new_page()
            blind_page.goto(base + "tuner.html")
            note = blind_page.locator(f".{NOTE_CLASS}")
            assert note.is_visible()
            assert "did not run the tuner's JavaScript" in note.inner_text()
        finally:
            blind.close()
            context.close()


def _bokeh_patch(n: int) -> dict:
    return {"header": {"msgid": str(n), "msgtype": "PATCH-DOC"}, "content": {}}


def test_a_comm_message_before_its_comm_opens_is_handled_once_it_opens() -> None:
    """JupyterLab sends a comm's messages on a kernel subshell, its comm_open on the main
    shell (busy while cells run): a message may arrive before its comm is open.  It
    waits for the comm_open instead of being dropped; others go straight through."""
    from types import SimpleNamespace

    from neuntune.ui.notebook import early_comm_messages

    manager = SimpleNamespace(comms={}, targets={})
    handled: list = []

    def comm_msg(_stream, _ident, msg):
        comm_id = msg["content"]["comm_id"]
        handled.append((comm_id in manager.comms, msg["content"]["data"]))

    def comm_open(_stream, _ident, msg):
        manager.comms[msg["content"]["comm_id"]] = object()

    kernel = SimpleNamespace(
        comm_manager=manager, shell_handlers={"comm_msg": comm_msg, "comm_open": comm_open}
    )
    early_comm_messages(kernel)
    early_comm_messages(kernel)  # installed once
    handlers = kernel.shell_handlers
    message = lambda data: {"content": {"comm_id": "c", "data": data}}  # noqa: E731

    handlers["comm_msg"](None, [], message(_bokeh_patch(1)))
    handlers["comm_msg"](None, [], message(_bokeh_patch(2)))
    handlers["comm_msg"](None, [], message({"method": "request_states"}))  # not Panel's
    assert handled == [(False, {"method": "request_states"})]
    handlers["comm_open"](None, [], {"content": {"comm_id": "c", "target_name": "t"}})
    handlers["comm_msg"](None, [], message(_bokeh_patch(3)))
    assert handled[1:] == [(True, _bokeh_patch(n)) for n in (1, 2, 3)]
