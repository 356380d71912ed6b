"""A user's textbook Hodgkin–Huxley cell vs the built-in HH (issue 16, part 5).

The user declares HH as the paper writes it (six exponentials, two 0/0 ratios,
dv/dt divided by cm and area), and so does the built-in (hh.TEXTBOOK_EQUATIONS): the
equation compiler gives both one exponential (powers of one base by an addition
chain), a polynomial near the 0/0s (one, shared), a division per pair of
denominators and 1/cm and 1/area once per run.  benchmarks/README.md has the A/B
against the hand-derived rates the built-in declared before.
Both run the throughput batch (128 Neun pairs, g 0.0001–0.01 mS, RK4 at dt 0.001 ms,
v recorded every 100 steps, one worker) in interleaved rounds; the ratio is judged on
the fastest runs and on the median of the rounds' ratios.  Goal: textbook / built-in ≤ 1.1.

    python benchmarks/textbook_hh.py [--quick] [--repeats 30]
"""

from __future__ import annotations

import sys

import numpy as np
from _common import Config, Section, heading, measure_many, paired_ratio

BATCH = 128
DT = 0.001  # ms


def textbook_pair():
    """The Neun pair with both cells a user-declared textbook HH (same values)."""
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair
    from neuntune.models.neurons.hh import TEXTBOOK_EQUATIONS

    class TextbookHH(nt.Neuron):
        parameters = dict(nt.HH.parameters)
        states = dict(nt.HH.states)
        equations = TEXTBOOK_EQUATIONS

    circuit = hh_gap_pair()
    for name, cell in circuit.neurons.items():
        values = {k: v for k, v in cell.values.items() if v is not None}
        circuit.neurons[name] = TextbookHH(**values)
    return circuit


def run(cfg: Config) -> Section:
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair

    heading("Textbook HH declared by a user vs the built-in HH")
    sec = Section("textbook_hh", "A user's textbook HH vs the built-in HH")
    g = np.linspace(0.0001, 0.01, BATCH)
    t_stop = 5.0 if cfg.quick else 20.0

    def batch(circuit, precision):
        def go():
            return nt.simulate_batch(
                circuit, {"gj.g": g}, t_stop, DT, "rk4", precision=precision,
                record="v", record_every=100, workers=1,
            )  # fmt: skip

        return go

    fns = {}
    for precision in ("float64", "float32"):
        fns[f"builtin_{precision}"] = batch(hh_gap_pair(), precision)
        fns[f"textbook_{precision}"] = batch(textbook_pair(), precision)
    results = {k: f() for k, f in fns.items()}  # compiles, and the traces to compare
    timings = measure_many(fns, cfg.n())
    for key, t in timings.items():
        sec.timing(key, f"{key.replace('_', ' HH, ')}, {BATCH} pairs, 1 worker", t)
    for precision in ("float64", "float32"):
        a, b = results[f"builtin_{precision}"], results[f"textbook_{precision}"]
        dv = max(
            float(np.max(np.abs(x.v[c] - y.v[c]))) for x, y in zip(a, b, strict=True) for c in "ab"
        )
        sec.value(f"dv_{precision}", f"{precision}: max |Δv| textbook vs built-in", dv, "mV")
        sec.goal(
            f"{precision}: textbook HH time / built-in HH time (same run)",
            1.1,
            "<=",
            *paired_ratio(timings[f"textbook_{precision}"], timings[f"builtin_{precision}"]),
            "×",
        )
    sec.note(
        f"{BATCH} Neun HH pairs, {t_stop:g} ms at dt {DT} ms (RK4), v every 100 steps, "
        "interleaved rounds; the built-in declares the same equations, so the two kernels "
        "compute the same (Δv 0) and differ only by the run's noise."
    )
    return sec


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "textbook_hh", *sys.argv[1:]]))
