"""Serve the tuner: ``serve()`` is what ``neuntune serve`` calls."""

from __future__ import annotations

import panel as pn

from ..circuit import Circuit
from ..presets import Preset
from .model import resolve_preset
from .view import TITLE, Tuner
from .warm import workflow_kernels

_ANY_ADDRESS = ("0.0.0.0", "::", "")


def app(circuit: Circuit | Preset | str | None = None, warm: bool = False) -> Tuner:
    """One session's tuner (Panel calls this once per browser session).  ``warm``:
    compile the tabs' kernels in the background (:func:`serve` compiles them first)."""
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
    Binds to localhost unless ``address`` says otherwise.  The kernels of the live
    run and of the Fit, Scan and Protocols tabs are compiled (or loaded from the disk
    cache) before the URL is printed, so the first page shows a run at once; presets
    opened later compile theirs in the background.
    """
    template = resolve_preset(circuit)
    workflow_kernels(template.circuit, template.run.method)
    if address in _ANY_ADDRESS:
        origins = "*"  # listening on every interface: accept whatever host name reached us
    else:
        origins = [f"{host}:{port}" for host in {address, "localhost", "127.0.0.1"}]
    server = pn.serve(
        lambda: app(circuit),
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
