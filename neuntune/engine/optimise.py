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
   ``num/den`` with ``num = c·B(y)``, ``den = 1`` within :data:`NEAR` of the
   singularity: B(y) = y/(e^y − 1) = 1 − y/2 + y²/12 − y⁴/720 + y⁶/30240 − …
   Singularities in one affine form whose windows never overlap (HH's αm and αn)
   share one series, of the y that is near: a vectorised loop evaluates every
   series whether or not its branch is taken.
2. **Shared exponentials.**  Exponentials ``e^(a_i·S + b_i)`` of one affine form ``S``
   whose rates ``a_i`` are integer multiples ``n_i·q`` of a common rate (|n_i| ≤
   :data:`MAX_POWER`) are ``K_i·w^(n_i)`` from one base ``w = e^(q(S + c))``, its powers
   by repeated squaring; ``c`` makes the member with the largest ``|n_i|`` exactly
   ``w^(n_i)``.  Rounding grows with the power: relative error ≲ (|n_i| + 2) ulp on top
   of the argument's own rounding (which is the same as the direct form's).
3. **One reciprocal.**  Divisions by different denominators that need no other division
   (and are not inside a ``where`` branch, whose denominator may vanish there) are
   computed as ``num_j · (∏_{k≠j} den_k) · (1/∏ den_k)``: one division per evaluation.
4. **Common subexpressions** become temporaries (never from inside a comparison, whose
   time is rendered as a left limit).

Temporaries are named ``<digits>t``, and those computed once per run ``<digits>p`` (a
user's symbol cannot start with a digit), so they never meet a model's own names.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from ..models.equations import Equations, names

#: Largest power of a shared exponential's base (its rounding grows with it).
MAX_POWER = 128
#: |y| below which B(y) is its series (to y⁶): there the series' remainder y⁸/1209600
#: and the direct form's cancellation (≈ ulp·n/|y|, n the exponential's power) balance.
NEAR = {"float64": 0.05, "float32": 0.5}
#: Taylor coefficients of B(y) = y/(e^y − 1) (Bernoulli numbers B_k/k!), to y⁶.
SERIES = (1.0, -0.5, 1 / 12, 0.0, -1 / 720, 0.0, 1 / 30240)


@dataclass
class Program:
    """Assignments (declared intermediates and temporaries, each defined before its
    use) and the state derivatives that read them."""

    assignments: dict[str, ast.expr] = field(default_factory=dict)
    derivatives: dict[str, ast.expr] = field(default_factory=dict)

    def needed(self, wanted: set[str]) -> list[str]:
        """The assignments ``wanted`` (and every derivative) read, in program order."""
        todo = set(wanted)
        for expr in self.derivatives.values():
            todo |= names(expr)
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.assignments:
                continue
            seen.add(name)
            todo |= names(self.assignments[name])
        return [n for n in self.assignments if n in seen]


# ---------------------------------------------------------------- affine forms
Affine = dict[str, Fraction]  # symbol -> coefficient; "" -> the constant term


def _fraction(value: float | int) -> Fraction:
    # decimal literals as the paper wrote them (0.1 is 1/10, not its binary value)
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def affine(node: ast.expr) -> Affine | None:
    """``node`` as Σ coefficient·symbol + constant with rational coefficients, or None."""
    if isinstance(node, ast.Constant):
        return {"": _fraction(node.value)}
    if isinstance(node, ast.Name):
        return {node.id: Fraction(1)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = affine(node.operand)
        sign = -1 if isinstance(node.op, ast.USub) else 1
        return None if inner is None else {k: sign * c for k, c in inner.items()}
    if isinstance(node, ast.BinOp):
        left, right = affine(node.left), affine(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add | ast.Sub):
            sign = 1 if isinstance(node.op, ast.Add) else -1
            out = dict(left)
            for k, c in right.items():
                out[k] = out.get(k, Fraction(0)) + sign * c
            return {k: c for k, c in out.items() if c != 0 or k == ""}
        if isinstance(node.op, ast.Mult):
            for a, b in ((left, right), (right, left)):
                if set(a) <= {""}:
                    return {k: a.get("", Fraction(0)) * c for k, c in b.items()}
            return None
        if isinstance(node.op, ast.Div) and set(right) <= {""} and right.get("", 0) != 0:
            return {k: c / right[""] for k, c in left.items()}
    return None


def _direction(form: Affine) -> tuple[tuple[tuple[str, Fraction], ...], Fraction] | None:
    """(the symbols' coefficients scaled so the first is 1, that first coefficient)."""
    symbols = sorted(k for k, c in form.items() if k and c != 0)
    if not symbols:
        return None
    lead = form[symbols[0]]
    return tuple((s, form[s] / lead) for s in symbols), lead


def _gcd(values: list[Fraction]) -> Fraction:
    num = 0
    den = 1
    for v in values:
        num = math.gcd(num, abs(v.numerator))
        den = den * v.denominator // math.gcd(den, v.denominator)
    return Fraction(num, den)


# ---------------------------------------------------------------- tree helpers
def _num(value: float) -> ast.Constant:
    return ast.Constant(value=float(value))


def _bin(left: ast.expr, op: ast.operator, right: ast.expr) -> ast.BinOp:
    return ast.BinOp(left=left, op=op, right=right)


def _mul(*factors: ast.expr) -> ast.expr:
    kept = [f for f in factors if not (isinstance(f, ast.Constant) and f.value == 1)]
    if not kept:
        return _num(1.0)
    out = kept[0]
    for f in kept[1:]:
        out = _bin(out, ast.Mult(), f)
    return out


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name), args=list(args), keywords=[])


