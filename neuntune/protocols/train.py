"""The synapse train protocol (BMTool's SynapseTuner): one chemical synapse
isolated and driven by presynaptic trains, clamped (PSC) or free (PSP).

A spike source drives a copy of the synapse onto a copy of its post cell — in a
network, one of the connections it made, onto its post member with that member's
values — voltage-clamped at a holding level (the response is the clamp current, µA,
negative for EPSCs) or free (the post cell's voltage, mV).  Fits
(:func:`neuntune.fit_synapse`), the dashboard's Protocols tab and its warm-up run
the synapse this way, so a fit matches the responses the tab shows.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import analysis
from ..analysis.synapse import EVENT_METRICS
from ..circuit import Circuit
from ..engine.methods import METHODS
from ..errors import SimulationError
from ..models.neurons import SpikeSource
from ..models.stimuli import VoltageClamp
from ..simulate import Result, simulate_batch
from .defaults import DT, METHOD


@dataclass(frozen=True)
class SynapseProtocol:
    """How the isolated synapse is driven and measured.

    Presynaptic trains of ``pulses`` spikes at each of ``frequencies`` (Hz) from
    ``start`` ms, then ``recovery_pulses`` more ``recovery_delay`` ms after the last
    (BMTool: 8 at 50 Hz, 4 after 250 ms).  ``clamp``: holding potential (mV) of an
    ideal voltage clamp on the post cell (the response is the clamp current in µA,
    negative for EPSCs), or None for current clamp (the response is v, mV).
    """

    frequencies: tuple[float, ...] = (50.0,)
    pulses: int = 8
    recovery_pulses: int = 4
    recovery_delay: float = 250.0
    start: float = 50.0
    tail: float = 100.0
    clamp: float | None = -70.0
    dt: float = DT
    method: str = METHOD

    def __post_init__(self) -> None:
        """Check every field (naming it, the value and what is allowed); frequencies
        become a tuple of floats."""
        freqs = self.frequencies
        if isinstance(freqs, str) or not isinstance(freqs, Sequence | np.ndarray):
            freqs = (real(freqs, "protocol.frequencies", "Hz"),)  # one frequency given alone
        freqs = tuple(real(f, f"protocol.frequencies[{i}]", "Hz") for i, f in enumerate(freqs))
        if not freqs:
            raise ValueError("protocol.frequencies: give at least one train frequency (Hz)")
        object.__setattr__(self, "frequencies", freqs)
        for name, least in (("pulses", 2), ("recovery_pulses", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(
                    f"protocol.{name}: expected a whole number ≥ {least}, got {value!r}"
                )
            if value < least:
                why = " (the first response is measured up to the second)" if least else ""
                raise ValueError(f"protocol.{name}: {value} is not allowed; at least {least}{why}")
        for name, unit, positive in (
            ("recovery_delay", "ms", True), ("start", "ms", False), ("tail", "ms", True),
            ("dt", "ms", True),
        ):  # fmt: skip
            value = real(getattr(self, name), f"protocol.{name}", unit, positive)
            if not positive and value < 0:
                raise ValueError(f"protocol.{name}: {value:g} {unit} is not allowed; ≥ 0 {unit}")
        for f in freqs:
            if f <= 0:
                raise ValueError(f"protocol.frequencies: {f:g} Hz is not allowed; > 0 Hz")
            if 1000.0 / f <= self.dt:
                raise ValueError(
                    f"protocol.frequencies: at {f:g} Hz the pulses are {1000.0 / f:g} ms apart, "
                    f"not more than one step (dt = {self.dt:g} ms)"
                )
        if self.clamp is not None:
            real(self.clamp, "protocol.clamp", "mV (the holding potential) or None")
        if self.method not in METHODS:
            raise ValueError(f"protocol.method: {self.method!r} is not one of {', '.join(METHODS)}")

    def spikes(self, frequency: float) -> np.ndarray:
        period = 1000.0 / frequency
        train = self.start + period * np.arange(self.pulses)
        recovery = train[-1] + self.recovery_delay + period * np.arange(self.recovery_pulses)
        return np.concatenate([train, recovery])


def real(value: Any, where: str, unit: str, positive: bool = False) -> float:
    """``value`` as a finite float (> 0 if ``positive``), or an error naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: expected a number in {unit}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (positive and number <= 0):
        allowed = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{where}: {value!r} is not allowed; {allowed} ({unit})")
    return number


