"""Right-hand-side assembly: one stage of the coupled system, as loops over instances.

A stage zeroes every cell's input, adds each stimulus group's current into its
target cells, lets each connection group compute its currents (into its post and,
for gap junctions, its pre cells) and its own slopes, and then lets each cell group
compute its slopes.  What a group does with a slope (the next stage's state, or the
step's result) is the integration method's business: :func:`stage_lines` asks an
``update`` callback for those lines, at the end of each instance's loop body.

Generated names: ``P_c0[row, i]`` (parameters), ``D_c0`` (derived values),
``X_c0[row, i]`` (committed states), ``Y_c0`` (a stage's states), ``I_c0[i]`` (a
cell's input current, µA); locals ``c0_p3``, ``c0_d1``, ``c0_x2``, ``c0_<name>``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from ..models.equations import CONSTANTS, LINEAR, closure, derivative, linearity, names
from .groups import Group, NetworkLayout
from .optimise import optimise
from .program import Program
from .render import Renderer

#: The loop index of each kind of group.
INDEX = {"cell": "i", "connection": "m", "stimulus": "k"}

#: update(group, stage, name_of, index) -> the lines that consume the stage's slopes
Update = Callable[[Group, int | None, Callable[[str], str], str], list[str]]


@dataclass
class Context:
    """What every part of the generator shares."""

    layout: NetworkLayout
    method: str
    precision: str
    render: Renderer
    mode: str = "step"  # events at step boundaries, or "exact" (steps split at them)
    params: dict[str, list[str]] = field(default_factory=dict)  # a function's arrays
    programs: dict[str, Program] = field(default_factory=dict)  # per group tag

    def c(self, value: float | Fraction) -> str:
        """A precision-typed constant."""
        return self.render.const(value)


def namer(g: Group, state: Callable[[int], str], t: str) -> Callable[[str], str]:
    """Symbols of ``g``'s equations as locals of its loop body."""
    d, tag = g.definition, g.tag

    def name_of(symbol: str) -> str:
        if symbol in g.slot.params:
            return f"{tag}_p{g.slot.params[symbol]}"
        if symbol in g.slot.derived:
            return f"{tag}_d{g.slot.derived[symbol]}"
        if symbol in g.slot.states:
            return state(g.slot.states[symbol])
        if symbol in d.equations.assignments or symbol[:1].isdigit():  # or a temporary
            return f"{tag}_{symbol}"
        if symbol == "t":
            return t
        if symbol == "I_in":
            return f"{tag}_Iin"
        if symbol in ("v_pre", "v_post", "v"):
            return f"{tag}_{symbol}"
        raise KeyError(f"{d.name}: cannot resolve {symbol!r}")

    return name_of


def state_local(g: Group) -> Callable[[int], str]:
    return lambda r: f"{g.tag}_x{r}"


def loads(g: Group, lines: list[str], index: str) -> list[str]:
    """Load the parameters and derived values ``lines`` read, for instance ``index``."""
    text = "\n".join(lines)
    out = [f"{g.tag}_p{r} = P_{g.tag}[{r}, {index}]" for r in rows(text, f"{g.tag}_p")]
    out += [f"{g.tag}_d{r} = D_{g.tag}[{r}, {index}]" for r in rows(text, f"{g.tag}_d")]
    return out


def rows(text: str, prefix: str) -> list[int]:
    """The row numbers of the locals ``{prefix}{row}`` that ``text`` reads."""
    return sorted({int(m) for m in re.findall(rf"\b{re.escape(prefix)}(\d+)\b", text)})


def program(ctx: Context, g: Group) -> Program:
    """``g``'s equations optimised (:mod:`~neuntune.engine.optimise`), made once per
    module; its derivatives are rendered wherever the declared ones are."""
    made = ctx.programs.get(g.tag)
    if made is None:
        eqs = g.definition.equations
        made = ctx.programs[g.tag] = optimise(
            eqs, set(g.slot.derived) - set(g.slot.once), ctx.precision, g.slot.once
        )
        for state, expr in eqs.derivatives.items():
            ctx.render.rewrite(expr, made.derivatives[state])
    return made


