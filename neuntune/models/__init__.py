"""Model declarations: cells, synapses, stimuli and plasticity rules (one model per file)."""

from . import neurons, plasticity, stimuli, synapses
from .declarations import Option, Parameter, State
from .kinds import Neuron, Plasticity, Stimulus, Synapse
from .model import Model
from .registry import model_class, register, registered

#: Every model class, by name: what the four packages discovered (one file each).
MODELS = {
    name: getattr(package, name)
    for package in (neurons, synapses, stimuli, plasticity)
    for name in package.__all__
}
globals().update(MODELS)

__all__ = [
    "Model",
    "Neuron",
    "Option",
    "Parameter",
    "Plasticity",
    "State",
    "Stimulus",
    "Synapse",
    "model_class",
    "register",
    "registered",
    *sorted(MODELS),
]
