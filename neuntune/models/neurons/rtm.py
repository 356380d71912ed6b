"""Reduced Traub–Miles neuron, as in Brian2's continuous_interaction example."""

from ..declarations import State
from ..kinds import Neuron
from ..registry import register
from .params import area, capacitance, conductance, gate, reversal, temperature


@register
class RTM(Neuron):
    """Reduced Traub–Miles model (Börgers, *An Introduction to Modeling Neuronal
    Dynamics*, ch. 5 and 20; Brian2 example ``synapses/continuous_interaction``).

    dv/dt = (I_in/area + gna·m³h(ena − v) + gk·n⁴(ek − v) + gl(el − v))/cm, densities
    per cm², I_in in µA; with the default area of 1 cm², C = 1 µF and conductances in
    mS exactly as in the example.  Rates (ms⁻¹): αm = 0.32(v+54)/(1−e^(−(v+54)/4)),
    βm = 0.28(v+27)/(e^((v+27)/5)−1), αh = 0.128e^(−(v+50)/18), βh = 4/(1+e^(−(v+27)/5)),
    αn = 0.032(v+52)/(1−e^(−(v+52)/5)), βn = 0.5e^(−(v+57)/40); the removable
    singularities at −54, −27 and −52 mV are removed (see the equations).  The rates are
    scaled by q10^((celsius − 6.3)/10), 1 at the default temperature (the model
    has none of its own; 6.3 °C matches HH's convention).
    """

    parameters = {
        "cm": capacitance(),
        "gna": conductance(100.0, "maximal sodium conductance", 300.0),
        "gk": conductance(80.0, "maximal potassium conductance", 200.0),
        "gl": conductance(0.1, "leak conductance", 1.0),
        "ena": reversal(50.0, "sodium reversal potential", (0.0, 100.0)),
        "ek": reversal(-100.0, "potassium reversal potential", (-130.0, -60.0)),
        "el": reversal(-67.0, "leak reversal potential", (-90.0, -40.0)),
        "area": area(1.0, ui_max=10.0),
        **temperature(),
    }
    states = {
        "v": State(-65.0, "mV", "membrane potential"),
        "m": gate("m", "sodium activation"),
        "h": gate("h", "sodium inactivation"),
        "n": gate("n", "potassium activation"),
    }
    # The rates are written to cost one exponential and two divisions per cell: every
    # exponential is a power of w = e^(−(v+54)/360) (360 = lcm of 4, 5, 18, 40):
    # e^(−(v+54)/4) = w^90, e^(−(v+27)/5) = e^5.4·w^72, e^(−(v+52)/5) = e^0.4·w^72,
    # αh = 0.128·e^(2/9)·w^20 and βn = 0.5·e^(−0.075)·w^9; βm's e^((v+27)/5) − 1 is
    # (1 − e^(−(v+27)/5))/e^(−(v+27)/5).  αm and βm share one reciprocal, αn and βh
    # another.  The 0/0 of αm, βm and αn at −54, −27 and −52 mV is removed by
    # replacing numerator and denominator with their limit form within 1e-6 mV.
    equations = """
        phi = q10**((celsius - 6.3)/10)
        inv_cm = 1/cm
        inv_area = 1/area
        w = exp(-(v + 54)/360)
        w2 = w*w
        w4 = w2*w2
        w8 = w4*w4
        w16 = w8*w8
        w72 = (w16*w16)*(w16*w16)*w8
        e54 = w72*w16*w2
        e27 = 221.40641620418717*w72
        e52 = 1.4918246976412703*w72
        near_m = abs(v + 54) < 1e-6
        near_b = abs(v + 27) < 1e-6
        near_n = abs(v + 52) < 1e-6
        qm = where(near_m, 1, 1 - e54)
        qb = where(near_b, 1, 1 - e27)
        qn = where(near_n, 1, 1 - e52)
        qh = 1 + e27
        xm = where(near_m, 4 + (v + 54)/2, v + 54)
        xb = where(near_b, 5 - (v + 27)/2, (v + 27)*e27)
        xn = where(near_n, 5 + (v + 52)/2, v + 52)
        inv_mb = 1/(qm*qb)
        inv_nh = 1/(qn*qh)
        am = 0.32*xm*(qb*inv_mb)
        bm = 0.28*xb*(qm*inv_mb)
        ah = 0.1598526552322153*w16*w4
        bh = 4*(qn*inv_nh)
        an = 0.032*xn*(qh*inv_nh)
        bn = 0.46387174316427643*w8*w
        dm/dt = phi*(am*(1 - m) - bm*m)
        dh/dt = phi*(ah*(1 - h) - bh*h)
        dn/dt = phi*(an*(1 - n) - bn*n)
        dv/dt = (I_in*inv_area + gna*m**3*h*(ena - v) + gk*n**4*(ek - v) + gl*(el - v))*inv_cm
    """
