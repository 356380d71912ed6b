"""What the NEURON pages share: their long work as a :class:`~neuntune.ui.jobs.Job`
whose Cancel also stops the NEURON run in flight (:class:`NeuronJob`), a live run that
a stray cancel stopped run again (:func:`unless_superseded`), a preset's session
(:func:`open_preset`), the pages' layout (:func:`page`), and what the train tuner
shows of one train: BMTool's train on both streams, measured as BMTool does, in the
units the plots use (:func:`measure_train`).  A job and a live run hold the session
(``NeuronSession.held``) across a set and the runs that measure it."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import panel as pn

from ..errors import SimulationError
from ..neuron import protocols
from ..neuron.preset import NeuronPreset
from ..neuron.session import NeuronSession, RunCancelled, WorkerError
from ..result import CancelledError
from .dispatch import Dispatcher
from .jobs import Job, Progress
from .runner import Ticket
from .widgets import hint

T = TypeVar("T")


class NeuronJob(Job):
    """A :class:`~neuntune.ui.jobs.Job` whose work runs in ``session``'s NEURON worker.

    Cancel (and a newer start, and close) also stops the run in flight within one chunk
    of steps (:meth:`NeuronSession.cancel`) instead of waiting for a run that may last
    seconds; a worker that stopped or timed out is the job's error, as a bad setting is.
    """

    def __init__(self, session: NeuronSession, **params: Any) -> None:
        super().__init__(**params)
        self.session = session
        self._thread: int | None = None  # the job's worker thread, once work has run

    def start(
        self, label: str, work: Callable[[Progress], T], done: Callable[[T], str | None]
    ) -> None:
        # before the newer work is queued: the signal cannot reach its runs (they start
        # on the same thread, only after the superseded work has returned)
        self._stop_run()
        super().start(label, lambda progress: self._work(work, progress), done)

    def cancel(self) -> None:
        super().cancel()
        self._stop_run()

    def close(self) -> None:
        super().close()
        self._stop_run()

    def _stop_run(self) -> None:
        if self._thread is not None:
            self.session.cancel(self._thread)  # a no-op unless this job's run is in flight

    def _work(self, work: Callable[[Progress], T], progress: Progress) -> T:
        self._thread = threading.get_ident()
        try:
            return work(progress)
        except RunCancelled:
            # progress() is True once this job was cancelled or started again: the cancel
            # was ours.  Otherwise it was meant for another thread's run and reached this
            # one (it races with the run's start): say so rather than end without a word
            if progress(self.progress):
                raise CancelledError("cancelled") from None
            raise SimulationError(
                "A NEURON run was stopped by a cancel meant for another run; start again."
            ) from None
        except WorkerError as error:  # the worker stopped or timed out: the job's error
            raise SimulationError(str(error)) from None


def unless_superseded(ticket: Ticket, run: Callable[[], T]) -> T | None:
    """``run()``, again while a cancel stops it and ``ticket`` is still current; None
    once the ticket is superseded.  A cancel meant for an older request's run can reach
    a newer one: it races with the run's start."""
    while ticket.current:
        try:
            return run()
        except RunCancelled:
            continue
    return None


def open_preset(preset: NeuronPreset, kind: str, make: Callable[[NeuronSession], T]) -> T:
    """``make(session)`` with a NEURON worker of its own for the cell of ``preset``, a
    ``kind`` preset ("train", "coupling"; ValueError otherwise); raises PresetError
    where a PARAMETER's unit is not its mod file's.  The session is closed if that or
    ``make`` fails."""
    if preset.kind != kind:
        raise ValueError(f"{preset.name}: a {preset.kind} preset; this tuner runs {kind} presets")
    session = NeuronSession(preset.cell)
    try:
        preset.check_units(session.parameters())
        return make(session)
    except BaseException:
        session.close()
        raise


def page(
    dispatch: Dispatcher,
    title: str,
    sidebar: Sequence[Any],
    about: str,
    main: Sequence[Any],
) -> pn.Row:
    """A NEURON tuner's page: the ``title`` over the ``sidebar``'s controls (380 px),
    beside a line ``about`` the protocol over ``main``; the dispatcher's layout (a
    notebook pushes it after an update from a worker thread)."""
    side = pn.Column(pn.pane.HTML(f"<b>{html.escape(title)}</b>"), *sidebar, width=380)
    body = pn.Column(hint(about), *main, sizing_mode="stretch_width")
    dispatch.layout = pn.Row(side, body, sizing_mode="stretch_width")
    return dispatch.layout


#: µA → pA
_PA = 1e6


@dataclass(frozen=True)
class TrainView:
    """What one run shows: time from the first pulse (ms), the synaptic current into
    the cell (pA) with the recovery pulses on a fresh NetCon (BMTool) and on the
    train's own stream (None in a preview, which runs BMTool's stream only), BMTool's
    amplitudes (pA) and metrics, and how it was run."""

    t: np.ndarray
    fresh: np.ndarray
    single: np.ndarray | None
    amplitudes: np.ndarray
    ppr: float
    induction: float
    recovery: float
    simple_ppr: float
    single_recovery: float | None
    preview: bool
    seconds: float


def measure_train(
    session: NeuronSession,
    settings: dict[str, Any],
    frequency: float,
    delay: float,
    preview: bool = False,
) -> TrainView:
    """Run the train with ``settings`` (``protocols.train``'s keywords) and measure it
    as BMTool does: on both streams, or for a ``preview`` (the first redraw, which
    should come quickly) on BMTool's fresh stream only."""
    began = time.perf_counter()
    fresh, single = (
        protocols.bmtool_train(
            session, frequency=frequency, recovery_delay=delay, stream=stream, **settings
        )
        if stream == "fresh" or not preview
        else None
        for stream in ("fresh", "single")
    )
    m = fresh.metrics
    return TrainView(
        t=fresh.run.result.t - fresh.run.spikes[0],
        fresh=_PA * fresh.run.result.current["syn"],
        single=None if single is None else _PA * single.run.result.current["syn"],
        amplitudes=1e3 * fresh.amplitudes,
        ppr=m.ppr,
        induction=m.induction,
        recovery=m.recovery,
        simple_ppr=m.simple_ppr,
        single_recovery=None if single is None else single.metrics.recovery,
        preview=preview,
        seconds=time.perf_counter() - began,
    )
