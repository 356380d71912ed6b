COMMENT
An ohmic gap junction as BMTool's GapJunctionTuner uses it: the current into this side
is g*(vgap - v) (an electrode current, positive inward), where vgap, the other side's
voltage, is set by ParallelContext.source_var/target_var.  Written for neuntune's examples and tests.
ENDCOMMENT

NEURON {
    POINT_PROCESS Gap
    ELECTRODE_CURRENT i
    RANGE g, i, vgap
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    g = 0.001 (uS)
}

ASSIGNED {
    v (mV)
    vgap (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (vgap - v)
}
