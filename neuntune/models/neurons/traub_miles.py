"""Traub–Miles cell with excitatory and inhibitory conductances (Brette et al. 2007, COBAHH)."""

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register
from .params import area, capacitance, conductance, gate, reversal


def _time_constant(default: float, doc: str) -> Parameter:
    return Parameter(
        default, "ms", doc, minimum=0, exclusive_minimum=True, scale="log", ui_range=(0.5, 50.0)
    )


@register
class TraubMilesCOBA(Neuron):
    """The cell of Brette et al. (2007) benchmark 3 (COBAHH; Brian2's examples/COBAHH.py),
    a Traub–Miles Hodgkin–Huxley cell with exponentially decaying synaptic
    conductances ge and gi::

        cm·dv/dt = I_in/area + gl(el − v) − gna·m³h(v − ena) − gkd·n⁴(v − ek)
                   + (ge(Ee − v) + gi(Ei − v))/area
        dge/dt = −ge/taue,   dgi/dt = −gi/taui

    Rates (ms⁻¹, v in mV): αm = 0.32(13 − v + VT)/(e^((13 − v + VT)/4) − 1),
    βm = 0.28(v − VT − 40)/(e^((v − VT − 40)/5) − 1), αh = 0.128e^((17 − v + VT)/18),
    βh = 4/(1 + e^((40 − v + VT)/5)), αn = 0.032(15 − v + VT)/(e^((15 − v + VT)/5) − 1),
    βn = 0.5e^((10 − v + VT)/40); their removable singularities go through ``vtrap``.

    Densities per cm² with the paper's area of 20 000 µm² (2e-4 cm²); ge and gi are
    absolute conductances in mS (Brian2's 6 nS is 6e-6 mS), raised by event synapses
    such as ``DeltaSynapse(target="ge", w=6e-6)``.  Spikes are upward crossings of
    −20 mV, as in the benchmark.  m, h and n start at their steady state unless
    given (Brian2's example starts them at 0).
    """

    spike_threshold = -20.0
    parameters = {
        "cm": capacitance(),
        "gl": conductance(5e-2, "leak conductance", 1.0),
        "gna": conductance(100.0, "maximal sodium conductance", 300.0),
        "gkd": conductance(30.0, "maximal delayed-rectifier potassium conductance", 100.0),
        "el": reversal(-60.0, "leak reversal potential", (-90.0, -40.0)),
        "ek": reversal(-90.0, "potassium reversal potential", (-120.0, -60.0)),
        "ena": reversal(50.0, "sodium reversal potential", (0.0, 100.0)),
        "VT": reversal(-63.0, "shift of the rate curves", (-80.0, -40.0)),
        "Ee": reversal(0.0, "excitatory reversal potential", (-20.0, 50.0)),
        "Ei": reversal(-80.0, "inhibitory reversal potential", (-100.0, -50.0)),
        "taue": _time_constant(5.0, "decay of the excitatory conductance"),
        "taui": _time_constant(10.0, "decay of the inhibitory conductance"),
        "area": area(2e-4),
    }
    states = {
        "v": State(-60.0, "mV", "membrane potential"),
        "m": gate("m", "sodium activation"),
        "h": gate("h", "sodium inactivation"),
        "n": gate("n", "potassium activation"),
        "ge": State(0.0, "mS", "excitatory synaptic conductance"),
        "gi": State(0.0, "mS", "inhibitory synaptic conductance"),
    }
    equations = """
        am = 0.32*vtrap(v - VT - 13, 4)
        bm = 0.28*vtrap(VT + 40 - v, 5)
        ah = 0.128*exp((17 - v + VT)/18)
        bh = 4/(1 + exp((40 - v + VT)/5))
        an = 0.032*vtrap(v - VT - 15, 5)
        bn = 0.5*exp((10 - v + VT)/40)
        dm/dt = am*(1 - m) - bm*m
        dh/dt = ah*(1 - h) - bh*h
        dn/dt = an*(1 - n) - bn*n
        dge/dt = -ge/taue
        dgi/dt = -gi/taui
        dv/dt = ((I_in + ge*(Ee - v) + gi*(Ei - v))/area + gl*(el - v)
                 - gna*m**3*h*(v - ena) - gkd*n**4*(v - ek))/cm
    """
