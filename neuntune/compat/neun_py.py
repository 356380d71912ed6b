"""A drop-in for Neun's Python bindings (neun_py 0.4): existing scripts run unchanged
but for the import::

    import neuntune.compat.neun_py as neun_py

    h1 = neun_py.HHDoubleRK4(neun_py.HHDoubleConstructorArgs())
    h1.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
    h1.set(neun_py.HHDoubleVariable.v, -75)
    h1.add_synaptic_input(0.1)
    h1.step(0.001)

Names follow neun_py's scheme: neurons ``{HH,HR,Iz}{Double,Float}{RK4,RK6}`` with
``...ConstructorArgs``, ``...Parameter`` and ``...Variable``; synapses
``ESyn{A}{B}{Double,Float}{RK4,RK6}`` and ``DSyn...`` for every pair of models,
with ``ESyn{Double,Float}{Variable,Parameter}`` and ``DSyn{Double,Float}
{Variable,Parameter,ConstructorArgs}``.  Semantics follow Neun's C++ source
(cited in :mod:`.neurons`, :mod:`.synapses` and :mod:`.integrators`): synapses are
stepped before neurons, inputs are held for one step, ``Float`` classes compute
in float32, ``RK6`` is Neun's 6-stage fifth-order table, a negative ESyn
conductance pushes voltages apart and DSyn adds gsyn·r·(V_post − esyn) (each
convention warns once, :class:`NeunSignWarning`).  Neun's defects that only hurt
are repaired: states start initialised, DSyn is constructible, HR's defaults burst.

Each ``step`` is one call of a precompiled numba kernel (~1 µs) generated from
neuntune's own model declarations; ``get``, ``set``, ``add_synaptic_input`` and
ESyn's ``step`` are plain Python.  The kernels compile on first use (about a second
per model and precision, once: they are cached on disk); call :func:`warm_up` to do
that ahead of time.  :func:`to_circuit` turns a network into
a native :class:`~neuntune.Circuit` (``nt.simulate``, presets, the dashboard).
"""

from __future__ import annotations

from . import neurons as _neurons
from . import synapses as _synapses
from ._warn import NeunSignWarning
from .bridge import to_circuit
from .neurons import HH_AREA, SPECS, ConstructorArgs, Neuron
from .synapses import DiffusionSynapse, ElectricalSynapse, Synapse

__version__ = "0.4.0"  # the neun_py version whose API this follows

globals().update(_neurons.CLASSES)
globals().update(_synapses.CLASSES)


def get_available_neurons() -> list[str]:
    """Names of every neuron class, as neun_py lists them."""
    return [cls.__name__ for cls in _neurons.NEURONS.values()]


def get_available_synapses() -> list[str]:
    """Names of every synapse class."""
    return list(_synapses.SYNAPSES)


def get_model_info(short_name: str) -> dict[str, object]:
    """neun_py's model description: class name, short name, description and the
    variables and parameters (name and description) in enumeration order; an
    empty dict for an unknown short name, as neun_py returns."""
    for spec in SPECS:
        if spec.short == short_name:
            return {
                "class_name": spec.neun_class,
                "short_name": spec.short,
                "description": spec.description,
                "variables": [
                    {"name": k, "description": spec.variable_doc(k)} for k in spec.variables
                ],
                "parameters": [
                    {"name": k, "description": d} for k, (_, d) in spec.parameters.items()
                ],
            }
    return {}


def warm_up(precisions: tuple[str, ...] = ("Double", "Float")) -> None:
    """Compile (or load from the disk cache) the step kernels for these precisions
    now rather than at the first ``step``: one module per model and precision
    serves both integrators and every synapse pair."""
    for precision in precisions:
        for spec in SPECS:
            _neurons.NEURONS[spec.short, precision, "RK4"]().step(0.0)
        dsyn = _synapses.SYNAPSES[f"DSynHHHH{precision}RK4"]
        args = dsyn.ConstructorArgs()
        args.params[dsyn.Parameter.gsyn] = 0.0  # a conductance that warns of nothing
        h = dsyn.pre()
        dsyn(h, h.Variable.v, h, h.Variable.v, args).step(0.0)


__all__ = [
    "HH_AREA",
    "ConstructorArgs",
    "DiffusionSynapse",
    "ElectricalSynapse",
    "NeunSignWarning",
    "Neuron",
    "Synapse",
    "get_available_neurons",
    "get_available_synapses",
    "get_model_info",
    "to_circuit",
    "warm_up",
    *_neurons.CLASSES,
    *_synapses.CLASSES,
]
