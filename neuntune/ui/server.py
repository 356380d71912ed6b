"""Serve the tuner: ``serve()`` is what ``neuntune serve`` calls.

Who may connect.  On a loopback address (the default, 127.0.0.1) only this machine
can reach the server, and browsers may open it as that address, ``localhost`` or
``127.0.0.1``.  Any other address (``0.0.0.0``, a LAN address) puts the tuner on the
network, so :func:`serve` then requires the origins browsers will use
(``allow_origin``: ``host:port``, as Bokeh's ``--allow-websocket-origin``) and a
secret token, as Jupyter does: the printed URL carries a random token; a request
without it (or the cookie it sets) is refused, and Bokeh signs the session ids
(``sign_sessions`` with a random ``secret_key``), so a session cannot be guessed or
forged either.  The token mode can be asked for on loopback too (``token=True``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hmac
import ipaddress
import re
import secrets
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bokeh.server.auth_provider import AuthProvider
from bokeh.util.token import generate_secret_key
from tornado.ioloop import IOLoop
from tornado.web import HTTPError, RequestHandler
from tornado.websocket import WebSocketHandler

from ..circuit import Circuit
from ..presets import Preset
from . import warm
from .state import resolve_preset

if TYPE_CHECKING:
    from .tuner import Tuner

# Panel and the tuner (~1 s of imports) load when first used: `neuntune serve` starts
# its kernels compiling in a child process first, and imports them meanwhile.

_ANY_ADDRESS = ("0.0.0.0", "::", "")
#: The cookie a request with the right token sets, so the page's own later requests
#: (its websocket, reloads) need not carry the token.
COOKIE = "neuntune-token"
#: Where a request without the token is sent: a page saying how to get in.
TOKEN_PAGE = "/token-required"
_ORIGIN = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d+)$")


#: Seconds after a session ends before its memory is handed back (its threads stop).
RELEASE_AFTER = 2.0


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Collect what closed sessions left and hand the freed heap back to the OS.

    glibc keeps freed memory in its per-thread arenas, and each session's runs
    happen on threads of their own: without ``malloc_trim`` a server's resident size
    stays at its peak after its sessions close.
    """
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


def _session_ended(_context: Any) -> None:
    IOLoop.current().call_later(RELEASE_AFTER, release_memory)


def app(
    circuit: Circuit | Preset | str | None = None, warm: bool | threading.Event = False
) -> Tuner:
    """One session's tuner (Panel calls this once per browser session).  ``warm``:
    True compiles the tabs' kernels in the background; an Event is set once someone
    else (:func:`serve`) has compiled them."""
    import panel as pn

    from .tuner import Tuner

    # Tabulator (the fit's target and parameter tables) is a Panel extension: loading it
    # for the session puts its (bundled, local) script and styles into the page.
    pn.extension("tabulator")
    tuner = Tuner(circuit, warm=warm)  # registers its own close first
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.on_session_destroyed(_session_ended)
    return tuner


