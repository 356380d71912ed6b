"""A preset as a standalone, runnable Brian2 script.

The script builds one ``NeuronGroup`` per cell and one ``Synapses`` object per
connection from the same equation declarations the engine compiles, written as
Brian2 strings; stimuli become terms of their cell's equations.  Variables are
plain numbers in neuntune's units (mV, ms, µF, mS, µA, cm², densities per cm²),
so no Brian2 units appear in the equations: derivatives are divided by ``ms`` and
time enters as ``t/ms``.  This keeps the numbers identical to the preset's and
the script easy to paste into a larger network.

Differences the script states in its docstring: Brian2 updates ``(summed)``
coupling variables once per step, so a cell sees its synaptic input about dt/2
late; spikes that trigger event-driven synapses are detected at the end of the
step in which the voltage crosses the threshold rather than interpolated.
Populations become groups of their size: ``NeuronGroup(N, ...)``; values that
differ between members are written as arrays (a seeded distribution as the values
it draws), and each connection's ``Synapses`` is connected with the pairs its rule
realised (``S.connect(i=..., j=...)``), so the connectivity is identical.  A
synapse that raises a state of its post cell (``DeltaSynapse``) becomes
``on_pre="ge_post += w"``, as in Brian2's COBA examples.  A cell with a reset
(LIF, Izhikevich) triggers its synapses with its spike (the reset), as the engine
does; other cells with a custom event at each connection's threshold crossing.

Not exportable (a ValueError says which element): ``on_step`` statements (the
noise stimulus), voltage clamps, ``init="rest"``, a population of spike sources,
per-connection thresholds.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable, Iterable

import numpy as np

from ..circuit import Circuit
from ..models.declarations import initial_parameter
from ..models.definition import Definition, post_targets
from ..models.equations import CONSTANTS, Statement
from ..models.model import Model
from .document import Preset, RunSettings

#: neuntune method -> Brian2 state updater (Brian2 has no 6th-order Runge–Kutta).
METHODS = {"euler": "euler", "rk4": "rk4", "rk6": "rk4", "expeuler": "exponential_euler"}

#: Names Brian2 reserves in equations, or that the script defines.
_RESERVED = {"t", "dt", "xi", "i", "j", "N", "lastspike", "not_refractory", "timestep", "delay"}
_RESERVED |= {"where", "vtrap", "minimum", "maximum", "int", "rand", "randn", "clip", "sign"}
_RESERVED |= {"e", "pi", "inf"}  # Brian2's constants (Hindmarsh–Rose's input current is e)

#: Helper functions the equations may call, as the script defines them (numpy target).
_HELPERS = {
    "where": """
@b2.implementation("numpy", discard_units=True)
@b2.check_units(condition=bool, a=1, b=1, result=1)
def where(condition, a, b):
    return np.where(condition, a, b)
""",
    "vtrap": '''
@b2.implementation("numpy", discard_units=True)
@b2.check_units(x=1, k=1, result=1)
def vtrap(x, k):
    """x/(1 - exp(-x/k)), with its limit k at x = 0 (series within |x/k| < 1e-6)."""
    y = np.asarray(x / k, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = x / (1 - np.exp(-y))
    return np.where(np.abs(y) < 1e-6, k * (1 + y * (0.5 + y / 12)), direct)
''',
    "minimum": """
@b2.implementation("numpy", discard_units=True)
@b2.check_units(a=1, b=1, result=1)
def minimum(a, b):
    return np.minimum(a, b)
""",
    "maximum": """
@b2.implementation("numpy", discard_units=True)
@b2.check_units(a=1, b=1, result=1)
def maximum(a, b):
    return np.maximum(a, b)
""",
}
_CALLS = {"min": "minimum", "max": "maximum"}  # renamed so they do not shadow Python's


#: Brian2's unit names (``cm``, ``mV``, ``msiemens``, ``kilogram2``, ...), which it refuses
#: as variable names: a slightly larger set, so a few harmless extra renames happen.
_UNIT = re.compile(
    r"(?:da|kilo|[yzafpnumcdhkMGTPEZY])?(?:amp|ampere|becquerel|candle|coulomb|farad|gram"
    r"|gramme|gray|henry|hertz|joule|katal|kelvin|liter|litre|lumen|lux|meter|metre|mol"
    r"|molar|mole|newton|ohm|pascal|radian|second|siemens|sievert|steradian|tesla|volt"
    r"|watt|weber)[23]?|[kM]?Hz|[cmu]m[23]?|[munp][AFMSV]|[mu]s"
)


def safe(name: str) -> str:
    """A model's own name, renamed where Brian2 would refuse or misread it."""
    unsafe = name in _RESERVED or _UNIT.fullmatch(name) or name.startswith("_")
    if unsafe or name.endswith(("_pre", "_post")):
        return f"{name}_nt"
    return name


