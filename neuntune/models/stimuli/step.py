"""Current step."""

from ..base import Stimulus, register
from .params import amplitude, time


@register
class Step(Stimulus):
    """I = amplitude (µA) for start ≤ t < stop (ms), else 0."""

    parameters = {
        "amplitude": amplitude(),
        "start": time(10.0, "step onset"),
        "stop": time(90.0, "step offset"),
    }
    equations = "I = where(t >= start and t < stop, amplitude, 0)"
