"""Neun's synapses for the compat layer: ``ESyn{A}{B}{Precision}{Integrator}``
(electrical) and ``DSyn...`` (diffusion) for every pair of neuron models.

From Neun's source (GNB-UAM/Neun):

- ``include/ElectricalSynapsis.h``: ``step`` reads both cells' variables and adds
  i1 = g1·(V2 − V1) to cell 1 and i2 = g2·(V1 − V2) to cell 2.  Positive g pulls
  the voltages together (an ordinary gap junction); the negative g the Neun docs
  pass (−0.002) pushes them apart.  Reproduced as is, with a one-time warning.
  These are the native ``AsymmetricGapJunction``'s currents (g_ab = g2, g_ba =
  g1), written out in Python: ESyn steps once per user-loop iteration, where a
  compiled call would cost more than this arithmetic.
- ``include/DiffusionSynapsis.h`` with ``models/DiffusionSynapsisModel.h``
  (Destexhe et al. 1994): variables ``r, i``; parameters ``alpha, beta,
  threshold, esyn, gsyn, T, max_release_time``.  Each ``step(h)`` (repeated
  ``steps`` times, each of size h): an upward crossing of ``threshold`` by the
  presynaptic variable since the previous step starts a release; while released,
  the release clock advances by h and the release stops once it exceeds
  ``max_release_time``; r is integrated with dr/dt = alpha·T·(1 − r) − beta·r
  during a release and −beta·r otherwise.  Then i = gsyn·r·(V_post − esyn) is
  *added* to the postsynaptic input, so gsyn < 0 excites toward esyn (the
  opposite of neuntune's I = g·r·(E − V) with g ≥ 0).  Reproduced, with a
  one-time warning.  The kinetics and the current are the native
  ``DiffusionSynapse``'s declaration (stepped by :mod:`._kernels`) with g = −gsyn
  (the same current), E = esyn, T_max = T; Neun's release clock, kept here, sets
  the native release ``amount`` to 1 while it runs and 0 otherwise, the native
  pulse being held open (t = t_release = 0, T_dur = max_release_time > 0).

Either synapse computes its current from the cells' states at the start of the
step and the cells then hold it through their own step (Neun's split stepping:
step every synapse, then every neuron).  That makes the coupling first-order
accurate in h whatever the integrator; neuntune's native engine integrates the
coupled system as one ODE instead.

Not reproduced: neun_py could not construct DSyn (its ConstructorArgs were never
exposed); here ``DSyn...(n1, v1, n2, v2)`` works, with AMPA-like defaults
(alpha 1.1 /mM/ms, beta 0.19 /ms, threshold 0, esyn 0 mV, gsyn −1e-4 mS, T 1 mM,
max_release_time 1 ms), optionally ``(..., args, steps)`` as in Neun.  The
presynaptic value of the previous step, uninitialised in Neun, starts as the
value at the first step (so the first step never releases).
``get_synaptic_current()``, documented by neun_py but missing there, returns the
current into the second cell (µA for HH, positive depolarising): i2 for ESyn, i
for DSyn.  In ``Float`` synapses parameters and states are float32; ESyn forms
its currents in double from those float32 values (the cell rounds its input to
float32 when it steps: within one float32 rounding of Neun's arithmetic).
"""

from __future__ import annotations

import itertools
from enum import IntEnum
from typing import ClassVar

import numpy as np

from ..models.synapses import DiffusionSynapse as NativeDiffusionSynapse
from . import _kernels
from ._warn import warn_once
from .integrators import table
from .neurons import (
    INTEGRATORS,
    NEURONS,
    PRECISIONS,
    SPECS,
    ConstructorArgs,
    Neuron,
    constructor_args,
    enumeration,
    expect,
    publish,
)

