"""The equation optimiser (neuntune.engine.optimise): its program computes what the
declared equations do, to stated bounds, with the exponentials and divisions it saves."""

import ast

import numpy as np
import pytest

import neuntune as nt
from neuntune.engine.exponentials import NEAR, SERIES, addition_chain
from neuntune.engine.optimise import optimise
from neuntune.models.equations import parse_equations

#: Hodgkin–Huxley's rates as the paper writes them (ms⁻¹, v in mV).
TEXTBOOK_HH = """
    am = 0.1*(v + 40)/(1 - exp(-(v + 40)/10))
    bm = 4*exp(-(v + 65)/18)
    ah = 0.07*exp(-(v + 65)/20)
    bh = 1/(1 + exp(-(v + 35)/10))
    an = 0.01*(v + 55)/(1 - exp(-(v + 55)/10))
    bn = 0.125*exp(-(v + 65)/80)
    dm/dt = am*(1 - m) - bm*m
    dh/dt = ah*(1 - h) - bh*h
    dn/dt = an*(1 - n) - bn*n
    dv/dt = (I_in/area - 120*m**3*h*(v - 50) - 36*n**4*(v + 77) - 0.3*(v + 54.387))/cm
"""
RATES = ("am", "bm", "ah", "bh", "an", "bn")
#: The reduced Traub–Miles rates as Börgers writes them.
TEXTBOOK_RTM = """
    am = 0.32*(v + 54)/(1 - exp(-(v + 54)/4))
    bm = 0.28*(v + 27)/(exp((v + 27)/5) - 1)
    ah = 0.128*exp(-(v + 50)/18)
    bh = 4/(1 + exp(-(v + 27)/5))
    an = 0.032*(v + 52)/(1 - exp(-(v + 52)/5))
    bn = 0.5*exp(-(v + 57)/40)
    dm/dt = am*(1 - m) - bm*m
    dh/dt = ah*(1 - h) - bh*h
    dn/dt = an*(1 - n) - bn*n
"""


def evaluate(node: ast.expr, env: dict, dtype) -> np.ndarray:
    """``node`` with numpy in ``dtype`` (constants rounded to it, as the kernels do)."""
    r = lambda n: evaluate(n, env, dtype)  # noqa: E731
    if isinstance(node, ast.Constant):
        return dtype(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        return -r(node.operand)
    if isinstance(node, ast.BinOp):
        a, b = r(node.left), r(node.right)
        op = type(node.op)
        if op is ast.Pow:
            return a ** int(b)
        return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                ast.Div: np.divide}[op](a, b)  # fmt: skip
    if isinstance(node, ast.Compare):
        compare = {ast.Lt: np.less, ast.Gt: np.greater}[type(node.ops[0])]
        return compare(r(node.left), r(node.comparators[0]))
    fn, args = node.func.id, [r(a) for a in node.args]
    if fn == "where":
        return np.where(*args).astype(dtype)
    if fn == "vtrap":
        x, k = args
        return x / (dtype(1) - np.exp(-x / k))
    return {"exp": np.exp, "abs": np.abs}[fn](*args).astype(dtype)


def run(program, env: dict, dtype) -> dict:
    env = {"m": 0.5, "h": 0.5, "n": 0.5, "I_in": 0.1, "area": 1e-2, "cm": 1.0, **env}
    env = {k: np.asarray(x, dtype) for k, x in env.items()}
    with np.errstate(all="ignore"):
        for name, expr in program.assignments.items():
            env[name] = evaluate(expr, env, dtype)
        for state, expr in program.derivatives.items():
            env[f"d{state}"] = evaluate(expr, env, dtype)
    return env


def exact_rates(v: np.ndarray) -> dict:
    """The rates in long double, with y/(e^y − 1) through expm1 (no cancellation)."""
    v = v.astype(np.longdouble)

    def ratio(x, k):  # x/(1 − e^(−x/k)) = k·y/(e^y − 1), y = −x/k
        y = -x / k
        safe = np.where(y == 0, 1, y)
        return np.where(y == 0, k, k * safe / np.expm1(safe))

    return {
        "am": 0.1 * ratio(v + 40, 10),
        "bm": 4 * np.exp(-(v + 65) / 18),
        "ah": 0.07 * np.exp(-(v + 65) / 20),
        "bh": 1 / (1 + np.exp(-(v + 35) / 10)),
        "an": 0.01 * ratio(v + 55, 10),
        "bn": 0.125 * np.exp(-(v + 65) / 80),
    }


def ulps(value: np.ndarray, exact: np.ndarray, dtype) -> float:
    return float(np.max(np.abs(value - exact) / (np.abs(exact) * np.finfo(dtype).eps)))


def calls(program, name: str) -> int:
    exprs = [*program.assignments.values(), *program.derivatives.values()]
    return sum(isinstance(n, ast.Call) and n.func.id == name for e in exprs for n in ast.walk(e))


