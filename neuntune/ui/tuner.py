"""The live tuner: a Panel view of a :class:`~neuntune.ui.session.Session`.

``Tuner(preset)`` shows a toolbar (preset picker, preset upload and download, Undo,
Reset all, CSV), the controls of the preset being tuned on the left — one row per
parameter the circuit's models declare: slider, numeric entry, reset — and tabs on
the right: Traces (live plots and metrics, :mod:`neuntune.ui.view`), Fit, Scan,
Protocols and Data (:mod:`neuntune.ui.panels`).  Opening another preset rebuilds the controls, the
plots and the tabs for its circuit.  It displays in a notebook, and
``.servable()`` or :func:`neuntune.ui.server.serve` serve it; a server must build
one Tuner per session (pass a function, not an instance).

Runs, fits, scans and protocols happen on worker threads; what they report comes
back through a :class:`~neuntune.ui.dispatch.Dispatcher`, which applies it on the
session's event loop.
"""

from __future__ import annotations

import contextlib
import threading
from functools import partial
from io import StringIO
from typing import Any

import panel as pn
import param

from ..circuit import Circuit
from ..presets import Preset
from . import notebook
from .dispatch import Dispatcher
from .fit_panel import FitPanel
from .panels import DataPanel, ProtocolsPanel, ScanPanel
from .session import Session
from .state import TunerModel
from .view import TunePanel
from .widgets import message_alert, upload_button

__all__ = ["Tuner"]

TITLE = "neuntune · live tuner"
TABS = ("Traces", "Fit", "Scan", "Protocols", "Data")
#: One line for a first-time user, under the toolbar.
GUIDANCE = (
    "Drag a slider or type a value and press Enter: the plots redraw as you go (grey: the "
    "previous run). Click a cell or connection in the Circuit to open its controls; Fit, "
    "Scan and Protocols tune towards targets."
)


