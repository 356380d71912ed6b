"""BMTool's GABA_A_STP: dual-exponential GABA_A with short-term plasticity."""

from ..declarations import State
from ..registry import register
from .bmtool import LOGGED, ON_PRE, STATES, bmtool_parameters
from .event import EventSynapse, peak_factor, time_constant


@register
class GABA_A_STP(EventSynapse):
    """BMTool's ``GABA_A_STP`` mechanism (from Blue Brain's DetGABAAB).

    A peak-normalised dual exponential (see ``Exp2Synapse``),
    gate = initW·f·(B_GABAA − A_GABAA), whose increments are scaled by the release of
    the built-in Tsodyks–Markram rule (:class:`TsodyksMarkram`: Use, Dep, Fac;
    logged per event).  COBA I_post = g·gate·(E − v_post); CUBA amplitude·gate (µA).
    BMTool's defaults: tau_r/tau_d 0.2/8 ms, E −75 mV (BMTool's ``e_GABAA``), Use 1,
    Dep 100 ms, Fac 10 ms, u0 0, initW 1, weight 1 nS (g = 1e-6 mS; see :mod:`.bmtool`).
    """

    parameters = {
        **bmtool_parameters(E=-75.0),
        "tau_r_GABAA": time_constant(0.2, "rise time constant"),
        "tau_d_GABAA": time_constant(8.0, "decay time constant"),
    }
    states = {
        "A_GABAA": State(0.0, "1", "rising component"),
        "B_GABAA": State(0.0, "1", "decaying component"),
        **STATES,
    }
    equations = (
        peak_factor("factor", "tau_r_GABAA", "tau_d_GABAA")
        + """
        dA_GABAA/dt = -A_GABAA/factor_tr
        dB_GABAA/dt = -B_GABAA/tau_d_GABAA
    """
    )
    on_pre = (
        ON_PRE
        + """
        A_GABAA += release
        B_GABAA += release
    """
    )
    logged = LOGGED
    gate = "initW*factor*(B_GABAA - A_GABAA)"
