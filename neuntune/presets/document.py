"""What a preset holds (:class:`Preset`) and how it is written as a JSON document.

A preset document (schema 2) looks like this; every number carries its unit::

    {
      "schema": 2,
      "metadata": {"name": "hh_gap_pair", "description": "...", "source": "..."},
      "neurons": [
        {"name": "a", "model": "HH",
         "parameters": {"gna": {"value": 120.0, "unit": "mS/cm2"}, ...}},
        {"name": "src", "model": "SpikeSource", "times": {"value": [10.0, 30.0], "unit": "ms"}}
      ],
      "connections": [
        {"name": "gj", "model": "GapJunction", "pre": "a", "post": "b",
         "parameters": {"g": {"value": 0.002, "unit": "mS"}}, "options": {},
         "plasticity": {"model": "TsodyksMarkram", "parameters": {...}}}     (optional)
      ],
      "stimuli": [
        {"name": "a.stim0", "model": "Constant", "target": "a",
         "parameters": {"amplitude": {"value": 0.1, "unit": "uA"}}}
      ],
      "run": {"t_stop": {"value": 100.0, "unit": "ms"}, "dt": {"value": 0.01, "unit": "ms"},
              "method": "rk4", "precision": "float64", "record": null, "record_every": 1,
              "init": "default"},
      "hints": {"sliders": [{"path": "gj.g", "unit": "nS", "range": [10.0, 10000.0],
                             "scale": "log"}]},
      "measurements": [{"kind": "coupling", "stimulus": "a.cc", "target": "b",
                        "window": {"value": 100.0, "unit": "ms"}},
                       {"kind": "train", "connection": "syn", "convention": "bmtool",
                        "recovery_stream": "fresh"}]
    }

A ``"train"`` measurement (optional keys ``convention`` and ``recovery_stream``)
says how the train protocol (:class:`~neuntune.protocols.train.SynapseProtocol`)
wires and measures that connection: the dashboard's Protocols tab and fits take it
from :meth:`Preset.synapse_protocol`.

Populations (schema 2) add three keys.  A cell with ``"n"`` (omitted for a single
cell) is a population; a connection between populations carries its ``"rule"``
as data, seed included; ``"members"`` holds the values that differ between members
(or between a connection's pairs), each in its unit, as a seeded distribution or as
an explicit list of one value per member.  A value under ``"members"`` replaces the
one under ``"parameters"`` for every member::

    {"name": "wb", "model": "WangBuzsaki", "n": 100, "parameters": {...},
     "members": {"v0": {"distribution": "Uniform", "low": -70.0, "high": -50.0,
                        "seed": 1, "unit": "mV"},
                 "gna": {"value": [35.0, 36.5, ...], "unit": "mS/cm2"}}}
    {"name": "gap", "model": "GapJunction", "pre": "wb", "post": "wb",
     "rule": {"rule": "AllToAll", "self_connections": false}, "parameters": {...}}
    {"name": "exc->inh", "model": "DeltaSynapse", "pre": "exc", "post": "inh",
     "rule": {"rule": "FixedProbability", "p": 0.02, "seed": 3, "self_connections": true},
     ...}

Rules: ``AllToAll`` and ``OneToOne``, ``FixedProbability`` (p, seed), ``FixedNumberPre``
(n, seed), ``Pairs`` (explicit member indices ``i`` and ``j``; a big network is
stored as a rule instead, since a preset's lists hold at most :data:`MAX_ITEMS` items).

Reading (with validation) is :mod:`.reader`; this module writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..analysis import cc_from_traces
from ..analysis.coupling import first_spike
from ..analysis.synapse import clamp_on
from ..circuit import Circuit
from ..connectivity import Distribution, Pairs, Rule
from ..errors import PresetError
from ..models.kinds import Synapse
from ..models.model import Model
from ..models.registry import model_class
from ..protocols.coupling import windows
from ..protocols.train import NEUNTUNE, SynapseProtocol
from ..simulate import Result, simulate
from .migrate import SCHEMA_VERSION

#: The most items in one JSON array or object of a preset (a spike train's times, a
#: population's values, explicit pairs): checked when reading and writing.
MAX_ITEMS = 100_000
#: The longest string in a preset (a description), in characters.
MAX_STRING = 10_000


@dataclass
class RunSettings:
    """How a preset is simulated: the arguments of :func:`neuntune.simulate`.

    ``t_stop`` and ``dt`` in ms; ``record`` None records everything.
    """

    t_stop: float = 100.0
    dt: float = 0.01
    method: str = "rk4"
    precision: str = "float64"
    record: tuple[str, ...] | None = None
    record_every: int = 1
    init: str = "default"

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for :func:`neuntune.simulate`."""
        return {
            "t_stop": self.t_stop,
            "dt": self.dt,
            "method": self.method,
            "precision": self.precision,
            "record": None if self.record is None else list(self.record),
            "record_every": self.record_every,
            "init": self.init,
        }


