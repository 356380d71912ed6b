"""Integration methods for the population engine: Runge–Kutta tableaux and exponential Euler.

Each stage's loops (see :mod:`neuntune.engine.rhs`) end with what the method does
with that stage's slopes: store them (``K[stage, row, instance]``) and write the next
stage's state ``Y = X + DT·Σ a·k``, or, at the last stage, the step's result
``X = X + DT·Σ b·k``.  Exponential Euler advances each state linear in itself by
its exact solution with the slope frozen (``eeuler``), the others by Euler.

A method whose stage reads only the one before it (``a`` nonzero only below its
diagonal, as in RK4) writes its stages after the first once, inside a loop over
stages (``st``), so their code is compiled once, not once per stage: the first
stage reads ``X`` and stores its slopes in ``K[0]``; each later stage reads ``Y``,
writes the next stage's states there and adds its slopes, weighted relative to the
first stage's, to ``K[0]``; after the last stage one loop per group adds
``b₀·DT·K[0]`` to ``X``.

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
    INDEX,
    LOOPED,
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


def looped(method: str) -> bool:
    """Whether ``method``'s stages are written once, in a loop over stages: a Runge–Kutta
    method of several stages, each reading only the one before it, whose first stage
    counts in the result (module docs)."""
    tab = TABLEAUX.get(method)
    if tab is None or tab.stages < 2 or tab.b[0] == 0:
        return False
    return all(not any(row[:-1]) for row in tab.a[1:])


def _node(node: Fraction) -> Fraction | float:
    """Where a stage at ``node`` evaluates time conditions (module docs of END_OF_STEP)."""
    return START_OF_STEP if node == 0 else END_OF_STEP if node == 1 else node


def stage_constants(ctx: Context) -> list[str]:
    """Module-level arrays of a looped method (:func:`looped`): each stage's node
    (``STAGE_C``), the node where it evaluates time conditions (``STAGE_CF``), the
    weight of its slope in the next stage's state (``STAGE_A``) and in the step's
    result, relative to the first stage's (``STAGE_W``)."""
    if not looped(ctx.method):
        return []
    tab = TABLEAUX[ctx.method]
    rows = {
        "STAGE_C": tab.c,
        "STAGE_CF": [_node(c) for c in tab.c],
        "STAGE_A": [row[-1] for row in tab.a[1:]] + [Fraction(0)],
        "STAGE_W": [b / tab.b[0] for b in tab.b],
    }
    return [
        f"{name} = np.array([{', '.join(repr(float(v)) for v in values)}], F)"
        for name, values in rows.items()
    ]


def step_lines(ctx: Context, t: str = "t", h: str = "DT") -> list[str]:
    """One step of every group from time ``t`` for ``h`` (names of the kernel's locals)."""
    stages = nodes(ctx.method)
    if looped(ctx.method):  # the first stage written out, the others in a loop
        return _stage(ctx, 0, stages[0], t, h, False) + _looped_stages(ctx, t, h)
    lines: list[str] = []
    for s, node in enumerate(stages):
        lines += _stage(ctx, s, node, t, h, s == len(stages) - 1)
    # a clamped voltage ends the step at the command's value there
    return lines + command_lines(ctx, lambda g: f"X_{g.tag}", f"({t} + {h})")


def _stage(ctx: Context, s: int, node: Fraction, t: str, h: str, last: bool) -> list[str]:
    """Stage ``s`` (at ``node`` of the step), written out."""
    ts = t if s == 0 else f"ts{s}"
    lines = [f"{ts} = {t} + {ctx.c(node)} * {h}"] if s else []
    # comparisons in time (a stimulus switching on) see the inside of the step at
    # its ends, so a switch exactly on the grid belongs to the step it starts
    nudge = _node(node)
    lines.append(f"ts{s}f = {f'{t} + {ctx.c(nudge)} * {h}' if nudge != node else ts}")
    ctx.render.condition_time = {ts: f"ts{s}f"} if nudge != node else {}

    def update(g: Group, s_: int, name_of: Callable[[str], str], index: str) -> list[str]:
        return slopes(ctx, g, s_, name_of, index, last, h)

    lines += stage_lines(ctx, s, ts, update)
    ctx.render.condition_time = {}
    return lines


def _looped_stages(ctx: Context, t: str, h: str) -> list[str]:
    """A looped method's stages after the first (module docs), then each group's result."""
    tab = TABLEAUX[ctx.method]

    def update(g: Group, s: int | None, name_of: Callable[[str], str], index: str) -> list[str]:
        return looped_slopes(ctx, g, name_of, index)

    body = [f"ts = {t} + STAGE_C[st] * {h}", f"tsf = {t} + STAGE_CF[st] * {h}"]
    body += [f"adt = STAGE_A[st] * {h}", "w = STAGE_W[st]"]
    ctx.render.condition_time = {"ts": "tsf"}
    body += stage_lines(ctx, LOOPED, "ts", update)
    ctx.render.condition_time = {}
    lines = [f"for st in range(1, {tab.stages}):", *indent(body)]
    for g in ctx.layout.groups():
        if g.kind == "stimulus" or not evolving(g):
            continue
        tag, index = g.tag, INDEX[g.kind]
        result = []
        if g.kind == "cell" and g.voltage_row >= 0:
            result.append(f"VO_{tag}[{index}] = X_{tag}[{g.voltage_row}, {index}]")
        if locally(ctx, g):
            result += [
                f"XO_{tag}[{r}, {index}] = X_{tag}[{r}, {index}]" for r in g.slot.states.values()
            ]
        for r in evolving(g):
            x = f"X_{tag}[{r}, {index}]"
            result.append(f"{x} = {x} + ({ctx.c(tab.b[0])} * {h}) * K_{tag}[0, {r}, {index}]")
        lines += [f"for {index} in range(n_{tag}):", *indent(result)]
    # a clamped voltage ends the step at the command's value there
    return lines + command_lines(ctx, lambda g: f"X_{g.tag}", f"({t} + {h})")


def looped_slopes(ctx: Context, g: Group, name_of: Callable[[str], str], index: str) -> list[str]:
    """Slopes of ``g``'s states at a looped stage (``st``): the next stage's states
    (``Y``), and their weighted sum (``K[0]``, holding the first stage's since it ran).
    Every address is the same at every stage, so LLVM checks once per call, not once
    per stage, that the arrays a vectorised loop reads and writes do not overlap."""
    tag = g.tag
    held = g.kind == "cell" and g.definition.refractory
    lines = []
    for var, expr in g.definition.equations.derivatives.items():
        r = g.slot.states[var]
        value = ctx.render.expr(expr, name_of)
        if held and r == g.voltage_row:  # dv/dt = 0 while refractory
            value = f"({value} if tsf >= REF_{tag}[{index}] else {ctx.c(0.0)})"
        lines.append(f"{tag}_k{r} = {value}")
    lines += clamp_adjust(ctx, g, index)
    for var in g.definition.equations.derivatives:
        r = g.slot.states[var]
        lines.append(f"K_{tag}[0, {r}, {index}] += w * {tag}_k{r}")
        lines.append(f"Y_{tag}[{r}, {index}] = X_{tag}[{r}, {index}] + adt * {tag}_k{r}")
    return lines


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
