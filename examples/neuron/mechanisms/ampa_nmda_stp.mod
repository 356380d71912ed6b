COMMENT
AMPA and NMDA conductances, each a difference of two exponentials scaled to peak at the
event's weight, with Tsodyks-Markram short-term plasticity (Fuhrmann et al. 2002) whose
state (R, u, the last event's time) belongs to each NetCon.  Written for neuntune's examples and tests
from the equations of BMTool's AMPA_NMDA_STP, with its PARAMETER names and defaults, so
that BMTool's numbers can be checked without its files.  Weights in nS (gmax 0.001 uS).
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS AMPA_NMDA_STP
    RANGE initW, tau_r_AMPA, tau_d_AMPA, tau_r_NMDA, tau_d_NMDA
    RANGE Use, Dep, Fac, u0, mg, NMDA_ratio, e, gmax_AMPA, gmax_NMDA
    RANGE i, i_AMPA, i_NMDA, g_AMPA, g_NMDA, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    initW = 1 (1)
    tau_r_AMPA = 0.2 (ms)
    tau_d_AMPA = 1.7 (ms)
    tau_r_NMDA = 0.29 (ms)
    tau_d_NMDA = 43 (ms)
    Use = 1 (1)
    Dep = 100 (ms)
    Fac = 10 (ms)
    e = 0 (mV)
    mg = 1 (mM)
    gmax_AMPA = 0.001 (uS)
    gmax_NMDA = 0.001 (uS)
    u0 = 0 (1)
    NMDA_ratio = 0.71 (1)
}

ASSIGNED {
    v (mV)
    i (nA)
    i_AMPA (nA)
    i_NMDA (nA)
    g_AMPA (uS)
    g_NMDA (uS)
    g (uS)
    mggate (1)
    factor_AMPA (1)
    factor_NMDA (1)
}

STATE {
    A_AMPA
    B_AMPA
    A_NMDA
    B_NMDA
}

INITIAL {
    A_AMPA = 0
    B_AMPA = 0
    A_NMDA = 0
    B_NMDA = 0
    factor_AMPA = peak_factor(tau_r_AMPA, tau_d_AMPA)
    factor_NMDA = peak_factor(tau_r_NMDA, tau_d_NMDA)
}

FUNCTION peak_factor(tau_r (ms), tau_d (ms)) {
    LOCAL tp
    : 1/(B - A) at the time of the peak after one jump of both by 1 (tau_r < tau_d)
    tp = tau_r * tau_d / (tau_d - tau_r) * log(tau_d / tau_r)
    peak_factor = 1 / (exp(-tp / tau_d) - exp(-tp / tau_r))
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    : Mg2+ block of Jahr and Stevens (1990)
    mggate = 1 / (1 + exp(-0.062 * v) * mg / 3.57)
    g_AMPA = gmax_AMPA * (B_AMPA - A_AMPA)
    g_NMDA = gmax_NMDA * (B_NMDA - A_NMDA) * mggate
    g = g_AMPA + g_NMDA
    i_AMPA = g_AMPA * (v - e)
    i_NMDA = g_NMDA * (v - e)
    i = (i_AMPA + i_NMDA) * initW
}

DERIVATIVE kinetics {
    A_AMPA' = -A_AMPA / tau_r_AMPA
    B_AMPA' = -B_AMPA / tau_d_AMPA
    A_NMDA' = -A_NMDA / tau_r_NMDA
    B_NMDA' = -B_NMDA / tau_d_NMDA
}

NET_RECEIVE(weight, R, Pr, u, tsyn (ms)) {
    INITIAL {
        R = 1
        u = u0
        tsyn = t
    }
    if (Fac > 0) {
        u = u * exp(-(t - tsyn) / Fac)
        u = u + Use * (1 - u)
    } else {
        u = Use
    }
    if (Dep > 0) {
        R = 1 - (1 - R) * exp(-(t - tsyn) / Dep)
        Pr = u * R
        R = R - u * R
    } else {
        Pr = u
    }
    tsyn = t
    A_AMPA = A_AMPA + Pr * weight * factor_AMPA
    B_AMPA = B_AMPA + Pr * weight * factor_AMPA
    A_NMDA = A_NMDA + Pr * (weight * NMDA_ratio) * factor_NMDA
    B_NMDA = B_NMDA + Pr * (weight * NMDA_ratio) * factor_NMDA
}
