"""Serving NEURON cells: a NEURON preset's live tuner (the one its protocol calls for),
or a BMTK network's connections tuned in context (``neuntune serve FILE``); one NEURON
worker per browser session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import panel as pn

from ..neuron.bmtk import BMTKNetwork
from ..neuron.preset import NeuronPreset, load_preset
from ..neuron.protocols import StepSettings
from ..neuron.session import NeuronSession
from .neuron_coupling import NeuronCouplingTuner
from .neuron_tuner import NeuronTrainTuner
from .widgets import html_pane, status_html


class NetworkTuner(pn.viewable.Viewer):
    """A connection of a BMTK network tuned in context: its target cell and synapse as
    bionet builds them (NetCon weight ``syn_weight``, the edge's delay) under BMTool's
    train and clamp, or a gap junction's two cells (``Gap.g`` = ``syn_weight``) under
    BMTool's current step; a button writes the tuned values back: a synapse's into its
    ``dynamics_params`` JSON (:meth:`~neuntune.neuron.bmtk.BMTKNetwork.write_back`), a
    gap junction's g where the network keeps it
    (:meth:`~neuntune.neuron.bmtk.BMTKNetwork.write_gap_conductance`)."""

    def __init__(self, network: BMTKNetwork, connection: str | None = None) -> None:
        super().__init__()
        self.network = network
        names = network.synapses() + network.gap_junctions()
        if not names:
            raise ValueError(f"{network.path}: the network has no connections to tune")
        self.picker = pn.widgets.Select(
            label="Connection", options=names, value=connection or names[0], width=250
        )
        self.picker.param.watch(lambda _e: self._switch(), "value")
        self.save_button = pn.widgets.Button(label="Write back to the network", width=220)
        self.save_button.on_click(lambda _e: self.write_back())
        self.saved = html_pane(css_classes=["nt-network-saved"])
        self.box = pn.Column(sizing_mode="stretch_width")
        self.tuner: NeuronTrainTuner | NeuronCouplingTuner | None = None
        self._open()

    def _open(self) -> None:
        if self.tuner is not None:
            self.tuner.close()
        name = self.picker.value
        conn = self.network.connection(name)
        session = NeuronSession(self.network.cell_spec(name))
        try:
            if conn.gap:
                self.tuner = NeuronCouplingTuner(
                    session, asdict(StepSettings()), "g", f"{name} (bionet's Gap)",
                    owns_session=True,
                )  # fmt: skip
            else:
                settings = {"start": 500.0, "clamp": -70.0, "netcon_delay": conn.delay,
                            "weight": conn.syn_weight, "dt": 0.025, "celsius": 20.0}  # fmt: skip
                self.tuner = NeuronTrainTuner(
                    session, settings, title=f"{name} (bionet's weights)", owns_session=True
                )
        except BaseException:
            session.close()
            raise
        self.saved.object = ""
        self.box.objects = [self.tuner]

    def _switch(self) -> None:
        """Open the picked connection; one NEURON cannot build (a missing template, a
        JSON key that is not a PARAMETER) is said beside the picker, and the page stays."""
        try:
            self._open()
        except (ValueError, OSError, RuntimeError) as error:
            self.tuner = None
            self.box.objects = []
            self.saved.object = status_html(f"{self.picker.value}: {error}", error=True)

    def write_back(self) -> None:
        """Write the tuned values into the connection's JSON; say where, or why not."""
        if self.tuner is None:
            return
        name, params = self.picker.value, self.tuner.session.params
        try:
            if self.network.connection(name).gap:
                path = self.network.write_gap_conductance(name, params["g"])
            else:
                path = self.network.write_back(name, params)
        except (ValueError, OSError) as error:
            self.saved.object = status_html(str(error), error=True)
            return
        self.saved.object = status_html(f"written to {path} (the file before: {path.name}.bak…)")

    def close(self) -> None:
        if self.tuner is not None:
            self.tuner.close()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(self.picker, self.save_button, self.saved),
            self.box,
            sizing_mode="stretch_width",
        )


def _opened(make: Callable[[], Any]) -> pn.viewable.Viewable:
    """One browser session's view, closed with the session; a cell NEURON cannot build
    (a mod file that does not compile, a template or PARAMETER that is not there, a
    worker that stopped) gives a page that says so, and the server keeps serving."""
    try:
        view = make()
    except (ValueError, OSError, RuntimeError) as error:  # SpecError, build and worker errors
        return pn.pane.Alert(
            f"**This cell could not be opened in NEURON.**\n\n```\n{error}\n```",
            alert_type="danger",
            sizing_mode="stretch_width",
        )
    pn.state.on_session_destroyed(lambda _context: view.close())
    return view


def view_of(preset: NeuronPreset) -> NeuronTrainTuner | NeuronCouplingTuner:
    """The live tuner of a NEURON preset, by its protocol, in a NEURON worker of its own."""
    tuner = NeuronCouplingTuner if preset.kind == "coupling" else NeuronTrainTuner
    return tuner.from_preset(preset)


def serve_network(config: str, **where: Any) -> None:
    """Serve the network tuner of a BMTK config until interrupted (one NEURON worker
    per browser session and connection).  ``where``: :func:`neuntune.ui.server.serve`'s
    port, address, show, allow_origin and token."""
    network = BMTKNetwork(config)  # a bad config stops here, before anything listens
    label = f"neuntune network tuner ({len(network.connections)} connections)"
    _serve(lambda: _opened(lambda: NetworkTuner(BMTKNetwork(config))), label, **where)


def serve_preset(path: str, **where: Any) -> None:
    """Serve the live tuner of a NEURON preset file until interrupted; each browser
    session gets its own NEURON worker.  ``where`` as :func:`serve_network`'s."""
    preset = load_preset(path)  # a bad file stops here, before anything listens
    _serve(lambda: _opened(lambda: view_of(preset)), "neuntune NEURON tuner", **where)


def _serve(
    session: Callable[[], pn.viewable.Viewable],
    label: str,
    port: int = 5006,
    address: str = "127.0.0.1",
    show: bool = False,
    allow_origin: tuple[str, ...] = (),
    token: bool | str | None = None,
) -> None:
    from .server import access, build, run

    where = access(address, port, allow_origin, token)
    run(build(session, where, show), where, label)