@dataclass
class Slider:
    """A dashboard hint: a slider for the value at ``path``.

    ``low``/``high`` are in ``unit`` (which may differ from the parameter's declared
    unit, e.g. nS for a conductance declared in mS); ``scale`` is "linear" or "log".
    """

    path: str
    unit: str
    low: float
    high: float
    scale: str = "linear"


@dataclass
class Coupling:
    """A coupling-coefficient measurement on a preset's own run.

    ``stimulus`` names a current step (a stimulus with ``start`` and ``stop``)
    into the source cell; CC = ΔV_target/ΔV_source, each Δ the mean over the last
    ``window`` ms of the step minus the mean over the ``window`` ms before it.
    ``window`` None: the coupling protocol's window rule
    (:func:`neuntune.protocols.coupling.windows`): the last fifth of the step and
    the last fifth of the time before it.
    """

    stimulus: str
    target: str
    window: float | None = None

    def windows(self, circuit: Circuit) -> tuple[tuple[float, float], tuple[float, float]]:
        """(baseline, steady) windows in ms for the circuit's current step times."""
        start, stop = circuit.get(f"{self.stimulus}.start"), circuit.get(f"{self.stimulus}.stop")
        width = self.window
        if width is None and not 0 < start < stop:
            raise ValueError(
                f"the step {self.stimulus} runs from {start:g} to {stop:g} ms; a coupling "
                "measurement needs it to start after 0 ms and to last > 0 ms"
            )
        if width is not None and not (0 < width <= start and width <= stop - start):
            raise ValueError(
                f"coupling window {width:g} ms does not fit: the step {self.stimulus} runs "
                f"from {start:g} to {stop:g} ms; the window must be > 0, ≤ its start and ≤ "
                "its length"
            )
        return windows(start, stop, width)

    def source(self, circuit: Circuit) -> str:
        """The cell the step goes into."""
        return circuit.stimuli[self.stimulus].target

    def measure(self, circuit: Circuit, result: Result) -> float:
        """CC (dimensionless) from ``result``, a run of ``circuit``.

        Raises ValueError if the run ends before the step does or a cell spikes
        during the protocol (the coupling coefficient assumes it does not).
        """
        baseline, steady = self.windows(circuit)
        if result.t[-1] < steady[1] - 1e-9:
            raise ValueError(
                f"the run ends at {result.t[-1]:g} ms, before the step {self.stimulus} "
                f"does ({steady[1]:g} ms)"
            )
        source = self.source(circuit)
        for cell in (source, self.target):
            if cell not in result.v:
                raise ValueError(f"the voltage of {cell} was not recorded")
        spike = first_spike(result.spikes, baseline[0], steady[1], (source, self.target))
        if spike is not None:
            raise ValueError(f"{spike[0]} spikes at {spike[1]:g} ms, during the protocol")
        return cc_from_traces(result.t, result.v[source], result.v[self.target], baseline, steady)


@dataclass
class SynapseTrain:
    """How the train protocol runs chemical connection ``connection``: its metric
    ``convention`` ("neuntune" or "bmtool") and ``recovery_stream`` ("single",
    "fresh", or None for the convention's); see
    :class:`~neuntune.protocols.train.SynapseProtocol`."""

    connection: str
    convention: str = NEUNTUNE
    recovery_stream: str | None = None


