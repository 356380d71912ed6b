"""Neun docs, Synapses page, "Synaptic Conductance Scanning", with the compat layer.

As written in the docs, which pass -g to ESyn.  In Neun's code, and here, that
pushes the cells apart: correlation falls as g grows, and beyond g ≈ 0.004 mS the
negative coupling outweighs the cells' own conductances and the run turns to NaN
(the correlation is then NaN).  conductance_scan_native.py scans the ordinary gap
junction (+g) the docs meant: synchronisation rises with g.
"""

import matplotlib.pyplot as plt
import numpy as np
from example_settings import SCALE, figure
from synchronization_analysis import analyze_synchronization

import neuntune.compat.neun_py as neun_py


def scan_coupling_strength(conductances):
    """Test different coupling strengths"""
    results = []

    for g in conductances:
        # Create neurons
        neuron_args = neun_py.HHDoubleConstructorArgs()
        h1 = neun_py.HHDoubleRK4(neuron_args)
        h2 = neun_py.HHDoubleRK4(neuron_args)

        # Set parameters...
        for neuron in [h1, h2]:
            neuron.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
            neuron.set_param(neun_py.HHDoubleParameter.vna, 50)
            neuron.set_param(neun_py.HHDoubleParameter.vk, -77)
            neuron.set_param(neun_py.HHDoubleParameter.vl, -54.387)
            neuron.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
            neuron.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
            neuron.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)

        h1.set(neun_py.HHDoubleVariable.v, -75)
        h2.set(neun_py.HHDoubleVariable.v, -65)

        # Create synapse with varying conductance
        synapse = neun_py.ESynHHHHDoubleRK4(
            h1, neun_py.HHDoubleVariable.v, h2, neun_py.HHDoubleVariable.v, -g, -g
        )

        # Simulate
        v1_vals = []
        v2_vals = []
        step = 0.001
        duration = 100 * SCALE
        time = 0.0

        while time < duration:
            synapse.step(step)
            h1.add_synaptic_input(0.1)
            h2.add_synaptic_input(0.08)
            h1.step(step)
            h2.step(step)

            v1_vals.append(h1.get(neun_py.HHDoubleVariable.v))
            v2_vals.append(h2.get(neun_py.HHDoubleVariable.v))
            time += step

        # Measure synchronization
        corr, _ = analyze_synchronization(v1_vals, v2_vals)
        results.append(corr)

    return np.array(results)


# Scan coupling strengths
conductances = np.linspace(0.0001, 0.01, 20)
sync_values = scan_coupling_strength(conductances)

plt.figure(figsize=(10, 6))
plt.plot(conductances, sync_values, "o-", linewidth=2)
plt.xlabel("Coupling Conductance")
plt.ylabel("Synchronization (correlation)")
plt.title("Synchronization vs Coupling Strength")
plt.grid(True, alpha=0.3)
plt.savefig(figure("coupling_scan.pdf"))
