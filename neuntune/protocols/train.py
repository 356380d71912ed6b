"""The synapse train protocol (BMTool's SynapseTuner): one chemical synapse
isolated and driven by presynaptic trains, clamped (PSC) or free (PSP).

A spike source drives a copy of the synapse onto a copy of its post cell — in a
network, one of the connections it made, onto its post member with that member's
values — voltage-clamped at a holding level (the response is the clamp current, µA,
negative for EPSCs) or free (the post cell's voltage, mV).  Fits
(:func:`neuntune.fit_synapse`), the dashboard's Protocols tab and its warm-up run
the synapse this way, so a fit matches the responses the tab shows.

Two conventions measure the train (``SynapseProtocol.convention``): neuntune's
(each pulse's amplitude from the level just before it, on the response trace:
:func:`neuntune.analysis.train_amplitudes`) and BMTool 0.8.7's
(:mod:`neuntune.analysis.bmtool`: the synaptic current against one baseline at the
first spike, normalised by the 90th percentile of all 12 peaks).  BMTool also wires
the train differently: its 4 recovery pulses come through a second NetCon, so pulse 9
meets fresh short-term-plasticity state (``recovery_stream="fresh"``) and BMTool's
recovery is ≈ 0 whatever the depression; on one stream (``"single"``) they meet the
state the train left, as at a real synapse.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import analysis
from ..analysis.bmtool import bmtool_amplitudes, bmtool_train_metrics
from ..analysis.synapse import EVENT_METRICS
from ..analysis.train import TrainMetrics
from ..circuit import Circuit
from ..engine.methods import METHODS
from ..errors import SimulationError
from ..models.neurons import SpikeSource
from ..models.stimuli import VoltageClamp
from ..simulate import Result, simulate_batch
from .defaults import DT, METHOD

#: How the train is measured: neuntune's definitions, or BMTool 0.8.7's SynapseTuner's.
NEUNTUNE, BMTOOL = "neuntune", "bmtool"
CONVENTIONS = (NEUNTUNE, BMTOOL)
#: Where the recovery pulses arrive: on the train's own spike stream, or on a second
#: one with fresh short-term-plasticity state (BMTool's second NetCon).
SINGLE, FRESH = "single", "fresh"
RECOVERY_STREAMS = (SINGLE, FRESH)
#: Each convention's recovery stream unless the protocol names one.
DEFAULT_STREAM = {NEUNTUNE: SINGLE, BMTOOL: FRESH}
#: The isolated synapse's second copy, which carries the recovery pulses on a fresh stream.
RECOVERY_SYNAPSE = "syn_recovery"


@dataclass(frozen=True)
class SynapseProtocol:
    """How the isolated synapse is driven and measured.

    Presynaptic trains of ``pulses`` spikes at each of ``frequencies`` (Hz) from
    ``start`` ms, then ``recovery_pulses`` more ``recovery_delay`` ms after the last
    (BMTool: 8 at 50 Hz, 4 after 250 ms).  ``clamp``: holding potential (mV) of an
    ideal voltage clamp on the post cell (the response is the clamp current in µA,
    negative for EPSCs), or None for current clamp (the response is v, mV).

    ``convention``: "neuntune" measures each amplitude from the level just before its
    pulse on the response (clamp current or v); "bmtool" measures as BMTool 0.8.7's
    SynapseTuner does, on the synaptic current (NEURON's ``syn.i``), from one baseline
    at the first spike, in windows starting at each arrival, with PPR, induction and
    recovery divided by the 90th percentile of all the amplitudes
    (:mod:`neuntune.analysis.bmtool`).  ``recovery_stream``: "single" sends the
    recovery pulses down the train's own stream (what a real synapse sees); "fresh"
    through a second copy of the synapse onto the same cell, with fresh plasticity
    state and the first copy's values (BMTool's second NetCon); None (the default):
    the convention's, "single" for neuntune and "fresh" for BMTool (:attr:`stream`).
    Single-event metrics (peak, latency, …) are neuntune's in both conventions.
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
    convention: str = NEUNTUNE
    recovery_stream: str | None = None

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
        if self.convention not in CONVENTIONS:
            raise ValueError(
                f"protocol.convention: {self.convention!r} is not allowed; one of 'neuntune' "
                "(amplitudes from the level before each pulse) or 'bmtool' (BMTool 0.8.7's "
                "SynapseTuner metrics)"
            )
        if self.recovery_stream is not None and self.recovery_stream not in RECOVERY_STREAMS:
            raise ValueError(
                f"protocol.recovery_stream: {self.recovery_stream!r} is not allowed; one of "
                "'single' (the recovery pulses on the train's stream), 'fresh' (on a second "
                "stream with fresh plasticity state, as BMTool wires them) or None (the "
                "convention's)"
            )

    @property
    def stream(self) -> str:
        """The recovery stream in use: ``recovery_stream``, or the convention's."""
        return self.recovery_stream or DEFAULT_STREAM[self.convention]

    def spikes(self, frequency: float) -> np.ndarray:
        """Presynaptic spike times (ms) of the train at ``frequency`` (Hz), then the
        recovery pulses; they arrive ``delay`` ms later."""
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
    frequency, with the synapse isolated as :class:`SynapseProtocol` describes.

    Its circuit: ``pre`` (a spike source) drives ``syn`` onto ``post``, clamped by
    ``clamp`` if the protocol clamps; on a fresh recovery stream ``pre_recovery``
    drives ``syn_recovery``, a second copy of the synapse, with the recovery pulses
    (its values follow ``syn``'s: give them as ``syn.*``)."""

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
        self.fresh = protocol.stream == FRESH and protocol.recovery_pulses > 0
        #: the isolated synapses (each one's current is recorded under its name)
        self.synapses = ["syn", RECOVERY_SYNAPSE] if self.fresh else ["syn"]
        self.circuit = Circuit()
        self.circuit.add("pre", SpikeSource([]))
        self.circuit.add("post", circuit.member(conn.post, post))
        self.circuit.connect("pre", "post", isolated, name="syn")
        if self.fresh:
            self.circuit.add("pre_recovery", SpikeSource([]))
            self.circuit.connect("pre_recovery", "post", isolated.copy(), name=RECOVERY_SYNAPSE)
        self._set_times(protocol.frequencies[0])
        if protocol.clamp is not None:
            hold = protocol.clamp
            clamp = VoltageClamp(holding=hold, level=hold, start=0.0, stop=0.0)
            self.circuit.stimulate("post", clamp, name="clamp")
        slowest = min(protocol.frequencies)
        last = protocol.spikes(slowest)[-1]
        tail = protocol.tail
        if protocol.convention == BMTOOL:  # BMTool's last window ends one interval on
            tail = max(tail, 1000.0 / slowest)
        self.t_stop = last + tail
        self.n_sims = 0

    def _set_times(self, frequency: float) -> None:
        spikes = self.protocol.spikes(frequency)
        if self.fresh:
            self.circuit.neurons["pre"].times = spikes[: self.protocol.pulses]
            self.circuit.neurons["pre_recovery"].times = spikes[self.protocol.pulses :]
        else:
            self.circuit.neurons["pre"].times = spikes

    def responses(self, values: Mapping[str, np.ndarray], frequency: float) -> list[Result]:
        self._set_times(frequency)
        record = ["clamp.I"] if self.protocol.clamp is not None else ["post.v"]
        if self.protocol.convention == BMTOOL:
            record += [f"{synapse}.I" for synapse in self.synapses]
        if self.fresh:  # one synapse, two streams: the copy takes the same values
            copy = {
                f"{RECOVERY_SYNAPSE}.{key.removeprefix('syn.')}": value
                for key, value in values.items()
                if key.startswith("syn.")
            }
            values = {**values, **copy}
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

    def train(
        self, result: Result, frequency: float, delay: float
    ) -> tuple[np.ndarray, TrainMetrics]:
        """Per-pulse amplitudes and the train's metrics, under the protocol's convention.

        neuntune's: signed amplitudes of :meth:`trace` (µA or mV) from the level just
        before each arrival (spike + ``delay`` ms).  BMTool's: the amplitudes
        ``SynapseTuner`` reports, in µA (its nA × 1e-3) and its signs (positive when
        the response goes its main way), of the synaptic current; ``paired_pulse_ratio``
        is its simple PPR, ``steady_ratio`` mean A6–8 / A1 of these amplitudes and
        ``p90`` in µA.
        """
        spikes = self.protocol.spikes(frequency)
        if self.protocol.convention == NEUNTUNE:
            amplitudes = analysis.train_amplitudes(result.t, self.trace(result), spikes + delay)
            return amplitudes, analysis.train_metrics(amplitudes)
        dt = self.protocol.dt
        stop = spikes[-1] + 1000.0 / frequency  # BMTool's h.tstop
        # NEURON's syn.i, sampled from t = 0 up to BMTool's tstop: outward positive, so
        # minus the current into the cell (µA), summed over the two streams' copies
        current = -sum(result.current[synapse] for synapse in self.synapses)
        current = current[: round(stop / dt) + 1]
        amplitudes = bmtool_amplitudes(current, spikes, dt, delay=delay, t_stop=stop)
        bmtool = bmtool_train_metrics(amplitudes, scale=1.0)
        steady = float(np.mean(amplitudes[5:8]) / amplitudes[0]) if len(amplitudes) >= 8 else np.nan
        return amplitudes, TrainMetrics(
            paired_pulse_ratio=bmtool.simple_ppr,
            ppr=bmtool.ppr,
            induction=bmtool.induction,
            recovery=bmtool.recovery,
            steady_ratio=steady,
            p90=bmtool.p90,
        )

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
                _, train = self.train(result, frequency, delay)
                for k, (metric, f) in enumerate(wanted):
                    if f != frequency:
                        continue
                    if metric in EVENT_METRICS:
                        out[i, k] = getattr(first, EVENT_METRICS[metric])
                    else:
                        out[i, k] = getattr(train, metric)
        return out, sampled
