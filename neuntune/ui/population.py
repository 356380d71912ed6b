"""The tuner on circuits with populations: what a live run records, what the browser
is sent (raster, population rate, a few members' voltages) and the population
metrics, measured with :mod:`neuntune.analysis.population`; and, for gap-junction
connections, the distribution of pairwise coupling coefficients, measured on demand
by :class:`PairwiseCouplingModel` (a job on its own thread, so the live runs go on)
with :func:`neuntune.pairwise_coupling` (no panel here).

A live network run records the voltage of one contiguous block of each population's
members, ``pop[lo:hi].v`` (a Result holds one block per population): the block
spanning the members chosen for display and, as far as :data:`RECORD_VALUES`
allows, the rest, so that Golomb's χ is computed from the whole population rather
than from the few members on screen (recording is cheap next to the run: a
100-cell network records 2·10⁶ values in 200 ms at dt 0.01).
Spikes of every member are always found by the engine, so the raster, the rates
and the CVs cover every member whatever is recorded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import param

from .. import analysis
from ..circuit import Circuit
from ..fit.gap import MAX_SOURCES, PairwiseCoupling, gap_junctions, pairwise_coupling
from ..result import Result, n_samples
from .decimate import minmax_decimate
from .jobs import Job, Progress

if TYPE_CHECKING:
    from .state import TunerModel

#: Members whose voltage is shown by default, per population: the first few.
MEMBERS_SHOWN = 3
#: Most members shown per population (each is a line on the traces plot).
MAX_SHOWN = 10
#: Most voltage values one live run records, over every population (8 bytes each):
#: 4·10⁶ values are 32 MB, the whole of a 200-cell population over 20 000 samples.
RECORD_VALUES = 4_000_000
#: The population rate's bin (ms) for runs up to :data:`RATE_BINS` ms; longer runs
#: get :data:`RATE_BINS` bins.  Smoothed with a Gaussian of one bin's width.
RATE_BIN = 1.0
RATE_BINS = 2000

Traces = dict[str, tuple[np.ndarray, np.ndarray]]


def voltage_populations(circuit: Circuit) -> list[str]:
    """The cells (populations of any size) with a membrane voltage, in circuit order."""
    return [name for name, neuron in circuit.neurons.items() if neuron.resolved().voltage]


def default_members(circuit: Circuit) -> dict[str, tuple[int, ...]]:
    """The members shown when the tuner opens: the first :data:`MEMBERS_SHOWN` of each."""
    return {
        name: tuple(range(min(MEMBERS_SHOWN, circuit.size(name))))
        for name in voltage_populations(circuit)
    }


def parse_members(text: str, n: int, population: str) -> tuple[int, ...]:
    """Member indices from text such as ``"0, 1, 5-7"`` (ranges inclusive), checked
    against the population's ``n`` members and :data:`MAX_SHOWN`.  Raises ValueError
    naming the population, what was wrong and what is allowed."""
    chosen: list[int] = []
    for part in filter(None, (p.strip() for p in str(text).replace(";", ",").split(","))):
        match = re.fullmatch(r"(\d+)\s*(?:[-–:]\s*(\d+))?", part)
        if match is None:
            raise ValueError(
                f"{population} members: {part!r} is not a member index; write indices and "
                "ranges such as 0, 1, 5-7"
            )
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low:
            raise ValueError(f"{population} members: {part!r} runs backwards")
        if high >= n:
            raise ValueError(
                f"{population} members: {high} is out of range; {population} has {n} "
                f"members (0 to {n - 1})"
            )
        if high - low + 1 > MAX_SHOWN:
            raise ValueError(f"{population} members: at most {MAX_SHOWN} are shown")
        chosen += [k for k in range(low, high + 1) if k not in chosen]
    if len(chosen) > MAX_SHOWN:
        raise ValueError(f"{population} members: at most {MAX_SHOWN} are shown")
    return tuple(sorted(chosen))


def format_members(members: tuple[int, ...]) -> str:
    """``(0, 1, 2)`` as the text :func:`parse_members` reads back: ``"0, 1, 2"``."""
    return ", ".join(str(k) for k in members)


@dataclass(frozen=True)
class RecordPlan:
    """What one live run records: ``record`` (for :func:`neuntune.simulate`), one
    sample in ``record_every`` steps, and per population the recorded block of
    members ``(lo, hi)`` (``lo`` to ``hi − 1``)."""

    record: list[str]
    record_every: int
    recorded: dict[str, tuple[int, int]] = field(default_factory=dict)


def record_plan(
    circuit: Circuit, members: dict[str, tuple[int, ...]], n_steps: int, max_samples: int
) -> RecordPlan:
    """Record ``pop[lo:hi].v`` per population: the block spans the shown ``members``
    and grows, as far as :data:`RECORD_VALUES` allows, to the whole population (for
    χ; upwards first, the budget shared in proportion to the members left out).
    ``record_every`` keeps each trace at most ``max_samples`` long and the total
    within the budget (shown members far apart make a wide block: it is then thinned
    in time rather than left out)."""
    every = max(1, math.ceil(n_steps / (max_samples - 1)))
    blocks = {}
    for name in voltage_populations(circuit):
        shown = members.get(name, ())
        blocks[name] = (min(shown), max(shown) + 1) if shown else (0, 0)
    width = sum(hi - lo for lo, hi in blocks.values())
    while width * n_samples(n_steps, every) > RECORD_VALUES:
        every *= 2
    budget = max(RECORD_VALUES // n_samples(n_steps, every) - width, 0)
    # What is left is shared in proportion to the members each population has not
    # recorded yet, so that every population's χ rests on a sample of it.
    missing = {name: circuit.size(name) - (hi - lo) for name, (lo, hi) in blocks.items()}
    total = sum(missing.values())
    for name, (lo, hi) in blocks.items():
        share = missing[name] if total <= budget else budget * missing[name] // total
        up = min(circuit.size(name) - hi, share)
        down = min(lo, share - up)
        blocks[name] = (lo - down, hi + up)
    recorded = {name: block for name, block in blocks.items() if block[1] > block[0]}
    record = [f"{name}[{lo}:{hi}].v" for name, (lo, hi) in recorded.items()]
    return RecordPlan(record, every, recorded)


def spikes_of(result: Result, population: str) -> tuple[np.ndarray, np.ndarray]:
    """(member index, time in ms) of a population's spikes; a single cell is member 0."""
    spikes = result.spikes.get(population)
    if spikes is None:
        return np.zeros(0, np.int64), np.zeros(0)
    if isinstance(spikes, tuple):  # Spikes(i, t)
        return np.asarray(spikes.i, np.int64), np.asarray(spikes.t, float)
    times = np.asarray(spikes, float)
    return np.zeros(len(times), np.int64), times


