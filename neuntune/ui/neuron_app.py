"""Serving a NEURON preset: the live tuner its protocol calls for, one NEURON worker per
browser session (``neuntune serve FILE``)."""

from __future__ import annotations

import sys

import panel as pn

from ..neuron.preset import NeuronPreset, load_preset
from .neuron_coupling import NeuronCouplingTuner
from .neuron_tuner import NeuronTrainTuner


def view_of(preset: NeuronPreset) -> NeuronTrainTuner | NeuronCouplingTuner:
    """The live tuner of a NEURON preset, by its protocol, in a NEURON worker of its own."""
    tuner = NeuronCouplingTuner if preset.kind == "coupling" else NeuronTrainTuner
    return tuner.from_preset(preset)


def serve_preset(
    path: str,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
    allow_origin: tuple[str, ...] = (),
    token: bool | str | None = None,
) -> None:
    """Serve the live tuner of a NEURON preset file until interrupted; each browser
    session gets its own NEURON worker.  Access as :func:`neuntune.ui.server.serve`."""
    from .server import access, build

    preset = load_preset(path)  # a bad file stops here, before anything listens
    where = access(address, port, allow_origin, token)

    def session() -> NeuronTrainTuner | NeuronCouplingTuner:
        view = view_of(preset)
        pn.state.on_session_destroyed(lambda _context: view.close())
        return view

    server = build(session, where, show)
    if where.warning:
        print(where.warning, file=sys.stderr, flush=True)
    print(f"neuntune NEURON tuner: {where.url}  (Ctrl+C to stop)", flush=True)
    server.start()
    server.io_loop.start()
