"""Declarations BMTool's AMPA_NMDA_STP and GABA_A_STP share: BMTool's weight
scaling and its built-in Tsodyks–Markram short-term plasticity.

Units: BMTool's mechanisms take a NetCon weight w and ``initW``, with
gmax = 0.001 µS per unit weight (weights in nS).  Here g (mS) is the conductance
per unit gate before ``initW``: BMTool's w (nS) is g = w·1e-6 mS, and its
default (w = 1) is g = 1e-6 mS.
"""

from ..declarations import Parameter
from ..plasticity import tsodyks_markram as tm
from .event import event_parameters

#: STP states, event statements and logged release, as TsodyksMarkram declares them.
STATES = tm.STATES
ON_PRE = tm.ON_PRE
LOGGED = tm.TsodyksMarkram.logged


def bmtool_parameters(E: float) -> dict[str, Parameter]:
    """Event-synapse parameters with BMTool's 1 nS weight, ``initW`` and Use/Dep/Fac."""
    return {
        **event_parameters(E=E, g=1e-6),
        "initW": Parameter(
            1.0, "1", "BMTool's synaptic weight scaler", minimum=0, ui_range=(0.0, 10.0)
        ),
        **tm.PARAMETERS,
    }
