"""BMTK/NEURON interoperability: synapse parameters out to BMTK's files and back.

:func:`to_bmtk` turns a circuit's connections into one document::

    {"synaptic_models": {"syn": {"level_of_detail": "exp2syn", "tau1": 0.1, "tau2": 10.0,
                                 "erev": 0.0, ...}},
     "edges": {"syn": {"source": "a", "target": "b", "dynamics_params": "syn.json",
                       "syn_weight": 0.1, "delay": 1.0}},
     "gap_junctions": {"gj": {"source": "a", "target": "b", "level_of_detail": "GapJunction",
                              "syn_weight": 2.0,
                              "parameters": {"g": {"value": 2.0, "unit": "uS"}},
                              "resistance": {"g": {"value": 0.5, "unit": "MOhm"}}}}}

Each ``synaptic_models`` entry is the content of a BMTK ``dynamics_params`` file:
``level_of_detail`` and the mechanism's parameters, in NEURON's units (conductances
µS, currents nA, times ms, voltages mV; the rest as declared), with the
mechanism's parameter names for the models in :data:`MECHANISMS` (BMTool's
AMPA_NMDA_STP, GABA_A_STP, NEURON's Exp2Syn) and neuntune's names otherwise.
Non-default options are included as strings; a plasticity rule as a nested
``"plasticity"`` entry.  The conductance ``g`` and ``delay`` are per-edge in BMTK
and go to ``edges`` (``syn_weight`` in the mechanism's weight unit: µS for
Exp2Syn, nS for BMTool's mechanisms).

Gap junctions give each conductance in µS (``syn_weight``, what BMTK's ``Gap``
mechanism takes) and as a resistance R = 1/g in MΩ.  Importing reads the
conductances only and never inverts them (BMTool's "Resistance (MOhm)" slider
in fact sets a conductance in µS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from ..circuit import Circuit
from ..errors import PresetError
from ..models.base import Model, Synapse, model_class
from . import units
from .document import Preset, element_to_json, quantity


@dataclass(frozen=True)
class Mechanism:
    """A NEURON mechanism a neuntune synapse model corresponds to."""

    level_of_detail: str
    names: dict[str, str]  # neuntune parameter -> mechanism parameter, where they differ
    weight_unit: str  # unit of the NetCon weight (BMTK's syn_weight)


#: neuntune synapse models that are NEURON/BMTool mechanisms, by model name.
MECHANISMS: dict[str, Mechanism] = {
    "Exp2Synapse": Mechanism("exp2syn", {"tau_r": "tau1", "tau_d": "tau2", "E": "erev"}, "uS"),
    "AMPA_NMDA_STP": Mechanism("AMPA_NMDA_STP", {"E": "e"}, "nS"),
    "GABA_A_STP": Mechanism("GABA_A_STP", {"E": "e_GABAA"}, "nS"),
}
_GENERIC_WEIGHT = "uS"  # NEURON's unit for a conductance weight

#: NEURON's units, by quantity; other quantities keep the model's declared unit.
NEURON_UNITS = {"conductance": "uS", "current": "nA"}

#: Parameters that are per-edge in BMTK (BMTK's names).
EDGE = {"g": "syn_weight", "delay": "delay"}


def _neuron_unit(unit: str) -> str:
    entry = units.lookup(unit)
    return NEURON_UNITS.get(entry.quantity, unit) if entry else unit


def electrical(synapse: Synapse) -> bool:
    """Whether a synapse is a gap junction (it injects current into its pre cell too)."""
    return "I_pre" in synapse.resolved().equations.assignments


def _mechanism(cls: type[Model]) -> Mechanism:
    return MECHANISMS.get(cls.__name__) or Mechanism(cls.__name__, {}, _GENERIC_WEIGHT)


def _dynamics(model: Model) -> dict[str, Any]:
    """``level_of_detail``, non-default options and parameters in NEURON's units and names."""
    element = element_to_json(model)  # the one place that knows a model's own values
    mech = _mechanism(type(model))
    defaults = {k: o.default for k, o in type(model).options.items()}
    out: dict[str, Any] = {"level_of_detail": mech.level_of_detail}
    out.update({k: v for k, v in element["options"].items() if v != defaults[k]})
    for key, q in element["parameters"].items():
        if key not in EDGE:
            value, unit = q["value"], q["unit"]
            converted = None if value is None else units.convert(value, unit, _neuron_unit(unit))
            out[mech.names.get(key, key)] = converted
    if isinstance(model, Synapse) and model.plasticity is not None:
        out["plasticity"] = _dynamics(model.plasticity)
    return out


