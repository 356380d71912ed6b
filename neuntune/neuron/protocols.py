"""Experiments on a NEURON cell, wired as BMTool wires them, returning a neuntune ``Result``.

``train`` (a presynaptic train of 8 pulses and 4 recovery pulses under voltage clamp),
``single_event`` (one pulse), ``current_step`` and ``coupling`` (a step into the first
cell of a gap-junction pair, and its CC) run in the session's worker, and
``fit_gap_conductance`` finds the junction's g for a target CC; the result's traces are
in neuntune's units and signs, so :mod:`neuntune.analysis` applies.  The measurement conventions are
separate: :mod:`neuntune.analysis.bmtool` gives BMTool's numbers from the same runs.

Result contents (``t`` in ms from 0, one sample per ``dt``):

- ``v["post"]`` (mV): the cell's first section of ``all`` at 0.5 (BMTool's ``soma[0]``);
  with a partner, ``v["partner"]`` likewise;
- ``current["syn"]`` (µA into the cell: −1e-3 · NEURON's ``syn.i``);
- ``current["clamp"]`` (µA, the electrode's current, negative for an EPSC as in the
  presets' clamp; 1e-3 · ``VClamp.i``) and ``current["iclamp"]`` (µA injected);
- ``state["syn"][name]`` for the extra range variables recorded;
- ``events["syn"]["t"]``: delivery times (ms), the NetStim firing times + ``netcon_delay``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from neuntune.analysis.bmtool import (
    BMToolTrainMetrics,
    bmtool_amplitudes,
    bmtool_train_metrics,
)
from neuntune.neuron.session import NeuronSession
from neuntune.neuron.spec import IClampSpec, RunSpec, SpecError, VClampSpec
from neuntune.protocols.defaults import (
    SPECTRUM_AMPLITUDE,
    SPECTRUM_CYCLES,
    SPECTRUM_SETTLE,
    SPECTRUM_TRANSIENT,
)
from neuntune.result import Result

if TYPE_CHECKING:
    from neuntune.protocols.spectrum import CouplingSpectrum

#: Stream choices for the recovery pulses: on the train's own NetCon (what one real
#: synapse does) or on a second one whose plasticity state starts afresh (BMTool).
STREAMS = ("single", "fresh")
#: nA → µA
_UA = 1e-3

T = TypeVar("T")


@dataclass(frozen=True)
class TrainRun:
    """A train's run: the ``Result``, the NetStim firing times ``spikes`` (ms; BMTool's
    ``tspk``) and ``t_stop`` (ms), which BMTool's measurement windows need."""

    result: Result
    spikes: np.ndarray
    t_stop: float


def train_spikes(
    frequency: float, recovery_delay: float, start: float, pulses: int = 8, recovery: int = 4
) -> tuple[np.ndarray, float]:
    """BMTool's ``_set_drive_train``: ``pulses`` firing times from ``start`` (ms) at
    ``frequency`` (Hz), then ``recovery`` more from ``recovery_delay`` (ms) after the
    last, at the same rate; and the run's end, one interval after the last spike."""
    if not (np.isfinite(frequency) and frequency > 0):
        raise SpecError("frequency", frequency, "must be > 0 Hz")
    if not (np.isfinite(recovery_delay) and recovery_delay >= 0):
        raise SpecError("recovery_delay", recovery_delay, "must be >= 0 ms")
    interval = 1000.0 / frequency
    first = start + np.arange(pulses) * interval
    second_start = start + (pulses - 1) * interval + recovery_delay
    second = second_start + np.arange(recovery) * interval
    return np.concatenate([first, second]), second_start + recovery * interval


def _result(out: dict[str, np.ndarray], run: RunSpec, events: np.ndarray) -> Result:
    current, state = {}, {}
    for name, trace in out.items():
        if name == "syn.i":
            current["syn"] = -_UA * trace
        elif name == "vclamp.i":
            current["clamp"] = _UA * trace
        elif name == "iclamp.i":
            current["iclamp"] = _UA * trace
        elif name.startswith("syn."):
            state.setdefault("syn", {})[name[4:]] = trace
    v = {"post": out["v"]}
    if "v2" in out:
        v["partner"] = out["v2"]
    units = {"t": "ms", "v": "mV", "current": "uA"}
    return Result(
        t=out["t"],
        v=v,
        state=state,
        current=current,
        spikes={},
        events={"syn": {"t": np.asarray(events, dtype=float)}} if len(events) else {},
        units=units,
        dt=run.dt,
        method="neuron-fixed",
        precision="float64",
    )


