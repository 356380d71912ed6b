"""What `import neuntune as nt` offers: the names README uses."""

import neuntune as nt
from neuntune.fit import synapse


def test_fit_synapse_is_exported_at_the_top_level():
    assert nt.fit_synapse is synapse.fit_synapse and nt.SynapseFit is synapse.SynapseFit
    assert {"fit_synapse", "SynapseFit"} <= set(nt.__all__)