_ESYN_WARNING = (
    "ESyn with a negative conductance ({g:g}): in Neun, and here, i1 = g1·(V2 − V1), so a "
    "negative g pushes the two voltages apart. An ordinary gap junction, which pulls them "
    "together, has positive g (the Neun docs' −0.002 is meant as +0.002). neuntune's native "
    "GapJunction takes g ≥ 0, and neun_py.to_circuit refuses negative ESyn conductances."
)
_DSYN_WARNING = (
    "DSyn follows Neun: it adds gsyn·r·(V_post − esyn) to the postsynaptic input, so gsyn < 0 "
    "(here {g:g}) excites toward esyn and gsyn > 0 is a negative conductance. neuntune's "
    "DiffusionSynapse uses I = g·r·(E − V) with g ≥ 0; neun_py.to_circuit converts g = −gsyn."
)


def _check_cell(cls: type, position: str, cell: object, variable: object, want: type) -> None:
    if type(cell) is not want:
        raise TypeError(
            f"{cls.__name__}: the {position} cell must be a {want.__name__}, got {cell!r}"
        )
    expect(variable, want.Variable, f"{cls.__name__} ({position} variable)", want.Parameter)


class Synapse:
    """What ESyn and DSyn share: the two cells and their variables, and access to
    the synapse's own variables (``_x``) and parameters (``_p``) by enumeration."""

    __slots__ = ("_k1", "_k2", "_n1", "_n2", "_p", "_x")

    pre: ClassVar[type[Neuron]]
    post: ClassVar[type[Neuron]]
    precision: ClassVar[str]
    integrator: ClassVar[str]
    dtype: ClassVar[type[np.floating]]
    Variable: ClassVar[type[IntEnum]]
    Parameter: ClassVar[type[IntEnum]]

    def __init__(self, n1: Neuron, v1: IntEnum, n2: Neuron, v2: IntEnum) -> None:
        cls = type(self)
        _check_cell(cls, "first", n1, v1, cls.pre)
        _check_cell(cls, "second", n2, v2, cls.post)
        self._n1, self._n2 = n1, n2
        self._k1, self._k2 = int(v1), int(v2)

    @property
    def cells(self) -> tuple[Neuron, Neuron]:
        """The first (presynaptic) and second (postsynaptic) cell."""
        return self._n1, self._n2

    @property
    def cell_variables(self) -> tuple[IntEnum, IntEnum]:
        """The variables read in (and driven in) the first and second cell."""
        return self.pre.Variable(self._k1), self.post.Variable(self._k2)

    def get(self, variable: IntEnum) -> float:
        """A variable of the synapse (ESyn: i1, i2; DSyn: r, i) at the last step."""
        expect(variable, self.Variable, f"{type(self).__name__}.get", self.Parameter)
        return float(self._x[variable])

    def set(self, variable: IntEnum, value: float) -> None:
        """Overwrite a variable (currents are recomputed at the next step, as in Neun)."""
        expect(variable, self.Variable, f"{type(self).__name__}.set", self.Parameter)
        self._x[variable] = float(self.dtype(value))

    def get_param(self, parameter: IntEnum) -> float:
        """A parameter (see the module doc for units)."""
        expect(parameter, self.Parameter, f"{type(self).__name__}.get_param", self.Variable)
        return float(self._p[parameter])

    def set_param(self, parameter: IntEnum, value: float) -> None:
        """Set a parameter, rounded to the synapse's precision; a sign convention
        Neun does not share with neuntune warns once (see the module doc)."""
        expect(parameter, self.Parameter, f"{type(self).__name__}.set_param", self.Variable)
        self._p[parameter] = float(self.dtype(value))
        self._changed()

    def _changed(self) -> None:
        """After a parameter change: warn of a sign convention (see the module doc)."""
        raise NotImplementedError

    def get_synaptic_current(self) -> float:
        """The current into the second cell at the last step (µA for HH; positive
        depolarises): ESyn's i2, DSyn's i (row 1 of both)."""
        return float(self._x[1])


