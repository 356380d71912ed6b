"""Events in the population engine: spikes, resets, delayed synaptic events, per-step noise.

After each step every cell's crossing of its threshold (its reset, for cells that
have one) is located within the step from the voltage before, its initial slope
and the voltage after, and written to the spike buffer (``SPKC``: global cell
number, ``SPKT``: time).  A cell with a reset is re-integrated alone from its
crossing, the reset applied exactly there (see :mod:`neuntune.engine.integrate`).

Event-driven connections: each connection element watches its pre cells at its own
threshold (or their resets); a spike enters a history ring of the last
``max delay / dt + 1`` steps (``HIST``), and each step every connection whose delay
in whole steps is up applies its ``on_pre`` statements at the step's end (as Brian2
and BrainPy deliver).  Connections are found by source through ``ROW``/``ORDER``
(sorted by delay), so delivery costs in proportion to the spikes and their fan-out.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models.equations import Statement
from .groups import Group
from .integrate import locally
from .rhs import INDEX, Context, indent

#: Per event-driven group: its connections by source, delays in steps, sources and the ring.
EVENT_ARRAYS = ("ORDER", "ROW", "DSTEP", "MINDLY", "PLO", "PHI", "PTHR", "SRCOFF", "HIST", "HISTN")


def statements(
    ctx: Context,
    g: Group,
    body: list[Statement],
    index: str,
    state: Callable[[int], str],
    t: str,
    prefix: str,
    param: Callable[[int], str] | None = None,
) -> list[str]:
    """Statements on one instance: parameters read from P (or through ``param``, given
    a row), states through ``state``; a connection's ``x_post`` is state x of its post
    cell; other targets are locals."""
    local_names: dict[str, str] = {"dt": "DT"}
    if g.kind == "connection":
        post = ctx.layout.cells[g.post]
        for name, row in post.slot.states.items():
            local_names[f"{name}_post"] = f"X_{post.tag}[{row}, POST_{g.tag}[{index}]]"
    if "release" not in {s.target for s in body}:
        local_names["release"] = ctx.c(1.0)

    def name_of(symbol: str) -> str:
        if symbol in local_names:
            return local_names[symbol]
        if symbol in g.slot.params:
            row = g.slot.params[symbol]
            return f"P_{g.tag}[{row}, {index}]" if param is None else param(row)
        if symbol in g.slot.states:
            return state(g.slot.states[symbol])
        if symbol == "t":
            return t
        raise KeyError(f"{g.definition.name}: a statement cannot read {symbol!r}")

    lines = []
    for stmt in body:
        value = ctx.render.expr(stmt.expr, name_of)
        if stmt.target in g.slot.states or stmt.target.endswith("_post"):
            target = name_of(stmt.target)
            op = "" if stmt.op == "=" else f"{target} {stmt.op} "
            lines.append(f"{target} = {op}{value}")
        else:
            local_names[stmt.target] = f"{prefix}_{stmt.target}"
            lines.append(f"{local_names[stmt.target]} = {value}")
    return lines


def threshold(ctx: Context, g: Group) -> str:
    """A cell group's spike threshold for instance ``i`` (its reset, if it has one)."""
    d = g.definition
    if d.reset_threshold is None:
        return ctx.c(d.spike_threshold)

    def name_of(symbol: str) -> str:
        if symbol in g.slot.params:
            return f"P_{g.tag}[{g.slot.params[symbol]}, i]"
        raise KeyError(f"{d.name}: a reset threshold reads parameters only, not {symbol!r}")

    return ctx.render.expr(d.reset_threshold, name_of)


def record_spike(ctx: Context, g: Group, time: str) -> list[str]:
    """Write instance ``i`` of cell group ``g``'s spike at ``time`` to the spike buffer
    (``SPKC``: the cell's global number, ``COFF`` being each group's first)."""
    q = ctx.layout.cells.index(g)
    return [
        "s = SPKN[0]",
        f"SPKC[s] = COFF[{q}] + i",
        f"SPKT[s] = {time}",
        "SPKN[0] = s + 1",
        f"FIRE_{g.tag}[i] = step",
    ]


def deliver(ctx: Context, g: Group, q: int, time: str, exact: bool) -> list[str]:
    """Connection ``m`` of event-driven group ``g`` (the ``q``-th) receives an event at
    ``time``: its on_pre statements; in exact mode its pulse's end is queued (the
    step is split there); logged values go to the event log."""
    d, tag = g.definition, g.tag
    lines = statements(ctx, g, d.on_pre, "m", lambda r: f"X_{tag}[{r}, m]", time, f"e_{tag}")
    if exact and d.pulse:
        lines.append(
            f"heap_push(HT, HK, HI, HN, {time} + P_{tag}[{g.slot.params[d.pulse]}, m], -1, 0)"
        )
    if d.logged:
        lines += [
            "ln = LOGN[0]",
            f"LOGQ[ln] = {q}",
            "LOGM[ln] = m",
            f"LOGT[ln] = {time}",
            *[f"LOGV[ln, {c}] = e_{tag}_{name}" for c, name in enumerate(d.logged)],
            "LOGN[0] = ln + 1",
        ]
    return lines


def event_groups(ctx: Context) -> list[Group]:
    """The event-driven connection groups, in the order their codes number them."""
    return [g for g in ctx.layout.connections if g.event_driven]


