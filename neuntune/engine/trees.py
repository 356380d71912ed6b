"""Expression trees (:mod:`ast` nodes) for the equation optimiser: building constants,
binary operations, products and calls; a node's structural key; mapping and
substituting children in place."""

from __future__ import annotations

import ast
from collections.abc import Callable


def constant_node(value: float) -> ast.Constant:
    return ast.Constant(value=float(value))


def binop(left: ast.expr, op: ast.operator, right: ast.expr) -> ast.BinOp:
    return ast.BinOp(left=left, op=op, right=right)


def product(*factors: ast.expr) -> ast.expr:
    kept = [f for f in factors if not (isinstance(f, ast.Constant) and f.value == 1)]
    if not kept:
        return constant_node(1.0)
    out = kept[0]
    for f in kept[1:]:
        out = binop(out, ast.Mult(), f)
    return out


def call_node(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name), args=list(args), keywords=[])


def tree_key(node: ast.AST) -> str:
    return ast.dump(node)


def map_children(node: ast.expr, fn: Callable[[ast.expr], ast.expr]) -> ast.expr:
    """``node`` with ``fn`` applied to each child expression (in place)."""
    for name, value in ast.iter_fields(node):
        if isinstance(value, ast.expr):
            setattr(node, name, fn(value))
        elif isinstance(value, list):
            setattr(node, name, [fn(v) if isinstance(v, ast.expr) else v for v in value])
    return node


def substitute(node: ast.expr, replace: dict[int, ast.expr]) -> ast.expr:
    """``node`` with the subtrees whose id is in ``replace`` swapped (in place)."""
    if id(node) in replace:
        node = replace[id(node)]
    return map_children(node, lambda child: substitute(child, replace))


def is_exp(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and node.func.id == "exp"


def is_one(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1
