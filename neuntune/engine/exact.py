"""Exact event times: the kernel loop that splits steps where events happen.

For circuits whose events must land exactly (a synapse tuned on a pair, a reset
that must happen at its crossing), each step is cut into pieces at every event:
a delayed synaptic event, the end of a transmitter pulse or of a refractory
period, a listed spike time.  Pending events wait in a heap (:mod:`.heap`).  Each
piece is integrated by ``advance``; if a crossing inside it has an immediate
consequence (a reset, or a delivery due before the piece ends) the piece is
re-integrated up to that moment, so a reset or a synaptic jump happens exactly
when it should and every smooth piece keeps the method's order.

Codes in the heap: ``q ≥ 0`` delivers to connection ``HI`` of the q-th
event-driven group; ``-1`` only splits the step; ``-2 - s`` fires instance ``HI``
of the s-th spike-source group.
"""

from __future__ import annotations

from .events import deliver, event_groups, record_spike, statements, threshold
from .groups import Group
from .rhs import Context, indent


def sources_of(ctx: Context) -> list[Group]:
    """Cell groups that are lists of spike times (no states)."""
    return [g for g in ctx.layout.cells if g.listed]


def watched(ctx: Context) -> list[Group]:
    """Cell groups with a voltage, whose crossings are watched."""
    return [g for g in ctx.layout.cells if g.voltage_row >= 0]


def _fan_out(ctx: Context, pre: Group, time: str) -> list[str]:
    """Queue the events of every connection whose source is instance ``i`` of ``pre``
    (one source per element that starts from it) firing at ``time``: all connections
    of an element fire together, at the reset or listed time of a cell that has one."""
    lines = []
    for q, g in enumerate(event_groups(ctx)):
        if ctx.layout.cells[g.pre] is not pre:
            continue
        delay = g.slot.params["delay"]
        lines += [
            f"for p in range(PLO_{g.tag}.shape[0]):",
            f"    if i >= PLO_{g.tag}[p] and i < PHI_{g.tag}[p]:",
            f"        src = SRCOFF_{g.tag}[p] + i - PLO_{g.tag}[p]",
            f"        for r in range(ROW_{g.tag}[src], ROW_{g.tag}[src + 1]):",
            f"            m = ORDER_{g.tag}[r]",
            f"            heap_push(HT, HK, HI, HN, {time} + P_{g.tag}[{delay}, m], {q}, m)",
        ]
    return lines


def _resets(g: Group) -> bool:
    return g.definition.reset_threshold is not None


def _crossings(ctx: Context) -> list[str]:
    """Where each armed watcher crossed in the piece just integrated (``TXC``: a cell's
    own threshold; ``TXS``: an element's threshold on a cell without a reset; inf
    for none), and ``first``: the earliest moment a crossing acts within the piece."""
    lines = ["first = tc + h"]
    for g in watched(ctx):
        tag, r = g.tag, g.voltage_row
        body = [
            f"TXC_{tag}[i] = inf",
            f"vo = VO_{tag}[i]",
            f"vn = X_{tag}[{r}, i]",
            f"thr = {threshold(ctx, g)}",
            f"if ARMC_{tag}[i] and vo < thr and vn >= thr:",
            f"    TXC_{tag}[i] = tc + crossing(vo, SL_{tag}[i], vn, thr, h)",
        ]
        if _resets(g):
            body.append(f"    first = min(first, TXC_{tag}[i])")
        lines += [f"for i in range(n_{tag}):", *indent(body)]
    for g in event_groups(ctx):
        pre = ctx.layout.cells[g.pre]
        tag = g.tag
        if _resets(pre):
            continue  # its sources fire with the cell's reset (see _emit)
        if pre.listed:
            continue  # spike sources fire from the heap
        body = [
            f"for i in range(PLO_{tag}[p], PHI_{tag}[p]):",
            f"    src = SRCOFF_{tag}[p] + i - PLO_{tag}[p]",
            f"    TXS_{tag}[src] = inf",
            f"    vo = VO_{pre.tag}[i]",
            f"    vn = X_{pre.tag}[{pre.voltage_row}, i]",
            f"    if ARMS_{tag}[src] and vo < thr and vn >= thr:",
            f"        TXS_{tag}[src] = tc + crossing(vo, SL_{pre.tag}[i], vn, thr, h)",
            f"        first = min(first, TXS_{tag}[src] + MINDLY_{tag}[src])",
        ]
        lines += [
            f"for p in range(PLO_{tag}.shape[0]):",
            f"    thr = PTHR_{tag}[p]",
            *indent(body),
        ]
    return lines


