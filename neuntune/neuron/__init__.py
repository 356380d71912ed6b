"""Cells in NEURON: the user's hoc templates and mod files.

``compile_mechanisms`` builds mod files with nrnivmodl into a cache keyed by content.
Needs the ``neuron`` extra (``pip install 'neuntune[neuron]'``) and a C++ compiler.
"""

from neuntune.neuron.mechanisms import (
    CompiledMechanisms,
    MechanismBuildError,
    compile_mechanisms,
    mechanisms_key,
)

__all__ = [
    "CompiledMechanisms",
    "MechanismBuildError",
    "compile_mechanisms",
    "mechanisms_key",
]
