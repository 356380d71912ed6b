"""Pass 0 of the equation optimiser: subexpressions that read parameters only,
computed once per run into derived values (:func:`parameter_only`), and read where
they were written (:func:`read_once`)."""

from __future__ import annotations

import ast
import copy

from ..models.equations import Equations, names
from .trees import binop, constant_node, map_children, tree_key

#: Calls whose value depends on their arguments only (not ``randn``).
_PURE = {"exp", "log", "sqrt", "tanh", "sin", "cos", "abs", "floor", "min", "max", "where"}


def _fixed(node: ast.expr, fixed: set[str]) -> bool:
    """``node`` reads only ``fixed`` symbols, and at least one (a constant is LLVM's)."""
    used = names(node)
    return (
        bool(used)
        and used <= fixed
        and all(not isinstance(n, ast.Call) or n.func.id in _PURE for n in ast.walk(node))
    )


def _worth(node: ast.expr) -> bool:
    """A subtree worth a derived value: some arithmetic on a number (not a bare name,
    its negation, or a condition, which stays where its branch is chosen)."""
    if isinstance(node, ast.Name | ast.Constant | ast.Compare | ast.BoolOp):
        return False
    if isinstance(node, ast.UnaryOp):
        return not isinstance(node.op, ast.Not) and _worth(node.operand)
    return True


def _reciprocal(node: ast.expr) -> ast.expr:
    return binop(constant_node(1.0), ast.Div(), copy.deepcopy(node))


def _once(node: ast.expr, fixed: set[str], found: dict[str, ast.expr]) -> None:
    """Collect (by :func:`tree_key`) the parameter-only subtrees of ``node`` worth
    computing once: the largest ones, and the reciprocals of parameter-only divisors."""
    if _fixed(node, fixed) and _worth(node):
        found.setdefault(tree_key(node), copy.deepcopy(node))
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _fixed(node.right, fixed):
        found.setdefault(tree_key(_reciprocal(node.right)), _reciprocal(node.right))
        _once(node.left, fixed, found)
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            _once(child, fixed, found)


def parameter_only(equations: Equations, fixed: set[str], hoisted: set[str]) -> dict[str, ast.expr]:
    """The subexpressions of ``equations``' per-stage work (intermediates not in
    ``hoisted``, and the derivatives) that read only ``fixed`` symbols (parameters and
    the ``hoisted`` intermediates), named ``<digits>p``: computed once per run, like
    ``hoisted``.  :func:`optimise` reads them where they were written."""
    found: dict[str, ast.expr] = {}
    exprs = [e for n, e in equations.assignments.items() if n not in hoisted]
    for expr in [*exprs, *equations.derivatives.values()]:
        _once(expr, fixed, found)
    return {f"{k}p": expr for k, expr in enumerate(found.values())}


def read_once(node: ast.expr, once: dict[str, str]) -> ast.expr:
    """``node`` reading the values ``once`` (key -> name) holds instead of computing
    them: a subtree becomes its name, ``x/d`` becomes ``x·(1/d)``."""
    name = once.get(tree_key(node))
    if name is not None:
        return ast.Name(id=name)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        name = once.get(tree_key(_reciprocal(node.right)))
        if name is not None:
            return binop(read_once(node.left, once), ast.Mult(), ast.Name(id=name))
    return map_children(copy.copy(node), lambda child: read_once(child, once))
