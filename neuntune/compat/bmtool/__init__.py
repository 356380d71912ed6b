"""A drop-in for BMTool 0.8.7's synapse and gap-junction tuners (``bmtool.synapses``).

Change only the import and a BMTool script runs on the same hoc templates and mod files::

    from neuntune.compat.bmtool import SynapseTuner, SynapseOptimizer
    tuner = SynapseTuner(mechanisms_dir="modfiles", templates_dir="templates.hoc",
                         general_settings=general_settings,
                         conn_type_settings=conn_type_settings, connection="Fac2FSI")
    tuner.SingleEvent()
    tuner._simulate_model(50, 250)
    ppr, induction, recovery, simple_ppr = tuner._calc_ppr_induction_recovery(
        tuner._response_amplitude())

The cells run in NEURON, in a worker process per tuner (:mod:`neuntune.neuron`): the mod
files are compiled with ``nrnivmodl`` into a cache and reused, so ``mechanisms_dir`` needs
the ``.mod`` files, not a compiled ``x86_64/``.  BMTool's wiring, protocols and
measurement are reproduced (:mod:`neuntune.neuron.protocols`,
:mod:`neuntune.analysis.bmtool`), so the numbers are BMTool's.  Where BMTool is wrong to
its user's cost, its value is kept, a :class:`BMToolWarning` says so once, and the right
one is offered:

- with ``vclamp`` True the clamp's holding current is subtracted from the synaptic
  current (``response_amplitude_true``);
- ``half_width`` is too long by the latency (``half_width_true``);
- the gap junction's "resistance" is ``Gap.g``, a conductance in µS
  (``GapOptimizationResult.conductance_nS``, ``.resistance_MOhm``);
- ``optimize_resistance`` stops at scipy's default tolerance, 1e-5 µS
  (``GapJunctionOptimizer.optimize_conductance_exact``).

With ``config=`` the connection types come from a BMTK network as BMTool reads them
(:class:`neuntune.neuron.bmtk.BMTKNetwork`: ``initW = syn_weight``, with a warning where
bionet would run the synapse differently).  ``SynapseTuner.InteractiveTuner()`` (in a
notebook) and ``.show()`` (a browser tab) open neuntune's live tuner on the connection
(:mod:`neuntune.ui.neuron_tuner`), ``GapJunctionTuner``'s on the pair
(:mod:`neuntune.ui.neuron_coupling`).  Not supported yet: cells made in this process
(``hoc_cell=``) and BMTool's continuous-input mode; each raises an error that says so.
"""

from neuntune.compat.bmtool.common import (
    DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS,
    DEFAULT_GENERAL_SETTINGS,
    BMToolWarning,
)
from neuntune.compat.bmtool.gap import (
    GapJunctionOptimizer,
    GapJunctionTuner,
    GapOptimizationResult,
)
from neuntune.compat.bmtool.synapse_optimizer import SynapseOptimizationResult, SynapseOptimizer
from neuntune.compat.bmtool.synapse_tuner import SynapseTuner

__all__ = [
    "DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS",
    "DEFAULT_GENERAL_SETTINGS",
    "BMToolWarning",
    "GapJunctionOptimizer",
    "GapJunctionTuner",
    "GapOptimizationResult",
    "SynapseOptimizationResult",
    "SynapseOptimizer",
    "SynapseTuner",
]