class _Writer:
    """Renders expressions; remembers which helper functions they call."""

    def __init__(self) -> None:
        self.helpers: set[str] = set()

    def expr(self, node: ast.expr, name_of: Callable[[str], str]) -> str:
        """``node`` as Brian2 text: names through ``name_of`` (which may return text such
        as ``t/ms``), ``a if c else b`` and ``min``/``max`` as helper calls, chained
        comparisons split (the parsed equations are never modified)."""
        writer = self

        class Rewrite(ast.NodeTransformer):
            def visit_Name(self, n: ast.Name) -> ast.expr:
                text = n.id if n.id in CONSTANTS else name_of(n.id)
                return ast.parse(text, mode="eval").body

            def visit_IfExp(self, n: ast.IfExp) -> ast.expr:
                call = ast.Call(ast.Name("where"), [n.test, n.body, n.orelse], [])
                return self.visit(call)

            def visit_Compare(self, n: ast.Compare) -> ast.expr:
                self.generic_visit(n)
                if len(n.ops) == 1:
                    return n
                lefts = [n.left, *n.comparators[:-1]]
                pairs = zip(lefts, n.ops, n.comparators, strict=True)
                return ast.BoolOp(ast.And(), [ast.Compare(a, [op], [b]) for a, op, b in pairs])

            def visit_Call(self, n: ast.Call) -> ast.expr:
                name = _CALLS.get(n.func.id, n.func.id)  # type: ignore[attr-defined]
                if name == "randn":
                    raise ValueError("random numbers (randn) have no exact Brian2 counterpart")
                if name in _HELPERS:
                    writer.helpers.add(name)
                return ast.Call(ast.Name(name), [self.visit(a) for a in n.args], [])

        return ast.unparse(Rewrite().visit(copy.deepcopy(node)))

    def statements(self, statements: Iterable[Statement], name_of: Callable[[str], str]) -> str:
        ops = {"=": "=", "+": "+=", "-": "-=", "*": "*="}
        return "\n".join(
            f"{name_of(s.target)} {ops[s.op]} {self.expr(s.expr, name_of)}" for s in statements
        )


def _identifiers(names: Iterable[str], prefix: str) -> dict[str, str]:
    """Unique Python identifiers for element names (``a->b`` -> ``syn_a_b``)."""
    out: dict[str, str] = {}
    for name in names:
        base = f"{prefix}_{re.sub(r'[^A-Za-z0-9_]+', '_', name).strip('_')}"
        ident, n = base, 2
        while ident in out.values():
            ident, n = f"{base}_{n}", n + 1
        out[name] = ident
    return out


def _equations(
    d: Definition, w: _Writer, name_of: Callable[[str], str], flag: str = ""
) -> list[str]:
    lines = []
    for name, expr in d.equations.assignments.items():
        kind = "boolean" if name in d.equations.booleans else "1"
        lines.append(f"{name_of(name)} = {w.expr(expr, name_of)} : {kind}")
    for state, expr in d.equations.derivatives.items():
        lines.append(f"d{name_of(state)}/dt = ({w.expr(expr, name_of)})/ms : 1{flag}")
    for state in d.states:  # states only events change
        if state not in d.equations.derivatives:
            lines.append(f"{name_of(state)} : 1")
    return lines


def _constants(model: Model, d: Definition, name_of: Callable[[str], str]) -> dict[str, float]:
    initial = {initial_parameter(s) for s in d.states}
    return {name_of(k): v for k, v in model.values.items() if k not in initial}


def _literal(values: np.ndarray) -> str:
    """``np.array([...])`` of ``values`` (whole numbers as int64), wrapped in lines."""
    items = [repr(int(x)) if values.dtype.kind in "iu" else repr(float(x)) for x in values]
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(item) + 2 > 96:
            lines.append(line + ",")
            line = item
        else:
            line = f"{line}, {item}" if line else item
    body = "\n    ".join([*lines, line]) if line else ""
    dtype = ", dtype=np.int64" if values.dtype.kind in "iu" else ""
    return f"np.array([\n    {body},\n]{dtype})" if len(items) > 8 else f"np.array([{body}]{dtype})"


