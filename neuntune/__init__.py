"""neuntune: interactive synapse tuning for small circuits of model neurons.

Quick start::

    import neuntune as nt
    c = nt.Circuit()
    c.add("a", nt.HH(v0=-75.0))
    c.add("b", nt.HH(v0=-65.0))
    c.connect("a", "b", nt.GapJunction(g=0.002), name="gj")
    c.stimulate("a", nt.Constant(amplitude=0.1))
    res = nt.simulate(c, t_stop=100.0, dt=0.001, method="rk4")
"""

from typing import Any

from . import analysis, models, presets
from .circuit import Circuit
from .connectivity import (
    AllToAll,
    FixedNumberPre,
    FixedProbability,
    Normal,
    OneToOne,
    Pairs,
    Uniform,
)
from .errors import PresetError, SimulationError
from .fit import GapJunctionFit, fit_gap_junction
from .fit.synapse import SynapseFit, fit_synapse
from .models import (
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
from .presets import Preset
from .presets import load as load_preset
from .presets import save as save_preset
from .protocols import (
    CouplingSpectrum,
    PairwiseCoupling,
    coupling_coefficient,
    coupling_spectrum,
    pairwise_coupling,
)
from .result import Spikes
from .simulate import CancelledError, Result, Sums, simulate, simulate_batch, sum_batch
from .sweep import ScanResult, scan

# Every model (cells, synapses, stimuli, plasticity) as nt.<Name>: discovered from
# their files (neuntune.models.MODELS), so a new model needs no export list here.
globals().update(models.MODELS)

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # the dashboard loads Panel: only on first use, so `import neuntune` stays light
    if name == "Tuner":
        from .ui import Tuner

        return Tuner
    raise AttributeError(f"module 'neuntune' has no attribute {name!r}")


__all__ = [
    "AllToAll",
    "CancelledError",
    "Circuit",
    "CouplingSpectrum",
    "FixedNumberPre",
    "FixedProbability",
    "GapJunctionFit",
    "Model",
    "Neuron",
    "Normal",
    "OneToOne",
    "Option",
    "Pairs",
    "PairwiseCoupling",
    "Parameter",
    "Plasticity",
    "Preset",
    "PresetError",
    "Result",
    "ScanResult",
    "SimulationError",
    "Spikes",
    "State",
    "Stimulus",
    "Sums",
    "Synapse",
    "SynapseFit",
    "Tuner",
    "Uniform",
    "analysis",
    "coupling_coefficient",
    "coupling_spectrum",
    "fit_gap_junction",
    "fit_synapse",
    "load_preset",
    "model_class",
    "pairwise_coupling",
    "presets",
    "register",
    "registered",
    "save_preset",
    "scan",
    "simulate",
    "simulate_batch",
    "sum_batch",
    *sorted(models.MODELS),
]
