"""The experiments neuntune simulates, one home each (fits, scans, preset
measurements, the dashboard and its warm-up call these):

- :mod:`.coupling`: the coupling protocol (BMTool's step probe, the one window rule,
  the quiet rule, both directions, the batched probe) and ``coupling_coefficient``;
- :mod:`.pairwise`: that protocol across a gap-junction connection between populations;
- :mod:`.spectrum`: the coupling spectrum (sine probes);
- :mod:`.train`: the synapse train protocol (BMTool's SynapseTuner), clamped or free;
- :mod:`.clamp`: current-step protocols on one cell (rheobase, f–I curve);
- :mod:`.defaults`: their default settings (dt, method, probe, window fraction, ...).
"""

from .clamp import FICurve, StepProtocol, fi_curve, rheobase
from .coupling import (
    CouplingProtocol,
    check_quiet,
    coupling_coefficient,
    coupling_protocol,
    gap_junctions,
    measure_coupling,
    quiet_copy,
    run_probes,
    windows,
)
from .defaults import DT, DURATION, METHOD, PROBE, SETTLE, WINDOW
from .pairwise import MAX_SOURCES, PairwiseCoupling, pairwise_coupling
from .spectrum import CouplingSpectrum, coupling_spectrum
from .train import SynapseEvaluator, SynapseProtocol

__all__ = [
    "DT",
    "DURATION",
    "MAX_SOURCES",
    "METHOD",
    "PROBE",
    "SETTLE",
    "WINDOW",
    "CouplingProtocol",
    "CouplingSpectrum",
    "FICurve",
    "PairwiseCoupling",
    "StepProtocol",
    "SynapseEvaluator",
    "SynapseProtocol",
    "check_quiet",
    "coupling_coefficient",
    "coupling_protocol",
    "coupling_spectrum",
    "fi_curve",
    "gap_junctions",
    "measure_coupling",
    "pairwise_coupling",
    "quiet_copy",
    "rheobase",
    "run_probes",
    "windows",
]
