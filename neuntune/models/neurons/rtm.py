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
    singularities at −54, −27 and −52 mV are removed by the equation compiler.  The rates are
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
    # The rates as Börgers and Brian2 write them: the equation compiler shares their
    # exponentials (one per cell and stage), removes the 0/0 of αm, βm and αn at −54,
    # −27 and −52 mV, pairs the denominators for two divisions and reads 1/cm and
    # 1/area computed once per run (neuntune.engine.optimise).
    equations = """
        phi = q10**((celsius - 6.3)/10)
        am = 0.32*(v + 54)/(1 - exp(-(v + 54)/4))
        bm = 0.28*(v + 27)/(exp((v + 27)/5) - 1)
        ah = 0.128*exp(-(v + 50)/18)
        bh = 4/(1 + exp(-(v + 27)/5))
        an = 0.032*(v + 52)/(1 - exp(-(v + 52)/5))
        bn = 0.5*exp(-(v + 57)/40)
        dm/dt = phi*(am*(1 - m) - bm*m)
        dh/dt = phi*(ah*(1 - h) - bh*h)
        dn/dt = phi*(an*(1 - n) - bn*n)
        dv/dt = (I_in/area + gna*m**3*h*(ena - v) + gk*n**4*(ek - v) + gl*(el - v))/cm
    """
