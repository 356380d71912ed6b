"""Hodgkin–Huxley squid axon, with Neun's standard parameter set."""

from ..declarations import State
from ..kinds import Neuron
from ..registry import register
from .params import area, capacitance, conductance, gate, reversal, temperature

_area = 7.854e-3  # cm²: Neun's standard membrane area


#: The same model's equations as the paper writes them, dividing by cm and area (what a
#: user would type): the equation compiler turns them into a kernel within a few per
#: cent of the built-in's, whose rates are written out by hand below
#: (benchmarks/textbook_hh.py measures both).
TEXTBOOK_EQUATIONS = """
    phi = q10**((celsius - 6.3)/10)
    am = 0.1*(v + 40)/(1 - exp(-(v + 40)/10))
    bm = 4*exp(-(v + 65)/18)
    ah = 0.07*exp(-(v + 65)/20)
    bh = 1/(1 + exp(-(v + 35)/10))
    an = 0.01*(v + 55)/(1 - exp(-(v + 55)/10))
    bn = 0.125*exp(-(v + 65)/80)
    dm/dt = phi*(am*(1 - m) - bm*m)
    dh/dt = phi*(ah*(1 - h) - bh*h)
    dn/dt = phi*(an*(1 - n) - bn*n)
    dv/dt = (I_in/area - gna*m**3*h*(v - ena) - gk*n**4*(v - ek) - gl*(v - el))/cm
"""


@register
class HH(Neuron):
    """Hodgkin–Huxley (1952) single compartment, as in Neun's ``HH`` model.

    dv/dt = (I_in/area − I_Na − I_K − I_L)/cm with I_Na = gna·m³h(v − ena),
    I_K = gk·n⁴(v − ek), I_L = gl(v − el), densities per cm² and I_in in µA.
    Rates (ms⁻¹, v in mV, at ``celsius`` = 6.3 °C; others scale by q10^((celsius−6.3)/10)):
    αm = 0.1(v+40)/(1−e^(−(v+40)/10)), βm = 4e^(−(v+65)/18), αh = 0.07e^(−(v+65)/20),
    βh = 1/(1+e^(−(v+35)/10)), αn = 0.01(v+55)/(1−e^(−(v+55)/10)), βn = 0.125e^(−(v+65)/80).
    Gates start at their steady state for ``v0`` unless given.
    """

    parameters = {
        "cm": capacitance(),
        "gna": conductance(120.0, "maximal sodium conductance", 400.0),
        "gk": conductance(36.0, "maximal potassium conductance", 150.0),
        "gl": conductance(0.3, "leak conductance", 3.0),
        "ena": reversal(50.0, "sodium reversal potential", (0.0, 100.0)),
        "ek": reversal(-77.0, "potassium reversal potential", (-120.0, -50.0)),
        "el": reversal(-54.387, "leak reversal potential", (-90.0, -30.0)),
        "area": area(_area),
        **temperature(),
    }
    states = {
        "v": State(-65.0, "mV", "membrane potential"),
        "m": gate("m", "sodium activation"),
        "h": gate("h", "sodium inactivation"),
        "n": gate("n", "potassium activation"),
    }
    # The rates are written to cost one exponential and one division per cell: every
    # exponential is a power of w = e^(−(v+65)/720) (720 = lcm of 10, 18, 20, 80):
    # βm, αh, βn use w^40, w^36, w^9, and em = e^(−(v+40)/10) = e^2.5·w^72, which αm,
    # αn and βh share with one reciprocal of their denominators.
    # The 0/0 of αm at v = −40 and of αn at v = −55 is removed by replacing numerator
    # and denominator with their limit form (ratio 10) within 1e-6 mV.  Reciprocals of
    # parameters depend on nothing else, so they are computed once per run, not per step.
    equations = """
        phi = q10**((celsius - 6.3)/10)
        inv_cm = 1/cm
        inv_area = 1/area
        w = exp(-(v + 65)/720)
        w2 = w*w
        w4 = w2*w2
        w8 = w4*w4
        w32 = (w8*w8)*(w8*w8)
        w64 = w32*w32
        bm = 4*w32*w8
        ah = 0.07*w32*w4
        bn = 0.125*w8*w
        near_m = abs(v + 40) < 1e-6
        near_n = abs(v + 55) < 1e-6
        em = 12.182493960703473*w64*w8
        qm = where(near_m, 1, 1 - em)
        qn = where(near_n, 1, 1 - em*0.22313016014842982)
        qh = 1 + em*1.6487212707001282
        xm = where(near_m, 10 + (v + 40)/2, v + 40)
        xn = where(near_n, 10 + (v + 55)/2, v + 55)
        inv = 1/(qm*qn*qh)
        am = 0.1*xm*qn*qh*inv
        an = 0.01*xn*qm*qh*inv
        bh = qm*qn*inv
        dm/dt = phi*(am*(1 - m) - bm*m)
        dh/dt = phi*(ah*(1 - h) - bh*h)
        dn/dt = phi*(an*(1 - n) - bn*n)
        dv/dt = (I_in*inv_area - gna*m**3*h*(v - ena) - gk*n**4*(v - ek) - gl*(v - el))*inv_cm
    """
