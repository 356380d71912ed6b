"""Cells in NEURON: the user's hoc templates and mod files, run in a worker process.

``compile_mechanisms`` builds mod files with nrnivmodl into a cache keyed by content;
``NeuronSession`` runs one ``CellSpec`` (template, mod folder, a point process placed at
``sec_id``/``sec_x`` with its PARAMETERs) in its own NEURON process.  Needs the
``neuron`` extra (``pip install 'neuntune[neuron]'``) and a C++ compiler.
"""

from pathlib import Path

from neuntune.neuron.introspect import Parameter, Section
from neuntune.neuron.mechanisms import (
    CompiledMechanisms,
    MechanismBuildError,
    compile_mechanisms,
    mechanisms_key,
)
from neuntune.neuron.session import NeuronSession, RunCancelled, WorkerError
from neuntune.neuron.spec import (
    CellSpec,
    IClampSpec,
    PointProcessSpec,
    RunSpec,
    SpecError,
    VClampSpec,
)


def load_preset(path: str | Path) -> "NeuronPreset":  # noqa: F821 (imported on use)
    """A NEURON cell preset file (``"engine": "neuron"``), validated: see
    :mod:`neuntune.neuron.preset`.  Imported on use: the worker process imports this
    package and must not pull in neuntune's engine."""
    from neuntune.neuron.preset import load_preset as load

    return load(path)


__all__ = [
    "CellSpec",
    "CompiledMechanisms",
    "IClampSpec",
    "MechanismBuildError",
    "NeuronSession",
    "Parameter",
    "PointProcessSpec",
    "RunCancelled",
    "RunSpec",
    "Section",
    "SpecError",
    "VClampSpec",
    "WorkerError",
    "compile_mechanisms",
    "load_preset",
    "mechanisms_key",
]
