"""Neun docs, Synapses page, "Synchronization Analysis", with the compat layer.

``analyze_synchronization`` is the docs' function (conductance_scan.py imports
it).  Run as a script, it analyses the two-neuron example ("After
simulation..."), which it imports and thereby runs.
"""

import numpy as np


def analyze_synchronization(v1_values, v2_values):
    """Calculate synchronization between two neurons"""
    v1 = np.array(v1_values)
    v2 = np.array(v2_values)

    # Pearson correlation coefficient
    correlation = np.corrcoef(v1, v2)[0, 1]

    # Phase difference (simplified)
    phase_diff = np.mean(np.abs(v1 - v2))

    return correlation, phase_diff


if __name__ == "__main__":
    from two_coupled_neurons import v1_values, v2_values

    # After simulation...
    corr, phase_diff = analyze_synchronization(v1_values, v2_values)
    print(f"Synchronization: {corr:.3f}")
    print(f"Mean phase difference: {phase_diff:.3f} mV")
