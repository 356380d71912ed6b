"""Tsodyks–Markram short-term plasticity with the Fuhrmann et al. (2002) update,
as in BMTool's AMPA_NMDA_STP / GABA_A_STP mechanisms (Blue Brain's DetAMPANMDA).

The declarations are module constants because the BMTool synapses, which have
this rule built in, share them: one text, no twins.
"""

from ..declarations import Parameter, State
from ..kinds import Plasticity
from ..registry import register

#: Use, Dep, Fac with BMTool's defaults (Use 1, Dep 100 ms, Fac 10 ms).
PARAMETERS = {
    "Use": Parameter(
        1.0, "1", "utilisation of synaptic efficacy (release at rest)", minimum=0, maximum=1
    ),
    "Dep": Parameter(
        100.0,
        "ms",
        "recovery time constant from depression (0: no depression)",
        minimum=0,
        ui_range=(0.0, 2000.0),
    ),
    "Fac": Parameter(
        10.0,
        "ms",
        "relaxation time constant of facilitation (0: no facilitation)",
        minimum=0,
        ui_range=(0.0, 2000.0),
    ),
}

#: u0 = 0, R0 = 1 and the previous event at t = 0, as BMTool's INITIAL block.
STATES = {
    "u": State(0.0, "1", "running utilisation (release probability of available resources)"),
    "R": State(1.0, "1", "fraction of resources available"),
    "t_last": State(0.0, "ms", "time of the previous presynaptic event"),
}

#: Per presynaptic event, in BMTool's order.  ``where`` renders as a conditional,
#: so ``exp(-elapsed/Fac)`` is never evaluated with Fac = 0; with Dep = 0 BMTool
#: releases u and leaves R untouched.
ON_PRE = """
    elapsed = t - t_last
    decayed = where(Fac > 0, u*exp(-elapsed/Fac), 0)
    u = decayed + Use*(1 - decayed)
    R = where(Dep > 0, 1 - (1 - R)*exp(-elapsed/Dep), R)
    release = u*R
    R = where(Dep > 0, R - release, R)
    t_last = t
"""


@register
class TsodyksMarkram(Plasticity):
    """Short-term depression and facilitation (Tsodyks & Markram 1997; Fuhrmann et al.
    2002), with the update BMTool's AMPA_NMDA_STP uses.  At each presynaptic event,
    Δt after the previous one (ms)::

        u ← u·e^(−Δt/Fac) + Use·(1 − u·e^(−Δt/Fac))      (Fac = 0: u ← Use)
        R ← 1 − (1 − R)·e^(−Δt/Dep)                        (Dep = 0: R stays)
        release = u·R                                      (Dep = 0: release = u)
        R ← R − u·R

    with u0 = 0 and R0 = 1.  The synapse scales its increment by ``release``;
    each event's release is logged (``Result.events[connection]["release"]``).
    Attach it to any event-driven synapse:
    ``ExpSynapse(tau=2.0, plasticity=TsodyksMarkram(Use=0.5, Dep=200.0, Fac=0.0))``.
    Defaults are BMTool's (Use 1, Dep 100 ms, Fac 10 ms: depression only, since
    Use = 1 saturates u).
    """

    parameters = PARAMETERS
    states = STATES
    on_pre = ON_PRE
    logged = ("release",)
