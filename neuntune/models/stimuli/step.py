"""Current step."""

from collections.abc import Mapping

from ..kinds import Stimulus
from ..registry import register
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

    @classmethod
    def relation_problem(cls, values: Mapping[str, float | None]) -> str | None:
        start, stop = values["start"], values["stop"]
        if start is not None and stop is not None and stop < start:
            return (
                f"the step would stop (stop = {stop:g} ms) before it starts "
                f"(start = {start:g} ms); stop must be ≥ start"
            )
        return None
