"""What a NEURON-backed cell is made of, and what one run does: plain, picklable values.

Fields are checked where they are made; what only NEURON knows (the template's name, the
number of sections, the point process's PARAMETERs) is checked by the worker when the
cell is built, and raises the same ``SpecError``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SpecError(ValueError):
    """A spec that cannot be built; the message names the field, the value and what is
    allowed.  Attributes: ``field``, ``value`` and ``message`` (the text after them)."""

    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(f"{field} = {value!r}: {message}")
        self.field = field
        self.value = value
        self.message = message


def _number(name: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a finite float in [low, high], else a SpecError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(name, value, "must be a number")
    if not math.isfinite(value) or not low <= value <= high:
        raise SpecError(name, value, f"must be finite and within [{low:g}, {high:g}]")
    return float(value)


def _index(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(name, value, "must be an integer >= 0")
    return value


def _positive(name: str, value: Any) -> float:
    if _number(name, value) <= 0:
        raise SpecError(name, value, "must be > 0")
    return float(value)


@dataclass(frozen=True)
class PointProcessSpec:
    """A point process (a synapse, a gap junction) placed on the cell.

    ``name``: the mechanism (``Exp2Syn``, a POINT_PROCESS of the mod files; BMTool's
    ``level_of_detail``, whose aliases and case-insensitive match are accepted).
    ``sec_id``: index into the template's ``all`` SectionList; ``sec_x``: position along
    that section, 0–1.  ``params``: PARAMETER values in the mechanism's own units (see
    ``NeuronSession.parameters``).
    """

    name: str = "Exp2Syn"
    sec_id: int = 0
    sec_x: float = 0.5
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise SpecError("name", self.name, "must be a point process's name")
        _index("sec_id", self.sec_id)
        object.__setattr__(self, "sec_x", _number("sec_x", self.sec_x, 0.0, 1.0))
        object.__setattr__(self, "params", check_params(self.params))


def check_params(params: Any) -> dict[str, float]:
    """``params`` as a new dict of names to finite floats, else a SpecError."""
    if not isinstance(params, dict):
        raise SpecError("params", params, "must be a dict of PARAMETER names to numbers")
    return {_name(k): _number(f"params[{k!r}]", v) for k, v in params.items()}


def _name(key: Any) -> str:
    if not isinstance(key, str) or not key.isidentifier():
        raise SpecError("params", key, "a parameter's name must be an identifier")
    return key


@dataclass(frozen=True)
class CellSpec:
    """A cell from the user's hoc template and mod files, with an optional synapse.

    ``template``: the hoc template's name.  ``templates``: a ``.hoc`` file, or a folder
    whose ``*.hoc`` files are all loaded (BMTool's ``templates_dir``, a file without a
    config and a folder with one).  ``mechanisms``: the folder of ``.mod`` files.
    ``partner``: a second cell's template, for a gap junction: it gets a point process
    like ``synapse`` at the same place, and each one's ``vgap`` follows the other cell's
    voltage there (``ParallelContext.source_var``/``target_var``, as BMTool wires it).
    """

    template: str
    templates: Path
    mechanisms: Path
    synapse: PointProcessSpec | None = None
    partner: str | None = None

    def __post_init__(self) -> None:
        for name in ("template", "partner"):
            value = getattr(self, name)
            if (value is not None or name == "template") and not (
                isinstance(value, str) and value.isidentifier()
            ):
                raise SpecError(name, value, "must be a hoc template's name")
        if self.partner is not None and self.synapse is None:
            raise SpecError("partner", self.partner, "needs a synapse (the gap junction)")
        for name in ("templates", "mechanisms"):
            value = getattr(self, name)
            if not isinstance(value, str | os.PathLike):
                raise SpecError(name, value, "must be a path")
            object.__setattr__(self, name, Path(value).expanduser().resolve())

    def template_files(self) -> list[Path]:
        """The hoc files to load, checked to exist."""
        if self.templates.is_file():
            return [self.templates]
        if not self.templates.is_dir():
            raise SpecError("templates", str(self.templates), "no such file or folder")
        files = sorted(self.templates.glob("*.hoc"))
        if not files:
            raise SpecError("templates", str(self.templates), "the folder holds no .hoc files")
        return files

    def check_paths(self) -> None:
        """Raise a SpecError naming the first missing path."""
        self.template_files()
        if not self.mechanisms.is_dir():
            raise SpecError("mechanisms", str(self.mechanisms), "no such folder")
        if not any(self.mechanisms.glob("*.mod")):
            raise SpecError("mechanisms", str(self.mechanisms), "the folder holds no .mod files")


@dataclass(frozen=True)
class IClampSpec:
    """A current step (NEURON's ``IClamp``): ``amp`` (nA, positive depolarises) from
    ``delay`` (ms) for ``dur`` (ms), at ``sec_id``/``sec_x`` as in PointProcessSpec.
    ``frequency`` (Hz): a sine of amplitude ``amp`` instead, from ``delay`` for ``dur``
    (played into the clamp, sampled at the run's dt)."""

    amp: float
    delay: float
    dur: float
    sec_id: int = 0
    sec_x: float = 0.5
    frequency: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amp", _number("amp", self.amp))
        if self.frequency is not None:
            object.__setattr__(self, "frequency", _positive("frequency", self.frequency))
        object.__setattr__(self, "delay", _number("delay", self.delay, 0.0))
        object.__setattr__(self, "dur", _number("dur", self.dur, 0.0))
        _index("sec_id", self.sec_id)
        object.__setattr__(self, "sec_x", _number("sec_x", self.sec_x, 0.0, 1.0))


@dataclass(frozen=True)
class VClampSpec:
    """NEURON's ``VClamp`` (gain 1e5, series resistance 1 MΩ, as BMTool uses it) holding
    ``amp`` (mV) from t = 0 for ``dur`` (ms), at ``sec_id``/``sec_x`` as in
    PointProcessSpec.  Its current (``vclamp.i``, nA) is positive out of the electrode."""

    amp: float
    dur: float = 1e9
    sec_id: int = 0
    sec_x: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "amp", _number("amp", self.amp))
        object.__setattr__(self, "dur", _number("dur", self.dur, 0.0))
        _index("sec_id", self.sec_id)
        object.__setattr__(self, "sec_x", _number("sec_x", self.sec_x, 0.0, 1.0))


#: What a run can record: the voltage (mV) at the first section of ``all`` (the soma in
#: BMTool's templates), at the synapse, or at the partner cell's first section; the
#: synapse's and the clamps' range variables.
RECORDABLE = ("v", "v_syn", "v2", "syn.<variable>", "iclamp.i", "vclamp.i")


@dataclass(frozen=True)
class RunSpec:
    """One fixed-step run: ``finitialize(v_init)``, then to ``tstop``.

    Times in ms, ``v_init`` in mV, ``celsius`` in °C (BMTool's default 20).  ``events``:
    times (ms) at which one NetCon of weight ``weight`` (the point process's unit, µS for
    a conductance synapse) delivers to the synapse.  ``fresh_events``: times delivered
    by a second NetCon, whose NET_RECEIVE state (short-term plasticity in BMTool's
    synapses) starts afresh: BMTool's recovery pulses.  ``record``: names from
    RECORDABLE, sampled every ``record_dt`` ms (default ``dt``), with ``"t"`` always
    included.
    """

    tstop: float
    dt: float = 0.025
    v_init: float = -70.0
    celsius: float = 20.0
    events: tuple[float, ...] = ()
    fresh_events: tuple[float, ...] = ()
    weight: float = 1.0
    iclamp: IClampSpec | None = None
    vclamp: VClampSpec | None = None
    record: tuple[str, ...] = ("v",)
    record_dt: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tstop", _positive("tstop", self.tstop))
        object.__setattr__(self, "dt", _positive("dt", self.dt))
        object.__setattr__(self, "v_init", _number("v_init", self.v_init))
        object.__setattr__(self, "celsius", _number("celsius", self.celsius, -273.15))
        for name in ("events", "fresh_events"):
            times = tuple(
                _number(f"{name}[{i}]", t, 0.0, self.tstop)
                for i, t in enumerate(getattr(self, name))
            )
            object.__setattr__(self, name, times)
        object.__setattr__(self, "weight", _number("weight", self.weight))
        for name, kind in (("iclamp", IClampSpec), ("vclamp", VClampSpec)):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), kind):
                raise SpecError(name, getattr(self, name), f"must be a {kind.__name__} or None")
        record = tuple(self.record)
        for name in record:
            if name not in ("v", "v_syn", "v2", "iclamp.i", "vclamp.i") and not (
                name.startswith("syn.") and name[4:].isidentifier()
            ):
                raise SpecError("record", name, f"must be one of {', '.join(RECORDABLE)}")
        object.__setattr__(self, "record", record)
        if self.record_dt is not None:
            object.__setattr__(self, "record_dt", _positive("record_dt", self.record_dt))
