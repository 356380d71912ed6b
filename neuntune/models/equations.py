"""The small equation language models are declared in.

A model writes its dynamics once, as text close to the maths::

    am = 0.1*vtrap(v + 40, 10)          # an intermediate
    dm/dt = am*(1 - m) - bm*m           # a state derivative

and event handlers as statements (``s += weight``).  The text is parsed with
:mod:`ast` (never evaluated) and checked against a whitelist of operators and
functions, so a declaration can be analysed (which names it uses, whether a
derivative is linear in its own state) and rendered to compiled code for any
floating-point precision by :mod:`neuntune.engine.codegen`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

#: Functions an expression may call, with their number of arguments.
FUNCTIONS: dict[str, int] = {
    "exp": 1,
    "log": 1,
    "sqrt": 1,
    "tanh": 1,
    "sin": 1,
    "cos": 1,
    "abs": 1,
    "floor": 1,
    "min": 2,
    "max": 2,
    "where": 3,
    "vtrap": 2,
    "randn": 0,  # a standard normal number; only in per-step statements (on_step)
}

#: Named constants an expression may use.
CONSTANTS: dict[str, float] = {"pi": 3.141592653589793}

_DERIVATIVE = re.compile(r"^d\s*([A-Za-z_]\w*)\s*/\s*dt$")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_NUMERIC_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_COMPARISONS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


class EquationError(ValueError):
    """A model declaration whose equations cannot be used."""


@dataclass
class Equations:
    """Parsed equations: intermediates in order and one derivative per state."""

    assignments: dict[str, ast.expr] = field(default_factory=dict)
    derivatives: dict[str, ast.expr] = field(default_factory=dict)
    booleans: set[str] = field(default_factory=set)  # intermediates that are conditions
    source: str = ""


@dataclass(frozen=True)
class Statement:
    """One event statement: ``target = expr`` or ``target += expr`` (also -=, *=)."""

    target: str
    op: str  # "=", "+", "-", "*"
    expr: ast.expr


def _strip(line: str) -> str:
    return line.split("#", 1)[0].strip()


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join physical lines while brackets are open; yield (first line number, text)."""
    out, pending, start, depth = [], "", 0, 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip(raw)
        if not line and not pending:
            continue
        if not pending:
            start = number
        pending = f"{pending} {line}".strip()
        depth += line.count("(") - line.count(")")
        if depth <= 0:
            out.append((start, pending))
            pending, depth = "", 0
    if pending:
        out.append((start, pending))
    return out


def parse_expression(
    text: str,
    where: str = "expression",
    booleans: frozenset[str] | set[str] = frozenset(),
    allow_random: bool = False,
) -> ast.expr:
    """Parse one numeric expression and check it uses only the allowed syntax.

    ``booleans`` names intermediates known to be conditions; ``randn()`` is only
    allowed where ``allow_random`` (statements run once per step, never inside an
    integrator stage, where a random draw would make the equations meaningless).
    """
    node = _parse(text, where, allow_random)
    check_kind(node, "num", where, booleans)
    return node


def _parse(text: str, where: str, allow_random: bool = False) -> ast.expr:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise EquationError(f"{where}: cannot parse {text.strip()!r}: {exc.msg}") from None
    _check_syntax(tree.body, where)
    if not allow_random and any(
        isinstance(n, ast.Call) and n.func.id == "randn" for n in ast.walk(tree.body)
    ):
        raise EquationError(f"{where}: randn() is only allowed in on_step statements")
    return tree.body


def parse_equations(text: str, where: str = "equations") -> Equations:
    """Parse ``name = expr`` and ``dX/dt = expr`` lines (``#`` starts a comment)."""
    eqs = Equations(source=text)
    for number, line in _logical_lines(text):
        if "=" not in line:
            raise EquationError(f"{where}, line {number}: expected 'name = expr', got {line!r}")
        lhs, rhs = (part.strip() for part in line.split("=", 1))
        here = f"{where}, line {number}"
        expr = _parse(rhs, here)
        match = _DERIVATIVE.match(lhs)
        if match or not _IDENT.match(lhs):
            check_kind(expr, "num", here, eqs.booleans)
        elif _kind(expr, here, eqs.booleans) == "bool":
            eqs.booleans.add(lhs)
        if match:
            state = match.group(1)
            if state in eqs.derivatives:
                raise EquationError(f"{here}: d{state}/dt is defined twice")
            eqs.derivatives[state] = expr
        elif _IDENT.match(lhs):
            if lhs in eqs.assignments:
                raise EquationError(f"{here}: {lhs} is defined twice")
            eqs.assignments[lhs] = expr
        else:
            raise EquationError(f"{here}: cannot assign to {lhs!r}")
    return eqs


