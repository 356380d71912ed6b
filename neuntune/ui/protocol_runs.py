"""The Protocols tab's models: runs of the train protocol on a chemical synapse
(:mod:`neuntune.protocols.train`, BMTool's) and of the coupling spectrum of a gap
junction (:mod:`neuntune.protocols.spectrum`); no panel here.

The synapse is isolated as :class:`neuntune.protocols.train.SynapseEvaluator` does it
for fits — a spike source drives a copy of it onto a copy of its post cell, voltage-
clamped at a holding level (PSC) or free (PSP) — so the responses shown here are
the ones a synapse fit matches.  :class:`SynapseSettings` is shared by the protocol
runs and the synapse fit for that reason.  Its ``convention`` follows the preset's
train measurement of the chosen connection (BMTool's for the ``bmtool_*`` presets).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields

import numpy as np
import param

from ..analysis import FrequencyResponse
from ..analysis.synapse import TRAIN_FIELDS, defined
from ..analysis.train import TrainMetrics
from ..circuit import Circuit
from ..presets import Preset
from ..protocols.spectrum import CouplingSpectrum, coupling_spectrum
from ..protocols.train import (
    CONVENTIONS,
    NEUNTUNE,
    SINGLE,
    SynapseEvaluator,
    SynapseProtocol,
)
from ..simulate import CancelledError, Result
from .jobs import Job, Progress
from .metrics import SynapseResponse, chemical_connections, clamp_on, synapse_response
from .state import TunerModel

VOLTAGE_CLAMP = "voltage clamp (PSC)"
CURRENT_CLAMP = "current clamp (PSP)"


class SynapseSettings(param.Parameterized):
    """How an isolated chemical synapse is driven and recorded: which connection,
    voltage clamp at a holding level (the response is the clamp current, µA,
    negative for EPSCs) or current clamp (the post cell's voltage, mV), the
    frequency of BMTool's train (8 pulses, 4 more 250 ms after the 8th) and how it is
    measured (``convention``: see :class:`~neuntune.protocols.train.SynapseProtocol`;
    the recovery stream follows it unless the preset names one for it)."""

    connection = param.Selector(default=None, objects=[], doc="the chemical synapse")
    mode = param.Selector(default=VOLTAGE_CLAMP, objects=[VOLTAGE_CLAMP, CURRENT_CLAMP])
    holding = param.Number(default=-70.0, label="Holding (mV)", doc="voltage-clamp level")
    frequency = param.Number(
        default=50.0, bounds=(0.1, 1000.0), label="Train frequency (Hz)", doc="pulses per second"
    )
    convention = param.Selector(
        default=NEUNTUNE, objects=list(CONVENTIONS), doc="neuntune's metrics or BMTool's"
    )

    def __init__(self, circuit: Circuit, **params) -> None:
        super().__init__(**params)
        self._preset: Preset | None = None
        self.param.watch(self._follow_preset, "connection")
        names = chemical_connections(circuit)
        self.param.connection.objects = names
        if names:
            self.connection = names[0]
            # Start as the circuit is recorded: clamped at its clamp's holding level, or free.
            post = circuit.connections[names[0]].post
            clamp = clamp_on(circuit, post)
            if clamp is None:
                self.mode = CURRENT_CLAMP
            else:
                self.holding = circuit.get(f"{clamp}.holding")

    @property
    def clamped(self) -> bool:
        return self.mode == VOLTAGE_CLAMP

    @property
    def kind(self) -> tuple[str, str]:
        """("PSC", "uA") under voltage clamp, ("PSP", "mV") otherwise."""
        return ("PSC", "uA") if self.clamped else ("PSP", "mV")

    def follow(self, preset: Preset) -> None:
        """Measure each connection as ``preset``'s train measurement of it says (its
        convention now and whenever that connection is chosen)."""
        self._preset = preset
        self._follow_preset()

    def _follow_preset(self, *_events: param.parameterized.Event) -> None:
        if self._preset is not None and self.connection is not None:
            self.convention = self._preset.synapse_protocol(self.connection).convention

    def protocol(self, frequency: float | None = None) -> SynapseProtocol:
        """BMTool's train protocol at ``frequency`` (default: the chosen one), measured
        by ``convention``: on the preset's recovery stream while that is the preset's
        convention, else on the convention's own."""
        stream = None  # the convention's, unless the preset names one for its convention
        if self._preset is not None and self.connection is not None:
            named = self._preset.synapse_protocol(self.connection)
            if named.convention == self.convention:
                stream = named.recovery_stream
        return SynapseProtocol(
            frequencies=(float(frequency or self.frequency),),
            clamp=self.holding if self.clamped else None,
            convention=self.convention,
            recovery_stream=stream,
        )


