"""The Protocols tab's models: runs of the train protocol on a chemical synapse
(:mod:`neuntune.protocols.train`, BMTool's) and of the coupling spectrum of a gap
junction (:mod:`neuntune.protocols.spectrum`); no panel here.

The synapse is isolated as :class:`neuntune.protocols.train.SynapseEvaluator` does it
for fits — a spike source drives a copy of it onto a copy of its post cell, voltage-
clamped at a holding level (PSC) or free (PSP) — so the responses shown here are
the ones a synapse fit matches.  :class:`SynapseSettings` is shared by the protocol
runs and the synapse fit for that reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import param

from ..analysis import FrequencyResponse, frequency_response
from ..circuit import Circuit
from ..protocols.spectrum import CouplingSpectrum, coupling_spectrum
from ..protocols.train import SynapseEvaluator, SynapseProtocol
from ..simulate import CancelledError
from .jobs import Job, Progress
from .metrics import SynapseResponse, chemical_connections, clamp_on, synapse_response
from .state import TunerModel

VOLTAGE_CLAMP = "voltage clamp (PSC)"
CURRENT_CLAMP = "current clamp (PSP)"


class SynapseSettings(param.Parameterized):
    """How an isolated chemical synapse is driven and recorded: which connection,
    voltage clamp at a holding level (the response is the clamp current, µA,
    negative for EPSCs) or current clamp (the post cell's voltage, mV), and the
    frequency of BMTool's train (8 pulses, 4 more 250 ms after the 8th)."""

    connection = param.Selector(default=None, objects=[], doc="the chemical synapse")
    mode = param.Selector(default=VOLTAGE_CLAMP, objects=[VOLTAGE_CLAMP, CURRENT_CLAMP])
    holding = param.Number(default=-70.0, label="Holding (mV)", doc="voltage-clamp level")
    frequency = param.Number(
        default=50.0, bounds=(0.1, 1000.0), label="Train frequency (Hz)", doc="pulses per second"
    )

    def __init__(self, circuit: Circuit, **params) -> None:
        super().__init__(**params)
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

    def protocol(self, frequency: float | None = None) -> SynapseProtocol:
        """BMTool's train protocol at ``frequency`` (default: the chosen one)."""
        return SynapseProtocol(
            frequencies=(float(frequency or self.frequency),),
            clamp=self.holding if self.clamped else None,
        )


@dataclass
class TrainRun:
    """The isolated synapse's response to one train: trace, event times and metrics."""

    frequency: float
    t: np.ndarray
    y: np.ndarray
    events: np.ndarray
    response: SynapseResponse


def protocol_trace(
    circuit: Circuit, connection: str, protocol: SynapseProtocol
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, response, event times) of ``connection`` isolated and driven by ``protocol``'s
    first train, exactly as :func:`~neuntune.fit_synapse` simulates it."""
    evaluator = SynapseEvaluator(circuit, connection, protocol)
    frequency = protocol.frequencies[0]
    delay = evaluator.circuit.get("syn.delay")  # the isolated connection's own
    (result,) = evaluator.responses({"syn.delay": np.array([delay])}, frequency)
    return result.t, evaluator.trace(result), protocol.spikes(frequency) + delay


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

    def run_train(self) -> None:
        """Simulate one train at the chosen frequency (on the worker thread)."""
        circuit, connection = self.tuner.circuit.copy(), self.settings.connection
        protocol = self.settings.protocol()
        kind, unit = self.settings.kind

        def work(progress: Progress) -> TrainRun:
            progress(0.0)
            t, y, events = protocol_trace(circuit, connection, protocol)
            response = synapse_response(t, y, events, kind, unit)
            return TrainRun(protocol.frequencies[0], t, y, events, response)

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
                runs[protocol.frequencies[0]] = protocol_trace(circuit, connection, protocol)
            return frequency_response(runs)

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