class ElectricalSynapse(Synapse):
    """Base of ``ESyn...(n1, v1, n2, v2, g1, g2)``: a gap junction with one
    conductance per direction (mS for HH): i1 = g1·(V2 − V1) into n1,
    i2 = g2·(V1 − V2) into n2.  ``step(h)`` adds them to the cells' inputs."""

    __slots__ = ()

    def __init__(
        self, n1: Neuron, v1: IntEnum, n2: Neuron, v2: IntEnum, g1: float, g2: float
    ) -> None:
        super().__init__(n1, v1, n2, v2)
        # Python floats (rounded to the precision), read every step without numpy
        self._p = [float(self.dtype(g1)), float(self.dtype(g2))]
        self._x = [0.0, 0.0]
        self._changed()

    def _changed(self) -> None:
        g = min(self._p)
        if g < 0:
            warn_once("esyn", _ESYN_WARNING.format(g=g))

    def step(self, h: float) -> None:
        """Add i1 and i2 (from the cells' present values) to the cells' inputs."""
        n1, n2 = self._n1, self._n2
        v1, v2 = n1._x.item(self._k1), n2._x.item(self._k2)
        g1, g2 = self._p
        i1, i2 = g1 * (v2 - v1), g2 * (v1 - v2)
        self._x[0], self._x[1] = i1, i2
        # straight into the accumulators: this runs once per step in user loops
        n1._input += i1
        n2._input += i2


class DSynConstructorArgs(ConstructorArgs):
    """Parameters of a diffusion synapse (``DSyn...ConstructorArgs``), indexed by
    its Parameter enumeration."""


_DSYN_PARAMETERS = {
    "alpha": 1.1,  # /mM/ms: binding rate
    "beta": 0.19,  # /ms: unbinding rate
    "threshold": 0.0,  # presynaptic value whose upward crossing releases (mV for HH)
    "esyn": 0.0,  # mV: reversal potential
    "gsyn": -1e-4,  # mS, Neun's sign: negative excites (i = gsyn·r·(V_post − esyn))
    "T": 1.0,  # mM: transmitter concentration during a release
    "max_release_time": 1.0,  # ms: release duration
}


#: The rows of a DSyn's state array: Neun's variables r and i ("": no native state),
#: then the native model's other states: the time of its release, 0 (as t is: the
#: pulse is held open), and the release amount, 1 while Neun's release clock runs.
_DSYN_ROWS = ("r", "", "t_release", "amount")
_AMOUNT = _DSYN_ROWS.index("amount")


class DiffusionSynapse(Synapse):
    """Base of ``DSyn...(n1, v1, n2, v2, args=None, steps=1)``: Neun's
    Destexhe-style kinetic synapse from n1 to n2 (see the module doc)."""

    __slots__ = ("_d", "_kernels", "_last", "_q", "_release", "_release_time", "_steps", "_work")

    ConstructorArgs: ClassVar[type[DSynConstructorArgs]]
    _table: ClassVar[np.ndarray]

    def __init__(
        self,
        n1: Neuron,
        v1: IntEnum,
        n2: Neuron,
        v2: IntEnum,
        args: DSynConstructorArgs | None = None,
        steps: int = 1,
    ) -> None:
        super().__init__(n1, v1, n2, v2)
        cls = type(self)
        args = constructor_args(cls, args)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"{cls.__name__}: steps must be a whole number ≥ 1, got {steps!r}")
        self._steps = steps
        self._kernels = _kernels.kernels(NativeDiffusionSynapse, cls.dtype.__name__, _DSYN_ROWS)
        layout = self._kernels.layout
        self._p = np.array(args.params, self.dtype)  # Neun's parameters
        self._q = np.empty(len(layout.params), self.dtype)  # the native model's
        self._d = np.empty(layout.derived, self.dtype)
        self._x = np.zeros(layout.size, self.dtype)
        self._work = np.zeros((self._table.shape[0], layout.size), self.dtype)
        self._last: np.floating | None = None
        self._release = False
        self._release_time = self.dtype(0.0)
        self._changed()

    def _changed(self) -> None:
        self._kernels.parameters(self.native_values(), self._q, self._d)
        g = self._p.item(self.Parameter.gsyn)
        if g != 0:
            warn_once("dsyn", _DSYN_WARNING.format(g=g))

    def native_values(self) -> dict[str, float]:
        """The native DiffusionSynapse's parameter values for one sub-step's kinetics
        (g = −gsyn: see the module doc).  Neun's release clock, not the native
        pulse, decides when transmitter is out: the pulse is held open for the step."""
        p = dict(zip(_DSYN_PARAMETERS, self._p.tolist(), strict=True))
        return {
            "g": -p["gsyn"],
            "E": p["esyn"],
            "alpha": p["alpha"],
            "beta": p["beta"],
            "T_max": p["T"],
            "T_dur": p["max_release_time"],
            "threshold": p["threshold"],
        }

    @property
    def steps(self) -> int:
        """Sub-steps per ``step(h)``, each of size h (Neun's ``steps`` argument)."""
        return self._steps

    def step(self, h: float) -> None:
        """Detect a release, integrate r over ``steps`` sub-steps of h, then add
        i = gsyn·r·(V_post − esyn) to the second cell's input."""
        P = self.Parameter
        p, x = self._p, self._x
        module = self._kernels.module
        h = self.dtype(h)  # the release clock runs in the synapse's precision, as in Neun
        threshold, duration = p[P.threshold], p[P.max_release_time]
        v_post = self._n2._x.item(self._k2)
        for _ in range(self._steps):
            value = self._n1._x[self._k1]
            if self._last is None:
                self._last = value
            if self._last < threshold <= value:
                self._release = True
                self._release_time = self.dtype(0.0)
            if self._release:
                self._release_time += h
                if self._release_time > duration:
                    self._release = False
            x[_AMOUNT] = 1.0 if self._release else 0.0
            module.step(
                float(value), v_post, x, self._q, self._d, float(h), self._table, self._work
            )
            self._last = value
        x[1] = module.current(0.0, float(value), v_post, x, self._q, self._d)
        self._n2._input += x.item(1)


