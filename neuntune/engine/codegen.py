"""Assemble the module of a network's *model types*: kernels vectorised over instances.

One module per :attr:`~neuntune.engine.groups.NetworkLayout.key` (which models,
which cell groups each connection and stimulus group joins), method and precision;
populations of any size and wiring share it.  Its parts come from
:mod:`~neuntune.engine.render` (expressions, helpers), :mod:`~neuntune.engine.rhs`
(a stage of the coupled system), :mod:`~neuntune.engine.integrate` (the method) and
:mod:`~neuntune.engine.events` (spikes, resets, delayed events, noise).

The kernels' arguments are declared once (:func:`arguments`); the module exports
them as ``ARGS`` and callers pass arrays by those names, so the signature and the
call cannot drift apart.
"""

from __future__ import annotations

from ..models.equations import names
from .codegen import FASTMATH, FLUSH, KERNEL_FASTMATH, NAN_CHECK, NONFINITE, OK
from .events import EVENT_ARRAYS, cell_event_lines, delivery_lines, per_step_lines
from .groups import NetworkLayout
from .integrate import local, local_source, step_lines
from .render import Renderer, helpers_source
from .rhs import INDEX, Context, indent, intermediates, namer, rows, state_local


def arguments(layout: NetworkLayout) -> list[str]:
    """Every kernel argument, in order (the generated module's ``ARGS``)."""
    args = ["T0", "DT", "NSTEPS", "STEP0", "NG", "REC", "RECPOS", "SPKC", "SPKT", "SPKN"]
    for g in layout.groups():
        t = g.tag
        args += [f"P_{t}", f"D_{t}"]
        if g.slot.states:
            args += [f"X_{t}", f"Y_{t}", f"K_{t}", f"RI_{t}", f"RC_{t}"]
        if g.kind == "cell" and g.voltage_row >= 0:
            args += [f"I_{t}", f"VO_{t}", f"SL_{t}", f"FIRE_{t}"]
            if local(g):
                args += [f"XO_{t}", f"IA_{t}", f"REF_{t}"]
        if g.kind == "connection":
            args += [f"PRE_{t}", f"POST_{t}"]
            if g.event_driven:
                args += [f"{a}_{t}" for a in EVENT_ARRAYS]
        if g.kind == "stimulus":
            args.append(f"TGT_{t}")
        if g.definition.on_step:
            args.append(f"STREAM_{t}")
    return args


def _counts(layout: NetworkLayout) -> list[str]:
    return [f"n_{g.tag} = NG[{q}]" for q, g in enumerate(layout.groups())]


def _setup_source(ctx: Context, args: list[str]) -> str:
    """``setup(ARGS)``: derived values and initial states of every instance (explicit
    values, or the model's expression, e.g. a gate at steady state, where NaN)."""
    lines = ["@njit(**OPTS)", f"def setup({', '.join(args)}):", *indent(_counts(ctx.layout))]
    for g in ctx.layout.groups():
        tag, d, index = g.tag, g.definition, INDEX[g.kind]
        name_of = namer(g, state_local(g), ctx.c(0.0))
        body = []
        for name, row in g.slot.derived.items():
            body.append(f"{tag}_d{row} = {ctx.render.expr(d.equations.assignments[name], name_of)}")
            body.append(f"D_{tag}[{row}, {index}] = {tag}_d{row}")
        for state in d.states:
            if state not in d.initial:
                body.append(f"{tag}_x{g.slot.states[state]} = {tag}_p{g.slot.params[f'{state}0']}")
        needed: set[str] = set()
        for expr in d.initial.values():
            needed |= names(expr)
        body += intermediates(ctx, g, needed, name_of)
        for state, expr in d.initial.items():
            row, param = g.slot.states[state], g.slot.params[f"{state}0"]
            body += [
                f"{tag}_x{row} = {tag}_p{param}",
                f"if np.isnan({tag}_x{row}):",
                f"    {tag}_x{row} = {ctx.render.expr(expr, name_of)}",
            ]
        body += [f"X_{tag}[{r}, {index}] = {tag}_x{r}" for r in g.slot.states.values()]
        params = [f"{tag}_p{r} = P_{tag}[{r}, {index}]" for r in rows("\n".join(body), f"{tag}_p")]
        if body:
            lines += indent([f"for {index} in range(n_{tag}):", *indent(params + body)])
    lines.append("    return 0")
    return "\n\n" + "\n".join(lines) + "\n"


