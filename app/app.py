"""The live tuner as a Panel app: ``panel serve app/app.py``.

Panel runs this file once per browser session, so every session gets its own
Tuner (and its own copy of the circuit).  ``neuntune serve`` does the same
through :func:`neuntune.ui.server.serve`, which also compiles the kernels before
it starts; here the first session's first run compiles them (a few seconds the
first time ever; numba's disk cache makes it quick afterwards), and the Fit, Scan
and Protocols tabs' kernels compile in the background.
"""

from neuntune.ui.server import app

app(warm=True).servable(title="neuntune · live tuner")
