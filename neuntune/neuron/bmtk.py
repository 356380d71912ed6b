"""A BMTK network of NEURON cells: its connection types, one tuned in context, and the
tuned values written back (issue 17, BMTK networks).

``BMTKNetwork(config)`` reads a SONATA network through BMTK's own readers
(``bmtk.simulator.core.simulation_config`` and ``bmtk.utils.sonata``; the ``bmtk``
extra): the config's manifest and components, each nodes and edges file with its types
CSV.  Each edge type is a :class:`ConnectionType`, named as BMTool names them (the
``dynamics_params`` file's stem, made unique with ``_type_<id>``; else
``<source pop>2<target pop>``) and described by its first edge, as BMTool does.

``cell_spec(name)`` gives the target cell with the synapse placed where the edge puts it,
with bionet's semantics: the NetCon weight is ``syn_weight``, the synapse's parameters
are the ``dynamics_params`` JSON (for bionet's built-in Exp2Syn, ``erev`` is ``e``).  So
a value tuned here and written back with ``write_back`` gives the same response when
bionet runs the network.  BMTool's own mapping (``initW = syn_weight``, NetCon weight 1)
is ``bmtool_settings``.  A gap junction's conductance is its edges' ``syn_weight`` (µS,
bionet's ``Gap.g``): ``write_gap_conductance`` writes it where the network keeps it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from neuntune.neuron.spec import CellSpec, PointProcessSpec, SpecError
from neuntune.presets.io import write_atomically

#: bionet's built-in Exp2Syn setter reads these JSON keys as these PARAMETERs.
_BIONET_KEYS = {"exp2syn": {"erev": "e"}}


def is_bmtk_config(path: str | os.PathLike[str]) -> bool:
    """Whether a file is a BMTK simulation or circuit config (a JSON object with
    ``networks`` or ``network`` and no preset's ``neurons`` or ``engine``)."""
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read(1 << 22))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and ("networks" in data or "network" in data)
        and not ({"neurons", "engine"} & set(data))
    )


class NetworkError(ValueError):
    """A BMTK network that cannot be read or written: the message names the file and
    what is wrong with it."""


@dataclass(frozen=True)
class ConnectionType:
    """One edge type of the network, described by its first edge.

    ``post_template``/``pre_template``: hoc template names (``None`` for a virtual
    source); ``model_template``: the synapse's point process (bionet's and BMTool's
    ``level_of_detail``); ``params``: the ``dynamics_params`` JSON's numbers, keyed as in
    the file; ``syn_weight`` (µS for conductance synapses and gap junctions) and
    ``delay`` (ms) from the edge; ``sec_id``/``sec_x`` from ``afferent_section_id`` and
    ``afferent_section_pos`` (0 and 0.5 when absent).
    """

    name: str
    edge_type_id: int
    edges_population: str
    source: str
    target: str
    pre_template: str | None
    post_template: str
    model_template: str
    params_file: Path | None
    params: dict[str, float] = field(default_factory=dict)
    syn_weight: float = 1.0
    delay: float = 0.0
    sec_id: int = 0
    sec_x: float = 0.5
    gap: bool = False
    edges_file: Path | None = None
    edge_types_file: Path | None = None

    def parameter_name(self, key: str) -> str:
        """The PARAMETER a JSON key sets in bionet."""
        return _BIONET_KEYS.get(self.model_template.lower(), {}).get(key, key)

    def json_key(self, parameter: str) -> str:
        """The JSON key bionet reads a PARAMETER from."""
        for key, name in _BIONET_KEYS.get(self.model_template.lower(), {}).items():
            if name == parameter:
                return key
        return parameter


def _template(value: Any, where: str) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    name = value.split(":", 1)[1] if ":" in value else value
    if not name.isidentifier():
        raise NetworkError(f"{where}: model_template {value!r} is not a hoc template's name")
    return name


def _number(row: Any, key: str, default: float) -> float:
    value = row.get(key, default) if hasattr(row, "get") else default
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(value) else value


