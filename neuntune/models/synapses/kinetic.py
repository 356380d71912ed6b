"""Kinetic (Destexhe–Mainen–Sejnowski) receptor synapse: the shared declaration of
``AMPA``, ``GABAA`` and ``DiffusionSynapse``, which differ only in their values."""

from ..declarations import Parameter, State
from .event import EventSynapse


def kinetic_parameters(
    alpha: float, beta: float, T_max: float, T_dur: float
) -> dict[str, Parameter]:
    """Binding rate alpha (/mM/ms), unbinding rate beta (/ms), transmitter pulse
    T_max (mM) lasting T_dur (ms)."""
    return {
        "alpha": Parameter(
            alpha, "1/(mM*ms)", "binding rate", minimum=0, scale="log", ui_range=(0.01, 20.0)
        ),
        "beta": Parameter(
            beta, "1/ms", "unbinding rate", minimum=0, scale="log", ui_range=(1e-3, 5.0)
        ),
        "T_max": Parameter(
            T_max,
            "mM",
            "transmitter concentration during a release",
            minimum=0,
            ui_range=(0.0, 5.0),
        ),
        "T_dur": Parameter(
            T_dur,
            "ms",
            "duration of a release",
            minimum=0,
            exclusive_minimum=True,
            ui_range=(0.05, 5.0),
        ),
    }


class KineticSynapse(EventSynapse):
    """Two-state receptor gated by a square transmitter pulse (Destexhe, Mainen &
    Sejnowski 1994; BrainPy.state ``AMPA``/``GABAa``; ModelDB ampa.mod/gabaa.mod)::

        T = T_max·amount   for t_release ≤ t < t_release + T_dur, else 0     (mM)
        dr/dt = alpha·T·(1 − r) − beta·r

    A presynaptic event (after ``delay``) sets t_release = t and amount = release,
    restarting the pulse.  Output: COBA g·r·(E − v_post), CUBA amplitude·r (µA).

    The pulse starts at an event and ends T_dur later (``pulse``): the engine splits
    steps at both, so each piece is smooth and integrated to the method's order.
    """

    abstract = True
    states = {
        "r": State(0.0, "1", "fraction of receptors open"),
        "t_release": State(0.0, "ms", "time of the last release"),
        "amount": State(0.0, "1", "size of the last release (1 without plasticity)"),
    }
    equations = """
        T = where(t - t_release < T_dur, T_max*amount, 0)
        dr/dt = alpha*T*(1 - r) - beta*r
    """
    on_pre = """
        t_release = t
        amount = release
    """
    gate = "r"
    pulse = "T_dur"
