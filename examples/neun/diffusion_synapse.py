"""Neun docs, Synapses page, "Diffusion Synapse", with the compat layer, then run.

The docs' snippet only constructs the synapse (neun_py itself cannot: it never
exposed DSyn's ConstructorArgs).  Here it is constructed as written, given a
stronger conductance, and stepped: h1 (0.1 µA) fires, each of its spikes
releases transmitter for 1 ms, and h2 answers with EPSPs, some strong enough to
make it fire.  Neun's DSyn adds gsyn·r·(V_post − esyn), so an excitatory gsyn is
negative (one warning explains); diffusion_synapse_native.py is the same synapse
as a native DiffusionSynapse with g = +0.001 mS.
"""

import matplotlib.pyplot as plt
from example_settings import SCALE, figure

import neuntune.compat.neun_py as neun_py

# Create neurons
neuron_args = neun_py.HHDoubleConstructorArgs()
h1 = neun_py.HHDoubleRK4(neuron_args)
h2 = neun_py.HHDoubleRK4(neuron_args)

# ... set parameters as above ...
for neuron in [h1, h2]:
    neuron.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.vna, 50)
    neuron.set_param(neun_py.HHDoubleParameter.vk, -77)
    neuron.set_param(neun_py.HHDoubleParameter.vl, -54.387)
    neuron.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
    neuron.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)

# Create diffusion synapse
# This synapse has its own state and dynamics
synapse = neun_py.DSynHHHHDoubleRK4(h1, neun_py.HHDoubleVariable.v, h2, neun_py.HHDoubleVariable.v)

# Beyond the docs: a conductance that gives EPSPs of a few mV (mS, Neun's sign)
synapse.set_param(neun_py.DSynDoubleParameter.gsyn, -0.001)

step = 0.001
duration = 60 * SCALE
times, v1_values, v2_values, currents = [], [], [], []
time = 0.0
while time < duration:
    synapse.step(step)  # synapses first, as Neun's docs advise
    h1.add_synaptic_input(0.1)
    h1.step(step)
    h2.step(step)
    times.append(time)
    v1_values.append(h1.get(neun_py.HHDoubleVariable.v))
    v2_values.append(h2.get(neun_py.HHDoubleVariable.v))
    currents.append(synapse.get_synaptic_current())
    time += step

fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
axes[0].plot(times, v1_values, "b-", label="h1 (presynaptic)")
axes[0].plot(times, v2_values, "r-", label="h2 (postsynaptic)")
axes[0].set_ylabel("Membrane Potential (mV)")
axes[0].legend()
axes[1].plot(times, currents, "g-")
axes[1].set_xlabel("Time (ms)")
axes[1].set_ylabel("Current into h2 (µA)")
fig.suptitle("Diffusion synapse")
plt.savefig(figure("diffusion_synapse.pdf"))
