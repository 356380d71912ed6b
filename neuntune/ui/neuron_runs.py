"""What the NEURON tuner shows of one train: BMTool's train on both streams, measured
as BMTool does, in the units the plots use."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..neuron import protocols
from ..neuron.session import NeuronSession

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
