"""Neun docs, Synapses page, "Basic Two-Neuron Network": two HH cells coupled by an
electrical synapse, run with the compat layer.

As written in the docs (only the import line, the figure path and the duration
scale of example_settings differ).  Note the docs' conductance, -0.002: in Neun's
code, and here, a negative ESyn conductance pushes the voltages apart (one
warning says so); two_coupled_neurons_native.py runs the ordinary gap junction
(g = +0.002 mS) the docs meant.
"""

import matplotlib.pyplot as plt
import numpy as np  # noqa: F401  (imported by the docs' example)
from example_settings import SCALE, figure

import neuntune.compat.neun_py as neun_py

# Create neurons
neuron_args = neun_py.HHDoubleConstructorArgs()
h1 = neun_py.HHDoubleRK4(neuron_args)
h2 = neun_py.HHDoubleRK4(neuron_args)

# Set parameters
for neuron in [h1, h2]:
    neuron.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.vna, 50)
    neuron.set_param(neun_py.HHDoubleParameter.vk, -77)
    neuron.set_param(neun_py.HHDoubleParameter.vl, -54.387)
    neuron.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)

# Different initial conditions
h1.set(neun_py.HHDoubleVariable.v, -75)
h2.set(neun_py.HHDoubleVariable.v, -65)

# Create electrical synapse
synapse = neun_py.ESynHHHHDoubleRK4(
    h1, neun_py.HHDoubleVariable.v, h2, neun_py.HHDoubleVariable.v, -0.002, -0.002
)

# Simulation parameters
step = 0.001
duration = 100 * SCALE

# Storage
times = []
v1_values = []
v2_values = []

# Simulation loop
time = 0.0
while time < duration:
    # Step the synapse (this updates the coupled neurons)
    synapse.step(step)

    # Add external inputs
    h1.add_synaptic_input(0.1)
    h2.add_synaptic_input(0.08)

    # Step both neurons
    h1.step(step)
    h2.step(step)

    # Record data
    times.append(time)
    v1_values.append(h1.get(neun_py.HHDoubleVariable.v))
    v2_values.append(h2.get(neun_py.HHDoubleVariable.v))

    time += step

# Plot results
plt.figure(figsize=(10, 6))
plt.plot(times, v1_values, "b-", label="Neuron 1", linewidth=1.5)
plt.plot(times, v2_values, "r-", label="Neuron 2", linewidth=1.5)
plt.xlabel("Time (ms)")
plt.ylabel("Membrane Potential (mV)")
plt.title("Two Coupled Neurons")
plt.legend()
plt.grid(True, alpha=0.3)
plt.savefig(figure("coupled_neurons.pdf"))
