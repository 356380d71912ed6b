"""Neun docs, Synapses page, "Small Network Example": a chain of three HH cells,
input into the first only, with the compat layer.

As written in the docs.  With the docs' conductance, -0.002, the middle cell is
coupled to two neighbours by a total of -0.004 mS, more negative than its own
conductances can balance: it runs away to very negative voltages and the run
turns to NaN after about 5 ms (Neun's would too; one RuntimeWarning says so).
neuron_chain_native.py runs the ordinary gap junctions (+0.002 mS) the docs
meant, along which the first cell's spikes propagate to the third.
"""

import matplotlib.pyplot as plt
import numpy as np  # noqa: F401  (imported by the docs' example)
from example_settings import SCALE, figure

import neuntune.compat.neun_py as neun_py


def create_hh_neuron(v_init=-65):
    """Helper to create and initialize HH neuron"""
    neuron_args = neun_py.HHDoubleConstructorArgs()
    neuron = neun_py.HHDoubleRK4(neuron_args)

    neuron.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.vna, 50)
    neuron.set_param(neun_py.HHDoubleParameter.vk, -77)
    neuron.set_param(neun_py.HHDoubleParameter.vl, -54.387)
    neuron.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)

    neuron.set(neun_py.HHDoubleVariable.v, v_init)
    neuron.set(neun_py.HHDoubleVariable.m, 0.05)
    neuron.set(neun_py.HHDoubleVariable.h, 0.6)
    neuron.set(neun_py.HHDoubleVariable.n, 0.3)

    return neuron


# Create a chain of 3 neurons
n1 = create_hh_neuron(-70)
n2 = create_hh_neuron(-65)
n3 = create_hh_neuron(-60)

# Connect them in a chain
s12 = neun_py.ESynHHHHDoubleRK4(
    n1, neun_py.HHDoubleVariable.v, n2, neun_py.HHDoubleVariable.v, -0.002, -0.002
)

s23 = neun_py.ESynHHHHDoubleRK4(
    n2, neun_py.HHDoubleVariable.v, n3, neun_py.HHDoubleVariable.v, -0.002, -0.002
)

# Simulation
step = 0.001
duration = 100 * SCALE

times = []
v1_values = []
v2_values = []
v3_values = []

time = 0.0
while time < duration:
    # Step synapses
    s12.step(step)
    s23.step(step)

    # Add input to first neuron only
    n1.add_synaptic_input(0.15)

    # Step all neurons
    n1.step(step)
    n2.step(step)
    n3.step(step)

    # Record
    times.append(time)
    v1_values.append(n1.get(neun_py.HHDoubleVariable.v))
    v2_values.append(n2.get(neun_py.HHDoubleVariable.v))
    v3_values.append(n3.get(neun_py.HHDoubleVariable.v))

    time += step

# Plot
plt.figure(figsize=(12, 6))
plt.plot(times, v1_values, "b-", label="Neuron 1", linewidth=1.5, alpha=0.8)
plt.plot(times, v2_values, "r-", label="Neuron 2", linewidth=1.5, alpha=0.8)
plt.plot(times, v3_values, "g-", label="Neuron 3", linewidth=1.5, alpha=0.8)
plt.xlabel("Time (ms)")
plt.ylabel("Membrane Potential (mV)")
plt.title("Chain of 3 Coupled Neurons")
plt.legend()
plt.grid(True, alpha=0.3)
plt.savefig(figure("neuron_chain.pdf"))
