"""Linear current ramp."""

from ..kinds import Stimulus
from ..registry import register
from .params import amplitude, time


@register
class Ramp(Stimulus):
    """I rises linearly from 0 at ``start`` to ``amplitude`` (µA) at ``stop`` (ms); 0 outside."""

    parameters = {
        "amplitude": amplitude(),
        "start": time(10.0, "ramp onset"),
        "stop": time(90.0, "ramp end"),
    }
    equations = "I = where(t >= start and t < stop, amplitude*(t - start)/(stop - start), 0)"