@dataclass
class TrainRun:
    """The isolated synapse's response to one train: trace, event times and metrics
    (amplitudes and train metrics under ``convention``).  ``single_stream_recovery``:
    when the recovery pulses came on a fresh stream, the recovery the same metrics
    give with them on the train's own stream (what a real synapse does), else None."""

    frequency: float
    t: np.ndarray
    y: np.ndarray
    events: np.ndarray
    response: SynapseResponse
    convention: str = NEUNTUNE
    single_stream_recovery: float | None = None


@dataclass
class ProtocolTrain:
    """One simulated train of the protocol: time (ms), response (µA or mV) and arrival
    times (ms), measured on demand (:meth:`measure`)."""

    t: np.ndarray
    y: np.ndarray
    events: np.ndarray
    evaluator: SynapseEvaluator
    result: Result
    delay: float

    def measure(self) -> tuple[np.ndarray, TrainMetrics]:
        """Per-pulse amplitudes and train metrics under the protocol's convention."""
        frequency = self.evaluator.protocol.frequencies[0]
        return self.evaluator.train(self.result, frequency, self.delay)


def protocol_train(circuit: Circuit, connection: str, protocol: SynapseProtocol) -> ProtocolTrain:
    """``connection`` isolated and driven by ``protocol``'s first train, simulated (and
    measured) exactly as :func:`~neuntune.fit_synapse` does it."""
    evaluator = SynapseEvaluator(circuit, connection, protocol)
    frequency = protocol.frequencies[0]
    delay = evaluator.circuit.get("syn.delay")  # the isolated connection's own
    (result,) = evaluator.responses({"syn.delay": np.array([delay])}, frequency)
    events = protocol.spikes(frequency) + delay
    return ProtocolTrain(result.t, evaluator.trace(result), events, evaluator, result, delay)


def train_run(
    circuit: Circuit, connection: str, protocol: SynapseProtocol, kind: str, unit: str
) -> TrainRun:
    """The Protocols tab's train: the response's shape (neuntune's single-event
    metrics), its amplitudes and train metrics under the protocol's convention and,
    with the recovery pulses on a fresh stream, the single-stream recovery beside."""
    train = protocol_train(circuit, connection, protocol)
    # neuntune's metrics, or why they are undefined; BMTool's are defined (NaN at worst)
    response = synapse_response(train.t, train.y, train.events, kind, unit)
    if protocol.convention != NEUNTUNE:
        amplitudes, metrics = train.measure()
        response.amplitudes = [float(a) for a in amplitudes]
        response.train = {key: defined(getattr(metrics, key)) for key in TRAIN_FIELDS}
    single = None
    if train.evaluator.fresh:
        alone = dataclasses.replace(protocol, recovery_stream=SINGLE)
        single = defined(protocol_train(circuit, connection, alone).measure()[1].recovery)
    return TrainRun(
        protocol.frequencies[0], train.t, train.y, train.events, response,
        protocol.convention, single,
    )  # fmt: skip


def recovery_note(single_stream_recovery: float | None) -> str:
    """One line on why a fresh-stream recovery differs from a real synapse's, given the
    recovery measured on one stream ("" when there is none: the recovery pulses came on
    the train's own stream)."""
    if single_stream_recovery is None:
        return ""
    return (
        f"Recovery with pulses 9–12 on the train's own stream (what a real synapse does): "
        f"{single_stream_recovery:.3g}. BMTool sends them through a fresh NetCon, so "
        "its recovery above is ≈ 0 by construction."
    )


def by_frequency(runs: dict[float, ProtocolTrain]) -> FrequencyResponse:
    """The train metrics of ``runs`` (by frequency, Hz) against frequency."""
    frequency = sorted(runs)
    measured = [runs[f].measure() for f in frequency]
    columns = {
        field.name: np.array([getattr(metrics, field.name) for _, metrics in measured])
        for field in fields(TrainMetrics)
    }
    return FrequencyResponse(np.array(frequency), [a for a, _ in measured], **columns)


def parse_frequencies(text: str) -> list[float]:
    """Frequencies (Hz) from "1, 2, 5 10" (commas or spaces), sorted, without repeats,
    each finite and > 0.  Raises ValueError naming the first entry that is not."""
    values: set[float] = set()
    for part in text.replace(",", " ").split():
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"frequencies: {part!r} is not a number of Hz") from None
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"frequencies: {part!r} is not a frequency > 0 Hz")
        values.add(value)
    if not values:
        raise ValueError("frequencies: give one or more frequencies > 0 Hz")
    return sorted(values)


