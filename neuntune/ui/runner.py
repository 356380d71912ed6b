"""One worker thread per owner, latest wins: the runner under the tuner's live runs and
the tabs' jobs (fits, scans, protocols).  This module never imports panel.

Each piece of work gets a :class:`Ticket`.  A newer ticket supersedes every older
one: work whose ticket was superseded while queued never starts, and running work
asks its ticket whether it is still wanted.  What "superseded" means is the
owner's: a tab's job stops at once (:class:`~neuntune.ui.jobs.Job`), while the
tuner lets a short superseded run finish so that a slider drag keeps redrawing
(:class:`~neuntune.ui.state.TunerModel`).  Closing the runner cancels every ticket
and stops the thread, so a closed session holds no thread and no queued work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


def finished(future: Future | None, timeout: float | None) -> bool:
    """Wait for ``future`` (None: nothing to wait for); False if ``timeout`` (s) ran out."""
    if future is None:
        return True
    try:
        future.result(timeout)
    except TimeoutError:
        return False
    return True


class Ticket:
    """One piece of work on a :class:`Runner`: superseded by the runner's next ticket,
    cancelled by :meth:`cancel` or by closing the runner."""

    def __init__(self, runner: Runner, generation: int) -> None:
        self._runner = runner
        #: Counts the runner's tickets: a larger generation was asked for later.
        self.generation = generation
        self._cancelled = False

    def cancel(self) -> None:
        """Stop this work at its next check; nothing it finds is applied."""
        with self._runner.changed:
            self._cancelled = True
            self._runner.changed.notify_all()

    @property
    def cancelled(self) -> bool:
        """Cancelled, or the runner was closed (superseded alone does not count)."""
        return self._cancelled or self._runner.closed

    @property
    def current(self) -> bool:
        """Neither cancelled nor superseded: the newest work the owner asked for."""
        return not self.cancelled and self._runner.latest is self

    def rest(self, seconds: float) -> bool:
        """Wait up to ``seconds`` unless a newer ticket or a cancel comes first; whether
        this ticket is still current.  Lets work that is only worth doing once the
        values stop changing (the tuner's metrics) give way to newer requests."""
        with self._runner.changed:
            self._runner.changed.wait_for(lambda: not self.current, seconds)
        return self.current


class Runner:
    """A worker thread (started on first use) that runs one owner's work in order.

    ``name`` names the thread (``neuntune-<name>``) in stack dumps and profiles.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._generation = 0
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        #: The newest ticket (None before the first); written by the owner's thread only.
        self.latest: Ticket | None = None
        self.closed = False
        #: Notified when a ticket is superseded or the runner closes (see Ticket.rest).
        self.changed = threading.Condition()

    def supersede(self) -> Ticket:
        """A new ticket without work: everything asked for earlier is superseded
        (e.g. a request refused before it ran)."""
        self._generation += 1
        ticket = Ticket(self, self._generation)
        with self.changed:
            self.latest = ticket
            self.changed.notify_all()
        return ticket

    def start(self, work: Callable[[Ticket], None]) -> Ticket:
        """Run ``work(ticket)`` on the worker thread after the work queued before it,
        unless its ticket is no longer current by then; returns the ticket.  Raises
        ``RuntimeError`` once the runner is closed."""
        if self.closed:
            raise RuntimeError("cannot start work after the runner's shutdown")
        ticket = self.supersede()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"neuntune-{self._name}")
        self._future = self._executor.submit(self._run, ticket, work)
        return ticket

    @staticmethod
    def _run(ticket: Ticket, work: Callable[[Ticket], None]) -> None:
        if ticket.current:  # else superseded or cancelled while queued
            work(ticket)

    def wait(self, timeout: float | None) -> bool:
        """Block until the newest work has finished; False if ``timeout`` (s) ran out."""
        return finished(self._future, timeout)

    def close(self) -> None:
        """Cancel every ticket, drop queued work and stop the thread once running work
        has seen its cancel."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
