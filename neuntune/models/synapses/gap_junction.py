"""Electrical synapses: symmetric, asymmetric and rectifying gap junctions."""

from ..declarations import Parameter
from ..kinds import Synapse
from ..registry import register

_g = dict(minimum=0, scale="log", ui_range=(1e-6, 1e-1))


@register
class GapJunction(Synapse):
    """Ohmic gap junction: I_post = g(v_pre − v_post) into post, the opposite into pre.

    g in mS (1 mS = 1e6 nS; coupling resistance R = 1/g, 1e-3/g MΩ).  Positive g
    pulls the two voltages together.
    """

    parameters = {"g": Parameter(0.002, "mS", "junction conductance", **_g)}
    equations = """
        I_post = g*(v_pre - v_post)
        I_pre = -I_post
    """


@register
class AsymmetricGapJunction(Synapse):
    """Gap junction with a conductance per direction (Neun's ESyn takes two):
    I_post = g_ab(v_pre − v_post) into post, I_pre = g_ba(v_post − v_pre) into pre (mS).
    """

    parameters = {
        "g_ab": Parameter(0.002, "mS", "conductance seen by the post cell", **_g),
        "g_ba": Parameter(0.002, "mS", "conductance seen by the pre cell", **_g),
    }
    equations = """
        I_post = g_ab*(v_pre - v_post)
        I_pre = g_ba*(v_post - v_pre)
    """


@register
class RectifyingGapJunction(Synapse):
    """Gap junction that conducts mostly when pre is depolarised relative to post.

    g_eff = g/(1 + exp(−(v_pre − v_post − v_half)/k)); I_post = g_eff(v_pre − v_post)
    and I_pre = −I_post (current is conserved).  g in mS, v_half and k in mV.
    """

    parameters = {
        "g": Parameter(0.002, "mS", "maximal junction conductance", **_g),
        "v_half": Parameter(
            0.0, "mV", "transjunctional voltage of half conductance", ui_range=(-50.0, 50.0)
        ),
        "k": Parameter(
            5.0,
            "mV",
            "rectification slope",
            minimum=0,
            exclusive_minimum=True,
            ui_range=(0.5, 30.0),
        ),
    }
    equations = """
        g_eff = g/(1 + exp(-(v_pre - v_post - v_half)/k))
        I_post = g_eff*(v_pre - v_post)
        I_pre = -I_post
    """