class SynapseProtocolModel(Job):
    """Runs the isolated synapse: one train (PSP/PSC shape, PPR, induction, recovery)
    or the frequency response (train metrics at each frequency)."""

    frequencies = param.String(
        default="1, 2, 5, 10, 20, 50, 100, 200", label="Frequencies (Hz)", doc="for the response"
    )
    train = param.ClassSelector(class_=TrainRun, default=None, allow_None=True)
    response = param.ClassSelector(class_=FrequencyResponse, default=None, allow_None=True)

    def __init__(self, tuner: TunerModel, settings: SynapseSettings, **params) -> None:
        super().__init__(**params)
        self.tuner = tuner
        self.settings = settings
        # The session builds the settings from the circuit; the preset says how its
        # connections are measured (shared with the synapse fit).
        settings.follow(tuner.preset)

    def run_train(self) -> None:
        """Simulate one train at the chosen frequency (on the worker thread)."""
        circuit, connection = self.tuner.circuit.copy(), self.settings.connection
        protocol = self.settings.protocol()
        kind, unit = self.settings.kind

        def work(progress: Progress) -> TrainRun:
            progress(0.0)
            return train_run(circuit, connection, protocol, kind, unit)

        def done(run: TrainRun) -> str:
            self.train = run
            return f"{connection}: {run.response.events} events at {run.frequency:g} Hz"

        self.start("Running the train", work, done)

    def run_frequency_response(self) -> None:
        """Simulate a train at each frequency and measure its plasticity metrics."""
        circuit, connection = self.tuner.circuit.copy(), self.settings.connection
        try:
            frequencies = parse_frequencies(self.frequencies)
        except ValueError as exc:
            self.refuse(str(exc))
            return
        protocols = [self.settings.protocol(f) for f in frequencies]

        def work(progress: Progress) -> FrequencyResponse:
            runs = {}
            for i, protocol in enumerate(protocols):
                if progress(i / len(protocols)):
                    raise CancelledError("frequency response cancelled")
                runs[protocol.frequencies[0]] = protocol_train(circuit, connection, protocol)
            return by_frequency(runs)

        def done(response: FrequencyResponse) -> str:
            self.response = response
            return f"{connection}: {len(frequencies)} frequencies"

        self.start("Measuring the frequency response", work, done)


class SpectrumModel(Job):
    """The coupling spectrum of a gap junction: CC (amplitude ratio) and phase of the
    target's response to a small sine into the source, against frequency."""

    junction = param.Selector(default=None, objects=[], doc="the electrical connection")
    reverse = param.Boolean(default=False, label="post → pre", doc="probe the post cell instead")
    f_min = param.Number(default=1.0, bounds=(0.01, None), label="From (Hz)")
    f_max = param.Number(default=200.0, bounds=(0.01, None), label="To (Hz)")
    count = param.Integer(default=12, bounds=(2, 60), label="Frequencies")
    result = param.ClassSelector(class_=CouplingSpectrum, default=None, allow_None=True)

    def __init__(self, tuner: TunerModel, junctions: list[str], **params) -> None:
        super().__init__(**params)
        self.tuner = tuner
        self.param.junction.objects = junctions
        if junctions:
            self.junction = junctions[0]

    def direction(self) -> tuple[str, str]:
        """(source, target) cells of the chosen junction and direction."""
        conn = self.tuner.circuit.connections[self.junction]
        return (conn.post, conn.pre) if self.reverse else (conn.pre, conn.post)

    def run(self) -> None:
        """Measure the spectrum, one frequency at a time so that it can be cancelled."""
        if not 0 < self.f_min < self.f_max:
            self.refuse("Frequencies: 'From' must be below 'To', both > 0 Hz.")
            return
        circuit = self.tuner.circuit.copy()
        source, target = self.direction()
        frequencies = np.geomspace(self.f_min, self.f_max, self.count)

        def work(progress: Progress) -> CouplingSpectrum:
            parts = []
            # Slowest last: the first points appear quickly; each call is one short batch.
            for i, frequency in enumerate(frequencies[::-1]):
                if progress(i / len(frequencies)):
                    raise CancelledError("coupling spectrum cancelled")
                parts.append(coupling_spectrum(circuit, source, target, [frequency]))
            parts.reverse()
            return CouplingSpectrum(
                frequencies,
                np.concatenate([p.ratio for p in parts]),
                np.concatenate([p.phase for p in parts]),
            )

        def done(spectrum: CouplingSpectrum) -> str:
            self.result = spectrum
            return f"CC {source}→{target} at {len(frequencies)} frequencies"

        self.start("Measuring the coupling spectrum", work, done)
