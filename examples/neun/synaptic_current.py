"""Neun docs, Synapses page, "Getting Synaptic Current", with the compat layer.

The docs' snippet starts "After creating synapse as above...": it continues the
two-neuron example (imported below, which runs it) for another ``duration`` and
plots the current against that example's ``times``.  ``get_synaptic_current()``
(documented by neun_py but missing there) returns the current into the second
cell, in µA.
"""

import matplotlib.pyplot as plt
from example_settings import figure
from two_coupled_neurons import duration, h1, h2, step, synapse, times

# After creating synapse as above...
synaptic_currents = []
time = 0.0
while time < duration:
    synapse.step(step)
    h1.add_synaptic_input(0.1)
    h2.add_synaptic_input(0.08)
    h1.step(step)
    h2.step(step)

    # Get the synaptic current
    current = synapse.get_synaptic_current()
    synaptic_currents.append(current)

    time += step

# Plot synaptic current over time
plt.figure(figsize=(10, 4))
plt.plot(times, synaptic_currents, "g-", linewidth=1.5)
plt.xlabel("Time (ms)")
plt.ylabel("Synaptic Current")
plt.title("Electrical Synapse Current")
plt.grid(True, alpha=0.3)
plt.savefig(figure("synaptic_current.pdf"))
