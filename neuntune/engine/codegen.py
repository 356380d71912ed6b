"""Generate the numba source of a circuit's kernels from its model definitions.

One module per (structure, method, precision).  It holds:

``derive(P, D)``   parameter-only intermediates, computed once per run;
``init(X, P, D)``  initial states (explicit values, or the model's expressions);
``rhs(X, P, D, t, OUT)``  the coupled right-hand side (tests, rest finding);
``kernel(...)``    the time loop.

Every integrator stage evaluates all stimuli, synapses and cells from that
stage's state, so the coupled system is one ODE system.  Circuits without
events get a loop over the batch that LLVM vectorises; circuits with events
(event-driven synapses, resets, spike sources) get a scalar loop that splits
steps at event times.  Constants are typed by precision so float32 kernels
really compute in float32.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ..models.equations import Statement, closure, derivative, linearity, names
from .layout import Layout, Slot
from .methods import EXPEULER, TABLEAUX, Tableau
from .render import HELPERS, Renderer, helpers_source

#: Kernel exit codes (the kernel returns (steps_done, status)): finished; a state
#: became NaN/inf; spike or event-log buffers need emptying; an event queue needs
#: to grow; more events within one step than a buffer's headroom (an error).
OK, NONFINITE, FLUSH, GROW, CROWDED = 0, 1, 2, 3, 4
#: Spike, queue and event-log buffer capacity per (batch member, source).
SPIKE_CAP = 256
LOG_CAP = 256
#: Free slots a step may need; a kernel returns FLUSH before a step with fewer.
HEADROOM = 8
#: Where a stage at the end of a step evaluates time-dependent inputs (just before it).
END_OF_STEP = 1.0 - 2.0**-20
#: ... and one at its start (just after it).
START_OF_STEP = 2.0**-20
#: The fast kernel looks for NaN/inf every this many steps.
NAN_CHECK = 32
#: Batch members per block of the fast kernel's packed layout (a multiple of every
#: SIMD width in use: 4 or 8 float64, 8 or 16 float32).
LANES = 8

FASTMATH = "{'contract', 'arcp', 'nsz'}"
#: The event-free kernels' own arithmetic (the models' equations and the Runge–Kutta
#: sums, written inline) may also be reassociated: it lets LLVM merge a gate's
#: α(1 − x) − βx into α − (α + β)x and the like (measured: ~6 % faster HH batches).
#: The helpers keep FASTMATH: fexp's Cody–Waite reduction needs its exact order.
KERNEL_FASTMATH = "{'contract', 'arcp', 'nsz', 'reassoc'}"


@dataclass
class Watcher:
    """Something that turns a crossing (or a listed time) into an event."""

    index: int
    neuron: int  # cell whose voltage is watched, or the spike source
    threshold: str  # rendered threshold ("" for spike sources)
    delay: str  # rendered delay ("" for none)
    record: bool = False  # count as the cell's spike
    connection: int = -1  # event-driven connection fed by this watcher
    reset: bool = False  # apply the cell's on_spike statements
    source: int = -1  # >= 0: this watcher reads a spike source's list (its own stream)


@dataclass
class Plan:
    """Everything ``compile`` needs besides the source: sizes and event wiring."""

    layout: Layout
    method: str
    precision: str
    events: bool
    watchers: list[Watcher] = field(default_factory=list)
    event_connections: list[int] = field(default_factory=list)
    # connections whose events start a pulse: queue len(event_connections) + i holds
    # the ends of connection boundaries[i]'s pulses, where steps are split too
    boundaries: list[int] = field(default_factory=list)
    # cells with a refractory period: queue n_queues - len(refractory) + i holds the
    # end of cell refractory[i]'s current period (at most one), where steps are split
    # too; the cell is refractory while that queue is not empty
    refractory: list[int] = field(default_factory=list)
    logged: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # spike-source cells
    streams: list[int] = field(default_factory=list)  # spike-source cell read by each stream
    packed: dict[str, int] = field(default_factory=dict)  # fast kernel's row offsets
    single_order: list[int] = field(default_factory=list)  # kernel1's state positions

    @property
    def n_queues(self) -> int:
        """Event queues, then pulse-end queues, then refractory-end queues."""
        return len(self.event_connections) + len(self.boundaries) + len(self.refractory)

    def refractory_queue(self, cell: int) -> int:
        """The queue holding the end of ``cell``'s refractory period."""
        return self.n_queues - len(self.refractory) + self.refractory.index(cell)


