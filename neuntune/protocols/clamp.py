"""Current-clamp step protocols on one cell of a circuit: rheobase and the f–I curve,
by simulating.

Each runs on a copy of the circuit with all its stimuli removed (connections and
spike sources stay) and one current step into the cell (:class:`StepProtocol`); the
caller's circuit is never changed.  Units: mV, ms, µA; rates in Hz.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..circuit import Circuit
from ..models import Step
from ..simulate import simulate


class StepProtocol:
    """A copy of a circuit with every stimulus removed and one current step into ``cell``,
    run at chosen amplitudes; the caller's circuit is never changed."""

    def __init__(
        self,
        circuit: Circuit,
        cell: str,
        delay: float,
        duration: float,
        dt: float,
        method: str,
        init: str | Mapping[str, float],
    ) -> None:
        if cell not in circuit.neurons:
            raise ValueError(
                f"cell: {cell!r} is not a cell of the circuit (cells: {', '.join(circuit.neurons)})"
            )
        if not (np.isfinite(delay) and delay >= 0):
            raise ValueError(f"delay: {delay!r} ms is not allowed; it must be ≥ 0 ms")
        if not (np.isfinite(duration) and duration > 0):
            raise ValueError(f"duration: {duration!r} ms is not allowed; it must be > 0 ms")
        self.circuit = circuit.copy()
        for name in list(self.circuit.stimuli):
            self.circuit.remove(name)
        step = Step(amplitude=0.0, start=delay, stop=delay + duration)
        self.amplitude = self.circuit.stimulate(cell, step) + ".amplitude"
        self.cell, self.delay, self.duration = cell, delay, duration
        self.options = {"dt": dt, "method": method, "init": init}

    def spikes(self, amplitude: float) -> np.ndarray:
        """Spike times (ms after the step's onset) of the cell during a step of ``amplitude`` µA."""
        self.circuit.set(self.amplitude, float(amplitude))
        # only spikes are needed: they are detected at every step even when nothing is recorded
        res = simulate(self.circuit, self.delay + self.duration, record=[], **self.options)
        spikes = res.spikes[self.cell]
        return spikes[spikes >= self.delay] - self.delay

    def fires(self, amplitude: float) -> bool:
        """Whether a step of ``amplitude`` µA makes the cell spike at least once."""
        return len(self.spikes(amplitude)) > 0


def rheobase(
    circuit: Circuit,
    cell: str,
    *,
    duration: float = 500.0,
    delay: float = 10.0,
    bracket: tuple[float, float] | None = None,
    rtol: float = 1e-3,
    max_amplitude: float = 100.0,
    dt: float = 0.01,
    method: str = "rk4",
    init: str | Mapping[str, float] = "rest",
) -> float:
    """Smallest step amplitude (µA) that makes ``cell`` spike at least once during a
    step of ``duration`` ms, found by bisection on simulations.

    The protocol runs on a copy of ``circuit`` with all its stimuli removed (connections
    and spike sources stay): ``init`` (default: the resting state), then a step from
    ``delay`` (ms) for ``duration`` ms.  ``bracket=(low, high)`` (µA) must hold a
    non-spiking ``low`` and a spiking ``high``; by default it is found by doubling from
    1e-3 µA up to ``max_amplitude``.  Bisection stops when the bracket is narrower
    than ``rtol`` times its top; the top (a spiking amplitude) is returned, so
    ``amplitude·(1 − rtol)`` does not spike.  ``dt`` (ms) and ``method`` go to
    :func:`~neuntune.simulate`.
    """
    if not 0 < rtol < 1:
        raise ValueError(f"rtol: {rtol!r} is not allowed; it must be between 0 and 1")
    run = StepProtocol(circuit, cell, delay, duration, dt, method, init)
    fires = run.fires
    if bracket is None:
        if fires(0.0):
            raise ValueError(f"cell: {cell!r} spikes without input, so it has no rheobase")
        low, high = 0.0, min(1e-3, max_amplitude)
        while not fires(high):
            if high >= max_amplitude:
                raise ValueError(
                    f"max_amplitude: no step up to {max_amplitude:g} µA makes {cell!r} spike; "
                    "raise max_amplitude or check the cell"
                )
            low, high = high, min(2 * high, max_amplitude)
    else:
        low, high = (float(b) for b in bracket)
        if not 0 <= low < high:
            raise ValueError(f"bracket: ({low:g}, {high:g}) µA must satisfy 0 ≤ low < high")
        if fires(low):
            raise ValueError(f"bracket: {cell!r} already spikes at the low end, {low:g} µA")
        if not fires(high):
            raise ValueError(f"bracket: {cell!r} does not spike at the high end, {high:g} µA")
    while high - low > rtol * high:
        mid = 0.5 * (low + high)
        low, high = (low, mid) if fires(mid) else (mid, high)
    return high


@dataclass(frozen=True, eq=False)
class FICurve:
    """Firing rate against step amplitude.

    ``amplitude`` (µA), ``rate`` (Hz, spikes counted from ``skip`` ms after the step's
    onset to its end), ``spikes``: each run's spike times (ms after the step's onset).
    """

    amplitude: np.ndarray
    rate: np.ndarray
    spikes: list[np.ndarray]


def fi_curve(
    circuit: Circuit,
    cell: str,
    amplitudes: ArrayLike,
    *,
    duration: float = 500.0,
    delay: float = 10.0,
    skip: float = 0.0,
    dt: float = 0.01,
    method: str = "rk4",
    init: str | Mapping[str, float] = "rest",
) -> FICurve:
    """Firing rate (Hz) of ``cell`` for current steps of each of ``amplitudes`` (µA).

    Same protocol as :func:`rheobase` (a copy of the circuit without its stimuli, one
    step of ``duration`` ms from ``delay`` ms).  The rate counts the spikes from
    ``skip`` ms after the onset to the end of the step, so ``skip`` can exclude onset
    transients and adaptation (e.g. the single onset spike of a class-2 cell such as HH).
    """
    amplitudes = np.atleast_1d(np.asarray(amplitudes, dtype=np.float64))
    if amplitudes.ndim != 1 or not np.all(np.isfinite(amplitudes)):
        raise ValueError("amplitudes: expected a 1-D sequence of finite currents in µA")
    run = StepProtocol(circuit, cell, delay, duration, dt, method, init)
    if not 0 <= skip < duration:
        raise ValueError(f"skip: {skip!r} ms is not allowed; allowed: 0 ≤ skip < {duration:g} ms")
    spikes = [run.spikes(a) for a in amplitudes]
    rate = np.array([1000.0 * np.count_nonzero(s >= skip) / (duration - skip) for s in spikes])
    return FICurve(amplitudes, rate, spikes)