class Tuner(pn.viewable.Viewer):
    """The live tuner: sliders from the model declarations, live plots and metrics, and
    the Fit, Scan, Protocols and Data tabs.

    ``circuit`` is a :class:`~neuntune.Circuit` (copied: the tuner never changes
    yours), a :class:`~neuntune.Preset`, a preset name or JSON file (with its own run
    settings), or None for the Neun docs' HH gap-junction pair run for 200 ms at dt
    0.01 ms.  ``t_stop``, ``dt`` and ``method`` override the run settings.  The
    state lives in ``tuner.session`` (a :class:`~neuntune.ui.session.Session`);
    ``tuner.model`` is the preset being tuned (a :class:`TunerModel`):
    ``tuner.model.set("gj.g", 0.003)``, ``.undo()``, ``.reset()``, ``.result``,
    ``.metrics``, ``.csv()``, ``.to_preset()``.  ``warm=False`` skips compiling the
    tabs' kernels in the background; an Event means someone else compiles them and
    sets it when they are ready (:func:`~neuntune.ui.server.serve`).  A server needs
    one Tuner per session: serve a function that makes it, not an instance.
    """

    def __init__(
        self,
        circuit: Circuit | Preset | str | None = None,
        *,
        t_stop: float | None = None,
        dt: float | None = None,
        method: str | None = None,
        warm: bool | threading.Event = True,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        # Where finished work is applied (the served page, a notebook's loop, at once).
        self._dispatch = Dispatcher()
        self._layout: pn.viewable.Viewable | None = None
        given = (("t_stop", t_stop), ("dt", dt), ("method", method))
        run = {key: value for key, value in given if value is not None}
        self.session = Session(circuit, dispatch=self._dispatch, warm=warm, **run)
        self._panel = TunePanel(self.session.tuner, self.session.data, self.session.pairwise)
        self.session.param.watch(self._switched, "tuner")
        if self._dispatch.served:
            pn.state.on_session_destroyed(lambda _context: self.close())
        # The upload button's browser-side link (see _build), if built.
        self._upload_link: Any = None

    def close(self) -> None:
        """Stop everything this tuner runs and let it be collected (its page closed).

        Panel keeps a button's JavaScript links in a class-wide registry keyed
        (weakly) by the button; the upload link's arguments lead back to the button
        through this tuner, so the entry would keep the whole session alive."""
        self.session.close()
        if self._upload_link is not None:
            self._upload_link.unwatch()

    @property
    def model(self) -> TunerModel:
        """The preset being tuned (a new one after another preset is opened)."""
        return self.session.tuner

    # ------------------------------------------------------------------ presets
    def _switched(self, event: param.parameterized.Event) -> None:
        """Another preset was opened: new controls, plots and tabs for its circuit."""
        self._panel.dispose()
        self._panel = TunePanel(event.new, self.session.data, self.session.pairwise)
        if self._layout is None:
            return
        doc = self._dispatch.doc
        # One recomputation of the document's models for all the boxes refilled, not
        # one per box (each walks the whole page).
        with pn.io.hold(doc), doc.models.freeze() if doc else contextlib.nullcontext():
            self._fill()

    def _uploaded(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.session.upload(event.new, event.obj.filename or "preset.json")

    def _download(self) -> StringIO:
        name, text = self.session.download()
        self._download_button.filename = name
        return StringIO(text)

    # ------------------------------------------------------------------- layout
    def _fill(self) -> None:
        """Put the current preset's panels into the layout's boxes.

        The Fit, Scan, Protocols and Data tabs are built when first shown (a third fewer
        Bokeh models on the first page) and then stay in the page.  Panel's
        ``Tabs(dynamic=True)`` would do the first part, but it also drops a hidden
        tab's models from the document, and Panel gives a model updated outside a
        document its stylesheets' CDN URLs (no ``dist_url`` to patch them to): the
        page then fetched Panel's theme CSS from its CDN on coming back to a tab.
        """
        self._sidebar_box.objects = [self._panel.sidebar]
        self._actions_box.objects = [self._panel.actions]
        self._traces_box.objects = [self._panel.traces]
        # The preset's own tabs: rebuilt for the new preset when next shown.
        for name in ("Fit", "Scan", "Protocols"):
            self._tab_boxes[name].objects = []
            self._built.discard(name)
        self._show_tab()

    def _show_tab(self, *_events: param.parameterized.Event) -> None:
        """Build the shown tab's panel if it has not been built for this preset."""
        name = TABS[self._tabs.active]
        if name in self._built:
            return
        session = self.session
        if name == "Fit":
            panel = FitPanel(session).panel
        elif name == "Scan":
            panel = ScanPanel(session).panel
        elif name == "Protocols":
            panel = ProtocolsPanel(session).panel
        elif name == "Data":
            panel = DataPanel(session.data).panel
        else:
            return  # Traces: filled with the preset's panel
        self._tab_boxes[name].objects = [panel]
        self._built.add(name)

    def _build(self) -> pn.viewable.Viewable:
        session = self.session
        picker = pn.widgets.Select.from_param(
            session.param.preset_name, width=220, label="", css_classes=["nt-preset"]
        )
        # One "Upload preset…" button instead of the browser's "Choose File / No file
        # chosen": it opens the (hidden) file input's dialog.
        upload = pn.widgets.FileInput(
            accept=".json", multiple=False, visible=False, css_classes=["nt-upload"]
        )
        upload.param.watch(self._uploaded, "value")
        choose, self._upload_link = upload_button(
            upload, "Upload preset…",
            "Open a preset saved as JSON (from Download preset or the CLI)",
            width=140, align="center", css_classes=["nt-upload-button"],
        )  # fmt: skip
        self._download_button = pn.widgets.FileDownload(
            callback=self._download,
            filename="preset.json",
            label="Download preset",
            width=150,
            embed=False,
            align="center",
        )
        preset_error = message_alert(session.param.preset_error, "danger", "nt-preset-error")
        box = partial(pn.Column, sizing_mode="stretch_width", margin=0)
        self._sidebar_box = pn.Column(width=430, margin=0)
        self._actions_box = pn.Row(sizing_mode="stretch_width", margin=0)
        self._traces_box = box()
        self._tab_boxes = {name: box() for name in TABS[1:]}
        self._built: set[str] = set()
        self._tabs = pn.Tabs(
            ("Traces", self._traces_box),
            *self._tab_boxes.items(),
            sizing_mode="stretch_width",
        )
        self._fill()
        self._tabs.param.watch(self._show_tab, "active")
        toolbar = pn.Row(
            pn.pane.HTML(f"<h2 style='margin:0'>{TITLE}</h2>", width=250, align="center"),
            pn.pane.HTML("<b>Preset</b>", width=50, align="center"),
            picker,
            choose,
            upload,
            self._download_button,
            self._actions_box,
            sizing_mode="stretch_width",
        )
        return pn.Column(
            toolbar,
            pn.pane.HTML(f'<span class="nt-hint nt-guidance">{GUIDANCE}</span>', margin=(0, 10)),
            preset_error,
            pn.Row(self._sidebar_box, self._tabs, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        if self._layout is None:
            self._layout = self._dispatch.layout = self._build()
        return self._layout

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """The notebook output: works offline (front end inline, never from a CDN) and
        says so when its front end has not loaded (:mod:`neuntune.ui.notebook`)."""
        notebook.load_front_end()
        bundle = super()._repr_mimebundle_(include, exclude)
        return notebook.offline_bundle(self.__panel__(), bundle)
