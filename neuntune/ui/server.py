"""Serve the tuner: ``serve()`` is what ``neuntune serve`` calls."""

from __future__ import annotations

import socket
import threading

import panel as pn

from ..circuit import Circuit
from ..presets import Preset
from . import warm
from .model import resolve_preset
from .view import TITLE, Tuner

_ANY_ADDRESS = ("0.0.0.0", "::", "")


def app(
    circuit: Circuit | Preset | str | None = None, warm: bool | threading.Event = False
) -> Tuner:
    """One session's tuner (Panel calls this once per browser session).  ``warm``:
    True compiles the tabs' kernels in the background; an Event is set once someone
    else (:func:`serve`) has compiled them."""
    # Tabulator (the fit's target and parameter tables) is a Panel extension: loading it
    # for the session puts its (bundled, local) script and styles into the page.
    pn.extension("tabulator")
    return Tuner(circuit, warm=warm)


def serve(
    circuit: Circuit | Preset | str | None = None,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
) -> None:
    """Serve the live tuner at ``http://address:port/`` until interrupted.

    ``circuit``: a Circuit, a preset (a Preset, a bundled name or a JSON file), or
    None for the HH gap-junction pair; every browser session gets its own copy.
    Binds to localhost unless ``address`` says otherwise.  The live run's kernels
    are compiled (or loaded from the disk cache) before the URL is printed, so the
    first page shows a run at once; the Fit, Scan and Protocols tabs' kernels compile
    meanwhile in a child process (work started there waits for them), and presets
    opened later compile theirs in the background.
    """
    template = resolve_preset(circuit)
    check_listen(address, port)
    method = template.run.method
    compiled = threading.Event()
    child = warm.start(template, method, live=False)
    if child is None:
        compiled.set()
    else:
        threading.Thread(
            target=lambda: (child.wait(), compiled.set()), name="neuntune-warm", daemon=True
        ).start()
    warm.live_kernels(template.circuit, method)
    if address in _ANY_ADDRESS:
        origins = "*"  # listening on every interface: accept whatever host name reached us
    else:
        origins = [f"{host}:{port}" for host in {address, "localhost", "127.0.0.1"}]
    server = pn.serve(
        lambda: app(circuit, warm=compiled),
        port=port,
        address=address,
        websocket_origin=origins,
        show=show,
        start=False,
        title=TITLE,
        verbose=False,
    )
    host = "localhost" if address in _ANY_ADDRESS else address
    print(f"neuntune tuner: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    server.start()
    server.io_loop.start()


def check_listen(address: str, port: int) -> None:
    """Raise ValueError (naming the address, the port and what is wrong) unless a
    server could listen on ``address:port``: checked before the kernels compile, so a
    taken port fails at once rather than after the warm-up."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port {port!r}: allowed 1–65535")
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
            try:
                probe.bind(where)
            except OSError as exc:
                raise ValueError(
                    f"cannot listen on {address}:{port}: {exc.strerror} (choose another port)"
                ) from None
