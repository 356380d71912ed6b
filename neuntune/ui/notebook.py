"""The tuner in a Jupyter notebook, offline.

Panel's notebook front end (BokehJS, Panel's and Tabulator's JavaScript and their
stylesheets) is published into the notebook inline, from the installed packages:
nothing is fetched from a CDN, so the tuner shows on a machine without internet
and in a saved notebook.  Until the front end has drawn the tuner, its output
shows a note saying what is missing, instead of staying blank.
"""

from __future__ import annotations

import base64
import html
import threading
from pathlib import Path
from typing import Any

import panel as pn
import panel.io.notebook
from bokeh.document import Document
from bokeh.models import ImportedStyleSheet
from panel.io.resources import CDN_DIST, DIST_DIR, LOCAL_DIST
from panel.io.state import state

#: Panel extensions the tuner's tabs use (the Fit tab's tables).
EXTENSIONS = ("tabulator",)

#: Shown until the front end replaces it with the tuner (CSS hides it once a Panel
#: layout has been drawn beside it).
NOTE_CLASS = "nt-frontend-note"
_NOTE = f"""<style>
.nt-notebook-tuner:has(.bk-panel-models-layout-Column) > .{NOTE_CLASS} {{ display: none; }}
</style>
<div class="{NOTE_CLASS}" style="padding:6px 10px;border-left:4px solid #c77;background:#fdf3f3">
<b>neuntune tuner: loading its front end…</b> If this note stays, the notebook did not run
the tuner's JavaScript (BokehJS and Panel, included in this notebook; nothing is
fetched from the internet). Trust the notebook (command palette: <i>Trust Notebook</i>,
or <code>jupyter trust NOTEBOOK.ipynb</code>) and run the cell again.
</div>"""


#: The output's keydown handler: Enter pressed in one of the tuner's entries stops at the
#: output.  JupyterLab (4.1+) handles every keydown that reaches the document: it
#: lets the event through to its target but then cancels the ``beforeinput`` of a line
#: break typed inside a notebook cell (``JupyterFrontEnd.evtKeydown``, so that Enter
#: and Shift+Enter never add lines to a cell's editor).  In an ``<input>``, cancelling
#: that line break also cancels the browser's implicit submission, which is what
#: fires the ``change`` event Bokeh applies a typed value on: the number stayed in the
#: box, unapplied, until the entry lost focus.  ipywidgets' text boxes and
#: JupyterLab's own stdin box stop their key events the same way; only Enter from an
#: input or text area is stopped here, so every other key (and JupyterLab's handling
#: of keys outside the entries) is unchanged.
ENTER_GUARD = (
    "if (event.key === 'Enter') { const t = event.composedPath()[0]; "
    "if (t && t.matches && t.matches('input, textarea')) event.stopPropagation(); }"
)


def load_front_end() -> None:
    """Publish BokehJS and Panel's JavaScript and CSS inline into the notebook, once.

    ``pn.extension()`` takes them from Panel's CDN unless ``inline=True``; this is
    what the tuner does for the user.  A front end loaded earlier from the CDN
    (``pn.extension()`` without ``inline``) is loaded again, inline.
    """
    extension = pn.extension
    loaded = (
        extension._loaded
        and pn.config.inline
        and set(EXTENSIONS) <= set(extension._loaded_extensions)
    )
    early_comm_messages()  # first: the extension's output has a comm of its own
    if not loaded:
        extension(*EXTENSIONS, inline=True)
    whole_messages()


#: Held while one Bokeh message goes to the notebook (see :func:`whole_messages`).
_SEND_LOCK = threading.Lock()


def whole_messages() -> None:
    """Send each of Panel's Bokeh messages to the notebook whole, never interleaved.

    Panel sends one message as 3 + 2 × buffers comm messages
    (``panel.io.notebook.send``), from whichever thread changed a widget.  ipykernel 7
    handles the browser's comm messages on a subshell thread while the tuner's runs
    land on the kernel's main loop: two messages sent at once interleaved, the front
    end failed with "Expected binary fragment but received text fragment" and dropped
    the patch (a drag in JupyterLab that never redrew the plots).
    """
    send = panel.io.notebook.send
    if getattr(send, "whole", False):
        return

    def send_whole(comm: Any, msg: Any) -> None:
        with _SEND_LOCK:
            send(comm, msg)

    send_whole.whole = True  # type: ignore[attr-defined]
    panel.io.notebook.send = send_whole


#: Messages kept for comms the kernel has not seen open yet, at most (the oldest go).
EARLY_LIMIT = 200


