"""Ready-made circuits from the references (the Neun docs, Brian2's examples).

Each function returns a fresh :class:`~neuntune.Circuit` with the reference's
values and documents its source; bundled presets store the same circuits.
"""

from __future__ import annotations

from collections.abc import Callable

from .circuit import Circuit
from .models.neurons import HH, RTM
from .models.stimuli import Constant
from .models.synapses import ContinuousSynapse, GapJunction


def hh_gap_pair(g: float = 0.002) -> Circuit:
    """The Neun docs' two coupled HH cells (v0 −75 and −65 mV, inputs 0.1 and 0.08 µA)
    with a positive junction conductance ``g`` (mS), i.e. an ordinary gap junction."""
    c = Circuit()
    c.add("a", HH(v0=-75.0))
    c.add("b", HH(v0=-65.0))
    c.connect("a", "b", GapJunction(g=g), name="gj")
    c.stimulate("a", Constant(amplitude=0.1))
    c.stimulate("b", Constant(amplitude=0.08))
    return c


def hh_chain(g: float = 0.002) -> Circuit:
    """The Neun docs' chain of three HH cells (v0 −70, −65, −60 mV), 0.15 µA into the first."""
    c = Circuit()
    for name, v0 in (("n1", -70.0), ("n2", -65.0), ("n3", -60.0)):
        c.add(name, HH(v0=v0))
    c.connect("n1", "n2", GapJunction(g=g), name="s12")
    c.connect("n2", "n3", GapJunction(g=g), name="s23")
    c.stimulate("n1", Constant(amplitude=0.15))
    return c


def rtm_continuous() -> Circuit:
    """Brian2's ``continuous_interaction`` example: two RTM cells, 1.5 µA into n0,
    a tanh-gated synapse n0 -> n1 (g 1 mS, weight 0.25, E 0 mV)."""
    c = Circuit()
    c.add("n0", RTM(v0=-70.0))
    c.add("n1", RTM(v0=-65.0))
    c.connect("n0", "n1", ContinuousSynapse(), name="syn")
    c.stimulate("n0", Constant(amplitude=1.5))
    return c


CIRCUITS: dict[str, Callable[[], Circuit]] = {
    "hh_gap_pair": hh_gap_pair,
    "hh_chain": hh_chain,
    "rtm_continuous": rtm_continuous,
}
