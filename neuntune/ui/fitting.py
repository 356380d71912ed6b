"""The Fit tab's models: a gap junction to a target coupling coefficient, and a
chemical synapse to target response metrics and/or a recorded trace (no panel here).

Both run :func:`neuntune.fit_gap_junction` / :func:`neuntune.fit_synapse`
on a copy of the tuner's circuit on their own worker thread; the tuner stays live
meanwhile.  Apply moves the tuner's values to the result, as one undoable change.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import param

from ..fit import GapJunctionFit, fit_gap_junction
from ..fit.synapse import EVENT_METRICS, TRAIN_METRICS, SynapseFit, fit_synapse
from ..models.declarations import initial_parameter
from .controls import Display
from .jobs import Job, Progress
from .protocol_runs import SynapseSettings
from .recording import DataModel
from .state import TunerModel

#: Parameters that are not shape or strength: never offered for a synapse fit.
NOT_FITTED = ("delay", "threshold", "E")
#: Fitted by default when the synapse has them: strength, short-term plasticity, decay.
FIT_BY_DEFAULT = ("g", "Use", "Dep", "Fac", "tau", "tau_d", "tau_d_AMPA", "tau_d_GABAA")
#: Default search range around the current value (factor either way).
SPAN = 10.0


class GapFitModel(Job):
    """Fit a gap junction's conductance g to a target coupling coefficient."""

    junction = param.Selector(default=None, objects=[], doc="the electrical connection")
    direction = param.Selector(default="a->b", objects=["a->b", "b->a", "both"])
    # No bounds on the parameter: a widget would clamp a typed 1.5 to 1 silently; run()
    # refuses it with a message instead (and so does a change, at once).
    target = param.Number(
        default=0.3,
        step=0.01,
        label="Target CC",
        doc="coupling coefficient to reach, strictly between 0 and 1",
    )
    g_low = param.Number(
        default=0.0, label="g from", doc="smallest g the fit may try, in the slider's unit"
    )
    g_high = param.Number(
        default=None,
        allow_None=True,
        label="g to",
        doc="largest g the fit may try, in the slider's unit; empty: automatic (100 times "
        "the receiving cell's own conductance, within what the protocol's step keeps stable)",
    )
    result = param.ClassSelector(class_=GapJunctionFit, default=None, allow_None=True)

    def __init__(self, tuner: TunerModel, junctions: list[str], **params) -> None:
        super().__init__(**params)
        self.tuner = tuner
        self.fitted = ""  # the junction the result belongs to
        self.param.junction.objects = junctions
        self.param.watch(self._name_directions, "junction")
        self.param.watch(self._check_settings, ["target", "g_low", "g_high"])
        if junctions:
            self.junction = junctions[0]
            unit = self.display(junctions[0]).unit
            self.param.g_low.label = f"g from ({unit})"
            self.param.g_high.label = f"g to ({unit}; empty: auto)"

    def _name_directions(self, _event: param.parameterized.Event | None = None) -> None:
        """Direction choices named after the junction's cells ("a → b"), or members
        ("wb[i] → wb[j]": the mean over the pairs) between populations."""
        circuit = self.tuner.circuit
        conn = circuit.connections[self.junction]
        pre, post = conn.pre, conn.post
        if circuit.size(pre) > 1 or circuit.size(post) > 1:
            pre, post = f"{pre}[i]", f"{post}[j]"
        choices = {f"{pre} → {post}": "a->b", f"{post} → {pre}": "b->a", "both (mean)": "both"}
        self.param.direction.objects = choices
        self.direction = "a->b"

    def display(self, junction: str | None = None) -> Display:
        """The unit g is shown in: its control's (µS for the default pair), so the fit's
        table, messages and Apply speak as the slider does."""
        return self.tuner.controls[f"{junction or self.fitted or self.junction}.g"].display

    def settings_error(self) -> str:
        """Why the target or the g bounds cannot be fitted, or ""."""
        target, low, high = self.target, self.g_low, self.g_high
        unit = self.display().unit if self.junction else ""
        if target is None or not 0 < target < 1:
            return (
                f"Target CC must lie strictly between 0 and 1 (got {target}): CC = ΔV₂/ΔV₁ "
                "is 0 without coupling and approaches 1 as g grows."
            )
        if low is None or low < 0:
            return f"g from must be ≥ 0 {unit} (got {low})."
        if high is not None and not high > low:
            return f"g to ({high} {unit}) must be larger than g from ({low} {unit})."
        if high is None and low > 0:
            return f"g from = {low} {unit}: give g to as well (empty means 0 to automatic)."
        return ""

    def _check_settings(self, *_events: param.parameterized.Event) -> None:
        """Say at once when the target or the bounds cannot be fitted (and stop saying
        so once they can)."""
        if self.running:
            return  # the running fit keeps its settings; run() checks the new ones
        message = self.settings_error()
        if message:
            self.refuse(message)
        elif self.error.startswith(_SETTINGS_ERRORS):
            self.error = ""

    def run(self) -> None:
        """Fit on the worker thread; the tuner's circuit is copied, not changed.  The
        previous fit's result is cleared as this one starts: a fit that fails leaves
        nothing stale to apply."""
        message = self.settings_error()
        if message:
            self.refuse(message)
            return
        circuit, junction = self.tuner.circuit.copy(), self.junction
        target, direction = float(self.target), self.direction
        display = self.display(junction)
        bounds = None
        if self.g_high is not None:
            bounds = (self.g_low / display.factor, self.g_high / display.factor)
        self.result = None

        def work(progress: Progress) -> GapJunctionFit:
            try:
                return fit_gap_junction(
                    circuit, junction, target, direction, bounds=bounds, progress=progress
                )
            except ValueError as exc:  # its message speaks mS: say it in the slider's unit
                message = conductances_in(str(exc), display)
                raise ValueError(
                    message.replace("widen bounds", "widen the g bounds (g from, g to)")
                ) from None

        def done(fit: GapJunctionFit) -> str:
            self.fitted = junction
            self.result = fit
            return (
                f"CC {fit.achieved:.4f} for target {target:g}: g = "
                f"{fit.g * display.factor:.4g} {display.unit} after {fit.n_sims} simulations"
            )

        self.start("Fitting g", work, done)

    def apply(self) -> None:
        """Move the junction's conductance to the fitted value (undoable)."""
        if self.result is not None:
            self.tuner.set(f"{self.fitted}.g", self.result.g)


