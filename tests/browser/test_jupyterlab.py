"""examples/tuner.ipynb in a real JupyterLab, driven in Debian's Chromium: Run All shows
the tuner, a drag and a typed value + Enter redraw its plots, it fits the output area,
and the page asks no host but the JupyterLab server for anything."""

import contextlib
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from neuntune.ui.testing import (
    CHANGED_JS,
    HAS_DATA_JS,
    block_foreign_requests,
    drag_slider,
    entry,
    open_tab,
    running_jupyterlab,
    slider_value,
    trace,
    type_value,
    wait_for_entry,
)

NOTEBOOK = Path(__file__).parents[2] / "examples" / "tuner.ipynb"
TOKEN = "neuntune-test"
#: Generous: a loaded 2-core machine starts the kernel, imports and loads compiled code.
FIRST_PLOT = 240.0
RUN = 60.0

#: True once every code cell has run: each prompt shows its execution count.
ALL_RAN_JS = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
    return prompts.length > 0 && prompts.every((p) => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
}"""

#: True once a code cell runs or has run (its prompt is no longer "[ ]:").
STARTED_JS = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .some((p) => /^\\[(\\*|\\d+)\\]:$/.test(p.textContent.trim()))"""

#: Elements of the tuner that reach past the right edge of its output area: [tag,
#: class, text, right edge], walking into every shadow root; and that edge.
OVERFLOW_JS = """() => {
    const tuner = document.querySelector('.nt-notebook-tuner');
    const edge = tuner.closest('.jp-OutputArea-output').getBoundingClientRect().right;
    const over = [];
    const walk = (node) => {
        for (const el of node.children) {
            const box = el.getBoundingClientRect();
            if (box.width > 0 && box.height > 0 && box.right > edge + 1) {
                const name = typeof el.className === 'string' ? el.className : '';
                over.push([el.tagName, name, (el.textContent || '').slice(0, 40), box.right]);
            }
            if (el.shadowRoot) walk(el.shadowRoot);
            walk(el);
        }
    };
    walk(tuner);
    return {edge, over};
}"""


#: True once the tuner has plotted, or a cell has printed an error (no long wait then).
PLOT_OR_ERROR_JS = f"""() => ({HAS_DATA_JS})("v:a") || document.querySelector(
    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']") !== null"""


@pytest.fixture(scope="module")
def jupyterlab():
    with running_jupyterlab([NOTEBOOK], token=TOKEN) as url:
        yield url


def overflow(page) -> list:
    found = page.evaluate(OVERFLOW_JS)
    return [(*element, f"edge {found['edge']:.0f}") for element in found["over"]]


def choose_kernel(page) -> None:
    """As JupyterLab opens the notebook it sometimes asks for a kernel (when its list of
    kernels arrives late): choose Python 3 once, as a user would; then wait until the
    notebook's kernel is idle.  Answering again later would replace a running kernel."""
    dialog = page.locator(".jp-Dialog")
    with contextlib.suppress(PlaywrightTimeout):
        dialog.first.wait_for(state="visible", timeout=5_000)
        choice = dialog.first.locator("select")
        if choice.count():
            choice.first.select_option(label="Python 3")
        dialog.first.locator(".jp-mod-accept").first.click()
    page.get_by_text("Kernel status: Idle").first.wait_for(state="attached", timeout=120_000)


def run_all_cells(page) -> float:
    """Run > Run All Cells from JupyterLab's menu; when it was chosen (time.monotonic()).
    Chosen again while no cell has started: until the notebook is the current
    widget, the menu item does nothing."""
    for _ in range(3):
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        start = time.monotonic()
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(STARTED_JS, timeout=30_000)
            return start
        page.keyboard.press("Escape")
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    pytest.fail(f"Run All Cells started no cell; dialogs shown: {dialogs}")


def test_the_tuner_notebook_in_jupyterlab(browser, jupyterlab) -> None:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # Console errors, and the warning with which Panel's comm reports a failed callback;
    # not JupyterLab's own about a kernel it replaced (see choose_kernel): its socket
    # and its status requests then fail.
    def console(message) -> None:
        where = message.location.get("url", "")
        if "/api/kernels/" in message.text or "/api/kernels/" in where:
            return
        if message.type == "error" or "Python failed" in message.text:
            errors.append(f"{message.text} ({where})")

    page.on("console", console)
    foreign = block_foreign_requests(page, urlparse(jupyterlab).netloc)
    try:
        page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK.name}?token={TOKEN}")
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=120_000)
        # The kernel has started and is idle: Run All times the notebook, not the kernel.
        choose_kernel(page)

        start = run_all_cells(page)
        try:
            page.wait_for_function(PLOT_OR_ERROR_JS, timeout=FIRST_PLOT * 1000)
        except PlaywrightTimeout:
            outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
            pytest.fail(f"no plot {FIRST_PLOT:.0f} s after Run All; the outputs: {outputs}")
        if not page.evaluate(f"() => ({HAS_DATA_JS})('v:a')"):
            outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
            pytest.fail(f"a cell failed before the first plot; the outputs: {outputs}")
        print(f"\nJupyterLab: first plot {time.monotonic() - start:.1f} s after Run All")
        page.wait_for_function(ALL_RAN_JS, timeout=FIRST_PLOT * 1000)
        stderr = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts()
        assert not [text for text in stderr if "Error" in text], stderr  # tracebacks
        # The notebook's last cell undid its change: the tuner shows g = 2 µS again.
        wait_for_entry(page, "gj.g", 2.0, 1e-6, timeout=RUN)

        # (b) At 1600 px nothing of the tuner runs past the output area's right edge.
        page.wait_for_timeout(1000)  # layout settles after the last run
        assert overflow(page) == []

        # One drag redraws the plots.  (About every other run lost it while the first
        # message of the tuner's comm could overtake the comm's opening in the kernel:
        # neuntune.ui.notebook.early_comm_messages.)
        before = trace(page, "v:a")["y"]
        drag_slider(page, "gj.g", 40)
        try:
            page.wait_for_function(CHANGED_JS, arg=["v:a", before], timeout=RUN * 1000)
        except PlaywrightTimeout:
            shown = entry(page, "gj.g").input_value()
            pytest.fail(
                f"no redraw after a drag; entry {shown}, slider "
                f"{slider_value(page, 'gj.g')}, console {errors}"
            )

        # (a) A value typed into an entry is applied by Enter (JupyterLab cancelled the
        # browser's change event: neuntune.ui.notebook.ENTER_GUARD), without a blur.
        page.wait_for_timeout(1000)  # the drag's last run lands
        before = trace(page, "v:a")["y"]
        type_value(page, "gj.g", "8")
        page.wait_for_function(CHANGED_JS, arg=["v:a", before], timeout=RUN * 1000)
        assert entry(page, "gj.g").evaluate("(el) => el.matches(':focus')")
        wait_for_entry(page, "gj.g", 8.0, 1e-6, timeout=RUN)

        # (c) Every tab fits the output area too, and opens without an error.
        for tab in ("Fit", "Scan", "Protocols", "Data", "Traces"):
            open_tab(page, tab)
            page.wait_for_timeout(1500)
            assert (tab, overflow(page)) == (tab, [])
        assert errors == []
    finally:
        context.close()
    assert foreign == [], f"requests to hosts other than JupyterLab's: {foreign}"
