"""The Neun docs' "Basic Two-Neuron Network" with neuntune's native API.

The same cells, inputs and step as two_coupled_neurons.py, with the ordinary gap
junction the docs meant: g = +0.002 mS pulls the voltages together (the docs'
-0.002 would push them apart).  The whole circuit is integrated as one ODE
system, so coupling keeps RK4's accuracy; one call runs it.
"""

import matplotlib.pyplot as plt
from example_settings import SCALE, figure

import neuntune as nt

circuit = nt.Circuit()
circuit.add("h1", nt.HH(v0=-75.0))  # Neun's standard HH: 1 µF/cm², 120/36/0.3 mS/cm², 7.854e-3 cm²
circuit.add("h2", nt.HH(v0=-65.0))  # gates start at their steady state for v0
circuit.connect("h1", "h2", nt.GapJunction(g=0.002), name="gj")  # mS
circuit.stimulate("h1", nt.Constant(amplitude=0.1))  # µA
circuit.stimulate("h2", nt.Constant(amplitude=0.08))

res = nt.simulate(circuit, t_stop=100 * SCALE, dt=0.001, method="rk4")
times, v1_values, v2_values = res.t, res.v["h1"], res.v["h2"]

plt.figure(figsize=(10, 6))
plt.plot(times, v1_values, "b-", label="Neuron 1", linewidth=1.5)
plt.plot(times, v2_values, "r-", label="Neuron 2", linewidth=1.5)
plt.xlabel("Time (ms)")
plt.ylabel("Membrane Potential (mV)")
plt.title("Two Coupled Neurons (native, g = +0.002 mS)")
plt.legend()
plt.grid(True, alpha=0.3)
plt.savefig(figure("coupled_neurons_native.pdf"))
