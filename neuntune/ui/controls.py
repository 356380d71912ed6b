"""One control per circuit parameter, generated from the model's declaration.

A :class:`Control` is a view-model: it knows the parameter's path, unit, doc and
ranges, and exposes two numbers a view binds widgets to — ``entry`` (the value
in display units, for a numeric input) and ``position`` (where a slider sits:
the display value, or its log10 for ``scale="log"``).  It holds no truth of
its own: a change of either is proposed to its owner (the tuner model), which
validates it against the declaration and echoes the accepted value back.

A preset's slider hint (:class:`~neuntune.presets.Slider`: unit, range, scale)
overrides what the declaration suggests: the preset's author knows which range
matters for that setup (BMTool's g in nS, a clamp's holding level, ...).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import param

from ..circuit import Circuit
from ..models.declarations import Parameter
from ..presets import Slider, units
from .history import same_value

#: Unit spellings for labels (declarations use ASCII).
PRETTY_UNITS = {
    "uF/cm2": "µF/cm²",
    "mS/cm2": "mS/cm²",
    "uS/cm2": "µS/cm²",
    "cm2": "cm²",
    "um2": "µm²",
    "uA": "µA",
    "uF": "µF",
    "uS": "µS",
    "uM": "µM",
    "us": "µs",
    "MOhm": "MΩ",
    "GOhm": "GΩ",
    "kOhm": "kΩ",
    "1/(mM*ms)": "1/(mM·ms)",
    "1/(uM*ms)": "1/(µM·ms)",
    "degC": "°C",
    "1": "",
}

#: Absolute conductances (mS) are shown with the prefix that suits their size.
_CONDUCTANCE_PREFIXES = (("nS", 1e6), ("µS", 1e3), ("mS", 1.0))

#: Steps across a slider's range (the slider moves in this many increments).
SLIDER_STEPS = 1000
#: Significant digits an entry shows at least (a fit's g: 0.4823, not 0.48231516678791225).
ENTRY_DIGITS = 4
#: While a slider is dragged its entry follows at most this often (s): each update
#: re-renders the entry in the browser, which the redraw of the plots should not wait for.
DRAG_ENTRY_EVERY = 0.15


@dataclass(frozen=True)
class Display:
    """How a value is shown: unit label and factor from the declared unit."""

    unit: str
    factor: float = 1.0


def pretty_unit(unit: str) -> str:
    """``unit`` as a label shows it ("uS" -> "µS"; dimensionless -> "")."""
    return PRETTY_UNITS.get(unit, unit)


def display_for(declared_unit: str, typical: float | None) -> Display:
    """Display unit for a parameter: mS conductances get nS/µS/mS by magnitude."""
    if declared_unit == "mS":
        size = abs(typical or 0.0)
        for unit, factor in _CONDUCTANCE_PREFIXES:
            if size * factor < 1000:
                return Display(unit, factor)
        return Display("mS", 1.0)
    return Display(pretty_unit(declared_unit))


def slider_range(decl: Parameter) -> tuple[float, float] | None:
    """The declared ``ui_range``, else the hard bounds, else a span around the default.

    None for a nullable parameter without a range (e.g. a gate's initial value,
    whose default "steady state" a slider cannot show): it gets a numeric entry only.
    """
    if decl.ui_range is not None:
        return float(decl.ui_range[0]), float(decl.ui_range[1])
    if decl.default is None:  # bounds or not (gates: [0, 1]), "steady state" is no position
        return None
    if decl.minimum is not None and decl.maximum is not None:
        return float(decl.minimum), float(decl.maximum)
    # No declared range: span the default's magnitude on either side, e.g. v0 = −65 mV
    # gives −130…0 mV; a zero default gets ±1 in its unit.
    span = abs(decl.default) or 1.0
    return decl.default - span, decl.default + span


class Control(param.Parameterized):
    """Widgets' view of one parameter: ``entry`` in display units and a slider ``position``.

    ``hint``, a preset's slider hint for this parameter, sets the display unit, the
    slider's range and its scale.
    """

    entry = param.Number(default=None, allow_None=True, doc="value in display units")
    position = param.Number(default=0.0, doc="slider position (log10 of the value if log scale)")
    spread = param.String(
        default="",
        doc="where members of a population differ: how (mean and range) and what moving "
        "the slider does; empty when every member has the same value",
    )
    mark = param.String(
        default="",
        doc="set by the model: the value shown has not been simulated (its run failed) and "
        "what the plots show instead; empty when they agree",
    )
    off_scale = param.String(
        default="", doc="why the slider's handle cannot show the value (≤ 0 on a log slider)"
    )

    def __init__(
        self,
        path: str,
        decl: Parameter,
        value: float | None,
        propose: Callable[[str, float | None, bool], None],
        hint: Slider | None = None,
    ) -> None:
        super().__init__(name=path)
        self.path = path
        self.decl = decl
        members = value  # one value per member where a population's members differ
        value = _typical(value) if isinstance(value, np.ndarray) else value
        shown: tuple[float, float] | None
        if hint is not None:
            self.display = Display(pretty_unit(hint.unit), units.convert(1.0, decl.unit, hint.unit))
            self.log = hint.scale == "log"
            shown = (hint.low, hint.high)
        else:
            self.display = display_for(decl.unit, decl.default if decl.default else value)
            self.log = decl.scale == "log"
            bounds = slider_range(decl)
            factor = self.display.factor
            shown = None if bounds is None else (bounds[0] * factor, bounds[1] * factor)
        self._propose = propose
        self._echoing = False
        self._entry_at = 0.0  # when a drag last updated the entry (time.monotonic)
        label = path.rsplit(".", 1)[1]
        unit = f" ({self.display.unit})" if self.display.unit else ""
        self.label = f"{label}{unit}"
        self.param.entry.label = self.label
        self.param.entry.doc = decl.doc
        self.param.entry.allow_None = decl.nullable
        self.has_slider = shown is not None
        if shown is not None:
            low, high = shown
            if self.log:
                # A log slider cannot reach 0 or below: start at the smallest positive end.
                low = max(low, high * 1e-6) if low <= 0 else low
                low, high = math.log10(low), math.log10(high)
            self.param.position.bounds = (low, high)
            self.param.position.step = (high - low) / SLIDER_STEPS
        self.param.position.label = self.label
        self.param.position.doc = decl.doc
        self.echo(members)
        self.param.watch(self._entry_changed, "entry")
        self.param.watch(self._position_changed, "position")

    def echo(self, value: float | np.ndarray | None, entry: bool = True) -> None:
        """Show ``value`` (declared units) in the widgets without proposing it again;
        ``entry=False`` leaves the numeric entry as it is (while a slider moves).

        An array (members of a population differ) shows its mean, and ``spread`` says
        so: moving the slider or typing a value gives every member that one value.
        """
        updates: dict[str, float | str | None] = {}
        spread = ""
        if isinstance(value, np.ndarray):
            spread = self._describe(value)
            value = _typical(value)
        if spread != self.spread:
            updates["spread"] = spread
        shown = None if value is None else value * self.display.factor
        # Skip changes below the widgets' resolution: echoing log10(10**p) back to a
        # slider being dragged would nudge its handle under the user's pointer.
        # The entry shows the value rounded to the slider's precision; a value typed
        # (already shown as it was typed) stays as it is.
        if entry and (
            shown is None
            or self.entry is None
            or not (
                math.isclose(shown, self.entry, rel_tol=1e-9) or self.entry == self.rounded(shown)
            )
        ):
            updates["entry"] = None if shown is None else self.rounded(shown)
        if self.has_slider and value is not None:
            position = self._to_position(value)
            self._extend(position)
            if abs(position - self.position) > self.param.position.step / 2:
                updates["position"] = position
            updates["off_scale"] = self._off_scale(value)
        elif self.off_scale:
            updates["off_scale"] = ""
        self._echoing = True
        try:
            self.param.update(updates)
        finally:
            self._echoing = False

    def _describe(self, values: np.ndarray) -> str:
        finite = values[np.isfinite(values)]
        unit = f" {self.display.unit}" if self.display.unit else ""
        if not len(finite):
            return f"Members differ ({len(values)} values)."
        f = self.display.factor
        return (
            f"Differs between the {len(values)} members: mean {_short(finite.mean() * f)}{unit} "
            f"(range {_short(finite.min() * f)} to {_short(finite.max() * f)}). Moving the "
            "slider or typing a value gives every member that one value (Undo brings the "
            "distribution back)."
        )

    def _to_position(self, value: float) -> float:
        """Where the slider shows ``value``: beyond its ends for a value outside its
        range (:meth:`_extend` then widens it), its left end for a log slider's 0."""
        shown = value * self.display.factor
        if self.log:
            return math.log10(shown) if shown > 0 else self.param.position.bounds[0]
        return shown

    def _extend(self, position: float) -> None:
        """Widen the slider's range to reach ``position``: a typed or loaded value
        beyond its ends is shown where it is, never clamped to an end.  The step
        stays a :data:`SLIDER_STEPS`-th of the (new) range."""
        low, high = self.param.position.bounds
        if low <= position <= high:
            return
        low, high = min(low, position), max(high, position)
        self.param.position.bounds = (low, high)
        self.param.position.step = (high - low) / SLIDER_STEPS

    def _off_scale(self, value: float) -> str:
        """Why the slider's handle cannot show ``value`` (≤ 0 on a log slider), or ""."""
        if not self.log or value * self.display.factor > 0:
            return ""
        unit = f" {self.display.unit}" if self.display.unit else ""
        return (
            f"{_short(value * self.display.factor)}{unit} lies below the log slider's range: "
            "its handle rests at the left end, the value is the entry's."
        )

    def refusal(self, value: float | None, exc: Exception) -> str:
        """Why ``value`` (declared unit) was refused, in the unit this control shows:
        the declaration's message speaks in declared units ("−0.001 mS" for a typed
        −1 µS)."""
        decl = self.decl
        if value is None or self.display.factor == 1.0 or not isinstance(exc, ValueError):
            return str(exc)
        f, unit = self.display.factor, f" {self.display.unit}" if self.display.unit else ""
        low = None
        if decl.minimum is not None:
            low = f"{'>' if decl.exclusive_minimum else '≥'} {_short(decl.minimum * f)}{unit}"
        high = None if decl.maximum is None else f"≤ {_short(decl.maximum * f)}{unit}"
        allowed = " and ".join(part for part in (low, high) if part) or "any finite number"
        if not math.isfinite(value):
            return f"{self.path}: value {value} is not finite; allowed: {allowed}"
        return f"{self.path}: value {_short(value * f)}{unit} is out of range; allowed: {allowed}"

    def rounded(self, shown: float) -> float:
        """``shown`` (display units) to the slider's precision: the decimals of its step
        (a log slider: the significant digits its relative step resolves), and at
        least :data:`ENTRY_DIGITS` significant digits."""
        if shown == 0 or not math.isfinite(shown):
            return shown
        magnitude = math.floor(math.log10(abs(shown)))
        decimals = ENTRY_DIGITS - 1 - magnitude
        step = self.param.position.step if self.has_slider else None
        if step:
            if self.log:
                relative = 10.0**step - 1.0
                decimals = max(decimals, math.ceil(-math.log10(relative)) - magnitude)
            else:
                decimals = max(decimals, math.ceil(-math.log10(step) - 1e-9))
        return round(shown, decimals)

    def entry_due(self) -> bool:
        """Whether a drag should update the entry now (at most every
        :data:`DRAG_ENTRY_EVERY` s)."""
        now = time.monotonic()
        if now - self._entry_at < DRAG_ENTRY_EVERY:
            return False
        self._entry_at = now
        return True

    def _entry_changed(self, event: param.parameterized.Event) -> None:
        if self._echoing:
            return
        value = None if event.new is None else event.new / self.display.factor
        self._propose(self.path, value, True)

    def _position_changed(self, event: param.parameterized.Event) -> None:
        if self._echoing:
            return
        # To the slider's precision: 10**0.3 is 1.995, not 1.9952623149688795.
        shown = self.rounded(10.0**event.new if self.log else event.new)
        self._propose(self.path, shown / self.display.factor, False)


def mark_unsimulated(controls: Mapping[str, Control], circuit: Circuit, shown: Circuit) -> None:
    """A run of ``circuit`` failed: mark each control whose value differs from the
    run ``shown``, saying what the plots, metrics and a downloaded preset hold instead."""
    for path, control in controls.items():
        before = shown.get(path)
        if same_value(circuit.get(path), before):
            continue
        if isinstance(before, np.ndarray) or before is None:
            was = "their earlier values" if before is not None else "steady state"
        else:
            unit = f" {control.display.unit}" if control.display.unit else ""
            was = f"{before * control.display.factor:.4g}{unit}"
        control.mark = (
            "Not simulated: the run with this value failed (see the message above the "
            f"plots). The plots, metrics and a downloaded preset hold {was}."
        )


def _typical(values: np.ndarray) -> float | None:
    """The mean of the members' values (None if none is set)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else None


def _short(value: float) -> str:
    return f"{value:.4g}"
