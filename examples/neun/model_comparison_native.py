"""The Neun docs' "Comparison of Models" with neuntune's native API: an HH and an
HR cell in one circuit (unconnected), each with input 0.1 (µA for HH; HR is
dimensionless), for the docs' 50 time units.  A second figure runs the HR cell
for 3000 units: its defaults (e 3, mu 0.001, S 4) burst regularly, which the
docs' 50 units cannot show.
"""

import matplotlib.pyplot as plt
from example_settings import SCALE, figure

import neuntune as nt

circuit = nt.Circuit()
circuit.add("hh", nt.HH(v0=-65.0, m0=0.05, h0=0.6, n0=0.3))
circuit.add("hr", nt.HR())  # x −1.5, y 0, z 0; e 3, mu 0.001, S 4
circuit.stimulate("hh", nt.Constant(amplitude=0.1))
circuit.stimulate("hr", nt.Constant(amplitude=0.1))

res = nt.simulate(circuit, t_stop=50 * SCALE, dt=0.001)

fig, axes = plt.subplots(2, 1, figsize=(10, 8), sharex=True)
axes[0].plot(res.t, res.v["hh"], "b-", linewidth=1.5)
axes[0].set_ylabel("Membrane Potential (mV)")
axes[0].set_title("Hodgkin-Huxley Model (native)")
axes[0].grid(True, alpha=0.3)
axes[1].plot(res.t, res.v["hr"], "r-", linewidth=1.5)
axes[1].set_xlabel("Time (ms)")
axes[1].set_ylabel("x Variable")
axes[1].set_title("Hindmarsh-Rose Model (native)")
axes[1].grid(True, alpha=0.3)
fig.tight_layout()
fig.savefig(figure("model_comparison_native.pdf"))

# The same circuit for longer (a coarser step suits HR's slow bursts): HR bursts.
long = nt.simulate(circuit, t_stop=3000 * SCALE, dt=0.01, record="hr.x")
bursts = nt.analysis.bursts(long.spikes["hr"])
fig, ax = plt.subplots(figsize=(10, 4))
ax.plot(long.t, long.v["hr"], "r-", linewidth=0.8)
ax.set_xlabel("Time (time units)")
ax.set_ylabel("x Variable")
ax.set_title(f"Hindmarsh-Rose bursting: {len(bursts.start)} bursts in {long.t[-1]:g} units")
fig.savefig(figure("hr_bursting_native.pdf"))
