"""Hodgkin–Huxley squid axon, with Neun's standard parameter set."""

from ..base import Neuron, Parameter, State, register

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
        "cm": Parameter(
            1.0,
            "uF/cm2",
            "membrane capacitance",
            minimum=0,
            exclusive_minimum=True,
            ui_range=(0.1, 5.0),
        ),
        "gna": Parameter(
            120.0, "mS/cm2", "maximal sodium conductance", minimum=0, ui_range=(0.0, 400.0)
        ),
        "gk": Parameter(
            36.0, "mS/cm2", "maximal potassium conductance", minimum=0, ui_range=(0.0, 150.0)
        ),
        "gl": Parameter(0.3, "mS/cm2", "leak conductance", minimum=0, ui_range=(0.0, 3.0)),
        "ena": Parameter(50.0, "mV", "sodium reversal potential", ui_range=(0.0, 100.0)),
        "ek": Parameter(-77.0, "mV", "potassium reversal potential", ui_range=(-120.0, -50.0)),
        "el": Parameter(-54.387, "mV", "leak reversal potential", ui_range=(-90.0, -30.0)),
        "area": Parameter(
            _area,
            "cm2",
            "membrane area",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1e-6, 1e-1),
        ),
        "celsius": Parameter(
            6.3, "degC", "temperature", minimum=-10, maximum=50, ui_range=(0.0, 40.0)
        ),
        "q10": Parameter(
            3.0, "1", "rate change per 10 °C", minimum=1, maximum=10, ui_range=(1.0, 5.0)
        ),
    }
    states = {
        "v": State(-65.0, "mV", "membrane potential"),
        "m": State("am/(am + bm)", "1", "sodium activation"),
        "h": State("ah/(ah + bh)", "1", "sodium inactivation"),
        "n": State("an/(an + bn)", "1", "potassium activation"),
    }
    # The rates are written to cost two exponentials and one division per cell:
    # βm, αh and βn are powers of w = e^(−(v+65)/720) (720 = lcm of 18, 20, 80), and
    # αm, αn, βh share em = e^(−(v+40)/10) and one reciprocal of their denominators.
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
        bm = 4*w32*w8
        ah = 0.07*w32*w4
        bn = 0.125*w8*w
        near_m = abs(v + 40) < 1e-6
        near_n = abs(v + 55) < 1e-6
        em = exp(-(v + 40)/10)
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