def generate() -> tuple[dict[str, type], dict[str, type[Synapse]]]:
    """Every synapse class, enumeration and ConstructorArgs class by public name,
    and the synapse classes alone."""
    names: dict[str, type] = {}
    synapses: dict[str, type[Synapse]] = {}
    for precision, dtype in PRECISIONS.items():
        esyn_var = enumeration(f"ESyn{precision}Variable", ["i1", "i2"])
        esyn_par = enumeration(f"ESyn{precision}Parameter", ["g1", "g2"])
        dsyn_var = enumeration(f"DSyn{precision}Variable", ["r", "i"])
        dsyn_par = enumeration(f"DSyn{precision}Parameter", list(_DSYN_PARAMETERS))
        dsyn_args = publish(
            type(
                f"DSyn{precision}ConstructorArgs",
                (DSynConstructorArgs,),
                {"Parameter": dsyn_par, "defaults": tuple(_DSYN_PARAMETERS.values())},
            )
        )
        for enum in (esyn_var, esyn_par, dsyn_var, dsyn_par, dsyn_args):
            names[enum.__name__] = enum
        kinds = (
            ("ESyn", ElectricalSynapse, "ElectricalSynapsis", esyn_var, esyn_par),
            ("DSyn", DiffusionSynapse, "DiffusionSynapsis", dsyn_var, dsyn_par),
        )
        for (kind, base, neun, variable, parameter), a, b, integrator in itertools.product(
            kinds, SPECS, SPECS, INTEGRATORS
        ):
            name = f"{kind}{a.short}{b.short}{precision}{integrator}"
            namespace = {
                "__doc__": f"Neun's {neun} from a {a.short} to a {b.short} cell "
                f"({precision}, {integrator}); see {base.__name__}.",
                "__slots__": (),
                "pre": NEURONS[a.short, precision, integrator],
                "post": NEURONS[b.short, precision, integrator],
                "precision": precision,
                "integrator": integrator,
                "dtype": dtype,
                "Variable": variable,
                "Parameter": parameter,
            }
            if kind == "DSyn":
                namespace.update(ConstructorArgs=dsyn_args, _table=table(integrator, dtype))
            cls = publish(type(name, (base,), namespace))
            names[name] = synapses[name] = cls
    return names, synapses


CLASSES, SYNAPSES = generate()
