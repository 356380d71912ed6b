"""What a run records: :func:`parse_record` turns the names a user asks for ("v",
"fs[0:10].v", "gj.I") into :class:`Recordable` traces (a state row, or an output
current in µA), and :func:`recordables` lists what an element can record."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..circuit import Circuit
from .groups import NetworkLayout


@dataclass(frozen=True)
class Recordable:
    """A recorded trace of an element: a state (``row`` ≥ 0) or an output current."""

    element: str
    variable: str
    unit: str
    members: np.ndarray  # member (or connection) indices of the element
    row: int = -1  # state row
    current: int = -1  # 0: IO (I_post, a stimulus's I), 1: IP (I_pre)


SPEC = re.compile(r"^(?P<element>.*?)(?:\[(?P<lo>\d*)(?P<colon>:?)(?P<hi>\d*)\])?$")


def recordables(circuit: Circuit, layout: NetworkLayout, element: str) -> dict[str, tuple]:
    """What ``element`` can record: {variable: (unit, state row or -1, current kind or -1)}."""
    group = layout.where[element][0]
    out = {v: (s.unit, group.slot.states[v], -1) for v, s in group.definition.states.items()}
    if group.kind == "connection":
        out["I"] = ("uA", -1, 0)
        if "I_pre" in group.definition.equations.assignments:
            out["I_pre"] = ("uA", -1, 1)
    elif group.kind == "stimulus":
        out["I"] = ("uA", -1, 0)
    return out


def parse_record(
    circuit: Circuit, layout: NetworkLayout, record: Iterable[str] | str | None
) -> list[Recordable]:
    """What ``record`` asks for: None (everything), "v" (every voltage), an element
    ("fs", "gj"), a variable ("a.m", "gj.I", "a.stim0.I"), members ("fs[3].v",
    "fs[0:10].v")."""
    if record is None:
        items = list(circuit)
    elif isinstance(record, str):
        items = [record]
    else:
        items = list(record)
    out: list[Recordable] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"record: expected names such as 'v' or 'fs[0:10].v', got {item!r}")
        if item == "v":
            for name, cell in circuit.neurons.items():
                if layout.where[name][0].voltage_row >= 0:
                    out.append(_recordable(circuit, layout, name, None, cell.resolved().voltage))
            continue
        match, variable = SPEC.match(item), None
        if match.group("element") not in circuit and "." in item:
            head, variable = item.rsplit(".", 1)
            match = SPEC.match(head)
        element = match.group("element")
        if element not in circuit:
            known = [f"{e}.{v}" for e in circuit for v in recordables(circuit, layout, e)]
            raise ValueError(
                f"record: nothing called {item!r} can be recorded (choices: 'v', "
                f"{', '.join(known)})"
            )
        members = None
        if match.group("lo") or match.group("colon"):
            n = circuit.size(element)
            lo = int(match.group("lo") or 0)
            hi = int(match.group("hi") or n) if match.group("colon") else lo + 1
            if not 0 <= lo < hi <= n:
                raise ValueError(
                    f"record: nothing called {item!r} can be recorded ({element} has {n} "
                    f"member(s): indices 0 to {n - 1})"
                )
            members = np.arange(lo, hi)
        choices = recordables(circuit, layout, element)
        for var in list(choices) if variable is None else [variable]:
            if var not in choices:
                known = ", ".join(f"{element}.{c}" for c in choices)
                raise ValueError(
                    f"record: nothing called {item!r} can be recorded (choices: 'v', {known})"
                )
            out.append(_recordable(circuit, layout, element, members, var))
    unique: dict[tuple, Recordable] = {}
    for rec in out:
        unique.setdefault((rec.element, rec.variable, tuple(rec.members)), rec)
    return list(unique.values())


def _recordable(circuit, layout, element, members, variable) -> Recordable:
    unit, row, current = recordables(circuit, layout, element)[variable]
    if members is None:
        members = np.arange(circuit.size(element))
    return Recordable(element, variable, unit, members, row, current)
