"""What the equation optimiser produces: a :class:`Program` (assignments, each
defined before its use, and the state derivatives that read them), and the
:class:`Builder` of its temporaries."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..models.equations import names
from .trees import tree_key


@dataclass
class Program:
    """Assignments (declared intermediates and temporaries, each defined before its
    use) and the state derivatives that read them."""

    assignments: dict[str, ast.expr] = field(default_factory=dict)
    derivatives: dict[str, ast.expr] = field(default_factory=dict)

    def needed(self, wanted: set[str], derivatives: bool = True) -> list[str]:
        """The assignments ``wanted`` (and, with ``derivatives``, every derivative)
        read, in program order."""
        todo = set(wanted)
        for expr in self.derivatives.values() if derivatives else ():
            todo |= names(expr)
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.assignments:
                continue
            seen.add(name)
            todo |= names(self.assignments[name])
        return [n for n in self.assignments if n in seen]


class Builder:
    """Temporaries, hash-consed: the same expression gets the same name."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.by_key: dict[str, str] = {}

    def temp(self, expr: ast.expr) -> ast.Name:
        if isinstance(expr, ast.Name | ast.Constant):
            return expr
        key = tree_key(expr)
        name = self.by_key.get(key)
        if name is None:
            name = self.by_key[key] = f"{len(self.by_key)}t"
            self.program.assignments[name] = expr
        return ast.Name(id=name)
