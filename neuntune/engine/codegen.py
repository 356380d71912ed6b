"""Assemble the module of a circuit's *model types*: kernels vectorised over instances.

One module per :attr:`~neuntune.engine.groups.NetworkLayout.key` (which models,
which cell groups each connection and stimulus group joins), method, precision
and event mode; circuits of any size and wiring, and batches of them, share it.
Its parts come from :mod:`~neuntune.engine.render` (expressions, helpers),
:mod:`~neuntune.engine.rhs` (a stage of the coupled system),
:mod:`~neuntune.engine.integrate` (the method), :mod:`~neuntune.engine.events`
(spikes, resets, delayed events at step boundaries, noise) and
:mod:`~neuntune.engine.exact` (steps split at exact event times).

Functions: ``setup`` (derived values, initial states), ``outputs`` (currents, for
recording), ``derivs`` (the right-hand side, for finding rest), ``sums`` (voltage
moments of each batch member) and ``kernel`` (the time loop).  The kernel's
arguments are declared once (:func:`arguments`); the module exports them as ``ARGS``
and callers pass arrays by those names.  The other functions take the arrays they
use, after t and DT (fewer parameters, less for numba to compile).
"""

from __future__ import annotations

import re

from ..models.equations import names
from .events import (
    EVENT_ARRAYS,
    cell_event_lines,
    delivery_lines,
    event_groups,
    per_step_lines,
    source_lines,
)
from .exact import exact_step_lines, first_events
from .groups import NetworkLayout
from .integrate import local, local_source, locally, stage_constants, step_lines
from .render import Renderer, helpers_source
from .rhs import (
    INDEX,
    Context,
    clamp_adjust,
    clamp_of,
    command_lines,
    coupling_setup,
    evolving,
    indent,
    intermediates,
    is_clamp,
    matrix_coupled,
    namer,
    program,
    rows,
    stage_lines,
    state_local,
)

#: How the kernel treats events: at step boundaries, or splitting steps at them.
MODES = ("step", "exact")
#: Kernel exit codes (the kernel returns (steps done, status)): finished; a state
#: became NaN/inf; the spike or event-log buffer needs emptying; the event heap needs
#: to grow; more events pending than the heap holds (an error).
OK, NONFINITE, FLUSH, GROW, CROWDED = 0, 1, 2, 3, 4
#: The kernel looks for NaN/inf every this many steps.
NAN_CHECK = 32
FASTMATH = "{'contract', 'arcp', 'nsz'}"
#: The kernels' own arithmetic (the models' equations and the Runge–Kutta sums) may
#: also be reassociated: LLVM then merges a gate's α(1 − x) − βx into α − (α + β)x
#: and the like.  The helpers keep FASTMATH: fexp's Cody–Waite reduction needs its
#: exact order, and a NaN test inside reassociating code stops catching blow-ups.
KERNEL_FASTMATH = "{'contract', 'arcp', 'nsz', 'reassoc'}"
#: Scalars of the kernel call, not passed on to the functions it calls.
_SCALARS = ("T0", "DT", "NSTEPS", "STEP0")


def arguments(layout: NetworkLayout, mode: str) -> list[str]:
    """Every kernel argument, in order (the generated module's ``ARGS``)."""
    exact = mode == "exact"
    args = [*_SCALARS, "NG", "NM", "DENSE", "COFF", "REC", "RECPOS", "RECOUT"]
    args += ["SPKC", "SPKT", "SPKN"]
    args += ["LOGQ", "LOGM", "LOGT", "LOGV", "LOGN", "MOM"]
    if exact:
        args += ["HT", "HK", "HI", "HN"]
    for g in layout.groups():
        t = g.tag
        args += [f"P_{t}", f"D_{t}"]
        if g.slot.states:
            args += [f"X_{t}", f"Y_{t}", f"K_{t}", f"RI_{t}"]
            args += [f"XS_{t}"] if exact else []
        if g.kind == "cell":
            args.append(f"FIRE_{t}")
            if g.voltage_row >= 0:
                args += [f"I_{t}", f"VO_{t}", f"SL_{t}", f"CPOS_{t}"]
                args += [f"ARMC_{t}", f"TXC_{t}"] if exact else []
                if local(g) and not exact:  # see integrate.locally
                    args += [f"XO_{t}", f"IA_{t}"]
                if g.definition.refractory or local(g):
                    args.append(f"REF_{t}")
                if clamp_of(layout, g) is not None:
                    args.append(f"CLK_{t}")
            if g.listed:
                args += [f"SRCT_{t}", f"SRCHI_{t}", f"SRCP_{t}"]
        if g.kind == "connection":
            args += [f"PRE_{t}", f"POST_{t}", f"IO_{t}", f"IP_{t}", f"RJ_{t}"]
            args += [f"GM_{t}", f"GC_{t}"] if matrix_coupled(layout, g) else []
            if g.event_driven:
                args += [f"{a}_{t}" for a in EVENT_ARRAYS]
                args += [f"ARMS_{t}", f"TXS_{t}"] if exact else []
        if g.kind == "stimulus":
            args += [f"TGT_{t}", f"GAIN_{t}", f"IO_{t}", f"RJ_{t}"]
        if g.definition.on_step:
            args.append(f"STREAM_{t}")
    return args


