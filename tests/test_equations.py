"""The equation language: parsing, checking, linearity and derivatives."""

import ast

import pytest

from neuntune.models.equations import (
    CONST,
    LINEAR,
    NONLINEAR,
    EquationError,
    derivative,
    linearity,
    parse_equations,
    parse_statements,
)


def test_parses_intermediates_derivatives_and_continuations():
    eqs = parse_equations(
        """
        a = 2*x   # comment
        da_ok = where(x > 1 and
                      x < 3, 1, 0)
        dx/dt = -a*x
        """
    )
    assert list(eqs.assignments) == ["a", "da_ok"]
    assert list(eqs.derivatives) == ["x"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("y = __import__('os')", "unknown function"),
        ("y = x.real", "Attribute"),
        ("y = [1, 2]", "List"),
        ("y = 'text'", "only numbers"),
        ("y = x @ x", "MatMult"),
        ("y = 2*(x > 1)", "is a condition"),
        ("y = where(x, 1, 0)", "is a number"),
        ("y = exp(1, 2)", "takes 1"),
        ("dx/dt = 1\ndx/dt = 2", "defined twice"),
        ("f(x) = 1", "cannot assign"),
        ("y = (", "cannot parse"),
    ],
)
def test_rejects_what_it_cannot_compile(text, message):
    with pytest.raises(EquationError, match=message):
        parse_equations(text)


def test_boolean_intermediates_are_conditions():
    eqs = parse_equations("near = abs(x) < 1\ny = where(near, 1, x)")
    assert eqs.booleans == {"near"}
    with pytest.raises(EquationError, match="is a condition"):
        parse_equations("near = abs(x) < 1\ny = 2*near")


def test_statements():
    stmts = parse_statements("s += w*release\nu = u*2\nR -= 1")
    assert [(s.target, s.op) for s in stmts] == [("s", "+"), ("u", "="), ("R", "-")]
    with pytest.raises(EquationError):
        parse_statements("s == 1")


def _expr(text):
    return ast.parse(text, mode="eval").body


@pytest.mark.parametrize(
    "text, kind",
    [
        ("a*(1 - m) - b*m", LINEAR),
        ("3*k", CONST),
        ("m*m", NONLINEAR),
        ("exp(m)", NONLINEAR),
        ("1/m", NONLINEAR),
        ("(m - 2)/k", LINEAR),
        ("m**1", LINEAR),
        ("m**2", NONLINEAR),
        ("q*m", NONLINEAR),  # q is an intermediate that depends on m
    ],
)
def test_linearity(text, kind):
    assert linearity(_expr(text), "m", {"q": _expr("m + 1")}) == kind


def test_derivative_of_linear_forms_matches_finite_differences():
    assignments = {"g": _expr("2*k + 1"), "i": _expr("g*(m - 3)")}
    expr = _expr("(i - k*m)/4 + 7")
    slope = derivative(expr, "m", assignments)

    def evaluate(node, m, k=1.5):
        env = {"m": m, "k": k}
        env["g"] = eval(compile(ast.Expression(assignments["g"]), "", "eval"), {}, env)
        env["i"] = eval(compile(ast.Expression(assignments["i"]), "", "eval"), {}, env)
        return eval(compile(ast.fix_missing_locations(ast.Expression(node)), "", "eval"), {}, env)

    assert evaluate(slope, 0.3) == pytest.approx(evaluate(expr, 1.0) - evaluate(expr, 0.0))


def test_derivative_refuses_nonlinear():
    with pytest.raises(EquationError, match="not linear"):
        derivative(_expr("m*m"), "m", {})