def _key(node: ast.AST) -> str:
    return ast.dump(node)


def _map_children(node: ast.expr, fn: Callable[[ast.expr], ast.expr]) -> ast.expr:
    """``node`` with ``fn`` applied to each child expression (in place)."""
    for name, value in ast.iter_fields(node):
        if isinstance(value, ast.expr):
            setattr(node, name, fn(value))
        elif isinstance(value, list):
            setattr(node, name, [fn(v) if isinstance(v, ast.expr) else v for v in value])
    return node


def _substitute(node: ast.expr, replace: dict[int, ast.expr]) -> ast.expr:
    """``node`` with the subtrees whose id is in ``replace`` swapped (in place)."""
    if id(node) in replace:
        node = replace[id(node)]
    return _map_children(node, lambda child: _substitute(child, replace))


def _is_exp(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and node.func.id == "exp"


def _is_one(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def _singular(node: ast.expr) -> tuple[Affine, Fraction] | None:
    """(y, c') when ``node`` is c'·B(y) = c'·y/(e^y − 1) written as a 0/0 ratio."""
    if isinstance(node, ast.Call) and node.func.id == "vtrap":
        x, k = affine(node.args[0]), affine(node.args[1])
        if x is None or k is None or set(k) != {""} or k[""] == 0:
            return None
        # vtrap(x, k) = x/(1 − e^(−x/k)) = k·B(−x/k)
        return {s: -c / k[""] for s, c in x.items()}, k[""]
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return None
    den = node.right
    if not (isinstance(den, ast.BinOp) and isinstance(den.op, ast.Sub)):
        return None
    if _is_one(den.left) and _is_exp(den.right):
        exp, sign = den.right, -1  # 1 − e^y
    elif _is_exp(den.left) and _is_one(den.right):
        exp, sign = den.left, 1  # e^y − 1
    else:
        return None
    y, n = affine(exp.args[0]), affine(node.left)
    if y is None or n is None or _direction(y) is None:
        return None
    # the numerator must be c·y: the same form up to one constant factor
    ratio = None
    for k in set(y) | set(n):
        a, b = y.get(k, Fraction(0)), n.get(k, Fraction(0))
        if a == 0 and b == 0:
            continue
        if a == 0:
            return None
        if ratio is None:
            ratio = b / a
        elif b / a != ratio:
            return None
    return (y, sign * ratio) if ratio else None


class _Builder:
    """Temporaries, hash-consed: the same expression gets the same name."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.by_key: dict[str, str] = {}

    def temp(self, expr: ast.expr) -> ast.Name:
        if isinstance(expr, ast.Name | ast.Constant):
            return expr
        key = _key(expr)
        name = self.by_key.get(key)
        if name is None:
            name = self.by_key[key] = f"{len(self.by_key)}t"
            self.program.assignments[name] = expr
        return ast.Name(id=name)


def _affine_expr(form: Affine) -> ast.expr:
    """Σ c·s + c0 as a tree: (s + c0/lead)·lead for one symbol, accurate near its zero."""
    direction = _direction(form)
    lead = direction[1]
    terms: ast.expr | None = None
    for s, c in direction[0]:
        term = ast.Name(id=s) if c == 1 else _mul(_num(float(c)), ast.Name(id=s))
        terms = term if terms is None else _bin(terms, ast.Add(), term)
    shift = form.get("", Fraction(0)) / lead
    if shift:
        terms = _bin(terms, ast.Add(), _num(float(shift)))
    return _mul(terms, _num(float(lead))) if lead != 1 else terms


@dataclass
class _Family:
    """Exponentials of one affine direction, as powers of one base."""

    members: list[tuple[Fraction, Fraction]]  # (rate, constant) of e^(rate·S + constant)
    direction: tuple[tuple[str, Fraction], ...] = ()
    rate: Fraction = Fraction(0)  # the base's rate q
    centre: Fraction = Fraction(0)  # c in w = e^(q(S + c))
    powers: dict[int, ast.expr] = field(default_factory=dict)


class _Optimiser:
    def __init__(self, program: Program, precision: str) -> None:
        self.program = program
        self.precision = precision
        self.build = _Builder(program)
        self.families: dict[tuple, _Family] = {}
        #: the removable singularities' y, per direction
        self.singular: dict[tuple, list[Affine]] = {}
        #: each y's singularities that share one series (:meth:`plan`)
        self.sharing: dict[tuple, list[Affine]] = {}

    # -- pass 1 and 2: find the exponentials, then rewrite them
    def collect(self, node: ast.AST) -> None:
        singular = _singular(node) if isinstance(node, ast.expr) else None
        if singular is not None:
            self._member(singular[0])
            forms = self.singular.setdefault(_direction(singular[0])[0], [])
            if singular[0] not in forms:
                forms.append(singular[0])
            if isinstance(node, ast.BinOp):  # its numerator is y, nothing else to find
                return
        if _is_exp(node):
            form = affine(node.args[0])
            if form is not None and _direction(form) is not None:
                self._member(form)
        for child in ast.iter_child_nodes(node):
            self.collect(child)

    def _member(self, form: Affine) -> None:
        direction, lead = _direction(form)
        family = self.families.setdefault(direction, _Family([], direction))
        member = (lead, form.get("", Fraction(0)))
        if member not in family.members:
            family.members.append(member)

    def plan(self) -> None:
        for family in self.families.values():
            rates = [r for r, _ in family.members]
            negative = sum(r < 0 for r in rates) >= sum(r > 0 for r in rates)
            q = _gcd(rates) * (-1 if negative else 1)
            if len(rates) < 2 or max(abs(r / q) for r in rates) > MAX_POWER:
                continue  # each computes its own exponential
            family.rate = q
            rate, constant = max(family.members, key=lambda m: abs(m[0]))
            family.centre = constant / rate
        for forms in self.singular.values():
            self._share(forms)

    def _share(self, forms: list[Affine]) -> None:
        """Group the singularities of one direction whose series windows are disjoint
        (apart by 1 % more than their half-widths, far more than rounding moves them):
        at most one of a group is near its 0/0 at a time, so one series of the y that
        is near serves them all."""
        near = NEAR[self.precision]
        groups: list[list[tuple[Affine, Fraction, Fraction]]] = []
        for form in forms:
            lead = _direction(form)[1]
            window = (form.get("", Fraction(0)) / lead, near / abs(lead))  # |S + c| < w
            for group in groups:
                if all(abs(window[0] - c) > 1.01 * (window[1] + w) for _, c, w in group):
                    group.append((form, *window))
                    break
            else:
                groups.append([(form, *window)])
        for group in groups:
            if len(group) > 1:
                for form, _, _ in group:
                    self.sharing[_form_key(form)] = [f for f, _, _ in group]

    def exponential(self, form: Affine) -> tuple[ast.expr, int]:
        """(E, s): E = e^(s·y) for y = ``form``, s = ±1 (s = −1 when only the base's
        negative powers give e^y: then e^(−y) costs no division)."""
        direction, lead = _direction(form)
        family = self.families[direction]
        constant = form.get("", Fraction(0))
        if not family.rate:
            return self.build.temp(_call("exp", _affine_expr(form))), 1
        n = int(lead / family.rate)
        if not family.powers:
            base = {s: c * family.rate for s, c in family.direction}
            base[""] = family.centre * family.rate
            family.powers[1] = self.build.temp(_call("exp", _affine_expr(base)))
        factor = math.exp(float(constant - lead * family.centre))
        power = self._power(family, abs(n))
        sign = 1 if n > 0 else -1
        return self.build.temp(_mul(power, _num(factor**sign))), sign

    def _power(self, family: _Family, n: int) -> ast.expr:
        powers, k = family.powers, 1
        while 2 * k <= n:
            if 2 * k not in powers:
                powers[2 * k] = self.build.temp(_mul(powers[k], powers[k]))
            k *= 2
        factors = [powers[1 << b] for b in range(n.bit_length() - 1, -1, -1) if n >> b & 1]
        return self.build.temp(_mul(*factors)) if len(factors) > 1 else factors[0]

    def rewrite(self, node: ast.expr) -> ast.expr:
        singular = _singular(node)
        if singular is not None:
            return self._ratio(*singular)
        if _is_exp(node):
            form = affine(node.args[0])
            if form is not None and _direction(form) is not None:
                e, sign = self.exponential(form)
                return e if sign > 0 else _bin(_num(1.0), ast.Div(), e)
        node = copy.copy(node)
        for name, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, name, self.rewrite(value))
            elif isinstance(value, list):
                setattr(node, name, [self.rewrite(v) if isinstance(v, ast.expr) else v
                                     for v in value])  # fmt: skip
        return node

    def _ratio(self, form: Affine, c: Fraction) -> ast.expr:
        """c·B(y) = c·y/(e^y − 1) as num/den, den = 1 near y = 0 where num is the series."""
        y, near = self._near(form)
        e, sign = self.exponential(form)
        shared = self.sharing.get(_form_key(form))
        if shared is None:
            series = self._series(y)
        else:  # one series for the group, of the y that is near (if any is)
            chosen = self._near(shared[-1])[0]
            for other in reversed(shared[:-1]):
                other_y, other_near = self._near(other)
                chosen = self.build.temp(_call("where", other_near, other_y, chosen))
            series = self.build.temp(self._series(chosen))
        one = _num(1.0)
        if sign > 0:  # y/(e^y − 1)
            far_num, far_den = y, _bin(e, ast.Sub(), one)
        else:  # y·e^(−y)/(1 − e^(−y)), no reciprocal of e
            far_num, far_den = _mul(y, e), _bin(one, ast.Sub(), e)
        num = _call("where", near, series, far_num)
        den = self.build.temp(_call("where", near, one, far_den))
        return _bin(_mul(_num(float(c)), num), ast.Div(), den)

    def _near(self, form: Affine) -> tuple[ast.Name, ast.Name]:
        """y and whether |y| is below :data:`NEAR` (temporaries)."""
        y = self.build.temp(_affine_expr(form))
        near = self.build.temp(
            ast.Compare(
                left=_call("abs", y), ops=[ast.Lt()], comparators=[_num(NEAR[self.precision])]
            )
        )
        return y, near

    def _series(self, y: ast.expr) -> ast.expr:
        """B(y) = 1 − y/2 + y²(1/12 + y²(−1/720 + y²/30240)): in y², three multiply-adds."""
        y2 = self.build.temp(_mul(y, y))
        even: ast.expr = _num(SERIES[6])
        for coefficient in (SERIES[4], SERIES[2]):
            even = _bin(_mul(even, y2), ast.Add(), _num(coefficient))
        odd = _bin(_mul(y, _num(SERIES[1])), ast.Add(), _num(SERIES[0]))
        return _bin(odd, ast.Add(), _mul(even, y2))


def _form_key(form: Affine) -> tuple:
    return tuple(sorted(form.items()))


# ---------------------------------------------------------------- pass 0
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
    return _bin(_num(1.0), ast.Div(), copy.deepcopy(node))


def _once(node: ast.expr, fixed: set[str], found: dict[str, ast.expr]) -> None:
    """Collect (by :func:`_key`) the parameter-only subtrees of ``node`` worth
    computing once: the largest ones, and the reciprocals of parameter-only divisors."""
    if _fixed(node, fixed) and _worth(node):
        found.setdefault(_key(node), copy.deepcopy(node))
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _fixed(node.right, fixed):
        found.setdefault(_key(_reciprocal(node.right)), _reciprocal(node.right))
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


def _read_once(node: ast.expr, once: dict[str, str]) -> ast.expr:
    """``node`` reading the values ``once`` (key -> name) holds instead of computing
    them: a subtree becomes its name, ``x/d`` becomes ``x·(1/d)``."""
    name = once.get(_key(node))
    if name is not None:
        return ast.Name(id=name)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        name = once.get(_key(_reciprocal(node.right)))
        if name is not None:
            return _bin(_read_once(node.left, once), ast.Mult(), ast.Name(id=name))
    return _map_children(copy.copy(node), lambda child: _read_once(child, once))


# ---------------------------------------------------------------- pass 3
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


def _one_reciprocal(program: Program, build: _Builder) -> None:
    exprs = [*program.assignments.values(), *program.derivatives.values()]
    found: list[ast.BinOp] = []
    for expr in exprs:
        _divisions(expr, found)
    found = [d for d in found if not _constant(d.right) and not _has_division(d.right, program)]
    dens: dict[str, ast.expr] = {}
    for d in found:
        dens.setdefault(_key(d.right), d.right)
    if len(found) < 2:
        return
    keys = list(dens)
    factors = [build.temp(dens[k]) for k in keys]
    prefix = [_num(1.0)]
    for f in factors[:-1]:
        prefix.append(build.temp(_mul(prefix[-1], f)))
    suffix = [_num(1.0)]
    for f in reversed(factors[1:]):
        suffix.append(build.temp(_mul(f, suffix[-1])))
    suffix.reverse()
    inverse = build.temp(_bin(_num(1.0), ast.Div(), _mul(prefix[-1], factors[-1])))
    reciprocal = {k: build.temp(_mul(prefix[j], suffix[j], inverse)) for j, k in enumerate(keys)}
    replace = {id(d): _mul(d.left, reciprocal[_key(d.right)]) for d in found}
    for name in list(program.assignments):
        program.assignments[name] = _substitute(program.assignments[name], replace)
    for state in program.derivatives:
        program.derivatives[state] = _substitute(program.derivatives[state], replace)


# ---------------------------------------------------------------- pass 4
def _subtrees(node: ast.AST, counts: dict[str, list[ast.expr]]) -> None:
    if isinstance(node, ast.Compare) or (isinstance(node, ast.Call) and node.func.id == "floor"):
        return  # a comparison's time is its left limit: leave it where it is
    if isinstance(node, ast.expr) and not isinstance(node, ast.Name | ast.Constant):
        if not (
            isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Name | ast.Constant)
        ):
            counts.setdefault(_key(node), []).append(node)
    for child in ast.iter_child_nodes(node):
        _subtrees(child, counts)


def _size(node: ast.AST) -> int:
    return sum(1 for _ in ast.walk(node))


def _common(program: Program, build: _Builder) -> None:
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
                program.assignments[n] = _substitute(program.assignments[n], replace)
        for state in program.derivatives:
            program.derivatives[state] = _substitute(program.derivatives[state], replace)


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
    keys = {_key(expr): name for name, expr in (once or {}).items()}
    program = Program(
        {
            n: _read_once(copy.deepcopy(e), keys)
            for n, e in equations.assignments.items()
            if n not in hoisted
        },
        {s: _read_once(copy.deepcopy(e), keys) for s, e in equations.derivatives.items()},
    )
    declared = list(program.assignments)
    opt = _Optimiser(program, precision)
    for expr in [*program.assignments.values(), *program.derivatives.values()]:
        opt.collect(expr)
    opt.plan()
    for name in declared:
        program.assignments[name] = opt.rewrite(program.assignments[name])
    for state in program.derivatives:
        program.derivatives[state] = opt.rewrite(program.derivatives[state])
    _one_reciprocal(program, opt.build)
    _common(program, opt.build)
    return _ordered(program, declared)