def parse_statements(
    text: str, where: str = "event", allow_random: bool = False
) -> list[Statement]:
    """Parse event statements, one per line: ``x = e``, ``x += e``, ``x -= e``, ``x *= e``."""
    statements = []
    for number, line in _logical_lines(text):
        here = f"{where}, line {number}"
        match = re.match(r"^([A-Za-z_]\w*)\s*([+\-*]?)=\s*(.+)$", line)
        if not match or match.group(3).startswith("="):
            raise EquationError(f"{here}: expected 'name = expr' or 'name += expr', got {line!r}")
        target, op, rhs = match.groups()
        expr = parse_expression(rhs, here, allow_random=allow_random)
        statements.append(Statement(target, op or "=", expr))
    return statements


def _check_syntax(node: ast.AST, where: str) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if not isinstance(sub.func, ast.Name) or sub.func.id not in FUNCTIONS:
                name = sub.func.id if isinstance(sub.func, ast.Name) else ast.unparse(sub.func)
                allowed = ", ".join(sorted(FUNCTIONS))
                raise EquationError(f"{where}: unknown function {name!r} (allowed: {allowed})")
            if sub.keywords or len(sub.args) != FUNCTIONS[sub.func.id]:
                raise EquationError(
                    f"{where}: {sub.func.id}() takes {FUNCTIONS[sub.func.id]} positional arguments"
                )
        elif isinstance(sub, ast.Constant):
            if isinstance(sub.value, bool) or not isinstance(sub.value, int | float):
                raise EquationError(f"{where}: only numbers are allowed, got {sub.value!r}")
        elif isinstance(sub, ast.BinOp):
            if not isinstance(sub.op, _NUMERIC_BINOPS):
                raise EquationError(f"{where}: operator {type(sub.op).__name__} is not allowed")
        elif isinstance(sub, ast.UnaryOp):
            if not isinstance(sub.op, ast.USub | ast.UAdd | ast.Not):
                raise EquationError(f"{where}: operator {type(sub.op).__name__} is not allowed")
        elif isinstance(sub, ast.Compare):
            if not all(isinstance(op, _COMPARISONS) for op in sub.ops):
                raise EquationError(f"{where}: only <, <=, >, >=, ==, != comparisons are allowed")
        elif not isinstance(
            sub,
            ast.Name
            | ast.Load
            | ast.IfExp
            | ast.BoolOp
            | ast.And
            | ast.Or
            | ast.operator
            | ast.unaryop
            | ast.cmpop,
        ):
            raise EquationError(f"{where}: {type(sub).__name__} is not allowed in an expression")


def check_kind(
    node: ast.expr, expected: str, where: str, booleans: frozenset[str] | set[str] = frozenset()
) -> None:
    """Check conditions and numbers are not mixed (``2*(t > 1)`` is an error: use where())."""
    kind = _kind(node, where, booleans)
    if kind != expected:
        what, need = ("a condition", "a number") if kind == "bool" else ("a number", "a condition")
        raise EquationError(f"{where}: {ast.unparse(node)!r} is {what} where {need} is needed")


def _kind(node: ast.expr, where: str, booleans: frozenset[str] | set[str]) -> str:
    def want(child: ast.expr, kind: str) -> None:
        check_kind(child, kind, where, booleans)

    if isinstance(node, ast.Name):
        return "bool" if node.id in booleans else "num"
    if isinstance(node, ast.Compare):
        for operand in (node.left, *node.comparators):
            want(operand, "num")
        return "bool"
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            want(value, "bool")
        return "bool"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        want(node.operand, "bool")
        return "bool"
    if isinstance(node, ast.IfExp):
        want(node.test, "bool")
        want(node.body, "num")
        want(node.orelse, "num")
        return "num"
    if isinstance(node, ast.Call) and node.func.id == "where":
        want(node.args[0], "bool")
        want(node.args[1], "num")
        want(node.args[2], "num")
        return "num"
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            want(child, "num")
    return "num"


def names(node: ast.AST) -> set[str]:
    """Every symbol an expression reads (function names excluded)."""
    calls = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and id(n) not in calls and n.id not in CONSTANTS
    }


