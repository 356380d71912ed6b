"""The Neun docs' "Getting Synaptic Current" with neuntune's native API: every
run records each connection's current (µA into the post cell, here h2), so the
two-neuron run already has it.
"""

import matplotlib.pyplot as plt
from example_settings import figure
from two_coupled_neurons_native import res

synaptic_currents = res.current["gj"]  # µA into h2 = g·(v_h1 − v_h2)

plt.figure(figsize=(10, 4))
plt.plot(res.t, synaptic_currents, "g-", linewidth=1.5)
plt.xlabel("Time (ms)")
plt.ylabel("Synaptic Current (µA)")
plt.title("Electrical Synapse Current (native)")
plt.grid(True, alpha=0.3)
plt.savefig(figure("synaptic_current_native.pdf"))
