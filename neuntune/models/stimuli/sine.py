"""Sinusoidal current."""

from ..declarations import Parameter
from ..kinds import Stimulus
from ..registry import register
from .params import amplitude, time


@register
class Sine(Stimulus):
    """I = offset + amplitude·sin(2π·frequency·(t − start)/1000 + phase) for start ≤ t < stop.

    Currents in µA, frequency in Hz, times in ms, phase in degrees.
    """

    parameters = {
        "amplitude": amplitude(),
        "frequency": Parameter(
            10.0, "Hz", "frequency", minimum=0, scale="log", ui_range=(0.1, 200.0)
        ),
        "phase": Parameter(0.0, "deg", "phase at onset", ui_range=(-180.0, 180.0)),
        "offset": amplitude(0.0, "constant offset"),
        "start": time(0.0, "onset"),
        "stop": time(1e9, "offset time"),
    }
    equations = """
        I = where(t >= start and t < stop,
                  offset + amplitude*sin(2*pi*frequency*(t - start)/1000 + phase*pi/180), 0)
    """