def _initial(
    target: str,
    model: Model,
    d: Definition,
    w: _Writer,
    name_of: Callable[[str], str],
    members: dict[str, np.ndarray],
) -> list[str]:
    """Initial values: numbers first (the voltage), then expressions that may read them;
    ``members`` holds the arrays of initial-value parameters that differ between members
    (NaN: that member starts at steady state)."""
    numbers, expressions = [], []
    for state in d.states:
        key = initial_parameter(state)
        value, target_state = model.get(key), f"{target}.{name_of(state)}"
        steady = (
            f'{target_state} = "{w.expr(d.initial[state], name_of)}"'
            if state in d.initial
            else f"{target_state} = {value!r}"  # no steady state: the declared start
        )
        if key in members:
            values = members[key]
            given = ~np.isnan(values)
            if given.all():
                numbers.append(f"{target_state} = {_literal(values)}")
            else:  # steady state first, then the members that have their own value
                index = np.flatnonzero(given)
                expressions.append(steady)
                if len(index):
                    expressions.append(
                        f"{target_state}[{_literal(index)}] = {_literal(values[index])}"
                    )
        elif value is not None:
            numbers.append(f"{target_state} = {value!r}")
        else:
            expressions.append(steady)
    return numbers + expressions


def _member_arrays(circuit: Circuit, name: str) -> dict[str, np.ndarray]:
    """The values that differ between ``name``'s members (distributions drawn), by parameter."""
    return {key: circuit.member_array(name, key) for key in circuit.member_values.get(name, {})}


def _silent(d: Definition) -> bool:
    """A connection that only acts through events: no dynamics, no current (DeltaSynapse)."""
    current = d.equations.assignments.get("I_post")
    zero = isinstance(current, ast.Constant) and current.value == 0
    return zero and not d.equations.derivatives and "I_pre" not in d.equations.assignments


def _check(name: str, d: Definition) -> None:
    if d.on_step:
        raise ValueError(
            f"{name}: {d.name} has on_step statements (noise), which Brian2 cannot reproduce"
        )
    if "V_command" in d.equations.assignments:
        raise ValueError(
            f"{name}: {d.name} in mode 'ideal' sets the cell's voltage, which this export does "
            "not write; clamp through a series resistance instead (VoltageClamp(rs=...), rs "
            "in MOhm: mode 'series'), which exports as a current, or run the preset with "
            "neuntune (neuntune run PRESET)"
        )


def _namespace(helpers: Iterable[str]) -> str:
    """Only the helper functions: parameters are the group's own constants, because
    Brian2 resolves a unit name (``cm``, ``mg``, ``C``) before an external constant."""
    return "{" + ", ".join(f"{k!r}: {k}" for k in sorted(helpers)) + "}"


def _parameters(target: str, values: dict[str, float | np.ndarray]) -> tuple[list[str], list[str]]:
    """Declarations (``gna : 1 (constant)``) and assignments (``cell_a.gna = 120.0``, or
    an array where members differ)."""
    return (
        [f"{k} : 1 (constant)" for k in values],
        [
            f"{target}.{k} = {_literal(v) if isinstance(v, np.ndarray) else repr(v)}"
            for k, v in values.items()
        ],
    )


def _block(
    comment: str,
    target: str,
    call: str,
    args: list[str],
    equations: list[str],
    namespace: str,
    extra: list[str],
) -> str:
    """``target = b2.Call(args..., equations, method=METHOD, namespace=..., extra...)``."""
    lines = [f"# {comment}", f"{target} = b2.{call}("]
    lines += [f"    {a}," for a in args]
    lines += ['    """', *equations, '""",', "    method=METHOD,", f"    namespace={namespace},"]
    lines += [f"    {e}," for e in extra]
    return "\n".join([*lines, ")"])


def _namer(
    d: Definition, inputs: dict[str, str], prefix: str = "", extra: Iterable[str] = ()
) -> Callable[[str], str]:
    """How a model's names appear in Brian2: time as t/ms, ``inputs`` as given, its own
    names made safe (and prefixed, for a stimulus written into its cell's equations)."""
    own = set(d.parameters) | set(d.states) | set(d.equations.assignments) | set(extra)

    def name_of(n: str) -> str:
        if n == "t":
            return "t/ms"
        if n in inputs:
            return inputs[n]
        return safe(f"{prefix}{n}") if n in own else n

    return name_of


