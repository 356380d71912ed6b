"""Hodgkin–Huxley squid axon, with Neun's standard parameter set."""

from ..base import Neuron, State, register
from .params import area, capacitance, conductance, reversal, temperature

_area = 7.854e-3  # cm²: Neun's standard membrane area


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
        "m": State("am/(am + bm)", "1", "sodium activation", minimum=0, maximum=1),
        "h": State("ah/(ah + bh)", "1", "sodium inactivation", minimum=0, maximum=1),
        "n": State("an/(an + bn)", "1", "potassium activation", minimum=0, maximum=1),
    }
    # The rates as the paper writes them: the equation compiler shares their
    # exponentials (one per cell and stage), removes the 0/0 of αm at v = −40 and αn
    # at v = −55 mV and divides once (neuntune.engine.optimise).  1/cm and 1/area
    # depend on parameters only, so they are computed once per run, not per stage.
    equations = """
        phi = q10**((celsius - 6.3)/10)
        inv_cm = 1/cm
        inv_area = 1/area
        am = 0.1*(v + 40)/(1 - exp(-(v + 40)/10))
        bm = 4*exp(-(v + 65)/18)
        ah = 0.07*exp(-(v + 65)/20)
        bh = 1/(1 + exp(-(v + 35)/10))
        an = 0.01*(v + 55)/(1 - exp(-(v + 55)/10))
        bn = 0.125*exp(-(v + 65)/80)
        dm/dt = phi*(am*(1 - m) - bm*m)
        dh/dt = phi*(ah*(1 - h) - bh*h)
        dn/dt = phi*(an*(1 - n) - bn*n)
        dv/dt = (I_in*inv_area - gna*m**3*h*(v - ena) - gk*n**4*(v - ek) - gl*(v - el))*inv_cm
    """
