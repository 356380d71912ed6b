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
#: |y| below which B(y) is a polynomial (:data:`SERIES`), where the direct form's
#: cancellation (≈ 50 ulp/|y| for the powers up to :data:`MAX_POWER`) grows large.  In
#: float64 the polynomial's error at the edge is about the direct form's; in float32
#: it is below rounding.
NEAR = {"float64": 0.07, "float32": 0.5}
#: The narrowest a singularity's window may become so that it overlaps no other of its
#: direction (:meth:`ExponentialRewriter.plan`), letting one polynomial serve them all:
#: at |y| = 0.2 the direct form's error is about twice that at 0.5 (RTM's αm: 553
#: float32 ulp, not 276).  float64's windows are where the two errors meet: not narrowed.
NARROWEST = {"float64": 0.07, "float32": 0.2}
#: Two windows count as disjoint when their centres are this many times their
#: half-widths' sum apart (far more than rounding moves them); narrowed ones are made
#: :data:`APART_NARROWED` apart, a margin over that.
APART = Fraction(101, 100)
APART_NARROWED = Fraction(102, 100)
#: B(y) = y/(e^y − 1) ≈ 1 − y/2 + y²(a + b·y²) for |y| < NEAR: B + y/2 − 1 is even, and
#: (a, b) fit it with the least largest relative error on the window (a linear
#: programme on 1001 points, exact B in 40 digits), not the Taylor coefficients 1/12
#: and −1/720: float64 1.5e-13 (Taylor: 4.0e-12), float32 2.4e-8 (Taylor: 6.7e-7).
#: float32 keeps the y⁴ term: a trajectory crosses HH's ±5 mV windows at every spike,
#: and a fit to y² only (error 1.8e-5, the same bias across the window) doubled float32
#: HH's distance from float64 over 30 ms (0.025 mV, not 0.012).
SERIES = {
    "float64": (0.08333333298957787, -0.0013886628835185592),
    "float32": (0.08333241761277763, -0.001377299993727999),
}


@dataclass
class _Family:
    """Exponentials of one affine direction, as powers of one base."""

    members: list[tuple[Fraction, Fraction]]  # (rate, constant) of e^(rate·S + constant)
    direction: tuple[tuple[str, Fraction], ...] = ()
    rate: Fraction = Fraction(0)  # the base's rate q
    centre: Fraction = Fraction(0)  # c in w = e^(q(S + c))
    powers: dict[int, ast.expr] = field(default_factory=dict)
    chain: dict[int, tuple[int, int]] = field(default_factory=dict)  # n = a + b


#: Nodes an addition-chain search may visit before the binary method is used instead.
CHAIN_BUDGET = 5_000


