"""Fit chemical-synapse parameters to target response metrics (or a target trace).

Same shape as BluePyOpt: parameters with bounds, an evaluator mapping parameter
vectors to weighted objectives, and an optimiser that never touches the simulator.
The evaluator isolates the synapse — a spike source drives a copy of it onto a copy
of its post cell, voltage-clamped (PSC) or free (PSP) — and runs a whole population
as one batch.  Search is global (differential evolution, seeded) then local (least
squares in log-parameters), and the local Jacobian tells which parameters the
targets leave unconstrained.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import differential_evolution, least_squares

from .. import analysis
from ..analysis.synapse import EVENT_METRICS
from ..circuit import Circuit
from ..engine.methods import METHODS
from ..errors import SimulationError
from ..models.neurons import SpikeSource
from ..models.stimuli import VoltageClamp
from ..simulate import CancelledError, Result, simulate_batch

#: Train metrics by target name (single-event ones: analysis.synapse.EVENT_METRICS).
TRAIN_METRICS = ("paired_pulse_ratio", "ppr", "induction", "recovery", "steady_ratio")


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
    dt: float = 0.025
    method: str = "rk4"

    def __post_init__(self) -> None:
        """Check every field (naming it, the value and what is allowed); frequencies
        become a tuple of floats."""
        freqs = self.frequencies
        if isinstance(freqs, str) or not isinstance(freqs, Sequence | np.ndarray):
            freqs = (_real(freqs, "protocol.frequencies", "Hz"),)  # one frequency given alone
        freqs = tuple(_real(f, f"protocol.frequencies[{i}]", "Hz") for i, f in enumerate(freqs))
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
            value = _real(getattr(self, name), f"protocol.{name}", unit, positive)
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
            _real(self.clamp, "protocol.clamp", "mV (the holding potential) or None")
        if self.method not in METHODS:
            raise ValueError(f"protocol.method: {self.method!r} is not one of {', '.join(METHODS)}")

    def spikes(self, frequency: float) -> np.ndarray:
        period = 1000.0 / frequency
        train = self.start + period * np.arange(self.pulses)
        recovery = train[-1] + self.recovery_delay + period * np.arange(self.recovery_pulses)
        return np.concatenate([train, recovery])


def _real(value: Any, where: str, unit: str, positive: bool = False) -> float:
    """``value`` as a finite float (> 0 if ``positive``), or an error naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: expected a number in {unit}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (positive and number <= 0):
        allowed = "a finite number > 0" if positive else "a finite number"
        raise ValueError(f"{where}: {value!r} is not allowed; {allowed} ({unit})")
    return number


@dataclass
class SynapseFit:
    """Result of :func:`fit_synapse`: fitted values (declared units), the target-vs-
    achieved table, the loss, how many simulations it took, the best loss after each
    stage, each parameter's relative 1-σ uncertainty from the local Jacobian (in log
    space) if each target had a standard error of 1 % (each sample of a trace 1 % of
    its peak), and which parameters the targets do not constrain (above 10 %)."""

    params: dict[str, float]
    table: dict[str, tuple[float, float]]
    loss: float
    n_sims: int
    history: list[float] = field(default_factory=list)
    uncertainty: dict[str, float] = field(default_factory=dict)
    unconstrained: list[str] = field(default_factory=list)


def _target_key(name: str, protocol: SynapseProtocol) -> tuple[str, float]:
    """Split "ppr@20" into ("ppr", 20.0); metrics without @ use the first frequency."""
    if not isinstance(name, str):
        raise TypeError(f"targets: {name!r}: a metric name such as 'peak' or 'ppr@20'")
    metric, _, at = name.partition("@")
    if metric not in EVENT_METRICS and metric not in TRAIN_METRICS:
        known = ", ".join([*EVENT_METRICS, *TRAIN_METRICS])
        raise ValueError(f"targets: unknown metric {metric!r} (known: {known}, name@Hz)")
    try:
        frequency = float(at) if at else protocol.frequencies[0]
    except ValueError:
        raise ValueError(f"targets: {name!r}: write metric@Hz, e.g. ppr@20") from None
    if frequency not in protocol.frequencies:
        raise ValueError(f"targets: {name!r} asks for {frequency:g} Hz, not in the protocol's "
                         f"frequencies {protocol.frequencies}")  # fmt: skip
    return metric, frequency


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
        if isinstance(member, bool) or not isinstance(member, numbers.Integral):
            raise TypeError(f"member: expected a whole number, got {member!r}")
        if not 0 <= member < made:
            raise ValueError(
                f"member: {member} is out of range; {connection!r} made {made} connections "
                f"(0 to {made - 1})"
            )
        self.protocol = protocol
        post = int(circuit.pairs(connection)[1][member])
        #: what is isolated, for messages: "exc->inh" or "exc->inh[3] (onto inh[7])"
        self.origin = (
            connection if made == 1 else f"{connection}[{member}] (onto {conn.post}[{post}])"
        )
        self.circuit = Circuit()
        self.circuit.add("pre", SpikeSource(protocol.spikes(protocol.frequencies[0])))
        self.circuit.add("post", circuit.member(conn.post, post))
        self.circuit.connect("pre", "post", circuit.member(connection, member), name="syn")
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


