COMMENT
An ohmic gap junction as a point process, written for neuntune's tests: the current into
this side is g*(vgap - v), where vgap is the other side's voltage set by a pointer
(ParallelContext.target_var or setpointer).
ENDCOMMENT

NEURON {
    POINT_PROCESS GapJ
    RANGE g, i
    POINTER vgap
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    g = 0.001 (uS) <0, 1e9>
}

ASSIGNED {
    v (mV)
    vgap (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (v - vgap)
}
