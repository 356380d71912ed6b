COMMENT
The fixture leak with other defaults (g 2e-4 S/cm2, e -65 mV): a second mechanism set
whose `leak` NEURON could not load into a process that holds the first one.
ENDCOMMENT

NEURON {
    SUFFIX leak
    NONSPECIFIC_CURRENT i
    RANGE g, e
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    g = 2e-4 (S/cm2) <0, 1e9>
    e = -65 (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = g * (v - e)
}
