"""The runner under the tuner's live runs and the tabs' jobs: latest wins, resting work
gives way to newer requests, and a closed runner cancels everything."""

import threading
import time

import pytest

from neuntune.ui.runner import Runner


def test_newer_work_supersedes_queued_and_resting_work() -> None:
    runner = Runner("test")
    try:
        ran: list[tuple[str, bool]] = []
        started, release, resting = threading.Event(), threading.Event(), threading.Event()

        def first(ticket) -> None:
            started.set()
            release.wait(10)
            ran.append(("first", ticket.current))

        def third(ticket) -> None:
            resting.set()
            ran.append(("third", ticket.rest(10)))

        runner.start(first)
        assert started.wait(10)
        runner.start(lambda ticket: ran.append(("second", ticket.current)))
        runner.start(third)
        release.set()
        assert resting.wait(10)
        began = time.monotonic()
        newest = runner.supersede()  # e.g. a request refused before it ran
        assert runner.wait(10)
        assert time.monotonic() - began < 5, "the rest ended when the newer ticket came"
        assert ran == [("first", False), ("third", False)], "the second never started"
        assert newest.current and newest.generation == 4
    finally:
        runner.close()


def test_closing_cancels_every_ticket_and_refuses_new_work() -> None:
    runner = Runner("test")
    older = runner.supersede()
    newest = runner.supersede()
    assert not older.current and not older.cancelled and newest.current
    runner.close()
    assert older.cancelled and newest.cancelled and not newest.current
    assert not newest.rest(10), "a closed runner's work does not wait"
    with pytest.raises(RuntimeError, match="shutdown"):
        runner.start(print)