#: How the messages of GapFitModel.settings_error begin.
_SETTINGS_ERRORS = ("Target CC must", "g from", "g to")

#: A conductance in a message of the fit: "0.02 mS", or "between 0 and 0.02 mS".
_BETWEEN_MS = re.compile(r"between (\S+) and (\S+) mS\b")
_IN_MS = re.compile(r"(-?\d[\d.]*(?:e[+-]?\d+)?) mS\b")


def conductances_in(message: str, display: Display) -> str:
    """``message`` with its conductances in mS (the engine's unit) given in ``display``'s
    unit instead ("g between 0 and 0.2 mS" -> "g between 0 and 200 µS")."""
    if display.unit == "mS":
        return message

    def shown(number: str) -> str:
        try:
            return f"{float(number) * display.factor:.4g}"
        except ValueError:
            return number

    message = _BETWEEN_MS.sub(
        lambda m: f"between {shown(m[1])} and {shown(m[2])} {display.unit}", message
    )
    return _IN_MS.sub(lambda m: f"{shown(m[1])} {display.unit}", message)


def parse_targets(data: bytes, source: str) -> tuple[dict[str, float], dict[str, tuple]]:
    """Targets (and optional parameter bounds) from a file: the CLI's JSON
    ``{"targets": {"peak": -5e-5}, "params": {"tau_d": [1, 20]}}``, a plain JSON
    ``{"peak": -5e-5, ...}``, or CSV rows ``metric,target``.  Values in engine units."""
    text = data.decode("utf-8-sig", errors="replace")
    bounds: dict[str, tuple] = {}
    if source.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise ValueError(
                f'{source}: expected {{"targets": {{"peak": ...}}}} or {{"peak": ...}}'
            )
        if isinstance(doc.get("targets"), dict):
            raw_bounds = doc.get("params", {})
            if not isinstance(raw_bounds, dict):
                raise ValueError(f'{source}: "params" must map names to [low, high]')
            bounds = {name: _bounds(pair, name, source) for name, pair in raw_bounds.items()}
            doc = doc["targets"]
        rows = list(doc.items())
    else:
        rows = [tuple(r[:2]) for r in csv.reader(io.StringIO(text)) if len(r) >= 2]
        if rows and not _is_number(rows[0][1]):
            rows = rows[1:]  # a header
    targets = {}
    for metric, value in rows:
        metric = str(metric).strip()
        try:
            check_metric(metric)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
        if not _is_number(value):
            raise ValueError(f"{source}: target of {metric!r} is not a number: {value!r}")
        targets[metric] = float(value)
    if not targets:
        raise ValueError(f"{source}: no targets found")
    return targets, bounds


