"""What a run hands back: :class:`Raw` (recorded traces, spikes, event logs for every
batch member) and the decoding of the kernel's spike and event buffers into each
member's spikes (ms) and logged events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .groups import NetworkLayout
from .recording import Recordable


@dataclass
class Raw:
    """What a run produced, for every batch member."""

    rec: np.ndarray  # (columns, samples): member b's trace j is column b·J + j
    n_steps: int
    recordings: list[Recordable]
    spikes: list[dict[str, np.ndarray | tuple]]  # [member][cell] times, or (i, t)
    events: list[dict[str, dict[str, np.ndarray]]]  # [member][connection] log
    moments: np.ndarray | None = None  # (member, voltage cell, 2 + cells)
    states: dict[str, np.ndarray] = field(default_factory=dict)  # final X per group


def member_spikes(
    layout: NetworkLayout,
    batch: int,
    offsets: np.ndarray,
    cells: list[np.ndarray],
    times: list[np.ndarray],
) -> list[dict]:
    """Each batch member's spikes, by cell element: times (ms), or (index, times) for a
    population, from the kernel's drained buffers (global cell ids, times); ``offsets``
    is each cell group's first global id."""
    ids = np.concatenate(cells) if cells else np.zeros(0, np.int64)
    at = np.concatenate(times) if times else np.zeros(0)
    out: list[dict] = [{} for _ in range(batch)]
    for q, g in enumerate(layout.cells):
        first = offsets[q]
        mine = (ids >= first) & (ids < first + batch * g.n)
        instance, when = ids[mine] - first, at[mine]
        member, local_index = np.divmod(instance, max(g.n, 1))
        for name, start, count in g.elements:
            inside = (local_index >= start) & (local_index < start + count)
            for b in range(batch):
                pick = inside & (member == b)
                index, t = local_index[pick] - start, when[pick]
                order = np.argsort(t, kind="stable")
                out[b][name] = t[order] if count == 1 else (index[order], t[order])
    return out


def member_events(layout: NetworkLayout, batch: int, logs: list[tuple]) -> list[dict]:
    """Each batch member's logged events, by connection: {"t": times (ms), each logged
    value, and "i" (the connection index) for a population}, from the kernel's drained
    event logs (group, instance, time, values)."""
    out: list[dict] = [{} for _ in range(batch)]
    event_groups = [g for g in layout.connections if g.event_driven]
    for q, g in enumerate(event_groups):
        if not g.definition.logged:
            continue
        parts = [(m[qq == q], t[qq == q], v[qq == q]) for qq, m, t, v in logs]
        m = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        t = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        v = (
            np.concatenate([p[2] for p in parts])
            if parts
            else np.zeros((0, len(g.definition.logged)))
        )
        member, local_index = np.divmod(m, max(g.n, 1))
        for name, start, count in g.elements:
            for b in range(batch):
                pick = (member == b) & (local_index >= start) & (local_index < start + count)
                order = np.argsort(t[pick], kind="stable")
                entry = {"t": t[pick][order]}
                for c, logged in enumerate(g.definition.logged):
                    entry[logged] = v[pick][order, c]
                if count > 1:
                    entry["i"] = local_index[pick][order] - start
                out[b][name] = entry
    return out