@dataclass(frozen=True)
class Access:
    """Who may connect to a server at ``address:port``: the websocket origins (as
    ``host:port``), the secret token (None: no token), the URL to print and, for an
    address other machines can reach, a warning naming the exposure."""

    address: str
    port: int
    origins: list[str]
    token: str | None
    url: str
    warning: str | None = None
    secret_key: bytes = field(default=b"", repr=False)
    cookie_secret: str = field(default="", repr=False)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``pn.serve`` / Bokeh's ``Server``: the origins Bokeh
        can parse (it refuses bracketed IPv6 literals: :func:`build` adds those), and
        with a token the auth provider, signed sessions and the cookie secret."""
        plain = [o for o in self.origins if not o.startswith("[")]
        opts: dict[str, Any] = {"websocket_origin": plain or [f"localhost:{self.port}"]}
        if self.token is not None:
            opts.update(
                auth_provider=TokenAuth(self.token),
                sign_sessions=True,
                secret_key=self.secret_key,
                generate_session_ids=True,
                cookie_secret=self.cookie_secret,
            )
        return opts


def is_loopback(address: str) -> bool:
    """Whether every address ``address`` resolves to is this machine's loopback
    (127.0.0.0/8, ::1): then no other machine can connect."""
    if address in _ANY_ADDRESS:
        return False
    try:
        found = socket.getaddrinfo(address, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    hosts = {info[4][0].split("%")[0] for info in found}
    return bool(hosts) and all(ipaddress.ip_address(h).is_loopback for h in hosts)


def _host(address: str) -> str:
    """``address`` as it appears in a URL or an Origin header (IPv6 in brackets)."""
    try:
        return f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
    except ValueError:
        return address  # a host name


def _check_origin(origin: Any) -> str:
    if not isinstance(origin, str) or not _ORIGIN.match(origin.strip()):
        raise ValueError(
            f"allow_origin {origin!r}: expected HOST:PORT as a browser's address bar "
            "shows it (e.g. myhost.example.org:5006, 192.168.1.5:5006 or [fe80::1]:5006); "
            "wildcards are not allowed"
        )
    origin = origin.strip().lower()
    port = int(_ORIGIN.match(origin)["port"])  # type: ignore[index]
    if not 0 < port < 65536:
        raise ValueError(f"allow_origin {origin!r}: port {port}: allowed 1–65535")
    return origin


def access(
    address: str,
    port: int,
    allow_origin: Sequence[str] = (),
    token: bool | str | None = None,
) -> Access:
    """Decide who may connect (see the module's docstring); raises ValueError naming
    the argument when an address other machines can reach lacks ``allow_origin``,
    or a token is refused there."""
    if isinstance(allow_origin, str):
        allow_origin = [allow_origin]
    extra = [_check_origin(o) for o in allow_origin]
    local = is_loopback(address)
    if not local and not extra:
        raise ValueError(
            f"address {address!r} can be reached from other machines: name the origins "
            "browsers will open the tuner from with allow_origin (--allow-origin HOST:PORT, "
            f"repeatable), e.g. --allow-origin {socket.gethostname().lower()}:{port}"
        )
    if token is False and not local:
        raise ValueError(
            f"token: a server on {address!r} (reachable from other machines) always "
            "needs its secret token"
        )
    if isinstance(token, str):
        if len(token) < 16 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
            raise ValueError(
                "token: give at least 16 letters, digits, '-' or '_' (or True for a random one)"
            )
        secret: str | None = token
    elif token is True or (token is None and not local):
        secret = secrets.token_urlsafe(32)
    elif token in (None, False):
        secret = None
    else:
        raise TypeError(f"token: expected True, False, None or a string, got {token!r}")
    origins = []
    if local:
        hosts = {_host(address), "localhost", "127.0.0.1"}
        if any(ipaddress.ip_address(h[4][0].split("%")[0]).version == 6
               for h in socket.getaddrinfo(address, None, type=socket.SOCK_STREAM)):  # fmt: skip
            hosts.add("[::1]")
        origins = sorted(f"{h}:{port}" for h in hosts)
    origins += [o for o in extra if o not in origins]
    shown = f"{_host(address)}:{port}" if local else extra[0]
    url = f"http://{shown}/" + (f"?token={secret}" if secret else "")
    warning = None
    if not local:
        warning = (
            f"warning: the tuner listens on {address}:{port}, reachable from other machines: "
            "anyone who can reach this port and has the URL with its token can open "
            "sessions and run simulations on this machine; pages are accepted from "
            f"{', '.join(extra)} only, over plain HTTP (use an SSH tunnel or a TLS proxy "
            "on untrusted networks)"
        )
    return Access(
        address, port, origins, secret, url, warning,
        secret_key=generate_secret_key().encode() if secret else b"",
        cookie_secret=secrets.token_hex(32) if secret else "",
    )  # fmt: skip


class TokenRequired(RequestHandler):
    """What a request without the token gets: 403 and how to get in."""

    def get(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(
            "This neuntune tuner needs its secret token: open the URL that "
            "`neuntune serve` printed (it ends in ?token=...).\n"
        )


class TokenAuth(AuthProvider):
    """Bokeh's auth hook for the token mode: a request is let in when its ``token``
    query argument equals the server's token (compared in constant time), or when it
    carries the cookie such a request set (signed by tornado with the random cookie
    secret, so it holds only for this server run).  Websockets without either are
    refused before the handshake (403); pages are sent to :data:`TOKEN_PAGE`."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        super().__init__()

    @property
    def get_user_async(self) -> Any:
        async def user(handler: RequestHandler) -> str | None:
            given = handler.get_query_argument("token", None)
            if given is not None and hmac.compare_digest(given.encode(), self._token):
                if not isinstance(handler, WebSocketHandler):
                    handler.set_secure_cookie(COOKIE, "1", httponly=True, samesite="Strict")
                return "neuntune"
            if handler.get_secure_cookie(COOKIE) == b"1":
                return "neuntune"
            if isinstance(handler, WebSocketHandler):  # refuse before the handshake
                raise HTTPError(403, reason="neuntune: missing or wrong token")
            return None

        return user

    @property
    def login_url(self) -> str:
        return TOKEN_PAGE

    @property
    def login_handler(self) -> type[RequestHandler]:
        return TokenRequired


def build(factory: Any, where: Access, show: bool = False, **options: Any) -> Any:
    """The (not yet started) Panel server of ``factory`` (a function returning one
    session's view) with ``where``'s access rules; ``options``: more of Bokeh's
    server options (e.g. ``unused_session_lifetime_milliseconds``)."""
    import panel as pn

    from .tuner import TITLE

    server = pn.serve(
        factory,
        port=where.port,
        address=where.address,
        show=show,
        start=False,
        title=TITLE,
        verbose=False,
        # the tuner reads nothing from the URL, and Panel's Location cannot parse an
        # IPv6 host ("[::1]:5006" split at ':'): a 500 for every page on ::1
        location=False,
        **where.options(),
        **options,
    )
    # Bokeh's allowlist parser refuses bracketed IPv6 literals ([::1]:5006), but its
    # origin check compares them correctly: add them to the live set of origins.
    server._tornado.websocket_origins.update(o for o in where.origins if o.startswith("["))
    return server


def serve(
    circuit: Circuit | Preset | str | None = None,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
    allow_origin: Sequence[str] = (),
    token: bool | str | None = None,
) -> None:
    """Serve the live tuner at ``http://address:port/`` until interrupted.

    ``circuit``: a Circuit, a preset (a Preset, a bundled name or a JSON file), or
    None for the HH gap-junction pair; every browser session gets its own copy.
    Binds to localhost unless ``address`` says otherwise.  An address other machines
    can reach needs ``allow_origin`` (the ``host:port`` browsers will use) and runs
    in token mode: the printed URL carries a random secret token, and a warning says
    what is exposed.  ``token``: True asks for the token on loopback too, a string
    sets it; the default is a token exactly when the address is not loopback.  The
    live run's kernel is compiled (or loaded from the disk cache) before the URL is
    printed, so the first page shows a run at once: a child process compiles it while
    this one imports Panel, then the live CC's coupling protocol (the metrics under the
    plots) and the Fit, Scan and Protocols tabs' kernels (work started there waits
    for them); presets opened later compile theirs in the background.
    """
    template = resolve_preset(circuit)
    check_listen(address, port)
    where = access(address, port, allow_origin, token)
    method = template.run.method
    compiled = threading.Event()
    # A live kernel not yet on disk is compiled by the child first, while this process
    # imports Panel and the tuner; this process then loads it (waiting for the child if
    # it is still compiling it: the compiler's lock) rather than compiling it too.
    child = warm.start(template, method, live=not warm.live_on_disk(template.circuit, method))
    if child is None:
        compiled.set()
    else:
        threading.Thread(
            target=lambda: (warm.wait(child), compiled.set()), name="neuntune-warm", daemon=True
        ).start()
    from . import tuner  # noqa: F401  (the slow imports, while the child compiles)

    warm.live_kernels(template.circuit, method)
    server = build(lambda: app(circuit, warm=compiled), where, show)
    run(server, where, "neuntune tuner")


def run(server: Any, where: Access, label: str) -> None:
    """Say where ``server`` listens (and the exposure, if any), then serve until
    interrupted."""
    if where.warning:
        print(where.warning, file=sys.stderr, flush=True)
    print(f"{label}: {where.url}  (Ctrl+C to stop)", flush=True)
    server.start()
    server.io_loop.start()


def check_listen(address: str, port: int) -> None:
    """Raise ValueError (naming the address, the port and what is wrong) unless a
    server could listen on ``address:port``: checked before the kernels compile, so a
    taken port fails at once rather than after the warm-up."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port {port!r}: allowed 1–65535")
    if not isinstance(address, str):
        raise TypeError(f"address: expected a host name or IP address, got {address!r}")
    try:
        found = socket.getaddrinfo(
            address or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ValueError(f"address {address!r}: {exc.strerror}") from None
    for family, kind, proto, _, where in found:
        with socket.socket(family, kind, proto) as probe:
            # as the server's own sockets (tornado) do: a closed connection's
            # TIME_WAIT does not count as taken, a listening socket does
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as tornado binds them: IPv6 only
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(where)
            except OSError as exc:
                raise ValueError(
                    f"cannot listen on {_host(address)}:{port}: {exc.strerror} "
                    "(choose another port)"
                ) from None