def _bounds(pair: Any, name: str, source: str) -> tuple[float, float]:
    """A parameter's search range from a targets file: ``[low, high]`` in the parameter's
    declared unit, with 0 < low < high (the fit searches in log space)."""
    if isinstance(pair, (list, tuple)) and len(pair) == 2 and all(map(_is_number, pair)):
        low, high = float(pair[0]), float(pair[1])
        if 0 < low < high:
            return low, high
    raise ValueError(
        f'{source}: "params": {name!r} must be [low, high] with 0 < low < high, got {pair!r}'
    )


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def check_metric(name: str) -> None:
    """Raise ValueError unless ``name`` is a metric fit_synapse knows ("ppr@20" too)."""
    metric, _, at = name.partition("@")
    if metric not in EVENT_METRICS and metric not in TRAIN_METRICS:
        known = ", ".join([*EVENT_METRICS, *TRAIN_METRICS])
        raise ValueError(f"unknown metric {name!r}; known: {known} (append @Hz for another rate)")
    if at and not (_is_number(at) and float(at) > 0):
        raise ValueError(f"metric {name!r}: after @ give a frequency in Hz (> 0)")


def target_frequencies(targets: Mapping[str, float]) -> list[float]:
    """The train frequencies (Hz) that ``targets`` name with "@Hz" ("ppr@20" -> 20.0)."""
    return sorted({float(name.partition("@")[2]) for name in targets if "@" in name})


#: Every metric a synapse target may name (first event, then train).
METRICS = (*EVENT_METRICS, *TRAIN_METRICS)


