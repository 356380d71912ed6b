"""Default settings of the protocols neuntune simulates, in one place.

Every protocol (:mod:`.coupling`, :mod:`.pairwise`, :mod:`.spectrum`, :mod:`.train`),
every fit and scan built on them, the dashboard's live coupling coefficient and its
warm-up take these values unless told otherwise.
"""

from __future__ import annotations

#: Integration step (ms) of a protocol run: NEURON's default, the dt BMTool's tuners use.
DT = 0.025
#: Integration method of a protocol run (whatever method a live run uses: one kernel).
METHOD = "rk4"

#: The coupling probe, µA: BMTool's −0.01 nA = −1e-5 µA (hyperpolarising).
PROBE = -1e-5
#: How long the cells settle before the probe starts, and how long it lasts (ms): BMTool's.
SETTLE = 500.0
DURATION = 500.0
#: The window rule's fraction: each measurement window is the last fifth of its period
#: (see :func:`neuntune.protocols.coupling.windows`).
WINDOW = 0.2

#: The coupling spectrum's sine probe (µA), how long the cells settle before it (ms),
#: the least onset transient skipped (ms) and the whole cycles measured.
SPECTRUM_AMPLITUDE = 1e-5
SPECTRUM_SETTLE = 300.0
SPECTRUM_TRANSIENT = 100.0
SPECTRUM_CYCLES = 3