@dataclass
class Preset:
    """A whole setup: a circuit, how to run it, what to show and what to measure.

    ``circuit`` is an ordinary :class:`~neuntune.Circuit` (change it freely);
    ``run`` holds the simulation settings, ``sliders`` the dashboard hints,
    ``couplings`` the coupling coefficients the run defines and ``trains`` how the
    train protocol measures its chemical connections (at most one per connection).
    """

    circuit: Circuit
    name: str
    description: str = ""
    source: str = ""
    run: RunSettings = field(default_factory=RunSettings)
    sliders: list[Slider] = field(default_factory=list)
    couplings: list[Coupling] = field(default_factory=list)
    trains: list[SynapseTrain] = field(default_factory=list)

    def synapse_protocol(self, connection: str, **fields: Any) -> SynapseProtocol:
        """The train protocol for ``connection`` with this preset's convention and
        recovery stream for it (neuntune's if it names none; a convention given in
        ``fields`` comes with its own stream unless that is given too), clamped at the holding
        level (mV) of the voltage clamp on its post cell (free if there is none);
        ``fields`` set any :class:`~neuntune.protocols.train.SynapseProtocol` field."""
        if connection not in self.circuit.connections:
            raise ValueError(
                f"connection: no connection named {connection!r} "
                f"(connections: {', '.join(self.circuit.connections) or 'none'})"
            )
        if "clamp" not in fields:
            clamp = clamp_on(self.circuit, self.circuit.connections[connection].post)
            fields["clamp"] = None if clamp is None else self.circuit.get(f"{clamp}.holding")
        for train in self.trains:
            # A convention named here brings its own stream (unless that is named too).
            if train.connection == connection and "convention" not in fields:
                fields = {
                    "convention": train.convention,
                    "recovery_stream": train.recovery_stream,
                    **fields,
                }
        return SynapseProtocol(**fields)

    def simulate(self, **overrides: Any) -> Result:
        """Run the circuit with the preset's run settings (``overrides`` replace any of
        them, e.g. ``t_stop=50.0``; other :func:`neuntune.simulate` keywords pass through)."""
        return simulate(self.circuit, **{**self.run.arguments(), **overrides})

    def coupling(self, result: Result) -> dict[str, float | str]:
        """Each coupling coefficient of ``result`` by ``"source->target"``, or why it is not
        defined for this run (a message: see :meth:`Coupling.measure`)."""
        out: dict[str, float | str] = {}
        for c in self.couplings:
            key = f"{c.source(self.circuit)}->{c.target}"
            try:
                out[key] = c.measure(self.circuit, result)
            except ValueError as exc:
                out[key] = str(exc)
        return out

    def copy(self) -> Preset:
        """An independent copy (the circuit is copied too)."""
        return replace(
            self,
            circuit=self.circuit.copy(),
            run=replace(self.run),
            sliders=[replace(s) for s in self.sliders],
            couplings=[replace(c) for c in self.couplings],
            trains=[replace(t) for t in self.trains],
        )


def quantity(value: Any, unit: str) -> dict[str, Any]:
    """``{"value": value, "unit": unit}``: how every number is written."""
    return {"value": value, "unit": unit}


def element_to_json(model: Model) -> dict[str, Any]:
    """One model instance (cell, synapse, stimulus or plasticity rule) as
    ``{"model", "parameters", "options"}`` (plus ``"times"`` for a spike source and
    ``"plasticity"`` for a synapse carrying one); values in the declared units."""
    cls = type(model)
    try:
        registered = model_class(cls.__name__, cls.kind)
    except KeyError:
        registered = None
    if registered is not cls:
        raise PresetError(
            f"{cls.__name__} is not a registered model, so a preset cannot name it; "
            "decorate the class with @neuntune.register"
        )
    # the class's table: a synapse's instance table also lists its plasticity's parameters
    table = cls.parameter_table()
    out: dict[str, Any] = {
        "model": cls.__name__,
        "parameters": {key: quantity(model.get(key), p.unit) for key, p in table.items()},
        "options": model.option_values,
    }
    if getattr(cls, "listed", ""):  # a spike source's times (ms)
        out[cls.listed] = quantity(getattr(model, cls.listed).tolist(), "ms")
    if isinstance(model, Synapse) and model.plasticity is not None:
        out["plasticity"] = element_to_json(model.plasticity)
    return out


def _entry(name: str, model: Model, **links: Any) -> dict[str, Any]:
    """A circuit element: its name, model, the cells it links (pre/post, target), the rest."""
    element = element_to_json(model)
    return {"name": name, "model": element.pop("model"), **links, **element}


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as JSON's numbers and lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value