def early_comm_messages(kernel: Any = None) -> None:
    """Keep a Bokeh message from Panel's front end that reaches the kernel before its
    comm's ``comm_open``, and handle it once the comm opens, instead of dropping it.

    JupyterLab (4.6 here; its ``commsOverSubshells`` setting, per comm target by
    default) sends a comm's messages on a subshell of the kernel (ipykernel 7) once
    it has made one, but the comm's ``comm_open`` was sent before that, on the main
    shell, where it waits while a cell runs.  The tuner's first message (its layout,
    sent as Run All draws it) then reached a kernel without that comm: ipykernel
    dropped it ("No such comm") and sent no acknowledgement, and Panel's front end
    holds every later change until one comes (or until a change comes 5 s after its
    last send): the first drag after Run All never reached Python.  The comm's id is
    the front end's own, so only its ``comm_open`` tells which comm it is: the
    messages wait for it, in order.  ``kernel``: the running ipykernel (default:
    IPython's, if any).
    """
    if kernel is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        kernel = getattr(get_ipython(), "kernel", None)
    handlers = getattr(kernel, "shell_handlers", None)
    manager = getattr(kernel, "comm_manager", None)
    if handlers is None or manager is None or "comm_msg" not in handlers:
        return  # not in an ipykernel
    if getattr(handlers["comm_msg"], "keeps_early", False):
        return
    comm_msg, comm_open = handlers["comm_msg"], handlers["comm_open"]
    lock = threading.Lock()
    early: dict[str, list[tuple[Any, Any, dict]]] = {}  # comm id → messages, oldest first

    def on_comm_msg(stream: Any, ident: Any, msg: dict) -> Any:
        comm_id = msg["content"]["comm_id"]
        data = msg["content"].get("data")
        with lock:  # also waits while its comm opens and handles the earlier ones
            if comm_id not in manager.comms and _bokeh_message(data):
                early.setdefault(comm_id, []).append((stream, ident, msg))
                while sum(len(kept) for kept in early.values()) > EARLY_LIMIT:
                    oldest = next(iter(early))
                    del early[oldest][0]
                    if not early[oldest]:
                        del early[oldest]
                return None
        return comm_msg(stream, ident, msg)

    def on_comm_open(stream: Any, ident: Any, msg: dict) -> Any:
        with lock:
            result = comm_open(stream, ident, msg)
            for kept in early.pop(msg["content"]["comm_id"], []):
                comm_msg(*kept)
        return result

    on_comm_msg.keeps_early = True  # type: ignore[attr-defined]
    handlers["comm_msg"], handlers["comm_open"] = on_comm_msg, on_comm_open


def _bokeh_message(data: Any) -> bool:
    """Whether a comm message's ``data`` is a Bokeh protocol message (Panel's front end
    sends its document's changes as these)."""
    header = data.get("header") if isinstance(data, dict) else None
    return isinstance(header, dict) and "msgtype" in header


def _dist_file(url: Any) -> Path | None:
    """The file in Panel's dist directory that ``url`` (on Panel's CDN or served by a
    Panel server) names, if it is one."""
    if not isinstance(url, str):
        return None
    path = url.split("?")[0]
    for prefix in (CDN_DIST, LOCAL_DIST, f"./{LOCAL_DIST}", f"/{LOCAL_DIST}"):
        if path.startswith(prefix):
            file = DIST_DIR / path[len(prefix) :]
            return file if file.is_file() else None
    return None


class InlineStylesheets(dict):
    """Panel's stylesheet cache of one notebook document (URL → stylesheet) that
    answers any of Panel's own stylesheet URLs with that file as a ``data:`` URL.

    Panel renders a notebook output with its stylesheets inline, but a model it
    updates later takes its stylesheets from this cache, else new ones pointing at
    its CDN (a notebook document has no server to point them to): theme CSS and
    loading.css were then fetched from the CDN on each update.  A ``data:`` URL
    loads offline and passes Panel's checks on cached stylesheets (it has a url).
    """

    def __init__(self) -> None:
        super().__init__()
        self._sheets: dict[Path, ImportedStyleSheet] = {}  # one per file, shared

    def __bool__(self) -> bool:
        return True  # Panel skips a cache that is empty

    def __contains__(self, url: object) -> bool:
        return super().__contains__(url) or _dist_file(url) is not None

    def __missing__(self, url: str) -> ImportedStyleSheet:
        file = _dist_file(url)
        if file is None:
            raise KeyError(url)
        if file not in self._sheets:
            data = base64.b64encode(file.read_bytes()).decode("ascii")
            self._sheets[file] = ImportedStyleSheet(url=f"data:text/css;base64,{data}")
        return self._sheets[file]

    def __setitem__(self, url: str, sheet: Any) -> None:
        # Panel stores the CDN stylesheet it made when a cached one looked stale;
        # one of its own files stays inline.
        if _dist_file(url) is None:
            super().__setitem__(url, sheet)

    def get(self, url: str, default: Any = None) -> Any:
        return self[url] if url in self else default


def inline_stylesheets(doc: Document) -> None:
    """Make Panel's later updates of ``doc`` (a notebook output) use inline stylesheets."""
    if not isinstance(state._stylesheets.get(doc), InlineStylesheets):
        state._stylesheets[doc] = InlineStylesheets()


def offline_bundle(
    viewable: pn.viewable.Viewable, bundle: Any
) -> tuple[dict[str, Any], dict[str, Any]] | Any:
    """Panel's notebook mimebundle of ``viewable``, with a note in its HTML until the front
    end draws it, Enter kept in its entries (:data:`ENTER_GUARD`), and its document's
    later updates styled inline."""
    if not isinstance(bundle, tuple):
        return bundle  # Panel could not display it (and said why)
    data, metadata = bundle
    for ref in viewable._models:
        if ref in state._views:
            inline_stylesheets(state._views[ref][2])
    if "text/html" in data:
        data = {
            **data,
            "text/html": (
                f'<div class="nt-notebook-tuner" onkeydown="{html.escape(ENTER_GUARD)}">'
                f"{_NOTE}{data['text/html']}</div>"
            ),
        }
    return data, metadata
