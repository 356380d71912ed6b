"""A model's declaration resolved for one choice of options (:class:`Definition`),
what each kind of model may read and must define (:data:`INPUTS`, :data:`OUTPUTS`),
and the checks every definition passes before it is compiled."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from .declarations import Parameter, State
from .equations import EquationError, Equations, Statement, closure, names

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


def post_targets(d: Definition) -> set[str]:
    """Targets of a synapse's ``on_pre`` that are states of its post cell (``ge_post``)."""
    if d.kind != "synapse":
        return set()
    return {s.target for s in d.on_pre if s.target.endswith("_post") and s.target not in d.states}


def event_locals(d: Definition) -> set[str]:
    """Names event statements assign that are not states (temporaries such as ``release``)."""
    return {s.target for s in d.on_pre + d.on_spike if s.target not in d.states} - post_targets(d)


def check_definition(d: Definition, where: str) -> None:
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
    unlogged = set(d.logged) - event_locals(d)
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
