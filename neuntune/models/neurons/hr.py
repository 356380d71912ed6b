"""Hindmarsh–Rose bursting neuron, as in Neun's ``HR`` model."""

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register


def _number(default: float, doc: str, low: float, high: float) -> Parameter:
    """A dimensionless coefficient (unit "1") with a slider range."""
    return Parameter(default, "1", doc, ui_range=(low, high))


@register
class HR(Neuron):
    """Hindmarsh–Rose (1984) three-variable bursting model, as Neun's ``HR``::

        dx/dt = y + b·x² − a·x³ − z + e + I_in
        dy/dt = c − d·x² − y
        dz/dt = mu·(S·(x − xr) − vh·z)

    Dimensionless: x, y, z, every parameter and the input are pure numbers (unit
    "1"), and one time unit is one engine millisecond; ``I_in`` (the sum of
    stimuli and synaptic currents, nominally µA) is added to dx/dt as a number.
    Synapses read and drive x, and their voltages and thresholds are in x's units.

    Defaults: a 1, b 3, c 1, d 5, xr −1.6, vh 1 (Neun), and e 3, mu 0.001, S 4 from
    Neun's docs example, which burst regularly: 18 spikes every 504.4 time units,
    after a first, long burst while z rises from 0.  Neun's header values e 3.281,
    mu 0.0029 are chaotic.  Initial state x −1.5, y 0, z 0 as in Neun's docs.
    Spikes are counted at upward crossings of x = 0 (their peaks reach 1.6 to 2.5;
    the troughs between them stay below −0.9).
    """

    voltage = "x"
    spike_threshold = 0.0
    parameters = {
        "a": _number(1.0, "cubic coefficient of x", 0.0, 2.0),
        "b": _number(3.0, "quadratic coefficient of x", 0.0, 6.0),
        "c": _number(1.0, "constant drive of y", 0.0, 2.0),
        "d": _number(5.0, "quadratic coupling of x into y", 0.0, 10.0),
        "e": _number(3.0, "constant input current", 0.0, 5.0),
        "mu": Parameter(
            0.001,
            "1",
            "time-scale ratio of the slow variable z",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1e-4, 0.05),
        ),
        "S": _number(4.0, "adaptation strength of z", 0.0, 8.0),
        "xr": _number(-1.6, "resting x of the slow variable", -3.0, 0.0),
        "vh": _number(1.0, "decay coefficient of z", 0.0, 2.0),
    }
    states = {
        "x": State(-1.5, "1", "membrane potential variable"),
        "y": State(0.0, "1", "fast recovery variable"),
        "z": State(0.0, "1", "slow adaptation variable"),
    }
    equations = """
        dx/dt = y + b*x**2 - a*x**3 - z + e + I_in
        dy/dt = c - d*x**2 - y
        dz/dt = mu*(S*(x - xr) - vh*z)
    """
