"""Presets of a synapse on the user's NEURON cell (``"engine": "neuron"``): the hoc
template, the mod folder and the point process by path and name, its PARAMETERs with
their units, and BMTool's train protocol.  ``neuntune serve FILE`` opens the live tuner
on one (:mod:`neuntune.ui.neuron_tuner`)::

    {"schema": 2, "engine": "neuron",
     "metadata": {"name": "GABA_A_STP on a passive cell"},
     "cell": {"template": "PassiveCell", "templates": "templates/passive_cells.hoc",
              "mechanisms": "mechanisms"},
     "synapse": {"point_process": "GABA_A_STP", "sec_id": 0, "sec_x": 0.5,
                 "parameters": {"Dep": {"value": 100, "unit": "ms"}}},
     "protocol": {"kind": "train", "start": {"value": 500, "unit": "ms"},
                  "clamp": {"value": 0, "unit": "mV"}, ...},
     "sliders": ["Use", "Dep", "Fac"]}

Paths are relative to the preset file; a missing one is named when the preset loads.
A PARAMETER's unit must be the one its mod file declares (NEURON's spelling, ``"1"`` or
``""`` for none): the tuner checks it when the cell is built.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import PresetError
from ..presets.checks import (
    check_sizes,
    describe,
    expect_array,
    expect_integer,
    expect_number,
    expect_object,
    expect_quantity,
    expect_string,
    fail,
)
from ..presets.io import decode, is_neuron_document, read, write_atomically
from .introspect import Parameter
from .spec import CellSpec, PointProcessSpec, SpecError

#: Each protocol's fields, their unit and default: BMTool's SynapseTuner train (and a
#: NetCon ``weight``, a plain number) and its GapJunctionTuner current step.
PROTOCOLS: dict[str, dict[str, tuple[str, float]]] = {
    "train": {
        "start": ("ms", 500.0),
        "clamp": ("mV", -70.0),
        "netcon_delay": ("ms", 1.3),
        "dt": ("ms", 0.025),
        "celsius": ("degC", 20.0),
        "frequency": ("Hz", 50.0),
        "recovery_delay": ("ms", 250.0),
    },
    "coupling": {
        "amp": ("nA", -0.01),
        "start": ("ms", 500.0),
        "duration": ("ms", 500.0),
        "dt": ("ms", 0.025),
        "celsius": ("degC", 20.0),
        "v_init": ("mV", -70.0),
    },
}


@dataclass(frozen=True)
class NeuronPreset:
    """A NEURON cell preset: ``cell`` (paths resolved), the synapse's PARAMETERs with
    their units (``units``), the protocol (``kind`` "train" or "coupling";
    ``protocol``: PROTOCOLS[kind]'s fields in their units, and a train's NetCon
    ``weight``), the slider names (None: every PARAMETER) and the file it came from.
    A coupling preset's cell has a ``partner`` (the same template unless named)."""

    name: str
    cell: CellSpec
    units: dict[str, str] = field(default_factory=dict)
    protocol: dict[str, float] = field(default_factory=dict)
    sliders: tuple[str, ...] | None = None
    description: str = ""
    path: Path | None = None
    kind: str = "train"

    def train_settings(self) -> dict[str, float]:
        """``protocols.train``'s keywords (all but frequency and recovery delay)."""
        skip = ("frequency", "recovery_delay")
        return {k: v for k, v in self.protocol.items() if k not in skip}

    def check_units(self, parameters: list[Parameter]) -> None:
        """Raise PresetError where a PARAMETER's unit differs from its mod file's."""
        declared = {p.name: p.units for p in parameters}
        for name, unit in self.units.items():
            path = f"$.synapse.parameters.{name}"
            if name not in declared:
                fail(path, f"{self.cell.synapse.name} has no PARAMETER {name!r}; its "
                           f"PARAMETERs: {', '.join(declared)}")  # fmt: skip
            if _same_unit(unit, declared[name]):
                continue
            fail(f"{path}.unit", f"{unit!r}, but the mod file declares {declared[name]!r}")

    def to_dict(
        self, params: dict[str, float], units: dict[str, str], base: Path | None = None
    ) -> dict:
        """The document with ``params`` (in ``units``, NEURON's spelling) and paths
        relative to ``base`` (the folder the file is written to), or absolute (None)."""

        def where(path: Path) -> str:
            return str(path) if base is None else os.path.relpath(path, base)

        synapse = self.cell.synapse
        return {
            "schema": 2,
            "engine": "neuron",
            "metadata": {"name": self.name, "description": self.description},
            "cell": {
                "template": self.cell.template,
                "templates": where(self.cell.templates),
                "mechanisms": where(self.cell.mechanisms),
                **({"partner": self.cell.partner} if self.cell.partner else {}),
            },
            "synapse": {
                "point_process": synapse.name,
                "sec_id": synapse.sec_id,
                "sec_x": synapse.sec_x,
                "parameters": {
                    name: {"value": value, "unit": units.get(name, "")}
                    for name, value in params.items()
                },
            },
            "protocol": {
                "kind": self.kind,
                **{
                    k: {"value": self.protocol[k], "unit": u}
                    for k, (u, _) in PROTOCOLS[self.kind].items()
                },
                **({"weight": self.protocol["weight"]} if self.kind == "train" else {}),
            },
            **({"sliders": list(self.sliders)} if self.sliders is not None else {}),
        }


def _same_unit(a: str, b: str) -> bool:
    return a == b or {a, b} <= {"", "1"}