def divisions(program) -> int:
    exprs = [*program.assignments.values(), *program.derivatives.values()]
    return sum(
        isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Div)
        and not isinstance(n.right, ast.Constant)
        for e in exprs
        for n in ast.walk(e)
    )


@pytest.fixture(scope="module")
def hh():
    return parse_equations(TEXTBOOK_HH)


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_textbook_hh_costs_one_exponential_and_a_division_per_pair(hh, precision):
    """Six exponentials are one; five denominators (αm's, βh's, αn's, and /area and
    /cm, which no parameter-only pass removes here) take three divisions."""
    program = optimise(hh, set(), precision)
    assert calls(program, "exp") == 1
    assert divisions(program) == 3


def test_addition_chain_reaches_every_power_in_fewer_products():
    """HH's powers of w = e^(−(v+40)/720): 9, 36, 40, 72 in 8 products (squarings and
    a product per target: 10); each entry is the sum of two earlier ones."""
    chain = addition_chain({9, 36, 40, 72})
    assert {9, 36, 40, 72} <= set(chain) and len(chain) == 8
    assert all(n == a + b and {a, b} <= {1, *chain} for n, (a, b) in chain.items())
    wide = addition_chain({100, 113, 127})  # beyond the search's budget: binary method
    assert {100, 113, 127} <= set(wide)
    assert all(n == a + b and {a, b} <= {1, *wide} for n, (a, b) in wide.items())


def series(program, precision) -> int:
    """Evaluations of B(y)'s polynomial (each has one highest coefficient)."""
    top = SERIES[precision][-1]
    exprs = [*program.assignments.values(), *program.derivatives.values()]
    return sum(isinstance(n, ast.Constant) and n.value == top for e in exprs for n in ast.walk(e))


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("float64", 1), ("float32", 1), ("float64-rtm", 1), ("float32-rtm", 1)],
)
def test_singularities_never_near_together_share_one_series(hh, precision, expected):
    """αm's and αn's windows (v = −40 and −55 mV, ±10·NEAR) never overlap, so one
    polynomial of the y that is near serves both; RTM's αm (−54 mV, ±4·NEAR) and αn
    (−52 mV, ±5·NEAR) would overlap in float32's wider windows, so those two are
    narrowed until they do not, and all three share one (as in float64)."""
    if precision.endswith("-rtm"):
        precision = precision[: -len("-rtm")]
        eqs = parse_equations(TEXTBOOK_RTM)
    else:
        eqs = hh
    assert series(optimise(eqs, set(), precision), precision) == expected


#: Bounds in ulps of each rate (relative error / machine epsilon).  One exponential
#: serves six rates as powers of e^(−(v+40)/720) up to the 72nd, which multiplies the
#: base's rounding by up to 72; a ratio's e^y − 1 adds cancellation near its 0/0.
#: Measured: float64 ≤ 57 ulp (exponentials), ≤ 421 (ratios), ≤ 723 next to the
#: series; float32 ≤ 91, ≤ 226, ≤ 226.  (Each rate alone in numpy: ≤ 7 ulp.)
BOUNDS = {"float64": (100, 800, 1600), "float32": (150, 350, 350)}


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_shared_exponentials_match_the_exact_rates(hh, precision):
    dtype = np.dtype(precision).type
    v = np.linspace(-100.0, 60.0, 16001).astype(dtype)
    v = v[(np.abs(v + 40) > 1) & (np.abs(v + 55) > 1)]  # away from the 0/0s (tested below)
    got = run(optimise(hh, set(), precision), {"v": v}, dtype)
    exact = exact_rates(v)
    plain, ratio, _ = BOUNDS[precision]
    for rate in RATES:
        bound = ratio if rate in ("am", "an") else plain
        assert ulps(got[rate], exact[rate], dtype) < bound, rate


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize(("rate", "v0"), [("am", -40.0), ("an", -55.0)])
def test_removable_singularity_is_finite_and_continuous(hh, precision, rate, v0):
    """At the singular voltage and across the switch to the series (|y| = NEAR, i.e.
    v0 ± 10·NEAR mV) the rate is finite and within BOUNDS of its exact value (float64
    3.6e-13 relative, float32 2.1e-5), so it jumps by no more there; at v0 itself
    it is the series' 1, to 4 ulp."""
    dtype = np.dtype(precision).type
    width = 10 * NEAR[precision]
    v = (v0 + np.concatenate([np.linspace(-3 * width, 3 * width, 4001), [0.0]])).astype(dtype)
    got = run(optimise(hh, set(), precision), {"v": v}, dtype)[rate]
    exact = exact_rates(v)[rate]
    assert np.all(np.isfinite(got))
    assert ulps(got, exact, dtype) < BOUNDS[precision][2]
    at = got[-1]
    assert abs(at - exact[-1]) <= 4 * np.finfo(dtype).eps * abs(exact[-1])


