COMMENT
A GABA_A conductance, a difference of two exponentials scaled to peak at the event's
weight, with Tsodyks-Markram short-term plasticity (Fuhrmann et al. 2002) whose state
belongs to each NetCon.  Written for neuntune's examples and tests from the equations of BMTool's
GABA_A_STP, with its PARAMETER names and defaults.  Weights in nS (gmax 0.001 uS).
ENDCOMMENT

NEURON {
    THREADSAFE
    POINT_PROCESS GABA_A_STP
    RANGE initW, tau_r_GABAA, tau_d_GABAA, Use, Dep, Fac, u0, gmax, e_GABAA
    RANGE i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    initW = 1 (1)
    tau_r_GABAA = 0.2 (ms)
    tau_d_GABAA = 8 (ms)
    Use = 1 (1)
    Dep = 100 (ms)
    Fac = 10 (ms)
    e_GABAA = -75 (mV)
    gmax = 0.001 (uS)
    u0 = 0 (1)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    gmax_GABAA (uS)
    factor (1)
}

STATE {
    A_GABAA
    B_GABAA
}

INITIAL {
    LOCAL tp
    A_GABAA = 0
    B_GABAA = 0
    gmax_GABAA = initW * gmax
    tp = tau_r_GABAA * tau_d_GABAA / (tau_d_GABAA - tau_r_GABAA) * log(tau_d_GABAA / tau_r_GABAA)
    factor = 1 / (exp(-tp / tau_d_GABAA) - exp(-tp / tau_r_GABAA))
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    g = gmax_GABAA * (B_GABAA - A_GABAA)
    i = g * (v - e_GABAA)
}

DERIVATIVE kinetics {
    A_GABAA' = -A_GABAA / tau_r_GABAA
    B_GABAA' = -B_GABAA / tau_d_GABAA
}

NET_RECEIVE(weight, R, u, tsyn (ms)) {
    LOCAL Pr
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
    A_GABAA = A_GABAA + Pr * weight * factor
    B_GABAA = B_GABAA + Pr * weight * factor
}