def fit_synapse(
    circuit: Circuit,
    connection: str,
    targets: Mapping[str, float],
    params: Mapping[str, tuple[float, float]],
    protocol: SynapseProtocol | None = None,
    weights: Mapping[str, float] | None = None,
    trace: tuple[Sequence[float], Sequence[float]] | None = None,
    seed: int = 0,
    popsize: int = 12,
    maxiter: int = 30,
    apply: bool = False,
    progress: Callable[[float], bool | None] | None = None,
    member: int = 0,
) -> SynapseFit:
    """Fit the parameters ``params`` ({name: (low, high)}, in the synapse's declared
    units, e.g. {"tau_d": (1, 20), "Use": (0.05, 0.9)}) of ``connection`` so its
    response matches ``targets`` ({metric: value}).

    Metrics: peak, latency, rise (10–90 %), decay (τ), half_width, charge of the
    first response (µA, µA·ms or mV, ms), and paired_pulse_ratio (A2/A1), ppr,
    induction, recovery, steady_ratio of the train (BMTool's definitions); append
    "@Hz" for a train at another frequency (add it to the protocol's frequencies).
    ``trace`` = (times in ms, values) is a recorded response to the protocol's first
    train (clamp current in µA, or voltage in mV without a clamp) to match sample by
    sample, alone or with metrics (weight key "trace").  The loss is the weighted sum
    of squared relative errors (the trace's normalised by its peak).  ``tau_r <
    tau_d`` is enforced where both are fitted.  Seeded and reproducible.  The circuit
    is unchanged unless ``apply`` is True.

    In a network, one of the connections ``connection`` made is isolated, as BMTool
    does for a connection of a BMTK network: ``member`` (in
    :meth:`~neuntune.Circuit.pairs` order) with its own values, onto its post
    member with that member's values.  ``apply`` then gives every connection the
    fitted values (per-connection values of the fitted parameters are replaced).
    """
    protocol = SynapseProtocol() if protocol is None else protocol
    if not isinstance(protocol, SynapseProtocol):
        raise TypeError(f"protocol: expected a SynapseProtocol, got {protocol!r}")
    times, recorded = _check_trace(trace)
    for name, given in (("targets", targets), ("params", params), ("weights", weights or {})):
        if not isinstance(given, Mapping):
            raise TypeError(f"{name}: expected a mapping of names to values, got {given!r}")
    if not targets and times is None:
        raise ValueError("targets: give at least one metric and its target value, or a trace")
    if not params:
        raise ValueError("params: give at least one parameter name and its (low, high) bounds")
    goal = np.array([_real(v, f"targets[{k!r}]", "the metric's unit") for k, v in targets.items()])
    wanted = [_target_key(name, protocol) for name in targets]
    for key, value in (weights or {}).items():
        if key not in targets and key != "trace":
            raise ValueError(f"weights[{key!r}]: no target of that name (targets: {list(targets)})")
        if _real(value, f"weights[{key!r}]", "relative weight") < 0:
            raise ValueError(f"weights[{key!r}]: {value!r} is not allowed; a weight is ≥ 0")
    evaluator = SynapseEvaluator(circuit, connection, protocol, member)
    names = list(params)
    table = circuit.element(connection).parameter_table()
    for name in names:
        if name not in table:
            raise ValueError(f"params: {connection} has no parameter {name!r}")
        bounds = params[name]
        if (
            isinstance(bounds, str)
            or not isinstance(bounds, Sequence | np.ndarray)
            or len(bounds) != 2
        ):
            raise TypeError(f"params[{name!r}]: expected (low, high) bounds, got {bounds!r}")
        unit = table[name].unit
        low, high = (_real(b, f"params[{name!r}]", unit) for b in bounds)
        if not 0 < low < high:
            raise ValueError(
                f"params[{name!r}]: bounds ({low}, {high}) must satisfy 0 < low < high"
            )
    scale = np.where(goal != 0, np.abs(goal), 1.0)
    weight = np.sqrt([float((weights or {}).get(name, 1.0)) for name in targets])
    log_bounds = np.log(np.array([params[n] for n in names], float))
    order = (
        [(names.index("tau_r"), names.index("tau_d"))] if {"tau_r", "tau_d"} <= set(names) else []
    )
    budget = popsize * len(names) * (maxiter + 1) + 10 * (len(names) + 1)
    history: list[float] = []

    def residuals(rows: np.ndarray) -> np.ndarray:
        """Weighted relative errors per candidate (rows of log-parameters)."""
        values = {f"syn.{n}": np.exp(rows[:, j]) for j, n in enumerate(names)}
        got, sampled = evaluator.metrics(values, wanted, times)
        res = weight * (got - goal) / scale
        res = np.where(np.isfinite(res), res, 1e3)  # a metric that cannot be measured
        if sampled is not None:  # RMS of the trace's error counts like one metric
            trace_weight = math.sqrt(float((weights or {}).get("trace", 1.0)))
            spread = np.max(np.abs(recorded)) * math.sqrt(len(recorded))
            res = np.column_stack([res, trace_weight * (sampled - recorded) / spread])
        for fast, slow in order:  # rise must stay faster than decay
            violation = np.maximum(0.0, rows[:, fast] - rows[:, slow] + 1e-3)
            res = np.column_stack([res, 1e3 * violation])
        if progress is not None and progress(min(0.99, evaluator.n_sims / budget)):
            raise CancelledError("synapse fit cancelled")
        return res

    def population_loss(x: np.ndarray) -> np.ndarray:
        return np.sum(residuals(np.atleast_2d(x.T)) ** 2, axis=1)

    de = differential_evolution(
        population_loss, log_bounds, seed=seed, popsize=popsize, maxiter=maxiter,
        vectorized=True, updating="deferred", polish=False, tol=1e-8,
    )  # fmt: skip
    history.append(float(de.fun))

    def jacobian(x: np.ndarray) -> np.ndarray:
        step = 1e-4
        rows = np.vstack([x, x + step * np.eye(len(x))])
        r = residuals(rows)
        return (r[1:] - r[0]).T / step

    local = least_squares(
        lambda x: residuals(x[None, :])[0], de.x, jac=jacobian, bounds=log_bounds.T,
        x_scale=1.0, xtol=1e-10, ftol=1e-12, gtol=1e-12, max_nfev=40,
    )  # fmt: skip
    best = local.x if 2 * local.cost <= de.fun else de.x
    history.append(float(min(2 * local.cost, de.fun)))
    J = jacobian(best)
    # Standard errors of the residuals: 1 % of each target; 1 % of the peak for each
    # sample of a trace (its residuals are already divided by √N); the order penalty
    # has no slope at an admissible point and takes 1 % too.
    noise = np.full(J.shape[0], 0.01)
    if times is not None:
        noise[len(targets) : len(targets) + len(recorded)] /= math.sqrt(len(recorded))
    uncertainty, unconstrained = _identifiability(J / noise[:, None], names)
    fitted = {n: float(np.exp(best[j])) for j, n in enumerate(names)}
    at_best = {f"syn.{n}": np.array([v]) for n, v in fitted.items()}
    achieved = evaluator.metrics(at_best, wanted)[0][0]
    if apply:
        for name, value in fitted.items():
            circuit.set(f"{connection}.{name}", value)
    if progress is not None:
        progress(1.0)
    return SynapseFit(
        fitted,
        {name: (float(g), float(a)) for name, g, a in zip(targets, goal, achieved, strict=True)},
        history[-1],
        evaluator.n_sims,
        history,
        uncertainty,
        unconstrained,
    )


