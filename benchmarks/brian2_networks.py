"""The network benchmarks in Brian2: COBAHH and the Wang–Buzsáki gap-junction network.

Runs in the interpreter that has brian2 (its own venv: brian2 2.9.0 needs
numpy < 2.4), as a subprocess of ``network.py``, which reads the JSON it writes::

    python benchmarks/brian2_networks.py --worker runtime --model cobahh --repeats 5 --out r.json
    python benchmarks/brian2_networks.py --worker standalone --model wb --repeats 5 --out s.json

``--model cobahh``: Brette et al. (2007) benchmark 3 as Brian2's examples/COBAHH.py
sets it up (4000 Traub–Miles cells, 3200 excitatory and 800 inhibitory, exponential
conductances ge/gi incremented by we = 6 nS and wi = 67 nS, p = 0.02 from each
population to all cells, threshold v > −20 mV with a 3 ms refractory period that only
blocks the threshold, exponential Euler at dt 0.1 ms).

``--model wb``: 100 Wang–Buzsáki interneurons (1996) with all-to-all gap junctions,
0.001 mS/cm² per directed pair, each adding g·(v_pre − v_post) to its post cell (a
``(summed)`` variable: Brian2 holds it constant within a step), 0.6 µA/cm² drive,
v0 uniform in [−70, −50] mV, h 0.6, n 0.32, RK4 at dt 0.01 ms.  Spikes are upward
crossings of 0 mV (threshold and refractory condition v > 0 mV).

Runtime mode (cython target): a first run compiles (or loads cython's cache), then
``repeats`` fresh networks are run; the figure is Brian2's own
``device._last_run_time`` (the simulation loop), beside the wall time of ``run()``.
Standalone mode: code generation + C++ build + first run once, then the binary is
re-run ``repeats`` times (its own run time, and the process wall time).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

#: Wang–Buzsáki cell (per cm²) with a summed gap-junction current Igap.
WB_EQUATIONS = """
dv/dt = (I_drive - gNa*m_inf**3*h*(v - ENa) - gK*n**4*(v - EK) - gL*(v - EL) + Igap)/Cm : volt
m_inf = alpha_m/(alpha_m + beta_m) : 1
alpha_m = 0.1/mV*(v + 35*mV)/(1 - exp(-0.1/mV*(v + 35*mV)))/ms : Hz
beta_m = 4*exp(-(v + 60*mV)/(18*mV))/ms : Hz
dh/dt = phi*(alpha_h*(1 - h) - beta_h*h) : 1
alpha_h = 0.07*exp(-(v + 58*mV)/(20*mV))/ms : Hz
beta_h = 1/(exp(-0.1/mV*(v + 28*mV)) + 1)/ms : Hz
dn/dt = phi*(alpha_n*(1 - n) - beta_n*n) : 1
alpha_n = 0.01/mV*(v + 34*mV)/(1 - exp(-0.1/mV*(v + 34*mV)))/ms : Hz
beta_n = 0.125*exp(-(v + 44*mV)/(80*mV))/ms : Hz
Igap : amp/meter**2
"""

#: Traub–Miles cell with exponential excitatory and inhibitory conductances.
COBAHH_EQUATIONS = """
dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v)
         - g_na*m**3*h*(v - ENa) - g_kd*n**4*(v - EK))/Cm : volt
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
dge/dt = -ge/taue : siemens
dgi/dt = -gi/taui : siemens
alpha_m = 0.32/mV*(13*mV - v + VT)/(exp((13*mV - v + VT)/(4*mV)) - 1)/ms : Hz
beta_m = 0.28/mV*(v - VT - 40*mV)/(exp((v - VT - 40*mV)/(5*mV)) - 1)/ms : Hz
alpha_h = 0.128*exp((17*mV - v + VT)/(18*mV))/ms : Hz
beta_h = 4/(1 + exp((40*mV - v + VT)/(5*mV)))/ms : Hz
alpha_n = 0.032/mV*(15*mV - v + VT)/(exp((15*mV - v + VT)/(5*mV)) - 1)/ms : Hz
beta_n = 0.5*exp((10*mV - v + VT)/(40*mV))/ms : Hz
"""


def wang_buzsaki(b2, n: int = 100, g: float = 0.001, seed: int = 1):
    """The gap-junction network: (Network, SpikeMonitor, namespace)."""
    from brian2 import cm, ms, msiemens, mV, uA, ufarad

    b2.defaultclock.dt = 0.01 * ms
    b2.seed(seed)
    ns = dict(
        Cm=1 * ufarad / cm**2, gNa=35 * msiemens / cm**2, gK=9 * msiemens / cm**2,
        gL=0.1 * msiemens / cm**2, ENa=55 * mV, EK=-90 * mV, EL=-65 * mV, phi=5.0,
        I_drive=0.6 * uA / cm**2, g_gap=g * msiemens / cm**2,
    )  # fmt: skip
    cells = b2.NeuronGroup(
        n, WB_EQUATIONS, threshold="v > 0*mV", refractory="v > 0*mV", method="rk4", namespace=ns
    )
    cells.v = "-70*mV + 20*mV*rand()"
    cells.h = 0.6
    cells.n = 0.32
    gaps = b2.Synapses(
        cells, cells, "Igap_post = g_gap*(v_pre - v_post) : amp/meter**2 (summed)", namespace=ns
    )
    gaps.connect(condition="i != j")
    spikes = b2.SpikeMonitor(cells)
    return b2.Network(cells, gaps, spikes), spikes, ns


def cobahh(b2, n: int = 4000, seed: int = 1):
    """Brette et al.'s benchmark 3: (Network, SpikeMonitor, namespace)."""
    from brian2 import cm, ms, msiemens, mV, nS, siemens, ufarad, umetre

    b2.defaultclock.dt = 0.1 * ms
    b2.seed(seed)
    area = 20000 * umetre**2
    ns = dict(
        Cm=1 * ufarad * cm**-2 * area, gl=5e-5 * siemens * cm**-2 * area, El=-60 * mV,
        EK=-90 * mV, ENa=50 * mV, g_na=100 * msiemens * cm**-2 * area,
        g_kd=30 * msiemens * cm**-2 * area, VT=-63 * mV, taue=5 * ms, taui=10 * ms,
        Ee=0 * mV, Ei=-80 * mV, we=6 * nS, wi=67 * nS,
    )  # fmt: skip
    cells = b2.NeuronGroup(
        n,
        COBAHH_EQUATIONS,
        threshold="v > -20*mV",
        refractory=3 * ms,
        method="exponential_euler",
        namespace=ns,
    )
    n_exc = n * 4 // 5
    exc = b2.Synapses(cells[:n_exc], cells, on_pre="ge += we", namespace=ns)
    inh = b2.Synapses(cells[n_exc:], cells, on_pre="gi += wi", namespace=ns)
    exc.connect(p=0.02)
    inh.connect(p=0.02)
    cells.v = "El + (randn()*5 - 5)*mV"
    cells.ge = "(randn()*1.5 + 4)*10*nS"
    cells.gi = "(randn()*12 + 20)*10*nS"
    spikes = b2.SpikeMonitor(cells)
    trace = b2.StateMonitor(cells, "v", record=[1, 10, 100])
    return b2.Network(cells, exc, inh, spikes, trace), spikes, ns


