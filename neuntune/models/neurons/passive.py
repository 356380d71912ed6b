"""Passive (leak-only) membrane."""

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register
from .params import area, capacitance, reversal


@register
class Passive(Neuron):
    """Leak-only single compartment: dv/dt = (I_in/area − gl(v − el))/cm.

    Densities per cm², I_in in µA.  Input conductance gl·area (mS), time
    constant cm/gl (ms).
    """

    parameters = {
        "cm": capacitance(),
        # strictly positive (a passive cell without leak has no rest), on a log slider
        "gl": Parameter(
            0.1,
            "mS/cm2",
            "leak conductance",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1e-3, 10.0),
        ),
        "el": reversal(-65.0, "leak reversal potential", (-100.0, 0.0)),
        "area": area(7.854e-3),
    }
    states = {"v": State(-65.0, "mV", "membrane potential")}
    equations = "dv/dt = (I_in/area - gl*(v - el))/cm"
