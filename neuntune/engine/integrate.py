"""Integration methods for the population engine: Runge–Kutta tableaux and exponential Euler.

Each stage's loops (see :mod:`neuntune.engine.rhs`) end with what the method does
with that stage's slopes: store them (``K[stage, row, instance]``) and write the next
stage's state ``Y = X + DT·Σ a·k``, or, at the last stage, the step's result
``X = X + DT·Σ b·k``.  Exponential Euler advances each state linear in itself by
its exact solution with the slope frozen (``eeuler``), the others by Euler.

Cells with a reset or a refractory period are also integrated one at a time
(``local_<tag>``): from the step's start to a located crossing, and from there (the
reset applied) to the step's end, split where a refractory period ends; their input
current is interpolated across the step between its first and last stage.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..models.equations import derivative
from .groups import Group
from .methods import EXPEULER, TABLEAUX
from .rhs import (
    Context,
    clamp_adjust,
    command_lines,
    derivative_names,
    evolving,
    indent,
    intermediates,
    linear_rows,
    loads,
    namer,
    stage_lines,
    state_local,
)

#: Where a stage at the end of a step evaluates time-dependent conditions (just
#: before it), and one at its start (just after it): a stimulus switching exactly on
#: the grid, or a pulse ending where the step was split, belongs to the next step.
END_OF_STEP = 1.0 - 2.0**-20
START_OF_STEP = 2.0**-20


def nodes(method: str) -> list[Fraction]:
    """The stage times of ``method`` as fractions of the step."""
    return [Fraction(0)] if method == EXPEULER else list(TABLEAUX[method].c)


def local(g: Group) -> bool:
    """Whether a cell group's instances are integrated one at a time around events."""
    d = g.definition
    return g.kind == "cell" and (d.reset_threshold is not None or bool(d.refractory))


def locally(ctx: Context, g: Group) -> bool:
    """Whether this kernel integrates ``g``'s cells alone around their events (with
    events at step boundaries; a kernel with exact events splits the whole step)."""
    return ctx.mode == "step" and local(g)


def step_lines(ctx: Context, t: str = "t", h: str = "DT") -> list[str]:
    """One step of every group from time ``t`` for ``h`` (names of the kernel's locals)."""
    lines: list[str] = []
    stages = nodes(ctx.method)
    for s, node in enumerate(stages):
        ts = t if s == 0 else f"ts{s}"
        if s:
            lines.append(f"{ts} = {t} + {ctx.c(node)} * {h}")
        # comparisons in time (a stimulus switching on) see the inside of the step at
        # its ends, so a switch exactly on the grid belongs to the step it starts
        nudge = START_OF_STEP if node == 0 else END_OF_STEP if node == 1 else None
        lines.append(f"ts{s}f = {f'{t} + {ctx.c(nudge)} * {h}' if nudge is not None else ts}")
        ctx.render.condition_time = {ts: f"ts{s}f"} if nudge is not None else {}

        def update(g: Group, s_: int, name_of: Callable[[str], str], index: str) -> list[str]:
            return slopes(ctx, g, s_, name_of, index, s_ == len(stages) - 1, h)

        lines += stage_lines(ctx, s, ts, update)
        ctx.render.condition_time = {}
    # a clamped voltage ends the step at the command's value there
    return lines + command_lines(ctx, lambda g: f"X_{g.tag}", f"({t} + {h})")


def slopes(
    ctx: Context,
    g: Group,
    s: int,
    name_of: Callable[[str], str],
    index: str,
    last: bool,
    h: str = "DT",
) -> list[str]:
    """Slopes of ``g``'s states at stage ``s`` and the states they update."""
    tag, eqs = g.tag, g.definition.equations
    expeuler = ctx.method == EXPEULER
    linear = linear_rows(g) if expeuler else set()
    held = g.kind == "cell" and g.definition.refractory
    lines = []
    if s == 0 and locally(ctx, g):  # the input at the step's start, for local steps
        lines.append(f"IA_{tag}[{index}] = {tag}_Iin")
    for var, expr in eqs.derivatives.items():
        r = g.slot.states[var]
        value = ctx.render.expr(expr, name_of)
        if held and r == g.voltage_row:  # dv/dt = 0 while refractory
            value = f"({value} if ts{s}f >= REF_{tag}[{index}] else {ctx.c(0.0)})"
        lines.append(f"{tag}_k{r} = {value}")
        if r in linear:
            rate = derivative(expr, var, eqs.assignments)
            lines.append(f"{tag}_b{r} = -({ctx.render.expr(rate, name_of)})")
    lines += clamp_adjust(ctx, g, index)
    if g.kind == "cell" and g.voltage_row >= 0:
        r = g.voltage_row
        if s == 0:  # where the voltage started and its slope: spikes are located from them
            lines.append(f"SL_{tag}[{index}] = {tag}_k{r}")
        if last:
            lines.append(f"VO_{tag}[{index}] = X_{tag}[{r}, {index}]")
    if last and locally(ctx, g):
        lines += [f"XO_{tag}[{r}, {index}] = X_{tag}[{r}, {index}]" for r in g.slot.states.values()]
    tab = TABLEAUX.get(ctx.method)
    for var in eqs.derivatives:
        r = g.slot.states[var]
        x = f"X_{tag}[{r}, {index}]"
        if expeuler:
            step = (
                f"eeuler({tag}_x{r}, {tag}_k{r}, {tag}_b{r}, {h})"
                if r in linear
                else f"{tag}_x{r} + {h} * {tag}_k{r}"
            )
            lines.append(f"{x} = {step}")
        elif last:
            lines.append(f"{x} = {x} + {weighted(ctx, tab.b, s, tag, r, index, h)}")
        else:
            lines.append(f"K_{tag}[{s}, {r}, {index}] = {tag}_k{r}")
            lines.append(
                f"Y_{tag}[{r}, {index}] = {x} + {weighted(ctx, tab.a[s + 1], s, tag, r, index, h)}"
            )
    return lines


