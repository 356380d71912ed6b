"""Where work finished on a worker thread is applied to a view: the session's document
when served, a notebook kernel's event loop, or at once in a plain script.

Runs happen on worker threads; what they report comes back through a
:class:`Dispatcher`, which applies it on the session's event loop with
``doc.add_next_tick_callback`` (Bokeh's documented way to update a document from another
thread) and one ``pn.io.hold`` so a redraw is one websocket message.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from functools import partial

import panel as pn
from bokeh.document import Document


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of a Jupyter kernel, if this is one.

    Only an IPython kernel counts: other libraries (Playwright's sync API, for one)
    leave a loop marked as running on the main thread that nobody actually runs.
    """
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Dispatcher:
    """Applies updates from worker threads where they may touch the document; made in
    the thread that builds the view (it notes that thread's document or event loop).

    ``layout`` is the view's layout once built: in a notebook, Bokeh models changed
    outside a Panel callback reach the front end only when it is pushed.
    """

    def __init__(self) -> None:
        self.doc: Document | None = pn.state.curdoc
        self._loop = _kernel_loop()
        self._queue: list[Callable[[], None]] = []  # updates waiting for the UI thread
        self._lock = threading.Lock()
        self.layout: pn.viewable.Viewable | None = None
        # A served page takes updates once it has loaded (see __call__).
        self._loaded = not self.served
        if self.served:
            pn.state.onload(self._page_loaded)

    @property
    def served(self) -> bool:
        """Whether the view belongs to a server session."""
        return self.doc is not None and self.doc.session_context is not None

    def __call__(self, update: Callable[[], None]) -> None:
        """Run ``update`` (from a worker thread) where it may touch the document.

        Updates run in the order they were dispatched (the models rely on it): they
        are queued here and drained by one callback, because Bokeh runs next-tick
        callbacks added before a session has started in no particular order.

        A served page drains nothing before it has loaded: Panel defers changes to
        its own widgets until the browser is connected, but a change made directly
        to a Bokeh model (a plot's data or range) between the page's rendering and
        its websocket's connection never reaches the browser.  A network's first
        run (over a second) used to land there and leave the plots empty.
        """
        served = self.served
        if not served and (self._loop is None or not self._loop.is_running()):
            update()  # a plain script: no event loop to hand over to
            return
        with self._lock:
            self._queue.append(update)
            if len(self._queue) > 1 or not self._loaded:
                return  # a drain is already scheduled (or the page's load drains)
        if served:
            self.doc.add_next_tick_callback(partial(self._drain, self.doc))
        else:
            self._loop.call_soon_threadsafe(self._drain, None)

    def _page_loaded(self) -> None:
        """The browser has rendered the page: apply what arrived meanwhile."""
        with self._lock:
            self._loaded = True
        self._drain(self.doc)

    def _drain(self, doc: Document | None) -> None:
        with self._lock:
            updates, self._queue = self._queue, []
        with pn.io.hold(doc):  # one websocket message for all of them
            for update in updates:
                update()
        if doc is None and self.layout is not None:
            pn.io.push_notebook(self.layout)