def voltages_of(result: Result, population: str) -> tuple[np.ndarray, np.ndarray]:
    """(member indices, voltages shaped (members, samples)) recorded for a population."""
    v = result.v.get(population)
    if v is None:
        return np.zeros(0, np.int64), np.zeros((0, len(result.t)))
    if v.ndim == 1:
        return np.zeros(1, np.int64), v[None, :]
    return np.asarray(result.members[population], np.int64), v


def stack_offsets(circuit: Circuit) -> dict[str, int]:
    """Where each population's member 0 sits on the raster's y axis (populations stacked)."""
    offsets, at = {}, 0
    for name in circuit.neurons:
        offsets[name] = at
        at += circuit.size(name)
    return offsets


def rate_settings(t_stop: float) -> tuple[float, float]:
    """(bin, Gaussian σ) in ms for the population rate of a run of ``t_stop`` ms."""
    width = max(RATE_BIN, t_stop / RATE_BINS)
    return width, width


def network_traces(
    result: Result, circuit: Circuit, members: dict[str, tuple[int, ...]], points: int
) -> Traces:
    """What the browser draws, as float32 (x, y) pairs by key:

    - ``"raster:pop"``: spike times (ms) and the spiking member's row (its index plus
      the population's :func:`stack_offsets`);
    - ``"rate:pop"``: the population rate (Hz per cell) at bin centres (ms);
    - ``"v:pop[k]"``: member k's voltage (mV), min/max-decimated to ``points``.
    """
    out: Traces = {}
    t = result.t
    window = (0.0, float(t[-1]))
    width, sigma = rate_settings(window[1])
    offsets = stack_offsets(circuit)
    f32 = np.float32
    for name in circuit.neurons:
        i, times = spikes_of(result, name)
        out[f"raster:{name}"] = (times.astype(f32), (i + offsets[name]).astype(f32))
        if window[1] > 0:
            rate = analysis.population_rate(
                i, times, circuit.size(name), window, bin=width, smooth=sigma
            )
            out[f"rate:{name}"] = (rate.t.astype(f32), rate.rate.astype(f32))
    for name, shown in members.items():
        recorded, v = voltages_of(result, name)
        row = {int(k): r for r, k in enumerate(recorded)}
        for k in shown:
            if k in row:
                x, y = minmax_decimate(t, v[row[k]], points)
                out[f"v:{name}[{k}]"] = (x.astype(f32), y.astype(f32))
    return out


