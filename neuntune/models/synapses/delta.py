"""An event that raises a conductance state of the post cell (Brian2's ``on_pre='ge += we'``)."""

from collections.abc import Mapping

from ..declarations import Option, Parameter
from ..kinds import Synapse
from ..registry import register


@register
class DeltaSynapse(Synapse):
    """Each presynaptic spike (after ``delay``) adds ``w`` to the post cell's
    conductance state ``target`` (``ge`` or ``gi``, as in Brian2's COBA examples and
    :class:`~neuntune.models.neurons.traub_miles.TraubMilesCOBA`); the post cell's own
    equations decay it and turn it into current.  Increments onto one cell add up,
    so a population of these costs nothing between spikes.
    """

    options = {
        "target": Option(("ge", "gi"), "ge", "the post cell's conductance state to raise"),
    }
    parameters = {
        "w": Parameter(
            6e-6, "mS", "increment per spike (1 nS = 1e-6 mS)", minimum=0, scale="log",
            ui_range=(1e-8, 1e-3),
        ),
        "delay": Parameter(
            0.0, "ms", "from the presynaptic spike to the increment", minimum=0,
            ui_range=(0.0, 20.0),
        ),
        "threshold": Parameter(
            -20.0, "mV", "presynaptic voltage whose upward crossing is a spike",
            ui_range=(-60.0, 40.0),
        ),
    }  # fmt: skip
    equations = "I_post = 0"

    @classmethod
    def on_pre_for(cls, options: Mapping[str, str]) -> str:
        return f"{options['target']}_post += w"