def _used(args: list[str], body: list[str]) -> list[str]:
    """The arrays among ``args`` that ``body`` reads or writes: a function's parameters
    after its own t and DT (fewer parameters, less for numba to compile)."""
    words = set(re.findall(r"\b\w+\b", "\n".join(body)))
    return [a for a in args if a not in _SCALARS and a in words]


def _counts(layout: NetworkLayout) -> list[str]:
    """Instance counts, and whether each current stimulus group drives its cells one
    by one in order (then its loop needs no scatter and vectorises); and ``zero``, a
    zero that LLVM cannot fold (DT could be infinite, for all it knows), so that a
    loop zeroing the cells' inputs stays a loop of stores: as a call to memset it
    cost more than the rest of a stage in a circuit of a few cells."""
    lines = ["zero = F(0.0) * DT"]
    for q, g in enumerate(layout.groups()):
        lines.append(f"n_{g.tag} = NG[{q}]")
        if g.kind == "stimulus" and not is_clamp(g):
            lines.append(f"dense_{g.tag} = DENSE[{q}]")
    return lines


def _function(
    ctx: Context, name: str, args: list[str], body: list[str], options: str = "OPTS"
) -> str:
    """``name(t, DT, <the arrays body uses>)``; its parameters are kept in ``ctx.params``
    (callers in Python read them from the function's signature)."""
    params = ctx.params[name] = _used(args, body)
    head = [f"@njit(**{options})", f"def {name}({', '.join(['t', 'DT', *params])}):"]
    return "\n\n" + "\n".join(head + indent(body) + ["    return 0"]) + "\n"


def _setup_source(ctx: Context, args: list[str]) -> str:
    """``setup``: derived values and initial states of every instance (explicit values,
    or the model's expression, e.g. a gate at steady state, where NaN)."""
    lines = _counts(ctx.layout)
    for g in ctx.layout.groups():
        tag, d, index = g.tag, g.definition, INDEX[g.kind]
        name_of = namer(g, state_local(g), ctx.c(0.0))
        body = []
        for name, row in g.slot.derived.items():
            body.append(f"{tag}_d{row} = {ctx.render.expr(g.slot.derived_expr(name), name_of)}")
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
            lines += [f"for {index} in range(n_{tag}):", *indent(params + body)]
    for g in ctx.layout.connections:
        if matrix_coupled(ctx.layout, g):
            lines += coupling_setup(ctx, g)
    # a clamped cell starts at its command
    lines += command_lines(ctx, lambda g: f"X_{g.tag}", ctx.c(0.0))
    return _function(ctx, "setup", args, lines)


def _outputs_source(ctx: Context, args: list[str]) -> str:
    """``outputs``: every connection's and stimulus's current at ``t`` (for recording)."""

    def update(g, s, name_of, index):
        clamp = clamp_of(ctx.layout, g) if g.kind == "cell" else None
        if clamp is None:
            return []
        r = g.voltage_row
        expr = g.definition.equations.derivatives[g.definition.voltage]
        return [f"{g.tag}_k{r} = {ctx.render.expr(expr, name_of)}", *clamp_adjust(ctx, g, index)]

    body = [*_counts(ctx.layout), *stage_lines(ctx, 0, "t", update, True)]
    return _function(ctx, "outputs", args, body, "INNER_OPTS")


