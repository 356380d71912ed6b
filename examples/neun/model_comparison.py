"""Neun docs, Neuron Models page, "Comparison of Models": an HH and an HR cell,
each with input 0.1, with the compat layer.

As written in the docs.  Its 50 time units show HR's first spikes only: HR's
bursts (about 500 units apart with these parameters) need a run of thousands of
units, which model_comparison_native.py adds as a second figure.
"""

import matplotlib.pyplot as plt
from example_settings import SCALE, figure

import neuntune.compat.neun_py as neun_py


def compare_models(duration=50 * SCALE, step=0.001):
    """Compare HH and HR model responses"""
    # Create HH neuron
    hh_args = neun_py.HHDoubleConstructorArgs()
    hh = neun_py.HHDoubleRK4(hh_args)

    # Standard HH parameters
    hh.set_param(neun_py.HHDoubleParameter.cm, 1 * 7.854e-3)
    hh.set_param(neun_py.HHDoubleParameter.vna, 50)
    hh.set_param(neun_py.HHDoubleParameter.vk, -77)
    hh.set_param(neun_py.HHDoubleParameter.vl, -54.387)
    hh.set_param(neun_py.HHDoubleParameter.gna, 120 * 7.854e-3)
    hh.set_param(neun_py.HHDoubleParameter.gk, 36 * 7.854e-3)
    hh.set_param(neun_py.HHDoubleParameter.gl, 0.3 * 7.854e-3)
    hh.set(neun_py.HHDoubleVariable.v, -65)
    hh.set(neun_py.HHDoubleVariable.m, 0.05)
    hh.set(neun_py.HHDoubleVariable.h, 0.6)
    hh.set(neun_py.HHDoubleVariable.n, 0.3)

    # Create HR neuron
    hr_args = neun_py.HRDoubleConstructorArgs()
    hr = neun_py.HRDoubleRK4(hr_args)
    hr.set_param(neun_py.HRDoubleParameter.e, 3.0)
    hr.set_param(neun_py.HRDoubleParameter.mu, 0.001)
    hr.set_param(neun_py.HRDoubleParameter.S, 4.0)
    hr.set(neun_py.HRDoubleVariable.x, -1.5)
    hr.set(neun_py.HRDoubleVariable.y, 0.0)
    hr.set(neun_py.HRDoubleVariable.z, 0.0)

    # Simulate both
    times = []
    hh_voltages = []
    hr_voltages = []
    time = 0.0

    while time < duration:
        hh.add_synaptic_input(0.1)
        hh.step(step)
        hr.add_synaptic_input(0.1)
        hr.step(step)

        times.append(time)
        hh_voltages.append(hh.get(neun_py.HHDoubleVariable.v))
        hr_voltages.append(hr.get(neun_py.HRDoubleVariable.x))

        time += step

    # Plot comparison
    _fig, axes = plt.subplots(2, 1, figsize=(10, 8), sharex=True)

    axes[0].plot(times, hh_voltages, "b-", linewidth=1.5)
    axes[0].set_ylabel("Membrane Potential (mV)")
    axes[0].set_title("Hodgkin-Huxley Model")
    axes[0].grid(True, alpha=0.3)

    axes[1].plot(times, hr_voltages, "r-", linewidth=1.5)
    axes[1].set_xlabel("Time (ms)")
    axes[1].set_ylabel("x Variable")
    axes[1].set_title("Hindmarsh-Rose Model")
    axes[1].grid(True, alpha=0.3)

    plt.tight_layout()
    plt.savefig(figure("model_comparison.pdf"))


compare_models()