class SynapseEvaluator:
    """Maps parameter vectors (one row per candidate) to metric values, one batch per
    frequency, with the synapse isolated as :class:`SynapseProtocol` describes."""

    def __init__(
        self, circuit: Circuit, connection: str, protocol: SynapseProtocol, member: int = 0
    ) -> None:
        if not isinstance(connection, str) or connection not in circuit.connections:
            raise ValueError(
                f"connection: no connection named {connection!r} "
                f"(connections: {', '.join(circuit.connections) or 'none'})"
            )
        conn = circuit.connections[connection]
        if not conn.synapse.event_driven:
            raise ValueError(f"connection {connection!r}: fitting needs an event-driven synapse")
        made = circuit.size(connection)
        isolated = circuit.member(connection, member)  # checks the index, naming the connection
        self.protocol = protocol
        post = int(circuit.pairs(connection)[1][member])
        #: what is isolated, for messages: "exc->inh" or "exc->inh[3] (onto inh[7])"
        self.origin = (
            connection if made == 1 else f"{connection}[{member}] (onto {conn.post}[{post}])"
        )
        self.circuit = Circuit()
        self.circuit.add("pre", SpikeSource(protocol.spikes(protocol.frequencies[0])))
        self.circuit.add("post", circuit.member(conn.post, post))
        self.circuit.connect("pre", "post", isolated, name="syn")
        if protocol.clamp is not None:
            hold = protocol.clamp
            clamp = VoltageClamp(holding=hold, level=hold, start=0.0, stop=0.0)
            self.circuit.stimulate("post", clamp, name="clamp")
        last = protocol.spikes(min(protocol.frequencies))[-1]
        self.t_stop = last + protocol.tail
        self.n_sims = 0

    def responses(self, values: Mapping[str, np.ndarray], frequency: float) -> list[Result]:
        self.circuit.neurons["pre"].times = self.protocol.spikes(frequency)
        record = ["clamp.I"] if self.protocol.clamp is not None else ["post.v"]
        try:
            results = simulate_batch(
                self.circuit, values, self.t_stop, self.protocol.dt, self.protocol.method,
                record=record, init="rest",
            )  # fmt: skip
        except SimulationError as exc:
            if exc.variable != "rest":
                raise
            raise ValueError(
                f"{self.origin}: the post cell, alone and without input, does not come to "
                "rest (it fires or oscillates on its own), so the synapse's response to the "
                "train has no baseline; tune a connection onto a cell that rests"
            ) from None
        self.n_sims += len(results)
        return results

    def trace(self, result: Result) -> np.ndarray:
        return result.current["clamp"] if self.protocol.clamp is not None else result.v["post"]

    def metrics(
        self,
        values: Mapping[str, np.ndarray],
        wanted: Sequence[tuple[str, float]],
        times: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Metric values, shape (candidates, len(wanted)), and, given ``times`` (ms),
        each candidate's response at the first frequency sampled there."""
        n = len(next(iter(values.values())))
        out = np.full((n, len(wanted)), np.nan)
        first_frequency = self.protocol.frequencies[0]
        sampled = None if times is None else np.empty((n, len(times)))
        frequencies = {f for _, f in wanted} | ({first_frequency} if times is not None else set())
        for frequency in sorted(frequencies):
            spikes = self.protocol.spikes(frequency)
            for i, result in enumerate(self.responses(values, frequency)):
                t, y = result.t, self.trace(result)
                if sampled is not None and frequency == first_frequency:
                    sampled[i] = np.interp(times, t, y)
                if not wanted:
                    continue
                delay = (
                    values["syn.delay"][i]
                    if "syn.delay" in values
                    else self.circuit.get("syn.delay")
                )
                events = spikes + delay
                first = analysis.event_metrics(t, y, events[0], stop=events[1])
                amplitudes = analysis.train_amplitudes(t, y, events)
                train = analysis.train_metrics(amplitudes)
                for k, (metric, f) in enumerate(wanted):
                    if f != frequency:
                        continue
                    if metric in EVENT_METRICS:
                        out[i, k] = getattr(first, EVENT_METRICS[metric])
                    else:
                        out[i, k] = getattr(train, metric)
        return out, sampled