def _derivs_source(ctx: Context, args: list[str]) -> str:
    """``derivs``: every state's slope at ``t`` into ``K[0]`` (0 for event-only states)."""

    def update(g, s, name_of, index):
        lines = []
        for var, expr in g.definition.equations.derivatives.items():
            r = g.slot.states[var]
            lines.append(f"{g.tag}_k{r} = {ctx.render.expr(expr, name_of)}")
        lines += clamp_adjust(ctx, g, index)
        return lines + [f"K_{g.tag}[0, {r}, {index}] = {g.tag}_k{r}" for r in evolving(g)]

    body = _counts(ctx.layout)
    for g in ctx.layout.groups():
        if g.slot.states and g.kind != "stimulus":
            body += [
                f"for i in range(n_{g.tag}):",
                f"    for r in range({len(g.slot.states)}):",
                f"        K_{g.tag}[0, r, i] = {ctx.c(0.0)}",
            ]
    return _function(ctx, "derivs", args, body + stage_lines(ctx, 0, "t", update))


def _sums_source(ctx: Context, args: list[str]) -> str:
    """``sums``: add each batch member's voltages (minus its first sample, MOM[b, c, 0])
    to MOM[b, c, 1] and their products to MOM[b, c, 2 + c'] (c' ≥ c); MOM's last
    column holds the deviations meanwhile (an array allocated per call cost as much as
    the step).  Sums are float64; a float32 module sums nothing (and so holds no
    float64 arithmetic at all)."""
    if ctx.precision != "float64":
        return _function(ctx, "sums", args, [], "INNER_OPTS")
    body = [
        *_counts(ctx.layout),
        "C = MOM.shape[1]",
        "S = MOM.shape[2] - 1",
        "for b in range(MOM.shape[0]):",
    ]
    inner = []
    for q, g in enumerate(ctx.layout.groups()):
        if g.kind == "cell" and g.voltage_row >= 0:
            inner += [
                f"for k in range(NM[{q}]):",
                f"    c = CPOS_{g.tag}[k]",
                f"    MOM[b, c, S] = X_{g.tag}[{g.voltage_row}, b * NM[{q}] + k] - MOM[b, c, 0]",
            ]
    inner += [
        "for c in range(C):",
        "    d = MOM[b, c, S]",
        "    MOM[b, c, 1] += d",
        "    for c2 in range(c, C):",
        "        MOM[b, c, 2 + c2] += d * MOM[b, c2, S]",
    ]
    return _function(ctx, "sums", args, body + indent(inner), "INNER_OPTS")


