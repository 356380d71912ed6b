"""Record Brian2's continuous_interaction example as reference data for the tests.

Needs the ``compare`` extra (brian2).  Writes tests/data/brian2_continuous_interaction.npz
with the voltages of both neurons at every step (dt 0.01 ms, RK4, 100 ms), the
presynaptic gate s and Brian2's own threshold-free spike estimate, plus the same
run with Brian2's default exponential Euler at dt 0.1 ms for the README's note.

    python benchmarks/brian2_reference.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "brian2_continuous_interaction.npz"
)

EQUATIONS = """
alphah = 0.128 * exp(-(vm + 50.0*mV) / (18.0*mV))/ms :Hz
alpham = 0.32/mV * (vm + 54*mV) / (1.0 - exp(-(vm + 54.0*mV) / (4.0*mV)))/ms:Hz
alphan = 0.032/mV * (vm + 52*mV) / (1.0 - exp(-(vm + 52.0*mV) / (5.0*mV)))/ms:Hz
betah = 4.0 / (1.0 + exp(-(vm + 27.0*mV) / (5.0*mV)))/ms:Hz
betam = 0.28/mV * (vm + 27.0*mV) / (exp((vm + 27.0*mV) / (5.0*mV)) - 1.0)/ms:Hz
betan = 0.5 * exp(-(vm + 57.0*mV) / (40.0*mV))/ms:Hz
membrane_Im = I_ext + gNa*m**3*h*(ENa-vm) + gl*(El-vm) + gK*n**4*(EK-vm) + gSyn*s_in*(-vm): amp
I_ext : amp
s_in : 1
dm/dt = alpham*(1-m)-betam*m : 1
dn/dt = alphan*(1-n)-betan*n : 1
dh/dt = alphah*(1-h)-betah*h : 1
ds/dt = 0.5 * (1 + tanh(0.1*vm/mV)) * (1-s)/tau_r - s/tau_d : 1
dvm/dt = membrane_Im/C : volt
"""


def network(b2, method: str, dt_ms: float):
    """The example's network, integrated with ``method`` at ``dt_ms``: (Network,
    StateMonitor of vm, s and s_in of both neurons, namespace)."""
    from brian2 import ms, msiemens, mV, uA, ufarad

    b2.defaultclock.dt = dt_ms * ms
    namespace = dict(
        El=-67 * mV, EK=-100 * mV, ENa=50 * mV, gl=0.1 * msiemens, gK=80 * msiemens,
        gNa=100 * msiemens, C=1 * ufarad, weight=0.25, gSyn=1.0 * msiemens, tau_d=2 * ms,
        tau_r=0.2 * ms,
    )  # fmt: skip
    neuron = b2.NeuronGroup(2, EQUATIONS, method=method, namespace=namespace)
    neuron.vm = [-70.0, -65.0] * mV
    neuron.m = "alpham / (alpham + betam)"
    neuron.h = "alphah / (alphah + betah)"
    neuron.n = "alphan / (alphan + betan)"
    neuron.I_ext = [1.5 * uA, 0.0 * uA]
    synapses = b2.Synapses(
        neuron, neuron, "s_in_post = weight*s_pre:1 (summed)", namespace=namespace
    )
    synapses.connect(i=0, j=1)
    monitor = b2.StateMonitor(neuron, ["vm", "s", "s_in"], record=[0, 1])
    return b2.Network(neuron, synapses, monitor), monitor, namespace


def run(method: str, dt_ms: float, t_stop_ms: float = 100.0) -> dict[str, np.ndarray]:
    """The example exactly as published, with the integration method and dt as given."""
    import brian2 as b2
    from brian2 import ms, mV

    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    net, monitor, namespace = network(b2, method, dt_ms)
    net.run(t_stop_ms * ms, namespace=namespace)
    return {
        "t": np.asarray(monitor.t / ms),
        "v0": np.asarray(monitor.vm[0] / mV),
        "v1": np.asarray(monitor.vm[1] / mV),
        "s0": np.asarray(monitor.s[0]),
    }


def main() -> int:
    try:
        import brian2
    except ImportError:
        print("brian2 is not installed: pip install -e '.[compare]'", file=sys.stderr)
        return 1
    rk4 = run("rk4", 0.01)
    euler = run("exponential_euler", 0.1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        brian2_version=np.array(brian2.__version__),
        **{f"rk4_{k}": v for k, v in rk4.items()},
        **{f"expeuler_{k}": v for k, v in euler.items()},
    )
    print(f"wrote {OUT} (brian2 {brian2.__version__})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
