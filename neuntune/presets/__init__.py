"""Presets: a whole setup (circuit, run settings, dashboard hints) as a versioned JSON file.

    import neuntune.presets as presets
    p = presets.load("hh_gap_pair")        # a bundled name, or a path
    res = p.simulate()                     # with the preset's run settings
    p.circuit.set("gj.g", 0.003)
    presets.save(p, "mine.json")

The format is described in :mod:`.document`; :func:`schema` returns its JSON Schema,
generated from the registered models.  Bad documents raise
:class:`~neuntune.PresetError` naming the JSON path.  Interoperability:
:func:`to_bmtk`/:func:`from_bmtk` (BMTK synaptic-model files) and :func:`to_brian2`
(a standalone Brian2 script).
"""

from .bmtk import from_bmtk, synapse_from_bmtk, to_bmtk
from .brian2_export import to_brian2
from .document import Coupling, Preset, RunSettings, Slider, SynapseTrain, to_dict
from .io import DEFAULT, dumps, load, locate, names, parse, save, write_atomically
from .migrate import SCHEMA_VERSION
from .reader import from_dict
from .schema import schema

__all__ = [
    "DEFAULT",
    "SCHEMA_VERSION",
    "Coupling",
    "Preset",
    "RunSettings",
    "Slider",
    "SynapseTrain",
    "dumps",
    "from_bmtk",
    "from_dict",
    "load",
    "locate",
    "names",
    "parse",
    "save",
    "schema",
    "synapse_from_bmtk",
    "to_bmtk",
    "to_brian2",
    "to_dict",
    "write_atomically",
]