def _gap_junction(synapse: Synapse) -> dict[str, Any]:
    """Parameters in NEURON's units, each conductance also as a resistance (MΩ)."""
    parameters, resistance = {}, {}
    for key, p in type(synapse).parameter_table().items():
        unit = _neuron_unit(p.unit)
        value = units.convert(synapse.get(key), p.unit, unit)
        parameters[key] = quantity(value, unit)
        if unit == "uS":  # 1/µS = MΩ; an open junction has no finite resistance
            resistance[key] = quantity(1.0 / value if value > 0 else None, "MOhm")
    out: dict[str, Any] = {"level_of_detail": type(synapse).__name__}
    if "g" in parameters:
        out["syn_weight"] = parameters["g"]["value"]
    return {**out, "parameters": parameters, "resistance": resistance}


def to_bmtk(preset: Preset | Circuit) -> dict[str, Any]:
    """Every connection of a preset (or circuit) as BMTK synaptic models, edges and gap
    junctions (see the module docs)."""
    circuit = preset.circuit if isinstance(preset, Preset) else preset
    out: dict[str, Any] = {"synaptic_models": {}, "edges": {}, "gap_junctions": {}}
    for name, conn in circuit.connections.items():
        syn, ends = conn.synapse, {"source": conn.pre, "target": conn.post}
        if electrical(syn):
            out["gap_junctions"][name] = {**ends, **_gap_junction(syn)}
            continue
        table = type(syn).parameter_table()
        edge: dict[str, Any] = {**ends, "dynamics_params": f"{file_name(name)}.json"}
        for key, bmtk in EDGE.items():
            if key in table:
                unit = _mechanism(type(syn)).weight_unit if key == "g" else "ms"
                edge[bmtk] = units.convert(syn.get(key), table[key].unit, unit)
        out["synaptic_models"][name] = _dynamics(syn)
        out["edges"][name] = edge
    return out


def file_name(name: str) -> str:
    """A connection name as a file name (``a->b#2`` -> ``a_b_2``)."""
    return re.sub(r"[^A-Za-z0-9_.]+", "_", name).strip("_.") or "synapse"


# ---------------------------------------------------------------------- import
def _fail(path: str, message: str) -> NoReturn:
    raise PresetError(f"{path}: {message}")


def _model_for(dynamics: Any, path: str, kind: str) -> type[Model]:
    if not isinstance(dynamics, Mapping) or not isinstance(dynamics.get("level_of_detail"), str):
        _fail(path, "expected an object with a 'level_of_detail' string and parameters")
    level = dynamics["level_of_detail"]
    named = [m for m, mech in MECHANISMS.items() if mech.level_of_detail == level]
    try:
        cls = model_class(named[0] if named else level)
    except KeyError:
        known = ", ".join(m.level_of_detail for m in MECHANISMS.values())
        _fail(f"{path}.level_of_detail", f"unknown mechanism {level!r} ({known} or a model name)")
    if cls.kind != kind:
        _fail(f"{path}.level_of_detail", f"{cls.__name__} is a {cls.kind}, not a {kind}")
    return cls