def _check_trace(
    trace: tuple[Sequence[float], Sequence[float]] | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if trace is None:
        return None, None
    try:
        times, values = (np.asarray(part, float).ravel() for part in trace)
    except (TypeError, ValueError):
        raise ValueError(
            "trace: expected (times in ms, values), two sequences of numbers"
        ) from None
    if times.size < 2 or times.size != values.size or not np.all(np.diff(times) > 0):
        raise ValueError("trace: times and values need one length ≥ 2, times increasing")
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(values))) or not np.any(values):
        raise ValueError("trace: values must be finite and not all zero")
    return times, values


def _identifiability(J: np.ndarray, names: Sequence[str]) -> tuple[dict[str, float], list[str]]:
    """Relative 1-σ uncertainty of each parameter (log space) from the Jacobian ``J``
    of the residuals divided by their standard errors, and those above 10 % (or with
    no effect)."""
    JtJ = J.T @ J
    sensitive = np.sqrt(np.diag(JtJ))
    cov = np.linalg.pinv(JtJ, rcond=1e-10)
    sigma = np.sqrt(np.clip(np.diag(cov), 0, None))
    uncertainty = {n: float(s) for n, s in zip(names, sigma, strict=True)}
    loose = [n for n, s, k in zip(names, sigma, sensitive, strict=True) if s > 0.1 or k < 1e-6]
    return uncertainty, loose
