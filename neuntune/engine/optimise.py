"""Optimise a model's equations for code generation, so a textbook declaration costs
what a hand-derived one does.

:func:`optimise` rewrites one model's intermediates and state derivatives into a
:class:`Program` of assignments (the declared intermediates plus temporaries) and
derivatives, by four passes, after one that leaves work for ``setup``:

0. **Once per run.**  Subexpressions that read parameters only (and intermediates
   that do, :func:`parameter_only`) are computed once per run into the derived
   values: the largest such subtrees, and the reciprocal of a parameter-only divisor,
   so ``x/cm`` is ``x·(1/cm)`` with ``1/cm`` read, not divided, at every stage.
1. **Removable singularities.**  A ratio ``c·y/(1 − e^y)`` or ``c·y/(e^y − 1)`` with ``y``
   affine in the symbols (written out or as ``vtrap(x, k)``), 0/0 at ``y = 0``, becomes
   ``num/den`` with ``num = c·P(y)``, ``den = 1`` within
   :data:`~neuntune.engine.exponentials.NEAR` of the singularity, P a polynomial fit
   of B(y) = y/(e^y − 1) = 1 − y/2 + y²/12 − y⁴/720 + … on that window
   (:data:`~neuntune.engine.exponentials.SERIES`, to y⁴).  Singularities in one
   affine form whose windows never overlap (HH's αm and αn) share one P, of the y
   that is near: a vectorised loop evaluates every P, taken or not.  Windows that
   overlap (float32 RTM's αm and αn, 2 mV apart) are narrowed until they do not, to
   no less than :data:`~neuntune.engine.exponentials.NARROWEST`.  The y of one form
   are computed from the first (``y2 = y1 + c``).
2. **Shared exponentials.**  Exponentials ``e^(a_i·S + b_i)`` of one affine form ``S``
   whose rates ``a_i`` are integer multiples ``n_i·q`` of a common rate (|n_i| ≤
   :data:`~neuntune.engine.exponentials.MAX_POWER`) are ``K_i·w^(n_i)`` from one base
   ``w = e^(q(S + c))``, its powers by a short addition chain through the ``|n_i|``;
   ``c`` makes the member with the largest ``|n_i|`` exactly ``w^(n_i)``.  Rounding
   grows with the power: relative error ≲ (|n_i| + 2) ulp on top of the argument's own
   rounding (which is the same as the direct form's).
3. **A reciprocal per pair.**  Divisions by different denominators that need no other
   division (and are not inside a ``where`` branch, whose denominator may vanish
   there) are paired: ``n_1/d_1`` and ``n_2/d_2`` are ``n_1·d_2·r`` and ``n_2·d_1·r``
   with ``r = 1/(d_1·d_2)``.  One division for more than two denominators measured
   slower (a longer product chain before it and after it, benchmarks/README.md).
4. **Common subexpressions** become temporaries (never from inside a comparison, whose
   time is rendered as a left limit).

Temporaries are named ``<digits>t``, and those computed once per run ``<digits>p`` (a
user's symbol cannot start with a digit), so they never meet a model's own names.

Pass 0 is :mod:`~neuntune.engine.hoisting`; passes 1 and 2 are
:mod:`~neuntune.engine.exponentials`; passes 3 and 4 are here.
"""

from __future__ import annotations

import ast
import copy

from ..models.equations import Equations, names
from .affine import affine
from .exponentials import ExponentialRewriter
from .hoisting import read_once
from .program import Builder, Program
from .trees import binop, constant_node, product, substitute, tree_key


def _has_division(node: ast.AST, program: Program, seen: set[str] | None = None) -> bool:
    seen = set() if seen is None else seen
    for sub in ast.walk(node):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Div):
            return True
        if isinstance(sub, ast.Call) and sub.func.id == "vtrap":
            return True
        if isinstance(sub, ast.Name) and sub.id in program.assignments and sub.id not in seen:
            seen.add(sub.id)
            if _has_division(program.assignments[sub.id], program, seen):
                return True
    return False


def _constant(node: ast.expr) -> bool:
    form = affine(node)
    return form is not None and set(form) == {""}


def _divisions(node: ast.AST, out: list[ast.BinOp]) -> None:
    """Divisions evaluated whenever ``node`` is (not those inside a where() branch)."""
    if isinstance(node, ast.Call) and node.func.id == "where":
        _divisions(node.args[0], out)
        return
    if isinstance(node, ast.IfExp):
        _divisions(node.test, out)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        out.append(node)
        _divisions(node.left, out)
        return
    for child in ast.iter_child_nodes(node):
        _divisions(child, out)