class _Export:
    """One circuit's script blocks, in order: cells (with their stimuli), then connections."""

    def __init__(self, circuit: Circuit) -> None:
        self.circuit = circuit
        self.w = _Writer()
        self.cells = _identifiers(circuit.neurons, "cell")
        self.conns = _identifiers(circuit.connections, "syn")
        self.stims = _identifiers(circuit.stimuli, "stim")
        self.blocks: list[str] = []
        # (cell, group, states, members monitored)
        self.monitors: list[tuple[str, str, list[str], list[int]]] = []

    def cell(self, cell: str, model: Model, monitored: list[int]) -> None:
        circuit, w, d = self.circuit, self.w, model.resolved()
        _check(cell, d)
        group = self.cells[cell]
        size = circuit.size(cell)
        if d.listed:  # a spike source: its listed times are its spikes
            if size != 1:
                raise ValueError(f"{cell}: a population of spike sources is not exported")
            times = [float(t) for t in getattr(model, d.listed)]
            self.blocks.append(
                f"# {cell}: {d.name}\n{group} = b2.SpikeGeneratorGroup("
                f"1, np.zeros({len(times)}, dtype=int), np.array({times!r}) * ms)"
            )
            return
        name_of = _namer(d, {"I_in": "I_in"})
        lines = _equations(d, w, name_of)
        values: dict[str, float | np.ndarray] = dict(_constants(model, d, name_of))
        members = _member_arrays(circuit, cell)
        initial = {initial_parameter(state) for state in d.states}
        values |= {name_of(k): v for k, v in members.items() if k not in initial}
        terms = []
        for name, conn in circuit.connections.items():  # coupling currents, summed by Brian2
            if conn.post == cell and not _silent(conn.synapse.resolved()):
                terms.append(f"I_{self.conns[name]}")
            if conn.pre == cell and "I_pre" in conn.synapse.resolved().equations.assignments:
                terms.append(f"Ipre_{self.conns[name]}")
        lines += [f"{term} : 1" for term in terms]
        for name, inj in circuit.stimuli.items():
            if inj.target == cell:
                sd = inj.stimulus.resolved()
                _check(name, sd)
                stim_of = _namer(sd, {"v": d.voltage or "v"}, prefix=f"{self.stims[name]}_")
                lines += [f"# stimulus {name}: {sd.name}", *_equations(sd, w, stim_of)]
                values.update(_constants(inj.stimulus, sd, stim_of))
                values.update({stim_of(k): v for k, v in _member_arrays(circuit, name).items()})
                terms.append(stim_of("I"))
        lines.append(f"I_in = {' + '.join(terms) or '0'} : 1")
        extra = []
        if d.reset_threshold is not None:
            level = w.expr(d.reset_threshold, name_of)  # the reset happens as v crosses it
            extra.append(f'threshold="{d.voltage} > {level}"')
            extra.append(f'reset="""\n{w.statements(d.on_spike, name_of)}\n"""')
        else:  # spikes as neuntune counts them: upward crossings of the spike threshold
            crossing = f"{d.voltage} > {d.spike_threshold!r}"
            extra += [f'threshold="{crossing}"', f'refractory="{crossing}"']
        events, on_event = {}, []
        for name, conn in circuit.connections.items():
            if conn.pre != cell or not conn.synapse.resolved().on_pre:
                continue
            if d.reset_threshold is not None:  # the reset is the spike, as in the engine
                continue
            # one event per connection, at the upward crossing of its own threshold
            ident = self.conns[name]
            if "threshold" in circuit.member_values.get(name, {}):
                raise ValueError(f"{name}: thresholds that differ between connections are not "
                                 "exported; give the connection one threshold")  # fmt: skip
            above, threshold = f"above_{ident}", f"threshold_{ident}"
            lines.append(f"{above} : boolean")
            values[threshold] = conn.synapse.get("threshold")
            events[f"spike_{ident}"] = f"{d.voltage} > {threshold} and not {above}"
            events[f"fall_{ident}"] = f"{d.voltage} <= {threshold} and {above}"
            on_event.append(f'{group}.run_on_event("spike_{ident}", "{above} = True")')
            on_event.append(f'{group}.run_on_event("fall_{ident}", "{above} = False")')
        if events:
            extra.append(f"events={events!r}")
        declarations, assignments = _parameters(group, values)
        starts = _initial(group, model, d, w, name_of, members)
        namespace = _namespace(w.helpers)
        comment = f"{cell}: {d.name}" + (f", {size} members" if size != 1 else "")
        lines = declarations + lines
        args = [str(size)]
        self.blocks.append(_block(comment, group, "NeuronGroup", args, lines, namespace, extra))
        self.blocks.append("\n".join(assignments + on_event + starts))
        self.monitors.append((cell, group, [name_of(s) for s in d.states], monitored))

    def connection(self, name: str) -> None:
        conn = self.circuit.connections[name]
        syn, w, d = conn.synapse, self.w, conn.synapse.resolved()
        _check(name, d)
        ident = self.conns[name]
        pre, post = (self.circuit.neurons[c].resolved().voltage for c in (conn.pre, conn.post))
        inputs = {
            "v_pre": f"{pre}_pre",
            "v_post": f"{post}_post",
            "I_post": "Ipost",
            "I_pre": "Ipre",
        }
        raised = post_targets(d)  # post-cell states the events raise: ge_post += w
        inputs |= {t: f"{safe(t[: -len('_post')])}_post" for t in raised}
        temporaries = {s.target for s in d.on_pre if s.target not in d.states} - raised
        if "release" not in temporaries:  # no plasticity: every event releases fully
            inputs["release"] = "1.0"
        name_of = _namer(d, inputs, extra=temporaries)
        silent = _silent(d)
        lines = [] if silent else _equations(d, w, name_of, " (clock-driven)")
        if not silent:
            lines.append(f"I_{ident}_post = Ipost : 1 (summed)")
        if "I_pre" in d.equations.assignments:
            lines.append(f"Ipre_{ident}_pre = Ipre : 1 (summed)")
        extra = []
        if conn.rule is None:
            setup = [f"{ident}.connect(i=0, j=0)"]
        else:  # the pairs the rule realised: the same connectivity as neuntune's
            i, j = self.circuit.pairs(name)
            setup = [
                f"# {conn.rule!r}: {len(i)} connections",
                f"{ident}.connect(\n    i={_literal(i)},\n    j={_literal(j)},\n)",
            ]
        members = _member_arrays(self.circuit, name)
        if d.on_pre:
            extra.append(f'on_pre="""\n{w.statements(d.on_pre, name_of)}\n"""')
            pre_d = self.circuit.neurons[conn.pre].resolved()
            if pre_d.states and pre_d.reset_threshold is None:  # else Brian2's own spike
                extra.append(f'on_event="spike_{ident}"')
            delay = members.pop("delay", None)
            written = repr(syn.get("delay")) if delay is None else _literal(delay)
            setup.append(f"{ident}.delay = {written} * ms")
        initial = {initial_parameter(state) for state in d.states}
        values: dict[str, float | np.ndarray] = dict(_constants(syn, d, name_of))
        values |= {name_of(k): v for k, v in members.items() if k not in initial}
        declarations, assignments = _parameters(ident, values)
        lines = declarations + lines
        setup += assignments + _initial(ident, syn, d, w, name_of, members)
        namespace = _namespace(w.helpers)
        args = [self.cells[conn.pre], self.cells[conn.post]]
        comment = f"{name}: {d.name} {conn.pre} -> {conn.post}"
        self.blocks.append(_block(comment, ident, "Synapses", args, lines, namespace, extra))
        self.blocks.append("\n".join(setup))


