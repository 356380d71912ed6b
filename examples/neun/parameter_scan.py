"""Neun docs, Neuron Models page, "Parameter Scanning": firing frequency of an HH
cell (0.1 µA) against its sodium conductance, with the compat layer.

As written in the docs.  Below about gNa = 95 mS/cm² the cell fires one spike
and falls silent; above it, it fires repetitively, faster as gNa grows.
"""

import matplotlib.pyplot as plt
import numpy as np
from example_settings import SCALE, figure

import neuntune.compat.neun_py as neun_py


def scan_parameter(param_name, param_values):
    """Scan a parameter and record spiking frequency"""
    results = []

    for param_value in param_values:
        neuron_args = neun_py.HHDoubleConstructorArgs()
        neuron = neun_py.HHDoubleRK4(neuron_args)

        # Set standard parameters
        neuron.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
        neuron.set_param(neun_py.HHDoubleParameter.vna, 50)
        neuron.set_param(neun_py.HHDoubleParameter.vk, -77)
        neuron.set_param(neun_py.HHDoubleParameter.vl, -54.387)
        neuron.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
        neuron.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
        neuron.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)

        # Vary the parameter of interest
        neuron.set_param(param_name, param_value)

        # Initial conditions
        neuron.set(neun_py.HHDoubleVariable.v, -65)
        neuron.set(neun_py.HHDoubleVariable.m, 0.05)
        neuron.set(neun_py.HHDoubleVariable.h, 0.6)
        neuron.set(neun_py.HHDoubleVariable.n, 0.3)

        # Simulate and count spikes
        spike_count = 0
        prev_v = -65
        step = 0.001
        duration = 100 * SCALE
        time = 0.0

        while time < duration:
            neuron.add_synaptic_input(0.1)
            neuron.step(step)
            v = neuron.get(neun_py.HHDoubleVariable.v)

            # Detect spike (voltage crosses threshold)
            if prev_v < 0 and v >= 0:
                spike_count += 1

            prev_v = v
            time += step

        frequency = spike_count / (duration / 1000)  # Convert to Hz
        results.append(frequency)

    return np.array(results)


# Example: scan sodium conductance
gna_values = np.linspace(50, 200, 20) * 7.854e-3
frequencies = scan_parameter(neun_py.HHDoubleParameter.gna, gna_values)

plt.plot(gna_values / 7.854e-3, frequencies, "o-")
plt.xlabel("gNa (mS/cm²)")
plt.ylabel("Firing Frequency (Hz)")
plt.title("Frequency vs Sodium Conductance")
plt.grid(True)
plt.savefig(figure("gna_scan.pdf"))
