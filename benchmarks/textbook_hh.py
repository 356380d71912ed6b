"""A user's textbook Hodgkin–Huxley cell vs the built-in HH, and the built-in reduced
Traub–Miles cell vs the hand-derived rates it declared before (issue 16, part 5).

The user declares HH as the paper writes it (six exponentials, two 0/0 ratios,
dv/dt divided by cm and area), and so does the built-in (hh.TEXTBOOK_EQUATIONS): the
equation compiler gives both one exponential (powers of one base by an addition
chain), a polynomial near the 0/0s (one, shared), a division per pair of
denominators and 1/cm and 1/area once per run.  benchmarks/README.md has the A/B
against the hand-derived rates the built-in declared before.
Both run the throughput batch (128 Neun pairs, g 0.0001–0.01 mS, RK4 at dt 0.001 ms,
v recorded every 100 steps, one worker) in interleaved rounds; the ratio is judged on
the fastest runs and on the median of the rounds' ratios.  Goal: textbook / built-in ≤ 1.1.

RTM is declared as Börgers writes it too; its three 0/0s (two of them 2 mV apart)
are compared with the hand-derived rates (one exponential's powers, limit forms within
1e-6 mV of the 0/0s, two reciprocals) on 128 RTM pairs (1.5 and 1.0 µA in, gap
junction g 0.002–0.2 mS), same method and rounds.  Goal: built-in / hand-derived ≤ 1.01.

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


#: The rates RTM declared before it was declared as Börgers writes them: every
#: exponential a power of w = e^(−(v+54)/360), the 0/0s replaced by their limit form
#: within 1e-6 mV, αm and βm sharing one reciprocal and αn and βh another.
HAND_DERIVED_RTM = """
    phi = q10**((celsius - 6.3)/10)
    inv_cm = 1/cm
    inv_area = 1/area
    w = exp(-(v + 54)/360)
    w2 = w*w
    w4 = w2*w2
    w8 = w4*w4
    w16 = w8*w8
    w72 = (w16*w16)*(w16*w16)*w8
    e54 = w72*w16*w2
    e27 = 221.40641620418717*w72
    e52 = 1.4918246976412703*w72
    near_m = abs(v + 54) < 1e-6
    near_b = abs(v + 27) < 1e-6
    near_n = abs(v + 52) < 1e-6
    qm = where(near_m, 1, 1 - e54)
    qb = where(near_b, 1, 1 - e27)
    qn = where(near_n, 1, 1 - e52)
    qh = 1 + e27
    xm = where(near_m, 4 + (v + 54)/2, v + 54)
    xb = where(near_b, 5 - (v + 27)/2, (v + 27)*e27)
    xn = where(near_n, 5 + (v + 52)/2, v + 52)
    inv_mb = 1/(qm*qb)
    inv_nh = 1/(qn*qh)
    am = 0.32*xm*(qb*inv_mb)
    bm = 0.28*xb*(qm*inv_mb)
    ah = 0.1598526552322153*w16*w4
    bh = 4*(qn*inv_nh)
    an = 0.032*xn*(qh*inv_nh)
    bn = 0.46387174316427643*w8*w
    dm/dt = phi*(am*(1 - m) - bm*m)
    dh/dt = phi*(ah*(1 - h) - bh*h)
    dn/dt = phi*(an*(1 - n) - bn*n)
    dv/dt = (I_in*inv_area + gna*m**3*h*(ena - v) + gk*n**4*(ek - v) + gl*(el - v))*inv_cm
