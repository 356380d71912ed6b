"""Serve the tuner: ``serve()`` is what ``neuntune serve`` calls."""

from __future__ import annotations

import panel as pn

from ..circuit import Circuit
from .model import resolve_circuit, warm_up
from .view import Tuner

TITLE = "neuntune · live tuner"
_ANY_ADDRESS = ("0.0.0.0", "::", "")


def serve(
    circuit: Circuit | str | None = None,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
) -> None:
    """Serve the live tuner at ``http://address:port/`` until interrupted.

    ``circuit``: a Circuit, a preset (bundled name or JSON file), or None for the
    HH gap-junction pair; every browser session gets its own copy.  Binds to
    localhost unless ``address`` says otherwise.  The kernels are compiled (or
    loaded from the disk cache) before the URL is printed, so the first page
    shows a run at once.
    """
    template = resolve_circuit(circuit)
    warm_up(template)
    if address in _ANY_ADDRESS:
        origins = "*"  # listening on every interface: accept whatever host name reached us
    else:
        origins = [f"{host}:{port}" for host in {address, "localhost", "127.0.0.1"}]
    server = pn.serve(
        lambda: Tuner(template),
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
