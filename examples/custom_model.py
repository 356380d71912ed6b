"""Declare your own model, register it, and use it everywhere: simulate, presets, dashboard.

    python examples/custom_model.py

A model is one declaration: parameters (default, unit, allowed range, one-line doc),
states (initial value), and equations as text.  Registering it makes it known by
name, so presets can store it and the dashboard builds its sliders from the
declaration.  Nothing in neuntune has to change.
"""

import tempfile
from itertools import pairwise
from pathlib import Path

import neuntune as nt


@nt.register
class DensityAdEx(nt.Neuron):
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005), written per cm²
    as a user would (neuntune's own ``nt.AdEx`` takes Brian2's absolute units):

    cm dv/dt = −gl(v − el) + gl·ΔT·exp((v − vt)/ΔT) − w + I_in/area
    tau_w dw/dt = a(v − el) − w;   at v = 0 mV: v ← v_reset, w ← w + b
    """

    parameters = {
        "cm": nt.Parameter(1.0, "uF/cm2", "capacitance", minimum=0, exclusive_minimum=True),
        "gl": nt.Parameter(0.05, "mS/cm2", "leak", minimum=0, exclusive_minimum=True),
        "el": nt.Parameter(-70.6, "mV", "leak reversal"),
        "vt": nt.Parameter(-50.4, "mV", "threshold of the exponential"),
        "delta_t": nt.Parameter(2.0, "mV", "slope factor", minimum=0, exclusive_minimum=True),
        "a": nt.Parameter(0.02, "mS/cm2", "subthreshold adaptation", minimum=0),
        "b": nt.Parameter(0.4, "uA/cm2", "spike-triggered adaptation", minimum=0),
        "tau_w": nt.Parameter(
            144.0, "ms", "adaptation time constant", minimum=0, exclusive_minimum=True
        ),
        "v_reset": nt.Parameter(-70.6, "mV", "reset potential"),
        "area": nt.Parameter(1e-3, "cm2", "membrane area", minimum=0, exclusive_minimum=True),
    }
    states = {
        "v": nt.State(-70.6, "mV", "membrane potential"),
        "w": nt.State(0.0, "uA/cm2", "adaptation current"),
    }
    equations = """
        spike_current = gl*delta_t*exp(min((v - vt)/delta_t, 20))
        dv/dt = (-gl*(v - el) + spike_current - w + I_in/area)/cm
        dw/dt = (a*(v - el) - w)/tau_w
    """
    spike_threshold = 0.0
    reset = "0"  # the reset is applied exactly where v crosses 0 mV
    on_spike = """
        v = v_reset
        w += b
    """


def main() -> None:
    circuit = nt.Circuit()
    circuit.add("cell", DensityAdEx())
    circuit.stimulate("cell", nt.Step(amplitude=3e-3, start=50.0, stop=450.0))
    result = nt.simulate(circuit, 500.0, 0.02)
    spikes = result.spikes["cell"]
    intervals = [round(float(later - earlier), 1) for earlier, later in pairwise(spikes)]
    print(f"AdEx: {len(result.spikes['cell'])} spikes, intervals (ms) {intervals}")

    # a preset stores the model by name; loading it needs only the registration above
    path = Path(tempfile.mkdtemp()) / "adex.json"
    nt.save_preset(circuit, str(path), name="adex", description="An adapting AdEx cell")
    again = nt.load_preset(str(path))
    assert again.circuit.element("cell") == circuit.element("cell")
    print(f"saved and reloaded {path}")
    # nt.Tuner(circuit) (or `panel serve`) shows a slider for every AdEx parameter


if __name__ == "__main__":
    main()
