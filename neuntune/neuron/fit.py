"""Fitting a NEURON synapse's PARAMETERs to target train metrics (BMTool's definitions).

``fit_train(session, targets, bounds, settings)`` runs BMTool's train (8 + 4 pulses
under clamp, :func:`neuntune.neuron.protocols.train`) in the session's worker for each
trial and moves the PARAMETERs within their bounds until BMTool's metrics of the train
(``ppr``, ``induction``, ``recovery``, ``simple_ppr``; ``a1`` the first PSC in pA) match
the targets in the least-squares sense (scipy's trust-region reflective
``least_squares``, each parameter scaled to [0, 1] over its bounds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuntune.neuron import protocols
from neuntune.neuron.session import NeuronSession

#: What can be targeted: BMTool's train metrics (dimensionless) and the first PSC (pA).
METRICS = ("ppr", "induction", "recovery", "simple_ppr", "a1")


@dataclass(frozen=True)
class TrainFit:
    """The PARAMETERs found, the metrics they give, the targets, the final cost (sum of
    squared relative residuals) and every evaluation (``params``, ``metrics``)."""

    params: dict[str, float]
    achieved: dict[str, float]
    targets: dict[str, float]
    cost: float
    path: list[dict[str, Any]] = field(default_factory=list)


def train_metrics(
    session: NeuronSession, settings: dict[str, Any], frequency: float, delay: float,
    stream: str = "fresh",
) -> dict[str, float]:  # fmt: skip
    """BMTool's metrics of one train (``settings``: :func:`protocols.train`'s keywords)."""
    measured = protocols.bmtool_train(
        session, frequency=frequency, recovery_delay=delay, stream=stream, **settings
    )
    m = measured.metrics
    return {
        "ppr": m.ppr,
        "induction": m.induction,
        "recovery": m.recovery,
        "simple_ppr": m.simple_ppr,
        "a1": 1e3 * float(measured.amplitudes[0]),
    }


def fit_train(
    session: NeuronSession,
    targets: dict[str, float],
    bounds: dict[str, tuple[float, float]],
    settings: dict[str, Any],
    frequency: float = 50.0,
    delay: float = 250.0,
    stream: str = "fresh",
    on_step: Callable[[int, dict[str, float], dict[str, float]], bool | None] | None = None,
) -> TrainFit:
    """Fit the PARAMETERs named in ``bounds`` ((low, high) in their units) so that the
    train's metrics meet ``targets`` (keys from METRICS).  Residuals are relative to
    a target's size (at least 1 for the dimensionless metrics, 1 pA for ``a1``), so
    the metrics weigh alike.  ``on_step(n, params, metrics)`` sees every evaluation and
    may return True to stop (the best so far is returned).  The session is left at the
    parameters found.  Raises ValueError naming a bad target or bound."""
    from scipy.optimize import least_squares

    for key, value in targets.items():
        if key not in METRICS:
            raise ValueError(f"targets: {key!r} is not one of {', '.join(METRICS)}")
        if not np.isfinite(value):
            raise ValueError(f"targets[{key!r}] = {value!r}: must be a finite number")
    if not targets:
        raise ValueError("targets: give at least one of " + ", ".join(METRICS))
    names = list(bounds)
    if not names:
        raise ValueError("bounds: name at least one PARAMETER to fit")
    low = np.array([bounds[n][0] for n in names], float)
    high = np.array([bounds[n][1] for n in names], float)
    if not np.all(np.isfinite(low) & np.isfinite(high) & (low < high)):
        raise ValueError(f"bounds: each must be (low, high) with low < high; got {bounds}")
    scale = {k: max(abs(v), 1.0) for k, v in targets.items()}
    keys = list(targets)
    path: list[dict[str, Any]] = []

    class Stop(Exception):
        pass

    def residuals(x: np.ndarray) -> np.ndarray:
        params = dict(zip(names, (low + x * (high - low)).tolist(), strict=True))
        session.set(**params)
        metrics = train_metrics(session, settings, frequency, delay, stream)
        path.append({"params": params, "metrics": metrics})
        if on_step is not None and on_step(len(path), params, metrics):
            raise Stop
        return np.array([(metrics[k] - targets[k]) / scale[k] for k in keys])

    start = np.array(
        [(session.params.get(n, (lo + hi) / 2) - lo) / (hi - lo) for n, lo, hi in
         zip(names, low, high, strict=True)]
    ).clip(0.0, 1.0)  # fmt: skip
    try:
        least_squares(residuals, start, bounds=(0.0, 1.0), diff_step=1e-4, xtol=1e-10)
    except Stop:
        pass

    def cost(entry: dict[str, Any]) -> float:
        return sum(((entry["metrics"][k] - targets[k]) / scale[k]) ** 2 for k in keys)

    best = min(path, key=cost)
    session.set(**best["params"])
    return TrainFit(best["params"], best["metrics"], dict(targets), cost(best), path)
