"""Integration methods as Butcher tableaux (explicit Runge–Kutta) plus exponential Euler."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as Fr


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge–Kutta method: stage nodes ``c``, matrix ``a`` (lower
    triangular, row i holds the weights of stages 0..i-1) and weights ``b``."""

    name: str
    order: int
    c: tuple[Fr, ...]
    a: tuple[tuple[Fr, ...], ...]
    b: tuple[Fr, ...]

    @property
    def stages(self) -> int:
        return len(self.b)


EULER = Tableau("euler", 1, (Fr(0),), ((),), (Fr(1),))

RK4 = Tableau(
    "rk4",
    4,
    (Fr(0), Fr(1, 2), Fr(1, 2), Fr(1)),
    ((), (Fr(1, 2),), (Fr(0), Fr(1, 2)), (Fr(0), Fr(0), Fr(1))),
    (Fr(1, 6), Fr(1, 3), Fr(1, 3), Fr(1, 6)),
)

# Butcher's seven-stage sixth-order method (J. C. Butcher, "On Runge-Kutta processes
# of high order", J. Austral. Math. Soc. 4, 1964; also Numerical Methods for ODEs,
# 3rd ed., sec. 325).  Six stages cannot reach order 6, so a genuine sixth-order
# explicit method needs seven; tests measure the order.
RK6 = Tableau(
    "rk6",
    6,
    (Fr(0), Fr(1, 3), Fr(2, 3), Fr(1, 3), Fr(1, 2), Fr(1, 2), Fr(1)),
    (
        (),
        (Fr(1, 3),),
        (Fr(0), Fr(2, 3)),
        (Fr(1, 12), Fr(1, 3), Fr(-1, 12)),
        (Fr(-1, 16), Fr(9, 8), Fr(-3, 16), Fr(-3, 8)),
        (Fr(0), Fr(9, 8), Fr(-3, 8), Fr(-3, 4), Fr(1, 2)),
        (Fr(9, 44), Fr(-9, 11), Fr(63, 44), Fr(18, 11), Fr(0), Fr(-16, 11)),
    ),
    (Fr(11, 120), Fr(0), Fr(27, 40), Fr(27, 40), Fr(-4, 15), Fr(-4, 15), Fr(11, 120)),
)

TABLEAUX = {t.name: t for t in (EULER, RK4, RK6)}

#: Exponential Euler: each state linear in itself (dx/dt = A - B x, gates and the
#: membrane voltage of conductance models) advances by the exact solution with A and B
#: frozen over the step; any other state takes an Euler step (first order overall).
EXPEULER = "expeuler"

METHODS = (*TABLEAUX, EXPEULER)


def check_method(method: str) -> str:
    """Return ``method`` if known, else raise a ValueError listing the choices."""
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    return method
