"""The Neun docs' "Synchronization Analysis" with neuntune's analysis functions:
the docs' two measures (Pearson correlation of the voltage traces and their mean
absolute difference) on the native two-neuron run, plus a spike-based one.
"""

from two_coupled_neurons_native import res

from neuntune import analysis

v1, v2 = res.v["h1"], res.v["h2"]
corr = analysis.pearson(v1, v2)
phase_diff = analysis.mean_abs_difference(v1, v2)
# spikes of h2 within 1 ms of one of h1's, corrected for chance (1: identical trains)
coincidence = analysis.coincidence_factor(res.spikes["h2"], res.spikes["h1"], 1.0, res.t[-1])

if __name__ == "__main__":
    print(f"Synchronization: {corr:.3f}")
    print(f"Mean phase difference: {phase_diff:.3f} mV")
    print(f"Coincidence factor (±1 ms): {coincidence:.3f}")
