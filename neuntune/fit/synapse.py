"""Fit chemical-synapse parameters to target response metrics (or a target trace).

Same shape as BluePyOpt: parameters with bounds, an evaluator mapping parameter
vectors to weighted objectives, and an optimiser that never touches the simulator.
The evaluator is the train protocol's
(:class:`neuntune.protocols.train.SynapseEvaluator`: the synapse isolated, a spike
source driving a copy of it onto a copy of its post cell, voltage-clamped (PSC) or
free (PSP)); it runs a whole population as one batch.  Search is global
(differential evolution, seeded) then local (least squares in log-parameters), and
the local Jacobian tells which parameters the targets leave unconstrained.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..analysis.synapse import EVENT_METRICS
from ..circuit import Circuit
from ..protocols.train import CONVENTIONS, SynapseEvaluator, SynapseProtocol, real
from ..simulate import CancelledError

# SynapseProtocol and SynapseEvaluator are the train protocol's, imported from here
# by older code.
__all__ = [
    "EVENT_METRICS",
    "TRAIN_METRICS",
    "SynapseEvaluator",
    "SynapseFit",
    "SynapseProtocol",
    "fit_synapse",
]

#: Train metrics by target name (single-event ones: analysis.synapse.EVENT_METRICS).
TRAIN_METRICS = ("paired_pulse_ratio", "ppr", "induction", "recovery", "steady_ratio")


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
    convention: str | None = None,
) -> SynapseFit:
    """Fit the parameters ``params`` ({name: (low, high)}, in the synapse's declared
    units, e.g. {"tau_d": (1, 20), "Use": (0.05, 0.9)}) of ``connection`` so its
    response matches ``targets`` ({metric: value}).

    Metrics: peak, latency, rise (10–90 %), decay (τ), half_width, charge of the
    first response (µA, µA·ms or mV, ms), and paired_pulse_ratio (A2/A1), ppr,
    induction, recovery, steady_ratio of the train; append "@Hz" for a train at
    another frequency (add it to the protocol's frequencies).  ``convention``
    ("neuntune" or "bmtool"; default the protocol's) says how the train is wired and
    measured (:class:`~neuntune.protocols.train.SynapseProtocol`): "bmtool" fits
    targets taken from BMTool's SynapseTuner (its ppr, induction, recovery and simple
    PPR as ``paired_pulse_ratio``, on its fresh recovery stream unless the protocol
    names another), "neuntune" the same metrics with a baseline before each pulse.
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
    if convention is not None:
        if convention not in CONVENTIONS:
            raise ValueError(
                f"convention: {convention!r} is not allowed; one of {', '.join(CONVENTIONS)}"
            )
        protocol = dataclasses.replace(protocol, convention=convention)
    times, recorded = _check_trace(trace)
    for name, given in (("targets", targets), ("params", params), ("weights", weights or {})):
        if not isinstance(given, Mapping):
            raise TypeError(f"{name}: expected a mapping of names to values, got {given!r}")
    if not targets and times is None:
        raise ValueError("targets: give at least one metric and its target value, or a trace")
    if not params:
        raise ValueError("params: give at least one parameter name and its (low, high) bounds")
    goal = np.array([real(v, f"targets[{k!r}]", "the metric's unit") for k, v in targets.items()])
    wanted = [_target_key(name, protocol) for name in targets]
    for key, value in (weights or {}).items():
        if key not in targets and key != "trace":
            raise ValueError(f"weights[{key!r}]: no target of that name (targets: {list(targets)})")
        if real(value, f"weights[{key!r}]", "relative weight") < 0:
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
        low, high = (real(b, f"params[{name!r}]", unit) for b in bounds)
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

    # on use: serve's first page needs no scipy
    from scipy.optimize import differential_evolution, least_squares

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
