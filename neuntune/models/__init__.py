"""Model declarations: cells, synapses and stimuli (one model per file)."""

from .base import (
    Model,
    Neuron,
    Option,
    Parameter,
    Plasticity,
    State,
    Stimulus,
    Synapse,
    model_class,
    register,
    registered,
)
from .neurons import HH, RTM, Passive, SpikeSource
from .stimuli import Constant, Noise, PulseTrain, Ramp, Sine, Step, VoltageClamp
from .synapses import AsymmetricGapJunction, ContinuousSynapse, GapJunction, RectifyingGapJunction

__all__ = [
    "HH",
    "RTM",
    "AsymmetricGapJunction",
    "Constant",
    "ContinuousSynapse",
    "GapJunction",
    "Model",
    "Neuron",
    "Noise",
    "Option",
    "Parameter",
    "Passive",
    "Plasticity",
    "PulseTrain",
    "Ramp",
    "RectifyingGapJunction",
    "Sine",
    "SpikeSource",
    "State",
    "Step",
    "Stimulus",
    "Synapse",
    "VoltageClamp",
    "model_class",
    "register",
    "registered",
]
