"""A closed page frees its session: the tuner, its plots and its runs are collected
(nothing in the server keeps them alive), so a long-running server does not grow
with every visitor."""

import asyncio
import gc
import threading
import time
import weakref

import panel as pn

from neuntune.ui.server import access, app, build
from neuntune.ui.testing import free_port, open_tuner


def test_the_tuners_of_closed_pages_are_collected(browser) -> None:
    tuners: weakref.WeakSet = weakref.WeakSet()
    ended: list[int] = []

    def factory():
        tuner = app(None, warm=False)
        tuners.add(tuner)
        pn.state.on_session_destroyed(lambda _context: ended.append(1))
        return tuner

    where = access("127.0.0.1", free_port(), (), None)
    started: list = []

    def serve() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        # Bokeh discards a session 15 s after its page went (checked every 17 s): sooner here.
        server = build(
            factory,
            where,
            unused_session_lifetime_milliseconds=500,
            check_unused_sessions_milliseconds=300,
        )
        server.start()
        started.append(server)
        server.io_loop.start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    while not started:
        time.sleep(0.1)
    server = started[0]
    try:
        for _ in range(2):
            context, _page, log = open_tuner(browser, where.url)
            context.close()
            assert log["errors"] == []
        deadline = time.monotonic() + 30
        while len(ended) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(ended) == 2, "Bokeh did not discard the closed pages' sessions"
        # The runs' threads and the session's next-tick callbacks end within a second.
        deadline = time.monotonic() + 10
        while True:
            gc.collect()
            if not tuners or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert len(tuners) == 0, f"{len(tuners)} tuners of closed pages still alive"
    finally:
        server.io_loop.add_callback(server.stop)
        server.io_loop.add_callback(server.io_loop.stop)
        thread.join(10)
