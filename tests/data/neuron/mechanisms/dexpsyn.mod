COMMENT
A conductance-based synapse whose conductance is a difference of two exponentials,
written for neuntune's tests.  Each event of weight w (uS) adds w to both states scaled so
that a single event peaks at w:  g(t) = w*factor*(exp(-t/tau_decay) - exp(-t/tau_rise)).
ENDCOMMENT

NEURON {
    POINT_PROCESS DExpSyn
    RANGE tau_rise, tau_decay, e, gmax, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau_rise = 0.5 (ms) <1e-9, 1e9>
    tau_decay = 3.0 (ms) <1e-9, 1e9>
    e = 0 (mV)
    gmax = 1 (uS) <0, 1e9>
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    factor (1)
}

STATE {
    rise (uS)
    decay (uS)
}

INITIAL {
    LOCAL t_peak
    : the scale that makes a single event of weight 1 peak at 1 (tau_rise < tau_decay)
    t_peak = tau_rise * tau_decay / (tau_decay - tau_rise) * log(tau_decay / tau_rise)
    factor = 1 / (exp(-t_peak / tau_decay) - exp(-t_peak / tau_rise))
    rise = 0
    decay = 0
}

BREAKPOINT {
    SOLVE kinetics METHOD cnexp
    g = gmax * (decay - rise)
    i = g * (v - e)
}

DERIVATIVE kinetics {
    rise' = -rise / tau_rise
    decay' = -decay / tau_decay
}

NET_RECEIVE(weight (uS)) {
    rise = rise + weight * factor
    decay = decay + weight * factor
}