def _set(model: Model, key: str, value: Any, unit: str, where: str) -> None:
    """Set parameter ``key`` from ``value`` given in ``unit``; errors name ``where``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        _fail(where, f"expected a number in {unit}; got {value!r}")
    declared = type(model).parameter_table()[key].unit
    try:
        model.set(key, None if value is None else units.convert(value, unit, declared), where)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        raise PresetError(message if message.startswith(where) else f"{where}: {message}") from None


def _build(dynamics: Any, path: str, kind: str, edge: Mapping[str, Any]) -> Model:
    """A model from a dynamics dict (NEURON's names and units) and its BMTK edge values."""
    cls = _model_for(dynamics, path, kind)
    mech, table = _mechanism(cls), cls.parameter_table()
    own = {mech.names.get(k, k): k for k in table if k not in EDGE}
    given: dict[str, tuple[Any, str, str]] = {}  # parameter -> (value, unit, path)
    for key, bmtk in EDGE.items():
        if key in table and bmtk in edge:
            given[key] = (edge[bmtk], mech.weight_unit if key == "g" else "ms", f"{path}.{bmtk}")
    options: dict[str, str] = {}
    plasticity = None
    for key, value in dynamics.items():
        where = f"{path}.{key}"
        if key == "level_of_detail":
            continue
        if key == "plasticity" and kind == "synapse":
            plasticity = _build(value, where, "plasticity", {})
        elif key in cls.options:
            if value not in cls.options[key].choices:
                _fail(where, f"{value!r} is not one of {', '.join(cls.options[key].choices)}")
            options[key] = value
        elif key in own:
            given[own[key]] = (value, _neuron_unit(table[own[key]].unit), where)
        else:
            _fail(where, f"not a parameter of {cls.__name__} (parameters: {', '.join(own)})")
    model = cls(**options)
    for key, (value, unit, where) in given.items():
        _set(model, key, value, unit, where)
    if plasticity is not None:
        try:
            model.plasticity = plasticity  # type: ignore[attr-defined]
        except (TypeError, ValueError) as exc:
            _fail(f"{path}.plasticity", str(exc))
    return model


def synapse_from_bmtk(
    dynamics: Mapping[str, Any], edge: Mapping[str, Any] | None = None, path: str = "$"
) -> Synapse:
    """A synapse from a BMTK ``dynamics_params`` dict (``level_of_detail`` and NEURON-named
    parameters in NEURON's units, as in a BMTool config) and optionally its edge
    (``syn_weight``, ``delay``).  Unknown keys or bad values raise PresetError."""
    return _build(dynamics, path, "synapse", edge or {})  # type: ignore[return-value]


def from_bmtk(doc: Mapping[str, Any]) -> dict[str, Synapse]:
    """The synapses of a :func:`to_bmtk` document by connection name.  Gap junctions are
    read from their conductances (µS), never from the resistances."""
    if not isinstance(doc, Mapping):
        _fail("$", "expected an object with 'synaptic_models', 'edges' and 'gap_junctions'")
    out: dict[str, Synapse] = {}
    edges = doc.get("edges", {})
    for name, dynamics in doc.get("synaptic_models", {}).items():
        out[name] = synapse_from_bmtk(dynamics, edges.get(name), f"$.synaptic_models[{name!r}]")
    for name, gap in doc.get("gap_junctions", {}).items():
        path = f"$.gap_junctions[{name!r}]"
        cls = _model_for(gap, path, "synapse")
        if not isinstance(gap.get("parameters"), Mapping):
            _fail(path, "expected 'parameters': {name: {value, unit}}")
        model = cls()
        for key, q in gap["parameters"].items():
            where = f"{path}.parameters.{key}"
            if key not in cls.parameter_table():
                _fail(where, f"not a parameter of {cls.__name__}")
            if not isinstance(q, Mapping) or set(q) != {"value", "unit"}:
                _fail(where, "expected {value, unit}")
            if not isinstance(q["unit"], str):
                _fail(f"{where}.unit", f"expected a unit; got {q['unit']!r}")
            _set(model, key, q["value"], q["unit"], where)
        out[name] = model  # type: ignore[assignment]
    return out
