"""Parameter scans: ``scan(circuit, {"gj.g": values, "a.gna": values2}, metric=...)``.

Every grid point is a member of one batched run (vectorised across members and
split over threads), or, given a dask.distributed ``Client`` (or a scheduler
address), chunks of the grid are spread over the cluster's workers.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import analysis
from .analysis.synapse import (
    EVENT_METRICS,
    TRAIN_FIELDS,
    chemical_connections,
    connection_response,
    response_record,
)
from .circuit import Circuit
from .protocols.coupling import coupling_protocol, measure_coupling, run_probes
from .result import Spikes
from .simulate import CancelledError, Result, Sums, simulate_batch, sum_batch

Metric = Callable[[Result], float]

#: Metrics of a chemical connection's response, "name:connection" (the fit's target
#: names, :mod:`neuntune.analysis.synapse`).
SYNAPSE_METRICS = (*EVENT_METRICS, *TRAIN_FIELDS)


@dataclass(frozen=True)
class MetricSpec:
    """A named metric: how to measure a :class:`Result`, and whether it needs the
    coupling protocol (``protocol`` = (source, target)) instead of the circuit as is."""

    name: str
    measure: Metric
    record: tuple[str, ...] = ("v",)
    protocol: tuple[str, str] | None = None
    #: the same metric from the voltages' sums (:class:`Sums`, one member given by
    #: its index), so a scan that keeps no traces need not store them
    from_sums: Callable[[Sums, int], float] | None = None
    #: the metric given also the member's scanned values ({path: value}), for a
    #: metric that depends on a parameter the run does not report (a synapse's delay)
    with_values: Callable[[Result, Mapping[str, float]], float] | None = None


def _cells(circuit: Circuit, text: str, count: int, metric: str) -> list[str]:
    """The cells a metric names; without names, the circuit's first ``count`` cells,
    which only a metric of two cells may assume (a one-cell metric of a circuit with
    several cells must say which: "rate" alone would quietly pick the first)."""
    cells = list(circuit.neurons)
    if not text and count == 1 and len(cells) > 1:
        raise ValueError(
            f"metric {metric!r}: name the cell, e.g. {metric}:{cells[0]} "
            f"(cells: {', '.join(cells)})"
        )
    names = [n.strip() for n in text.split(",") if n.strip()] if text else cells[:count]
    if len(names) != count or any(n not in circuit.neurons for n in names):
        raise ValueError(
            f"metric {metric!r}: needs {count} cell name(s) from {', '.join(circuit.neurons)}"
        )
    return names


def _connection(circuit: Circuit, text: str, metric: str) -> str:
    """The chemical connection a synapse metric names; without a name, the circuit's
    only one.  It must join one cell to one cell (its response is one trace)."""
    chemical = chemical_connections(circuit)
    name = text.strip() or (chemical[0] if len(chemical) == 1 else "")
    if name not in chemical:
        kind = metric.partition(":")[0]
        raise ValueError(
            f"metric {metric!r}: name a chemical connection, e.g. {kind}:"
            f"{chemical[0] if chemical else 'syn'} "
            f"(chemical connections: {', '.join(chemical) or 'none'})"
        )
    post = circuit.connections[name].post
    if circuit.size(name) != 1 or circuit.size(post) != 1:
        raise ValueError(
            f"metric {metric!r}: {name} makes {circuit.size(name)} connections onto "
            f"{circuit.size(post)} cell(s); a synapse metric needs one connection onto one cell"
        )
    return name


def _pearson_of(a: str, b: str) -> Callable[[Sums, int], float]:
    """Pearson correlation of cells a's and b's voltages from the summed voltages."""

    def measure(sums: Sums, member: int) -> float:
        i, j = sums.cells.index(a), sums.cells.index(b)
        m = sums.moments[member]
        return analysis.pearson_from_sums(
            sums.n, m[i, 1], m[j, 1], m[i, 2 + i], m[j, 2 + j], m[i, 2 + j]
        )

    return measure


def metric_spec(circuit: Circuit, metric: str | Metric) -> MetricSpec:
    """Resolve a metric name into a :class:`MetricSpec`.

    Names: ``"synchrony[:a,b]"`` (Pearson correlation of two voltages, the Neun
    docs' measure; default the first two cells), ``"mean_abs_diff[:a,b]"`` (mean
    |v_a − v_b|, mV), ``"rate:a"`` (Hz; a population's mean rate per member),
    ``"spikes:a"`` (count; a population's: all members'; the cell may be left out
    only when the circuit has one), ``"chi:pop"`` (Golomb's synchrony χ of a
    population's voltages), ``"cc:a->b"``
    (coupling coefficient from the standard protocol, see
    :func:`neuntune.coupling_coefficient`).

    Synapse metrics, ``"name:syn"`` for chemical connection ``syn`` (which may be left
    out when the circuit has one), measured as
    :func:`neuntune.analysis.connection_response` does on the run: on the clamp current
    of the post cell if a voltage clamp holds it (µA, negative for EPSCs), else on its
    voltage (mV).  The first event's ``peak`` (µA or mV, signed), ``latency``,
    ``rise`` (10–90 %), ``decay`` (τ), ``half_width`` (ms) and ``charge`` (µA·ms = nC,
    or mV·ms); the train's ``paired_pulse_ratio`` (A2/A1), ``ppr`` (BMTool's
    (A2 − A1)/P90), ``induction`` and ``recovery`` (dimensionless; see
    :class:`neuntune.analysis.TrainMetrics`).  NaN where the run has too few events
    for a metric.  The names are :func:`neuntune.fit.synapse.fit_synapse`'s targets.

    A callable taking a Result is used as is.
    """
    if callable(metric):
        return MetricSpec(getattr(metric, "__name__", "metric"), metric, record=())
    if not isinstance(metric, str):
        raise TypeError(f"metric: expected a name or a callable, got {metric!r}")
    kind, _, arg = metric.partition(":")
    if kind == "synchrony":
        a, b = _cells(circuit, arg, 2, metric)
        return MetricSpec(
            metric, lambda r: analysis.pearson(r.v[a], r.v[b]), from_sums=_pearson_of(a, b)
        )
    if kind == "mean_abs_diff":
        a, b = _cells(circuit, arg, 2, metric)
        return MetricSpec(metric, lambda r: analysis.mean_abs_difference(r.v[a], r.v[b]))
    if kind in ("rate", "spikes"):
        (a,) = _cells(circuit, arg, 1, metric)
        members = circuit.size(a)

        def count(r: Result) -> float:
            spikes = r.spikes[a]
            return float(len(spikes.t if isinstance(spikes, Spikes) else spikes))

        if kind == "spikes":  # a population's: all its members'
            return MetricSpec(metric, count)
        # a population's: the mean rate of its members
        return MetricSpec(metric, lambda r: 1000.0 * count(r) / members / r.t[-1])
    if kind == "chi":
        (a,) = _cells(circuit, arg, 1, metric)
        if circuit.size(a) < 2:
            raise ValueError(f"metric {metric!r}: {a} is one cell; χ needs a population")
        return MetricSpec(
            metric, lambda r: analysis.golomb_synchrony(r.v[a]).chi, record=(f"{a}.v",)
        )
    if kind == "cc":
        match = re.fullmatch(r"\s*(\w+)\s*->\s*(\w+)\s*", arg)
        if not match or any(c not in circuit.neurons for c in match.groups()):
            raise ValueError(f"metric {metric!r}: write cc:source->target with two cell names")
        source, target = match.groups()
        return MetricSpec(metric, lambda r: r, protocol=(source, target))
    if kind in SYNAPSE_METRICS:
        name = _connection(circuit, arg, metric)

        def response(r: Result, values: Mapping[str, float] | None = None) -> float:
            measured = connection_response(circuit, r, name, (values or {}).get(f"{name}.delay"))
            return math.nan if measured is None else measured.metric(kind)

        record = (response_record(circuit, name),)
        return MetricSpec(metric, response, record=record, with_values=response)
    raise ValueError(
        f"metric {metric!r}: unknown; use synchrony[:a,b], mean_abs_diff[:a,b], rate:a, "
        f"spikes:a, chi:pop, cc:a->b, a synapse metric ({', '.join(SYNAPSE_METRICS)}):syn "
        "or a callable"
    )


#: The most grid points one scan takes (each is one member of a batched run).
MAX_POINTS = 1_000_000


def parse_axis(text: str, max_points: int = MAX_POINTS) -> np.ndarray:
    """Grid values from ``"start:stop:count"`` (linear) or ``"log:start:stop:count"``;
    a count above ``max_points`` is refused before anything is allocated."""
    parts = text.split(":")
    log = parts[0] == "log"
    numbers = parts[1:] if log else parts
    try:
        start, stop, count = float(numbers[0]), float(numbers[1]), int(numbers[2])
        if len(numbers) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise ValueError(
            f"grid {text!r}: expected start:stop:count or log:start:stop:count"
        ) from None
    if count < 1:
        raise ValueError(f"grid {text!r}: count must be ≥ 1")
    if count > max_points:
        raise ValueError(
            f"grid {text!r}: {count} points, over the limit of {max_points} points per scan "
            "(max_points)"
        )
    if log:
        if start <= 0 or stop <= 0:
            raise ValueError(f"grid {text!r}: a log grid needs positive start and stop")
        return np.geomspace(start, stop, count)
    return np.linspace(start, stop, count)


@dataclass
class ScanResult:
    """A scan's grid and metric.

    ``axes`` holds each parameter's 1-D values in grid order; ``values`` is the
    metric with one axis per parameter; ``params[path]`` is that parameter broadcast
    to the grid's shape.  ``results`` keeps the traces when asked for.
    """

    axes: dict[str, np.ndarray]
    values: np.ndarray
    metric: str
    results: list[Result] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def label(self, path: str) -> str:
        unit = self.units.get(path, "")
        return f"{path} ({unit})" if unit and unit != "1" else path

    @property
    def params(self) -> dict[str, np.ndarray]:
        grids = np.meshgrid(*self.axes.values(), indexing="ij")
        return dict(zip(self.axes, grids, strict=True))

    def to_dataframe(self) -> Any:
        """One row per grid point (needs pandas)."""
        import pandas as pd

        columns = {path: grid.ravel() for path, grid in self.params.items()}
        columns[self.metric] = self.values.ravel()
        return pd.DataFrame(columns)

    def table(self) -> list[dict[str, float]]:
        """One dict per grid point: parameters and metric."""
        flat = {path: grid.ravel() for path, grid in self.params.items()}
        return [
            {**{p: float(v[i]) for p, v in flat.items()}, self.metric: float(self.values.flat[i])}
            for i in range(self.values.size)
        ]

    def plot(self, ax: Any = None) -> Any:
        """A line plot (one parameter) or a heat map (two); needs matplotlib."""
        import matplotlib.pyplot as plt

        ax = ax or plt.figure().add_subplot()
        paths = list(self.axes)
        if len(paths) == 1:
            ax.plot(self.axes[paths[0]], self.values, "o-")
            ax.set(xlabel=self.label(paths[0]), ylabel=self.metric)
        else:
            mesh = ax.pcolormesh(
                self.axes[paths[1]], self.axes[paths[0]], self.values, shading="nearest"
            )
            ax.figure.colorbar(mesh, ax=ax, label=self.metric)
            ax.set(xlabel=self.label(paths[1]), ylabel=self.label(paths[0]))
        return ax


def _grid(grid: Mapping[str, Any], max_points: int) -> dict[str, np.ndarray]:
    if not isinstance(grid, Mapping) or not 1 <= len(grid) <= 2:
        raise ValueError("grid: give one or two parameter paths with their values")
    axes = {}
    for path, values in grid.items():
        if isinstance(values, str):
            axis = parse_axis(values, max_points)
        else:
            try:
                axis = np.asarray(values)
            except ValueError:  # ragged nesting
                axis = np.asarray([], dtype=object)
            if axis.dtype.kind not in "iuf" and axis.size:
                raise TypeError(
                    f"grid[{path!r}]: expected numbers or 'start:stop:count', got {values!r}"
                )
            axis = axis.astype(float).ravel()
        if axis.size == 0:
            raise ValueError(f"grid[{path!r}]: no values")
        axes[path] = axis
    points = math.prod(axis.size for axis in axes.values())
    if points > max_points:
        sizes = " × ".join(f"{axis.size} ({path})" for path, axis in axes.items())
        raise ValueError(
            f"grid: {sizes} = {points} points, over the limit of {max_points} points per "
            "scan (max_points)"
        )
    return axes


def _evaluate(
    circuit: Circuit,
    spec: MetricSpec,
    values: Mapping[str, np.ndarray],
    settings: Mapping[str, Any],
    progress: Callable[[float], bool | None] | None = None,
    keep: bool = False,
) -> tuple[np.ndarray, list[Result] | None]:
    """The metric at every member of ``values`` (one batched run)."""
    sums = None
    if spec.protocol is None and spec.from_sums is not None and not keep:
        # samples summed as they are made, never stored (None: the kernel cannot)
        sums = sum_batch(
            circuit, values, settings["t_stop"], settings["dt"], settings["method"],
            settings["precision"], settings["record_every"], settings["init"], progress=progress,
        )  # fmt: skip
    if spec.protocol is not None:
        source, target = spec.protocol
        protocol = coupling_protocol(circuit, source, **settings.get("protocol", {}))
        members = [source] * len(next(iter(values.values())))
        results = run_probes(
            protocol, members, values, settings["dt"], settings["method"], settings["precision"],
            workers=None, progress=progress,
        )  # fmt: skip
        metric = [measure_coupling(r, protocol, source, target) for r in results]
    elif sums is not None:
        metric = [spec.from_sums(sums, member) for member in range(len(sums.moments))]
        results = None
    else:
        results = simulate_batch(
            circuit, values, settings["t_stop"], settings["dt"], settings["method"],
            settings["precision"], record=list(spec.record) or None,
            record_every=settings["record_every"], init=settings["init"], progress=progress,
        )  # fmt: skip
        if spec.with_values is None:
            metric = [spec.measure(r) for r in results]
        else:
            metric = [
                spec.with_values(r, {path: float(v[i]) for path, v in values.items()})
                for i, r in enumerate(results)
            ]
    return np.asarray(metric, dtype=float), (results if keep else None)


def scan(
    circuit: Circuit,
    grid: Mapping[str, Sequence[float] | np.ndarray | str],
    metric: str | Metric = "synchrony",
    t_stop: float = 100.0,
    dt: float = 0.01,
    method: str = "rk4",
    precision: str = "float64",
    record_every: int = 1,
    init: str = "default",
    keep_traces: bool = False,
    client: Any = None,
    chunk: int | None = None,
    progress: Callable[[float], bool | None] | None = None,
    protocol: Mapping[str, float] | None = None,
    max_points: int = MAX_POINTS,
) -> ScanResult:
    """Evaluate ``metric`` over a 1-D or 2-D grid of parameter values.

    ``grid`` maps one or two dotted paths to values (arrays, or "start:stop:count",
    "log:start:stop:count").  ``metric`` is a name (see :func:`metric_spec`) or a
    callable on a :class:`Result`.  The whole grid runs as one batch on this
    machine, or, with ``client`` (a dask.distributed ``Client`` or a scheduler
    address such as "tcp://10.0.0.5:8786"), in chunks of ``chunk`` points on the
    cluster's workers.  ``progress(fraction)`` may return True to cancel.
    ``protocol`` passes options (amplitude, settle, duration) to the CC protocol.
    A grid of more than ``max_points`` points is refused before anything runs.
    The circuit is not changed.
    """
    axes = _grid(grid, max_points)
    units = {}
    for path in axes:
        _, model, param = circuit.resolve(path)
        units[path] = model.parameter_table()[param].unit
    spec = metric_spec(circuit, metric)
    points = list(itertools.product(*axes.values()))
    values = {path: np.array([p[i] for p in points]) for i, path in enumerate(axes)}
    settings = dict(
        t_stop=t_stop, dt=dt, method=method, precision=precision, record_every=record_every,
        init=init, protocol=dict(protocol or {}),
    )  # fmt: skip
    shape = tuple(len(a) for a in axes.values())
    if client is None:
        flat, results = _evaluate(circuit, spec, values, settings, progress, keep_traces)
    else:
        if keep_traces:
            raise ValueError("keep_traces: traces stay on the workers; use it without client")
        flat = _distributed(client, circuit, metric, values, settings, chunk, progress)
        results = None
    name = metric if isinstance(metric, str) else spec.name
    return ScanResult(axes, flat.reshape(shape), name, results, settings, units)


def _chunk_metric(
    circuit: Circuit, metric: str | Metric, values: Mapping[str, np.ndarray], settings: Mapping
) -> np.ndarray:
    """What each dask worker runs: one batched chunk of the grid."""
    return _evaluate(circuit, metric_spec(circuit, metric), values, settings)[0]


@contextlib.contextmanager
def _connected(client: Any) -> Iterator[Any]:
    """``client`` itself, or a dask Client connected to the scheduler address it names
    (closed again when the block ends)."""
    if not isinstance(client, str):
        yield client
        return
    from dask.distributed import Client

    try:
        own = Client(client)
    except ValueError as exc:
        raise ValueError(f"client {client!r}: {exc}") from None
    except OSError as exc:  # refused, unknown host, timed out
        raise ConnectionError(
            f"client: cannot reach a dask scheduler at {client!r} ({exc})"
        ) from None
    with own:
        yield own


def _distributed(
    client: Any,
    circuit: Circuit,
    metric: str | Metric,
    values: Mapping[str, np.ndarray],
    settings: Mapping[str, Any],
    chunk: int | None,
    progress: Callable[[float], bool | None] | None,
) -> np.ndarray:
    """Chunks of the grid as tasks on the cluster's workers; the metric per point."""
    from dask.distributed import as_completed

    n = len(next(iter(values.values())))
    with _connected(client) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = chunk or max(1, math.ceil(n / (2 * workers)))
        bounds = [(lo, min(n, lo + size)) for lo in range(0, n, size)]
        remote = client.scatter(circuit, broadcast=True)
        futures = {
            client.submit(
                _chunk_metric, remote, metric, {p: v[lo:hi] for p, v in values.items()},
                settings, pure=False,
            ): (lo, hi)
            for lo, hi in bounds
        }  # fmt: skip
        out = np.empty(n)
        finished = 0
        for future in as_completed(futures):
            lo, hi = futures[future]
            out[lo:hi] = future.result()
            finished += hi - lo
            if progress is not None and progress(finished / n):
                for other in futures:
                    other.cancel()
                raise CancelledError(f"scan cancelled after {finished} of {n} points")
    return out
