"""The Neun docs' "Parameter Scanning" with neuntune's native API: firing
frequency of an HH cell (0.1 µA) against gNa, given per cm² as the native HH
takes it (Neun passes gNa × 7.854e-3 cm²).  Spikes are the upward 0 mV crossings
the engine locates within each step.
"""

import matplotlib.pyplot as plt
import numpy as np
from example_settings import SCALE, figure

import neuntune as nt

circuit = nt.Circuit()
circuit.add("hh", nt.HH(v0=-65.0, m0=0.05, h0=0.6, n0=0.3))  # the docs' initial state
circuit.stimulate("hh", nt.Constant(amplitude=0.1))


def scan_parameter(path, values, duration=100 * SCALE):
    """Firing frequency (Hz) for each value of the parameter at ``path``."""
    results = []
    for value in values:
        circuit.set(path, value)
        res = nt.simulate(circuit, t_stop=duration, dt=0.001, record="v")
        results.append(len(res.spikes["hh"]) / (duration / 1000))
    return np.array(results)


gna_values = np.linspace(50, 200, 20)  # mS/cm²
frequencies = scan_parameter("hh.gna", gna_values)

plt.plot(gna_values, frequencies, "o-")
plt.xlabel("gNa (mS/cm²)")
plt.ylabel("Firing Frequency (Hz)")
plt.title("Frequency vs Sodium Conductance (native)")
plt.grid(True)
plt.savefig(figure("gna_scan_native.pdf"))
