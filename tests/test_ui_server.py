"""Who may connect to the tuner's server: origins, the secret token, signed sessions.

The live tests run a server in a subprocess with a one-line page (no kernels to
compile) and talk to it with tornado's HTTP and websocket clients, as a browser
would: a page from a foreign origin, a request without the token and a forged
session id must all be refused, and the right token must let a browser in.
"""

import asyncio
import concurrent.futures
import contextlib
import os
import re
import socket
import subprocess
import sys
import time

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from neuntune.ui.server import COOKIE, TOKEN_PAGE, access, is_loopback
from neuntune.ui.testing import free_port

TOKEN = "a-test-token-0123456789"


def run(coroutine):
    """``asyncio.run`` in a thread of its own: a worker's shared Playwright browser
    (tests/conftest.py) keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# ------------------------------------------------------------------------ rules
def test_loopback_needs_no_token_and_accepts_only_local_origins():
    where = access("127.0.0.1", 5006)
    assert where.token is None and where.warning is None
    assert where.url == "http://127.0.0.1:5006/"
    assert where.origins == ["127.0.0.1:5006", "localhost:5006"]
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_ipv6_loopback_origins_and_url_carry_brackets():
    where = access("::1", 5079)
    assert where.url == "http://[::1]:5079/" and "[::1]:5079" in where.origins
    assert where.options()["websocket_origin"] == ["127.0.0.1:5079", "localhost:5079"]


def test_an_address_other_machines_reach_needs_allowed_origins_and_a_token():
    needs = r"address '0\.0\.0\.0' can be reached from other machines: .*allow_origin "
    with pytest.raises(ValueError, match=needs + r"\(--allow-origin HOST:PORT, repeatable\)"):
        access("0.0.0.0", 5006)
    where = access("0.0.0.0", 5006, ["lab.example.org:5006"])
    assert where.origins == ["lab.example.org:5006"]  # no wildcard, nothing else
    assert re.fullmatch(r"http://lab\.example\.org:5006/\?token=[A-Za-z0-9_-]{43}", where.url)
    assert where.token != access("0.0.0.0", 5006, ["lab.example.org:5006"]).token  # random
    assert "reachable from other machines" in where.warning and "0.0.0.0:5006" in where.warning
    assert "lab.example.org:5006 only" in where.warning
    options = where.options()
    assert options["sign_sessions"] is True and len(options["secret_key"]) >= 32
    with pytest.raises(ValueError, match=r"token: a server on '0\.0\.0\.0' .* always needs"):
        access("0.0.0.0", 5006, ["lab.example.org:5006"], token=False)


@pytest.mark.parametrize("origin", ["*", "lab", "*:5006", "lab:99999", "http://lab:5006", 5])
def test_malformed_or_wildcard_origins_are_refused(origin):
    with pytest.raises(ValueError, match=r"allow_origin .*(HOST:PORT|allowed 1–65535)"):
        access("0.0.0.0", 5006, [origin])


def test_the_cli_refuses_an_open_address_without_origins_before_compiling(monkeypatch, capsys):
    from neuntune.cli import main

    def must_not_warm(*args, **kwargs):
        raise AssertionError("serve warmed its kernels before checking who may connect")

    monkeypatch.setattr("neuntune.ui.warm.start", must_not_warm)
    assert main(["serve", "--address", "0.0.0.0", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "can be reached from other machines" in err and "--allow-origin" in err
    assert main(["serve", "--allow-origin", "*", "--port", str(free_port())]) == 2
    assert "wildcards are not allowed" in capsys.readouterr().err


# ------------------------------------------------------------------------- live
SERVER = """
import sys
import panel as pn
from neuntune.ui.server import access, build
address, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3] or None
where = access(address, port, sys.argv[4:], token=token)
server = build(lambda: pn.pane.Markdown("hello"), where)
print("URL", where.url, flush=True)
server.start()
server.io_loop.start()
"""


@contextlib.contextmanager
def server(address, port, token="", origins=()):
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, address, str(port), token, *origins],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.startswith("URL "), line + proc.stdout.read()
        host = "::1" if address == "::1" else "127.0.0.1"
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection((host, port), timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the test server did not answer"
                time.sleep(0.1)
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def fetch(url, **kwargs):
    """(status, headers, body) without following redirects or raising on 4xx."""
    response = await AsyncHTTPClient().fetch(
        url, follow_redirects=False, raise_error=False, **kwargs
    )
    return response.code, response.headers, response.body.decode()


async def websocket(url, origin, cookie=None, session=None):
    """'open' (Bokeh's ACK came), 'closed' (opened, then closed by the server) or the
    HTTP status that refused the handshake."""
    headers = {"Origin": origin, **({"Cookie": cookie} if cookie else {})}
    try:
        conn = await websocket_connect(
            HTTPRequest(url, headers=headers), subprotocols=["bokeh", session or "none"]
        )
    except HTTPClientError as exc:
        return exc.code
    message = await asyncio.wait_for(conn.read_message(), 30)
    conn.close()
    return "closed" if message is None else ("open" if '"ACK"' in message else message)


def session_token(html):
    return re.search(r'"token":\s*"([^"]+)"', html).group(1)


def test_token_mode_refuses_tokenless_requests_foreign_origins_and_forged_sessions():
    """The server off localhost (0.0.0.0), browsers allowed from 127.0.0.1:port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server("0.0.0.0", port, "", [f"127.0.0.1:{port}"]) as url:
        token = re.fullmatch(rf"{base}/\?token=([A-Za-z0-9_-]+)", url).group(1)

        async def check():
            # no token, or a wrong one: sent to the page that says how to get in (403)
            for ask in ("/", f"/?token={token[:-1]}x"):
                status, headers, _ = await fetch(base + ask)
                assert status == 302 and headers["Location"].startswith(f".{TOKEN_PAGE}")
            status, _, body = await fetch(base + TOKEN_PAGE)
            assert status == 403 and "needs its secret token" in body
            # the token lets the page in and sets the cookie its websocket will carry
            status, headers, html = await fetch(url)
            assert status == 200
            cookie = headers["Set-Cookie"].split(";")[0]
            assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in headers["Set-Cookie"]
            session = session_token(html)
            ws = f"ws://127.0.0.1:{port}/ws"
            assert await websocket(ws, base, cookie, session) == "open"
            # a tokenless websocket is refused before the handshake
            assert await websocket(ws, base, None, session) == 403
            # a page on another site (a foreign origin) is refused, cookie or not
            assert await websocket(ws, "http://evil.example", cookie, session) == 403
            assert await websocket(ws, f"http://localhost:{port}", cookie, session) == 403
            # a session token not signed with the server's secret key is closed at once:
            # the page's own payload with a wrong signature, or with none
            payload, signature = session.split(".")
            assert await websocket(ws, base, cookie, f"{payload}.{'A' * len(signature)}") == (
                "closed"
            )
            assert await websocket(ws, base, cookie, payload) == "closed"

        run(check())


def test_loopback_without_token_refuses_foreign_origins():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server("127.0.0.1", port) as url:
        assert url == base + "/"

        async def check():
            status, _, html = await fetch(url)
            assert status == 200
            ws = f"ws://127.0.0.1:{port}/ws"
            session = session_token(html)
            assert await websocket(ws, base, None, session) == "open"
            assert await websocket(ws, "http://evil.example", None, session) == 403

        run(check())


def test_loopback_token_mode_refuses_a_tokenless_request():
    port = free_port()
    with server("127.0.0.1", port, TOKEN) as url:
        assert url == f"http://127.0.0.1:{port}/?token={TOKEN}"

        async def check():
            assert (await fetch(f"http://127.0.0.1:{port}/"))[0] == 302
            assert (await fetch(url))[0] == 200

        run(check())


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_ipv6_loopback_serves_pages_and_websockets():
    port = free_port()
    with server("::1", port) as url:
        assert url == f"http://[::1]:{port}/"

        async def check():
            status, _, html = await fetch(url)
            assert status == 200
            ws = f"ws://[::1]:{port}/ws"
            session = session_token(html)
            assert await websocket(ws, f"http://[::1]:{port}", None, session) == "open"
            assert await websocket(ws, "http://[::2]:80", None, session) == 403

        run(check())


def test_serve_prints_the_token_url_and_a_warning_naming_the_exposure():
    """``serve`` itself (its warm-up replaced: this checks what it prints and that a
    tokenless request is refused, not the kernels)."""
    port = free_port()
    code = (
        "import neuntune.ui.warm as w\n"
        "w.start = lambda *a, **k: None\n"
        "w.live_kernels = lambda *a, **k: None\n"
        "from neuntune.ui.server import serve\n"
        f"serve(port={port}, address='0.0.0.0', allow_origin=['127.0.0.1:{port}'])\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert re.fullmatch(
            rf"neuntune tuner: http://127\.0\.0\.1:{port}/\?token=[A-Za-z0-9_-]{{43}}  "
            r"\(Ctrl\+C to stop\)\n",
            line,
        ), line
        warning = proc.stderr.readline()
        assert warning.startswith(f"warning: the tuner listens on 0.0.0.0:{port}, reachable")
        assert f"127.0.0.1:{port} only" in warning
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        status, headers, _ = run(fetch(f"http://127.0.0.1:{port}/"))
        assert status == 302 and TOKEN_PAGE in headers["Location"]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def resident_mib() -> float:
    """This process's resident memory (MiB), from /proc (Linux, as CI)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_memory_of_closed_sessions_goes_back_to_the_system():
    """Ten sessions' runs grow the heap on their worker threads; after they close,
    release_memory (what the server runs when a session ends) hands most of it back.
    Without malloc_trim ~80 % of the growth stays resident (glibc keeps freed memory
    in per-thread arenas); with it ~10 %."""
    from neuntune.ui.server import RELEASE_AFTER, release_memory
    from neuntune.ui.session import Session

    first = Session(None, warm=False)  # kernels loaded, plots built: idle means after that
    assert first.tuner.wait()
    first.close()
    del first
    time.sleep(RELEASE_AFTER)
    release_memory()
    idle = resident_mib()
    sessions = [Session(None, warm=False) for _ in range(10)]
    for step in range(20):
        for k, session in enumerate(sessions):
            session.tuner.set("gj.g", 0.001 * (1 + (k + step) % 7))
        assert all(session.tuner.wait() for session in sessions)
    peak = resident_mib()
    for session in sessions:
        session.close()
    del sessions, session
    time.sleep(RELEASE_AFTER)  # as the server waits: the sessions' threads end
    release_memory()
    after = resident_mib()
    assert peak - idle > 30, "the sessions grew the heap (else this measures nothing)"
    assert after - idle < 0.5 * (peak - idle), (idle, peak, after)