def _record(layout: NetworkLayout) -> list[str]:
    """Sample the recorded states into row ``r`` of REC (RI: row and instance; RC: column)."""
    lines = []
    for g in layout.groups():
        if g.slot.states:
            lines += [
                f"for q in range(RI_{g.tag}.shape[0]):",
                f"    REC[r, RC_{g.tag}[0] + q] = X_{g.tag}[RI_{g.tag}[q, 0], RI_{g.tag}[q, 1]]",
            ]
    return lines


def _finite(ctx: Context) -> list[str]:
    """Stop with NONFINITE once any state is NaN or infinite (a NaN persists, so a sum
    checked every NAN_CHECK steps finds every blow-up)."""
    lines = [f"total = {ctx.c(0.0)}"]
    for g in ctx.layout.groups():
        if g.slot.states:
            lines += [
                f"for q in range({len(g.slot.states)}):",
                f"    for i in range(n_{g.tag}):",
                f"        total += X_{g.tag}[q, i]",
            ]
    return [*lines, "if not finite(total):", f"    return it + 1, {NONFINITE}"]


def _kernel_source(ctx: Context, args: list[str]) -> str:
    """``kernel(ARGS)``: NSTEPS steps from T0; samples every RECPOS[3] steps (and the
    first and last); returns (steps done, status)."""
    layout = ctx.layout
    lines = ["@njit(**KERNEL_OPTS)", f"def kernel({', '.join(args)}):", *indent(_counts(layout))]
    lines += [
        "    step0 = STEP0",
        "    countdown = RECPOS[1]",
        "    if STEP0 == 0:",
        "        r = RECPOS[0]",
        *indent(_record(layout), 2),
        "        RECPOS[0] = r + 1",
        "    for it in range(NSTEPS):",
        f"        if SPKN[0] + {layout.n_cells} > SPKT.shape[0]:",  # room for a step's spikes
        "            RECPOS[1] = countdown",
        f"            return it, {FLUSH}",
        "        step = STEP0 + it",
        "        t = T0 + F(it) * DT",
        "        tn = T0 + F(it + 1) * DT",
    ]
    body = step_lines(ctx) + cell_event_lines(ctx) + delivery_lines(ctx) + per_step_lines(ctx)
    body += [f"if (step + 1) % {NAN_CHECK} == 0 or it == NSTEPS - 1:", *indent(_finite(ctx))]
    body += [
        "countdown -= 1",
        "if countdown == 0 or step + 1 == RECPOS[2]:",
        "    countdown = RECPOS[3]",
        "    r = RECPOS[0]",
        *indent(_record(layout)),
        "    RECPOS[0] = r + 1",
    ]
    lines += indent(body, 2)
    lines += ["    RECPOS[1] = countdown", f"    return NSTEPS, {OK}"]
    return "\n\n" + "\n".join(lines) + "\n"


def generate_network(layout: NetworkLayout, method: str, precision: str) -> str:
    """The module source for ``layout``'s model types integrated by ``method``."""
    ctx = Context(layout, method, precision, Renderer(precision))
    args = arguments(layout)
    functions = [
        helpers_source(ctx.render, precision),
        *[local_source(ctx, g) for g in layout.cells if local(g)],
        _setup_source(ctx, args),
        _kernel_source(ctx, args),
    ]
    header = [
        '"""Generated by neuntune.engine.netgen: do not edit (regenerated on demand)."""',
        "import math",
        "import numpy as np",
        "from numba import njit",
        "from neuntune.engine.intrinsics import bits_float32, bits_float64, float32_bits,"
        " float64_bits",
        "",
        f"F = np.{precision}",
        f"OPTS = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH})",
        f"KERNEL_OPTS = dict(OPTS, fastmath={KERNEL_FASTMATH})",
        f"ARGS = {tuple(args)!r}",
        "",
    ]
    return "\n".join(header + ctx.render.constant_lines() + [""] + functions) + "\n"
