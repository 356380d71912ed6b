"""What NEURON knows about the loaded mechanisms and a cell: for sliders and messages.

The functions take NEURON's ``h`` and run in the worker process; the dataclasses they
return are plain values that cross the pipe to the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuntune.neuron.spec import SpecError

#: BMTool's aliases for NEURON's built-in synapses (its ``level_of_detail`` values).
ALIASES = {"exp2syn": "Exp2Syn", "expsyn": "ExpSyn", "alphasynapse": "AlphaSynapse"}
#: MechanismStandard's variable kinds.
PARAMETER, ASSIGNED, STATE = 1, 2, 3


@dataclass(frozen=True)
class Parameter:
    """A PARAMETER of a mechanism: its ``default`` in ``units`` (NEURON's unit string;
    '1' or '' when dimensionless).  Density mechanisms' names carry the suffix
    (``g_leak``)."""

    name: str
    default: float
    units: str


@dataclass(frozen=True)
class Section:
    """A section of a cell, by its index in ``all`` (BMTool's ``sec_id``): its name
    within the template, ``nseg``, length ``L`` (µm) and diameter at its middle (µm)."""

    index: int
    name: str
    nseg: int
    L: float
    diam: float


def mechanisms(h: Any, point_processes: bool = True) -> list[str]:
    """The point processes (or density mechanisms) NEURON knows, built-in ones first,
    then the mod files'."""
    kinds = h.MechanismType(1 if point_processes else 0)
    name = h.ref("")
    found = []
    for i in range(int(kinds.count())):
        kinds.select(i)
        kinds.selected(name)
        found.append(name[0])
    return found


def resolve_point_process(h: Any, name: str) -> str:
    """``name`` as NEURON spells it: exact, BMTool's alias, or a case-insensitive match."""
    known = mechanisms(h)
    if name in known:
        return name
    wanted = ALIASES.get(name.lower(), name).lower()
    for candidate in known:
        if candidate.lower() == wanted:
            return candidate
    raise SpecError("name", name, f"no such point process; known: {', '.join(known)}")


def variables(h: Any, mechanism: str, kind: int = PARAMETER) -> list[Parameter]:
    """The variables of one kind (PARAMETER, ASSIGNED or STATE) of a point process or a
    density mechanism, with their defaults and units."""
    standard = h.MechanismStandard(mechanism, kind)
    name = h.ref("")
    found = []
    for i in range(int(standard.count())):
        standard.name(name, i)
        # units are looked up as "Exp2Syn.tau1" for point processes, "g_leak" for density
        # mechanisms (whose names already carry the suffix)
        lookup = name[0] if name[0].endswith(f"_{mechanism}") else f"{mechanism}.{name[0]}"
        found.append(Parameter(name[0], float(standard.get(name[0])), str(h.units(lookup))))
    return found


def sections(cell: Any) -> list[Section]:
    """The cell's sections in ``all`` order, named without the template's instance prefix
    (``soma``, ``dend[3]``)."""
    found = []
    for index, sec in enumerate(cell.all):
        full = sec.name()
        found.append(
            Section(index, full.split(".", 1)[-1], int(sec.nseg), float(sec.L), sec(0.5).diam)
        )
    return found