def exact_rtm_rates(v: np.ndarray) -> dict:
    """RTM's three ratios in long double, through expm1."""
    v = v.astype(np.longdouble)

    def ratio(x, k):  # x/(1 − e^(−x/k))
        y = -x / k
        safe = np.where(y == 0, 1, y)
        return np.where(y == 0, k, k * safe / np.expm1(safe))

    return {"am": 0.32 * ratio(v + 54, 4), "bm": 0.28 * ratio(-(v + 27), 5),
            "an": 0.032 * ratio(v + 52, 5)}  # fmt: skip


#: Measured next to RTM's 0/0s: float64 ≤ 935 ulp; float32 ≤ 497 (αm), 347 (αn) and 187
#: (βm): αm's and αn's windows narrowed to |y| < 0.218 (at 0.5 they were ≤ 276 ulp).
RTM_BOUNDS = {"float64": 1600, "float32": 700}


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_narrowed_windows_keep_the_rates_accurate(precision):
    """RTM's αm and αn windows, narrowed so they no longer overlap (float32), switch
    between series and direct form with the rates within RTM_BOUNDS of exact on both
    sides; βm's window, which overlaps neither, keeps NEAR; at each singular voltage
    the rate is finite and its limit."""
    dtype = np.dtype(precision).type
    program = optimise(parse_equations(TEXTBOOK_RTM), set(), precision)
    edges = sorted(
        n.comparators[0].value
        for e in program.assignments.values()
        for n in ast.walk(e)
        if isinstance(n, ast.Compare)
    )
    if precision == "float32":
        assert edges[0] == edges[1] < 0.22 and edges[2] == NEAR[precision]
        assert 4 * edges[0] + 5 * edges[1] < 2 / 1.01  # the windows are 2 mV apart
    else:
        assert edges == [NEAR[precision]] * 3
    for rate, v0, k in [("am", -54.0, 4), ("bm", -27.0, 5), ("an", -52.0, 5)]:
        v = v0 + np.linspace(-3 * k * NEAR[precision], 3 * k * NEAR[precision], 6001)
        v = np.concatenate([v, [v0]]).astype(dtype)
        got = run(program, {"v": v}, dtype)[rate]
        exact = exact_rtm_rates(v)[rate]
        assert np.all(np.isfinite(got))
        assert ulps(got, exact, dtype) < RTM_BOUNDS[precision], rate
        assert abs(got[-1] - exact[-1]) <= 4 * np.finfo(dtype).eps * abs(exact[-1])


def test_common_subexpressions_become_one_temporary():
    eqs = parse_equations(
        """
        a = (x + 1)*(y - 2)
        b = 3*((x + 1)*(y - 2)) + exp(x*y)
        dz/dt = a - b + exp(x*y)
        """
    )
    program = optimise(eqs, set(), "float64")
    env = {"x": np.linspace(-2, 2, 41), "y": np.linspace(1, 3, 41), "z": 0.0}
    got = run(program, env, np.float64)
    x, y = env["x"], env["y"]
    a = (x + 1) * (y - 2)
    b = 3 * a + np.exp(x * y)
    np.testing.assert_allclose(got["dz"], a - b + np.exp(x * y), rtol=1e-15, atol=1e-13)
    assert calls(program, "exp") == 1  # exp(x*y) once
    products = [e for e in program.assignments.values() if ast.unparse(e) == "(x + 1) * (y - 2)"]
    assert len(products) == 1


def test_a_division_inside_a_where_branch_is_left_alone():
    eqs = parse_equations(
        """
        safe = where(x > 0, 1/x, 0)
        dz/dt = safe + 1/(1 + x*x) + 2/(3 + x*x)
        """
    )
    program = optimise(eqs, set(), "float64")
    x = np.array([0.0, 1.0, -2.0])
    got = run(program, {"x": x, "z": 0.0}, np.float64)
    with np.errstate(divide="ignore"):
        safe = np.where(x > 0, 1 / x, 0)
    np.testing.assert_allclose(got["dz"], safe + 1 / (1 + x * x) + 2 / (3 + x * x), rtol=1e-15)


def test_textbook_hh_runs_like_the_hand_derived_one():
    """A user's textbook HH and the built-in, on the Neun pair: same trajectories."""

    class UserHH(nt.Neuron):
        parameters = dict(nt.HH.parameters)
        states = dict(nt.HH.states)
        equations = (
            TEXTBOOK_HH.replace("120*", "gna*")
            .replace("36*", "gk*")
            .replace("0.3*(v + 54.387)", "gl*(v - el)")
            .replace("(v - 50)", "(v - ena)")
            .replace("(v + 77)", "(v - ek)")
        )

    from neuntune.bundled import hh_gap_pair

    builtin = hh_gap_pair()
    user = hh_gap_pair()
    for name, cell in builtin.neurons.items():
        user.neurons[name] = UserHH(**{k: v for k, v in cell.values.items() if v is not None})
    a = nt.simulate(builtin, 30.0, 0.01)
    b = nt.simulate(user, 30.0, 0.01)
    for cell in ("a", "b"):
        assert np.max(np.abs(a.v[cell] - b.v[cell])) < 1e-8
