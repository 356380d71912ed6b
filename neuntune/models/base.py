"""Declarations every model is made of: parameters, states, options and equations.

A model is a class that declares, once, what it has and how it evolves::

    @register
    class Passive(Neuron):
        '''Leak-only membrane.'''
        parameters = {
            "cm": Parameter(1.0, "uF/cm2", "capacitance", minimum=0, exclusive_minimum=True),
            ...
        }
        states = {"v": State(-65.0, "mV", "membrane potential")}
        equations = "dv/dt = (I_in/area - gl*(v - el))/cm"

Everything else (compiled kernels, validation, widgets, preset schema, docs tables)
is derived from that declaration, so adding a model touches no other file.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import itertools
import math
import numbers
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from .equations import (
    EquationError,
    Equations,
    Statement,
    closure,
    names,
    parse_equations,
    parse_expression,
    parse_statements,
)


@dataclass(frozen=True)
class Parameter:
    """A numeric parameter: default, unit, one-line doc and the allowed range.

    ``minimum``/``maximum`` bound the value (``exclusive_minimum`` excludes the
    minimum itself).  ``scale`` and ``ui_range`` are hints for sliders.  A
    ``nullable`` parameter accepts ``None`` (used for "initial value at steady state").
    """

    default: float | None
    unit: str
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    scale: str = "linear"
    ui_range: tuple[float, float] | None = None
    nullable: bool = False

    def describe_range(self) -> str:
        """The allowed range in words, e.g. '> 0' or 'between 0 and 1'."""
        low = None
        if self.minimum is not None:
            low = f"{'>' if self.exclusive_minimum else '≥'} {self.minimum:g}"
        high = None if self.maximum is None else f"≤ {self.maximum:g}"
        text = " and ".join(part for part in (low, high) if part) or "any finite number"
        return text + (" (or None)" if self.nullable else "")

    def validate(self, path: str, value: Any) -> float | None:
        """Return ``value`` as a float, or raise a TypeError/ValueError naming ``path``."""
        if value is None:
            if self.nullable:
                return None
            raise TypeError(f"{path}: a number is required ({self.unit}), got None")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{path}: expected a number in {self.unit}, got {type(value).__name__} {value!r}"
            )
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(
                f"{path}: value {number} is not finite; allowed: {self.describe_range()}"
            )
        too_low = self.minimum is not None and (
            number < self.minimum or (self.exclusive_minimum and number == self.minimum)
        )
        too_high = self.maximum is not None and number > self.maximum
        if too_low or too_high:
            unit = "" if self.unit == "1" else f" {self.unit}"  # dimensionless: no unit
            raise ValueError(
                f"{path}: value {number:g}{unit} is out of range; "
                f"allowed: {self.describe_range()}{unit}"
            )
        return number

    def validate_array(self, path: str, values: Any) -> np.ndarray:
        """Validate many values at once (a batch); returns a float64 array.

        Numbers only, as :meth:`validate` takes them: strings and booleans are refused
        (numpy would turn "0.001" into a number)."""
        try:
            raw = np.asarray(values)
        except ValueError:  # ragged nesting
            raise TypeError(f"{path}: expected numbers in {self.unit}, got {values!r}") from None
        if raw.dtype.kind not in "iuf":  # strings, booleans, complex or mixed objects
            for item in raw.ravel():
                item = item.item() if isinstance(item, np.generic) else item
                if isinstance(item, bool) or not isinstance(item, numbers.Real):
                    raise TypeError(
                        f"{path}: expected numbers in {self.unit}, "
                        f"got {type(item).__name__} {item!r}"
                    )
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{path}: expected numbers in {self.unit}, got {values!r}") from None
        if array.ndim > 1:
            raise TypeError(f"{path}: expected a 1-D sequence of values, got shape {array.shape}")
        array = array.ravel()  # one number is a batch of one
        bad = ~np.isfinite(array)
        if self.minimum is not None:
            bad |= array < self.minimum
            if self.exclusive_minimum:
                bad |= array == self.minimum
        if self.maximum is not None:
            bad |= array > self.maximum
        if bad.any():
            self.validate(path, float(array[np.argmax(bad)]))  # raises with the message
        return array


@dataclass(frozen=True)
class State:
    """A state variable: its initial value (a number, or an expression such as a
    gate's steady state ``"am/(am + bm)"``), unit and doc.  ``minimum``/``maximum``
    bound the initial value a user may give (a gate's lies in [0, 1])."""

    initial: float | str
    unit: str
    doc: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Option:
    """A structural choice (it selects equations, so changing it recompiles)."""

    choices: tuple[str, ...]
    default: str
    doc: str


#: Symbols each kind of model may read besides its own names.
INPUTS: dict[str, frozenset[str]] = {
    "neuron": frozenset({"t", "I_in"}),
    "synapse": frozenset({"t", "v_pre", "v_post"}),
    "stimulus": frozenset({"t", "v"}),
    "plasticity": frozenset({"t"}),
}
#: Intermediates a kind of model must (first set) or may (second) define.
OUTPUTS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "neuron": (frozenset(), frozenset()),
    "synapse": (frozenset({"I_post"}), frozenset({"I_pre"})),
    # a current stimulus defines I; an ideal voltage clamp defines V_command instead
    "stimulus": (frozenset(), frozenset({"I", "V_command"})),
    "plasticity": (frozenset(), frozenset()),
}


@dataclass
class Definition:
    """A model's declaration resolved for one choice of options, ready to compile."""

    kind: str
    name: str
    parameters: dict[str, Parameter]
    states: dict[str, State]
    equations: Equations
    on_pre: list[Statement] = field(default_factory=list)
    on_spike: list[Statement] = field(default_factory=list)
    on_step: list[Statement] = field(default_factory=list)
    voltage: str | None = None
    spike_threshold: float = 0.0
    reset_threshold: ast.expr | None = None
    logged: tuple[str, ...] = ()
    initial: dict[str, ast.expr] = field(default_factory=dict)
    pulse: str = ""  # a duration parameter: each event's pulse ends that long after it
    refractory: str = ""  # a duration parameter: the voltage is held that long after a reset
    #: an array-valued attribute of each instance: the times (ms) it spikes at, instead
    #: of states and equations (SpikeSource's ``times``)
    listed: str = ""

    @cached_property
    def key(self) -> str:
        """A digest of everything that shapes compiled code (not of values)."""
        text = repr(
            (
                self.kind,
                list(self.parameters),
                list(self.states),
                self.equations.source,
                [
                    (s.target, s.op, ast.dump(s.expr))
                    for s in self.on_pre + self.on_spike + self.on_step
                ],
                self.voltage,
                self.spike_threshold,
                None if self.reset_threshold is None else ast.dump(self.reset_threshold),
                self.logged,
                {k: ast.dump(v) for k, v in self.initial.items()},
                self.pulse,
                self.refractory,
                self.listed,
            )
        )
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def initial_parameter(state: str) -> str:
    """Name of the parameter holding a state's initial value (``v`` -> ``v0``)."""
    return f"{state}0"


class Model:
    """Base class of neurons, synapses, stimuli and plasticity rules.

    Instances hold parameter values (validated on every change) and structural
    options; the class holds the declaration.
    """

    kind: ClassVar[str] = ""
    parameters: ClassVar[dict[str, Parameter]] = {}
    states: ClassVar[dict[str, State]] = {}
    options: ClassVar[dict[str, Option]] = {}
    equations: ClassVar[str] = ""
    on_pre: ClassVar[str] = ""
    on_spike: ClassVar[str] = ""
    on_step: ClassVar[str] = ""
    logged: ClassVar[tuple[str, ...]] = ()
    #: Published parameter sets by name (values only), for :meth:`named`.
    parameter_sets: ClassVar[dict[str, dict[str, float]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False) or not cls.kind:
            return
        # Check every option combination now, so a bad declaration fails at import.
        choices = [opt.choices for opt in cls.options.values()]
        for combo in itertools.product(*choices):
            cls.definition(dict(zip(cls.options, combo, strict=True)))
        for name, values in cls.parameter_sets.items():
            if set(values) & set(cls.options):
                raise TypeError(f"{cls.__name__}.parameter_sets[{name!r}]: values only")
            cls(**values)  # every named set must be valid values of this model

    @classmethod
    def named(cls, name: str, **values: Any) -> Model:
        """An instance with the published parameter set ``name`` (see
        ``parameter_sets``), then ``values`` (and options) applied on top."""
        if name not in cls.parameter_sets:
            known = ", ".join(cls.parameter_sets) or "none"
            raise KeyError(f"{cls.__name__} has no parameter set {name!r} (known: {known})")
        return cls(**{**cls.parameter_sets[name], **values})

    def __init__(self, **values: Any) -> None:
        name = type(self).__name__
        self._options = {key: opt.default for key, opt in self.options.items()}
        for key in list(values):
            if key in self.options:
                choice = values.pop(key)
                allowed = self.options[key].choices
                if choice not in allowed:
                    raise ValueError(f"{name}.{key}: {choice!r} is not one of {allowed}")
                self._options[key] = choice
        self._values = {key: p.default for key, p in self.parameter_table().items()}
        for key, value in values.items():
            self._store(key, value, f"{name}.{key}")
        problem = self.relation_problem(self._values)  # once all values are in
        if problem:
            raise ValueError(f"{name}: {problem}")

    # ----------------------------------------------------------------- declaration
    @classmethod
    def equations_for(cls, options: Mapping[str, str]) -> str:
        """The equation text for a choice of options (override to let options select it)."""
        return cls.equations

    @classmethod
    def on_pre_for(cls, options: Mapping[str, str]) -> str:
        """The on_pre statements for a choice of options (override to let options select them)."""
        return cls.on_pre

    @classmethod
    def parameter_table(cls) -> dict[str, Parameter]:
        """Declared parameters plus one initial-value parameter per state."""
        table = dict(cls.parameters)
        for state, decl in cls.states.items():
            numeric = not isinstance(decl.initial, str)
            table[initial_parameter(state)] = Parameter(
                float(decl.initial) if numeric else None,
                decl.unit,
                f"initial {state}" + ("" if numeric else f" (None: {decl.initial})"),
                minimum=decl.minimum,
                maximum=decl.maximum,
                nullable=not numeric,
            )
        return table

    @classmethod
    def definition(cls, options: Mapping[str, str] | None = None) -> Definition:
        """Parse and check the declaration for ``options`` (cached per class and options)."""
        opts = {key: opt.default for key, opt in cls.options.items()}
        opts.update(options or {})
        cache = cls.__dict__.get("_definitions")
        if cache is None:
            cache = {}
            cls._definitions = cache
        frozen = tuple(sorted(opts.items()))
        if frozen not in cache:
            cache[frozen] = cls._build_definition(opts)
        return cache[frozen]

    @classmethod
    def _build_definition(cls, opts: Mapping[str, str]) -> Definition:
        where = cls.__name__ + ("" if not opts else f"({opts})")
        eqs = parse_equations(cls.equations_for(opts), where)
        table = cls.parameter_table()
        initial = {
            state: parse_expression(decl.initial, f"{where}: initial {state}")
            for state, decl in cls.states.items()
            if isinstance(decl.initial, str)
        }
        definition = Definition(
            kind=cls.kind,
            name=cls.__name__,
            parameters=table,
            states=dict(cls.states),
            equations=eqs,
            on_pre=parse_statements(cls.on_pre_for(opts), f"{where}.on_pre"),
            on_spike=parse_statements(cls.on_spike, f"{where}.on_spike"),
            on_step=parse_statements(cls.on_step, f"{where}.on_step", allow_random=True),
            logged=tuple(cls.logged),
            initial=initial,
        )
        cls._customise(definition, opts)
        _check_definition(definition, where)
        return definition

    @classmethod
    def _customise(cls, definition: Definition, options: Mapping[str, str]) -> None:
        """Hook for kinds that add fields (voltage, thresholds) to the definition."""

    # ---------------------------------------------------------------------- values
    def get(self, name: str) -> float | None:
        """Value of parameter ``name`` in its declared unit."""
        if name not in self._values:
            raise KeyError(self._unknown(name))
        return self._values[name]

    def set(self, name: str, value: Any, path: str | None = None) -> None:
        """Validate and set parameter ``name`` (its range, then how it relates to the
        other values: see :meth:`relation_problem`)."""
        path = path or f"{type(self).__name__}.{name}"
        previous = self._values.get(name)
        self._store(name, value, path)
        problem = self.relation_problem(self._values)
        if problem:
            self._values[name] = previous
            raise ValueError(f"{path}: {problem}")

    def _store(self, name: str, value: Any, path: str) -> None:
        table = self.parameter_table()
        if name not in table:
            raise KeyError(self._unknown(name, path))
        self._values[name] = table[name].validate(path, value)

    @classmethod
    def relation_problem(cls, values: Mapping[str, float | None]) -> str | None:
        """What is wrong with how ``values`` relate to each other, in words (naming
        the parameters and their values), or None.  Override for relations a single
        parameter's range cannot state (a step's start before its stop)."""
        return None

    def _unknown(self, name: str, path: str | None = None) -> str:
        known = ", ".join(self.parameter_table())
        return (
            f"{path or name}: unknown parameter {name!r} of {type(self).__name__} (known: {known})"
        )

    @property
    def values(self) -> dict[str, float | None]:
        """A copy of all parameter values, by the names :meth:`get` takes."""
        return dict(self._values)

    @property
    def own_values(self) -> dict[str, float | None]:
        """Values of this model's own declaration only, without attached parts
        (a synapse's plasticity): what its constructor takes."""
        return dict(self._values)

    @property
    def option_values(self) -> dict[str, str]:
        """The structural options this instance was built with."""
        return dict(self._options)

    def resolved(self) -> Definition:
        """The definition for this instance's options."""
        return self.definition(self._options)

    def copy(self) -> Model:
        """An independent copy with the same options and values."""
        clone = type(self).__new__(type(self))
        clone._options = dict(self._options)
        clone._values = dict(self._values)
        return clone

    def __repr__(self) -> str:
        table = self.parameter_table()
        changed = [f"{k}={v!r}" for k, v in self._options.items() if v != self.options[k].default]
        changed += [f"{k}={v!r}" for k, v in self._values.items() if v != table[k].default]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other._options == self._options  # type: ignore[attr-defined]
            and other._values == self._values  # type: ignore[attr-defined]
        )

    __hash__ = None  # type: ignore[assignment]


class Neuron(Model):
    """A single-compartment cell.

    ``voltage`` names the state synapses read and inject into; ``spike_threshold``
    is where spikes are counted (upward crossings); ``reset`` (an expression,
    usually a parameter name) and ``on_spike`` declare a reset applied exactly at
    the crossing (Izhikevich).  ``refractory`` names a duration parameter (ms):
    after each reset, at the crossing time ts, the voltage is held (its derivative
    is 0) and the reset cannot fire again until ts + that duration, where the engine
    splits the step; the other states evolve meanwhile (LIF).  Input current
    ``I_in`` is the sum of synaptic and stimulus currents into the cell, in µA for
    biophysical models.
    """

    kind = "neuron"
    abstract = True
    voltage: ClassVar[str | None] = "v"
    spike_threshold: ClassVar[float] = 0.0
    reset: ClassVar[str] = ""
    refractory: ClassVar[str] = ""
    #: the name of an array-valued attribute listing spike times (ms), for a cell that
    #: has no states and spikes only then (SpikeSource)
    listed: ClassVar[str] = ""

    @classmethod
    def _customise(cls, definition: Definition, options: Mapping[str, str]) -> None:
        definition.voltage = cls.voltage
        definition.listed = cls.listed
        definition.spike_threshold = float(cls.spike_threshold)
        if cls.reset:
            definition.reset_threshold = parse_expression(cls.reset, f"{cls.__name__}.reset")
        if cls.refractory:
            if not cls.reset:
                raise EquationError(f"{cls.__name__}: refractory needs a reset to start from")
            if cls.refractory not in definition.parameters:
                raise EquationError(
                    f"{cls.__name__}: refractory {cls.refractory!r} is not a parameter"
                )
            definition.refractory = cls.refractory


class _class_or_instance:
    """Like ``classmethod``, but also passes the instance when called on one
    (``func(cls, instance_or_None, ...)``)."""

    def __init__(self, func: Any) -> None:
        self.func = func
        functools.update_wrapper(self, func)  # type: ignore[arg-type]

    def __get__(self, instance: Any, owner: type) -> Any:
        return functools.partial(self.func, owner, instance)


class Synapse(Model):
    """A connection from a ``pre`` to a ``post`` cell.

    Continuous synapses read ``v_pre``; event-driven ones declare ``on_pre``
    statements run when a presynaptic spike arrives (after ``delay``).  Every
    synapse defines ``I_post``, the current into the post cell (µA, positive
    depolarises); a gap junction also defines ``I_pre``.

    An event-driven synapse may carry a :class:`Plasticity` rule
    (``ExpSynapse(plasticity=TsodyksMarkram(Use=0.5))``).  Its parameters are
    then the synapse's own (flat names: ``"syn.Use"``), and the synapse resolves
    to one definition holding both, whose ``on_pre`` runs the rule first: that is
    all the engine sees.  ``own_values`` and ``plasticity`` are the two parts.
    """

    kind = "synapse"
    abstract = True
    #: For event-driven synapses whose response has a square pulse (a transmitter
    #: release): the parameter giving its duration.  The engine then also splits
    #: steps where each pulse ends, so the kink is integrated exactly.
    pulse: ClassVar[str] = ""

    @classmethod
    def _customise(cls, definition: Definition, options: Mapping[str, str]) -> None:
        if cls.pulse and cls.pulse not in definition.parameters:
            raise EquationError(f"{cls.__name__}: pulse {cls.pulse!r} is not a parameter")
        definition.pulse = cls.pulse

    def __init__(self, plasticity: Plasticity | None = None, **values: Any) -> None:
        self._plasticity: Plasticity | None = None
        super().__init__(**values)
        self.plasticity = plasticity

    @property
    def plasticity(self) -> Plasticity | None:
        """The attached short-term plasticity rule (the object itself, not a copy)."""
        return self._plasticity

    @plasticity.setter
    def plasticity(self, rule: Plasticity | None) -> None:
        if rule is not None:
            if not isinstance(rule, Plasticity):
                raise TypeError(
                    f"{type(self).__name__}.plasticity: expected a Plasticity model "
                    f"such as TsodyksMarkram(), got {rule!r}"
                )
            _with_plasticity(type(self), self._options, type(rule), rule.option_values)
        self._plasticity = rule

    @_class_or_instance
    def parameter_table(cls, self: Synapse | None = None) -> dict[str, Parameter]:
        """Declared parameters plus initial values; on an instance, also its plasticity's."""
        table = super().parameter_table()
        if self is not None and self._plasticity is not None:
            table.update(self._plasticity.parameter_table())
        return table

    def _owner(self, name: str) -> Model:
        """The part (this synapse or its plasticity) that declares parameter ``name``."""
        rule = self._plasticity
        return rule if rule is not None and name in rule.parameter_table() else self

    def get(self, name: str) -> float | None:
        owner = self._owner(name)
        return super().get(name) if owner is self else owner.get(name)

    def set(self, name: str, value: Any, path: str | None = None) -> None:
        owner = self._owner(name)
        path = path or f"{type(self).__name__}.{name}"
        if owner is self:
            super().set(name, value, path)
        else:
            owner.set(name, value, path)

    @property
    def values(self) -> dict[str, float | None]:
        rule = self._plasticity
        return {**self._values, **(rule.values if rule is not None else {})}

    def resolved(self) -> Definition:
        rule = self._plasticity
        if rule is None:
            return super().resolved()
        return _with_plasticity(type(self), self._options, type(rule), rule.option_values)

    def copy(self) -> Synapse:
        clone = super().copy()
        clone._plasticity = None if self._plasticity is None else self._plasticity.copy()
        return clone  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and self._plasticity == other._plasticity  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        text = super().__repr__()
        if self._plasticity is None:
            return text
        sep = "" if text.endswith("()") else ", "
        return f"{text[:-1]}{sep}plasticity={self._plasticity!r})"

    @property
    def event_driven(self) -> bool:
        """Whether presynaptic spikes (rather than v_pre) drive this synapse."""
        return bool(self.resolved().on_pre)


_ATTACHED: dict[tuple, Definition] = {}


def _with_plasticity(
    synapse: type[Model],
    options: Mapping[str, str],
    rule: type[Model],
    rule_options: Mapping[str, str],
) -> Definition:
    """One definition for a synapse with a plasticity rule attached (cached per classes
    and options): the union of both declarations, the rule's ``on_pre`` first, so it
    sets ``release`` before the synapse's statements read it."""
    key = (synapse, tuple(sorted(options.items())), rule, tuple(sorted(rule_options.items())))
    if key in _ATTACHED:
        return _ATTACHED[key]
    syn, plas = synapse.definition(options), rule.definition(rule_options)
    where = f"{syn.name} with {plas.name}"
    if not syn.on_pre:
        raise ValueError(f"{where}: plasticity needs an event-driven synapse (one with on_pre)")
    if "release" in _event_locals(syn):
        raise ValueError(f"{where}: {syn.name} sets release itself (it has its own plasticity)")
    if "release" not in _event_locals(plas):
        raise ValueError(f"{where}: {plas.name}'s on_pre must set release")

    def declared(d: Definition) -> set[str]:
        return set(d.parameters) | set(d.states) | set(d.equations.assignments) | _event_locals(d)

    clash = declared(syn) & declared(plas)
    if clash:
        raise ValueError(f"{where}: both declare {sorted(clash)}")
    a, b = syn.equations, plas.equations
    combined = Definition(
        kind=syn.kind,
        name=f"{syn.name}+{plas.name}",
        parameters={**syn.parameters, **plas.parameters},
        states={**syn.states, **plas.states},
        equations=Equations(
            assignments={**a.assignments, **b.assignments},
            derivatives={**a.derivatives, **b.derivatives},
            booleans=a.booleans | b.booleans,
            source=f"{a.source}\n{b.source}",
        ),
        on_pre=plas.on_pre + syn.on_pre,
        on_step=syn.on_step + plas.on_step,
        logged=syn.logged + plas.logged,
        initial={**syn.initial, **plas.initial},
        pulse=syn.pulse,
    )
    _check_definition(combined, where)
    _ATTACHED[key] = combined
    return combined


def post_targets(d: Definition) -> set[str]:
    """Targets of a synapse's ``on_pre`` that are states of its post cell (``ge_post``)."""
    if d.kind != "synapse":
        return set()
    return {s.target for s in d.on_pre if s.target.endswith("_post") and s.target not in d.states}


def _event_locals(d: Definition) -> set[str]:
    """Names event statements assign that are not states (temporaries such as ``release``)."""
    return {s.target for s in d.on_pre + d.on_spike if s.target not in d.states} - post_targets(d)


class Stimulus(Model):
    """A current injected into one cell: ``I`` in µA (may read the cell's ``v``)."""

    kind = "stimulus"
    abstract = True


class Plasticity(Model):
    """Short-term plasticity attached to an event-driven synapse
    (``ExpSynapse(plasticity=TsodyksMarkram())``).

    Its ``on_pre`` statements run before the synapse's and set ``release``,
    which the synapse's own ``on_pre`` scales its increment by; ``logged``
    temporaries (``release``) are recorded per event.  Its names must not clash
    with the synapse's, since both end up in one definition (see :class:`Synapse`).
    """

    kind = "plasticity"
    abstract = True


def _check_definition(d: Definition, where: str) -> None:
    """Every name must resolve; states need an equation or an event that sets them."""
    inputs = INPUTS[d.kind]
    required, allowed_outputs = OUTPUTS[d.kind]
    own = set(d.parameters) | set(d.states)
    clash = own & (inputs | set(d.equations.assignments))
    if clash:
        raise EquationError(f"{where}: names used twice: {sorted(clash)}")
    known = own | inputs
    for name, expr in d.equations.assignments.items():
        unknown = names(expr) - known
        if unknown:
            raise EquationError(f"{where}: {name} uses unknown names {sorted(unknown)}")
        known.add(name)
    missing = required - set(d.equations.assignments)
    if missing:
        raise EquationError(f"{where}: a {d.kind} must define {sorted(missing)}")
    if d.kind == "stimulus" and len({"I", "V_command"} & set(d.equations.assignments)) != 1:
        raise EquationError(
            f"{where}: a stimulus defines exactly one of I (a current) or "
            "V_command (an ideal voltage clamp)"
        )
    outputs = required | allowed_outputs
    for state, expr in d.equations.derivatives.items():
        if state not in d.states:
            raise EquationError(f"{where}: d{state}/dt given but {state} is not a declared state")
        unknown = names(expr) - known
        if unknown:
            raise EquationError(f"{where}: d{state}/dt uses unknown names {sorted(unknown)}")
    event_targets = {s.target for s in d.on_pre + d.on_spike + d.on_step}
    for state in d.states:
        if state not in d.equations.derivatives and state not in event_targets:
            raise EquationError(f"{where}: state {state} has no dynamics and no event sets it")
    # statements run outside the integrator: they see parameters, states and the time
    # (plus the step dt for on_step), not intermediates
    for statements, extra in ((d.on_pre + d.on_spike, {"release"}), (d.on_step, {"dt"})):
        local: set[str] = set()
        for stmt in statements:
            unknown = names(stmt.expr) - own - {"t"} - extra - local
            if unknown:
                raise EquationError(
                    f"{where}: statement {stmt.target} {stmt.op}= ... uses "
                    f"unknown names {sorted(unknown)} (statements see parameters,"
                    " states and t)"
                )
            if stmt.target in post_targets(d) and stmt in d.on_pre:
                continue  # a post-cell state (Brian2's ge_post += w): checked on connect
            if stmt.target not in d.states:
                if stmt.op != "=":
                    raise EquationError(f"{where}: {stmt.target} {stmt.op}= needs a state")
                local.add(stmt.target)
    unlogged = set(d.logged) - _event_locals(d)
    if unlogged:
        raise EquationError(f"{where}: logged {sorted(unlogged)} are not set by an event")
    for state, expr in d.initial.items():
        needed = closure(names(expr), d.equations.assignments)
        bad = needed & (set(d.states) - {d.voltage}) | (needed & {"I_in", "v_pre", "v_post"})
        if bad:
            raise EquationError(
                f"{where}: initial {state} may depend on parameters and the "
                f"voltage only, not {sorted(bad)}"
            )
    if d.kind == "neuron" and d.voltage not in d.states and (d.voltage or d.states):
        raise EquationError(f"{where}: voltage {d.voltage!r} is not a state")
    stray = (set(d.equations.assignments) & {"I_post", "I_pre", "I"}) - outputs
    if stray:
        raise EquationError(f"{where}: a {d.kind} cannot define {sorted(stray)}")


_REGISTRY: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Make a model class known by name (for presets, the CLI and the dashboard).

    Use it as a class decorator on your own models; re-registering the same name
    with a different class is an error.
    """
    if not isinstance(cls, type) or not issubclass(cls, Model) or not cls.kind:
        raise TypeError(
            f"register() takes a Neuron, Synapse, Stimulus or Plasticity class, got {cls!r}"
        )
    existing = _REGISTRY.get(cls.__name__)
    if existing is not None and existing is not cls:
        raise ValueError(
            f"a model named {cls.__name__!r} is already registered ({existing.__module__})"
        )
    _REGISTRY[cls.__name__] = cls
    return cls


def model_class(name: str, kind: str | None = None) -> type[Model]:
    """The registered model called ``name`` (optionally of one kind)."""
    cls = _REGISTRY.get(name)
    if cls is None or (kind is not None and cls.kind != kind):
        known = ", ".join(registered(kind))
        raise KeyError(f"unknown {kind or 'model'} {name!r} (known: {known})")
    return cls


def discover(package: str, path: Sequence[str]) -> dict[str, type[Model]]:
    """Import every module of model package ``package`` (its ``__path__``: each module
    registers its models) and return the models registered from it, by name.  A new
    model is one file: it reaches ``neuntune.models`` and ``nt.`` with no export list
    to edit."""
    for module in pkgutil.iter_modules(path):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package}.{module.name}")
    return {
        name: cls for name, cls in _REGISTRY.items() if cls.__module__.startswith(f"{package}.")
    }


def registered(kind: str | None = None) -> list[str]:
    """Names of registered models, optionally of one kind, sorted."""
    return sorted(n for n, c in _REGISTRY.items() if kind is None or c.kind == kind)