def from_dict(doc: Any, base: Path) -> NeuronPreset:
    """Validate a decoded NEURON preset; paths are relative to ``base``."""
    check_sizes(doc)
    top = expect_object(
        doc, "$", ("schema", "engine", "metadata", "cell", "synapse"), ("protocol", "sliders")
    )
    if top["schema"] != 2:
        fail("$.schema", f"{top['schema']!r}: NEURON presets are schema 2")
    expect_string(top["engine"], "$.engine", ("neuron",))
    meta = expect_object(top["metadata"], "$.metadata", ("name",), ("description", "source"))
    name = expect_string(meta["name"], "$.metadata.name")
    cell = expect_object(
        top["cell"], "$.cell", ("template", "templates", "mechanisms"), ("partner",)
    )
    paths = {}
    for key in ("templates", "mechanisms"):
        written = expect_string(cell[key], f"$.cell.{key}")
        path = (base / Path(written).expanduser()).resolve()
        if not path.exists():
            fail(f"$.cell.{key}", f"{written!r} ({path}): no such file or folder")
        paths[key] = path
    syn = expect_object(
        top["synapse"], "$.synapse", ("point_process",), ("sec_id", "sec_x", "parameters")
    )
    params, units = {}, {}
    written = syn.get("parameters", {})
    if not isinstance(written, dict):
        fail("$.synapse.parameters", f"expected an object of PARAMETERs; got {describe(written)}")
    for key, value in written.items():
        path = f"$.synapse.parameters.{key}"
        entry = expect_object(value, path, ("value", "unit"))
        units[key] = expect_string(entry["unit"], f"{path}.unit")
        params[key] = expect_number(entry["value"], f"{path}.value")
    try:
        point = PointProcessSpec(
            expect_string(syn["point_process"], "$.synapse.point_process"),
            expect_integer(syn.get("sec_id", 0), "$.synapse.sec_id", 0),
            expect_number(syn.get("sec_x", 0.5), "$.synapse.sec_x"),
            params,
        )
        spec = CellSpec(
            expect_string(cell["template"], "$.cell.template"),
            paths["templates"],
            paths["mechanisms"],
            point,
        )
    except SpecError as error:
        where = {
            "template": "$.cell.template",
            "name": "$.synapse.point_process",
            "sec_id": "$.synapse.sec_id",
            "sec_x": "$.synapse.sec_x",
        }.get(error.field, "$.synapse.parameters")
        raise PresetError(f"{where}: {error}") from None
    kind, protocol = _protocol(top.get("protocol", {"kind": "train"}))
    partner = None
    if kind == "coupling":
        partner = expect_string(cell.get("partner", spec.template), "$.cell.partner")
        try:
            spec = replace(spec, partner=partner)
        except SpecError as error:
            raise PresetError(f"$.cell.partner: {error}") from None
    elif "partner" in cell:
        fail("$.cell.partner", "only a coupling protocol has a partner cell")
    sliders = None
    if "sliders" in top:
        items = expect_array(top["sliders"], "$.sliders")
        sliders = tuple(expect_string(v, f"$.sliders[{i}]") for i, v in enumerate(items))
    description = expect_string(meta.get("description", ""), "$.metadata.description")
    return NeuronPreset(name, spec, units, protocol, sliders, description, kind=kind)


def _protocol(value: Any) -> tuple[str, dict[str, float]]:
    kinds = tuple(PROTOCOLS)
    if not isinstance(value, dict):
        fail("$.protocol", f"expected an object with a kind ({', '.join(kinds)}); "
                           f"got {describe(value)}")  # fmt: skip
    kind = expect_string(value.get("kind"), "$.protocol.kind", kinds)
    fields = PROTOCOLS[kind]
    extra = ("weight",) if kind == "train" else ()
    obj = expect_object(value, "$.protocol", ("kind",), (*fields, *extra))
    protocol = {}
    for key, (unit, default) in fields.items():
        protocol[key] = (
            expect_quantity(obj[key], f"$.protocol.{key}", unit) if key in obj else default
        )
    if kind == "train":
        protocol["weight"] = expect_number(obj.get("weight", 1.0), "$.protocol.weight")
    for key in ("dt", "frequency", "duration"):
        if key in protocol and protocol[key] <= 0:
            fail(f"$.protocol.{key}.value", f"{protocol[key]:g}: must be > 0")
    for key in ("start", "recovery_delay"):
        if key in protocol and protocol[key] < 0:
            fail(f"$.protocol.{key}.value", f"{protocol[key]:g}: must be >= 0 ms")
    return kind, protocol


def is_neuron_preset(name_or_path: str | os.PathLike[str]) -> bool:
    """Whether a file is a NEURON cell preset (False for bundled names, other presets,
    and files that do not parse: their loader says what is wrong)."""
    path = Path(name_or_path)
    if not path.is_file():
        return False
    try:
        return is_neuron_document(decode(read(path)[1]))
    except PresetError:
        return False


def load_preset(path: str | os.PathLike[str]) -> NeuronPreset:
    """A NEURON cell preset file, validated (paths exist; PARAMETER units are checked
    when the cell is built); raises PresetError naming the file and the JSON path."""
    file, text = read(path)
    try:
        preset = from_dict(decode(text), file.resolve().parent)
    except PresetError as error:
        raise PresetError(f"{path}: {error}") from None
    return replace(preset, path=file.resolve())


def save_preset(
    preset: NeuronPreset, path: str | os.PathLike[str], params: dict[str, float],
    units: dict[str, str],
) -> Path:  # fmt: skip
    """Write ``preset`` with the synapse's ``params`` (in NEURON's ``units``) to
    ``path`` atomically; paths in it are written relative to the new file."""
    target = Path(path).resolve()
    doc = preset.to_dict(params, units, target.parent)
    text = json.dumps(doc, indent=2) + "\n"
    from_dict(decode(text), target.parent)  # what is written reads back
    return write_atomically(target, lambda fh: fh.write(text))
