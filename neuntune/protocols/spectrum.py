"""The coupling spectrum: CC (amplitude ratio) and phase against frequency for a
sine probe, on a copy of the circuit without its stimuli (the coupling protocol's,
:func:`~neuntune.protocols.coupling.quiet_copy`), starting at rest."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..circuit import Circuit
from ..models.stimuli import Sine
from ..simulate import simulate_batch
from .coupling import quiet_copy
from .defaults import (
    DT,
    METHOD,
    SPECTRUM_AMPLITUDE,
    SPECTRUM_CYCLES,
    SPECTRUM_SETTLE,
    SPECTRUM_TRANSIENT,
)


@dataclass
class CouplingSpectrum:
    """CC versus frequency for sinusoidal injection into the source cell.

    ``ratio``: |ΔV_target|/|ΔV_source|; ``phase``: the target's phase relative to
    the source's (degrees; negative = lag).  Gap junctions low-pass filter: the
    ratio falls with frequency as the target's membrane capacitance shunts it.
    """

    frequency: np.ndarray  # Hz
    ratio: np.ndarray
    phase: np.ndarray  # degrees


def phasor(t: np.ndarray, v: np.ndarray, frequency: float, start: float) -> complex:
    """The complex amplitude of v's component at ``frequency`` over whole cycles from ``start``."""
    period = 1000.0 / frequency
    cycles = math.floor((t[-1] - start) / period)
    keep = (t >= start) & (t < start + cycles * period)
    phase = 2 * np.pi * frequency * t[keep] / 1000.0
    y = v[keep] - v[keep].mean()
    return complex(2 * np.mean(y * np.sin(phase)), 2 * np.mean(y * np.cos(phase)))


def coupling_spectrum(
    circuit: Circuit,
    source: str,
    target: str,
    frequencies: Sequence[float] | None = None,
    amplitude: float = SPECTRUM_AMPLITUDE,
    cycles: int = SPECTRUM_CYCLES,
    settle: float = SPECTRUM_SETTLE,
    transient: float = SPECTRUM_TRANSIENT,
    dt: float = DT,
    method: str = METHOD,
) -> CouplingSpectrum:
    """Amplitude ratio and phase of the target's response to a sine of ``amplitude`` µA
    into ``source``, at each frequency (Hz; default 16 from 0.1 to 200, log-spaced).

    The sine starts after ``settle`` ms; its onset transient is skipped (one cycle,
    and at least ``transient`` ms — several membrane time constants), then ``cycles``
    whole cycles are measured.  Frequencies needing similar durations share a batch.
    """
    freqs = np.asarray(
        np.geomspace(0.1, 200.0, 16) if frequencies is None else frequencies, float
    ).ravel()
    if freqs.size == 0 or np.any(~np.isfinite(freqs)) or np.any(freqs <= 0):
        raise ValueError("frequencies: give positive numbers of Hz")
    circuit.check_cell(source, "source")
    circuit.check_cell(target, "target")
    probed = quiet_copy(circuit)
    probed.stimulate(source, Sine(amplitude=amplitude, start=settle), name="probe")
    ratio, phase = np.empty(freqs.size), np.empty(freqs.size)
    order = np.argsort(freqs)
    # group frequencies within a factor of 2 so each batch runs about as long as it needs
    groups: list[list[int]] = []
    for i in order:
        if groups and freqs[i] < 2 * freqs[groups[-1][0]]:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    for group in groups:
        slowest = freqs[group[0]]
        t_stop = settle + max(1000.0 / slowest, transient) + cycles * 1000.0 / slowest
        results = simulate_batch(
            probed, {"probe.frequency": freqs[group]}, t_stop, dt, method, record="v", init="rest"
        )
        for i, result in zip(group, results, strict=True):
            start = settle + max(1000.0 / freqs[i], transient)
            zs = phasor(result.t, result.v[source], freqs[i], start)
            zt = phasor(result.t, result.v[target], freqs[i], start)
            ratio[i] = abs(zt) / abs(zs)
            phase[i] = math.degrees(np.angle(zt / zs))
    return CouplingSpectrum(freqs, ratio, phase)
