"""Compiled kernels are reused: values never recompile, a second process loads from disk,
and a circuit of model types already seen compiles nothing."""

import subprocess
import sys
import textwrap

import neuntune as nt
from neuntune.engine import run


def test_changing_values_and_structure_of_known_types_never_recompiles(hh_pair):
    nt.simulate(hh_pair, 1.0, 0.01)
    kernel = run.compile_circuit(hh_pair).module.kernel
    before = (run.compilations, len(kernel.signatures))
    for g in (0.0, 0.001, 0.01):
        hh_pair.set("gj.g", g)
        hh_pair.set("a.v0", -70.0 + g)
        hh_pair.set("a.stim0.amplitude", g)
        nt.simulate(hh_pair, 1.0, 0.01)
    bigger = hh_pair.copy()  # a third HH cell of a model already used: nothing to compile
    bigger.add("c", nt.HH())
    bigger.connect("b", "c", nt.GapJunction(g=0.001))
    bigger.stimulate("c", nt.Constant(amplitude=0.05))
    nt.simulate(bigger, 1.0, 0.01)
    assert run.compile_circuit(bigger).module is run.compile_circuit(hh_pair).module
    assert (run.compilations, len(kernel.signatures)) == before


def test_a_second_process_loads_kernels_from_disk(tmp_path):
    script = textwrap.dedent(
        """
        import time, neuntune as nt
        from neuntune.engine.run import compile_circuit
        c = nt.Circuit()
        c.add("a", nt.Passive()); c.add("b", nt.Passive())
        c.connect("a", "b", nt.RectifyingGapJunction(), name="gj")
        c.stimulate("a", nt.Ramp())
        nt.simulate(c, 5.0, 0.01)
        k = compile_circuit(c, "rk4", "float64").module.kernel
        sig = k.signatures[0]
        print(k.stats.cache_hits.get(sig, 0), k.stats.cache_misses.get(sig, 0))
        """
    )
    env = {"NEUNTUNE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        for _ in range(2)
    ]
    first, second = (tuple(map(int, r.stdout.split())) for r in runs)
    assert first == (0, 1)  # compiled
    assert second == (1, 0)  # loaded from numba's cache, nothing compiled
    assert len(list(tmp_path.glob("k_*.py"))) == 1


def test_a_kernel_compiling_in_one_process_is_loaded_not_compiled_by_another(tmp_path):
    """The server and its warm-up child need the same kernel at once: the second waits
    on the kernel's lock file and loads what the first compiled."""
    script = textwrap.dedent(
        """
        import sys, time, neuntune as nt
        from neuntune.engine.run import compile_circuit
        c = nt.Circuit()
        c.add("a", nt.Passive()); c.add("b", nt.Passive())
        c.connect("a", "b", nt.RectifyingGapJunction(), name="gj")
        c.stimulate("a", nt.Sine())
        compile_circuit(c)  # the module file exists
        print("go", flush=True)
        sys.stdin.readline()
        nt.simulate(c, 1.0, 0.01)
        k = compile_circuit(c, "rk4", "float64").module.kernel
        sig = k.signatures[0]
        print(k.stats.cache_hits.get(sig, 0), k.stats.cache_misses.get(sig, 0), flush=True)
        """
    )
    env = {"NEUNTUNE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in procs:
        assert p.stdout.readline() == "go\n"
    for p in procs:  # both call the kernel for the first time now
        p.stdin.write("\n")
        p.stdin.flush()
    counts = sorted(tuple(map(int, p.communicate()[0].split())) for p in procs)
    assert counts == [(0, 1), (1, 0)]  # one compiled, the other loaded
    assert len(list(tmp_path.glob("k_*.lock"))) == 1


def test_vectorising_stays_on_until_the_last_thread_inside_leaves() -> None:
    """Two compilations overlapping in two threads: the first to finish must not
    switch the vectoriser off under the other, and the last restores numba's value."""
    import threading

    import numba

    from neuntune.engine.compiler import vectorising

    before = numba.config.SLP_VECTORIZE
    inside, release, seen = threading.Event(), threading.Event(), []

    def other() -> None:
        with vectorising():
            inside.set()
            release.wait(10)
            seen.append(numba.config.SLP_VECTORIZE)

    thread = threading.Thread(target=other)
    with vectorising():
        thread.start()
        assert inside.wait(10)
    # this thread has left; the other is still compiling
    release.set()
    thread.join(10)
    assert seen == [True]
    assert numba.config.SLP_VECTORIZE == before
