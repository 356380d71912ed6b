"""BMTool's ``SynapseOptimizer`` (see :mod:`neuntune.compat.bmtool`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuntune.compat.bmtool.synapse_tuner import SynapseTuner


@dataclass
class SynapseOptimizationResult:
    """BMTool's result: the parameters found, the metrics they give, the targets, the
    final cost and every evaluation (``params``, ``metrics``, ``error``)."""

    optimal_params: dict[str, float]
    achieved_metrics: dict[str, float]
    target_metrics: dict[str, float]
    error: float
    optimization_path: list[dict[str, Any]] = field(default_factory=list)


class SynapseOptimizer:
    """BMTool's ``SynapseOptimizer``: scipy ``minimize`` over synapse PARAMETERs scaled
    by their bounds' largest magnitude, on BMTool's metrics."""

    def __init__(self, tuner: SynapseTuner) -> None:
        self.tuner = tuner
        self.optimization_history: list[dict[str, Any]] = []
        self.run_single_event = False
        self.run_train_input = True
        self.train_frequency = 50.0
        self.train_delay = 250.0

    def _calculate_metrics(self) -> dict[str, float]:
        metrics = dict.fromkeys(
            (
                "induction ppr recovery simple_ppr max_amplitude rise_time decay_time "
                "latency half_width baseline amp"
            ).split(),
            0.0,
        )
        if self.run_single_event:
            self.tuner.SingleEvent(plot_and_print=False)
            props = self.tuner._get_syn_prop()
            metrics.update(
                rise_time=self.tuner.rise_time,
                decay_time=self.tuner.decay_time,
                latency=props["latency"],
                half_width=props["half_width"],
                baseline=props["baseline"],
                amp=props["amp"],
            )
        if self.run_train_input:
            self.tuner._simulate_model(self.train_frequency, self.train_delay)
            amp = self.tuner._response_amplitude()
            ppr, induction, recovery, simple_ppr = self.tuner._calc_ppr_induction_recovery(
                amp, print_math=False
            )
            metrics.update(
                ppr=ppr,
                induction=induction,
                recovery=recovery,
                simple_ppr=simple_ppr,
                max_amplitude=self.tuner._find_max_amp(amp),
            )
        return {k: float(v) for k, v in metrics.items()}

    @staticmethod
    def _default_cost_function(metrics: dict[str, float], target: dict[str, float]) -> float:
        return float((metrics["induction"] - target["induction"]) ** 2)

    def optimize_parameters(
        self,
        target_metrics: dict[str, float],
        param_bounds: dict[str, tuple[float, float]],
        run_single_event: bool = False,
        run_train_input: bool = True,
        train_frequency: float = 50,
        train_delay: float = 250,
        cost_function: Callable[[dict, dict], float] | None = None,
        method: str = "SLSQP",
        init_guess: str = "random",
    ) -> SynapseOptimizationResult:
        """Find PARAMETER values within ``param_bounds`` whose metrics minimise
        ``cost_function(metrics, target_metrics)`` (default: induction's squared error)."""
        from scipy.optimize import minimize

        self.optimization_history = []
        self.train_frequency, self.train_delay = train_frequency, train_delay
        self.run_single_event, self.run_train_input = run_single_event, run_train_input
        names = list(param_bounds)
        bounds = [tuple(param_bounds[n]) for n in names]
        cost = cost_function or self._default_cost_function
        scale = np.array([max(abs(lo), abs(hi)) for lo, hi in bounds])
        if init_guess == "random":
            # numpy's global generator, as BMTool: a script's np.random.seed still applies
            x0 = np.array([np.random.uniform(lo, hi) for lo, hi in bounds])  # noqa: NPY002
        elif init_guess == "middle_guess":
            x0 = np.array([(lo + hi) / 2 for lo, hi in bounds])
        else:
            raise ValueError(f"init_guess = {init_guess!r}: pick 'random' or 'middle_guess'")

        def objective(x: np.ndarray) -> float:
            params = dict(zip(names, (x * scale).tolist(), strict=True))
            self.tuner._set_syn_prop(**params)
            metrics = self._calculate_metrics()
            error = float(cost(metrics, target_metrics))
            self.optimization_history.append({"params": params, "metrics": metrics, "error": error})
            return error

        result = minimize(
            objective,
            x0 / scale,
            method=method,
            bounds=[(lo / s, hi / s) for (lo, hi), s in zip(bounds, scale, strict=True)],
        )
        final = dict(zip(names, (result.x * scale).tolist(), strict=True))
        self.tuner._set_syn_prop(**final)
        return SynapseOptimizationResult(
            optimal_params=final,
            achieved_metrics=self._calculate_metrics(),
            target_metrics=target_metrics,
            error=float(result.fun),
            optimization_path=self.optimization_history,
        )
