"""Hodgkin–Huxley squid axon, with Neun's standard parameter set."""

from ..declarations import State
from ..kinds import Neuron
from ..registry import register
from .params import area, capacitance, conductance, gate, reversal, temperature

_area = 7.854e-3  # cm²: Neun's standard membrane area


#: The equations as the paper writes them, dividing by cm and area (what a user would
#: type, and what the built-in declares): the equation compiler shares their
#: exponentials, removes the 0/0s of αm and αn and reads 1/cm and 1/area computed once
#: per run (neuntune.engine.optimise; benchmarks/textbook_hh.py).
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
    equations = TEXTBOOK_EQUATIONS
