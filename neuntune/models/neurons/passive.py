"""Passive (leak-only) membrane."""

from ..base import Neuron, Parameter, State, register


@register
class Passive(Neuron):
    """Leak-only single compartment: dv/dt = (I_in/area − gl(v − el))/cm.

    Densities per cm², I_in in µA.  Input conductance gl·area (mS), time
    constant cm/gl (ms).
    """

    parameters = {
        "cm": Parameter(
            1.0,
            "uF/cm2",
            "membrane capacitance",
            minimum=0,
            exclusive_minimum=True,
            ui_range=(0.1, 5.0),
        ),
        "gl": Parameter(
            0.1,
            "mS/cm2",
            "leak conductance",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1e-3, 10.0),
        ),
        "el": Parameter(-65.0, "mV", "leak reversal potential", ui_range=(-100.0, 0.0)),
        "area": Parameter(
            7.854e-3,
            "cm2",
            "membrane area",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1e-6, 1e-1),
        ),
    }
    states = {"v": State(-65.0, "mV", "membrane potential")}
    equations = "dv/dt = (I_in/area - gl*(v - el))/cm"
