"""Long work for one session — a fit, a scan, a protocol — off the UI thread, cancellable.

A :class:`Job` runs its work on its own :class:`~neuntune.ui.runner.Runner` (the
runner the tuner's live runs use too).  :meth:`Job.start` runs ``work(progress)``
there; ``progress(fraction)`` is what neuntune's fits, scans and simulations call
between chunks, and it returns True once the job is cancelled or started again
(they then raise :class:`~neuntune.CancelledError`).  Everything the job reports —
``progress``, ``status``, ``error``, the result — reaches the job's parameters
through ``dispatch``, so a view applies it on its own event loop; reports from work
that has been superseded or cancelled are dropped.  This module never imports panel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import param

from ..errors import PresetError, SimulationError
from ..simulate import CancelledError
from .runner import Runner, Ticket

log = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[float], bool]
Dispatch = Callable[[Callable[[], None]], None]

#: Progress reaches the page at most this often (s): each report is a websocket message.
PROGRESS_EVERY = 0.15


class Job(param.Parameterized):
    """Work that takes seconds, on this job's own worker thread, with progress and cancel.

    ``dispatch(fn)`` decides where reports are applied (default: at once, on the
    worker thread).  ``ready`` is an event set once the session's kernels are
    compiled (see :mod:`neuntune.ui.warm`): work started before then waits for it,
    showing that it is compiling, rather than compiling the same kernels again.
    """

    running = param.Boolean(default=False, doc="work has started and not yet finished")
    progress = param.Number(default=0.0, bounds=(0.0, 1.0), doc="fraction done")
    status = param.String(default="", doc="what the job is doing or has done")
    error = param.String(default="", doc="why the last start produced no result")

    def __init__(
        self, *, dispatch: Dispatch | None = None, ready: threading.Event | None = None, **params
    ) -> None:
        super().__init__(**params)
        self.dispatch: Dispatch = dispatch or (lambda fn: fn())
        self._ready = ready
        self._runner = Runner(self.name)
        self._ticket: Ticket | None = None  # the newest start's

    def start(
        self, label: str, work: Callable[[Progress], T], done: Callable[[T], str | None]
    ) -> None:
        """Run ``work(progress)`` on the worker thread, then ``done(result)`` through
        ``dispatch``; what ``done`` returns (e.g. "Reached CC 0.3") becomes the status,
        with the time taken.  Supersedes (cancels) work already running.  ``label``
        names the work in ``status`` while it runs ("Fitting", "Scanning", ...)."""
        self.param.update(running=True, progress=0.0, error="", status=f"{label}…")
        self._ticket = self._runner.start(lambda ticket: self._run(ticket, label, work, done))

    def refuse(self, message: str) -> None:
        """Say why work cannot start (bad settings), leaving any earlier result shown."""
        self.param.update(error=message, status="", running=False)

    def cancel(self) -> None:
        """Stop the running work at its next progress report; nothing it found is applied."""
        if self.running and self._ticket is not None and not self._ticket.cancelled:
            self._ticket.cancel()
            self.param.update(running=False, status="Cancelled.")

    def wait(self, timeout: float | None = 120.0) -> bool:
        """Block until the latest work has finished (and its reports were dispatched);
        False on timeout."""
        return self._runner.wait(timeout)

    def close(self) -> None:
        """Cancel running work and stop the worker thread."""
        self._runner.close()

    # ------------------------------------------------------------------ worker
    def _report(self, ticket: Ticket, **updates: Any) -> None:
        """Apply ``updates`` through dispatch unless ``ticket``'s work is no longer current."""

        def apply() -> None:
            if ticket.current:
                self.param.update(updates)

        self.dispatch(apply)

    def _run(
        self,
        ticket: Ticket,
        label: str,
        work: Callable[[Progress], Any],
        done: Callable[[Any], str | None],
    ) -> None:
        if self._ready is not None and not self._ready.is_set():
            self._report(
                ticket,
                status="Compiling the kernels for this circuit in the background "
                "(first use of its structure, about 10 s)…",
            )
            while not self._ready.wait(0.1):
                if not ticket.current:
                    return
            self._report(ticket, status=f"{label}…")
        last = [time.monotonic()]
        started = time.monotonic()

        def progress(fraction: float) -> bool:
            if not ticket.current:
                return True
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self._report(ticket, progress=min(max(float(fraction), 0.0), 1.0))
            return False

        try:
            result = work(progress)
        except CancelledError:
            return  # cancel() has already said so; a superseding start says the rest
        except (SimulationError, PresetError, TypeError, ValueError) as exc:
            self._report(ticket, running=False, status="", error=str(exc))
            return
        except Exception as exc:  # a bug must not kill the worker silently
            log.exception("%s failed", label)
            self._report(
                ticket,
                running=False,
                status="",
                error=f"Internal error ({type(exc).__name__}: {exc}).",
            )
            return
        elapsed = time.monotonic() - started

        def finish() -> None:
            if not ticket.current:
                return  # cancelled or superseded while the result was on its way
            message = done(result) or "Done"
            self.param.update(running=False, progress=1.0, status=f"{message} ({elapsed:.1f} s).")

        self.dispatch(finish)