@dataclass(frozen=True)
class PopulationMetrics:
    """One population's metrics over the run.

    ``size``: members; ``spikes``: spikes of all members; ``mean_rate``: mean rate
    per cell (Hz, silent cells included); ``cv``: mean ISI CV over the ``cv_cells``
    members with ≥ 3 spikes (dimensionless; None if none has); ``chi``/``chi2``:
    Golomb's synchrony χ and χ² of the voltages of ``chi_members`` members (None
    without at least two recorded members or with constant voltages).
    """

    size: int
    spikes: int
    mean_rate: float
    cv: float | None
    cv_cells: int
    chi: float | None
    chi2: float | None
    chi_members: int


@dataclass(frozen=True)
class NetworkMetrics:
    """Metrics of a network run: per population (:class:`PopulationMetrics`), the
    ``window`` (ms) they were measured over, and ``notes`` on what they leave out."""

    populations: dict[str, PopulationMetrics]
    window: tuple[float, float]
    notes: tuple[str, ...] = ()


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def network_metrics(result: Result, circuit: Circuit) -> NetworkMetrics:
    """Mean rate, ISI CV and Golomb's χ of every population in ``result``."""
    window = (0.0, float(result.t[-1]))
    populations = {}
    notes = []
    for name in circuit.neurons:
        n = circuit.size(name)
        i, times = spikes_of(result, name)
        rate = analysis.mean_rate(i, times, n, window) if window[1] > 0 else math.nan
        cvs = analysis.cell_cvs(i, times, n)
        finite = cvs[np.isfinite(cvs)]
        recorded, v = voltages_of(result, name)
        chi = chi2 = None
        if len(recorded) >= 2 and v.shape[1] >= 2:
            sync = analysis.golomb_synchrony(v)
            chi, chi2 = _number(sync.chi), _number(sync.chi2)
            if len(recorded) < n:
                notes.append(
                    f"{name}: χ from members {recorded[0]}–{recorded[-1]} of 0–{n - 1} (the "
                    "recording budget of a live run)"
                )
        populations[name] = PopulationMetrics(
            size=n,
            spikes=len(times),
            mean_rate=float(rate),
            cv=_number(float(np.mean(finite))) if len(finite) else None,
            cv_cells=len(finite),
            chi=chi,
            chi2=chi2,
            chi_members=len(recorded) if chi is not None else 0,
        )
    return NetworkMetrics(populations, window, tuple(notes))


# ------------------------------------------------------------ pairwise coupling
#: Most bins of the pairwise-CC histogram.
CC_BINS = 40
#: Threads the dashboard's pairwise-CC measurement uses (the live runs use another).
LIVE_WORKERS = 1


@dataclass(frozen=True)
class CouplingHistogram:
    """The histogram of a :class:`~neuntune.PairwiseCoupling`'s CC values: bin
    ``centres`` and ``widths`` (dimensionless CC), ``counts`` (directions per bin),
    the ``mean``, ``median``, ``low`` and ``high`` of the values, and ``passive`` —
    the mean passive-pair estimate g/(g_L + g), None where the cells declare no leak."""

    centres: np.ndarray
    widths: np.ndarray
    counts: np.ndarray
    n: int
    mean: float
    median: float
    low: float
    high: float
    passive: float | None