class Generator:
    """Builds the module source for one layout, method and precision."""

    def __init__(
        self, layout: Layout, method: str, precision: str, varying: frozenset[int] | None = None
    ) -> None:
        self.layout = layout
        self.method = method
        self.precision = precision
        self.render = Renderer(precision)
        self.plan = Plan(layout, method, precision, events=False)
        self.shared = self._shared(varying)
        self._plan_events()

    def _shared(self, varying: frozenset[int] | None) -> set[str]:
        """The parameter and derived locals (p12, d3) every member of a batch shares
        when only the parameter rows ``varying`` differ between members (None: any
        may differ).  A derived value is shared unless it reads a varying parameter."""
        if varying is None:
            return set()
        layout = self.layout
        shared = {f"p{r}" for r in range(layout.n_params) if r not in varying}
        for slot in layout.slots():
            moving = {name for name, row in slot.params.items() if row in varying}
            assignments = slot.definition.equations.assignments
            for name, row in slot.derived.items():
                if not closure(names(assignments[name]), assignments) & moving:
                    shared.add(f"d{row}")
        return shared

    # ------------------------------------------------------------------ naming
    def _namer(
        self, slot: Slot, stage: str, state: Callable[[int], str], t: str
    ) -> Callable[[str], str]:
        """Map a symbol of ``slot``'s equations to a local name in ``stage``."""
        layout = self.layout
        d = slot.definition

        def name_of(symbol: str) -> str:
            if symbol in slot.params:
                return f"p{slot.params[symbol]}"
            if symbol in slot.derived:
                return f"d{slot.derived[symbol]}"
            if symbol in slot.states:
                return state(slot.states[symbol])
            if symbol in d.equations.assignments:
                return f"{stage}_{self._tag(slot)}_{symbol}"
            if symbol == "t":
                return t
            if symbol == "I_in":
                return f"{stage}_I{layout.neurons.index(slot)}"
            if symbol in ("v_pre", "v", "v_post"):
                cell = layout.neurons[slot.post if symbol == "v_post" else slot.pre]
                return state(cell.states[cell.definition.voltage])
            raise KeyError(f"{slot.name}: cannot resolve {symbol!r}")

        return name_of

    def _tag(self, slot: Slot) -> str:
        layout = self.layout
        if slot in layout.neurons:
            return f"n{layout.neurons.index(slot)}"
        if slot in layout.connections:
            return f"c{layout.connections.index(slot)}"
        return f"s{layout.stimuli.index(slot)}"

    # ----------------------------------------------------------------- pieces
    def _intermediates(
        self, slot: Slot, wanted: set[str], name_of: Callable[[str], str]
    ) -> list[str]:
        d = slot.definition
        needed = closure(wanted, d.equations.assignments)
        lines = []
        for name, expr in d.equations.assignments.items():
            if name in needed and name not in slot.derived:
                lines.append(f"{name_of(name)} = {self.render.expr(expr, name_of)}")
        return lines

    def clamps(self) -> dict[int, Slot]:
        """Ideal voltage clamps by the voltage row they hold (one per cell)."""
        out: dict[int, Slot] = {}
        for slot in self.layout.stimuli:
            if "V_command" in slot.definition.equations.assignments:
                cell = self.layout.neurons[slot.pre]
                row = cell.states[cell.definition.voltage]
                if row in out:
                    raise ValueError(f"cell {cell.name!r} has two voltage clamps")
                out[row] = slot
        return out

    def command(self, slot: Slot, prefix: str, t: str) -> list[str]:
        """A clamp's command voltage at time ``t`` into ``{prefix}_{tag}_V_command``."""
        name_of = self._namer(slot, prefix, lambda r: "", t)
        return self._intermediates(slot, {"V_command"}, name_of)

    def stage(
        self,
        stage: str,
        state: Callable[[int], str],
        t: str,
        derivatives: bool = True,
        linear: bool = False,
        held: Mapping[int, str] | None = None,
    ) -> list[str]:
        """Evaluate every output and (optionally) derivative at one stage.

        Derivatives go to ``{stage}_k{row}``; with ``linear`` also the decay
        rates ``{stage}_b{row}`` (= -df/dx) of states linear in themselves.
        ``held`` maps the voltage rows of refractory cells to a local that is 0
        while the cell is refractory and 1 otherwise; it multiplies their dv/dt.
        A clamped cell sees its command voltage, its dv/dt is 0, and the clamp
        current is the current that would otherwise have charged it,
        I = -C dv/dt with C = 1/(d(dv/dt)/dI_in) (positive depolarises, as
        NEURON's SEClamp reports it).
        """
        layout, lines = self.layout, []
        clamps = self.clamps()
        for row, slot in clamps.items():
            lines += self.command(slot, stage, t)
            command = f"{stage}_{self._tag(slot)}_V_command"
            lines.append(f"{stage}_vc{row} = {command} if p{slot.gain} > 0 else {state(row)}")
        free = state
        state = lambda r: f"{stage}_vc{r}" if r in clamps else free(r)  # noqa: E731
        inputs: dict[int, list[str]] = {i: [] for i in range(len(layout.neurons))}
        for slot in layout.stimuli:
            if slot in clamps.values():
                continue
            name_of = self._namer(slot, stage, state, t)
            lines += self._intermediates(slot, {"I"}, name_of)
            current = f"{stage}_{self._tag(slot)}_I"
            lines.append(f"{current} = {current} * p{slot.gain}")
            inputs[slot.pre].append(current)
        for slot in layout.connections:
            name_of = self._namer(slot, stage, state, t)
            outputs = {"I_post"} | ({"I_pre"} & set(slot.definition.equations.assignments))
            wanted = outputs | (self._derivative_names(slot) if derivatives else set())
            lines += self._intermediates(slot, wanted, name_of)
            inputs[slot.post].append(name_of("I_post"))
            if "I_pre" in outputs:
                inputs[slot.pre].append(name_of("I_pre"))
        clamped_cells = {clamp.pre for clamp in clamps.values()}
        for i, slot in enumerate(layout.neurons):
            if not slot.states or not (derivatives or i in clamped_cells):
                continue
            terms = " + ".join(inputs[i]) or self.render.const(0.0)
            lines.append(f"{stage}_I{i} = {terms}")
            name_of = self._namer(slot, stage, state, t)
            lines += self._intermediates(slot, self._derivative_names(slot), name_of)
        for slot in layout.neurons + layout.connections:
            name_of = self._namer(slot, stage, state, t)
            eqs = slot.definition.equations
            for var, expr in eqs.derivatives.items():
                row = slot.states[var]
                if not derivatives and row not in clamps:
                    continue
                value = self.render.expr(expr, name_of)
                if held and row in held:
                    value = f"{held[row]} * {value}"
                lines.append(f"{stage}_k{row} = {value}")
                if derivatives and linear and linearity(expr, var, eqs.assignments) <= 1:
                    slope = derivative(expr, var, eqs.assignments)
                    lines.append(f"{stage}_b{row} = -({self.render.expr(slope, name_of)})")
                if row in clamps:
                    clamp = clamps[row]
                    gain = derivative(expr, "I_in", eqs.assignments)
                    current = f"{stage}_{self._tag(clamp)}_I"
                    lines.append(
                        f"{current} = -{stage}_k{row} / ({self.render.expr(gain, name_of)}) "
                        f"if p{clamp.gain} > 0 else {self.render.const(0.0)}"
                    )
                    lines.append(
                        f"{stage}_k{row} = {self.render.const(0.0)} "
                        f"if p{clamp.gain} > 0 else {stage}_k{row}"
                    )
        return lines

    @staticmethod
    def _derivative_names(slot: Slot) -> set[str]:
        used: set[str] = set()
        for expr in slot.definition.equations.derivatives.values():
            used |= names(expr)
        return used

    def evolving(self) -> list[int]:
        """State rows that have a derivative (others change only at events)."""
        rows = []
        for slot in self.layout.slots():
            rows += [slot.states[v] for v in slot.definition.equations.derivatives]
        return rows

    def linear_rows(self) -> set[int]:
        rows = set()
        for slot in self.layout.slots():
            eqs = slot.definition.equations
            for var, expr in eqs.derivatives.items():
                if linearity(expr, var, eqs.assignments) <= 1:
                    rows.add(slot.states[var])
        return rows

    def _used(self, lines: list[str]) -> list[str]:
        """The parameter and derived locals (p12, d3) that ``lines`` read, in row order."""
        text = "\n".join(lines)
        params = sorted({int(m) for m in re.findall(r"\bp(\d+)\b", text)})
        derived = sorted({int(m) for m in re.findall(r"\bd(\d+)\b", text)})
        return [f"p{r}" for r in params] + [f"d{r}" for r in derived]

    def _function(self, name: str, body: list[str], results: list[str]) -> tuple[str, list[str]]:
        """A force-inlined function ``name(t, x0.., used params..) -> results``.

        Type inference runs once for it instead of once per call site, which keeps
        compiling fast.  (The integrator stages are written out in the kernels
        instead: LLVM's loop vectoriser gives up on loops that contain calls, even
        ones it inlines later.)
        """
        states = [f"x{r}" for r in range(self.layout.n_states)]
        args = ["t", *states, *self._used(body)]
        lines = ["@njit(forceinline=True, **OPTS)", f"def {name}({', '.join(args)}):"]
        lines += ["    " + line for line in body]
        lines.append(f"    return ({', '.join(results)},)")
        return "\n\n" + "\n".join(lines) + "\n", args

    def _outs_source(self) -> str:
        """``outs``: every recordable (states, then output currents) at one time."""
        body = self.stage("o", lambda r: f"x{r}", "t", derivatives=False)
        results = []
        for rec in self.layout.recordables:
            if rec.state_row >= 0:
                results.append(f"x{rec.state_row}")
            else:
                results.append(f"o_{self._tag(self.layout.slot(rec.element))}_{rec.output}")
        source, self._outs_args = self._function("outs", body, results or [self.render.const(0.0)])
        return source

    def _call(
        self,
        function: str,
        args: list[str],
        targets: list[str],
        state: Callable[[int], str],
        t: str,
    ) -> str:
        values = [t if a == "t" else state(int(a[1:])) if a.startswith("x") else a for a in args]
        return f"{', '.join(targets)}, = {function}({', '.join(values)})"

    def _one_sided(
        self,
        stage: str,
        state: Callable[[int], str],
        ts: str,
        h: str,
        node: Fraction | int,
        base: str | None = None,
        linear: bool = False,
        held: Mapping[int, str] | None = None,
    ) -> list[str]:
        """A stage, with anything discontinuous in time (comparisons, floor) taken
        from inside the step: the right limit at its start, the left limit at its
        end.  A stimulus switching exactly at a step boundary — or a transmitter pulse
        ending at an event time the engine split the step at, which rounding may put
        a hair early — then belongs to the step that starts there.  Smooth terms see
        the exact time, which keeps the method's order."""
        lines = []
        if node in (0, 1):
            nudge = START_OF_STEP if node == 0 else END_OF_STEP
            lines.append(f"{stage}_tc = {base or ts} + {self.render.const(nudge)} * {h}")
            self.render.condition_time = {ts: f"{stage}_tc"}
        lines += self.stage(stage, state, ts, linear=linear, held=held)
        self.render.condition_time = {}
        return lines

    def step(self, h: str, t: str, held: Mapping[int, str] | None = None) -> list[str]:
        """One step of length ``h`` from states ``x{row}`` at ``t`` to ``n{row}``
        (``held``: see :meth:`stage`)."""
        rows = self.evolving()
        every = [r for s in self.layout.slots() for r in s.states.values()]
        lines: list[str] = []
        if self.method == EXPEULER:
            lines += self._one_sided("s0", lambda r: f"x{r}", t, h, 0, linear=True, held=held)
            linear = self.linear_rows()
            for r in rows:
                if r in linear:
                    lines.append(f"n{r} = eeuler(x{r}, s0_k{r}, s0_b{r}, {h})")
                else:
                    lines.append(f"n{r} = x{r} + {h} * s0_k{r}")
        else:
            tab: Tableau = TABLEAUX[self.method]
            c = self.render.const
            for s in range(tab.stages):
                if s == 0:
                    state = lambda r: f"x{r}"  # noqa: E731
                    ts = t
                else:
                    for r in rows:
                        lines.append(f"y{s}_{r} = x{r} + {self._weighted(tab.a[s], r, h)}")
                    state = (lambda s_: lambda r: f"y{s_}_{r}" if r in rows else f"x{r}")(s)
                    ts = f"t{s}"
                    lines.append(f"t{s} = {t} + {c(tab.c[s])} * {h}")
                lines += self._one_sided(f"s{s}", state, ts, h, tab.c[s], base=t, held=held)
            for r in rows:
                lines.append(f"n{r} = x{r} + {self._weighted(tab.b, r, h)}")
        lines += [f"n{r} = x{r}" for r in every if r not in rows]
        for row, slot in self.clamps().items():
            lines += self.command(slot, "e", f"({t} + {h})")
            command = f"e_{self._tag(slot)}_V_command"
            lines.append(f"n{row} = {command} if p{slot.gain} > 0 else n{row}")
        return lines

    def _weighted(self, weights: tuple[Fraction, ...], row: int, h: str) -> str:
        """Σ_j w_j h k_j for state ``row``, stages of equal weight summed first and each
        weight multiplied into the step, ``(w * h)``: loop-invariant, so the compiler
        hoists it and each stage costs one fused multiply-add per state."""
        groups: dict[Fraction, list[str]] = {}
        for j, w in enumerate(weights):
            if w != 0:
                groups.setdefault(w, []).append(f"s{j}_k{row}")
        terms = []
        for w, ks in groups.items():
            summed = ks[0] if len(ks) == 1 else f"({' + '.join(ks)})"
            terms.append(f"({self.render.const(w)} * {h}) * {summed}")
        return terms[0] if len(terms) == 1 else f"({' + '.join(terms)})"

    # ------------------------------------------------------------------ events
    def _plan_events(self) -> None:
        layout, plan = self.layout, self.plan
        for i, slot in enumerate(layout.neurons):
            d = slot.definition
            if not slot.states:  # a spike source: its listed times are its spikes
                plan.sources.append(i)
                plan.streams.append(i)
                plan.watchers.append(
                    Watcher(
                        len(plan.watchers), i, "", "", record=True, source=len(plan.streams) - 1
                    )
                )
                continue
            if d.reset_threshold is not None:
                name_of = self._namer(slot, "ev", lambda r: f"x{r}", "tc")
                thr = self.render.expr(d.reset_threshold, name_of)
                plan.watchers.append(
                    Watcher(len(plan.watchers), i, thr, "", record=True, reset=True)
                )
                if d.refractory:
                    plan.refractory.append(i)
            else:
                thr = self.render.const(d.spike_threshold)
                plan.watchers.append(Watcher(len(plan.watchers), i, thr, "", record=True))
        for k, slot in enumerate(layout.connections):
            d = slot.definition
            if not d.on_pre:
                continue
            plan.event_connections.append(k)
            if d.pulse:
                plan.boundaries.append(k)
            if d.logged:
                plan.logged.append((k, d.logged))
            pre = layout.neurons[slot.pre]
            delay = f"p{slot.params['delay']}"
            if not pre.states:
                plan.streams.append(slot.pre)
                stream = len(plan.streams) - 1
                watcher = Watcher(
                    len(plan.watchers), slot.pre, "", delay, connection=k, source=stream
                )
            else:
                thr = f"p{slot.params['threshold']}"
                watcher = Watcher(len(plan.watchers), slot.pre, thr, delay, connection=k)
            plan.watchers.append(watcher)
        plan.events = bool(plan.sources or plan.event_connections) or any(
            w.reset for w in plan.watchers
        )

    def _statements(
        self, slot: Slot, statements: list[Statement], tag: str, t: str = "tc"
    ) -> list[str]:
        """Statements applied to the committed states ``x{row}`` at time ``t``."""
        local: dict[str, str] = {"dt": "dt"}
        base = self._namer(slot, "ev", lambda r: f"x{r}", t)

        def name_of(symbol: str) -> str:
            return local[symbol] if symbol in local else base(symbol)

        lines = []
        if "release" not in {s.target for s in statements}:
            local["release"] = self.render.const(1.0)
        for stmt in statements:
            value = self.render.expr(stmt.expr, name_of)
            if stmt.target in slot.states:
                target = f"x{slot.states[stmt.target]}"
                if stmt.op == "=":
                    lines.append(f"{target} = {value}")
                else:
                    lines.append(f"{target} = {target} {stmt.op} {value}")
            else:
                local[stmt.target] = f"{tag}_{stmt.target}"
                lines.append(f"{local[stmt.target]} = {value}")
        self._locals = local
        return lines

    def _per_step(self) -> list[str]:
        """Every model's on_step statements, after a completed step ending at ``tn``.

        ``randn()`` draws from a counter-based generator keyed by (seed parameter,
        the statement's stream, global step, draw), so a run's noise does not
        depend on chunking or batching, and every batch member sees the same noise.
        """
        lines: list[str] = []
        for slot in self.layout.slots():
            if not slot.definition.on_step:
                continue
            stream = self.layout.slots().index(slot)
            seed = f"p{slot.params['seed']}" if "seed" in slot.params else self.render.const(0.0)
            self.render.random = (seed, stream)
            lines += self._statements(slot, slot.definition.on_step, f"u{stream}", t="tn")
            self.render.random = None
        return lines

    @property
    def n_queues(self) -> int:
        return self.plan.n_queues

    def _deliver(self, k: int) -> list[str]:
        """Apply connection k's on_pre at time ``tc`` (and log what it asks to log)."""
        slot = self.layout.connections[k]
        lines = self._statements(slot, slot.definition.on_pre, f"e{k}")
        if k in self.plan.boundaries:  # the pulse this event starts ends inside a later step
            q = len(self.plan.event_connections) + self.plan.boundaries.index(k)
            lines += [
                f"if QN[b, {q}] == QT.shape[2]:",
                f"    return it, {CROWDED}",
                f"QT[b, {q}, (QH[b, {q}] + QN[b, {q}]) % QT.shape[2]] = tc + "
                f"p{slot.params[slot.definition.pulse]}",
                f"QN[b, {q}] += 1",
            ]
        for j, (kk, logged) in enumerate(self.plan.logged):
            if kk == k:
                lines.append(f"ln = LOG_N[b, {j}]")
                lines.append("if ln == LOG_T.shape[2]:")
                lines.append(f"    return it, {CROWDED}")
                lines.append(f"LOG_T[b, {j}, ln] = tc")
                for m, name in enumerate(logged):
                    lines.append(f"LOG_V[b, {j}, ln, {m}] = {self._locals[name]}")
                lines.append(f"LOG_N[b, {j}] = ln + 1")
        return lines

    # ----------------------------------------------------------------- module
    def source(self) -> str:
        helpers = HELPERS[self.precision]
        body = [
            '"""Generated by neuntune.engine.codegen: do not edit (regenerated on demand)."""',
            "import math",
            "import numpy as np",
            "from numba import njit",
            f"from neuntune.engine.intrinsics import {helpers['cast']}, {helpers['uncast']}",
            "",
            f"F = np.{self.precision}",
            f"OPTS = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH})",
            "KERNEL_OPTS = dict(OPTS, fastmath=" + KERNEL_FASTMATH + ")",
            "",
        ]
        functions = [
            self._helpers_source(),
            self._outs_source(),
            self._rhs_source(),
            self._setup_source(),
            self._rearm_source(),
            *(
                [self._event_kernel_source()]
                if self.plan.events
                else [self._fast_kernel_source(), self._fast_kernel_source(single=True)]
            ),
        ]
        return "\n".join(body + self.render.constant_lines() + [""] + functions) + "\n"

    def _helpers_source(self) -> str:
        return helpers_source(self.render, self.precision)

    def _loads(self, indent: str) -> list[str]:
        """Load every parameter and derived value of batch member ``b`` from P and D."""
        layout = self.layout
        lines = [f"p{r} = P[{r}, b]" for r in range(layout.n_params)]
        lines += [f"d{r} = D[{r}, b]" for r in range(layout.n_derived)]
        return [indent + line for line in lines]

    def _row_views(self, indent: str = "    ") -> list[str]:
        layout = self.layout
        lines = [f"P{r} = P[{r}]" for r in range(layout.n_params)]
        lines += [f"D{r} = D[{r}]" for r in range(layout.n_derived)]
        lines += [f"X{r} = X[{r}]" for r in range(layout.n_states)]
        return [indent + line for line in lines]

    def _setup_source(self) -> str:
        """``setup(X, P, D, ARMED)``: values derived from parameters, initial states, and
        which crossing watchers start armed (their voltage below threshold)."""
        lines = ["@njit(**OPTS)", "def setup(X, P, D, ARMED):", "    for b in range(P.shape[1]):"]
        lines += [f"        p{r} = P[{r}, b]" for r in range(self.layout.n_params)]
        for slot in self.layout.slots():
            name_of = self._namer(slot, "h", lambda r: "", "")
            for name, row in slot.derived.items():
                expr = slot.definition.equations.assignments[name]
                lines.append(f"        d{row} = {self.render.expr(expr, name_of)}")
                lines.append(f"        D[{row}, b] = d{row}")
        for slot in self.layout.slots():
            d = slot.definition
            name_of = self._namer(slot, "i", lambda r: f"x{r}", "F(0.0)")
            # explicit values first; the expressions (gates at steady state) may read
            # them, and the intermediates they share are computed once
            for state in d.states:
                if state not in d.initial:
                    row = slot.states[state]
                    lines.append(f"        x{row} = p{slot.params[f'{state}0']}")
            needed: set[str] = set()
            for expr in d.initial.values():
                needed |= names(expr)
            lines += ["        " + line for line in self._intermediates(slot, needed, name_of)]
            for state, expr in d.initial.items():
                row, param = slot.states[state], slot.params[f"{state}0"]
                lines.append(f"        x{row} = p{param}")
                lines.append(f"        if np.isnan(x{row}):")
                lines.append(f"            x{row} = {self.render.expr(expr, name_of)}")
            lines += [f"        X[{row}, b] = x{row}" for row in slot.states.values()]
        for row, slot in self.clamps().items():  # a clamped cell starts at its command
            lines += ["        " + line for line in self.command(slot, "e", "F(0.0)")]
            command = f"e_{self._tag(slot)}_V_command"
            lines.append(f"        if p{slot.gain} > 0:")
            lines.append(f"            X[{row}, b] = {command}")
        lines.append("    rearm(X, P, D, ARMED)")
        lines.append("    return 0")
        return "\n\n" + "\n".join(lines) + "\n"

    def _rearm_source(self) -> str:
        """``rearm(X, P, D, ARMED)``: a crossing watcher may fire once its voltage is below
        threshold (called at the start and after states are set from outside)."""
        lines = ["@njit(**OPTS)", "def rearm(X, P, D, ARMED):", "    for b in range(X.shape[1]):"]
        lines += self._loads("        ")
        for w in self.plan.watchers:
            if w.source >= 0:
                continue
            cell = self.layout.neurons[w.neuron]
            row = cell.states[cell.definition.voltage]
            lines.append(f"        ARMED[b, {w.index}] = X[{row}, b] < {w.threshold}")
        lines.append("    return 0")
        return "\n\n" + "\n".join(lines) + "\n"

    def _rhs_source(self) -> str:
        layout = self.layout
        lines = ["@njit(**OPTS)", "def rhs(X, P, D, t, OUT):", "    for b in range(X.shape[1]):"]
        lines += self._loads("        ")
        lines += [f"        x{r} = X[{r}, b]" for r in range(layout.n_states)]
        lines += ["        " + line for line in self.stage("s0", lambda r: f"x{r}", "t")]
        evolving = set(self.evolving())
        for r in range(layout.n_states):
            value = f"s0_k{r}" if r in evolving else self.render.const(0.0)
            lines.append(f"        OUT[{r}, b] = {value}")
        lines.append("    return 0")
        return "\n\n" + "\n".join(lines) + "\n"

    def _outputs_block(self, indent: str) -> list[str]:
        """Fill ``tmp`` with every recordable at time ``tn`` from states ``x{row}``."""
        n = max(len(self.layout.recordables), 1)
        targets = [f"o{i}" for i in range(n)]
        lines = [self._call("outs", self._outs_args, targets, lambda r: f"x{r}", "tn")]
        lines += [f"tmp[{i}] = o{i}" for i in range(n)]
        return [indent + line for line in lines]

    _SIGNATURE = (
        "def kernel(X, P, D, S, t0, dt, n_steps, step0, rec_every, REC, summing, rec_pos,\n"
        "           rec_idx, SPK_T, SPK_N, ARMED, QT, QH, QN, SRC_T, SRC_PTR, SRC_END,\n"
        "           LOG_T, LOG_V, LOG_N):"
    )

    def _record_block(
        self, indent: str, first: bool = False, single: bool = False, shared: Collection[str] = ()
    ) -> list[str]:
        """Record all batch members: the initial sample (``first``), else every
        ``rec_every`` steps, counted down in ``rec_pos[1]`` (no division per step),
        and at the run's last step (``rec_pos[2]`` steps in all) whatever the count.
        ``shared``: parameter locals already read once for every member."""
        layout = self.layout
        packed = not self.plan.events
        if first:
            lines = [
                "if step0 == 0:",
                "    r = rec_pos[0]",
                "    tn = t0",
            ]
        else:
            lines = [
                "countdown -= 1",
                "if countdown == 0 or step0 + it + 1 == rec_pos[2]:",
                "    countdown = rec_every",
                "    r = rec_pos[0]",
                "    tn = t0 + F(it + 1) * dt",
            ]
        needed = [name for name in self._used(self._outputs_block("")) if name not in shared]
        body = []
        if packed:
            body += self._member("    ", needed, single)
        else:
            body += [f"    {name} = {name.upper()}[b]" for name in needed]
            body += [f"    x{r} = X{r}[b]" for r in range(layout.n_states)]
        body += self._outputs_block("    ")
        body += [
            "    for j in range(rec_idx.shape[0]):",
            "        REC[b, j, r] = tmp[rec_idx[j]]",
        ]
        if packed:
            lines += self._sum_voltages(single)
            # Only states recorded (the usual voltages): copy them from S, without
            # evaluating every output at every recorded step.
            lines += [
                "    if rec_direct:",
                "        for b in range(B):",
                "            for j in range(n_rec):",
                "                REC[b, j, r] = S[rec_src[b * n_rec + j]]",
                "    else:",
                "        for b in range(B):",
                *["        " + line for line in body],
            ]
        else:
            lines += ["    for b in range(B):", *["    " + line for line in body]]
        lines.append("    rec_pos[0] = r + 1")
        return [indent + line for line in lines]

    def _sum_voltages(self, single: bool) -> list[str]:
        """Record-block lines adding every cell's voltage to the sum rows of S when
        ``summing`` (sums instead of samples, see simulate.run_kernel).  Sum row i
        holds cell i's first sample, n + i its Σd, 2n + i·n + k its Σd_i·d_k (k ≥ i),
        d being the sample minus the first; like the step itself, one loop over a
        block's lanes with compile-time rows, which LLVM vectorises."""
        rows = self.layout.voltage_rows()
        n = len(rows)
        at = self._addresser(single)
        body = []
        for i, r in enumerate(rows):
            body.append(f"dv{i} = {at('x', r)} - {at('m', i)}")
            body.append(f"{at('m', n + i)} += dv{i}")
        for i in range(n):
            for k in range(i, n):
                body.append(f"{at('m', 2 * n + i * n + k)} += dv{i} * dv{k}")
        if single:
            return ["    if summing:", *["        " + line for line in body]]
        return [
            "    if summing:",
            "        for blk in range(nblk):",
            f"            o = blk * {self.packed_rows()['total'] * LANES}",
            f"            for j in range({LANES}):",
            *["                " + line for line in body],
        ]

    def _direct_record_source(self, single: bool) -> list[str]:
        """Kernel preamble: ``rec_direct`` when every recorded variable is a state;
        then REC[b, j] takes its samples from S[rec_src[b × (recorded variables) + j]]."""
        order = self.single_order()
        offsets = [
            -1 if rec.state_row < 0 else order[rec.state_row] if single else rec.state_row * LANES
            for rec in self.layout.recordables
        ] or [-1]
        block = self.packed_rows()["total"] * LANES
        base = "0" if single else f"(b // {LANES}) * {block} + b % {LANES}"
        return [
            f"    src_of = np.array([{', '.join(map(str, offsets))}], np.int64)",
            "    n_rec = rec_idx.shape[0]",
            "    rec_src = np.empty(B * n_rec, np.int64)",
            "    rec_direct = True",
            "    for b in range(B):",
            "        for j in range(n_rec):",
            "            rec_src[b * n_rec + j] = " + base + " + src_of[rec_idx[j]]",
            "            rec_direct = rec_direct and src_of[rec_idx[j]] >= 0",
        ]

    def _capacity_check(self, indent: str) -> list[str]:
        lines = [
            "for b in range(B):",
            "    for j in range(SPK_N.shape[1]):",
            f"        if SPK_N[b, j] > SPK_T.shape[2] - {HEADROOM}:",
            "            rec_pos[1] = countdown",
            f"            return it, {FLUSH}",
            "    for j in range(LOG_N.shape[1]):",
            f"        if LOG_N[b, j] > LOG_T.shape[2] - {HEADROOM}:",
            "            rec_pos[1] = countdown",
            f"            return it, {FLUSH}",
            "    for j in range(QN.shape[1]):",
            f"        if QN[b, j] > QT.shape[2] - {HEADROOM}:",
            "            rec_pos[1] = countdown",
            f"            return it, {GROW}",
        ]
        return [indent + line for line in lines]

    # The fast kernel keeps every per-member number in one flat array S, laid out as
    # [block][row][lane] with LANES members per block (rows: states, parameters,
    # derived values, then the previous voltage and its slope per cell).  One base
    # pointer and compile-time row offsets let LLVM prove that the rows do not overlap,
    # so the loop over a block's lanes vectorises; separate arrays per row, or a
    # runtime row stride, each made it give up.

    def packed_rows(self) -> dict[str, int]:
        """Row offsets of the packed layout: states, params, derived, scratch (each
        cell's voltage and slope before the step), sums (see :meth:`_sum_voltages`),
        total."""
        layout = self.layout
        params = layout.n_states
        derived = params + layout.n_params
        scratch = derived + layout.n_derived
        n_v = len(self.layout.voltage_rows())
        sums = scratch + 2 * n_v
        return dict(
            params=params,
            derived=derived,
            scratch=scratch,
            sums=sums,
            total=sums + n_v * (n_v + 2),
        )

    def single_order(self) -> list[int]:
        """Where each state row sits in the single-member kernel's array: the same
        state of cells (and synapses) of one model side by side (v of a, v of b, m of
        a, ...), so LLVM's SLP vectoriser packs their identical arithmetic together."""
        groups: dict[tuple[str, str], list[int]] = {}
        for slot in self.layout.slots():
            for state, row in slot.states.items():
                groups.setdefault((slot.definition.key, state), []).append(row)
        order = [row for rows in groups.values() for row in rows]
        position = [0] * len(order)
        for place, row in enumerate(order):
            position[row] = place
        return position

    def _addresser(self, single: bool, first: bool = False) -> Callable[[str, int], str]:
        """``at(kind, index)``: the S element holding a state ("x"), parameter ("p"),
        derived value ("d"), scratch row ("s") or sum ("m") of lane j in block o (or
        of the one member, in the single-member kernel; or, with ``first``, of the
        batch's first member)."""
        rows = self.packed_rows()
        start = {
            "x": 0,
            "p": rows["params"],
            "d": rows["derived"],
            "s": rows["scratch"],
            "m": rows["sums"],
        }
        order = self.single_order()

        def at(kind: str, index: int) -> str:
            if kind == "x":
                row = order[index] if single else index
            else:
                row = start[kind] + index
            if single:
                return f"S[{row}]"
            return f"S[{row * LANES}]" if first else f"S[o + {row * LANES} + j]"

        return at

    def _member(self, indent: str, needed: list[str], single: bool) -> list[str]:
        """Load member ``b``'s states and the ``needed`` parameters from S."""
        rows, layout = self.packed_rows(), self.layout
        at = self._addresser(single)
        lines = (
            [] if single else [f"o = (b // {LANES}) * {rows['total'] * LANES}", f"j = b % {LANES}"]
        )
        lines += [f"x{r} = {at('x', r)}" for r in range(layout.n_states)]
        lines += [f"{name} = {at(name[0], int(name[1:]))}" for name in needed]
        return [indent + line for line in lines]

    def _spike(self, w: Watcher, old: str, slope: str, new: str) -> list[str]:
        """Record member b's spike if watcher ``w``'s voltage crossed its threshold
        between ``old`` (with ``slope``) at t and ``new`` at t + dt."""
        return [
            f"if {old} < {w.threshold} and {new} >= {w.threshold}:",
            f"    s = SPK_N[b, {w.neuron}]",
            f"    SPK_T[b, {w.neuron}, s] = t + crossing({old}, {slope}, {new}, {w.threshold}, dt)",
            f"    SPK_N[b, {w.neuron}] = s + 1",
            "    spk_top = max(spk_top, s + 1)",
        ]

    def _fast_kernel_source(self, single: bool = False) -> str:
        """No events: every member in lockstep, the lanes of a block vectorised;
        spikes are located afterwards from each cell's previous voltage and slope.

        ``single``: ``kernel1``, the same for exactly one member, without the lane
        loop and with same-model states side by side (see :meth:`single_order`)."""
        layout = self.layout
        rows = self.packed_rows()
        voltage_rows = self.layout.voltage_rows()
        block = rows["total"] * LANES
        at = self._addresser(single)
        kernel = "kernel1" if single else "kernel"
        lines = [
            "@njit(**KERNEL_OPTS)",
            self._SIGNATURE.replace("def kernel(", f"def {kernel}("),
            "    B = X.shape[1]",
        ]
        lines.append(f"    nblk = (B + {LANES - 1}) // {LANES}")
        lines.append(f"    tmp = np.empty({max(len(layout.recordables), 1)}, F)")
        work = [f"v{r} = x{r}" for r in voltage_rows]
        work += self.step("dt", "t")
        work += [f"x{r} = n{r}" for r in range(layout.n_states)]
        work += self._per_step()
        # Values every member shares are read once per call.  The time loop writes S,
        # so LLVM cannot prove these loads invariant and hoist them itself; as
        # invariants they cost neither loads nor registers in the vectorised body
        # (measured on HH pairs: ~12 % faster batches, ~5 % faster single runs).
        used = self._used(work + self._outputs_block(""))
        shared = set(used) if single else self.shared & set(used)
        first = self._addresser(single, first=True)
        lines += [f"    {n} = {first(n[0], int(n[1:]))}" for n in used if n in shared]
        lines += self._direct_record_source(single)
        lines += self._record_block("    ", first=True, single=single, shared=shared)
        lines.append("    countdown = rec_pos[1]")
        # the fullest spike buffer, tracked as spikes are written: one comparison a
        # step instead of a pass over every member and cell
        lines += [
            "    spk_top = 0",
            "    for b in range(B):",
            "        for j in range(SPK_N.shape[1]):",
            "            spk_top = max(spk_top, SPK_N[b, j])",
        ]
        lines.append("    for it in range(n_steps):")
        lines += [
            f"        if spk_top > SPK_T.shape[2] - {HEADROOM}:",
            "            rec_pos[1] = countdown",
            f"            return it, {FLUSH}",
        ]
        lines.append("        t = t0 + F(it) * dt")
        lines.append("        tn = t0 + F(it + 1) * dt")
        if single:
            lines.append("        b = 0")
            indent = "        "
        else:
            lines.append("        for blk in range(nblk):")
            lines.append(f"            o = blk * {block}")
            lines.append(f"            for j in range(min({LANES}, B - blk * {LANES})):")
            indent = "                "
        body = [f"x{r} = {at('x', r)}" for r in range(layout.n_states)]
        needed = [name for name in self._used(work) if name not in shared]
        body += [f"{name} = {at(name[0], int(name[1:]))}" for name in needed]
        body += work
        if not single:  # kept for the spike pass over all members below
            for i, r in enumerate(voltage_rows):
                body.append(f"{at('s', 2 * i)} = v{r}")
                body.append(f"{at('s', 2 * i + 1)} = s0_k{r}")
        body += [f"{at('x', r)} = x{r}" for r in range(layout.n_states)]
        if single:  # one member: spikes straight from the step's locals
            for w in self.plan.watchers:
                cell = layout.neurons[w.neuron]
                r = cell.states[cell.definition.voltage]
                body += self._spike(w, f"v{r}", f"s0_k{r}", f"x{r}")
        lines += [indent + line for line in body]
        member = [] if single else [f"o = (b // {LANES}) * {block}", f"j = b % {LANES}"]
        if layout.n_states:
            # a NaN or inf persists, so checking every NAN_CHECK steps (and at the
            # end) finds every blow-up at a cost that does not grow with the batch
            total = " + ".join(at("x", r) for r in range(layout.n_states))
            lines += [
                f"        if (step0 + it + 1) % {NAN_CHECK} == 0 or it == n_steps - 1:",
                "            for b in range(B):",
                *["                " + line for line in member],
                f"                if not finite({total}):",
                f"                    return it + 1, {NONFINITE}",
            ]
        if not single and self.plan.watchers:
            # spikes are rare: a vectorised pass over whole blocks gates the
            # member-by-member pass that locates them.  A crossing (old < threshold <=
            # new) makes min(threshold - old, new - threshold) >= 0, so the gate misses
            # none; a false alarm (old exactly at threshold) only costs the exact pass,
            # and padding lanes never raise one (pack() sets their old voltage to +inf).
            # A running float max beats counting boolean hits by 1–2.5 % on float64 HH
            # batches (A/Bs; float32 shows no difference).  A summing run keeps only its
            # sums (sum_batch), so it skips both passes.
            crossings = []
            located = []
            for w in self.plan.watchers:
                slot = layout.neurons[w.neuron]
                i = voltage_rows.index(slot.states[slot.definition.voltage])
                old, slope, new = at("s", 2 * i), at("s", 2 * i + 1), at("x", voltage_rows[i])
                crossings.append(
                    f"near = max(near, min({w.threshold} - {old}, {new} - {w.threshold}))"
                )
                located += self._spike(w, old, slope, new)
            lines += [
                "        if not summing:",
                f"            near = {self.render.const(-math.inf)}",
                "            for blk in range(nblk):",
                f"                o = blk * {block}",
                f"                for j in range({LANES}):",
                *["                    " + line for line in crossings],
                f"            if near >= {self.render.const(0.0)}:",
                "                for b in range(B):",
                *["                    " + line for line in member],
                *["                    " + line for line in located],
            ]
        lines += self._record_block("        ", single=single, shared=shared)
        lines.append("    rec_pos[1] = countdown")
        lines.append(f"    return n_steps, {OK}")
        return "\n\n" + "\n".join(lines) + "\n"

    def _event_kernel_source(self) -> str:
        """Events: per batch member, steps split at event times (see module docs)."""
        layout, plan = self.layout, self.plan
        n = layout.n_states
        watchers = plan.watchers
        c = self.render.const
        lines = ["@njit(**OPTS)", self._SIGNATURE, "    B = X.shape[1]"]
        lines += self._row_views()
        lines.append(f"    tmp = np.empty({max(len(layout.recordables), 1)}, F)")
        lines.append(f"    inf = {c(float('inf'))}")
        lines += self._record_block("    ", first=True)
        lines.append("    countdown = rec_pos[1]")
        lines.append("    for it in range(n_steps):")
        lines += self._capacity_check("        ")
        lines.append("        t = t0 + F(it) * dt")
        lines.append("        t_end = t0 + F(it + 1) * dt")
        lines.append(f"        tol = dt * {c(1e-9)}")
        lines.append("        for b in range(B):")
        loads_at = len(lines)  # filled in below, once we know which values the body reads
        lines += [f"            x{r} = X{r}[b]" for r in range(n)]
        lines.append("            tc = t")
        lines.append("            while True:")
        body: list[str] = []
        # 1. deliver events due now
        for q, k in enumerate(plan.event_connections):
            body += [
                f"while QN[b, {q}] > 0 and QT[b, {q}, QH[b, {q}]] <= tc + tol:",
                f"    QH[b, {q}] = (QH[b, {q}] + 1) % QT.shape[2]",
                f"    QN[b, {q}] -= 1",
            ]
            body += ["    " + line for line in self._deliver(k)]
        for q in range(len(plan.event_connections), self.n_queues):
            body += [  # a pulse's or a refractory period's end: the step was split there
                f"while QN[b, {q}] > 0 and QT[b, {q}, QH[b, {q}]] <= tc + tol:",
                f"    QH[b, {q}] = (QH[b, {q}] + 1) % QT.shape[2]",
                f"    QN[b, {q}] -= 1",
            ]
        body += ["if tc >= t_end - tol:", "    break", "h = t_end - tc"]
        # 2. stop at the next queued event
        for q in range(self.n_queues):
            body += [
                f"if QN[b, {q}] > 0 and QT[b, {q}, QH[b, {q}]] < tc + h:",
                f"    h = QT[b, {q}, QH[b, {q}]] - tc",
            ]
        # 3. step (a refractory cell's voltage held), detect crossings, and shorten
        #    the step once if an immediate event (reset, zero delay) falls inside it
        held = {}
        for i in plan.refractory:
            cell = layout.neurons[i]
            held[cell.states[cell.definition.voltage]] = f"live{i}"
            body += [
                f"# live{i}: 0 while cell {i} is refractory (the end of its period is queued)",
                f"live{i} = {c(0.0)} if QN[b, {plan.refractory_queue(i)}] > 0 else {c(1.0)}",
            ]
        body += [f"tx{w.index} = inf" for w in watchers]
        body += ["for attempt in range(2):"]
        inner = self.step("h", "tc", held)
        inner += ["if attempt == 1:", "    break", "first = tc + h"]
        for w in watchers:
            delay = w.delay or c(0.0)
            if w.source >= 0:
                inner += [
                    f"ptr = SRC_PTR[b, {w.source}]",
                    f"if ptr < SRC_END[{w.source}] and SRC_T[ptr] <= tc + h:",
                    f"    tx{w.index} = max(SRC_T[ptr], tc)",
                ]
            else:
                cell = layout.neurons[w.neuron]
                row = cell.states[cell.definition.voltage]
                inner += [
                    f"if ARMED[b, {w.index}] and x{row} < {w.threshold} "
                    f"and n{row} >= {w.threshold}:",
                    f"    tx{w.index} = tc + crossing(x{row}, s0_k{row}, n{row}, {w.threshold}, h)",
                ]
            if w.reset or w.connection >= 0:  # counting a spike never shortens a step
                inner += [f"    first = min(first, tx{w.index} + {delay})"]
        inner += ["if first >= tc + h - tol:", "    break", "h = first - tc"]
        body += ["    " + line for line in inner]
        body += ["tn = tc + h"]
        body += [f"x{r} = n{r}" for r in range(n)]
        # 4. emit the crossings that happened by tn
        for w in watchers:
            emit = [f"if tx{w.index} <= tn + tol:"]
            if w.record:
                emit += [
                    f"    s = SPK_N[b, {w.neuron}]",
                    "    if s == SPK_T.shape[2]:",
                    f"        return it, {CROWDED}",
                    f"    SPK_T[b, {w.neuron}, s] = tx{w.index}",
                    f"    SPK_N[b, {w.neuron}] = s + 1",
                ]
            if w.source >= 0:
                emit += [f"    SRC_PTR[b, {w.source}] += 1"]
            else:
                emit += [f"    ARMED[b, {w.index}] = False"]
            if w.reset:
                cell = layout.neurons[w.neuron]
                emit += [
                    "    " + line
                    for line in self._statements(cell, cell.definition.on_spike, f"r{w.neuron}")
                ]
                if w.neuron in plan.refractory:  # the queue holds at most this one end
                    q = plan.refractory_queue(w.neuron)
                    end = f"tx{w.index} + p{cell.params[cell.definition.refractory]}"
                    emit += [
                        f"    QT[b, {q}, (QH[b, {q}] + QN[b, {q}]) % QT.shape[2]] = {end}",
                        f"    QN[b, {q}] += 1",
                    ]
            if w.connection >= 0:
                q = plan.event_connections.index(w.connection)
                emit += [
                    f"    te = tx{w.index} + {w.delay}",
                    f"    if QN[b, {q}] == QT.shape[2]:",
                    f"        return it, {CROWDED}",
                    f"    QT[b, {q}, (QH[b, {q}] + QN[b, {q}]) % QT.shape[2]] = te",
                    f"    QN[b, {q}] += 1",
                ]
            if w.source < 0:
                cell = layout.neurons[w.neuron]
                row = cell.states[cell.definition.voltage]
                rearm = f"x{row} < {w.threshold}"
                if w.reset and w.neuron in plan.refractory:  # not while refractory
                    rearm += f" and QN[b, {plan.refractory_queue(w.neuron)}] == 0"
                emit += [f"elif {rearm}:", f"    ARMED[b, {w.index}] = True"]
            body += emit
        body += ["tc = tn"]
        lines += ["                " + line for line in body]
        lines.append("            tn = t_end")
        lines += ["            " + line for line in self._per_step()]
        lines[loads_at:loads_at] = [
            f"            {name} = {name.upper()}[b]" for name in self._used(lines[loads_at:])
        ]
        lines += [f"            X{r}[b] = x{r}" for r in range(n)]
        if n:
            total = " + ".join(f"x{r}" for r in range(n))
            lines.append(f"            if not math.isfinite({total}):")
            lines.append(f"                return it + 1, {NONFINITE}")
        lines += self._record_block("        ")
        lines.append("    rec_pos[1] = countdown")
        lines.append(f"    return n_steps, {OK}")
        return "\n\n" + "\n".join(lines) + "\n"


def generate(
    layout: Layout, method: str, precision: str, varying: frozenset[int] | None = None
) -> tuple[str, Plan]:
    """Module source and event plan for ``layout`` integrated by ``method`` in ``precision``.

    ``varying``: the parameter rows that differ between a batch's members, when
    known; the batch kernel then reads every other parameter once per call (see
    ``Generator._shared``).  The event-driven kernel ignores it."""
    generator = Generator(layout, method, precision, varying)
    source = generator.source()
    if not generator.plan.events:
        generator.plan.packed = generator.packed_rows()
        generator.plan.single_order = generator.single_order()
    return source, generator.plan
