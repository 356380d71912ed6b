"""What every event-driven chemical synapse shares: delay, threshold, and a
conductance-based (COBA) or current-based (CUBA) output.

A subclass declares its gating kinetics (states, ``equations``, ``on_pre``) and
names the dimensionless ``gate`` expression; :class:`EventSynapse` appends

    COBA:  I_post = g·gate·(E − v_post)      (g in mS, E in mV: µA)
    CUBA:  I_post = amplitude·gate            (amplitude in µA, no driving force)

so g and amplitude are the conductance and current at gate = 1.  Increments are
scaled by ``release`` (1 unless short-term plasticity sets it).  Sources:
BrainPy.state's Expon/Alpha/AMPA/GABAa with its COBA/CUBA outputs; NEURON's
Exp2Syn; BMTool's AMPA_NMDA_STP and GABA_A_STP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ..declarations import Option, Parameter
from ..kinds import Synapse

#: Membrane potential (mV) at which the default CUBA amplitude equals the COBA current.
_REST = -65.0

OUTPUT = Option(
    ("coba", "cuba"),
    "coba",
    "coba: I = g·gate·(E − v_post); cuba: I = amplitude·gate (no driving force)",
)

#: Mg²⁺ unblock of NMDA receptors (Jahr & Stevens 1990), v_post in mV, mg in mM:
#: B(V) = 1/(1 + e^(−0.062 V)·[Mg]/3.57), as in BMTool's mod files and BrainPy's MgBlock.
MG_BLOCK = "1/(1 + exp(-0.062*v_post)*mg/3.57)"


def event_parameters(
    E: float = 0.0, g: float = 1e-4, delay: float = 1.0, threshold: float = 0.0
) -> dict[str, Parameter]:
    """g (mS), E (mV), amplitude (µA), delay (ms) and threshold (mV).

    The default amplitude is the COBA current at −65 mV, g·(E + 65), so switching
    ``output`` keeps a response's size at rest.
    """
    return {
        "g": Parameter(
            g,
            "mS",
            "conductance at gate 1 (output 'coba'); 1 nS = 1e-6 mS",
            minimum=0,
            scale="log",
            ui_range=(1e-8, 1e-2),
        ),
        "E": Parameter(E, "mV", "reversal potential (output 'coba')", ui_range=(-100.0, 50.0)),
        "amplitude": Parameter(
            round(g * (E - _REST), 15),
            "uA",
            "current at gate 1 (output 'cuba'; positive depolarises)",
            ui_range=(-0.1, 0.1),
        ),
        "delay": Parameter(
            delay,
            "ms",
            "from the presynaptic threshold crossing to the synaptic event",
            minimum=0,
            ui_range=(0.0, 20.0),
        ),
        "threshold": Parameter(
            threshold,
            "mV",
            "presynaptic voltage whose upward crossing is a spike",
            ui_range=(-60.0, 40.0),
        ),
    }


def time_constant(default: float, doc: str) -> Parameter:
    """A positive time constant in ms."""
    return Parameter(
        default, "ms", doc, minimum=0, exclusive_minimum=True, scale="log", ui_range=(0.05, 500.0)
    )


def peak_factor(name: str, tau_r: str, tau_d: str) -> str:
    """Equation lines defining ``name``, the factor that makes ``name·(B − A)`` peak
    at 1 when A (decaying with ``tau_r``) and B (with ``tau_d``) both jump by 1:
    1/(e^(−tp/tau_d) − e^(−tp/tau_r)) at the time of peak
    tp = tau_r·tau_d/(tau_d − tau_r)·ln(tau_d/tau_r) (NEURON's Exp2Syn, BMTool).
    As in Exp2Syn, tau_r is taken as at most 0.9999·tau_d, which removes the 0/0
    of equal time constants (the limit is an alpha function).
    """
    return f"""
        {name}_tr = min({tau_r}, 0.9999*{tau_d})
        {name}_tp = {name}_tr*{tau_d}/({tau_d} - {name}_tr)*log({tau_d}/{name}_tr)
        {name} = 1/(exp(-{name}_tp/{tau_d}) - exp(-{name}_tp/{name}_tr))
    """


class EventSynapse(Synapse):
    """Base of the event-driven chemical synapses (see the module docs)."""

    abstract = True
    options: ClassVar[dict[str, Option]] = {"output": OUTPUT}
    #: The dimensionless gate the output multiplies (an expression of the model's names).
    gate: ClassVar[str] = "s"

    @classmethod
    def equations_for(cls, options: Mapping[str, str]) -> str:
        drive = "g*(E - v_post)" if options["output"] == "coba" else "amplitude"
        return f"{cls.kinetics(options)}\nI_post = {drive}*({cls.gate})"

    @classmethod
    def kinetics(cls, options: Mapping[str, str]) -> str:
        """The gating equations (override when other options select them)."""
        return cls.equations