class BMTKNetwork:
    """The network of a BMTK ``simulation_config.json`` (or a config with ``network``):
    ``connections`` (by BMTool's names), ``mechanisms``, ``templates`` and
    ``synaptic_models`` folders, ``run`` and ``conditions`` settings."""

    def __init__(self, config: str | os.PathLike[str]) -> None:
        path = Path(config).expanduser().resolve()
        if not path.is_file():
            raise NetworkError(f"config {str(path)!r}: no such file")
        try:
            from bmtk.simulator.core.simulation_config import SimulationConfig
        except ImportError as error:  # pragma: no cover - the extra is in the test env
            raise ImportError("BMTK networks need bmtk: pip install 'neuntune[bmtk]'") from error
        try:
            self.config = SimulationConfig.from_json(str(path))
        except Exception as error:
            raise NetworkError(f"config {str(path)!r} does not parse: {error}") from error
        self.path = path
        components = self.config.get("components", {})
        self.mechanisms = self._folder(components, "mechanisms_dir")
        self.templates = self._folder(components, "templates_dir")
        self.synaptic_models = self._folder(components, "synaptic_models_dir")
        self.run_settings: dict[str, Any] = dict(self.config.get("run", {}))
        self.conditions: dict[str, Any] = dict(self.config.get("conditions", {}))
        networks = self.config.get("networks", {})
        self._templates_by_population = self._nodes(networks.get("nodes", []))
        self.connections: dict[str, ConnectionType] = {}
        for files in networks.get("edges", []):
            self._edges(files)

    # -- reading ----------------------------------------------------------------------

    def _folder(self, components: dict, key: str) -> Path:
        if key not in components:
            raise NetworkError(f"config {str(self.path)!r}: components.{key} is missing")
        folder = Path(components[key])
        if not folder.is_dir():
            raise NetworkError(
                f"config {str(self.path)!r}: components.{key} {str(folder)!r}: no such folder"
            )
        return folder

    def _files(self, entry: dict, *keys: str) -> list[str]:
        paths = []
        for key in keys:
            if key not in entry:
                raise NetworkError(f"config {str(self.path)!r}: a networks entry has no {key}")
            if not Path(entry[key]).is_file():
                raise NetworkError(f"config {str(self.path)!r}: {key} {entry[key]!r}: no such file")
            paths.append(entry[key])
        return paths

    def _sonata(self, data: str, types: str) -> Any:
        from bmtk.utils import sonata

        try:
            return sonata.File(data_files=data, data_type_files=types)
        except Exception as error:
            raise NetworkError(f"{data} with {types}: BMTK cannot read it: {error}") from error

    def _nodes(self, entries: list[dict]) -> dict[str, dict[int, tuple[str | None, str]]]:
        """Per population, node id → (hoc template or None, pop_name)."""
        found: dict[str, dict[int, tuple[str | None, str]]] = {}
        for entry in entries:
            nodes_file, types_file = self._files(entry, "nodes_file", "node_types_file")
            net = self._sonata(nodes_file, types_file)
            for population in net.nodes.population_names:
                table = net.nodes[population].to_dataframe()
                found[population] = {
                    int(node_id): (
                        _template(row.get("model_template"), f"{types_file}, node {node_id}"),
                        str(row.get("pop_name", population)),
                    )
                    for node_id, row in table.iterrows()
                }
        return found

    def _edges(self, entry: dict) -> None:
        edges_file, types_file = self._files(entry, "edges_file", "edge_types_file")
        net = self._sonata(edges_file, types_file)
        for population in net.edges.population_names:
            edges = net.edges[population]
            table = edges.to_dataframe()
            for type_id, rows in table.groupby("edge_type_id", sort=True):
                first = rows.iloc[0]
                self._add(population, edges, int(type_id), first, (edges_file, types_file))

    def _add(
        self, population: str, edges: Any, type_id: int, row: Any, files: tuple[str, str]
    ) -> None:
        where = files[1]
        src_pop, trg_pop = edges.source_population, edges.target_population
        pre, source = self._node(src_pop, int(row["source_node_id"]))
        post, target = self._node(trg_pop, int(row["target_node_id"]))
        if post is None:
            raise NetworkError(
                f"{where}: edge type {type_id} ends on a cell without a hoc template"
            )
        gap = str(row.get("is_gap_junction", "")).lower() in ("true", "1", "1.0")
        params_name = row.get("dynamics_params")
        params_file, params, level = None, {}, None
        if isinstance(params_name, str) and params_name:
            params_file = self.synaptic_models / params_name
            params, level = self._read_params(params_file)
        model = level or (
            row.get("model_template") if isinstance(row.get("model_template"), str) else None
        )
        model = model or ("Gap" if gap else "exp2syn")
        name = Path(params_name).stem if params_file else f"{source}2{target}"
        if gap:
            name = f"{source}2{target}_gj_type_{type_id}"
        if name in self.connections:
            name = f"{name}_type_{type_id}"
        self.connections[name] = ConnectionType(
            name=name,
            edge_type_id=type_id,
            edges_population=population,
            source=source,
            target=target,
            pre_template=pre,
            post_template=post,
            model_template=model,
            params_file=params_file,
            params=params,
            syn_weight=_number(row, "syn_weight", 1.0),
            delay=_number(row, "delay", 0.0),
            sec_id=int(_number(row, "afferent_section_id", 0)),
            sec_x=_number(row, "afferent_section_pos", 0.5),
            gap=gap,
            edges_file=Path(files[0]),
            edge_types_file=Path(files[1]),
        )

    def _node(self, population: str, node_id: int) -> tuple[str | None, str]:
        try:
            return self._templates_by_population[population][node_id]
        except KeyError:
            raise NetworkError(
                f"config {str(self.path)!r}: edges refer to node {node_id} of population "
                f"{population!r}, which no nodes file holds"
            ) from None

    @staticmethod
    def _read_params(path: Path) -> tuple[dict[str, float], str | None]:
        if not path.is_file():
            raise NetworkError(f"dynamics_params {str(path)!r}: no such file")
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise NetworkError(f"dynamics_params {str(path)!r} does not parse: {error}") from error
        if not isinstance(data, dict):
            raise NetworkError(f"dynamics_params {str(path)!r}: expected a JSON object")
        numbers = {
            k: float(v)
            for k, v in data.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        level = data.get("level_of_detail")
        return numbers, level if isinstance(level, str) else None

    # -- using ------------------------------------------------------------------------

    def connection(self, name: str) -> ConnectionType:
        if name not in self.connections:
            raise NetworkError(
                f"connection {name!r}: not in the network; its connections: "
                + ", ".join(self.connections)
            )
        return self.connections[name]

    def mechanism_files(self) -> Path:
        """The folder of .mod files: ``mechanisms_dir`` or its ``modfiles`` (BMTK's layout)."""
        for folder in (self.mechanisms, self.mechanisms / "modfiles"):
            if any(folder.glob("*.mod")):
                return folder
        raise NetworkError(
            f"components.mechanisms_dir {str(self.mechanisms)!r}: no .mod files in it or in "
            "its modfiles/ folder"
        )

    def cell_spec(self, name: str) -> CellSpec:
        """The connection's target cell with its synapse, parameters as bionet sets them
        (the NetCon weight is ``syn_weight``: pass it to the run); for a gap junction
        both cells, joined by the Gap whose ``g`` is ``syn_weight`` (µS)."""
        conn = self.connection(name)
        params = {conn.parameter_name(k): v for k, v in conn.params.items()}
        if conn.gap:
            params["g"] = conn.syn_weight
        return CellSpec(
            conn.post_template,
            self.templates,
            self.mechanism_files(),
            PointProcessSpec(conn.model_template, conn.sec_id, conn.sec_x, params),
            partner=conn.post_template if conn.gap else None,
        )

    def synapses(self) -> list[str]:
        """The chemical connections' names (gap junctions left out)."""
        return [name for name, conn in self.connections.items() if not conn.gap]

    def gap_junctions(self) -> list[str]:
        """The gap-junction connections' names."""
        return [name for name, conn in self.connections.items() if conn.gap]

    def bmtool_settings(self, name: str) -> dict[str, Any]:
        """BMTool's ``conn_type_settings`` entry for a synapse: the JSON as
        ``spec_syn_param`` with ``initW = syn_weight``, ``vclamp_amp`` −70 mV."""
        conn = self.connection(name)
        return {
            "spec_settings": {
                "post_cell": conn.post_template,
                "vclamp_amp": -70.0,
                "sec_id": conn.sec_id,
                "sec_x": conn.sec_x,
                "level_of_detail": conn.model_template,
            },
            "spec_syn_param": {**conn.params, "initW": conn.syn_weight},
        }

    def write_back(self, name: str, params: dict[str, float]) -> Path:
        """Write tuned PARAMETER values into the connection's ``dynamics_params`` JSON,
        keeping every other key and the keys' order; the file before is kept as
        ``<file>.bak`` (``.bak.1``, … when that exists).  The write is atomic (a temporary
        file in the same folder, then a rename).  Returns the file's path."""
        conn = self.connection(name)
        if conn.params_file is None:
            raise NetworkError(f"connection {name!r} has no dynamics_params file to write")
        if "weight" in params or "syn_weight" in params:
            raise NetworkError(
                "syn_weight lives in the edges' h5/CSV files, which are not rewritten; tune "
                "initW (BMTool's synapses) or edit the edge_types CSV's syn_weight column"
            )
        folder = conn.params_file.parent
        if not os.access(folder, os.W_OK):
            raise NetworkError(f"{str(folder)!r} is read-only: the tuned values were not written")
        original = conn.params_file.read_text()
        data = json.loads(original)
        for parameter, value in params.items():
            value = float(value)
            if not math.isfinite(value):
                raise SpecError(f"params[{parameter!r}]", value, "must be finite")
            data[conn.json_key(parameter)] = value
        _backup(conn.params_file, original.encode())
        text = json.dumps(data, indent=2) + "\n"
        write_atomically(conn.params_file, lambda fh: fh.write(text))
        numbers, level = self._read_params(conn.params_file)
        self.connections[name] = replace(
            conn, params=numbers, model_template=level or conn.model_template
        )
        return conn.params_file

    def write_gap_conductance(self, name: str, g: float) -> Path:
        """Write gap junction ``name``'s conductance ``g`` (µS: bionet sets ``Gap.g`` to
        the edge's ``syn_weight``) where the network keeps it: the edges' h5 when its
        edges carry their own ``syn_weight`` (every edge of this type gets ``g``), else
        the edge types CSV's ``syn_weight`` column.  Atomic, with the file before kept as
        ``<file>.bak`` (``.bak.1``, …).  Returns the file written."""
        conn = self.connection(name)
        if not conn.gap:
            raise NetworkError(f"connection {name!r} is not a gap junction")
        g = float(g)
        if not (math.isfinite(g) and g >= 0):
            raise SpecError("g", g, "must be a finite conductance ≥ 0 µS")
        if conn.edges_file is None or conn.edge_types_file is None:
            raise NetworkError(f"connection {name!r}: its edges files are not known")
        for path in (conn.edges_file, conn.edge_types_file):
            if not os.access(path.parent, os.W_OK):
                raise NetworkError(f"{str(path.parent)!r} is read-only: g was not written")
        original = conn.edges_file.read_bytes()
        written = _edges_with_weight(original, conn.edges_population, conn.edge_type_id, g)
        path = conn.edges_file
        if written is None:
            path = conn.edge_types_file
            original = path.read_bytes()
            written = _types_with_weight(original.decode(), conn.edge_type_id, g, path)
        _backup(path, original)
        write_atomically(path, lambda fh: fh.write(written), binary=True)
        self.connections[name] = replace(conn, syn_weight=g)
        return path


def _backup(path: Path, original: bytes) -> Path:
    """Keep ``original`` (the file's content before a write) as ``<file>.bak``, or
    ``.bak.1``, … when that exists."""
    backup = path.with_name(path.name + ".bak")
    n = 0
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.bak.{n}")
    backup.write_bytes(original)
    return backup


def _edges_with_weight(data: bytes, population: str, type_id: int, g: float) -> bytes | None:
    """The edges h5 (``data``) with ``syn_weight`` = ``g`` on every edge of ``type_id``;
    None when those edges carry no ``syn_weight`` of their own (their type's counts)."""
    import h5py

    buffer = io.BytesIO(data)
    changed = False
    with h5py.File(buffer, "r+") as f:
        edges = f["edges"][population]
        mine = edges["edge_type_id"][()] == type_id
        groups = edges["edge_group_id"][()][mine]
        rows = edges["edge_group_index"][()][mine]
        for group in sorted(set(groups.tolist())):
            weights = edges[str(group)].get("syn_weight")
            if weights is None:
                continue
            values = weights[()]
            values[rows[groups == group]] = g
            weights[...] = values
            changed = True
    return buffer.getvalue() if changed else None


def _types_with_weight(text: str, type_id: int, g: float, where: Path) -> bytes:
    """The edge types CSV (space-separated, as BMTK writes it) with ``type_id``'s
    ``syn_weight`` set to ``g``; every other field as it was."""
    rows = list(csv.reader(io.StringIO(text), delimiter=" "))
    header = rows[0] if rows else []
    if "syn_weight" not in header or "edge_type_id" not in header:
        raise NetworkError(
            f"{str(where)!r}: no syn_weight for the gap junctions in the edge types or "
            "the edges: add a syn_weight column (µS) to write g"
        )
    column, key = header.index("syn_weight"), header.index("edge_type_id")
    for row in rows[1:]:
        if len(row) > max(column, key) and row[key] == str(type_id):
            row[column] = repr(g)
    out = io.StringIO()
    csv.writer(out, delimiter=" ", lineterminator="\n").writerows(rows)
    return out.getvalue().encode()
