"""BMTool's AMPA_NMDA_STP: dual-exponential AMPA and NMDA with short-term plasticity."""

from ..declarations import Parameter, State
from ..registry import register
from .bmtool import LOGGED, ON_PRE, STATES, bmtool_parameters
from .event import MG_BLOCK, EventSynapse, peak_factor, time_constant


@register
class AMPA_NMDA_STP(EventSynapse):
    """BMTool's ``AMPA_NMDA_STP`` mechanism (from Blue Brain's DetAMPANMDA).

    Each of AMPA and NMDA is a peak-normalised dual exponential (A decays with
    tau_r, B with tau_d, both jump by ``release`` per event; see ``Exp2Synapse``)::

        gate = initW·(f_AMPA·(B_AMPA − A_AMPA) + NMDA_ratio·f_NMDA·(B_NMDA − A_NMDA)·B(v))
        B(v) = 1/(1 + e^(−0.062·v_post)·mg/3.57)

    COBA I_post = g·gate·(E − v_post); CUBA amplitude·gate (µA).  ``release`` comes
    from the built-in Tsodyks–Markram rule (:class:`TsodyksMarkram`: Use, Dep, Fac)
    and is logged per event.  BMTool's defaults: tau_r/tau_d AMPA 0.2/1.7 ms,
    NMDA 0.29/43 ms, NMDA_ratio 0.71, Use 1, Dep 100 ms, Fac 10 ms, u0 0, E 0 mV
    (BMTool's ``e``), mg 1 mM, initW 1, weight 1 nS (g = 1e-6 mS; see
    :mod:`.bmtool`).  BMTool's gmax_NMDA is taken equal to gmax_AMPA (its default).
    """

    parameters = {
        **bmtool_parameters(E=0.0),
        "tau_r_AMPA": time_constant(0.2, "AMPA rise time constant"),
        "tau_d_AMPA": time_constant(1.7, "AMPA decay time constant"),
        "tau_r_NMDA": time_constant(0.29, "NMDA rise time constant"),
        "tau_d_NMDA": time_constant(43.0, "NMDA decay time constant"),
        "NMDA_ratio": Parameter(
            0.71, "1", "NMDA to AMPA peak ratio", minimum=0, ui_range=(0.0, 3.0)
        ),
        "mg": Parameter(
            1.0, "mM", "extracellular Mg2+ concentration", minimum=0, ui_range=(0.0, 5.0)
        ),
    }
    states = {
        "A_AMPA": State(0.0, "1", "AMPA rising component"),
        "B_AMPA": State(0.0, "1", "AMPA decaying component"),
        "A_NMDA": State(0.0, "1", "NMDA rising component"),
        "B_NMDA": State(0.0, "1", "NMDA decaying component"),
        **STATES,
    }
    equations = (
        peak_factor("factor_AMPA", "tau_r_AMPA", "tau_d_AMPA")
        + peak_factor("factor_NMDA", "tau_r_NMDA", "tau_d_NMDA")
        + f"""
        mg_block = {MG_BLOCK}
        dA_AMPA/dt = -A_AMPA/factor_AMPA_tr
        dB_AMPA/dt = -B_AMPA/tau_d_AMPA
        dA_NMDA/dt = -A_NMDA/factor_NMDA_tr
        dB_NMDA/dt = -B_NMDA/tau_d_NMDA
    """
    )
    on_pre = (
        ON_PRE
        + """
        A_AMPA += release
        B_AMPA += release
        A_NMDA += release
        B_NMDA += release
    """
    )
    logged = LOGGED
    gate = (
        "initW*(factor_AMPA*(B_AMPA - A_AMPA) + NMDA_ratio*factor_NMDA*(B_NMDA - A_NMDA)*mg_block)"
    )