class SynapseFitModel(Job):
    """Fit a chemical synapse's parameters to targets (metrics of its isolated
    response, see :class:`SynapseSettings`) and/or the session's recorded trace."""

    targets = param.Dict(default={}, doc="metric -> target value, in engine units")
    bounds = param.Dict(default={}, doc="parameter -> (low, high) for those being fitted")
    use_recording = param.Boolean(default=False, label="Fit the recorded trace too")
    result = param.ClassSelector(class_=SynapseFit, default=None, allow_None=True)

    def __init__(
        self, tuner: TunerModel, settings: SynapseSettings, data: DataModel, **params
    ) -> None:
        super().__init__(**params)
        self.tuner = tuner
        self.settings = settings
        self.data = data
        self.fitted = ""  # the connection the result belongs to
        settings.param.watch(self._default_bounds, "connection")
        self._default_bounds()

    def candidates(self) -> dict[str, float]:
        """Parameters of the connection a fit may vary, with their current values:
        positive numbers (the search runs in log space), not initial values, delay,
        threshold or reversal potential."""
        connection = self.settings.connection
        if connection is None:
            return {}
        synapse = self.tuner.circuit.element(connection)
        initial = {initial_parameter(s) for s in synapse.resolved().states}
        out = {}
        for name, decl in synapse.parameter_table().items():
            value = synapse.get(name)
            positive = decl.minimum is not None and decl.minimum >= 0
            if name in NOT_FITTED or name in initial or not positive:
                continue
            if value is not None and value > 0:
                out[name] = value
        return out

    def default_range(self, name: str) -> tuple[float, float]:
        """A search range for ``name``: a factor of :data:`SPAN` either side of its value,
        within its declared bounds."""
        value = self.candidates()[name]
        decl = self.tuner.circuit.element(self.settings.connection).parameter_table()[name]
        high = value * SPAN if decl.maximum is None else min(value * SPAN, decl.maximum)
        return value / SPAN, high

    def _default_bounds(self, _event: param.parameterized.Event | None = None) -> None:
        fitted = [n for n in self.candidates() if n in FIT_BY_DEFAULT]
        self.bounds = {name: self.default_range(name) for name in fitted}

    def load_targets(self, data: bytes, source: str) -> None:
        """Targets (and bounds, if the file has them) from a file; an error names the
        problem in ``error`` and changes nothing."""
        try:
            targets, bounds = parse_targets(data, source)
            unknown = sorted(set(bounds) - set(self.candidates()))
            if unknown:
                raise ValueError(f"{source}: {', '.join(unknown)} cannot be fitted here")
        except ValueError as exc:
            self.refuse(str(exc))
            return
        self.param.update(targets=targets, error="", status=f"Targets from {source}.")
        if bounds:
            self.bounds = bounds

    def run(self) -> None:
        """Fit on the worker thread (differential evolution, then least squares)."""
        connection = self.settings.connection
        trace = None
        if self.use_recording:
            recording = self.data.recording
            kind = "current" if self.settings.clamped else "voltage"
            if recording is None:
                self.refuse("Load a recording on the Data tab first, or untick the trace.")
                return
            if recording.quantity != kind:
                self.refuse(
                    f"The recording is a {recording.quantity}, but the protocol records a "
                    f"{kind}: switch the clamp mode on the Protocols tab."
                )
                return
            trace = (recording.t, recording.y)
        try:
            for name in self.targets:
                check_metric(name)
        except ValueError as exc:
            self.refuse(str(exc))
            return
        if not self.targets and trace is None:
            self.refuse("Enter at least one target, or fit the recorded trace.")
            return
        if not self.bounds:
            self.refuse("Tick at least one parameter to fit.")
            return
        circuit, targets, bounds = self.tuner.circuit.copy(), dict(self.targets), dict(self.bounds)
        protocol = self.settings.protocol()
        # Targets at other rates ("ppr@20") add their trains; the chosen rate stays first,
        # the one a recorded trace is compared with.
        extra = [f for f in target_frequencies(targets) if f not in protocol.frequencies]
        protocol = dataclasses.replace(protocol, frequencies=(*protocol.frequencies, *extra))

        self.result = None  # the previous fit's: nothing stale to apply if this one fails

        def work(progress: Progress) -> SynapseFit:
            return fit_synapse(
                circuit, connection, targets, bounds, protocol=protocol, trace=trace,
                progress=progress,
            )  # fmt: skip

        def done(fit: SynapseFit) -> str:
            self.fitted = connection
            self.result = fit
            return f"Loss {fit.loss:.3g} after {fit.n_sims} simulations"

        self.start("Fitting the synapse", work, done)

    def apply(self) -> None:
        """Move the fitted parameters to their values (one undoable change)."""
        if self.result is not None:
            self.tuner.set_many(
                {f"{self.fitted}.{name}": value for name, value in self.result.params.items()}
            )

    def fill_targets(self, measured: Mapping[str, float | None]) -> None:
        """Targets set to ``measured`` values (e.g. the response shown on the Protocols
        tab), for the metrics already listed or, if none are, every measured one."""
        names = list(self.targets) or [m for m in METRICS if measured.get(m) is not None]
        self.targets = {m: measured[m] for m in names if measured.get(m) is not None}
