"""Izhikevich (2003) simple spiking model with an exact reset."""

from collections.abc import Mapping

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register


@register
class Izhikevich(Neuron):
    """Izhikevich (2003), *Simple model of spiking neurons*, IEEE TNN 14:1569::

        dv/dt = 0.04·v² + 5·v + 140 − u + I_in/C
        du/dt = a·(b·v − u)
        when v reaches v_peak (30 mV):  v ← c,  u ← u + d

    v in mV and t in ms as in the paper; u and the paper's input I are in mV/ms.
    The paper's I is I_in/C: with the default C = 1 µF, 1 µA of stimulus or
    synaptic current is the paper's I = 1 (the paper's tonic-spiking drive is
    I = 10, i.e. ``Constant(amplitude=10.0)``).  C scales the input only, not the
    model's own terms.  The reset is applied exactly at the interpolated crossing
    of v_peak (the paper applies it after a 1 ms Euler step, so its spike times
    differ by up to a step).  u starts at b·v0 as in the paper.

    The paper's cortical and thalamic classes (Fig. 2) are available by name,
    ``Izhikevich.named("FS")``: RS (regular spiking, the defaults), IB (intrinsically
    bursting), CH (chattering), FS (fast spiking), LTS (low-threshold spiking),
    TC (thalamo-cortical) and RZ (resonator).
    """

    parameters = {
        "a": Parameter(
            0.02,
            "1/ms",
            "recovery rate of u",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(0.005, 0.2),
        ),
        "b": Parameter(0.2, "1/ms", "sensitivity of u to v", ui_range=(-0.2, 0.4)),
        "c": Parameter(-65.0, "mV", "reset voltage", ui_range=(-80.0, -40.0)),
        "d": Parameter(8.0, "mV/ms", "reset increment of u", ui_range=(0.0, 10.0)),
        "v_peak": Parameter(
            30.0, "mV", "spike cut-off where the reset happens", ui_range=(0.0, 50.0)
        ),
        "C": Parameter(
            1.0,
            "uF",
            "input capacitance: the paper's I = I_in/C",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1e-3, 10.0),
        ),
    }
    states = {
        "v": State(-65.0, "mV", "membrane potential"),
        "u": State("b*v", "mV/ms", "recovery variable"),
    }
    equations = """
        dv/dt = 0.04*v**2 + 5*v + 140 - u + I_in/C
        du/dt = a*(b*v - u)
    """
    reset = "v_peak"
    on_spike = """
        v = c
        u += d
    """

    @classmethod
    def relation_problem(cls, values: Mapping[str, float | None]) -> str | None:
        c, v_peak = values["c"], values["v_peak"]
        if c is not None and v_peak is not None and c >= v_peak:
            return (
                f"the reset voltage c = {c:g} mV must lie below v_peak = {v_peak:g} mV "
                "(a reset at or above the spike cut-off fires again at once, for ever)"
            )
        return None

    parameter_sets = {
        "RS": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},
        "IB": {"a": 0.02, "b": 0.2, "c": -55.0, "d": 4.0},
        "CH": {"a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0},
        "FS": {"a": 0.1, "b": 0.2, "c": -65.0, "d": 2.0},
        "LTS": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.0},
        "TC": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05},
        "RZ": {"a": 0.1, "b": 0.26, "c": -65.0, "d": 2.0},
    }
