"""Render parsed model expressions to numba source, and the helpers generated modules share.

Constants are typed by precision (``F(...)``, module-level names ``K0``, ``K1``…),
so a float32 kernel really computes in float32.  ``helpers_source`` gives the inline
functions every generated module defines: a vectorisable exponential, ``vtrap``,
crossing location, a counter-based normal generator and the exponential-Euler step.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import Callable
from fractions import Fraction

from ..models.equations import CONSTANTS

HELPERS = {
    "float64": dict(
        lo=-708.0,
        hi=709.0,
        magic=6755399441055744.0,  # 1.5 * 2**52: adding it rounds to an integer in the low bits
        bias=1023,
        mant=52,
        cast="float64_bits",
        uncast="bits_float64",
        degree=13,
        small=1e-3,
        rng_shift=11,  # keep 53 random bits: a float64's mantissa
        rng_scale=2.0**-53,
    ),
    "float32": dict(
        lo=-87.0,
        hi=88.0,
        magic=12582912.0,  # 1.5 * 2**23
        bias=127,
        mant=23,
        cast="float32_bits",
        uncast="bits_float32",
        degree=7,
        small=1e-2,
        rng_shift=40,  # keep 24 random bits: a float32's mantissa
        rng_scale=2.0**-24,
    ),
}


def _bits(value: float, precision: str) -> int:
    """The IEEE-754 bit pattern of ``value`` in ``precision``, as a Python int."""
    if precision == "float32":
        return struct.unpack("<i", struct.pack("<f", value))[0]
    return struct.unpack("<q", struct.pack("<d", value))[0]


class Renderer:
    """Render parsed expressions to numba source with precision-typed constants."""

    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.constants: dict[float, str] = {}
        self.random: tuple[str, int] | None = None  # (seed, stream) while rendering on_step
        self._draws = 0
        # time locals to replace inside comparisons and floor() (left limits), see step()
        self.condition_time: dict[str, str] = {}
        self._in_condition = False
        # id(declared expression) -> (it, the optimised expression rendered instead)
        self.rewrites: dict[int, tuple[ast.expr, ast.expr]] = {}

    def const(self, value: float | Fraction) -> str:
        value = float(value)
        if value not in self.constants:
            self.constants[value] = f"K{len(self.constants)}"
        return self.constants[value]

    def constant_lines(self) -> list[str]:
        return [
            f"{name} = F({value!r})".replace("inf", "np.inf")
            for value, name in self.constants.items()
        ]

    def rewrite(self, declared: ast.expr, optimised: ast.expr) -> None:
        """Render ``optimised`` wherever ``declared`` (that very node) is rendered."""
        self.rewrites[id(declared)] = (declared, optimised)

    def expr(self, node: ast.expr, name_of: Callable[[str], str]) -> str:
        r = lambda n: self.expr(n, name_of)  # noqa: E731
        swapped = self.rewrites.get(id(node))
        if swapped is not None and swapped[0] is node:
            node = swapped[1]
        discontinuous = isinstance(node, ast.Compare) or (
            isinstance(node, ast.Call) and node.func.id == "floor"
        )
        if discontinuous and not self._in_condition:
            self._in_condition = True
            try:
                return self.expr(node, name_of)
            finally:
                self._in_condition = False
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return self.const(CONSTANTS[node.id])
            name = name_of(node.id)
            return self.condition_time.get(name, name) if self._in_condition else name
        if isinstance(node, ast.Constant):
            return self.const(node.value)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return f"(-{r(node.operand)})"
            if isinstance(node.op, ast.Not):
                return f"(not {r(node.operand)})"
            return r(node.operand)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self._power(node, r)
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
            return f"({r(node.left)} {op} {r(node.right)})"
        if isinstance(node, ast.Compare):
            symbols = {
                ast.Lt: "<",
                ast.LtE: "<=",
                ast.Gt: ">",
                ast.GtE: ">=",
                ast.Eq: "==",
                ast.NotEq: "!=",
            }
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                parts.append(f"({r(left)} {symbols[type(op)]} {r(right)})")
                left = right
            return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
        if isinstance(node, ast.BoolOp):
            joiner = " & " if isinstance(node.op, ast.And) else " | "
            return "(" + joiner.join(r(v) for v in node.values) + ")"
        if isinstance(node, ast.IfExp):
            return f"({r(node.body)} if {r(node.test)} else {r(node.orelse)})"
        if isinstance(node, ast.Call):
            fn, args = node.func.id, [r(a) for a in node.args]
            if fn == "randn":
                seed, stream = self.random
                self._draws += 1
                return f"gauss({seed}, {stream}, step0 + it, {self._draws})"
            if fn == "where":
                return f"({args[1]} if {args[0]} else {args[2]})"
            mapped = {
                "exp": "fexp",
                "tanh": "ftanh",
                "vtrap": "vtrap",
                "log": "math.log",
                "sqrt": "math.sqrt",
                "sin": "math.sin",
                "cos": "math.cos",
                "abs": "abs",
                "floor": "np.floor",
                "min": "min",
                "max": "max",
            }[fn]
            return f"{mapped}({', '.join(args)})"
        raise TypeError(f"cannot render {ast.dump(node)}")

    def _power(self, node: ast.BinOp, r: Callable[[ast.expr], str]) -> str:
        exponent = node.right
        if (
            isinstance(exponent, ast.Constant)
            and float(exponent.value).is_integer()
            and 1 <= abs(exponent.value) <= 8
        ):
            n = int(abs(exponent.value))
            base = f"ipow{n}({r(node.left)})" if n > 1 else r(node.left)
            return base if exponent.value > 0 else f"({self.const(1.0)} / {base})"
        return f"({r(node.left)} ** {r(exponent)})"


def helpers_source(render: Renderer, precision: str) -> str:
    """The inline helpers every generated module defines (fexp, vtrap, crossing, gauss,
    eeuler, ipow…), their constants registered with ``render``."""
    h = HELPERS[precision]
    c = render.const
    coefficients = [1.0]
    for k in range(1, h["degree"] + 1):
        coefficients.append(coefficients[-1] / k)
    polynomial = _estrin(render, coefficients)
    magic_bits = _bits(h["magic"], precision)
    return f"""

