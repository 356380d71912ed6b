"""Ready-made circuits from the references, as Python functions.

Each returns a fresh :class:`~neuntune.Circuit` loaded from the bundled preset of
the same name (the presets are the single source of these setups; see
``neuntune presets`` for their descriptions and sources).
"""

from __future__ import annotations

from .circuit import Circuit
from .presets import load


def hh_gap_pair(g: float = 0.002) -> Circuit:
    """The Neun docs' two coupled HH cells (v0 −75 and −65 mV, inputs 0.1 and 0.08 µA)
    with a positive junction conductance ``g`` (mS), i.e. an ordinary gap junction."""
    circuit = load("hh_gap_pair").circuit
    circuit.set("gj.g", g)
    return circuit


def hh_chain(g: float = 0.002) -> Circuit:
    """The Neun docs' chain of three HH cells (v0 −70, −65, −60 mV; gates started at
    the docs' 0.05, 0.6, 0.3), 0.15 µA into the first, junctions ``g`` (mS)."""
    circuit = load("hh_chain").circuit
    for junction in circuit.connections:
        circuit.set(f"{junction}.g", g)
    return circuit


def rtm_continuous() -> Circuit:
    """Brian2's ``continuous_interaction`` example: two RTM cells, 1.5 µA into n0,
    a tanh-gated synapse n0 -> n1 (g 1 mS, weight 0.25, E 0 mV)."""
    return load("rtm_continuous").circuit
