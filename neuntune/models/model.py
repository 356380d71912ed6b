"""The base class of every model (:class:`Model`): declarations every model is made
of (parameters, states, options and equations) and validated parameter values.

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

import itertools
from collections.abc import Mapping
from typing import Any, ClassVar

from .declarations import Option, Parameter, State, initial_parameter
from .definition import Definition, check_definition
from .equations import parse_equations, parse_expression, parse_statements


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
        check_definition(definition, where)
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
