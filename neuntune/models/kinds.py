"""The four kinds of model: :class:`Neuron` (a single-compartment cell),
:class:`Synapse` (a connection, and how a plasticity rule attaches to one),
:class:`Stimulus` (a current or clamp on one cell) and :class:`Plasticity`
(short-term plasticity of an event-driven synapse)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar

from .declarations import Parameter
from .definition import Definition, check_definition, event_locals
from .equations import EquationError, Equations, parse_expression
from .model import Model


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
    if "release" in event_locals(syn):
        raise ValueError(f"{where}: {syn.name} sets release itself (it has its own plasticity)")
    if "release" not in event_locals(plas):
        raise ValueError(f"{where}: {plas.name}'s on_pre must set release")

    def declared(d: Definition) -> set[str]:
        return set(d.parameters) | set(d.states) | set(d.equations.assignments) | event_locals(d)

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
    check_definition(combined, where)
    _ATTACHED[key] = combined
    return combined


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