def _record(extra: tuple[str, ...], *base: str) -> tuple[str, ...]:
    names = ["v", *base]
    names += [f"syn.{name}" for name in extra if f"syn.{name}" not in names]
    return tuple(names)


def train(
    session: NeuronSession,
    *,
    frequency: float = 50.0,
    recovery_delay: float = 250.0,
    start: float = 500.0,
    stream: str = "single",
    clamp: float = -70.0,
    netcon_delay: float = 1.3,
    weight: float = 1.0,
    dt: float = 0.025,
    celsius: float = 20.0,
    v_init: float = 70.0,
    record: tuple[str, ...] = (),
) -> TrainRun:
    """8 pulses at ``frequency`` (Hz) from ``start`` (ms), 4 more ``recovery_delay`` ms
    after the 8th, into the session's synapse, with the first section voltage-clamped
    at ``clamp`` (mV) from t = 0.  ``stream``: ``"single"`` (one NetCon: pulses 9–12
    meet the train's depression) or ``"fresh"`` (BMTool: a second NetCon with fresh
    plasticity state).  ``v_init`` defaults to BMTool's +70 mV (the clamp holds the cell
    long before the first pulse); ``record`` names extra synapse variables."""
    if stream not in STREAMS:
        raise SpecError("stream", stream, f"must be one of {', '.join(STREAMS)}")
    spikes, t_stop = train_spikes(frequency, recovery_delay, start)
    arrivals = spikes + netcon_delay
    first, second = (arrivals, ()) if stream == "single" else (arrivals[:8], arrivals[8:])
    run = RunSpec(
        tstop=t_stop,
        dt=dt,
        v_init=v_init,
        celsius=celsius,
        events=tuple(t for t in first if t <= t_stop),
        fresh_events=tuple(t for t in second if t <= t_stop),
        weight=weight,
        vclamp=VClampSpec(clamp),
        record=_record(record, "syn.i", "vclamp.i"),
    )
    return TrainRun(_result(session.run(run), run, arrivals), spikes, t_stop)


@dataclass(frozen=True)
class BMToolTrain:
    """A train measured as BMTool measures it: the run, the 12 amplitudes (nA, BMTool's
    signs) and BMTool's metrics (:mod:`neuntune.analysis.bmtool`)."""

    run: TrainRun
    amplitudes: np.ndarray
    metrics: BMToolTrainMetrics


def bmtool_train(session: NeuronSession, **keywords: Any) -> BMToolTrain:
    """:func:`train` with ``keywords`` (``stream`` defaults to BMTool's "fresh"),
    measured as BMTool does."""
    keywords.setdefault("stream", "fresh")
    run = train(session, **keywords)
    i = -1e3 * run.result.current["syn"]  # µA into the cell -> NEURON's nA
    amplitudes = bmtool_amplitudes(
        i, run.spikes, run.result.dt, delay=keywords.get("netcon_delay", 1.3), t_stop=run.t_stop
    )
    return BMToolTrain(run, amplitudes, bmtool_train_metrics(amplitudes))


def single_event(
    session: NeuronSession,
    *,
    start: float = 500.0,
    duration: float = 100.0,
    clamp: float = -70.0,
    netcon_delay: float = 1.3,
    weight: float = 1.0,
    dt: float = 0.025,
    celsius: float = 20.0,
    v_init: float = -65.0,
    record: tuple[str, ...] = (),
) -> Result:
    """One presynaptic spike at ``start`` (ms), delivered ``netcon_delay`` ms later, the
    cell clamped at ``clamp`` (mV); runs to ``start + duration``.  ``v_init`` is hoc's
    default −65 mV, as BMTool's ``SingleEvent`` (``h.run()``) starts."""
    arrival = start + netcon_delay
    run = RunSpec(
        tstop=start + duration,
        dt=dt,
        v_init=v_init,
        celsius=celsius,
        events=(arrival,) if arrival <= start + duration else (),
        weight=weight,
        vclamp=VClampSpec(clamp),
        record=_record(record, "syn.i", "vclamp.i"),
    )
    return _result(session.run(run), run, np.array([arrival]))