@njit(forceinline=True, **OPTS)
def fexp(x):
    x = min(max(x, {c(h["lo"])}), {c(h["hi"])})
    shifted = x * {c(1.4426950408889634)} + {c(h["magic"])}
    n = shifted - {c(h["magic"])}
    r = (x - n * {c(0.6931471803691238)}) - n * {c(1.9082149292705877e-10)}
    scale = {h["uncast"]}(({h["cast"]}(shifted) - {magic_bits} + {h["bias"]}) << {h["mant"]})
{polynomial}
    return p * scale


@njit(forceinline=True, **OPTS)
def finite(x):
    # a helper, outside the kernels' reassociating arithmetic: compiled inside
    # it, this NaN/inf test stopped catching blow-ups
    return math.isfinite(x)


@njit(forceinline=True, **OPTS)
def ftanh(x):
    return {c(1.0)} - {c(2.0)} / (fexp({c(2.0)} * x) + {c(1.0)})


@njit(forceinline=True, **OPTS)
def vtrap(x, k):
    # x / (1 - exp(-x/k)), with its removable singularity at x = 0 replaced by the
    # Taylor series k (1 + y/2 + y^2/12), y = x/k, whose remainder y^4/720 is
    # below rounding for |y| < small.
    y = x / k
    series = k * ({c(1.0)} + y * ({c(0.5)} + y * {c(1 / 12)}))
    direct = x / ({c(1.0)} - fexp(-y))
    return series if abs(y) < {c(h["small"])} else direct


@njit(forceinline=True, **OPTS)
def crossing(v0, f0, v1, threshold, h):
    # time in [0, h] where v reaches threshold, from v(0) = v0, v'(0) = f0 and
    # v(h) = v1: the root of the quadratic through them (error O(h^3)), or the
    # linear interpolation when the quadratic has no root inside the step
    c = (v1 - v0 - f0 * h) / (h * h)
    gap = threshold - v0
    disc = f0 * f0 + {c(4.0)} * c * gap
    linear = h * gap / (v1 - v0)
    if disc < {c(0.0)} or f0 < {c(0.0)}:
        return linear
    tau = {c(2.0)} * gap / (f0 + math.sqrt(disc))
    return tau if tau >= {c(0.0)} and tau <= h else linear


@njit(forceinline=True, **OPTS)
def mix(z):
    # splitmix64's finaliser: a bijection of uint64 that scrambles every bit
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(forceinline=True, **OPTS)
def gauss(seed, stream, step, draw):
    # a standard normal number from a counter-based generator (Box-Muller on two
    # uniforms hashed from seed, stream, step and draw): reproducible whatever the
    # chunking, batching or thread of the run
    golden = np.uint64(0x9E3779B97F4A7C15)
    key = mix(np.uint64(seed) * golden + np.uint64(stream))
    key = mix(key ^ (np.uint64(step) * golden + np.uint64(draw)))
    other = mix(key + golden)
    u1 = (F(key >> np.uint64({h["rng_shift"]})) + {c(0.5)}) * {c(h["rng_scale"])}
    u2 = F(other >> np.uint64({h["rng_shift"]})) * {c(h["rng_scale"])}
    return math.sqrt({c(-2.0)} * math.log(u1)) * math.cos({c(6.283185307179586)} * u2)


@njit(forceinline=True, **OPTS)
def eeuler(x, f, rate, h):
    # exact step of dx/dt = f + rate*(x0 - x) with f, rate frozen:
    # x + h f (1 - exp(-z))/z, z = rate h (Euler as z -> 0)
    z = rate * h
    phi_series = {c(1.0)} - z * ({c(0.5)} - z * {c(1 / 6)})
    phi = phi_series if abs(z) < {c(h["small"])} else ({c(1.0)} - fexp(-z)) / z
    return x + h * f * phi
""" + "".join(
        f"""

@njit(forceinline=True, **OPTS)
def ipow{n}(x):
    return {" * ".join(["x"] * n)}
"""
        for n in range(2, 9)
    )


def _estrin(render: Renderer, coefficients: list[float]) -> str:
    """Lines computing ``p`` = sum c_k r^k by Estrin's scheme.

    Pairing terms (c0 + c1 r) + r^2 (c2 + c3 r) + ... keeps the dependency
    chain at log2(degree) multiply-adds instead of Horner's degree, which is
    what bounds a step's latency here.
    """
    c = render.const
    lines, level, power = [], [], "r"
    for k in range(0, len(coefficients), 2):
        pair = coefficients[k : k + 2]
        term = c(pair[0]) if len(pair) == 1 else f"{c(pair[0])} + r * {c(pair[1])}"
        level.append(term)
    depth = 0
    while len(level) > 1:
        square = f"r{2 ** (depth + 1)}"
        lines.append(f"{square} = {power} * {power}")
        names = []
        for k in range(0, len(level), 2):
            name = f"e{depth}_{k // 2}"
            if k + 1 < len(level):
                lines.append(f"{name} = ({level[k]}) + {square} * ({level[k + 1]})")
            else:
                lines.append(f"{name} = {level[k]}")
            names.append(name)
        level, power, depth = names, square, depth + 1
    lines.append(f"p = {level[0]}")
    return "\n".join("    " + line for line in lines)
