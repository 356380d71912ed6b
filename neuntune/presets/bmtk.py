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
AMPA_NMDA_STP, GABA_A_STP, NEURON's Exp2Syn and ExpSyn).  Non-default options are
included as strings.  (:func:`from_bmtk` still reads neuntune's own model names and a
nested ``"plasticity"`` entry, as older exports wrote them.)  The conductance ``g``
and ``delay`` are per-edge in BMTK and go to ``edges`` (``syn_weight`` in the
mechanism's weight unit: µS for Exp2Syn and ExpSyn, nS for BMTool's mechanisms).

Only models NEURON has are exported (:func:`check_exportable`): ``Exp2Synapse`` as
NEURON's Exp2Syn, ``ExpSynapse`` as ExpSyn (both conductance-based, no plasticity
rule), BMTool's AMPA_NMDA_STP and GABA_A_STP, and symmetric gap junctions; any other
model raises ValueError naming it and what is supported.  :func:`write_sonata` writes
the whole network as SONATA files (nodes, edges, dynamics_params, a circuit config)
that BMTK's own reader opens.

Gap junctions give each conductance in µS (``syn_weight``, what BMTK's ``Gap``
mechanism takes) and as a resistance R = 1/g in MΩ.  Importing reads the
conductances only and never inverts them (BMTool's "Resistance (MOhm)" slider
in fact sets a conductance in µS).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..circuit import Circuit
from ..errors import PresetError
from ..models.kinds import Synapse
from ..models.model import Model
from ..models.registry import model_class
from . import units
from .document import Preset, element_to_json, quantity


@dataclass(frozen=True)
class Mechanism:
    """A NEURON mechanism a neuntune synapse model corresponds to."""

    level_of_detail: str
    names: dict[str, str]  # neuntune parameter -> mechanism parameter, where they differ
    weight_unit: str  # unit of the NetCon weight (BMTK's syn_weight)


#: neuntune synapse models that are NEURON/BMTool mechanisms, by model name: the only
#: chemical synapses exported (NEURON's ExpSyn and Exp2Syn, BMTool's STP synapses).
MECHANISMS: dict[str, Mechanism] = {
    "Exp2Synapse": Mechanism("exp2syn", {"tau_r": "tau1", "tau_d": "tau2", "E": "erev"}, "uS"),
    "ExpSynapse": Mechanism("expsyn", {"tau": "tau", "E": "e"}, "uS"),
    "AMPA_NMDA_STP": Mechanism("AMPA_NMDA_STP", {"E": "e"}, "nS"),
    "GABA_A_STP": Mechanism("GABA_A_STP", {"E": "e_GABAA"}, "nS"),
}
_GENERIC_WEIGHT = "uS"  # NEURON's unit for a conductance weight
#: Mechanisms that are NEURON's conductance-based point processes: no "cuba" output and no
#: separate plasticity rule (BMTool's mechanisms carry their own short-term plasticity).
_NEURON_BUILTIN = {"Exp2Synapse", "ExpSynapse"}
#: Gap junctions, which BMTK writes as edges with is_gap_junction and a conductance in µS.
GAP_JUNCTIONS = ("GapJunction", "AsymmetricGapJunction")

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


def check_exportable(name: str, synapse: Synapse) -> None:
    """Raise ValueError, naming the connection, its model and what is supported, unless
    NEURON/BMTK has an equivalent of ``synapse``."""
    model = type(synapse).__name__
    supported = (
        "supported: Exp2Synapse (NEURON's Exp2Syn), ExpSynapse (ExpSyn), BMTool's "
        "AMPA_NMDA_STP and GABA_A_STP, and GapJunction (BMTK's gap junctions)"
    )
    if model in GAP_JUNCTIONS:
        if model == "AsymmetricGapJunction" and synapse.get("g_ab") != synapse.get("g_ba"):
            raise ValueError(
                f"{name}: AsymmetricGapJunction with g_ab != g_ba has no BMTK equivalent "
                "(BMTK's gap junctions are symmetric)"
            )
        return
    if model not in MECHANISMS:
        raise ValueError(f"{name}: {model} has no NEURON/BMTK equivalent; {supported}")
    if model in _NEURON_BUILTIN:
        neuron = {"Exp2Synapse": "Exp2Syn", "ExpSynapse": "ExpSyn"}[model]
        if synapse.option_values.get("output", "coba") != "coba":
            raise ValueError(
                f"{name}: {model} with output={synapse.option_values['output']!r} has no NEURON "
                f"equivalent ({neuron} is conductance-based: output='coba')"
            )
        if synapse.plasticity is not None:
            raise ValueError(
                f"{name}: {model} with plasticity {type(synapse.plasticity).__name__} has no "
                f"NEURON equivalent ({neuron} has none; BMTool's AMPA_NMDA_STP and "
                "GABA_A_STP carry short-term plasticity)"
            )


def to_bmtk(preset: Preset | Circuit) -> dict[str, Any]:
    """Every connection of a preset (or circuit) as BMTK synaptic models, edges and gap
    junctions (see the module docs)."""
    circuit = preset.circuit if isinstance(preset, Preset) else preset
    out: dict[str, Any] = {"synaptic_models": {}, "edges": {}, "gap_junctions": {}}
    for name, conn in circuit.connections.items():
        syn, ends = conn.synapse, {"source": conn.pre, "target": conn.post}
        check_exportable(name, syn)
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


