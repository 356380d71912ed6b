"""Neun's stepping over neuntune's own model declarations: the compiled step of every
compat object.

A compat class names a native model (``HH``, ``HR``, ``Izhikevich``,
``DiffusionSynapse``); its equations, initial states and reset come from that
model's declaration, rendered by the engine (:mod:`neuntune.engine.pointwise`), so a
fix to a model reaches compat with no edit here.  What is Neun's stays here: one
explicit Runge–Kutta step per object with its inputs held through every stage (the
Butcher table is an argument: :mod:`.integrators`), and the reset checked at the end
of the step, not at the crossing (Neun's ``post_step``).

One module per model, precision and row layout, generated once and cached on disk
(a file named by its source's hash, and numba's cache), so later processes load
it without compiling.  Every constant goes through ``F``, the module's scalar type:
a float32 module computes in float32 throughout, as Neun's ``Float`` classes do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType

import numpy as np

from ..engine.pointwise import INPUTS, Layout, instance_module, instance_source, layout
from ..models.model import Model

# Appended to the model's functions (rhs, reset): ``{inputs}`` are the kind's inputs.
_STEP = """

@njit(**EXACT)
def step({inputs}, x, p, d, h, table, work):
    # One explicit Runge-Kutta step of h (ms) with the inputs held through every stage,
    # as Neun holds its input; table: Butcher table, (stages + 1, stages); work:
    # scratch, (stages + 1, rows of x).  Then the reset, at the end of the step as in
    # Neun's post_step.  Returns whether every state is still finite.
    h = F(h)
    stages = table.shape[1]
    stage = work[stages]
    for i in range(stages):
        for j in range(x.size):
            acc = F(0.0)
            for k in range(i):
                acc += table[i, k] * work[k, j]
            stage[j] = x[j] + h * acc
        rhs(F(0.0), {inputs}, stage, p, d, work[i])
    for j in range(x.size):
        acc = F(0.0)
        for k in range(stages):
            acc += table[stages, k] * work[k, j]
        x[j] += h * acc
    reset(x, p, d)
    finite = True
    for j in range(x.size):
        finite = finite and math.isfinite(x[j])
    return finite
"""


@dataclass(frozen=True)
class Kernels:
    """A model's compiled functions (``module``) and the rows of their arrays."""

    module: ModuleType
    layout: Layout
    defaults: tuple[float, ...]  # declared parameter defaults by row (NaN: None)

    def parameters(self, values: Mapping[str, float], p: np.ndarray, d: np.ndarray) -> None:
        """Write ``values`` (native names; the others at their defaults) into the
        parameter array ``p``, then the derived values into ``d``."""
        p[:] = self.defaults
        for name, value in values.items():
            p[self.layout.params[name]] = value
        self.module.derive(p, d)


@cache
def kernels(model: type[Model], precision: str, states: tuple[str, ...]) -> Kernels:
    """The compiled functions of ``model`` (its default options) in ``precision``
    ("float64" or "float32"): :mod:`neuntune.engine.pointwise`'s, plus
    ``step(<inputs>, x, p, d, h, table, work)``.  ``states`` names the model's state
    in each row of x in Neun's order ("" for a row that is none of the model's, such
    as DSyn's current i); the model's other states follow.

    Time is 0 at every call: Neun's models do not depend on it.
    """
    definition = model.definition()
    rows = {name: row for row, name in enumerate(states) if name}
    others = [name for name in definition.states if name not in rows]
    rows.update({name: len(states) + k for k, name in enumerate(others)})
    step = _STEP.format(inputs=", ".join(INPUTS[definition.kind]))
    module = instance_module(instance_source(definition, precision, rows) + step)
    defaults = tuple(
        float("nan") if p.default is None else float(p.default)
        for p in definition.parameters.values()
    )
    return Kernels(module, layout(definition, rows), defaults)
