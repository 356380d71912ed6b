"""Neun's neurons for the compat layer: the generated class families
``{HH,HR,Iz}{Double,Float}{RK4,RK6}`` with their enumerations, over neuntune's own
models.

Each class steps a native model's declaration (``HH``, ``HR``, ``Izhikevich``) with
Neun's integrators and stepping (:mod:`._kernels`), so a fix to a model reaches this
layer unedited.  What is Neun's stays here: its names in enum order, its defaults
and units, and the conversion of its parameters to the native ones
(:attr:`ModelSpec.to_native`), under which Neun's equations (GNB-UAM/Neun) are the
native ones:

- ``models/HodgkinHuxleyModel.h``: variables ``v, h, m, n``; parameters
  ``cm, vna, vk, vl, gna, gk, gl`` as *absolute* values (µF and mS: the docs pass
  ``cm = 1 * 7.854e-3``, i.e. per-cm² value × membrane area in cm²), so
  dv/dt = (I − gl(v − vl) − gna m³h(v − vna) − gk n⁴(v − vk))/cm with I in µA:
  the native HH with area 7.854e-3 cm², densities = absolute values/area (the same
  currents over the same capacitance) and ena, ek, el = vna, vk, vl, at 6.3 °C
  (rates unscaled, as Neun's).
- ``models/HindmarshRoseModel.h``: variables ``x, y, z``; parameters
  ``e, mu, S, a, b, c, d, xr, vh``; the input is added to dx/dt (dimensionless):
  the native HR, same names.
- ``models/IzhikevichModel.h``: variables ``v, u``; parameters ``a, b, c, d,
  threshold``; dv/dt = 0.04v² + 5v + 140 − u + I; after each step, v ≥ threshold
  resets v ← c, u ← u + d (neun_py's enumeration omits ``threshold``; here it is
  the fifth member, default 30 mV): the native Izhikevich with v_peak = threshold
  and C = 1 µF (its I_in/C is Neun's I), its reset applied at the end of the step.
- ``wrappers/IntegratedSystemWrapper.h``: ``add_synaptic_input`` accumulates;
  ``step(h)`` integrates with the input held through every stage, then clears it.

The numbers differ from Neun's by rounding only (the native HH shares one
exponential among its rates; neuntune computes exponentials its own way), except
where Neun's are NaN: the HH rates' 0/0 at v = −40 and −55 mV, which the native HH
takes to its limit.  Neun's other defects that only hurt are not reproduced either:
states start initialised (the native initial values: v at −65 mV or x at −1.5,
gates at their steady state for the initial v, u = b·v), and parameters start at
published values (HH: Neun's standard set; HR: e 3, mu 0.001, S 4, which bursts,
not the header's chaotic e 3.281, mu 0.0029).  A state not set explicitly follows
the voltage and parameters until the first step: after ``set(v, -75)``,
``get(m)`` is the steady state at −75 mV, as the native ``HH(v0=-75)`` starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import ClassVar

import numpy as np

from ..models.kinds import Neuron as NativeNeuron
from ..models.neurons import HH, HR, Izhikevich
from . import _kernels
from ._warn import warn_once
from .integrators import TABLES, table

#: Neun's precision names (class-name infix) and the dtype each computes in.
PRECISIONS: dict[str, type[np.floating]] = {"Double": np.float64, "Float": np.float32}
#: Neun's integrator names (class-name suffix).
INTEGRATORS: tuple[str, ...] = tuple(TABLES)
#: The module the generated classes say they belong to (what users import).
PUBLIC_MODULE = "neuntune.compat.neun_py"

#: Membrane area (cm²) of Neun's standard HH: its absolute defaults are densities × this.
HH_AREA = 7.854e-3


@dataclass(frozen=True)
class ModelSpec:
    """One Neun neuron model: the native model it steps, and Neun's names (in Neun's
    enum order), defaults and docs."""

    short: str  # neun_py's short name: the class-name prefix
    neun_class: str  # Neun's C++ class
    native: type[NativeNeuron]  # the declaration whose equations are stepped
    description: str
    variables: tuple[str, ...]  # Neun's variables: native states, in Neun's order
    parameters: dict[str, tuple[float, str]]  # name -> (default, doc), Neun's units
    #: the native parameter values equal to Neun's (the others keep their defaults)
    to_native: Callable[[Mapping[str, float]], dict[str, float]]

    @cached_property
    def states(self) -> dict[str, object]:
        """The native declaration of each variable."""
        return {name: self.native.states[name] for name in self.variables}

    @property
    def voltage(self) -> str:
        """The variable synapses read and inject into."""
        return self.native.definition().voltage

    @property
    def derived(self) -> tuple[str, ...]:
        """Variables whose initial value is an expression (follows v: see the module doc)."""
        return tuple(name for name, s in self.states.items() if isinstance(s.initial, str))

    def variable_doc(self, name: str) -> str:
        state = self.states[name]
        return f"{state.doc} ({state.unit})"


def _hh(p: Mapping[str, float]) -> dict[str, float]:
    """Neun's absolute HH values (µF, mS) as densities on :data:`HH_AREA` (any area
    would do: both divide the same currents by the same capacitance), rates unscaled."""
    return {
        "cm": p["cm"] / HH_AREA,
        "gna": p["gna"] / HH_AREA,
        "gk": p["gk"] / HH_AREA,
        "gl": p["gl"] / HH_AREA,
        "ena": p["vna"],
        "ek": p["vk"],
        "el": p["vl"],
        "area": HH_AREA,
        "celsius": 6.3,
    }


def _iz(p: Mapping[str, float]) -> dict[str, float]:
    """Neun adds its input to dv/dt: the native I_in/C with C = 1."""
    keep = ("a", "b", "c", "d")
    return {**{k: p[k] for k in keep}, "v_peak": p["threshold"], "C": 1.0}


SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "HH",
        "HodgkinHuxleyModel",
        HH,
        "Hodgkin–Huxley (1952) squid axon; absolute cm (µF) and conductances (mS)",
        ("v", "h", "m", "n"),
        {
            "cm": (1.0 * HH_AREA, "membrane capacitance (µF = µF/cm² × area)"),
            "vna": (50.0, "sodium reversal potential (mV)"),
            "vk": (-77.0, "potassium reversal potential (mV)"),
            "vl": (-54.387, "leak reversal potential (mV)"),
            "gna": (120.0 * HH_AREA, "maximal sodium conductance (mS = mS/cm² × area)"),
            "gk": (36.0 * HH_AREA, "maximal potassium conductance (mS)"),
            "gl": (0.3 * HH_AREA, "leak conductance (mS)"),
        },
        _hh,
    ),
    ModelSpec(
        "HR",
        "HindmarshRoseModel",
        HR,
        "Hindmarsh–Rose (1984) bursting model; dimensionless, one time unit per ms",
        ("x", "y", "z"),
        {
            "e": (3.0, "constant input current (1)"),
            "mu": (0.001, "time-scale ratio of z (1)"),
            "S": (4.0, "adaptation strength of z (1)"),
            "a": (1.0, "cubic coefficient of x (1)"),
            "b": (3.0, "quadratic coefficient of x (1)"),
            "c": (1.0, "constant drive of y (1)"),
            "d": (5.0, "quadratic coupling of x into y (1)"),
            "xr": (-1.6, "resting x of the slow variable (1)"),
            "vh": (1.0, "decay coefficient of z (1)"),
        },
        dict,
    ),
    ModelSpec(
        "Iz",
        "IzhikevichModel",
        Izhikevich,
        "Izhikevich (2003) simple model; v in mV, t in ms, input in mV/ms",
        ("v", "u"),
        {
            "a": (0.02, "recovery rate of u (1/ms)"),
            "b": (0.2, "sensitivity of u to v (1/ms)"),
            "c": (-65.0, "reset voltage (mV)"),
            "d": (8.0, "reset increment of u (mV/ms)"),
            "threshold": (30.0, "spike cut-off where the reset happens (mV)"),
        },
        _iz,
    ),
)


_NONFINITE = (
    "{cls}.step: the state became NaN or infinite (h = {h:g}); Neun does not check and carries "
    "on, and so does this run. Usual causes: a step too long for the dynamics, or coupling "
    "with a negative conductance (ESyn g < 0) stronger than the cell's own conductances, "
    "which is unstable."
)


def constructor_args(cls: type, args: object | None) -> object:
    """``args``, or ``cls``'s default ConstructorArgs if None; anything but that class
    is a TypeError naming both."""
    if args is None:
        return cls.ConstructorArgs()
    if type(args) is not cls.ConstructorArgs:
        raise TypeError(f"{cls.__name__}: expected a {cls.ConstructorArgs.__name__}, got {args!r}")
    return args


class ConstructorArgs:
    """Neun's ``ConstructorArgs``: the parameter values a neuron is built with.

    ``params`` is a list indexed by the model's Parameter enumeration, starting at
    the model's defaults: ``args.params[HHDoubleParameter.gna] = 0.9``.
    """

    Parameter: ClassVar[type[IntEnum]]
    defaults: ClassVar[tuple[float, ...]]

    def __init__(self) -> None:
        self.params: list[float] = list(self.defaults)

    def __repr__(self) -> str:
        values = ", ".join(
            f"{p.name}={v!r}" for p, v in zip(self.Parameter, self.params, strict=True)
        )
        return f"{type(self).__name__}({values})"


def expect(item: object, enum: type[IntEnum], where: str, other: type[IntEnum] | None) -> None:
    """Raise the TypeError pybind11 would, naming the enumeration that was expected
    (and the right method when a member of ``other`` was passed instead)."""
    if type(item) is enum:
        return
    hint = ""
    if other is not None and type(item) is other:
        hint = f"; {item.name} is a {other.__name__} member"  # type: ignore[attr-defined]
    raise TypeError(
        f"{where}: expected a {enum.__name__} member such as "
        f"{enum.__name__}.{next(iter(enum)).name}, got {item!r}{hint}"
    )


class Neuron:
    """Base of the generated neuron classes (``HHDoubleRK4`` ...): Neun's
    ``IntegratedSystemWrapper`` API.

    ``get``/``set`` take the class's Variable enumeration, ``get_param``/
    ``set_param`` its Parameter enumeration (in Neun's units: see the module doc).
    ``add_synaptic_input(i)`` adds a current for the next step only; ``step(h)``
    advances by h ms (time units for HR) with the class's integrator and precision.
    """

    __slots__ = ("_d", "_derived", "_input", "_kernels", "_p", "_q", "_stepped", "_work", "_x")

    spec: ClassVar[ModelSpec]
    precision: ClassVar[str]
    integrator: ClassVar[str]
    dtype: ClassVar[type[np.floating]]
    Variable: ClassVar[type[IntEnum]]
    Parameter: ClassVar[type[IntEnum]]
    ConstructorArgs: ClassVar[type[ConstructorArgs]]
    _table: ClassVar[np.ndarray]

    def __init__(self, args: ConstructorArgs | None = None) -> None:
        cls = type(self)
        args = constructor_args(cls, args)
        spec = cls.spec
        self._kernels = _kernels.kernels(spec.native, cls.dtype.__name__, spec.variables)
        layout = self._kernels.layout
        self._p = np.array(args.params, cls.dtype)  # Neun's parameters
        self._q = np.empty(len(layout.params), cls.dtype)  # the native model's
        self._d = np.empty(layout.derived, cls.dtype)
        initial = [s.initial for s in spec.states.values()]
        self._x = np.array([np.nan if isinstance(v, str) else v for v in initial], cls.dtype)
        self._derived = np.array([name in spec.derived for name in spec.variables])
        self._work = np.zeros((self._table.shape[0], layout.size), cls.dtype)
        self._input = 0.0
        self._stepped = False
        self._native()

    def _native(self) -> None:
        """The native parameters from Neun's, and the states that still follow."""
        self._kernels.parameters(self.native_values(), self._q, self._d)
        if not self._stepped and self._derived.any():
            self._kernels.module.initial(self._x, self._q, self._d, self._derived)

    def native_values(self) -> dict[str, float]:
        """The native model's parameter values equal to this cell's (see
        :attr:`ModelSpec.to_native`; the others are the native defaults)."""
        return self.spec.to_native(self.parameters())

    # Accessors stay plain Python: user loops call get and add_synaptic_input every
    # step, at ~0.1-0.2 µs each, where a numba call would cost ~1 µs.
    def get(self, variable: IntEnum) -> float:
        """Current value of a state variable (a ``Variable`` member)."""
        if type(variable) is not self.Variable:
            expect(variable, self.Variable, f"{type(self).__name__}.get", self.Parameter)
        return self._x.item(variable)

    def set(self, variable: IntEnum, value: float) -> None:
        """Set a state variable.  Before the first step, states not set explicitly
        (HH gates, Izhikevich u) follow: they are recomputed for the new value."""
        expect(variable, self.Variable, f"{type(self).__name__}.set", self.Parameter)
        self._x[variable] = value
        if not self._stepped:
            self._derived[variable] = False
            self._native()

    def get_param(self, parameter: IntEnum) -> float:
        """Value of a parameter (a ``Parameter`` member), in Neun's units."""
        expect(parameter, self.Parameter, f"{type(self).__name__}.get_param", self.Variable)
        return self._p.item(parameter)

    def set_param(self, parameter: IntEnum, value: float) -> None:
        """Set a parameter (no range checks, as in Neun)."""
        expect(parameter, self.Parameter, f"{type(self).__name__}.set_param", self.Variable)
        self._p[parameter] = value
        self._native()

    def add_synaptic_input(self, current: float) -> None:
        """Add ``current`` (µA for HH; model units for HR and Iz) to the input of
        the next step; inputs add up and are cleared by :meth:`step`."""
        self._input += float(current)

    def get_synaptic_input(self) -> float:
        """The input accumulated for the next step."""
        return self._input

    def step(self, h: float) -> None:
        """Advance by ``h`` (ms) with the input held constant, then clear the input.

        A state that becomes NaN or infinite warns once (RuntimeWarning) and the
        run carries on, as Neun's would."""
        finite = self._kernels.module.step(
            self._input, self._x, self._q, self._d, float(h), self._table, self._work
        )
        self._input = 0.0
        self._stepped = True
        if not finite:
            warn_once("nonfinite", _NONFINITE.format(cls=type(self).__name__, h=h), RuntimeWarning)

    def following(self) -> tuple[str, ...]:
        """States that still follow the voltage (never set, and no step taken yet)."""
        if self._stepped:
            return ()
        follow = self._derived.tolist()
        return tuple(name for name, f in zip(self.spec.variables, follow, strict=True) if f)

    def variables(self) -> dict[str, float]:
        """All state variables by name (a convenience neun_py does not have)."""
        return dict(zip(self.spec.variables, self._x.tolist(), strict=True))

    def parameters(self) -> dict[str, float]:
        """All parameters by name, in Neun's units."""
        return dict(zip(self.spec.parameters, self._p.tolist(), strict=True))

    def __repr__(self) -> str:
        state = ", ".join(f"{k}={v:.6g}" for k, v in self.variables().items())
        return f"{type(self).__name__}({state})"


def publish(cls: type) -> type:
    """Make a generated class report the module users import it from."""
    cls.__module__ = PUBLIC_MODULE
    cls.__qualname__ = cls.__name__
    return cls


def enumeration(name: str, members: Iterable[str]) -> type[IntEnum]:
    """A Neun enumeration: ``members`` numbered from 0 in Neun's order."""
    return IntEnum(name, list(members), start=0, module=PUBLIC_MODULE, qualname=name)


def generate() -> tuple[dict[str, type], dict[tuple[str, str, str], type[Neuron]]]:
    """Every neuron class, enumeration and ConstructorArgs class by public name,
    and the neuron classes by (short name, precision, integrator)."""
    names: dict[str, type] = {}
    by_key: dict[tuple[str, str, str], type[Neuron]] = {}
    for spec in SPECS:
        for precision, dtype in PRECISIONS.items():
            prefix = spec.short + precision
            variable = enumeration(f"{prefix}Variable", spec.variables)
            parameter = enumeration(f"{prefix}Parameter", spec.parameters)
            args_name = f"{prefix}ConstructorArgs"
            args = type(
                args_name,
                (ConstructorArgs,),
                {
                    "__doc__": f"Parameters a {prefix} neuron is built with ({spec.description}).",
                    "Parameter": parameter,
                    "defaults": tuple(value for value, _ in spec.parameters.values()),
                },
            )
            names.update({variable.__name__: variable, parameter.__name__: parameter})
            names[args_name] = publish(args)
            for integrator in INTEGRATORS:
                name = prefix + integrator
                cls = type(
                    name,
                    (Neuron,),
                    {
                        "__doc__": f"Neun's {spec.neun_class}<{dtype.__name__}> with "
                        f"{integrator}: {spec.description}.",
                        "__slots__": (),
                        "spec": spec,
                        "precision": precision,
                        "integrator": integrator,
                        "dtype": dtype,
                        "Variable": variable,
                        "Parameter": parameter,
                        "ConstructorArgs": args,
                        "_table": table(integrator, dtype),
                    },
                )
                names[name] = publish(cls)
                by_key[spec.short, precision, integrator] = cls
    return names, by_key


CLASSES, NEURONS = generate()
