"""Affine forms for the equation optimiser: an expression as Σ coefficient·symbol +
constant with exact rational coefficients, its direction (the coefficients scaled so
the first is 1), and the removable singularity c·y/(e^y − 1) recognised in a tree."""

from __future__ import annotations

import ast
import math
from fractions import Fraction

from .trees import binop, constant_node, is_exp, is_one, product

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


def direction_of(form: Affine) -> tuple[tuple[tuple[str, Fraction], ...], Fraction] | None:
    """(the symbols' coefficients scaled so the first is 1, that first coefficient)."""
    symbols = sorted(k for k, c in form.items() if k and c != 0)
    if not symbols:
        return None
    lead = form[symbols[0]]
    return tuple((s, form[s] / lead) for s in symbols), lead


def rational_gcd(values: list[Fraction]) -> Fraction:
    num = 0
    den = 1
    for v in values:
        num = math.gcd(num, abs(v.numerator))
        den = den * v.denominator // math.gcd(den, v.denominator)
    return Fraction(num, den)


def removable_singularity(node: ast.expr) -> tuple[Affine, Fraction] | None:
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
    if is_one(den.left) and is_exp(den.right):
        exp, sign = den.right, -1  # 1 − e^y
    elif is_exp(den.left) and is_one(den.right):
        exp, sign = den.left, 1  # e^y − 1
    else:
        return None
    y, n = affine(exp.args[0]), affine(node.left)
    if y is None or n is None or direction_of(y) is None:
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


def affine_expr(form: Affine) -> ast.expr:
    """Σ c·s + c0 as a tree: (Σ (c/lead)·s)·lead + c0, one multiply-add for one symbol.
    Near its zero its absolute error is ≈ |lead·s|·ulp, which is what a series
    needs and, beyond the series' window, far below the direct form's cancellation."""
    direction = direction_of(form)
    lead = direction[1]
    terms: ast.expr | None = None
    for s, c in direction[0]:
        term = ast.Name(id=s) if c == 1 else product(constant_node(float(c)), ast.Name(id=s))
        terms = term if terms is None else binop(terms, ast.Add(), term)
    constant = form.get("", Fraction(0))
    if lead == 1:
        return binop(terms, ast.Add(), constant_node(float(constant))) if constant else terms
    scaled = product(terms, constant_node(float(lead)))
    return binop(scaled, ast.Add(), constant_node(float(constant))) if constant else scaled


def form_key(form: Affine) -> tuple:
    return tuple(sorted(form.items()))