def weighted(
    ctx: Context,
    weights: tuple[Fraction, ...],
    s: int,
    tag: str,
    r: int,
    index: str,
    h: str = "DT",
) -> str:
    """Σ_j w_j·DT·k_j: this stage's slope from its local, earlier ones from K; stages of
    equal weight summed first."""
    groups: dict[Fraction, list[str]] = {}
    for j, w in enumerate(weights):
        if w != 0:
            k = f"{tag}_k{r}" if j == s else f"K_{tag}[{j}, {r}, {index}]"
            groups.setdefault(w, []).append(k)
    terms = []
    for w, ks in groups.items():
        summed = ks[0] if len(ks) == 1 else f"({' + '.join(ks)})"
        terms.append(f"({ctx.c(w)} * {h}) * {summed}")
    return " + ".join(terms) if terms else ctx.c(0.0)


def local_source(ctx: Context, g: Group) -> str:
    """``local_<tag>``: one step of one cell of ``g`` alone from ``t0`` for ``h`` (states
    in ``xs``, updated in place), its input interpolated across the global step
    [tg, tg + DT]; ``finish_<tag>``: from ``tx`` to the step's end, split where the
    cell's refractory period ends."""
    tag, n = g.tag, len(g.slot.states)
    held = g.definition.refractory
    tab = TABLEAUX.get(ctx.method)
    stages = nodes(ctx.method)
    name_of = namer(g, state_local(g), "ts")
    calc = intermediates(ctx, g, derivative_names(g), name_of)
    derivatives = {
        g.slot.states[var]: ctx.render.expr(expr, name_of)
        for var, expr in g.definition.equations.derivatives.items()
    }
    body = [
        "ia = IA[i]",
        # a Runge–Kutta step's last stage sits at its end; Euler's only one at its start
        f"ib = I[i] if {stages[-1] == 1} else ia",
        "x0 = xs.copy()",
        f"kk = np.zeros(({len(stages)}, {n}), F)",
        *loads(g, calc + list(derivatives.values()), "i"),
    ]
    moving = evolving(g)
    for s, node in enumerate(stages):
        body.append(f"ts = t0 + {ctx.c(node)} * h")
        body.append(f"tsf = t0 + {ctx.c(min(max(node, START_OF_STEP), END_OF_STEP))} * h")
        if s:
            for r in moving:
                terms = [f"{ctx.c(w)} * h * kk[{j}, {r}]" for j, w in enumerate(tab.a[s]) if w]
                body.append(f"xs[{r}] = x0[{r}] + {' + '.join(terms) or ctx.c(0.0)}")
        body += [f"{tag}_x{r} = xs[{r}]" for r in g.slot.states.values()]
        body.append(f"{tag}_Iin = ia + (ib - ia) * ((ts - tg) / DT)")
        body += calc
        for r, value in derivatives.items():
            if held and r == g.voltage_row:
                value = f"({value} if tsf >= REF[i] else {ctx.c(0.0)})"
            body.append(f"kk[{s}, {r}] = {value}")
    weights = [Fraction(1)] if tab is None else list(tab.b)
    for r in moving:
        terms = [f"{ctx.c(w)} * h * kk[{j}, {r}]" for j, w in enumerate(weights) if w]
        body.append(f"xs[{r}] = x0[{r}] + {' + '.join(terms)}")
    body.append("return 0")
    args = f"t0, h, tg, xs, P_{tag}, D_{tag}, IA, I, REF, i, DT"
    step = "\n".join(["@njit(**OPTS)", f"def local_{tag}({args}):", *indent(body)])
    call = f"P_{tag}, D_{tag}, IA, I, REF, i, DT)"
    finish = "\n".join(
        [
            "@njit(**OPTS)",
            f"def finish_{tag}(tx, tg, xs, P_{tag}, D_{tag}, IA, I, REF, i, DT):",
            "    end = tg + DT",
            "    if REF[i] > tx and REF[i] < end:",
            f"        local_{tag}(tx, REF[i] - tx, tg, xs, {call}",
            f"        local_{tag}(REF[i], end - REF[i], tg, xs, {call}",
            "    elif end > tx:",
            f"        local_{tag}(tx, end - tx, tg, xs, {call}",
            "    return 0",
        ]
    )
    return f"\n\n{step}\n\n\n{finish}\n"
