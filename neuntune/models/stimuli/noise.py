"""Ornstein–Uhlenbeck noise current."""

from ..declarations import Parameter, State
from ..kinds import Stimulus
from ..registry import register
from .params import amplitude


@register
class Noise(Stimulus):
    """Ornstein–Uhlenbeck current: dI = (mean − I)/tau dt + sigma·sqrt(2/tau) dW.

    I (µA) has stationary mean ``mean``, standard deviation ``sigma`` and
    autocorrelation time ``tau`` (ms).  It is advanced once per step by the
    exact OU transition, I ← mean + (I − mean)e^(−dt/tau) + sigma·sqrt(1 − e^(−2dt/tau))·ξ,
    so its statistics are right for any dt and any integration method, and held
    constant within the step.  ``seed`` (an integer) makes a run reproducible;
    every member of a batch sees the same noise (common random numbers).
    """

    parameters = {
        "mean": amplitude(0.0, "mean current"),
        "sigma": Parameter(0.01, "uA", "standard deviation", minimum=0, ui_range=(0.0, 0.2)),
        "tau": Parameter(
            5.0,
            "ms",
            "autocorrelation time",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(0.1, 100.0),
        ),
        "seed": Parameter(1.0, "1", "random seed (an integer)", minimum=0, maximum=2.0**53),
    }
    states = {"x": State("mean", "uA", "noise current (starts at the mean)")}
    equations = "I = x"
    on_step = "x = mean + (x - mean)*exp(-dt/tau) + sigma*sqrt(1 - exp(-2*dt/tau))*randn()"