def closure(symbols: set[str], assignments: dict[str, ast.expr]) -> set[str]:
    """``symbols`` plus everything the intermediates among them read, transitively."""
    seen: set[str] = set()
    todo = list(symbols)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in assignments:
            todo.extend(names(assignments[name]))
    return seen


def depends_on(node: ast.AST, symbol: str, assignments: dict[str, ast.expr]) -> bool:
    """Whether ``node`` reads ``symbol`` directly or through intermediates."""
    return symbol in closure(names(node), assignments)


CONST, LINEAR, NONLINEAR = 0, 1, 2


def linearity(node: ast.expr, x: str, assignments: dict[str, ast.expr]) -> int:
    """Classify ``node`` as CONST, LINEAR or NONLINEAR in the symbol ``x``."""

    def go(n: ast.expr) -> int:
        if isinstance(n, ast.Name):
            if n.id == x:
                return LINEAR
            if n.id in assignments:
                return go(assignments[n.id])
            return CONST
        if isinstance(n, ast.Constant):
            return CONST
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            return go(n.operand)
        if isinstance(n, ast.BinOp):
            left, right = go(n.left), go(n.right)
            if isinstance(n.op, ast.Add | ast.Sub):
                return max(left, right)
            if isinstance(n.op, ast.Mult):
                if NONLINEAR in (left, right) or (left == LINEAR and right == LINEAR):
                    return NONLINEAR
                return max(left, right)
            if isinstance(n.op, ast.Div):
                return NONLINEAR if right != CONST else left
            if isinstance(n.op, ast.Pow):
                if right != CONST:
                    return NONLINEAR
                if left == CONST:
                    return CONST
                exponent = n.right
                one = isinstance(exponent, ast.Constant) and exponent.value == 1
                return left if one else NONLINEAR
        # function calls, conditionals: linear only when x does not appear at all
        return NONLINEAR if depends_on(n, x, assignments) else CONST

    return go(node)


def _num(value: float) -> ast.Constant:
    return ast.Constant(value=value)


def _is_zero(n: ast.expr) -> bool:
    return isinstance(n, ast.Constant) and n.value == 0


def _is_one(n: ast.expr) -> bool:
    return isinstance(n, ast.Constant) and n.value == 1


def _add(a: ast.expr, b: ast.expr, op: ast.operator) -> ast.expr:
    if _is_zero(b):
        return a
    if _is_zero(a):
        return b if isinstance(op, ast.Add) else ast.UnaryOp(op=ast.USub(), operand=b)
    return ast.BinOp(left=a, op=op, right=b)


def _mul(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_zero(a) or _is_zero(b):
        return _num(0.0)
    if _is_one(a):
        return b
    if _is_one(b):
        return a
    return ast.BinOp(left=a, op=ast.Mult(), right=b)


def derivative(node: ast.expr, x: str, assignments: dict[str, ast.expr]) -> ast.expr:
    """d(node)/dx for an expression that is LINEAR (or CONST) in ``x``.

    Used for exponential Euler: dx/dt = f(x) = A - B*x has B = -df/dx.
    """

    def go(n: ast.expr) -> ast.expr:
        if not depends_on(n, x, assignments):
            return _num(0.0)
        if isinstance(n, ast.Name):
            return _num(1.0) if n.id == x else go(assignments[n.id])
        if isinstance(n, ast.UnaryOp):
            inner = go(n.operand)
            if isinstance(n.op, ast.UAdd) or _is_zero(inner):
                return inner
            return ast.UnaryOp(op=ast.USub(), operand=inner)
        if isinstance(n, ast.BinOp):
            if isinstance(n.op, ast.Add | ast.Sub):
                return _add(go(n.left), go(n.right), n.op)
            if isinstance(n.op, ast.Mult):
                if depends_on(n.left, x, assignments):
                    return _mul(go(n.left), n.right)
                return _mul(n.left, go(n.right))
            if isinstance(n.op, ast.Div):
                inner = go(n.left)
                return _num(0.0) if _is_zero(inner) else ast.BinOp(inner, ast.Div(), n.right)
            if isinstance(n.op, ast.Pow):  # exponent 1, by linearity
                return go(n.left)
        raise EquationError(f"{ast.unparse(n)!r} is not linear in {x}")

    if linearity(node, x, assignments) == NONLINEAR:
        raise EquationError(f"{ast.unparse(node)!r} is not linear in {x}")
    return go(node)
