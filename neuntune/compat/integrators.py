"""Neun's explicit Runge–Kutta integrators as Butcher tables.

Neun (GNB-UAM/Neun, ``integrators/RungeKutta4.h`` and ``integrators/RungeKutta6.h``)
writes each method out stage by stage; here the same coefficients are tables that
one generic stepper (``step`` in :mod:`neuntune.compat._kernels`) runs.  A table has
``s + 1`` rows of ``s`` columns: rows 0..s−1 are the stage matrix A (row i gives
the stage argument x + h·Σ_j A[i, j]·k_j), the last row holds the weights b
(x ← x + h·Σ_j b[j]·k_j).  The nodes c (row sums of A) are not needed: Neun's
models do not depend on time explicitly.

``RK6`` is Neun's name, but the method has 6 stages and is of order 5 (a sixth
order explicit method needs at least 7 stages; the tests measure 5).  Its
coefficients are Neun's decimals as printed in the header, which truncate the
fractions noted beside them (so the table is exact to ~1e-15, far below any
step's error).
"""

from __future__ import annotations

import numpy as np

_RK4 = (
    (0.0, 0.0, 0.0, 0.0),
    (0.5, 0.0, 0.0, 0.0),
    (0.0, 0.5, 0.0, 0.0),
    (0.0, 0.0, 1.0, 0.0),
    (1 / 6, 1 / 3, 1 / 3, 1 / 6),
)

# Nodes c = 0, 1/5, 3/10, 3/5, 9/10, 1.
_RK6 = (
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (0.2, 0.0, 0.0, 0.0, 0.0, 0.0),
    (0.075, 0.225, 0.0, 0.0, 0.0, 0.0),  # 3/40, 9/40
    (0.3, -0.9, 1.2, 0.0, 0.0, 0.0),
    (0.075, 0.675, -0.6, 0.75, 0.0, 0.0),  # 3/40, 27/40, −3/5, 3/4
    # 107/162, 5/2, −140/27, 35/9, −70/81
    (0.660493827160493, 2.5, -5.185185185185185, 3.888888888888889, -0.864197530864197, 0.0),
    # b: 8/81, 0, 25/63, 25/108, 25/81, −1/28
    (0.098765432098765, 0.0, 0.396825396825396, 0.231481481481481, 0.308641975308641,
     -0.035714285714285),
)  # fmt: skip

#: Butcher tables by Neun's integrator name (the suffix of a class name).
TABLES: dict[str, tuple[tuple[float, ...], ...]] = {"RK4": _RK4, "RK6": _RK6}

#: Order of accuracy of each method (what the tests measure).
ORDER: dict[str, int] = {"RK4": 4, "RK6": 5}


def table(name: str, dtype: type[np.floating]) -> np.ndarray:
    """The Butcher table of integrator ``name`` ("RK4" or "RK6") as a C-contiguous
    ``dtype`` array of shape (stages + 1, stages); rounded to float32 for ``Float``
    classes, so their steps compute in float32 throughout."""
    return np.ascontiguousarray(TABLES[name], dtype=dtype)
