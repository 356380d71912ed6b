"""Constant current."""

from ..kinds import Stimulus
from ..registry import register
from .params import amplitude


@register
class Constant(Stimulus):
    """A constant current, I = amplitude (µA), for the whole run."""

    parameters = {"amplitude": amplitude()}
    equations = "I = amplitude"