def _emit(ctx: Context) -> list[str]:
    """Act on the crossings that happened by ``tn``; re-arm watchers below threshold."""
    lines = []
    for g in watched(ctx):
        tag, d = g.tag, g.definition
        act = [f"ARMC_{tag}[i] = False", *record_spike(ctx, g, f"TXC_{tag}[i]")]
        if _resets(g):
            state = lambda r, tag=tag: f"X_{tag}[{r}, i]"  # noqa: E731
            act += statements(ctx, g, d.on_spike, "i", state, "tn", "rs")
            if d.refractory:
                end = f"TXC_{tag}[i] + P_{tag}[{g.slot.params[d.refractory]}, i]"
                act += [f"REF_{tag}[i] = {end}", f"heap_push(HT, HK, HI, HN, {end}, -1, 0)"]
            act += _fan_out(ctx, g, f"TXC_{tag}[i]")
        body = [
            f"if TXC_{tag}[i] <= tn + tol:",
            *indent(act),
            f"elif X_{tag}[{g.voltage_row}, i] < {threshold(ctx, g)}:",
            f"    ARMC_{tag}[i] = True",
        ]
        lines += [f"for i in range(n_{tag}):", *indent(body)]
    for q, g in enumerate(event_groups(ctx)):
        pre = ctx.layout.cells[g.pre]
        tag = g.tag
        if _resets(pre) or pre.listed:
            continue
        delay = g.slot.params["delay"]
        body = [
            f"for i in range(PLO_{tag}[p], PHI_{tag}[p]):",
            f"    src = SRCOFF_{tag}[p] + i - PLO_{tag}[p]",
            f"    if TXS_{tag}[src] <= tn + tol:",
            f"        ARMS_{tag}[src] = False",
            f"        for r in range(ROW_{tag}[src], ROW_{tag}[src + 1]):",
            f"            m = ORDER_{tag}[r]",
            f"            heap_push(HT, HK, HI, HN, TXS_{tag}[src] + P_{tag}[{delay}, m], {q}, m)",
            f"    elif X_{pre.tag}[{pre.voltage_row}, i] < PTHR_{tag}[p]:",
            f"        ARMS_{tag}[src] = True",
        ]
        lines += [f"for p in range(PLO_{tag}.shape[0]):", *indent(body)]
    return lines


def _dispatch(ctx: Context) -> list[str]:
    """Pop and act on every event due at ``tc``."""
    cases = []
    for q, g in enumerate(event_groups(ctx)):
        cases += [f"if code == {q}:", "    m = idx", *indent(deliver(ctx, g, q, "tc", exact=True))]
    for s, g in enumerate(sources_of(ctx)):
        cases += [
            f"if code == {-2 - s}:",
            "    i = idx",
            *indent(record_spike(ctx, g, "te")),
            *indent(_fan_out(ctx, g, "te")),
            f"    SRCP_{g.tag}[i] += 1",
            f"    if SRCP_{g.tag}[i] < SRCHI_{g.tag}[i]:",
            f"        heap_push(HT, HK, HI, HN, SRCT_{g.tag}[SRCP_{g.tag}[i]], {-2 - s}, i)",
        ]
    return [
        "while HN[0] > 0 and HT[0] <= tc + tol:",
        "    code = HK[0]",
        "    idx = HI[0]",
        "    te = HT[0]",
        "    heap_pop(HT, HK, HI, HN)",
        *indent(cases),
    ]


def first_events(ctx: Context) -> list[str]:
    """At the run's start: every spike source's first time into the heap."""
    lines = []
    for s, g in enumerate(sources_of(ctx)):
        lines += [
            f"for i in range(n_{g.tag}):",
            f"    if SRCP_{g.tag}[i] < SRCHI_{g.tag}[i]:",
            f"        heap_push(HT, HK, HI, HN, SRCT_{g.tag}[SRCP_{g.tag}[i]], {-2 - s}, i)",
        ]
    return lines


def exact_step_lines(
    ctx: Context, advance: list[str], save: list[str], restore: list[str]
) -> list[str]:
    """One grid step from ``t`` to ``t_end``, split at every event."""
    return [
        "tc = t",
        "while True:",
        *indent(_dispatch(ctx)),
        "    if tc >= t_end - tol:",
        "        break",
        "    h = t_end - tc",
        "    if HN[0] > 0 and HT[0] < tc + h:",
        "        h = HT[0] - tc",
        *indent(save),
        # an event acts inside the piece: integrate again only up to it; the crossings
        # found over the whole piece stand (those after the new end are found later)
        "    for attempt in range(2):",
        *indent(advance, 2),
        "        if attempt == 1:",
        "            break",
        *indent(_crossings(ctx), 2),
        "        if first >= tc + h - tol:",
        "            break",
        *indent(restore, 2),
        "        h = first - tc",
        "    tn = tc + h",
        *indent(_emit(ctx)),
        "    tc = tn",
    ]
