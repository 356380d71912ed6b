"""``neun_py.to_circuit``: a compat network as a native :class:`~neuntune.Circuit`,
so a Neun script moves to ``nt.simulate``, a preset or the dashboard in one line::

    c = neun_py.to_circuit({"a": h1, "b": h2}, {"gj": synapse}, inputs={"a": 0.1, "b": 0.08})
    res = nt.simulate(c, t_stop=100.0, dt=0.001)

Conversions (Neun → native), the ones the compat classes themselves step the native
models by (``ModelSpec.to_native``, ``DiffusionSynapse.native_values``):

- **HH**: Neun's parameters are absolute (per-cm² value × membrane area); the
  native HH takes densities and an ``area``.  With area = 7.854e-3 cm² (Neun's
  standard): cm = cm_Neun/area (µF/cm²), gna, gk, gl = g_Neun/area (mS/cm²),
  ena, ek, el = vna, vk, vl.  Both sides divide the same currents by the same
  capacitance, so the dynamics are identical (any area would do; this one gives
  the textbook 1, 120, 36, 0.3).  ``celsius`` stays 6.3 °C: rates unscaled, as
  in Neun.
- **HR**: the same names and values.
- **Iz**: ``Izhikevich(a, b, c, d, v_peak=threshold, C=1)``; with C = 1 µF the
  native I_in/C is Neun's +I.  The native reset happens at the interpolated
  crossing, Neun's at the end of the step.
- Initial values are the compat cell's present state; a state that still follows
  the voltage (never set, never stepped: HH gates, Izhikevich u) stays ``None``,
  the native "steady state for v0".
- **ESyn** (g1 into the first cell, g2 into the second) becomes, from the first
  cell (pre) to the second (post), ``GapJunction(g)`` when g1 = g2 = g, else
  ``AsymmetricGapJunction(g_ab=g2, g_ba=g1)``.  A negative conductance (which
  pushes voltages apart) has no physical equivalent: ValueError.
- **DSyn** (Neun adds gsyn·r·(V_post − esyn)) becomes ``DiffusionSynapse(g=−gsyn,
  E=esyn, alpha, beta, T_max=T, T_dur=max_release_time, threshold, delay=0)``,
  the same current as g·r·(E − V) with g ≥ 0, and r0 = r (a release in
  progress is not carried over).  Neun's ``steps = N`` runs N sub-steps of h per
  step, i.e. kinetics N times faster: alpha·N, beta·N, T_dur/N.  gsyn > 0 (a
  negative conductance): ValueError.
- Both ends of a synapse must be the cells' voltages (HH v, HR x, Iz v).
- Currents added by hand each step (``add_synaptic_input``) are not part of a
  cell; pass them as ``inputs`` (constant currents, ``nt.Constant``).
- ``Float`` classes: run the circuit with ``nt.simulate(..., precision="float32")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..circuit import Circuit
from ..models.kinds import Neuron as NativeNeuron
from ..models.kinds import Synapse as NativeSynapse
from ..models.stimuli import Constant
from ..models.synapses import AsymmetricGapJunction, DiffusionSynapse, GapJunction
from .neurons import Neuron
from .synapses import ElectricalSynapse, Synapse


def native_neuron(cell: Neuron) -> NativeNeuron:
    """The native model equivalent to compat ``cell``, starting from its present state."""
    model = cell.spec.native(**cell.native_values())
    following = cell.following()
    for name, value in cell.variables().items():
        model.set(f"{name}0", None if name in following else value)
    return model


def native_synapse(synapse: Synapse, where: str) -> NativeSynapse:
    """The native synapse equivalent to ``synapse`` (from its first cell to its
    second); ValueError where none exists (see the module doc)."""
    for cell, variable in zip(synapse.cells, synapse.cell_variables, strict=True):
        if variable.name != cell.spec.voltage:
            raise ValueError(
                f"{where}: couples {cell.spec.short} variable {variable.name!r}; the native "
                f"synapses couple voltages only ({cell.spec.short}: {cell.spec.voltage!r})"
            )
    P = synapse.Parameter
    if isinstance(synapse, ElectricalSynapse):
        g1, g2 = synapse.get_param(P.g1), synapse.get_param(P.g2)
        if min(g1, g2) < 0:
            raise ValueError(
                f"{where}: ESyn conductances g1 = {g1:g}, g2 = {g2:g}: a negative one pushes "
                "the voltages apart (in Neun and in neuntune.compat), which no physical gap "
                "junction does, so there is no native equivalent. The Neun docs' -0.002 is "
                "meant as an ordinary gap junction: use +0.002 (set_param(ESyn...Parameter.g1, "
                "0.002), and g2)."
            )
        return GapJunction(g=g1) if g1 == g2 else AsymmetricGapJunction(g_ab=g2, g_ba=g1)
    gsyn, n = synapse.get_param(P.gsyn), synapse.steps
    if gsyn > 0:
        raise ValueError(
            f"{where}: DSyn gsyn = {gsyn:g}: Neun adds gsyn·r·(V_post − esyn), so a positive "
            "gsyn is a negative conductance (it drives V away from esyn) and has no native "
            "equivalent. An excitatory Neun DSyn has gsyn < 0 (native g = −gsyn)."
        )
    values = synapse.native_values()
    values.update(alpha=values["alpha"] * n, beta=values["beta"] * n, T_dur=values["T_dur"] / n)
    return DiffusionSynapse(**values, delay=0.0, r0=synapse.get(synapse.Variable.r))


def to_circuit(
    neurons: Sequence[Neuron] | Mapping[str, Neuron],
    synapses: Iterable[Synapse] | Mapping[str, Synapse] = (),
    inputs: Mapping[str | Neuron, float] | None = None,
) -> Circuit:
    """A native Circuit with these compat cells and synapses (see the module doc
    for every conversion).

    ``neurons``: a list (cells named n1, n2, ...) or a mapping name -> cell.
    ``synapses``: a list (connections named "pre->post") or a mapping name ->
    synapse; both of a synapse's cells must be among ``neurons``.  ``inputs``:
    constant currents (µA for HH) by cell or cell name, added as ``nt.Constant``.
    """
    if isinstance(neurons, Mapping):
        cells = dict(neurons)
    else:
        cells = {f"n{i}": cell for i, cell in enumerate(neurons, 1)}
    names: dict[int, str] = {}  # id(cell) -> name
    circuit = Circuit()
    for name, cell in cells.items():
        if not isinstance(cell, Neuron):
            raise TypeError(f"to_circuit: {name!r} is not a neun_py neuron: {cell!r}")
        if id(cell) in names:
            raise ValueError(
                f"to_circuit: one cell is passed twice ({names[id(cell)]!r}, {name!r})"
            )
        names[id(cell)] = name
        circuit.add(name, native_neuron(cell))
    if isinstance(synapses, Mapping):
        named: list[tuple[str | None, Synapse]] = list(synapses.items())
    else:  # the circuit names them "pre->post"
        named = [(None, synapse) for synapse in synapses]
    for i, (name, synapse) in enumerate(named, 1):
        where = f"to_circuit: synapse {name or f'#{i}'}"
        if not isinstance(synapse, Synapse):
            raise TypeError(f"{where} is not a neun_py synapse: {synapse!r}")
        ends = [names.get(id(cell)) for cell in synapse.cells]
        if None in ends:
            raise ValueError(f"{where} ({type(synapse).__name__}) connects a cell not in neurons")
        circuit.connect(ends[0], ends[1], native_synapse(synapse, where), name=name)
    for target, amplitude in (inputs or {}).items():
        name = target if isinstance(target, str) else names.get(id(target))
        if name not in cells:
            raise ValueError(f"to_circuit: inputs names {target!r}, which is not in neurons")
        circuit.stimulate(name, Constant(amplitude=amplitude))
    return circuit
