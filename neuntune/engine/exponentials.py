"""Passes 1 and 2 of the equation optimiser (:mod:`~neuntune.engine.optimise`):
removable singularities c·y/(e^y − 1) become a series near y = 0 (within
:data:`NEAR`), and exponentials of one affine form share one base's powers (up to
:data:`MAX_POWER`)."""

from __future__ import annotations

import ast
import copy
import math
from dataclasses import dataclass, field
from fractions import Fraction

from .affine import (
    Affine,
    affine,
    affine_expr,
    direction_of,
    form_key,
    rational_gcd,
    removable_singularity,
)
from .program import Builder, Program
from .trees import binop, call_node, constant_node, is_exp, product

#: Largest power of a shared exponential's base (its rounding grows with it).
MAX_POWER = 128
#: |y| below which B(y) is its series (to y⁶): there the series' remainder y⁸/1209600
#: and the direct form's cancellation (≈ ulp·n/|y|, n the exponential's power) balance.
NEAR = {"float64": 0.05, "float32": 0.5}
#: Taylor coefficients of B(y) = y/(e^y − 1) (Bernoulli numbers B_k/k!), to y⁶.
SERIES = (1.0, -0.5, 1 / 12, 0.0, -1 / 720, 0.0, 1 / 30240)


@dataclass
class _Family:
    """Exponentials of one affine direction, as powers of one base."""

    members: list[tuple[Fraction, Fraction]]  # (rate, constant) of e^(rate·S + constant)
    direction: tuple[tuple[str, Fraction], ...] = ()
    rate: Fraction = Fraction(0)  # the base's rate q
    centre: Fraction = Fraction(0)  # c in w = e^(q(S + c))
    powers: dict[int, ast.expr] = field(default_factory=dict)


class ExponentialRewriter:
    def __init__(self, program: Program, precision: str) -> None:
        self.program = program
        self.precision = precision
        self.build = Builder(program)
        self.families: dict[tuple, _Family] = {}
        #: the removable singularities' y, per direction
        self.singular: dict[tuple, list[Affine]] = {}
        #: each y's singularities that share one series (:meth:`plan`)
        self.sharing: dict[tuple, list[Affine]] = {}

    # -- pass 1 and 2: find the exponentials, then rewrite them
    def collect(self, node: ast.AST) -> None:
        singular = removable_singularity(node) if isinstance(node, ast.expr) else None
        if singular is not None:
            self._member(singular[0])
            forms = self.singular.setdefault(direction_of(singular[0])[0], [])
            if singular[0] not in forms:
                forms.append(singular[0])
            if isinstance(node, ast.BinOp):  # its numerator is y, nothing else to find
                return
        if is_exp(node):
            form = affine(node.args[0])
            if form is not None and direction_of(form) is not None:
                self._member(form)
        for child in ast.iter_child_nodes(node):
            self.collect(child)

    def _member(self, form: Affine) -> None:
        direction, lead = direction_of(form)
        family = self.families.setdefault(direction, _Family([], direction))
        member = (lead, form.get("", Fraction(0)))
        if member not in family.members:
            family.members.append(member)

    def plan(self) -> None:
        for family in self.families.values():
            rates = [r for r, _ in family.members]
            negative = sum(r < 0 for r in rates) >= sum(r > 0 for r in rates)
            q = rational_gcd(rates) * (-1 if negative else 1)
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
            lead = direction_of(form)[1]
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
                    self.sharing[form_key(form)] = [f for f, _, _ in group]

    def exponential(self, form: Affine) -> tuple[ast.expr, int]:
        """(E, s): E = e^(s·y) for y = ``form``, s = ±1 (s = −1 when only the base's
        negative powers give e^y: then e^(−y) costs no division)."""
        direction, lead = direction_of(form)
        family = self.families[direction]
        constant = form.get("", Fraction(0))
        if not family.rate:
            return self.build.temp(call_node("exp", affine_expr(form))), 1
        n = int(lead / family.rate)
        if not family.powers:
            base = {s: c * family.rate for s, c in family.direction}
            base[""] = family.centre * family.rate
            family.powers[1] = self.build.temp(call_node("exp", affine_expr(base)))
        factor = math.exp(float(constant - lead * family.centre))
        power = self._power(family, abs(n))
        sign = 1 if n > 0 else -1
        return self.build.temp(product(power, constant_node(factor**sign))), sign

    def _power(self, family: _Family, n: int) -> ast.expr:
        powers, k = family.powers, 1
        while 2 * k <= n:
            if 2 * k not in powers:
                powers[2 * k] = self.build.temp(product(powers[k], powers[k]))
            k *= 2
        factors = [powers[1 << b] for b in range(n.bit_length() - 1, -1, -1) if n >> b & 1]
        return self.build.temp(product(*factors)) if len(factors) > 1 else factors[0]

    def rewrite(self, node: ast.expr) -> ast.expr:
        singular = removable_singularity(node)
        if singular is not None:
            return self._ratio(*singular)
        if is_exp(node):
            form = affine(node.args[0])
            if form is not None and direction_of(form) is not None:
                e, sign = self.exponential(form)
                return e if sign > 0 else binop(constant_node(1.0), ast.Div(), e)
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
        shared = self.sharing.get(form_key(form))
        if shared is None:
            series = self._series(y)
        else:  # one series for the group, of the y that is near (if any is)
            chosen = self._near(shared[-1])[0]
            for other in reversed(shared[:-1]):
                other_y, other_near = self._near(other)
                chosen = self.build.temp(call_node("where", other_near, other_y, chosen))
            series = self.build.temp(self._series(chosen))
        one = constant_node(1.0)
        if sign > 0:  # y/(e^y − 1)
            far_num, far_den = y, binop(e, ast.Sub(), one)
        else:  # y·e^(−y)/(1 − e^(−y)), no reciprocal of e
            far_num, far_den = product(y, e), binop(one, ast.Sub(), e)
        num = call_node("where", near, series, far_num)
        den = self.build.temp(call_node("where", near, one, far_den))
        return binop(product(constant_node(float(c)), num), ast.Div(), den)

    def _near(self, form: Affine) -> tuple[ast.Name, ast.Name]:
        """y and whether |y| is below :data:`NEAR` (temporaries)."""
        y = self.build.temp(affine_expr(form))
        near = self.build.temp(
            ast.Compare(
                left=call_node("abs", y),
                ops=[ast.Lt()],
                comparators=[constant_node(NEAR[self.precision])],
            )
        )
        return y, near

    def _series(self, y: ast.expr) -> ast.expr:
        """B(y) = 1 − y/2 + y²(1/12 + y²(−1/720 + y²/30240)): in y², three multiply-adds."""
        y2 = self.build.temp(product(y, y))
        even: ast.expr = constant_node(SERIES[6])
        for coefficient in (SERIES[4], SERIES[2]):
            even = binop(product(even, y2), ast.Add(), constant_node(coefficient))
        odd = binop(product(y, constant_node(SERIES[1])), ast.Add(), constant_node(SERIES[0]))
        return binop(odd, ast.Add(), product(even, y2))