def source_lines(ctx: Context) -> list[str]:
    """Step mode: spike sources (cells that are lists of times) fire what falls in the step."""
    lines = []
    for g in ctx.layout.cells:
        if not g.listed:
            continue
        body = [
            f"while SRCP_{g.tag}[i] < SRCHI_{g.tag}[i] and SRCT_{g.tag}[SRCP_{g.tag}[i]] <= tn:",
            *indent(record_spike(ctx, g, f"SRCT_{g.tag}[SRCP_{g.tag}[i]]")),
            f"    SRCP_{g.tag}[i] += 1",
        ]
        lines += [f"for i in range(n_{g.tag}):", *indent(body)]
    return lines


def cell_event_lines(ctx: Context) -> list[str]:
    """Locate and record every cell's spike in the step just taken; reset and re-integrate
    the cells that have a reset; finish the steps in which a refractory period ends."""
    lines = []
    for g in ctx.layout.cells:
        if g.voltage_row < 0:
            continue
        tag, d = g.tag, g.definition
        n = len(g.slot.states)
        arrays = f"P_{tag}, D_{tag}, IA_{tag}, I_{tag}, REF_{tag}, i, DT"
        body = [
            f"vo = VO_{tag}[i]",
            f"vn = X_{tag}[{g.voltage_row}, i]",
            f"thr = {threshold(ctx, g)}",
            "if vo < thr and vn >= thr:",
            f"    tx = t + crossing(vo, SL_{tag}[i], vn, thr, DT)",
            *indent(record_spike(ctx, g, "tx")),
        ]
        if locally(ctx, g):
            restart = [f"xs = np.empty({n}, F)", *[f"xs[{q}] = XO_{tag}[{q}, i]" for q in range(n)]]
            store = [f"X_{tag}[{q}, i] = xs[{q}]" for q in range(n)]
            event = list(restart)
            if d.reset_threshold is not None:
                event.append(f"local_{tag}(t, tx - t, t, xs, {arrays})")
                event += statements(ctx, g, d.on_spike, "i", lambda q: f"xs[{q}]", "tx", "rs")
            if d.refractory:
                event.append(f"REF_{tag}[i] = tx + P_{tag}[{g.slot.params[d.refractory]}, i]")
            event += [f"finish_{tag}(tx, t, xs, {arrays})", *store]
            body += indent(event)
            if d.refractory:
                body += [
                    f"elif REF_{tag}[i] > t and REF_{tag}[i] < t + DT:",
                    *indent([*restart, f"finish_{tag}(t, t, xs, {arrays})", *store]),
                ]
        lines += [f"for i in range(n_{tag}):", *indent(body)]
    return lines


def delivery_lines(ctx: Context) -> list[str]:
    """Event-driven groups: this step's presynaptic spikes into the history ring, then
    every connection whose delay (in steps) is up applies on_pre at ``tn``."""
    lines = []
    for g in ctx.layout.connections:
        if not g.event_driven:
            continue
        tag, pre = g.tag, ctx.layout.cells[g.pre]
        if pre.definition.reset_threshold is not None or pre.listed:
            fired = f"FIRE_{pre.tag}[i] == step"  # a reset (or a listed time) is the spike
        else:
            fired = f"VO_{pre.tag}[i] < thr and X_{pre.tag}[{pre.voltage_row}, i] >= thr"
        apply = deliver(ctx, g, event_groups(ctx).index(g), "tn", exact=False)
        lines += [
            f"depth = HIST_{tag}.shape[0]",
            "slot = step % depth",
            f"HISTN_{tag}[slot] = 0",
            f"for p in range(PLO_{tag}.shape[0]):",
            f"    thr = PTHR_{tag}[p]",
            f"    for i in range(PLO_{tag}[p], PHI_{tag}[p]):",
            f"        if {fired}:",
            f"            HIST_{tag}[slot, HISTN_{tag}[slot]] = SRCOFF_{tag}[p] + i - PLO_{tag}[p]",
            f"            HISTN_{tag}[slot] += 1",
            "for dly in range(min(depth, step + 1)):",
            "    sl = (step - dly) % depth",
            f"    for q in range(HISTN_{tag}[sl]):",
            f"        src = HIST_{tag}[sl, q]",
            f"        for r in range(ROW_{tag}[src], ROW_{tag}[src + 1]):",
            f"            m = ORDER_{tag}[r]",
            f"            ds = DSTEP_{tag}[m]",
            "            if ds > dly:",
            "                break",
            "            if ds == dly:",
            *indent(apply, 4),
        ]
    return lines


def per_step_lines(ctx: Context) -> list[str]:
    """on_step statements (noise) after each step; ``randn()`` draws from a counter-based
    generator keyed by (seed, the instance's stream, step, draw), so runs do not depend
    on chunking and every instance has its own stream."""
    lines = []
    for g in ctx.layout.groups():
        d = g.definition
        if not d.on_step:
            continue
        index = INDEX[g.kind]
        seed = f"P_{g.tag}[{g.slot.params['seed']}, {index}]" if "seed" in g.slot.params else "0"
        ctx.render.random = (seed, f"STREAM_{g.tag}[{index}]")
        body = statements(
            ctx,
            g,
            d.on_step,
            index,
            lambda q, g=g, index=index: f"X_{g.tag}[{q}, {index}]",
            "tn",
            f"u_{g.tag}",
        )
        ctx.render.random = None
        lines += [f"for {index} in range(n_{g.tag}):", *indent(body)]
    return lines