@dataclass(frozen=True)
class StepSettings:
    """BMTool's gap-junction protocol, the one home of its keywords and defaults: a
    current step of ``amp`` (nA) into the first cell's first section from ``start``
    (ms) for ``duration`` (ms), run ``after`` ms past its end with step ``dt`` (ms), at
    ``celsius`` (°C), from ``v_init`` (mV)."""

    amp: float = -0.01
    start: float = 500.0
    duration: float = 500.0
    after: float = 100.0
    dt: float = 0.025
    celsius: float = 20.0
    v_init: float = -70.0

    @property
    def end(self) -> float:
        """When the step ends (ms)."""
        return self.start + self.duration


def _step_keywords(function: Callable[..., T]) -> Callable[..., T]:
    """Show StepSettings' fields as ``function``'s keyword-only parameters (for help()
    and editors): it takes them as ``**step`` and builds StepSettings from them."""
    signature = inspect.signature(function)
    fixed = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    keywords = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=float
        )
        for f in fields(StepSettings)
    ]
    function.__signature__ = signature.replace(parameters=[*fixed, *keywords])
    return function


def _run_step(session: NeuronSession, step: StepSettings) -> Result:
    run = RunSpec(
        tstop=step.end + step.after,
        dt=step.dt,
        v_init=step.v_init,
        celsius=step.celsius,
        iclamp=IClampSpec(step.amp, step.start, step.duration),
        record=("v", "v2", "iclamp.i") if session.spec.partner else ("v", "iclamp.i"),
    )
    return _result(session.run(run), run, np.array([]))


@_step_keywords
def current_step(session: NeuronSession, **step: float) -> Result:
    """A current step into the first cell's first section, BMTool's gap-junction
    protocol (``step``: :class:`StepSettings`' keywords: ``amp`` nA; ``start``,
    ``duration``, ``after``, ``dt`` ms; ``celsius`` °C; ``v_init`` mV); records both
    cells when the session's cell has a partner.  An unknown keyword raises TypeError."""
    return _run_step(session, StepSettings(**step))


@dataclass(frozen=True)
class Coupling:
    """A current step into the first cell of a gap-junction pair: the ``Result``, the
    CC by neuntune's rule (window means, :func:`neuntune.protocols.coupling.windows`)
    and by BMTool's (single samples at the step's start and end), dimensionless."""

    result: Result
    cc: float
    cc_bmtool: float


@_step_keywords
def coupling(session: NeuronSession, **step: float) -> Coupling:
    """The CC from the first cell to its partner for the session's gap junction as set
    (``step``: :func:`current_step`'s keywords: nA, ms, °C, mV)."""
    from neuntune.analysis.bmtool import bmtool_cc
    from neuntune.analysis.coupling import cc_from_traces
    from neuntune.protocols.coupling import windows

    if not session.spec.partner:
        raise SpecError("partner", None, "a coupling coefficient needs a gap-junction pair")
    settings = StepSettings(**step)
    result = _run_step(session, settings)
    t, v1, v2 = result.t, result.v["post"], result.v["partner"]
    baseline, steady = windows(settings.start, settings.end)
    return Coupling(
        result,
        cc_from_traces(t, v1, v2, baseline, steady),
        bmtool_cc(t, v1, v2, settings.start, settings.end),
    )


