"""Compatibility layers for scripts written for other simulators.

``neuntune.compat.neun_py`` is a drop-in for Neun's Python bindings: change only
the import (``import neuntune.compat.neun_py as neun_py``) and a neun_py script
runs, stepping each cell and synapse the way Neun does; ``neun_py.to_circuit``
turns the network into a native :class:`~neuntune.Circuit`.

``neuntune.compat.bmtool`` does the same for BMTool's ``SynapseTuner``,
``GapJunctionTuner`` and their optimizers (``from neuntune.compat.bmtool import
SynapseTuner``), running the user's hoc templates and mod files in NEURON.
"""
