"""Metrics on traces: spikes and bursts, synchrony, coupling coefficients, cell
characterisation, single-event PSP/PSC shape, train plasticity, the responses of a
run's chemical synapses and population metrics (population rate, per-cell rates and
ISI CVs, Golomb's synchrony χ).

Functions take plain numpy arrays (times in ms, voltages in mV, currents in µA)
and return plain numbers or small dataclasses whose docstrings give the units;
a few take a :class:`~neuntune.Result` (coupling, synapse responses) or a
:class:`~neuntune.Circuit` (the passive CC estimate).  ``rheobase``, ``fi_curve``
and ``FICurve`` are found here too, but they simulate, so they live in
:mod:`neuntune.protocols.clamp` (imported on first use: protocols sit above analysis).
"""

from .bmtool import (
    BMToolSynProps,
    BMToolTrainMetrics,
    bmtool_amplitudes,
    bmtool_cc,
    bmtool_syn_props,
    bmtool_train_metrics,
)
from .cell import input_resistance, membrane_time_constant
from .coupling import cc_from_runs, cc_from_traces, passive_cc
from .population import (
    PopulationRate,
    Synchrony,
    cell_cvs,
    cell_rates,
    golomb_synchrony,
    mean_cv,
    mean_rate,
    population_rate,
)
from .psp import EventMetrics, event_metrics
from .spikes import Bursts, burst_threshold, bursts, cv, firing_rate, isi, spike_times
from .synapse import (
    SynapseResponse,
    chemical_connections,
    connection_response,
    delivery_times,
    synapse_response,
    synapse_responses,
)
from .synchrony import (
    PhaseLocking,
    coincidence_factor,
    mean_abs_difference,
    pearson,
    pearson_from_sums,
    phase_locking,
)
from .traces import crossings, deflection, window_mean
from .train import (
    FrequencyResponse,
    TrainMetrics,
    frequency_response,
    train_amplitudes,
    train_metrics,
)

__all__ = [
    "BMToolSynProps",
    "BMToolTrainMetrics",
    "Bursts",
    "EventMetrics",
    "FICurve",
    "FrequencyResponse",
    "PhaseLocking",
    "PopulationRate",
    "SynapseResponse",
    "Synchrony",
    "TrainMetrics",
    "bmtool_amplitudes",
    "bmtool_cc",
    "bmtool_syn_props",
    "bmtool_train_metrics",
    "burst_threshold",
    "bursts",
    "cc_from_runs",
    "cc_from_traces",
    "cell_cvs",
    "cell_rates",
    "chemical_connections",
    "coincidence_factor",
    "connection_response",
    "crossings",
    "cv",
    "deflection",
    "delivery_times",
    "event_metrics",
    "fi_curve",
    "firing_rate",
    "frequency_response",
    "golomb_synchrony",
    "input_resistance",
    "isi",
    "mean_abs_difference",
    "mean_cv",
    "mean_rate",
    "membrane_time_constant",
    "passive_cc",
    "pearson",
    "pearson_from_sums",
    "phase_locking",
    "population_rate",
    "rheobase",
    "spike_times",
    "synapse_response",
    "synapse_responses",
    "train_amplitudes",
    "train_metrics",
    "window_mean",
]

_CLAMP = ("FICurve", "fi_curve", "rheobase")


def __getattr__(name: str) -> object:
    if name in _CLAMP:
        from ..protocols import clamp

        return getattr(clamp, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