def coupling_histogram(result: PairwiseCoupling, bins: int = CC_BINS) -> CouplingHistogram:
    """Bin ``result.values`` into at most ``bins`` bins (about √n of them, at least 5).

    All values alike (a uniform network gives one CC) make one bar, 2 % of the value
    wide, rather than an empty range."""
    values = result.values
    passive = result.passive
    passive = passive[np.isfinite(passive)]
    estimate = float(np.mean(passive)) if len(passive) else None
    if len(values) == 0:
        empty = np.zeros(0)
        nan = math.nan
        return CouplingHistogram(empty, empty, np.zeros(0, np.int64), 0, nan, nan, nan, nan,
                                 estimate)  # fmt: skip
    low, high = float(np.min(values)), float(np.max(values))
    count = int(min(bins, max(5, round(math.sqrt(len(values))))))
    spread = high - low
    if spread <= 1e-6 * max(abs(high), 1e-12):
        half = max(0.01 * abs(high), 1e-9)
        edges = np.array([low - half, high + half])
    else:
        edges = np.linspace(low, high, count + 1)
    counts, edges = np.histogram(values, bins=edges)
    return CouplingHistogram(
        centres=(edges[:-1] + edges[1:]) / 2,
        widths=np.diff(edges),
        counts=counts,
        n=len(values),
        mean=float(np.mean(values)),
        median=float(np.median(values)),
        low=low,
        high=high,
        passive=estimate,
    )


def _coupling_values(circuit: Circuit) -> tuple:
    """What a pairwise-CC measurement depends on: every value of the cells and the
    connections (the protocol removes the stimuli)."""
    key: list[Any] = []
    for path in circuit.parameters():
        if path.rsplit(".", 1)[0] in circuit.stimuli:
            continue
        value = circuit.get(path)
        key.append((path, value.tobytes() if isinstance(value, np.ndarray) else value))
    return tuple(key)


class PairwiseCouplingModel(Job):
    """The distribution of pairwise coupling coefficients across one gap-junction
    connection of the network being tuned, measured on demand (:meth:`run`) with
    :func:`neuntune.pairwise_coupling` — BMTool's step protocol, one batched run
    with one member per injected cell — on this job's own thread, with progress and
    Cancel, while the live runs go on.  ``stale`` says the cells or junctions have
    changed since ``result`` was measured."""

    connection = param.Selector(default=None, objects=[], doc="the gap-junction connection")
    sources = param.Integer(
        default=MAX_SOURCES,
        bounds=(1, None),
        label="Cells injected",
        doc="at most this many members are probed (a seeded sample beyond it)",
    )
    result = param.ClassSelector(class_=PairwiseCoupling, default=None, allow_None=True)
    histogram = param.ClassSelector(class_=CouplingHistogram, default=None, allow_None=True)
    stale = param.Boolean(default=False, doc="values changed since the result was measured")

    def __init__(self, tuner: TunerModel, **params: Any) -> None:
        super().__init__(**params)
        self.tuner = tuner
        names = gap_junctions(tuner.circuit)
        self.param.connection.objects = names
        if names:
            self.connection = names[0]
        self._measured: tuple | None = None  # the values the result was measured with
        tuner.param.watch(self._check_stale, "result")
        self.param.watch(self._check_stale, "connection")

    def _check_stale(self, *_events: param.parameterized.Event) -> None:
        if self.result is None:
            return
        changed = self.result.connection != self.connection or (
            self._measured != _coupling_values(self.tuner.circuit)
        )
        if changed != self.stale:
            self.stale = changed

    def run(self) -> None:
        """Measure the chosen connection's pairwise CC for the current values."""
        if self.connection is None:
            self.refuse("This circuit has no gap-junction connection.")
            return
        circuit, connection, sources = self.tuner.circuit.copy(), self.connection, self.sources
        measured = _coupling_values(circuit)

        def work(progress: Progress) -> tuple[PairwiseCoupling, CouplingHistogram]:
            # One thread: the live runs (one thread each) keep a core of their own, so
            # a slider moved meanwhile redraws as fast as before.
            found = pairwise_coupling(
                circuit, connection, max_sources=sources, workers=LIVE_WORKERS,
                progress=progress,
            )  # fmt: skip
            return found, coupling_histogram(found)

        def done(found: tuple[PairwiseCoupling, CouplingHistogram]) -> str:
            result, histogram = found
            self._measured = measured
            self.param.update(result=result, histogram=histogram, stale=False)
            self._check_stale()
            injected = sum(len(v) for v in result.injected.values())
            return f"CC of {histogram.n} directed pairs from {injected} injected cells"

        self.start(f"Measuring the pairwise CC of {connection}", work, done)