def rule_to_json(rule: Rule, path: str) -> dict[str, Any]:
    """``{"rule": "FixedProbability", "p": 0.02, "seed": 3, "self_connections": false}``;
    explicit pairs only up to :data:`MAX_ITEMS` (a big network is stored as its rule)."""
    if isinstance(rule, Pairs) and len(rule.i) > MAX_ITEMS:
        raise PresetError(
            f"{path}: {len(rule.i)} explicit pairs, over the limit of {MAX_ITEMS} items a "
            "preset list holds; describe a network this big by a rule with a seed "
            "(nt.FixedProbability(p, seed=1), nt.FixedNumberPre(n, seed=1), nt.AllToAll(), "
            "nt.OneToOne()), which the preset stores instead of the pairs"
        )
    return {key: _plain(value) for key, value in rule.describe().items()}


def members_to_json(circuit: Circuit, name: str, path: str) -> dict[str, Any]:
    """The values that differ between ``name``'s members, in the declared units: a
    distribution with its seed, or an explicit list (null for an initial value at
    steady state) of at most :data:`MAX_ITEMS`."""
    values = circuit.member_values.get(name, {})
    table = circuit.element(name).parameter_table()
    out: dict[str, Any] = {}
    for key, spec in values.items():
        unit = table[key].unit
        if isinstance(spec, Distribution):
            out[key] = {**{k: _plain(v) for k, v in spec.describe().items()}, "unit": unit}
            continue
        if len(spec) > MAX_ITEMS:
            raise PresetError(
                f"{path}.members.{key}: {len(spec)} values, over the limit of {MAX_ITEMS} "
                "items a preset list holds; give them as a seeded distribution "
                f"(c.set('{name}.{key}', nt.Normal(mean, sd, seed=1)) or nt.Uniform(low, high, "
                "seed=1)), which the preset stores instead of the values"
            )
        out[key] = {"value": [None if np.isnan(x) else x for x in spec.tolist()], "unit": unit}
    return out


def _population(c: Circuit, name: str, path: str, entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with its values that differ between members (if any) after the rest."""
    members = members_to_json(c, name, path)
    return {**entry, "members": members} if members else entry


def _size(n: int) -> dict[str, int]:
    return {} if n == 1 else {"n": int(n)}


def _rule(conn: Any, index: int) -> dict[str, Any]:
    if conn.rule is None:
        return {}
    return {"rule": rule_to_json(conn.rule, f"$.connections[{index}].rule")}


def to_dict(preset: Preset) -> dict[str, Any]:
    """The preset as a JSON document of the current schema (plain dicts, lists, str,
    float and null); raises PresetError for explicit lists too long for a preset."""
    c = preset.circuit
    run = preset.run
    doc: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "metadata": {
            "name": preset.name,
            "description": preset.description,
            "source": preset.source,
        },
        "neurons": [
            _population(c, k, f"$.neurons[{i}]", _entry(k, n, **_size(c.sizes[k])))
            for i, (k, n) in enumerate(c.neurons.items())
        ],
        "connections": [
            _population(
                c,
                k,
                f"$.connections[{i}]",
                _entry(k, conn.synapse, pre=conn.pre, post=conn.post, **_rule(conn, i)),
            )
            for i, (k, conn) in enumerate(c.connections.items())
        ],
        "stimuli": [
            _population(c, k, f"$.stimuli[{i}]", _entry(k, inj.stimulus, target=inj.target))
            for i, (k, inj) in enumerate(c.stimuli.items())
        ],
        "run": {
            "t_stop": quantity(run.t_stop, "ms"),
            "dt": quantity(run.dt, "ms"),
            "method": run.method,
            "precision": run.precision,
            "record": None if run.record is None else list(run.record),
            "record_every": run.record_every,
            "init": run.init,
        },
        "hints": {
            "sliders": [
                {
                    "path": s.path,
                    "unit": s.unit,
                    "range": [float(s.low), float(s.high)],
                    "scale": s.scale,
                }
                for s in preset.sliders
            ]
        },
        "measurements": [
            {
                "kind": "coupling",
                "stimulus": m.stimulus,
                "target": m.target,
                **({} if m.window is None else {"window": quantity(m.window, "ms")}),
            }
            for m in preset.couplings
        ]
        + [
            {
                "kind": "train",
                "connection": m.connection,
                "convention": m.convention,
                **({} if m.recovery_stream is None else {"recovery_stream": m.recovery_stream}),
            }
            for m in preset.trains
        ],
    }
    return doc