def addition_chain(targets: set[int]) -> dict[int, tuple[int, int]]:
    """A short addition chain through ``targets``: {n: (a, b)}, n = a + b, each a and b
    1 or in the chain.  The shortest ascending one (iterative deepening, found in well
    under a millisecond for a model's few powers), or the binary method's (squarings,
    then a product of them for each target) when the search exceeds
    :data:`CHAIN_BUDGET` nodes: e.g. {9, 36, 40, 72} in 8 products, not 10."""
    wanted, top = sorted(targets), max(targets)
    nodes = 0

    def search(chain: list[int], left: int) -> list[int] | None:
        nonlocal nodes
        nodes += 1
        last = chain[-1]
        if any(t <= last and t not in chain for t in wanted):
            return None  # the chain ascends: a target passed by is never reached
        missing = [t for t in wanted if t > last]
        if not missing:
            return chain
        if len(missing) > left or last << left < top or nodes > CHAIN_BUDGET:
            return None
        sums = {a + b for i, a in enumerate(chain) for b in chain[i:] if last < a + b <= top}
        for c in sorted(sums, reverse=True):
            found = search([*chain, c], left - 1)
            if found is not None:
                return found
        return None

    binary = {1 << k for k in range(top.bit_length())}
    steps = len(binary) - 1 + sum(bin(t).count("1") - 1 for t in wanted)
    for length in range(1, steps):
        chain = search([1], length)
        if chain is not None:
            return {c: next((a, c - a) for a in chain if c - a in chain) for c in chain[1:]}
        if nodes > CHAIN_BUDGET:
            break
    out = {1 << k: (1 << (k - 1), 1 << (k - 1)) for k in range(1, top.bit_length())}
    for t in wanted:
        bits = [1 << b for b in range(t.bit_length() - 1, -1, -1) if t >> b & 1]
        total = bits[0]
        for bit in bits[1:]:
            out[total + bit] = (total, bit)
            total += bit
    return out


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
        #: each y's window |y| < near, when narrower than NEAR (:meth:`plan`)
        self.near: dict[tuple, float] = {}
        #: per direction, the first y computed (its form and temporary)
        self.ys: dict[tuple, tuple[Affine, ast.Name]] = {}

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
            family.chain = addition_chain({int(abs(r / q)) for r in rates})
        for forms in self.singular.values():
            self._share(forms)

    def _windows(self, forms: list[Affine]) -> list[tuple[Affine, Fraction, Fraction]]:
        """Each singularity's window |S + c| < w as (y, c, w).  Two that overlap would
        each need a polynomial (both may be near at once): both are narrowed, by the
        factor that leaves them 2 % apart, unless that takes |y| below
        :data:`NARROWEST` (recorded in :attr:`near`)."""
        near = NEAR[self.precision]
        windows = []
        for form in forms:
            lead = direction_of(form)[1]
            windows.append((form, form.get("", Fraction(0)) / lead, Fraction(near) / abs(lead)))
        scale = [Fraction(1)] * len(windows)
        floor = Fraction(NARROWEST[self.precision]) / Fraction(near)
        for i, (_, c1, w1) in enumerate(windows):
            for j, (_, c2, w2) in enumerate(windows[:i]):
                needed = abs(c1 - c2) / (APART_NARROWED * (w1 + w2))
                if abs(c1 - c2) <= APART * (w1 + w2) and needed >= floor:
                    scale[i], scale[j] = min(scale[i], needed), min(scale[j], needed)
        out = []
        for (form, c, w), s in zip(windows, scale, strict=True):
            if s < 1:
                self.near[form_key(form)] = float(near * s)
            out.append((form, c, w * s))
        return out

    def _share(self, forms: list[Affine]) -> None:
        """Group the singularities of one direction whose series windows are disjoint
        (apart by 1 % more than their half-widths, far more than rounding moves them):
        at most one of a group is near its 0/0 at a time, so one series of the y that
        is near serves them all."""
        groups: list[list[tuple[Affine, Fraction, Fraction]]] = []
        for form, *window in self._windows(forms):
            for group in groups:
                if all(abs(window[0] - c) > APART * (window[1] + w) for _, c, w in group):
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
        sign = 1 if n > 0 else -1
        # e^(s·y) = K·w^|n|, K = e^(s·(constant − lead·centre)) from the exact exponent,
        # so e^(±y) of one y have the same K (not e^x and 1/e^x, which may differ)
        factor = math.exp(float(sign * (constant - lead * family.centre)))
        power = self._power(family, abs(n))
        return self.build.temp(product(power, constant_node(factor))), sign

    def _power(self, family: _Family, n: int) -> ast.expr:
        """w^n, by the family's addition chain."""
        if n not in family.powers:
            a, b = family.chain[n]
            family.powers[n] = self.build.temp(
                product(self._power(family, a), self._power(family, b))
            )
        return family.powers[n]

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
        """y and whether |y| is below its window's edge (temporaries)."""
        y = self._y(form)
        edge = self.near.get(form_key(form), NEAR[self.precision])
        near = self.build.temp(
            ast.Compare(left=call_node("abs", y), ops=[ast.Lt()], comparators=[constant_node(edge)])
        )
        return y, near

    def _y(self, form: Affine) -> ast.Name:
        """y = ``form``, from the first y of its direction when there is one: r·y0 + c
        (r the ratio of their rates), one addition when r = ±1, one multiply-add else.
        Its absolute error (≈ ulp of c) is what the series needs; beyond the series'
        window it is far below the direct form's cancellation error."""
        direction, lead = direction_of(form)
        if direction not in self.ys:
            self.ys[direction] = (form, self.build.temp(affine_expr(form)))
            return self.ys[direction][1]
        first, y0 = self.ys[direction]
        ratio = lead / direction_of(first)[1]
        c = constant_node(float(form.get("", Fraction(0)) - ratio * first.get("", Fraction(0))))
        if ratio == -1:
            return self.build.temp(binop(c, ast.Sub(), y0))
        scaled = y0 if ratio == 1 else product(y0, constant_node(float(ratio)))
        return self.build.temp(binop(scaled, ast.Add(), c) if c.value else scaled)

    def _series(self, y: ast.expr) -> ast.expr:
        """B(y) ≈ 1 − y/2 + y²(a + b·y²) (:data:`SERIES`): y² and three multiply-adds."""
        coefficients = SERIES[self.precision]
        one, half = constant_node(1.0), constant_node(-0.5)
        y2 = self.build.temp(product(y, y))
        even: ast.expr = constant_node(coefficients[-1])
        for coefficient in reversed(coefficients[:-1]):
            even = binop(product(even, y2), ast.Add(), constant_node(coefficient))
        odd = binop(product(y, half), ast.Add(), one)
        return binop(odd, ast.Add(), product(even, y2))
