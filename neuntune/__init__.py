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

from . import analysis, presets
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
    AMPA,
    AMPA_NMDA_STP,
    GABA_A_STP,
    GABAA,
    HH,
    HR,
    LIF,
    NMDA,
    RTM,
    AdEx,
    AlphaSynapse,
    AsymmetricGapJunction,
    Constant,
    ContinuousSynapse,
    DeltaSynapse,
    DiffusionSynapse,
    EventSynapse,
    Exp2Synapse,
    ExpSynapse,
    GapJunction,
    Izhikevich,
    Model,
    Neuron,
    Noise,
    Option,
    Parameter,
    Passive,
    Plasticity,
    PulseTrain,
    Ramp,
    RectifyingGapJunction,
    Sine,
    SpikeSource,
    State,
    Step,
    Stimulus,
    Synapse,
    TraubMilesCOBA,
    TsodyksMarkram,
    VoltageClamp,
    WangBuzsaki,
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

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # the dashboard loads Panel: only on first use, so `import neuntune` stays light
    if name == "Tuner":
        from .ui import Tuner

        return Tuner
    raise AttributeError(f"module 'neuntune' has no attribute {name!r}")


__all__ = [
    "AMPA",
    "AMPA_NMDA_STP",
    "GABAA",
    "GABA_A_STP",
    "HH",
    "HR",
    "LIF",
    "NMDA",
    "RTM",
    "AdEx",
    "AllToAll",
    "AlphaSynapse",
    "AsymmetricGapJunction",
    "CancelledError",
    "Circuit",
    "Constant",
    "ContinuousSynapse",
    "CouplingSpectrum",
    "DeltaSynapse",
    "DiffusionSynapse",
    "EventSynapse",
    "Exp2Synapse",
    "ExpSynapse",
    "FixedNumberPre",
    "FixedProbability",
    "GapJunction",
    "GapJunctionFit",
    "Izhikevich",
    "Model",
    "Neuron",
    "Noise",
    "Normal",
    "OneToOne",
    "Option",
    "Pairs",
    "PairwiseCoupling",
    "Parameter",
    "Passive",
    "Plasticity",
    "Preset",
    "PresetError",
    "PulseTrain",
    "Ramp",
    "RectifyingGapJunction",
    "Result",
    "ScanResult",
    "SimulationError",
    "Sine",
    "SpikeSource",
    "Spikes",
    "State",
    "Step",
    "Stimulus",
    "Sums",
    "Synapse",
    "SynapseFit",
    "TraubMilesCOBA",
    "TsodyksMarkram",
    "Tuner",
    "Uniform",
    "VoltageClamp",
    "WangBuzsaki",
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
]