def _paired_reciprocals(program: Program, build: Builder) -> None:
    exprs = [*program.assignments.values(), *program.derivatives.values()]
    found: list[ast.BinOp] = []
    for expr in exprs:
        _divisions(expr, found)
    found = [d for d in found if not _constant(d.right) and not _has_division(d.right, program)]
    dens: dict[str, ast.expr] = {}
    for d in found:
        dens.setdefault(tree_key(d.right), d.right)
    if len(found) < 2:
        return
    keys = list(dens)
    reciprocal = {}
    for a, b in zip(keys[::2], keys[1::2], strict=False):
        da, db = build.temp(dens[a]), build.temp(dens[b])
        inverse = build.temp(binop(constant_node(1.0), ast.Div(), product(da, db)))
        reciprocal[a] = build.temp(product(db, inverse))
        reciprocal[b] = build.temp(product(da, inverse))
    if len(keys) % 2:
        reciprocal[keys[-1]] = build.temp(binop(constant_node(1.0), ast.Div(), dens[keys[-1]]))
    replace = {id(d): product(d.left, reciprocal[tree_key(d.right)]) for d in found}
    for name in list(program.assignments):
        program.assignments[name] = substitute(program.assignments[name], replace)
    for state in program.derivatives:
        program.derivatives[state] = substitute(program.derivatives[state], replace)


# ---------------------------------------------------------------- pass 4
def _subtrees(node: ast.AST, counts: dict[str, list[ast.expr]]) -> None:
    if isinstance(node, ast.Compare) or (isinstance(node, ast.Call) and node.func.id == "floor"):
        return  # a comparison's time is its left limit: leave it where it is
    if isinstance(node, ast.expr) and not isinstance(node, ast.Name | ast.Constant):
        if not (
            isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Name | ast.Constant)
        ):
            counts.setdefault(tree_key(node), []).append(node)
    for child in ast.iter_child_nodes(node):
        _subtrees(child, counts)


def _size(node: ast.AST) -> int:
    return sum(1 for _ in ast.walk(node))


def _common(program: Program, build: Builder) -> None:
    """Repeated subexpressions, largest first, become temporaries."""
    while True:
        counts: dict[str, list[ast.expr]] = {}
        for expr in [*program.assignments.values(), *program.derivatives.values()]:
            _subtrees(expr, counts)
        repeated = [nodes for nodes in counts.values() if len(nodes) > 1]
        if not repeated:
            return
        nodes = max(repeated, key=lambda ns: _size(ns[0]))
        name = build.temp(copy.deepcopy(nodes[0]))
        replace = {id(n): ast.Name(id=name.id) for n in nodes}
        for n in list(program.assignments):
            if n != name.id:
                program.assignments[n] = substitute(program.assignments[n], replace)
        for state in program.derivatives:
            program.derivatives[state] = substitute(program.derivatives[state], replace)


def _ordered(program: Program, declared: list[str]) -> Program:
    """The assignments with each after what it reads (declared ones in their order)."""
    out = Program(derivatives=program.derivatives)
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in out.assignments or name not in program.assignments or name in visiting:
            return
        visiting.add(name)
        for dep in sorted(names(program.assignments[name])):
            visit(dep)
        out.assignments[name] = program.assignments[name]

    for name in declared:
        visit(name)
    for name in program.assignments:
        visit(name)
    return out


def optimise(
    equations: Equations,
    hoisted: set[str],
    precision: str,
    once: dict[str, ast.expr] | None = None,
) -> Program:
    """The :class:`Program` computing ``equations`` in ``precision``.  Intermediates in
    ``hoisted`` and the subexpressions in ``once`` (:func:`parameter_only`) are read,
    not computed: they depend on parameters only."""
    keys = {tree_key(expr): name for name, expr in (once or {}).items()}
    program = Program(
        {
            n: read_once(copy.deepcopy(e), keys)
            for n, e in equations.assignments.items()
            if n not in hoisted
        },
        {s: read_once(copy.deepcopy(e), keys) for s, e in equations.derivatives.items()},
    )
    declared = list(program.assignments)
    opt = ExponentialRewriter(program, precision)
    for expr in [*program.assignments.values(), *program.derivatives.values()]:
        opt.collect(expr)
    opt.plan()
    for name in declared:
        program.assignments[name] = opt.rewrite(program.assignments[name])
    for state in program.derivatives:
        program.derivatives[state] = opt.rewrite(program.derivatives[state])
    _paired_reciprocals(program, opt.build)
    _common(program, opt.build)
    return _ordered(program, declared)
