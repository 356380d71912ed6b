"""The Neun docs' "Small Network Example" with neuntune's native API: three HH
cells in a chain of ordinary gap junctions (+0.002 mS, the docs' intent), 0.15 µA
into the first.  Its spikes propagate: the second and third cells, which get no
input of their own, fire with it, each a little later.
"""

import matplotlib.pyplot as plt
from example_settings import SCALE, figure

import neuntune as nt

circuit = nt.Circuit()
for name, v_init in (("n1", -70.0), ("n2", -65.0), ("n3", -60.0)):
    # the docs set m, h, n to 0.05, 0.6, 0.3 rather than their steady state
    circuit.add(name, nt.HH(v0=v_init, m0=0.05, h0=0.6, n0=0.3))
circuit.connect("n1", "n2", nt.GapJunction(g=0.002), name="s12")
circuit.connect("n2", "n3", nt.GapJunction(g=0.002), name="s23")
circuit.stimulate("n1", nt.Constant(amplitude=0.15))

res = nt.simulate(circuit, t_stop=100 * SCALE, dt=0.001)

plt.figure(figsize=(12, 6))
for name, color in (("n1", "b"), ("n2", "r"), ("n3", "g")):
    label = f"Neuron {name[1]} ({len(res.spikes[name])} spikes)"
    plt.plot(res.t, res.v[name], f"{color}-", label=label, linewidth=1.5, alpha=0.8)
plt.xlabel("Time (ms)")
plt.ylabel("Membrane Potential (mV)")
plt.title("Chain of 3 Coupled Neurons (native)")
plt.legend()
plt.grid(True, alpha=0.3)
plt.savefig(figure("neuron_chain_native.pdf"))