def _record(ctx: Context) -> list[str]:
    """Sample ``r`` of every recorded trace into REC[column, r]: states (RI: row,
    instance, column) and, when RECOUT[0], currents (RJ: IO or IP, instance, column);
    when RECOUT[1], add to the voltage moments (``sums``)."""
    layout = ctx.layout
    lines = ["if RECOUT[0]:", f"    outputs({', '.join(['tn', 'DT', *ctx.params['outputs']])})"]
    lines.append("if RECOUT[1]:")
    lines.append(f"    sums({', '.join(['tn', 'DT', *ctx.params['sums']])})")
    for g in layout.groups():
        if g.slot.states:
            lines += [
                f"for q in range(RI_{g.tag}.shape[0]):",
                f"    REC[RI_{g.tag}[q, 2], r] = X_{g.tag}[RI_{g.tag}[q, 0], RI_{g.tag}[q, 1]]",
            ]
        if g.kind != "cell":
            current = f"IP_{g.tag}" if g.kind == "connection" else f"IO_{g.tag}"
            lines += [
                f"for q in range(RJ_{g.tag}.shape[0]):",
                f"    if RJ_{g.tag}[q, 0] == 0:",
                f"        REC[RJ_{g.tag}[q, 2], r] = IO_{g.tag}[RJ_{g.tag}[q, 1]]",
                "    else:",
                f"        REC[RJ_{g.tag}[q, 2], r] = {current}[RJ_{g.tag}[q, 1]]",
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
    head = [*_counts(layout), "step0 = STEP0", f"inf = {ctx.c(float('inf'))}"]
    head += ["countdown = RECPOS[1]", "tn = T0", "if STEP0 == 0:", "    r = RECPOS[0]"]
    head += [*indent(_record(ctx)), "    RECPOS[0] = r + 1"]
    cells = " + ".join(f"n_{g.tag}" for g in layout.cells)
    events = " + ".join(f"n_{g.tag}" for g in event_groups(ctx)) or "0"
    checks = [  # room for a step's spikes (a cell crosses about once) and logged events
        f"if SPKN[0] + 4 * ({cells}) + 64 > SPKT.shape[0] or "
        f"LOGN[0] + 4 * ({events}) + 64 > LOGT.shape[0]:",
        "    RECPOS[1] = countdown",
        f"    return it, {FLUSH}",
    ]
    if ctx.mode == "exact":
        first = first_events(ctx)
        head += ["if STEP0 == 0:", *indent(first)] if first else []
        checks += [
            "if HN[0] > HT.shape[0] // 2:",
            "    RECPOS[1] = countdown",
            f"    return it, {GROW}",
        ]
    body = [
        *checks,
        "step = STEP0 + it",
        "t = T0 + F(it) * DT",
        "tn = T0 + F(it + 1) * DT",
    ]
    if ctx.mode == "exact":
        save = [
            f"XS_{g.tag}[:, :n_{g.tag}] = X_{g.tag}[:, :n_{g.tag}]"
            for g in layout.groups()
            if g.slot.states
        ]
        restore = [
            f"X_{g.tag}[:, :n_{g.tag}] = XS_{g.tag}[:, :n_{g.tag}]"
            for g in layout.groups()
            if g.slot.states
        ]
        body += ["t_end = tn", f"tol = DT * {ctx.c(1e-9)}"]
        body += exact_step_lines(ctx, step_lines(ctx, "tc", "h"), save, restore)
        body += ["tn = t_end", "if HN[1]:", f"    return it, {CROWDED}"]
    else:
        body += step_lines(ctx)
        body += cell_event_lines(ctx) + source_lines(ctx) + delivery_lines(ctx)
    body += per_step_lines(ctx)
    body += [f"if (step + 1) % {NAN_CHECK} == 0 or it == NSTEPS - 1:", *indent(_finite(ctx))]
    body += [
        "countdown -= 1",
        "if countdown == 0 or step + 1 == RECPOS[2]:",
        "    countdown = RECPOS[3]",
        "    r = RECPOS[0]",
        *indent(_record(ctx)),
        "    RECPOS[0] = r + 1",
    ]
    lines = ["@njit(**KERNEL_OPTS)", f"def kernel({', '.join(args)}):", *indent(head)]
    lines += ["    for it in range(NSTEPS):", *indent(body, 2)]
    lines += ["    RECPOS[1] = countdown", f"    return NSTEPS, {OK}"]
    return "\n\n" + "\n".join(lines) + "\n"


def generate_network(layout: NetworkLayout, method: str, precision: str, mode: str) -> str:
    """The module source for ``layout``'s model types integrated by ``method``."""
    ctx = Context(layout, method, precision, Renderer(precision), mode)
    for g in layout.groups():  # before any derivative is rendered: they read its temporaries
        program(ctx, g)
    args = arguments(layout, mode)
    functions = [
        helpers_source(ctx.render, precision),
        *[local_source(ctx, g) for g in layout.cells if locally(ctx, g)],
        _setup_source(ctx, args),
        _outputs_source(ctx, args),
        _derivs_source(ctx, args),
        _sums_source(ctx, args),
        _kernel_source(ctx, args),
    ]
    header = [
        '"""Generated by neuntune.engine.codegen: do not edit (regenerated on demand)."""',
        "import math",
        "import numpy as np",
        "from numba import njit",
        "from neuntune.engine.heap import heap_pop, heap_push",
        "from neuntune.engine.intrinsics import bits_float32, bits_float64, float32_bits,"
        " float64_bits",
        "",
        f"F = np.{precision}",
        f"OPTS = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH})",
        f"KERNEL_OPTS = dict(OPTS, fastmath={KERNEL_FASTMATH})",
        "INNER_OPTS = dict(OPTS, no_cpython_wrapper=True)  # called by the kernel only",
        f"ARGS = {tuple(args)!r}",
        "",
    ]
    constants = ctx.render.constant_lines() + stage_constants(ctx)
    return "\n".join(header + constants + [""] + functions) + "\n"
