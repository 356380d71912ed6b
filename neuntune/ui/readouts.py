"""The tuner's readouts as HTML: the metrics under the live plots (spikes, rates,
coupling, synchrony, synaptic responses), a network's population metrics, the
pairwise-CC summary and a junction's conductance readout, with the units each
quantity is shown in (µS and nS for conductances, MΩ for resistances, Hz, mV)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from .controls import ENTRY_DIGITS
from .metrics import LiveMetrics
from .population import NetworkMetrics, PairwiseCouplingModel
from .widgets import format_number, response_table, table


def format_conductance(g_ms: float, name: str = "g") -> str:
    """A conductance given in mS as µS and nS, with its resistance R = 1/g in MΩ, to
    the digits the entries show (:data:`~neuntune.ui.controls.ENTRY_DIGITS`)."""
    resistance = "∞" if g_ms == 0 else format_number(1e-3 / g_ms, ENTRY_DIGITS)
    return (
        f"{name} = {format_number(g_ms * 1e3, ENTRY_DIGITS)} µS = "
        f"{format_number(g_ms * 1e6, ENTRY_DIGITS)} nS · R = 1/{name} = {resistance} MΩ"
    )


def marks_html(mark: str, off_scale: str) -> str:
    """A control's marks (see :class:`~neuntune.ui.controls.Control`) as HTML."""
    return "<br>".join(
        f'<span class="nt-hint">⚠ {html.escape(text)}</span>' for text in (mark, off_scale) if text
    )


def describe_spec(spec: Any) -> str:
    """A distribution as its repr (``Uniform(low=-70.0, high=-50.0, seed=1)``), an array
    as 'one value per member'."""
    return "one value per member" if isinstance(spec, np.ndarray) else repr(spec)


def format_cc(cc: float | None, measured: bool) -> str:
    """A junction's CC; "…" marks a value being re-measured (``measured`` False)."""
    value = format_number(cc)
    if measured:
        return value
    return "…" if cc is None else f"{value} …"


def metrics_html(metrics: LiveMetrics | None) -> str:
    """The metrics panel: spikes and rates, coupling, synchrony, synaptic responses."""
    if metrics is None:
        return ""
    parts = [
        table(
            ["cell", "spikes", "rate (Hz)"],
            [[c, str(m.spikes), f"{m.rate:.1f}"] for c, m in metrics.cells.items()],
        )
    ]
    if metrics.junctions:
        parts.append(
            table(
                ["junction", "CC pre→post", "CC post→pre", "passive g/(gL+g) pre→post", "post→pre"],
                [
                    [
                        name,
                        format_cc(j.cc_forward, j.cc_measured),
                        format_cc(j.cc_backward, j.cc_measured),
                        format_number(j.passive_forward),
                        format_number(j.passive_backward),
                    ]
                    for name, j in metrics.junctions.items()
                ],
            )
        )
    if metrics.pairs:
        parts.append(
            table(
                ["pair", "Pearson r of V", "mean |V₁−V₂| (mV)"],
                [
                    [f"{a}–{b}", format_number(p.r), f"{p.mean_abs_dv:.2f}"]
                    for (a, b), p in metrics.pairs.items()
                ],
            )
        )
    parts.append(response_table(metrics.synapses))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in metrics.notes)
    return (
        '<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
        + "".join(parts)
        + "</div>"
        + (f'<ul class="nt-notes">{notes}</ul>' if notes else "")
    )


def network_metrics_html(metrics: NetworkMetrics | None) -> str:
    """The metrics panel of a network: per population its spikes, mean rate, ISI CV
    and Golomb's synchrony χ."""
    if metrics is None:
        return ""
    rows = []
    for name, p in metrics.populations.items():
        chi = "—" if p.chi is None else format_number(p.chi, 3)
        if p.chi is not None and p.chi_members > 1:
            chi += f" (χ√N = {format_number(p.chi * p.chi_members**0.5, 3)})"
        rows.append(
            [
                name,
                str(p.size),
                str(p.spikes),
                f"{p.mean_rate:.1f}",
                "—" if p.cv is None else f"{p.cv:.3f} ({p.cv_cells} cells)",
                chi,
            ]
        )
    start, stop = metrics.window
    parts = [
        table(
            ["population", "cells", "spikes", "mean rate (Hz)", "ISI CV", "synchrony χ"],
            rows,
            caption=f"{format_number(start)}–{format_number(stop)} ms",
            css="nt-population-metrics",
        ),
        '<p class="nt-hint">χ (Golomb): variance of the population-averaged voltage over '
        "the mean variance of single cells, square-rooted: 1 when all cells move together, "
        "about 1/√N when they are independent (χ√N ≈ 1). CV: standard deviation over mean "
        "of each cell's interspike intervals (cells with ≥ 3 spikes), averaged.</p>",
    ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in metrics.notes)
    return "".join(parts) + (f'<ul class="nt-notes">{notes}</ul>' if notes else "")


def coupling_html(job: PairwiseCouplingModel) -> str:
    """What the pairwise-CC histogram shows, in numbers: how many directed pairs from
    how many injected cells, mean, median and range of the CC, the passive-pair
    estimate, and whether the values have changed since."""
    result, h = job.result, job.histogram
    if result is None or h is None:
        return (
            '<span class="nt-hint">Measure to see the distribution of CC = ΔV target / '
            "ΔV source over the pairs this connection joins (BMTool's protocol: stimuli "
            "removed, from rest, a −10 pA step for 500 ms into one cell at a time, all "
            "injected cells in one batched run).</span>"
        )
    injected = sum(len(v) for v in result.injected.values())
    taking_part = sum(result.members.values())
    rows = [
        [
            result.connection,
            str(h.n),
            f"{injected} of {taking_part}",
            format_number(h.mean, 4),
            format_number(h.median, 4),
            f"{format_number(h.low, 4)}–{format_number(h.high, 4)}",
            format_number(h.passive, 4),
        ]
    ]
    header = ["connection", "directed pairs", "cells injected", "mean CC", "median", "range"]
    parts = [
        table([*header, "passive estimate"], rows, css="nt-pairwise-cc"),
        '<p class="nt-hint">Passive estimate: g/(g_L + g) per pair, with g_L = gl·area of '
        "the receiving cell, averaged: exact for passive cells joined all to all by one g; "
        "an active cell at rest has its own slope conductance, and the rest of a network "
        "can shunt a pair, so the measured CC differs."
        + (
            f" Only {injected} of the {taking_part} cells were injected (a seeded sample): "
            "raise “Cells injected” for more."
            if result.sampled
            else ""
        )
        + "</p>",
    ]
    if job.stale:
        parts.append(
            '<p class="nt-hint nt-cc-stale">⚠ The cells or junctions have changed since this '
            "was measured: measure again.</p>"
        )
    return "".join(parts)


#: Why a junction's live CC and its passive estimate differ (under its readout).
CC_EXPLAINED = (
    '<span class="nt-hint">CC is measured as BMTool does: stimuli off, cells at rest, a '
    "small step into one cell, ΔV<sub>target</sub>/ΔV<sub>source</sub>. The passive "
    "estimate g/(g<sub>L</sub> + g) counts only the leak; channels open at rest (HH: K "
    "and Na) change the cell's own conductance, and with it the measured CC.</span>"
)