def intermediates(
    ctx: Context, g: Group, wanted: set[str], name_of: Callable[[str], str]
) -> list[str]:
    """The intermediates ``wanted`` and the derivatives need, with the temporaries they
    read (derived ones are loaded)."""
    made = program(ctx, g)
    return [
        f"{name_of(n)} = {ctx.render.expr(made.assignments[n], name_of)}"
        for n in made.needed(wanted)
    ]


def derivative_names(g: Group) -> set[str]:
    """Every symbol the state derivatives read."""
    used: set[str] = set()
    for expr in g.definition.equations.derivatives.values():
        used |= names(expr)
    return used


def all_names(g: Group) -> set[str]:
    """Every symbol the equations read."""
    eqs = g.definition.equations
    used: set[str] = set()
    for expr in [*eqs.assignments.values(), *eqs.derivatives.values()]:
        used |= names(expr)
    return used


def evolving(g: Group) -> list[int]:
    """State rows with a derivative (the others change only at events)."""
    return [g.slot.states[v] for v in g.definition.equations.derivatives]


def linear_rows(g: Group) -> set[int]:
    """State rows whose derivative is linear in the state itself."""
    eqs = g.definition.equations
    return {
        g.slot.states[v]
        for v, e in eqs.derivatives.items()
        if linearity(e, v, eqs.assignments) <= 1
    }


def inert(g: Group) -> bool:
    """A connection group without dynamics or current (its events act on the post
    cell): nothing to evaluate between events."""
    eqs = g.definition.equations
    current = eqs.assignments.get("I_post")
    return (
        not eqs.derivatives
        and "I_pre" not in eqs.assignments
        and isinstance(current, ast.Constant)
        and current.value == 0
    )


def matrix_coupled(layout: NetworkLayout, g: Group) -> bool:
    """A connection group whose currents are affine in the two voltages with
    coefficients from parameters only (a gap junction), within one cell group: in a
    dense network its currents are a matrix times the voltages (``GM``, ``GC``), which
    vectorises where the scatter over connections cannot."""
    if g.kind != "connection" or g.pre != g.post or g.event_driven or g.slot.states:
        return False
    eqs = g.definition.equations
    currents = [c for c in ("I_post", "I_pre") if c in eqs.assignments]
    allowed = set(g.slot.params) | set(g.slot.derived) | set(eqs.assignments)
    allowed |= {"v_pre", "v_post"} | set(CONSTANTS)
    for c in currents:
        expr = eqs.assignments[c]
        if not closure(names(expr), eqs.assignments) <= allowed:
            return False
        if any(linearity(expr, v, eqs.assignments) > LINEAR for v in ("v_pre", "v_post")):
            return False
    return bool(currents) and layout.cells[g.pre].voltage_row >= 0


def coupling_setup(ctx: Context, g: Group) -> list[str]:
    """Fill ``GM``/``GC`` from the connections (when the run chose the matrix): each
    current's intercept and its slopes in v_pre and v_post, by evaluating it at
    (0, 0), (1, 0) and (0, 1) mV."""
    tag = g.tag
    eqs = g.definition.equations
    currents = [c for c in ("I_post", "I_pre") if c in eqs.assignments]
    name_of = namer(g, state_local(g), ctx.c(0.0))
    calc = intermediates(ctx, g, set(currents), name_of)
    body = [f"i = PRE_{tag}[m]", f"j = POST_{tag}[m]", *loads(g, calc, "m")]
    for point, (pre, post) in enumerate(((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))):
        body += [f"{tag}_v_pre = {ctx.c(pre)}", f"{tag}_v_post = {ctx.c(post)}", *calc]
        body += [f"e{point}_{c} = {tag}_{c}" for c in currents]
    body += [
        f"nn = GM_{tag}.shape[1]",
        "bb = j // nn",
        "il = i - bb * nn",
        "jl = j - bb * nn",
        f"GC_{tag}[j] += e0_I_post",
        f"GM_{tag}[bb, jl, il] += e1_I_post - e0_I_post",
        f"GM_{tag}[bb, jl, jl] += e2_I_post - e0_I_post",
    ]
    if "I_pre" in currents:
        body += [
            f"GC_{tag}[i] += e0_I_pre",
            f"GM_{tag}[bb, il, il] += e1_I_pre - e0_I_pre",
            f"GM_{tag}[bb, il, jl] += e2_I_pre - e0_I_pre",
        ]
    return [
        f"if GM_{tag}.shape[0] > 0:",
        f"    GM_{tag}[:] = {ctx.c(0.0)}",
        f"    GC_{tag}[:] = {ctx.c(0.0)}",
        f"    for m in range(n_{tag}):",
        *indent(body, 2),
    ]