# --------------------------------------------------------------------- SONATA
def _values(circuit: Circuit, name: str, key: str, unit: str, n: int) -> Any:
    """One value per instance of element ``name``'s parameter ``key``, in ``unit``."""
    declared = type(_model_of(circuit, name)).parameter_table()[key].unit
    if key in circuit.member_values.get(name, {}):
        values = circuit.member_array(name, key)
    else:
        values = np.full(n, _model_of(circuit, name).get(key), dtype=float)
    return units.convert(1.0, declared, unit) * values


def _model_of(circuit: Circuit, name: str) -> Model:
    if name in circuit.neurons:
        return circuit.neurons[name]
    return circuit.connections[name].synapse


def _write_csv(path: Any, rows: list[dict[str, Any]]) -> None:
    """A SONATA types table: space separated, NULL for a missing value."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    lines = [" ".join(columns)]
    for row in rows:
        lines.append(" ".join(str(row.get(c, "NULL")) for c in columns))
    path.write_text("\n".join(lines) + "\n")


def _index(group: Any, ids: Any, n_nodes: int) -> None:
    """SONATA's index of the edges by node: node_id_to_range (rows of range_to_edge_id)
    and range_to_edge_id (runs of consecutive edge ids), from ``ids``, each edge's node."""
    order = np.argsort(ids, kind="stable")
    node_to_range = np.zeros((n_nodes, 2), dtype=np.uint64)
    ranges: list[tuple[int, int]] = []
    for node in np.unique(ids):
        edge_ids = order[ids[order] == node]
        first = len(ranges)
        breaks = np.flatnonzero(np.diff(edge_ids) != 1) + 1
        for run in np.split(edge_ids, breaks):
            ranges.append((int(run[0]), int(run[-1]) + 1))
        node_to_range[int(node)] = (first, len(ranges))
    group.create_dataset("node_id_to_range", data=node_to_range)
    group.create_dataset("range_to_edge_id", data=np.asarray(ranges, np.uint64).reshape(-1, 2))


def _sonata_header(h5: Any) -> None:
    """The attributes that mark an HDF5 file as SONATA (magic number and version 0.1)."""
    h5.attrs["magic"] = np.uint32(0x0A7A)
    h5.attrs["version"] = np.array([0, 1], dtype=np.uint32)