def to_brian2(preset: Preset, run: RunSettings | None = None) -> str:
    """The preset as the source of a standalone Brian2 script (see the module docs).

    ``run`` replaces the preset's run settings.  Raises ValueError for elements
    Brian2 cannot reproduce.
    """
    run = run or preset.run
    if run.init != "default":
        raise ValueError(f"run.init={run.init!r}: only the models' initial values can be exported")
    export = _Export(preset.circuit)
    for cell, model in preset.circuit.neurons.items():
        export.cell(cell, model, _monitored(preset.circuit, cell, run))
    for name in preset.circuit.connections:
        export.connection(name)
    return _script(preset, run, export)


#: Members of a population the script monitors when the run settings name none.
MONITORED = 10
_RECORD = re.compile(r"^(?P<element>[A-Za-z_][A-Za-z0-9_]*)\[(?P<lo>\d*)(?P<colon>:?)(?P<hi>\d*)\]")


def _monitored(circuit: Circuit, cell: str, run: RunSettings) -> list[int]:
    """The members of ``cell`` whose states the script records: those the run settings
    name (``"fs[0:5].v"``, ``"fs[3]"``), else the first :data:`MONITORED`."""
    n = circuit.size(cell)
    chosen: set[int] = set()
    for item in run.record or ():
        match = _RECORD.match(item)
        if match is None or match.group("element") != cell:
            continue
        lo = int(match.group("lo") or 0)
        hi = int(match.group("hi") or n) if match.group("colon") else lo + 1
        chosen.update(range(lo, min(hi, n)))
    return sorted(chosen) or list(range(min(n, MONITORED)))