def _matrix_lines(layout: NetworkLayout, g: Group, s: int | None) -> list[str]:
    """The group's currents as ``GM`` times the voltages, plus ``GC``, per member."""
    cell, tag = layout.cells[g.pre], g.tag
    v = f"{stage_state(cell, s)}[{cell.voltage_row}, o + q]"
    return [
        f"nn = GM_{tag}.shape[1]",
        f"for bb in range(GM_{tag}.shape[0]):",
        "    o = bb * nn",
        "    for r in range(nn):",
        f"        acc = GC_{tag}[o + r]",
        "        for q in range(nn):",
        f"            acc += GM_{tag}[bb, r, q] * {v}",
        f"        I_{cell.tag}[o + r] += acc",
    ]


#: The stage ``s`` of a stage written once inside a loop over stages (``st``, after
#: the first stage): it reads its states from ``Y``.
LOOPED = None


def stage_state(g: Group, s: int | None) -> str:
    """The array holding ``g``'s states at stage ``s``."""
    return f"X_{g.tag}" if s == 0 else f"Y_{g.tag}"


def state_loads(g: Group, s: int | None, index: str) -> list[str]:
    """Load instance ``index``'s states at stage ``s`` (event-only states from X)."""
    moving = set(evolving(g))
    return [
        f"{g.tag}_x{r} = {stage_state(g, s) if r in moving else f'X_{g.tag}'}[{r}, {index}]"
        for r in g.slot.states.values()
    ]


def is_clamp(g: Group) -> bool:
    """An ideal voltage clamp: a stimulus that sets its cell's voltage (V_command)."""
    return g.kind == "stimulus" and "V_command" in g.definition.equations.assignments


def clamp_of(layout: NetworkLayout, cell: Group) -> Group | None:
    """The clamp group holding instances of ``cell`` (at most one per cell group)."""
    clamps = [g for g in layout.stimuli if is_clamp(g) and layout.cells[g.pre] is cell]
    return clamps[0] if clamps else None


def command_lines(ctx: Context, array: Callable[[Group], str], t: str) -> list[str]:
    """Every clamp's command voltage at ``t`` into its cell's voltage in ``array``
    (while its gain is on), and ``CLK`` (the clamp holding a cell, or −1)."""
    lines = []
    for g in ctx.layout.stimuli:
        if not is_clamp(g):
            continue
        cell = ctx.layout.cells[g.pre]
        name_of = namer(g, state_local(g), t)
        calc = intermediates(ctx, g, {"V_command"}, name_of)
        body = [f"i = TGT_{g.tag}[k]", *loads(g, calc, "k"), *calc]
        body += [
            f"if GAIN_{g.tag}[k] > {ctx.c(0.0)}:",
            f"    {array(cell)}[{cell.voltage_row}, i] = {g.tag}_V_command",
            f"    CLK_{cell.tag}[i] = k",
            "else:",
            f"    CLK_{cell.tag}[i] = -1",
        ]
        lines += [f"for k in range(n_{g.tag}):", *indent(body)]
    return lines


def clamp_adjust(ctx: Context, g: Group, index: str) -> list[str]:
    """For a clamped cell: its clamp's current, the one that would otherwise have
    charged it, I = −k_v/(∂k_v/∂I_in) (positive depolarises, as NEURON's SEClamp
    reports it); then its voltage's slope is 0."""
    clamp = clamp_of(ctx.layout, g) if g.kind == "cell" else None
    if clamp is None:
        return []
    r, d = g.voltage_row, g.definition
    gain = derivative(d.equations.derivatives[d.voltage], "I_in", d.equations.assignments)
    name_of = namer(g, state_local(g), "t")
    return [
        f"ck = CLK_{g.tag}[{index}]",
        "if ck >= 0:",
        f"    IO_{clamp.tag}[ck] = -{g.tag}_k{r} / ({ctx.render.expr(gain, name_of)})",
        f"    {g.tag}_k{r} = {ctx.c(0.0)}",
    ]


