"""Wang–Buzsáki fast-spiking interneuron (1996)."""

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register
from .params import area, capacitance, conductance, gate, reversal


@register
class WangBuzsaki(Neuron):
    """Wang & Buzsáki (1996), *Gamma oscillation by synaptic inhibition in a
    hippocampal interneuronal network model*, J Neurosci 16:6402::

        cm·dv/dt = I_in/area − gna·m∞³·h·(v − ena) − gk·n⁴·(v − ek) − gl·(v − el)
        dh/dt = phi·(αh(1 − h) − βh·h),  dn/dt = phi·(αn(1 − n) − βn·n)
        m∞ = αm/(αm + βm)   (sodium activation is instantaneous)

    Rates (ms⁻¹, v in mV): αm = 0.1(v + 35)/(1 − e^(−0.1(v + 35))), βm = 4e^(−(v + 60)/18),
    αh = 0.07e^(−(v + 58)/20), βh = 1/(e^(−0.1(v + 28)) + 1),
    αn = 0.01(v + 34)/(1 − e^(−0.1(v + 34))), βn = 0.125e^(−(v + 44)/80); the removable
    singularities of αm at −35 mV and αn at −34 mV are handled by ``vtrap``.

    The paper's values: cm 1 µF/cm², gna 35, gk 9, gl 0.1 mS/cm², ena 55, ek −90,
    el −65 mV, phi 5.  Densities are per cm² with an ``area`` (default 1 cm², as
    RTM), so the paper's drive in µA/cm² is a stimulus of the same number of µA
    (its network's 0.6 µA/cm² is ``Constant(amplitude=0.6)``).  h and n start at
    their steady state at v0, which defaults to the resting potential at no input
    (−64.02 mV).  Spikes are counted at upward crossings of 0 mV: at 0.6 µA/cm² they
    peak at +25 mV and the troughs reach −67 mV, far from it on both sides.
    """

    parameters = {
        "cm": capacitance(),
        "gna": conductance(35.0, "maximal sodium conductance", 100.0),
        "gk": conductance(9.0, "maximal potassium conductance", 40.0),
        "gl": conductance(0.1, "leak conductance", 1.0),
        "ena": reversal(55.0, "sodium reversal potential", (0.0, 100.0)),
        "ek": reversal(-90.0, "potassium reversal potential", (-120.0, -60.0)),
        "el": reversal(-65.0, "leak reversal potential", (-90.0, -40.0)),
        "phi": Parameter(
            5.0, "1", "temperature factor of the h and n kinetics", minimum=0,
            exclusive_minimum=True, ui_range=(1.0, 10.0),
        ),
        "area": area(1.0, ui_max=10.0),
    }  # fmt: skip
    states = {
        "v": State(-64.02, "mV", "membrane potential"),
        "h": gate("h", "sodium inactivation"),
        "n": gate("n", "potassium activation"),
    }
    equations = """
        am = 0.1*vtrap(v + 35, 10)
        bm = 4*exp(-(v + 60)/18)
        m_inf = am/(am + bm)
        ah = 0.07*exp(-(v + 58)/20)
        bh = 1/(exp(-0.1*(v + 28)) + 1)
        an = 0.01*vtrap(v + 34, 10)
        bn = 0.125*exp(-(v + 44)/80)
        dh/dt = phi*(ah*(1 - h) - bh*h)
        dn/dt = phi*(an*(1 - n) - bn*n)
        dv/dt = (I_in/area - gna*m_inf**3*h*(v - ena) - gk*n**4*(v - ek) - gl*(v - el))/cm
    """