def _script(preset: Preset, run: RunSettings, export: _Export) -> str:
    helpers = "".join(_HELPERS[h] for h in sorted(export.w.helpers))
    notes = []
    if run.method == "rk6":
        notes.append("neuntune's rk6 has no Brian2 counterpart; this script uses rk4.")
    if run.precision != "float64":
        notes.append(f"The preset runs in {run.precision}; Brian2 computes in float64.")
    record = "".join(
        f'    "{cell}": (b2.StateMonitor({group}, {states!r}, record={members!r}), '
        f"b2.SpikeMonitor({group})),\n"
        for cell, group, states, members in export.monitors
    )
    sizes = {cell: preset.circuit.size(cell) for cell, *_ in export.monitors}
    description = "\n".join(f"    {line}" for line in _wrap(preset.description)) or "    -"
    source = "\n".join(f"    {line}" for line in _wrap(preset.source)) or "    -"
    return f'''"""{_docstring(preset.name)}: a neuntune preset as a standalone Brian2 script.

{description}

Source:
{source}

Every variable is a plain number in neuntune's units (mV, ms, uF, mS, uA, cm2;
cell parameters per cm2), so the equations carry no Brian2 units: derivatives
are divided by ms and time enters as t/ms.  Brian2 updates the (summed) coupling
variables once per step, so a cell sees its synaptic input about dt/2 later than
in neuntune's fully coupled integration, and spikes that trigger event-driven
synapses are detected at the end of a step, not interpolated within it.
{" ".join(notes)}
Run:  python this_script.py [traces.npz]
(saves t in ms, every cell state as "cell.state" and spike times as "cell.spikes";
for a population, "cell.state" has one row per monitored member, whose indices are
in "cell.members", and "cell.spike_i" holds the member index of each spike)
"""

import sys

import brian2 as b2
import numpy as np
from brian2 import ms

b2.prefs.codegen.target = "numpy"
b2.defaultclock.dt = {run.dt!r} * ms
METHOD = "{METHODS[run.method]}"
T_STOP = {run.t_stop!r}  # ms
{helpers}

{chr(10).join(f"{block}{chr(10)}" for block in export.blocks if block)}
network = b2.Network(b2.collect())
monitors = {{
{record}}}
network.add(*(monitor for pair in monitors.values() for monitor in pair))
network.run(T_STOP * ms)

SIZES = {sizes!r}
traces = {{}}
for cell, (states, spikes) in monitors.items():
    traces["t"] = np.asarray(states.t / ms)
    single = SIZES[cell] == 1
    for name in states.record_variables:
        values = np.asarray(getattr(states, name))
        traces[f"{{cell}}.{{name}}"] = values[0] if single else values
    traces[f"{{cell}}.spikes"] = np.asarray(spikes.t / ms)
    if not single:
        traces[f"{{cell}}.members"] = np.asarray(states.record)
        traces[f"{{cell}}.spike_i"] = np.asarray(spikes.i)
    print(f"{{cell}}: {{len(spikes.t)}} spikes")
if len(sys.argv) > 1:
    np.savez(sys.argv[1], **traces)
'''


def _docstring(text: str) -> str:
    """``text`` safe inside the script's docstring: a preset's description is data and
    must never end the string and become code."""
    return text.replace("\\", "\\\\").replace('"""', r"\"\"\"")


def _wrap(text: str, width: int = 84) -> list[str]:
    """``text`` in lines of at most ``width`` characters, escaped for the docstring."""
    lines, line = [], ""
    for word in _docstring(text).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