"""


def rtm_pair(hand_derived: bool = False):
    """Two RTM cells (the built-in, or with HAND_DERIVED_RTM) joined by a gap
    junction, 1.5 and 1.0 µA in: both spike."""
    import neuntune as nt

    model = nt.RTM
    if hand_derived:

        class HandDerivedRTM(nt.Neuron):
            parameters = dict(nt.RTM.parameters)
            states = dict(nt.RTM.states)
            equations = HAND_DERIVED_RTM

        model = HandDerivedRTM
    circuit = nt.Circuit()
    circuit.add("a", model(v0=-70.0))
    circuit.add("b", model(v0=-65.0))
    circuit.connect("a", "b", nt.GapJunction(g=0.01), name="gj")
    circuit.stimulate("a", nt.Constant(amplitude=1.5))
    circuit.stimulate("b", nt.Constant(amplitude=1.0))
    return circuit


def run(cfg: Config) -> Section:
    import neuntune as nt
    from neuntune.bundled import hh_gap_pair

    heading("Textbook HH declared by a user vs the built-in HH; RTM vs its hand-derived rates")
    sec = Section(
        "textbook_hh",
        "A user's textbook HH vs the built-in HH; the built-in RTM vs its hand-derived rates",
    )
    g = np.linspace(0.0001, 0.01, BATCH)
    t_stop = 5.0 if cfg.quick else 20.0

    def batch(circuit, precision):
        def go():
            return nt.simulate_batch(
                circuit, {"gj.g": g}, t_stop, DT, "rk4", precision=precision,
                record="v", record_every=100, workers=1,
            )  # fmt: skip

        return go

    def rtm_batch(circuit, precision):
        def go():
            return nt.simulate_batch(
                circuit, {"gj.g": g_rtm}, t_stop, DT, "rk4", precision=precision,
                record="v", record_every=100, workers=1,
            )  # fmt: skip

        return go

    g_rtm = np.linspace(0.002, 0.2, BATCH)
    fns = {}
    for precision in ("float64", "float32"):
        fns[f"builtin_{precision}"] = batch(hh_gap_pair(), precision)
        fns[f"textbook_{precision}"] = batch(textbook_pair(), precision)
        fns[f"rtm_{precision}"] = rtm_batch(rtm_pair(), precision)
        fns[f"rtm_hand_{precision}"] = rtm_batch(rtm_pair(hand_derived=True), precision)
    results = {k: f() for k, f in fns.items()}  # compiles, and the traces to compare
    timings = measure_many(fns, cfg.n())
    labels = {"builtin": "built-in HH", "textbook": "textbook HH", "rtm": "built-in RTM",
              "rtm_hand": "hand-derived RTM"}  # fmt: skip
    for key, t in timings.items():
        model, precision = key.rsplit("_", 1)
        sec.timing(key, f"{labels[model]}, {precision}, {BATCH} pairs, 1 worker", t)
    comparisons = (
        ("textbook", "builtin", "", "textbook HH", "built-in HH", 1.1),
        ("rtm", "rtm_hand", "rtm_", "built-in RTM", "hand-derived RTM", 1.01),
    )
    for key, yardstick, prefix, name, against, goal in comparisons:
        for precision in ("float64", "float32"):
            a, b = results[f"{yardstick}_{precision}"], results[f"{key}_{precision}"]
            dv = max(
                float(np.max(np.abs(x.v[c] - y.v[c])))
                for x, y in zip(a, b, strict=True)
                for c in "ab"
            )
            sec.value(
                f"dv_{prefix}{precision}", f"{precision}: max |Δv| {name} vs {against}", dv, "mV"
            )
            sec.goal(
                f"{precision}: {name} time / {against} time (same run)",
                goal,
                "<=",
                *paired_ratio(timings[f"{key}_{precision}"], timings[f"{yardstick}_{precision}"]),
                "×",
            )
    sec.note(
        f"{BATCH} Neun HH pairs, {t_stop:g} ms at dt {DT} ms (RK4), v every 100 steps, "
        "interleaved rounds; the built-in declares the same equations, so the two kernels "
        f"compute the same (Δv 0) and differ only by the run's noise.  RTM: {BATCH} gap-junction "
        "pairs (g 0.002–0.2 mS, 1.5 and 1.0 µA), the built-in (Börgers' rates) against the "
        "hand-derived rates it declared before (HAND_DERIVED_RTM), same method."
    )
    return sec


if __name__ == "__main__":
    from run import main

    sys.exit(main(["--only", "textbook_hh", *sys.argv[1:]]))
