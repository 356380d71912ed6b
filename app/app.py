"""The live tuner as a Panel app: ``panel serve app/app.py``.

Panel runs this file once per browser session, so every session gets its own
Tuner (and its own copy of the circuit).  ``neuntune serve`` does the same
through :func:`neuntune.ui.server.serve`, which also compiles the kernels before
it starts; here the first session's first run compiles them (a few seconds the
first time ever; numba's disk cache makes it quick afterwards).
"""

import panel as pn

from neuntune.ui import Tuner

pn.extension()

Tuner().servable(title="neuntune · live tuner")