MODELS = {"wb": wang_buzsaki, "cobahh": cobahh}


def worker_runtime(args: argparse.Namespace) -> dict:
    """Runtime mode: build the network once and ``store()`` it; a first run compiles
    (or loads cython's cache), then ``repeats`` runs each ``restore()`` the stored
    initial state (same network objects, so no code generation is repeated)."""
    import brian2 as b2
    from brian2 import ms

    b2.prefs.codegen.target = args.target
    t_stop = args.t_stop * ms
    out: dict = {"brian2": b2.__version__, "target": args.target, "model": args.model}
    start = time.perf_counter()
    net, spikes, ns = MODELS[args.model](b2)
    out["build_s"] = time.perf_counter() - start
    net.store("initial")
    start = time.perf_counter()
    net.run(t_stop, namespace=ns)
    out["first_run_wall_s"] = time.perf_counter() - start
    counts = [int(spikes.num_spikes)]
    loop, wall = [], []
    for _ in range(args.repeats):
        net.restore("initial")
        start = time.perf_counter()
        net.run(t_stop, namespace=ns)
        wall.append(time.perf_counter() - start)
        loop.append(b2.get_device()._last_run_time)
        counts.append(int(spikes.num_spikes))
    out.update(loop_s=loop, run_wall_s=wall, spikes=counts)
    return out


def worker_standalone(args: argparse.Namespace) -> dict:
    """C++ standalone: build once (timed), then re-run the binary ``repeats`` times."""
    import brian2 as b2
    from brian2 import ms

    directory = tempfile.mkdtemp(prefix="brian2-network-")
    try:
        b2.set_device("cpp_standalone", build_on_run=False, directory=directory)
        start = time.perf_counter()
        net, spikes, ns = MODELS[args.model](b2)
        net.run(args.t_stop * ms, namespace=ns)
        device = b2.get_device()
        device.build(directory=directory, compile=True, run=True, with_output=False)
        out: dict = {
            "brian2": b2.__version__,
            "model": args.model,
            "build_and_first_run_s": time.perf_counter() - start,
            "first_loop_s": device._last_run_time,
            "spikes": [int(spikes.num_spikes)],
        }
        loop, binary = [], []
        for _ in range(args.repeats):
            device.run(directory=directory, with_output=False)
            loop.append(device._last_run_time)
            binary.append(device.timers["run_binary"])
            out["spikes"].append(int(spikes.num_spikes))
        out.update(loop_s=loop, binary_wall_s=binary)
        return out
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", choices=["runtime", "standalone"], required=True)
    parser.add_argument("--model", choices=sorted(MODELS), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--t-stop", type=float, default=1000.0, help="ms")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", default="cython")
    args = parser.parse_args(argv)
    work = {"runtime": worker_runtime, "standalone": worker_standalone}[args.worker]
    Path(args.out).write_text(json.dumps(work(args)))
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
