"""One instance of a model on its own: numba functions over a single instance's
states, parameters and derived values, generated from the model's declaration by the
engine's equation compiler (:mod:`~neuntune.engine.optimise`, :mod:`~neuntune.engine.render`).

The native engine integrates a whole circuit as one ODE system
(:mod:`~neuntune.engine.codegen`).  These functions serve a caller that steps each
object separately, as Neun does (:mod:`neuntune.compat`): the module holds the
model's equations, the caller its stepping, so a fix to a model's declaration reaches
both.  :func:`instance_source` gives a module's source, to which the caller may append
functions of its own that call these; :func:`instance_module` compiles and caches it
(:func:`~neuntune.engine.compiler.load_module`: a file named by its source's hash and
numba's disk cache, shared by every process).

In the module, ``F`` is the precision's scalar type (every constant goes through it,
so a float32 module computes in float32 throughout); ``x``, ``p`` and ``d`` are 1-D
arrays of one instance's states, parameters and derived values, in the rows of
:class:`Layout`:

- ``derive(p, d)``: the values that depend on parameters only (1/cm, a temperature
  factor ...), to compute again after any parameter changes;
- ``initial(x, p, d, follow)``: each state flagged in ``follow`` (a bool per row) set
  to its declared initial expression (a gate at its steady state for the present
  voltage), with the inputs at 0;
- ``rhs(t, <inputs>, x, p, d, out)``: every row's slope into ``out`` (0 for a state
  that changes only at events, and for a row that is no state of the model);
- ``current(t, <inputs>, x, p, d)`` (synapses): I_post, the current into the
  postsynaptic cell (µA);
- ``reset(x, p, d)``: the declared reset (``on_spike``) when the voltage is at or
  above the reset threshold; whether it happened (False for a model without one).
  When to check is the caller's choice.

``<inputs>`` are the kind's inputs in :data:`INPUTS` order (a neuron's I_in in µA; a
synapse's v_pre and v_post in mV).  Functions use IEEE arithmetic in the declared
order (no fast-math reassociation): one instance leaves nothing to vectorise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from ..models.definition import Definition
from ..models.equations import names
from .codegen import FASTMATH
from .compiler import check_precision, load_module
from .events import statements as event_statements
from .groups import Group, _slot
from .optimise import optimise
from .render import Renderer, helpers_source
from .rhs import Context, indent, namer, rows

#: The inputs of each kind of model, in the order the functions take them.
INPUTS: dict[str, tuple[str, ...]] = {
    "neuron": ("I_in",),
    "synapse": ("v_pre", "v_post"),
    "stimulus": ("v",),
    "plasticity": (),
}
_TAG = "m"  # the prefix of the functions' locals (m_p3, m_x0 ...)


@dataclass(frozen=True)
class Layout:
    """Where one instance's values sit in the functions' arrays (rows by name)."""

    params: dict[str, int]  # every declared parameter, initial values (v0 ...) included
    derived: int  # how many derived values ``derive`` computes
    states: dict[str, int]  # each state's row in x (rows may be interleaved with others)
    size: int  # rows of x: at least one past the last state's


def _group(definition: Definition, states: Mapping[str, int] | None) -> Group:
    slot = _slot(_TAG, definition)
    if states is not None:
        if set(states) != set(definition.states):
            raise ValueError(
                f"{definition.name}: rows given for {sorted(states)}, "
                f"states are {sorted(definition.states)}"
            )
        slot.states = dict(states)
    return Group(definition.kind, _TAG, slot)


def layout(definition: Definition, states: Mapping[str, int] | None = None) -> Layout:
    """The rows of ``definition``'s functions; ``states`` places its states in x
    (default: declaration order from row 0)."""
    slot = _group(definition, states).slot
    size = max(slot.states.values(), default=-1) + 1
    return Layout(dict(slot.params), len(slot.derived), dict(slot.states), size)


def _loads(lines: list[str], arrays: str) -> list[str]:
    """Locals for what ``lines`` read of the ``arrays`` among p, d and x."""
    text = "\n".join(lines)
    return [f"{_TAG}_{a}{r} = {a}[{r}]" for a in arrays for r in rows(text, f"{_TAG}_{a}")]


def _function(head: str, body: list[str], result: str, arrays: str = "pdx") -> list[str]:
    return ["", "", "@njit(**EXACT)", head, *indent([*_loads(body, arrays), *body, result])]


def instance_source(
    definition: Definition, precision: str, states: Mapping[str, int] | None = None
) -> str:
    """The source of ``definition``'s one-instance functions (see the module doc) in
    ``precision``; ``states`` as for :func:`layout`."""
    check_precision(precision)
    g = _group(definition, states)
    size = max(g.slot.states.values(), default=-1) + 1
    render = Renderer(precision)
    eqs = g.definition.equations
    made = optimise(eqs, set(g.slot.derived) - set(g.slot.once), precision, g.slot.once)
    name_of = namer(g, lambda r: f"{_TAG}_x{r}", "t")
    inputs = [name_of(i) for i in INPUTS[definition.kind]]

    def calc(wanted: set[str], derivatives: bool = False) -> list[str]:
        """The intermediates ``wanted`` (and the derivatives) read."""
        return [
            f"{name_of(n)} = {render.expr(made.assignments[n], name_of)}"
            for n in made.needed(wanted, derivatives)
        ]

    helpers = helpers_source(render, precision)
    functions: list[str] = []
    derive = []
    for name, row in g.slot.derived.items():
        derive += [
            f"{_TAG}_d{row} = {render.expr(g.slot.derived_expr(name), name_of)}",
            f"d[{row}] = {_TAG}_d{row}",
        ]
    functions += _function("def derive(p, d):", derive, "return 0", "p")

    initial = [f"t = {render.const(0.0)}", *(f"{i} = {render.const(0.0)}" for i in inputs)]
    wanted: set[str] = set()
    for expr in definition.initial.values():
        wanted |= names(expr)
    initial += calc(wanted)
    for state, expr in definition.initial.items():
        row = g.slot.states[state]
        initial += [f"if follow[{row}]:", f"    x[{row}] = {render.expr(expr, name_of)}"]
    functions += _function("def initial(x, p, d, follow):", initial, "return 0")

    # inputs may come as Python floats: in F, so a float32 module computes in float32
    casts = [f"{i} = F({i})" for i in ["t", *inputs]]
    slopes = casts + calc(set(), derivatives=True)
    moving = {g.slot.states[s]: e for s, e in made.derivatives.items()}
    for row in range(size):
        value = render.expr(moving[row], name_of) if row in moving else render.const(0.0)
        slopes.append(f"out[{row}] = {value}")
    head = f"def rhs({', '.join(['t', *inputs, 'x', 'p', 'd', 'out'])}):"
    functions += _function(head, slopes, "return 0")

    if "I_post" in eqs.assignments:
        current = casts + calc({"I_post"})
        head = f"def current({', '.join(['t', *inputs, 'x', 'p', 'd'])}):"
        functions += _function(head, current, f"return {name_of('I_post')}")

    reset = ["return False"]
    if definition.reset_threshold is not None:
        row = g.slot.states[definition.voltage]
        threshold = render.expr(definition.reset_threshold, name_of)
        # states read from and written to x, so a statement sees the ones before it
        ctx = Context(None, "", precision, render)  # a cell's statements need no layout
        statements = event_statements(
            ctx, g, definition.on_spike, "", lambda r: f"x[{r}]", "t", _TAG, lambda r: f"p[{r}]"
        )
        # "not >=": a NaN voltage does not reset
        reset = [f"if not x[{row}] >= {threshold}:", "    return False", *statements, "return True"]
    functions += _function("def reset(x, p, d):", reset[:-1], reset[-1])

    header = [
        f'"""Generated by neuntune.engine.pointwise for {definition.name}: do not edit."""',
        "import math",
        "import numpy as np",
        "from numba import njit",
        "from neuntune.engine.intrinsics import bits_float32, bits_float64, float32_bits,"
        " float64_bits",
        "",
        f"F = np.{precision}",
        f"OPTS = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH})",
        "EXACT = dict(cache=True, nogil=True, error_model='numpy')",
        "",
    ]
    return "\n".join([*header, *render.constant_lines(), helpers, *functions]) + "\n"


def instance_module(source: str) -> ModuleType:
    """The module of ``source`` (from :func:`instance_source`, with the caller's own
    functions appended), written to the kernel cache and imported."""
    return load_module(source)[0]
