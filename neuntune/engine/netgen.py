"""Generate the kernels of a network's *model types*, vectorised over instances.

One module per :attr:`~neuntune.engine.groups.NetworkLayout.key` (which models,
which cell groups each connection and stimulus group joins), method and precision.
Per stage of a step, every stimulus group adds its current into its target cells,
every connection group computes its currents (scattered into post and, for gap
junctions, pre cells) and its own slopes, then every cell group computes its
slopes; each group's loop runs over its instances, so populations of any size
share the code.  The coupled system stays one ODE system: each stage sees every
group's state at that stage.

Events: after each step, crossings are located within the step; cells with a
reset are re-integrated on their own from the crossing (reset applied exactly
there) and cells whose refractory period ends inside the step likewise, their
input interpolated across the step.  Event-driven connections deliver at step
boundaries, their delays rounded to whole steps (as Brian2 and BrainPy do).

The kernel's arguments are declared once (:attr:`NetworkGenerator.args`); the
generated module exports them as ``ARGS`` and callers pass arrays by those names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from fractions import Fraction

from ..models.equations import Statement, closure, derivative, linearity, names
from .codegen import (
    END_OF_STEP,
    FASTMATH,
    FLUSH,
    KERNEL_FASTMATH,
    NAN_CHECK,
    NONFINITE,
    OK,
    START_OF_STEP,
    Renderer,
    helpers_source,
)
from .groups import Group, NetworkLayout
from .methods import EXPEULER, TABLEAUX

_INDEX = {"cell": "i", "connection": "m", "stimulus": "k"}


class NetworkGenerator:
    """Module source for one network layout, method and precision."""

    def __init__(self, layout: NetworkLayout, method: str, precision: str) -> None:
        self.layout = layout
        self.method = method
        self.precision = precision
        self.render = Renderer(precision)
        self.args = self._declare()

    # ----------------------------------------------------------------- interface
    def _declare(self) -> list[str]:
        """Every kernel argument, in order (the ``ARGS`` the caller fills)."""
        args = ["T0", "DT", "NSTEPS", "STEP0", "NG", "REC", "RECPOS", "SPKC", "SPKT", "SPKN"]
        for g in self.layout.groups():
            t = g.tag
            args += [f"P_{t}", f"D_{t}"]
            if g.slot.states:
                args += [f"X_{t}", f"Y_{t}", f"K_{t}", f"RI_{t}", f"RC_{t}"]
            if g.kind == "cell" and g.voltage_row >= 0:
                args += [f"I_{t}", f"VO_{t}", f"SL_{t}", f"FIRE_{t}"]
                if self.local(g):
                    args += [f"XO_{t}", f"IA_{t}", f"REF_{t}"]
            if g.kind == "connection":
                args += [f"PRE_{t}", f"POST_{t}"]
                if g.event_driven:
                    args += [f"{a}_{t}" for a in _EVENT_ARRAYS]
            if g.kind == "stimulus":
                args.append(f"TGT_{t}")
            if g.definition.on_step:
                args.append(f"STREAM_{t}")
        return args

    @staticmethod
    def inert(g: Group) -> bool:
        """A connection group with no dynamics and no current (its events act on
        the post cell): nothing to evaluate between events."""
        eqs = g.definition.equations
        current = eqs.assignments.get("I_post")
        return (
            not eqs.derivatives
            and "I_pre" not in eqs.assignments
            and isinstance(current, ast.Constant)
            and current.value == 0
        )

    @staticmethod
    def local(g: Group) -> bool:
        """Whether a cell group's instances are re-integrated alone around events."""
        d = g.definition
        return d.reset_threshold is not None or bool(getattr(d, "refractory", ""))

    # ------------------------------------------------------------------ naming
    def _namer(
        self, g: Group, state: Callable[[int], str], t: str, index: str = ""
    ) -> Callable[[str], str]:
        """Symbols of ``g``'s equations as locals of its loop over instance ``index``."""
        d, tag = g.definition, g.tag
        cells = self.layout.cells

        def name_of(symbol: str) -> str:
            if symbol in g.slot.params:
                return f"{tag}_p{g.slot.params[symbol]}"
            if symbol in g.slot.derived:
                return f"{tag}_d{g.slot.derived[symbol]}"
            if symbol in g.slot.states:
                return state(g.slot.states[symbol])
            if symbol in d.equations.assignments:
                return f"{tag}_{symbol}"
            if symbol == "t":
                return t
            if symbol == "I_in":
                return f"{tag}_Iin"
            if symbol in ("v_pre", "v_post", "v"):
                return f"{tag}_{symbol}"
            raise KeyError(f"{d.name}: cannot resolve {symbol!r}")

        del cells, index
        return name_of

    def _loads(self, g: Group, lines: list[str], index: str) -> list[str]:
        """Load the parameters and derived values ``lines`` read."""
        text = "\n".join(lines)
        tag = g.tag
        out = [f"{tag}_p{r} = P_{tag}[{r}, {index}]" for r in _rows(text, f"{tag}_p")]
        out += [f"{tag}_d{r} = D_{tag}[{r}, {index}]" for r in _rows(text, f"{tag}_d")]
        return out

    def _intermediates(self, g: Group, wanted: set[str], name_of) -> list[str]:
        d = g.definition
        needed = closure(wanted, d.equations.assignments)
        return [
            f"{name_of(n)} = {self.render.expr(e, name_of)}"
            for n, e in d.equations.assignments.items()
            if n in needed and n not in g.slot.derived
        ]

    @staticmethod
    def _derivative_names(g: Group) -> set[str]:
        used: set[str] = set()
        for expr in g.definition.equations.derivatives.values():
            used |= names(expr)
        return used

    def _evolving(self, g: Group) -> list[int]:
        return [g.slot.states[v] for v in g.definition.equations.derivatives]

    def _linear(self, g: Group) -> set[int]:
        eqs = g.definition.equations
        return {
            g.slot.states[v]
            for v, e in eqs.derivatives.items()
            if linearity(e, v, eqs.assignments) <= 1
        }

    # -------------------------------------------------------------- one stage
    def _stage(self, s: int, ts: str, last: bool) -> list[str]:
        """Stage ``s`` of a step at time ``ts``: every group's loop, each writing its
        slopes and then the next stage's state (or, at the ``last`` stage, the
        step's result) for its own instances."""
        lines: list[str] = []
        tab = TABLEAUX.get(self.method)
        read = (lambda g: f"X_{g.tag}") if s == 0 else (lambda g: f"Y_{g.tag}")
        for g in self.layout.cells:
            if g.voltage_row >= 0:
                lines += [f"for i in range(n_{g.tag}):", f"    I_{g.tag}[i] = {self._c(0.0)}"]
        for g in self.layout.stimuli:
            cell = self.layout.cells[g.pre]
            body = [f"i = TGT_{g.tag}[k]"]
            if "v" in _all_names(g):
                body.append(f"{g.tag}_v = {self._stage_state(cell, s)}[{cell.voltage_row}, i]")
            name_of = self._namer(g, lambda r: f"{g.tag}_x{r}", ts)
            body += self._state_loads(g, s, "k")
            calc = self._intermediates(g, {"I"}, name_of)
            body += self._loads(g, calc, "k") + calc
            body.append(f"I_{cell.tag}[i] += {g.tag}_I")
            lines += [f"for k in range(n_{g.tag}):", *_indent(body)]
        for g in self.layout.connections:
            if self.inert(g):
                continue
            pre, post = self.layout.cells[g.pre], self.layout.cells[g.post]
            outputs = {"I_post"} | ({"I_pre"} & set(g.definition.equations.assignments))
            body = [f"i = PRE_{g.tag}[m]", f"j = POST_{g.tag}[m]"]
            used = _all_names(g)
            if "v_pre" in used:
                body.append(f"{g.tag}_v_pre = {self._stage_state(pre, s)}[{pre.voltage_row}, i]")
            if "v_post" in used:
                body.append(f"{g.tag}_v_post = {self._stage_state(post, s)}[{post.voltage_row}, j]")
            name_of = self._namer(g, lambda r: f"{g.tag}_x{r}", ts)
            body += self._state_loads(g, s, "m")
            calc = self._intermediates(g, outputs | self._derivative_names(g), name_of)
            calc += self._slopes(g, s, name_of, tab, last, "m")
            body += self._loads(g, calc, "m") + calc
            body.append(f"I_{post.tag}[j] += {g.tag}_I_post")
            if "I_pre" in outputs:
                body.append(f"I_{pre.tag}[i] += {g.tag}_I_pre")
            lines += [f"for m in range(n_{g.tag}):", *_indent(body)]
        for g in self.layout.cells:
            if not g.slot.states:
                continue
            name_of = self._namer(g, lambda r: f"{g.tag}_x{r}", ts)
            body = self._state_loads(g, s, "i")
            if g.voltage_row >= 0:
                body.append(f"{g.tag}_Iin = I_{g.tag}[i]")
                if s == 0 and self.local(g):
                    body.append(f"IA_{g.tag}[i] = {g.tag}_Iin")
            calc = self._intermediates(g, self._derivative_names(g), name_of)
            calc += self._slopes(g, s, name_of, tab, last, "i")
            body += self._loads(g, calc, "i") + calc
            lines += [f"for i in range(n_{g.tag}):", *_indent(body)]
        del read
        return lines

    def _stage_state(self, g: Group, s: int) -> str:
        return "X_" + g.tag if s == 0 else "Y_" + g.tag

    def _state_loads(self, g: Group, s: int, index: str) -> list[str]:
        evolving = set(self._evolving(g))
        return [
            f"{g.tag}_x{r} = {'Y' if s and r in evolving else 'X'}_{g.tag}[{r}, {index}]"
            for r in g.slot.states.values()
        ]

    def _slopes(self, g: Group, s: int, name_of, tab, last: bool, index: str) -> list[str]:
        """Slopes of ``g``'s states at stage ``s`` and what they update."""
        tag, eqs = g.tag, g.definition.equations
        lines = []
        refractory = g.kind == "cell" and getattr(g.definition, "refractory", "")
        for var, expr in eqs.derivatives.items():
            r = g.slot.states[var]
            value = self.render.expr(expr, name_of)
            if refractory and r == g.voltage_row:  # held while refractory
                value = (
                    f"({value} if {self._flag_time(s)} >= REF_{tag}[{index}] else {self._c(0.0)})"
                )
            lines.append(f"{tag}_k{r} = {value}")
            if self.method == EXPEULER and r in self._linear(g):
                slope = derivative(expr, var, eqs.assignments)
                lines.append(f"{tag}_b{r} = -({self.render.expr(slope, name_of)})")
        if g.kind == "cell" and g.voltage_row >= 0 and last:
            r = g.voltage_row
            lines += [f"VO_{tag}[{index}] = X_{tag}[{r}, {index}]"]
        for var in eqs.derivatives:
            r = g.slot.states[var]
            if self.method == EXPEULER:
                if g.kind == "cell" and r == g.voltage_row:
                    lines.append(f"SL_{tag}[{index}] = {tag}_k{r}")
                if self.local(g):
                    lines.append(f"XO_{tag}[{r}, {index}] = X_{tag}[{r}, {index}]")
                if r in self._linear(g):
                    update = f"eeuler({tag}_x{r}, {tag}_k{r}, {tag}_b{r}, DT)"
                else:
                    update = f"{tag}_x{r} + DT * {tag}_k{r}"
                lines.append(f"X_{tag}[{r}, {index}] = {update}")
                continue
            if s == 0 and g.kind == "cell" and r == g.voltage_row:
                lines.append(f"SL_{tag}[{index}] = {tag}_k{r}")
            if not last or tab.stages > 1:
                lines.append(f"K_{tag}[{s}, {r}, {index}] = {tag}_k{r}")
            if last:
                if self.local(g):
                    lines.append(f"XO_{tag}[{r}, {index}] = X_{tag}[{r}, {index}]")
                total = self._weighted(tab.b, s, tag, r, index)
                lines.append(f"X_{tag}[{r}, {index}] = X_{tag}[{r}, {index}] + {total}")
            else:
                total = self._weighted(tab.a[s + 1], s, tag, r, index)
                lines.append(f"Y_{tag}[{r}, {index}] = X_{tag}[{r}, {index}] + {total}")
        if last and self.local(g):  # states without a derivative are kept too
            for var, r in g.slot.states.items():
                if var not in eqs.derivatives:
                    lines.append(f"XO_{tag}[{r}, {index}] = X_{tag}[{r}, {index}]")
        return lines

    def _weighted(self, weights: tuple[Fraction, ...], s: int, tag: str, r: int, index: str) -> str:
        """Σ_j w_j·DT·k_j, this stage's slope from its local, earlier ones from K."""
        groups: dict[Fraction, list[str]] = {}
        for j, w in enumerate(weights):
            if w != 0:
                k = f"{tag}_k{r}" if j == s else f"K_{tag}[{j}, {r}, {index}]"
                groups.setdefault(w, []).append(k)
        terms = []
        for w, ks in groups.items():
            summed = ks[0] if len(ks) == 1 else f"({' + '.join(ks)})"
            terms.append(f"({self._c(w)} * DT) * {summed}")
        return " + ".join(terms) if terms else self._c(0.0)

    def _flag_time(self, s: int) -> str:
        """The stage's time as a refractory flag sees it (one-sided at the ends)."""
        return f"ts{s}f"

    def _c(self, value: float | Fraction) -> str:
        return self.render.const(value)

    # -------------------------------------------------------------- the step
    def step(self) -> list[str]:
        """One step of every group from ``t`` to ``t + DT``."""
        lines: list[str] = []
        if self.method == EXPEULER:
            stages = [Fraction(0)]
        else:
            stages = list(TABLEAUX[self.method].c)
        for s, node in enumerate(stages):
            ts = "t" if s == 0 else f"ts{s}"
            if s:
                lines.append(f"{ts} = t + {self._c(node)} * DT")
            nudge = START_OF_STEP if node == 0 else END_OF_STEP if node == 1 else None
            cond = f"t + {self._c(nudge)} * DT" if nudge is not None else ts
            lines.append(f"ts{s}f = {cond}")
            self.render.condition_time = {ts: f"ts{s}f"} if nudge is not None else {}
            lines += self._stage(s, ts, s == len(stages) - 1)
            self.render.condition_time = {}
        return lines

    # ------------------------------------------------------------------ events
    def _statements(
        self, g: Group, statements: list[Statement], index: str, state, t: str, tag: str
    ) -> list[str]:
        """Statements on one instance: parameters read from P, states through ``state``;
        a connection's ``x_post`` is state x of its post cell."""
        local: dict[str, str] = {"dt": "DT"}
        if g.kind == "connection":
            post = self.layout.cells[g.post]
            for name, row in post.slot.states.items():
                local[f"{name}_post"] = f"X_{post.tag}[{row}, POST_{g.tag}[{index}]]"
        if "release" not in {s.target for s in statements}:
            local["release"] = self._c(1.0)

        def name_of(symbol: str) -> str:
            if symbol in local:
                return local[symbol]
            if symbol in g.slot.params:
                return f"P_{g.tag}[{g.slot.params[symbol]}, {index}]"
            if symbol in g.slot.states:
                return state(g.slot.states[symbol])
            if symbol == "t":
                return t
            raise KeyError(f"{g.definition.name}: statement cannot read {symbol!r}")

        lines = []
        for stmt in statements:
            value = self.render.expr(stmt.expr, name_of)
            if stmt.target.endswith("_post") and stmt.target in local:
                target = local[stmt.target]
                op = "" if stmt.op == "=" else f"{target} {stmt.op} "
                lines.append(f"{target} = {op}{value}")
            elif stmt.target in g.slot.states:
                target = state(g.slot.states[stmt.target])
                op = "" if stmt.op == "=" else f"{target} {stmt.op} "
                lines.append(f"{target} = {op}{value}")
            else:
                local[stmt.target] = f"{tag}_{stmt.target}"
                lines.append(f"{local[stmt.target]} = {value}")
        return lines

    def _threshold(self, g: Group) -> str:
        """A cell group's spike threshold for instance ``i`` (its reset, if it has one)."""
        d = g.definition
        if d.reset_threshold is None:
            return self._c(d.spike_threshold)

        def name_of(symbol: str) -> str:
            if symbol in g.slot.params:
                return f"P_{g.tag}[{g.slot.params[symbol]}, i]"
            raise KeyError(f"{d.name}: a reset threshold reads parameters only, not {symbol!r}")

        return self.render.expr(d.reset_threshold, name_of)

    def _cell_events(self, offsets: list[int]) -> list[str]:
        lines = []
        for g, offset in zip(self.layout.cells, offsets, strict=True):
            if g.voltage_row < 0:
                continue
            tag, r = g.tag, g.voltage_row
            d = g.definition
            body = [
                f"vo = VO_{tag}[i]",
                f"vn = X_{tag}[{r}, i]",
                f"thr = {self._threshold(g)}",
                "if vo < thr and vn >= thr:",
                f"    tx = t + crossing(vo, SL_{tag}[i], vn, thr, DT)",
                "    s = SPKN[0]",
                f"    SPKC[s] = {offset} + i",
                "    SPKT[s] = tx",
                "    SPKN[0] = s + 1",
                f"    FIRE_{tag}[i] = step",
            ]
            if self.local(g):
                n = len(g.slot.states)
                body += [f"    xs = np.empty({n}, F)"]
                body += [f"    xs[{q}] = XO_{tag}[{q}, i]" for q in range(n)]
                if d.reset_threshold is not None:
                    body += [
                        f"    local_{tag}(t, tx - t, t, xs, P_{tag}, D_{tag}, IA_{tag}, I_{tag}, REF_{tag}, i, DT)"
                    ]
                    body += _indent(
                        self._statements(g, d.on_spike, "i", lambda q: f"xs[{q}]", "tx", "rs")
                    )
                refractory = getattr(d, "refractory", "")
                if refractory:
                    body.append(f"    REF_{tag}[i] = tx + P_{tag}[{g.slot.params[refractory]}, i]")
                body += [
                    f"    finish_{tag}(tx, t, xs, P_{tag}, D_{tag}, IA_{tag}, I_{tag}, REF_{tag}, i, DT)",
                ]
                body += [f"    X_{tag}[{q}, i] = xs[{q}]" for q in range(n)]
                if refractory:
                    body += [
                        f"elif REF_{tag}[i] > t and REF_{tag}[i] < t + DT:",
                        f"    xs = np.empty({n}, F)",
                        *[f"    xs[{q}] = XO_{tag}[{q}, i]" for q in range(n)],
                        f"    finish_{tag}(t, t, xs, P_{tag}, D_{tag}, IA_{tag}, I_{tag}, REF_{tag}, i, DT)",
                        *[f"    X_{tag}[{q}, i] = xs[{q}]" for q in range(n)],
                    ]
            lines += [f"for i in range(n_{tag}):", *_indent(body)]
        return lines

    def _deliveries(self) -> list[str]:
        """Event-driven groups: this step's presynaptic spikes into the history ring,
        then every connection whose delay (in steps) is up delivers at ``tn``."""
        lines = []
        for g in self.layout.connections:
            if not g.event_driven:
                continue
            tag, pre = g.tag, self.layout.cells[g.pre]
            detect = (
                [f"if FIRE_{pre.tag}[i] == step:"]
                if pre.definition.reset_threshold is not None
                else [f"if VO_{pre.tag}[i] < thr and X_{pre.tag}[{pre.voltage_row}, i] >= thr:"]
            )
            apply = self._statements(
                g, g.definition.on_pre, "m", lambda q: f"X_{tag}[{q}, m]", "tn", f"e_{tag}"
            )
            lines += [
                f"depth = HIST_{tag}.shape[0]",
                "slot = step % depth",
                f"HISTN_{tag}[slot] = 0",
                f"for p in range(PLO_{tag}.shape[0]):",
                f"    thr = PTHR_{tag}[p]",
                f"    for i in range(PLO_{tag}[p], PHI_{tag}[p]):",
                *["        " + line for line in detect],
                f"            HIST_{tag}[slot, HISTN_{tag}[slot]] = SRCOFF_{tag}[p] + i - PLO_{tag}[p]",
                f"            HISTN_{tag}[slot] += 1",
                "for dly in range(min(depth, step + 1)):",
                "    sl = (step - dly) % depth",
                f"    for q in range(HISTN_{tag}[sl]):",
                f"        src = HIST_{tag}[sl, q]",
                f"        for r in range(ROW_{tag}[src], ROW_{tag}[src + 1]):",
                f"            m = ORDER_{tag}[r]",
                f"            ds = DSTEP_{tag}[m]",
                "            if ds > dly:",
                "                break",
                "            if ds == dly:",
                *["                " + line for line in apply],
            ]
        return lines

    def _per_step(self) -> list[str]:
        """on_step statements (noise) after each step, one random stream per instance."""
        lines = []
        for g in self.layout.groups():
            d = g.definition
            if not d.on_step:
                continue
            index = _INDEX[g.kind]
            seed = (
                f"P_{g.tag}[{g.slot.params['seed']}, {index}]"
                if "seed" in g.slot.params
                else self._c(0.0)
            )
            self.render.random = (seed, f"STREAM_{g.tag}[{index}]")
            body = self._statements(
                g, d.on_step, index, lambda q: f"X_{g.tag}[{q}, {index}]", "tn", f"u_{g.tag}"
            )
            self.render.random = None
            lines += [f"for {index} in range(n_{g.tag}):", *_indent(body)]
        return lines

    # ------------------------------------------------------------- functions
    def _local_source(self, g: Group) -> str:
        """``local_{tag}``: one step of one cell of ``g`` alone, from ``t0`` for ``h``,
        its input interpolated linearly across the global step [tg, tg + DT] from
        IA (its start) to I (its last stage); and ``finish_{tag}``, which takes a cell
        from ``tx`` to the step's end, split where its refractory period ends."""
        tag, n = g.tag, len(g.slot.states)
        refractory = getattr(g.definition, "refractory", "")
        tab = TABLEAUX.get(self.method)
        nodes = [Fraction(0)] if tab is None else list(tab.c)
        name_of = self._namer(g, lambda r: f"{tag}_x{r}", "ts")
        body = [
            "ia = IA[i]",
            # the last stage of a Runge–Kutta step sits at its end; Euler's only at its start
            f"ib = I[i] if {int(nodes[-1] == 1)} else ia",
            "x0 = xs.copy()",
            f"kk = np.zeros(({len(nodes)}, {n}), F)",
        ]
        calc = self._intermediates(g, self._derivative_names(g), name_of)
        loads = self._loads(
            g,
            calc
            + [self.render.expr(e, name_of) for e in g.definition.equations.derivatives.values()],
            "i",
        )
        body += loads
        evolving = self._evolving(g)
        for s, node in enumerate(nodes):
            body.append(f"ts = t0 + {self._c(node)} * h")
            body.append(f"tsf = t0 + {self._c(min(max(node, START_OF_STEP), END_OF_STEP))} * h")
            if s:
                a = tab.a[s]
                for r in evolving:
                    terms = " + ".join(
                        f"{self._c(w)} * h * kk[{j}, {r}]" for j, w in enumerate(a) if w != 0
                    ) or self._c(0.0)
                    body.append(f"xs[{r}] = x0[{r}] + {terms}")
            body += [f"{tag}_x{r} = xs[{r}]" for r in g.slot.states.values()]
            body.append(f"{tag}_Iin = ia + (ib - ia) * ((ts - tg) / DT)")
            body += calc
            for var, expr in g.definition.equations.derivatives.items():
                r = g.slot.states[var]
                value = self.render.expr(expr, name_of)
                if refractory and r == g.voltage_row:
                    value = f"({value} if tsf >= REF[i] else {self._c(0.0)})"
                body.append(f"kk[{s}, {r}] = {value}")
        weights = [Fraction(1)] if tab is None else list(tab.b)
        for r in evolving:
            terms = " + ".join(
                f"{self._c(w)} * h * kk[{j}, {r}]" for j, w in enumerate(weights) if w != 0
            )
            body.append(f"xs[{r}] = x0[{r}] + {terms}")
        body.append("return 0")
        args = f"t0, h, tg, xs, P_{tag}, D_{tag}, IA, I, REF, i"
        source = ["@njit(**OPTS)", f"def local_{tag}({args}):", "    DT = h_global[0]"]
        source = ["@njit(**OPTS)", f"def local_{tag}({args}, DT):"]
        source += _indent(body)
        finish = [
            "@njit(**OPTS)",
            f"def finish_{tag}(tx, tg, xs, P_{tag}, D_{tag}, IA, I, REF, i, DT):",
            "    end = tg + DT",
            "    if REF[i] > tx and REF[i] < end:",
            f"        local_{tag}(tx, REF[i] - tx, tg, xs, P_{tag}, D_{tag}, IA, I, REF, i, DT)",
            f"        local_{tag}(REF[i], end - REF[i], tg, xs, P_{tag}, D_{tag}, IA, I, REF, i, DT)",
            "    elif end > tx:",
            f"        local_{tag}(tx, end - tx, tg, xs, P_{tag}, D_{tag}, IA, I, REF, i, DT)",
            "    return 0",
        ]
        return "\n\n" + "\n".join(source) + "\n\n\n" + "\n".join(finish) + "\n"

    def _setup_source(self) -> str:
        """``setup(ARGS)``: derived values and initial states of every instance."""
        lines = ["@njit(**OPTS)", f"def setup({', '.join(self.args)}):"]
        lines += _indent(self._counts())
        for g in self.layout.groups():
            tag, d = g.tag, g.definition
            index = _INDEX[g.kind]
            body = []
            name_of = self._namer(g, lambda r: f"{tag}_x{r}", self._c(0.0))
            for name, row in g.slot.derived.items():
                expr = d.equations.assignments[name]
                body.append(f"{tag}_d{row} = {self.render.expr(expr, name_of)}")
                body.append(f"D_{tag}[{row}, {index}] = {tag}_d{row}")
            for state in d.states:
                if state not in d.initial:
                    body.append(
                        f"{tag}_x{g.slot.states[state]} = {tag}_p{g.slot.params[f'{state}0']}"
                    )
            needed: set[str] = set()
            for expr in d.initial.values():
                needed |= names(expr)
            body += self._intermediates(g, needed, name_of)
            for state, expr in d.initial.items():
                row, param = g.slot.states[state], g.slot.params[f"{state}0"]
                body += [
                    f"{tag}_x{row} = {tag}_p{param}",
                    f"if np.isnan({tag}_x{row}):",
                    f"    {tag}_x{row} = {self.render.expr(expr, name_of)}",
                ]
            body += [f"X_{tag}[{r}, {index}] = {tag}_x{r}" for r in g.slot.states.values()]
            loads = [
                f"{tag}_p{r} = P_{tag}[{r}, {index}]" for r in _rows("\n".join(body), f"{tag}_p")
            ]
            if body:
                lines += _indent([f"for {index} in range(n_{tag}):", *_indent(loads + body)])
        lines.append("    return 0")
        return "\n\n" + "\n".join(lines) + "\n"

    def _counts(self) -> list[str]:
        return [f"n_{g.tag} = NG[{q}]" for q, g in enumerate(self.layout.groups())]

    def _record(self) -> list[str]:
        lines = []
        for g in self.layout.groups():
            if g.slot.states:
                lines += [
                    f"for q in range(RI_{g.tag}.shape[0]):",
                    f"    REC[r, RC_{g.tag}[0] + q] = X_{g.tag}[RI_{g.tag}[q, 0], RI_{g.tag}[q, 1]]",
                ]
        return lines

    def _finite(self) -> list[str]:
        lines = ["total = " + self._c(0.0)]
        for g in self.layout.groups():
            if g.slot.states:
                lines += [
                    f"for q in range({len(g.slot.states)}):",
                    f"    for i in range(n_{g.tag}):",
                    f"        total += X_{g.tag}[q, i]",
                ]
        lines += ["if not finite(total):", f"    return it + 1, {NONFINITE}"]
        return lines

    def _kernel_source(self) -> str:
        offsets = self.layout.cell_offsets()
        lines = ["@njit(**KERNEL_OPTS)", f"def kernel({', '.join(self.args)}):"]
        lines += _indent(self._counts())
        lines += [
            "    countdown = RECPOS[1]",
            "    if STEP0 == 0:",
            "        r = RECPOS[0]",
            *_indent(self._record(), 2),
            "        RECPOS[0] = r + 1",
            "    for it in range(NSTEPS):",
            f"        if SPKN[0] + {self.layout.n_cells} > SPKT.shape[0]:",
            "            RECPOS[1] = countdown",
            f"            return it, {FLUSH}",
            "        step = STEP0 + it",
            "        t = T0 + F(it) * DT",
            "        tn = T0 + F(it + 1) * DT",
        ]
        body = self.step()
        body += self._cell_events(offsets)
        body += self._deliveries()
        body += self._per_step()
        body += [f"if (step + 1) % {NAN_CHECK} == 0 or it == NSTEPS - 1:", *_indent(self._finite())]
        body += [
            "countdown -= 1",
            "if countdown == 0 or step + 1 == RECPOS[2]:",
            "    countdown = RECPOS[3]",
            "    r = RECPOS[0]",
            *_indent(self._record()),
            "    RECPOS[0] = r + 1",
        ]
        lines += _indent(body, 2)
        lines += ["    RECPOS[1] = countdown", f"    return NSTEPS, {OK}"]
        return "\n\n" + "\n".join(lines) + "\n"

    def source(self) -> str:
        functions = [
            helpers_source(self.render, self.precision),
            *[self._local_source(g) for g in self.layout.cells if self.local(g)],
            self._setup_source(),
            self._kernel_source(),
        ]
        header = [
            '"""Generated by neuntune.engine.netgen: do not edit (regenerated on demand)."""',
            "import math",
            "import numpy as np",
            "from numba import njit",
            "from neuntune.engine.intrinsics import float32_bits, bits_float32, float64_bits, bits_float64",
            "",
            f"F = np.{self.precision}",
            f"OPTS = dict(cache=True, nogil=True, error_model='numpy', fastmath={FASTMATH})",
            "KERNEL_OPTS = dict(OPTS, fastmath=" + KERNEL_FASTMATH + ")",
            f"ARGS = {tuple(self.args)!r}",
            "",
        ]
        return "\n".join(header + self.render.constant_lines() + [""] + functions) + "\n"


_EVENT_ARRAYS = ("ORDER", "ROW", "DSTEP", "PLO", "PHI", "PTHR", "SRCOFF", "HIST", "HISTN")


def _rows(text: str, prefix: str) -> list[int]:
    return sorted({int(m) for m in re.findall(rf"\b{re.escape(prefix)}(\d+)\b", text)})


def _indent(lines: list[str], levels: int = 1) -> list[str]:
    return ["    " * levels + line for line in lines]


def _all_names(g: Group) -> set[str]:
    used: set[str] = set()
    for expr in list(g.definition.equations.assignments.values()) + list(
        g.definition.equations.derivatives.values()
    ):
        used |= names(expr)
    return used


def generate_network(layout: NetworkLayout, method: str, precision: str) -> tuple[str, list[str]]:
    """Module source and kernel arguments for ``layout``."""
    generator = NetworkGenerator(layout, method, precision)
    return generator.source(), generator.args


__all__ = ["NetworkGenerator", "ast", "generate_network"]
