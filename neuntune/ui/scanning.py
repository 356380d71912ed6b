"""The Scan tab's model: a metric over a 1-D or 2-D grid of parameter values (no panel).

The grid runs through :func:`neuntune.scan` (every point a member of one batched
run) with the tuner's run settings, on this model's worker thread.  Ranges are
entered in the unit the control shows (µS for a gap junction's g); a point of the
result is loaded into the tuner as one undoable change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import param

from ..analysis.synapse import chemical_connections
from ..circuit import Circuit
from ..protocols.defaults import DT, DURATION, SETTLE
from ..simulate import check_run
from ..sweep import ScanResult, metric_spec, scan
from .jobs import Job, Progress
from .metrics import coupling_cells
from .state import TunerModel

#: No second parameter.
NONE = "—"
#: Largest scan the page starts: points × steps (about 3 minutes of a 2-cell HH circuit)…
MAX_MEMBER_STEPS = 500_000_000
#: …and recorded bytes (every point's traces are held until its metric is taken).
MAX_BYTES = 1_000_000_000
#: Steps of one coupling-protocol run (neuntune.protocols: settle, then the probe).
CC_STEPS = math.ceil((SETTLE + DURATION) / DT)

#: Synapse metrics a scan can take (keys of SynapseResponse.event/.train), with labels.
SYNAPSE_METRICS = {
    "peak": "first peak",
    "decay": "decay τ (ms)",
    "charge": "first charge",
    "paired_pulse_ratio": "PPR A2/A1",
    "induction": "induction",
    "recovery": "recovery",
}


@dataclass(frozen=True)
class MetricChoice:
    """A metric offered by the Scan tab: its name for :func:`neuntune.scan`, and whether
    it runs the coupling protocol instead of the circuit as it is."""

    spec: str
    protocol: bool = False


def metric_choices(circuit: Circuit) -> dict[str, MetricChoice]:
    """The metrics that make sense for ``circuit``, by label."""
    voltage = [name for name, n in circuit.neurons.items() if n.resolved().voltage]
    # pair metrics, the coupling protocol and synapse responses read single cells
    cells = [name for name in voltage if circuit.size(name) == 1]
    populations = [name for name in voltage if circuit.size(name) > 1]
    out: dict[str, MetricChoice] = {}
    for a in populations:
        out[f"χ synchrony of {a} (Golomb)"] = MetricChoice(f"chi:{a}")
        out[f"mean rate of {a} (Hz per member)"] = MetricChoice(f"rate:{a}")
        out[f"spikes of {a} (all members)"] = MetricChoice(f"spikes:{a}")
    for i, a in enumerate(cells):
        for b in cells[i + 1 :]:
            out[f"synchrony {a}–{b} (Pearson r of V)"] = MetricChoice(f"synchrony:{a},{b}")
            out[f"mean |V{a} − V{b}| (mV)"] = MetricChoice(f"mean_abs_diff:{a},{b}")
    for a in cells:
        out[f"rate of {a} (Hz)"] = MetricChoice(f"rate:{a}")
        out[f"spikes of {a}"] = MetricChoice(f"spikes:{a}")
    _, pairs = coupling_cells(circuit)
    for pre, post in sorted(pairs):
        if pre not in cells or post not in cells:
            continue
        for a, b in ((pre, post), (post, pre)):
            out[f"CC {a}→{b} (coupling protocol)"] = MetricChoice(f"cc:{a}->{b}", protocol=True)
    for name in chemical_connections(circuit):
        conn = circuit.connections[name]
        if circuit.size(conn.pre) > 1 or circuit.size(conn.post) > 1:
            continue
        for key, label in SYNAPSE_METRICS.items():
            out[f"{name}: {label}"] = MetricChoice(f"{key}:{name}")
    return out


class ScanModel(Job):
    """A scan's settings and its latest result."""

    x = param.Selector(default=None, objects=[], label="Parameter")
    x_from = param.Number(default=0.0, label="From")
    x_to = param.Number(default=1.0, label="To")
    x_count = param.Integer(default=20, bounds=(2, 200), label="Points")
    x_log = param.Boolean(default=False, label="log")
    y = param.Selector(default=NONE, objects=[NONE], label="Second parameter")
    y_from = param.Number(default=0.0, label="From")
    y_to = param.Number(default=1.0, label="To")
    y_count = param.Integer(default=10, bounds=(2, 200), label="Points")
    y_log = param.Boolean(default=False, label="log")
    metric = param.Selector(default=None, objects=[], label="Metric")
    result = param.ClassSelector(class_=ScanResult, default=None, allow_None=True)

    def __init__(self, tuner: TunerModel, **params) -> None:
        super().__init__(**params)
        self.tuner = tuner
        paths = [p for p, c in tuner.controls.items() if c.has_slider]
        self.choices = metric_choices(tuner.circuit)
        self.param.x.objects = paths
        self.param.y.objects = [NONE, *paths]
        self.param.metric.objects = list(self.choices)
        self.param.watch(self._axis_defaults, ["x", "y"])
        self.param.update(x=self._first(paths), metric=next(iter(self.choices), None))
        self.shown: tuple[str, ...] = ()  # the paths of the result's axes
        self.shown_logs = (False, False)  # and whether each was log-spaced

    def _first(self, paths: list[str]) -> str | None:
        """The first hinted parameter (what the preset's author tunes), else the first."""
        hinted = [p for p in self.tuner.hints if p in paths]
        return (hinted or paths or [None])[0]

    def _axis_defaults(self, *events: param.parameterized.Event) -> None:
        """A new parameter's range is its slider's, in the unit the slider shows."""
        for event in events:
            if event.new in (None, NONE):
                continue
            control = self.tuner.controls[event.new]
            low, high = control.param.position.bounds
            if control.log:
                low, high = 10.0**low, 10.0**high
            self.param.update(
                {
                    f"{event.name}_from": low,
                    f"{event.name}_to": high,
                    f"{event.name}_log": control.log,
                }
            )

    def axes(self) -> dict[str, np.ndarray]:
        """The grid, in declared units, by path."""
        out = {}
        for axis in ("x", "y"):
            path = getattr(self, axis)
            if path in (None, NONE):
                continue
            low, high = getattr(self, f"{axis}_from"), getattr(self, f"{axis}_to")
            count, log = getattr(self, f"{axis}_count"), getattr(self, f"{axis}_log")
            if log and (low <= 0 or high <= 0):
                raise ValueError(f"{path}: a log range needs From and To > 0")
            if low == high:
                raise ValueError(f"{path}: From and To are equal")
            shown = np.geomspace(low, high, count) if log else np.linspace(low, high, count)
            out[path] = shown / self.tuner.controls[path].display.factor
        if len(out) == 2 and self.x == self.y:
            raise ValueError("choose two different parameters (or none as the second)")
        return out

    def budget(self, axes: dict[str, np.ndarray], choice: MetricChoice) -> str:
        """Why the scan is too large for the page, or "" if it is not.  A metric taken
        from running sums (synchrony) stores no traces."""
        points = math.prod(len(a) for a in axes.values())
        steps = CC_STEPS if choice.protocol else check_run(self.tuner.t_stop, self.tuner.dt)[3]
        result = self.tuner.result
        spec = None if choice.protocol else metric_spec(self.tuner.circuit, choice.spec)
        if spec is not None and spec.from_sums is not None:
            rows = 0
        elif result is None:
            rows = sum(self.tuner.circuit.sizes.values())
        else:  # a population's voltages are one row per member
            rows = sum(1 if v.ndim == 1 else len(v) for v in result.v.values())
        needed = points * (steps + 1) * rows * 8
        if points * steps > MAX_MEMBER_STEPS:
            return (
                f"Not run: {points:,} points × {steps:,} steps is over the page's budget of "
                f"{MAX_MEMBER_STEPS:,}; use fewer points or a shorter run (t_stop, dt)."
            )
        if needed > MAX_BYTES:
            return (
                f"Not run: {points:,} points would record {needed / 1e9:.1f} GB of traces "
                f"(budget {MAX_BYTES / 1e9:g} GB); use fewer points or a shorter run."
            )
        return ""

    def run(self) -> None:
        """Scan on the worker thread with the tuner's run settings."""
        try:
            axes = self.axes()
        except ValueError as exc:
            self.refuse(str(exc))
            return
        if not axes or self.metric is None:
            self.refuse("Choose a parameter and a metric.")
            return
        choice = self.choices[self.metric]
        refusal = self.budget(axes, choice)
        if refusal:
            self.refuse(refusal)
            return
        circuit, run = self.tuner.circuit.copy(), self.tuner.preset.run
        settings = dict(
            t_stop=self.tuner.t_stop, dt=self.tuner.dt, method=self.tuner.method,
            precision=run.precision, init=run.init,
        )  # fmt: skip
        label, paths, logs = self.metric, tuple(axes), (self.x_log, self.y_log)

        def work(progress: Progress) -> ScanResult:
            return scan(circuit, axes, choice.spec, progress=progress, **settings)

        def done(result: ScanResult) -> str:
            result.metric = label  # the label the page shows, not the callable's name
            self.shown, self.shown_logs = paths, logs
            self.result = result
            return f"{result.values.size} points"

        self.start("Scanning", work, done)

    def csv(self) -> str:
        """The shown result as CSV: one row per grid point, each parameter in the unit
        its control (and the plot's axis) shows, named in the header ("gj.g (µS)"),
        then the metric under its label; "" before the first result."""
        result = self.result
        if result is None:
            return ""
        columns: dict[str, np.ndarray] = {}
        for path in self.shown:
            display = self.tuner.controls[path].display
            header = f"{path} ({display.unit})" if display.unit else path
            columns[header] = result.params[path].ravel() * display.factor
        columns[result.metric] = np.asarray(result.values, float).ravel()
        lines = [",".join(_csv_field(name) for name in columns)]
        lines += [
            ",".join(f"{value:.10g}" for value in row)
            for row in zip(*columns.values(), strict=True)
        ]
        return "\n".join(lines) + "\n"

    def load(self, index: int) -> dict[str, float]:
        """Set the tuner to grid point ``index`` (flat, in C order) of the shown result,
        as one undoable change; returns the values set (declared units)."""
        grids = self.result.params
        values = {path: float(grids[path].flat[index]) for path in self.shown}
        self.tuner.set_many(values)
        return values


def _csv_field(text: str) -> str:
    """``text`` as one CSV field (quoted if it holds a comma or a quote)."""
    if any(c in text for c in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
