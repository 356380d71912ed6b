"""Reduced Traub–Miles neuron, as in Brian2's continuous_interaction example."""

from ..base import Neuron, State, register
from .params import area, capacitance, conductance, reversal, temperature


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
        "m": State("am/(am + bm)", "1", "sodium activation", minimum=0, maximum=1),
        "h": State("ah/(ah + bh)", "1", "sodium inactivation", minimum=0, maximum=1),
        "n": State("an/(an + bn)", "1", "potassium activation", minimum=0, maximum=1),
    }
    # The rates as Börgers and Brian2 write them: the equation compiler shares their
    # exponentials (one per cell and stage), removes the 0/0 of αm, βm and αn at −54,
    # −27 and −52 mV and divides once (neuntune.engine.optimise).  1/cm and 1/area
    # depend on parameters only, so they are computed once per run, not per stage.
    equations = """
        phi = q10**((celsius - 6.3)/10)
        inv_cm = 1/cm
        inv_area = 1/area
        am = 0.32*(v + 54)/(1 - exp(-(v + 54)/4))
        bm = 0.28*(v + 27)/(exp((v + 27)/5) - 1)
        ah = 0.128*exp(-(v + 50)/18)
        bh = 4/(1 + exp(-(v + 27)/5))
        an = 0.032*(v + 52)/(1 - exp(-(v + 52)/5))
        bn = 0.5*exp(-(v + 57)/40)
        dm/dt = phi*(am*(1 - m) - bm*m)
        dh/dt = phi*(ah*(1 - h) - bh*h)
        dn/dt = phi*(an*(1 - n) - bn*n)
        dv/dt = (I_in*inv_area + gna*m**3*h*(ena - v) + gk*n**4*(ek - v) + gl*(el - v))*inv_cm
    """