def stage_lines(
    ctx: Context, s: int | None, ts: str, update: Update, outputs: bool = False
) -> list[str]:
    """Stage ``s`` at time ``ts`` (``s`` :data:`LOOPED`: any stage, inside the loop over
    stages): every group's loop over its instances.  With
    ``outputs`` each connection and stimulus also writes its current to ``IO`` (and a
    gap junction its pre-cell current to ``IP``), for recording."""
    layout = ctx.layout
    lines = command_lines(ctx, lambda g: stage_state(g, s), ts)
    for g in layout.cells:
        if g.voltage_row >= 0:
            lines += [f"for i in range(n_{g.tag}):", f"    I_{g.tag}[i] = zero"]
    for g in layout.stimuli:
        if is_clamp(g):
            continue
        cell = layout.cells[g.pre]
        body = []
        if "v" in all_names(g):
            body.append(f"{g.tag}_v = {stage_state(cell, s)}[{cell.voltage_row}, i]")
        name_of = namer(g, state_local(g), ts)
        body += state_loads(g, s, "k")
        calc = intermediates(ctx, g, {"I"}, name_of)
        body += loads(g, calc, "k") + calc
        body.append(f"{g.tag}_I = {g.tag}_I * GAIN_{g.tag}[k]")  # 0 while finding rest
        if outputs:
            body.append(f"IO_{g.tag}[k] = {g.tag}_I")
        body.append(f"I_{cell.tag}[i] += {g.tag}_I")
        loop = [f"for k in range(n_{g.tag}):", f"    i = TGT_{g.tag}[k]", *indent(body)]
        if not outputs:  # recording: the scatter (in order, vectorised, it cost more)
            loop = [
                f"if dense_{g.tag}:",
                f"    for k in range(n_{g.tag}):",
                "        i = k",
                *indent(body, 2),
                "else:",
                *indent(loop),
            ]
        lines += loop
    for g in layout.connections:
        if inert(g):
            continue
        pre, post = layout.cells[g.pre], layout.cells[g.post]
        currents = {"I_post"} | ({"I_pre"} & set(g.definition.equations.assignments))
        body = [f"i = PRE_{g.tag}[m]", f"j = POST_{g.tag}[m]"]
        used = all_names(g)
        if "v_pre" in used:
            body.append(f"{g.tag}_v_pre = {stage_state(pre, s)}[{pre.voltage_row}, i]")
        if "v_post" in used:
            body.append(f"{g.tag}_v_post = {stage_state(post, s)}[{post.voltage_row}, j]")
        name_of = namer(g, state_local(g), ts)
        body += state_loads(g, s, "m")
        calc = intermediates(ctx, g, currents | derivative_names(g), name_of)
        calc += update(g, s, name_of, "m")
        body += loads(g, calc, "m") + calc
        body.append(f"I_{post.tag}[j] += {g.tag}_I_post")
        if "I_pre" in currents:
            body.append(f"I_{pre.tag}[i] += {g.tag}_I_pre")
        if outputs:
            body.append(f"IO_{g.tag}[m] = {g.tag}_I_post")
            if "I_pre" in currents:
                body.append(f"IP_{g.tag}[m] = {g.tag}_I_pre")
        loop = [f"for m in range(n_{g.tag}):", *indent(body)]
        if matrix_coupled(layout, g) and not outputs:
            loop = [
                f"if GM_{g.tag}.shape[0] > 0:",
                *indent(_matrix_lines(layout, g, s)),
                "else:",
                *indent(loop),
            ]
        lines += loop
    for g in layout.cells:
        if not g.slot.states:
            continue
        name_of = namer(g, state_local(g), ts)
        consume = update(g, s, name_of, "i")
        if outputs and not consume:  # no clamp: the cells have no current to record
            continue
        body = state_loads(g, s, "i")
        if g.voltage_row >= 0:
            body.append(f"{g.tag}_Iin = I_{g.tag}[i]")
        calc = intermediates(ctx, g, derivative_names(g), name_of) + consume
        body += loads(g, calc, "i") + calc
        lines += [f"for i in range(n_{g.tag}):", *indent(body)]
    return lines


def indent(lines: list[str], levels: int = 1) -> list[str]:
    return ["    " * levels + line for line in lines]