def write_sonata(preset: Preset | Circuit, folder: Any, network: str = "cells") -> Any:
    """The circuit as a SONATA network BMTK reads: ``network/`` with the nodes (each
    neuntune cell's members, model_type ``single_compartment``, model_template
    ``neuntune:<Model>``; spike sources as ``virtual`` nodes of population ``inputs``),
    the edges (one edge per connected pair, ``syn_weight`` and ``delay`` per edge, the
    model template the NEURON mechanism's ``level_of_detail``; gap junctions with
    ``is_gap_junction`` and their conductance in µS), ``components/`` with each
    synapse's and cell's dynamics_params file, and ``circuit_config.json``.  Returns the
    path of the config.  Needs h5py; raises ValueError for a synapse NEURON/BMTK has no
    equivalent of (see :func:`check_exportable`)."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py comes with the data/test extras
        raise ImportError("writing SONATA files needs h5py (pip install h5py)") from None
    circuit = preset.circuit if isinstance(preset, Preset) else preset
    for name, conn in circuit.connections.items():
        check_exportable(name, conn.synapse)
    root = Path(folder)
    (root / "network").mkdir(parents=True, exist_ok=True)
    synaptic = root / "components" / "synaptic_models"
    cellular = root / "components" / "cell_models"
    synaptic.mkdir(parents=True, exist_ok=True)
    cellular.mkdir(parents=True, exist_ok=True)
    # nodes: populations `network` (cells) and `inputs` (spike sources)
    offset: dict[str, tuple[str, int]] = {}  # element -> (population, first node id)
    types: dict[str, list[dict[str, Any]]] = {network: [], "inputs": []}
    ids: dict[str, list[int]] = {network: [], "inputs": []}
    members: dict[str, list[int]] = {network: [], "inputs": []}
    for k, (cell, model) in enumerate(circuit.neurons.items()):
        pop = "inputs" if not model.resolved().states else network
        n = circuit.size(cell)
        offset[cell] = (pop, len(ids[pop]))
        type_id = 100 + k
        row: dict[str, Any] = {"node_type_id": type_id, "pop_name": cell}
        if pop == "inputs":
            row["model_type"] = "virtual"
        else:
            dynamics = {"level_of_detail": type(model).__name__}
            for key, q in element_to_json(model)["parameters"].items():
                dynamics[key] = q["value"]
            (cellular / f"{file_name(cell)}.json").write_text(json.dumps(dynamics, indent=2))
            row |= {
                "model_type": "single_compartment",
                "model_template": f"neuntune:{type(model).__name__}",
                "dynamics_params": f"{file_name(cell)}.json",
            }
        types[pop].append(row)
        ids[pop] += [type_id] * n
        members[pop] += list(range(n))
    nodes = []
    for pop in (network, "inputs"):
        if not ids[pop]:
            continue
        path = root / "network" / f"{pop}_nodes.h5"
        with h5py.File(path, "w") as h5:
            _sonata_header(h5)
            g = h5.create_group(f"nodes/{pop}")
            n = len(ids[pop])
            g.create_dataset("node_id", data=np.arange(n, dtype=np.uint64))
            g.create_dataset("node_type_id", data=np.asarray(ids[pop], dtype=np.uint64))
            g.create_dataset("node_group_id", data=np.zeros(n, dtype=np.uint32))
            g.create_dataset("node_group_index", data=np.arange(n, dtype=np.uint64))
            g.create_group("0").create_dataset("member", data=np.asarray(members[pop]))
        _write_csv(root / "network" / f"{pop}_node_types.csv", types[pop])
        nodes.append(
            {"nodes_file": str(path), "node_types_file": f"{path.parent}/{pop}_node_types.csv"}
        )
    # edges: one population per (source, target) population pair
    pops: dict[tuple[str, str], dict[str, list[Any]]] = {}
    edge_types: dict[tuple[str, str], list[dict[str, Any]]] = {}
    doc = to_bmtk(circuit)
    for k, (name, conn) in enumerate(circuit.connections.items()):
        (src_pop, src0), (trg_pop, trg0) = offset[conn.pre], offset[conn.post]
        i, j = circuit.pairs(name)
        syn, table = conn.synapse, type(conn.synapse).parameter_table()
        type_id = 100 + k
        row = {"edge_type_id": type_id, "name": name}
        if electrical(syn):
            key = "g" if "g" in table else "g_ab"
            weight = _values(circuit, name, key, "uS", len(i))
            delay = np.zeros(len(i))
            row |= {"is_gap_junction": True}
        else:
            dynamics = doc["synaptic_models"][name]
            (synaptic / f"{file_name(name)}.json").write_text(json.dumps(dynamics, indent=2))
            weight_unit = _mechanism(type(syn)).weight_unit
            weight = _values(circuit, name, "g", weight_unit, len(i))
            delay = _values(circuit, name, "delay", "ms", len(i))
            row |= {
                "model_template": dynamics["level_of_detail"],
                "dynamics_params": f"{file_name(name)}.json",
                "is_gap_junction": False,
            }
        weight = np.broadcast_to(weight, len(i)) if np.ndim(weight) else np.full(len(i), weight)
        delay = np.broadcast_to(delay, len(i)) if np.ndim(delay) else np.full(len(i), delay)
        table_rows = pops.setdefault(
            (src_pop, trg_pop), {k: [] for k in "src trg type w d".split()}
        )
        table_rows["src"] += list(np.asarray(i) + src0)
        table_rows["trg"] += list(np.asarray(j) + trg0)
        table_rows["type"] += [type_id] * len(i)
        table_rows["w"] += list(weight)
        table_rows["d"] += list(delay)
        edge_types.setdefault((src_pop, trg_pop), []).append(row)
    edges = []
    for (src_pop, trg_pop), rows in pops.items():
        pop = f"{src_pop}_to_{trg_pop}"
        order = np.lexsort((rows["src"], rows["trg"]))  # by target, as BMTK sorts
        src = np.asarray(rows["src"], dtype=np.uint64)[order]
        trg = np.asarray(rows["trg"], dtype=np.uint64)[order]
        path = root / "network" / f"{src_pop}_{trg_pop}_edges.h5"
        with h5py.File(path, "w") as h5:
            _sonata_header(h5)
            g = h5.create_group(f"edges/{pop}")
            g.create_dataset("source_node_id", data=src).attrs["node_population"] = src_pop
            g.create_dataset("target_node_id", data=trg).attrs["node_population"] = trg_pop
            n = len(src)
            g.create_dataset("edge_type_id", data=np.asarray(rows["type"], np.uint64)[order])
            g.create_dataset("edge_group_id", data=np.zeros(n, dtype=np.uint32))
            g.create_dataset("edge_group_index", data=np.arange(n, dtype=np.uint64))
            group = g.create_group("0")
            group.create_dataset("syn_weight", data=np.asarray(rows["w"], float)[order])
            group.create_dataset("delay", data=np.asarray(rows["d"], float)[order])
            _index(g.create_group("indices/target_to_source"), trg, len(ids[trg_pop]))
            _index(g.create_group("indices/source_to_target"), src, len(ids[src_pop]))
        types_path = root / "network" / f"{src_pop}_{trg_pop}_edge_types.csv"
        _write_csv(types_path, edge_types[(src_pop, trg_pop)])
        edges.append({"edges_file": str(path), "edge_types_file": str(types_path)})
    config = {
        "components": {
            "synaptic_models_dir": str(synaptic),
            "point_neuron_models_dir": str(cellular),
        },
        "networks": {"nodes": nodes, "edges": edges},
    }
    out = root / "circuit_config.json"
    out.write_text(json.dumps(config, indent=2) + "\n")
    return out
