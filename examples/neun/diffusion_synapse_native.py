"""diffusion_synapse.py with neuntune's native API: Neun's DSyn is the native
DiffusionSynapse (Destexhe kinetic synapse: 1 mM of transmitter for 1 ms after
each presynaptic 0 mV crossing, AMPA rates), whose current is g·r·(E − v_post)
with g ≥ 0, so the compat example's gsyn = −0.001 is g = +0.001 mS here.
"""

import matplotlib.pyplot as plt
from example_settings import SCALE, figure

import neuntune as nt

circuit = nt.Circuit()
circuit.add("h1", nt.HH())
circuit.add("h2", nt.HH())
circuit.connect("h1", "h2", nt.DiffusionSynapse(g=0.001), name="syn")  # mS
circuit.stimulate("h1", nt.Constant(amplitude=0.1))  # µA

res = nt.simulate(circuit, t_stop=60 * SCALE, dt=0.001)

fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
axes[0].plot(res.t, res.v["h1"], "b-", label="h1 (presynaptic)")
axes[0].plot(res.t, res.v["h2"], "r-", label="h2 (postsynaptic)")
axes[0].set_ylabel("Membrane Potential (mV)")
axes[0].legend()
axes[1].plot(res.t, res.current["syn"], "g-")
axes[1].set_xlabel("Time (ms)")
axes[1].set_ylabel("Current into h2 (µA)")
fig.suptitle("Diffusion synapse (native)")
fig.savefig(figure("diffusion_synapse_native.pdf"))