def fit_gap_conductance(
    session: NeuronSession,
    target_cc: float,
    bounds: tuple[float, float] = (1e-4, 1e-2),
    parameter: str = "g",
    bmtool: bool = False,
    on_step: Callable[[float, float], bool | None] | None = None,
    **step: float,
) -> float:
    """The gap junction's ``parameter`` (its unit, µS for BMTool's Gap) within
    ``bounds`` whose CC is ``target_cc``: the root of CC(g) − target in log g (brentq,
    relative tolerance 1e-10).  ``bmtool`` measures BMTool's CC instead of neuntune's;
    ``on_step(g, cc)`` sees every evaluation and may return True to stop (CancelledError);
    ``step``: :class:`StepSettings`' keywords.  Raises ValueError when the target is out
    of reach within the bounds."""
    import math

    from scipy.optimize import brentq

    from neuntune.result import CancelledError

    if not 0 < target_cc < 1:
        raise ValueError(f"target_cc = {target_cc!r}: a coupling coefficient must be in (0, 1)")

    def gap(log_g: float) -> float:
        session.set(**{parameter: math.exp(log_g)})
        measured = coupling(session, **step)
        cc = measured.cc_bmtool if bmtool else measured.cc
        if on_step is not None and on_step(math.exp(log_g), cc):
            raise CancelledError(f"fit of {parameter} cancelled")
        return cc - target_cc

    low, high = (math.log(b) for b in bounds)
    at_low, at_high = gap(low), gap(high)
    if at_low * at_high > 0:
        raise ValueError(
            f"target_cc = {target_cc:g} is out of reach for {parameter} in [{bounds[0]:g}, "
            f"{bounds[1]:g}] (CC {at_low + target_cc:.4g} to {at_high + target_cc:.4g}); "
            "widen the bounds"
        )
    g = math.exp(brentq(gap, low, high, xtol=1e-12, rtol=1e-10))
    session.set(**{parameter: g})
    return g


def coupling_spectrum(
    session: NeuronSession,
    frequencies: Sequence[float] | None = None,
    *,
    amp: float = 1e3 * SPECTRUM_AMPLITUDE,
    settle: float = SPECTRUM_SETTLE,
    transient: float = SPECTRUM_TRANSIENT,
    cycles: int = SPECTRUM_CYCLES,
    dt: float = 0.025,
    celsius: float = 20.0,
    v_init: float = -70.0,
    progress: Callable[[float], bool | None] | None = None,
) -> CouplingSpectrum:
    """The gap-junction pair's CC (amplitude ratio) and phase (degrees, negative = lag)
    against frequency (Hz; default 16 from 0.1 to 200, log-spaced) for a sine of
    ``amp`` nA into the first cell: neuntune's spectrum protocol
    (:func:`neuntune.protocols.spectrum.coupling_spectrum`: settle, skip the onset
    transient, measure whole cycles).  ``progress(fraction)`` after each frequency may
    return True to stop (CancelledError)."""
    from neuntune.protocols.spectrum import CouplingSpectrum, phasor
    from neuntune.result import CancelledError

    if not session.spec.partner:
        raise SpecError("partner", None, "a coupling spectrum needs a gap-junction pair")
    freqs = np.asarray(
        np.geomspace(0.1, 200.0, 16) if frequencies is None else frequencies, float
    ).ravel()
    if freqs.size == 0 or np.any(~np.isfinite(freqs)) or np.any(freqs <= 0):
        raise ValueError("frequencies: give positive numbers of Hz")
    ratio, phase = np.empty(freqs.size), np.empty(freqs.size)
    for i, f in enumerate(freqs):
        start = settle + max(1000.0 / f, transient)
        t_stop = start + cycles * 1000.0 / f
        sine = IClampSpec(amp, settle, t_stop - settle + dt, frequency=float(f))
        out = session.run(
            RunSpec(tstop=t_stop, dt=dt, v_init=v_init, celsius=celsius, iclamp=sine,
                    record=("v", "v2"))
        )  # fmt: skip
        zs = phasor(out["t"], out["v"], f, start)
        zt = phasor(out["t"], out["v2"], f, start)
        ratio[i] = abs(zt) / abs(zs)
        phase[i] = np.degrees(np.angle(zt / zs))
        if progress is not None and progress((i + 1) / freqs.size):
            raise CancelledError("coupling spectrum cancelled")
    return CouplingSpectrum(freqs, ratio, phase)
