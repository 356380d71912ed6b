"""Coupling coefficient of two gap-junction-coupled cells in NEURON and in neuntune.

Two identical single-compartment cells — passive (leak 0.1 mS/cm², −65 mV) and
Hodgkin–Huxley (Neun's set, 6.3 °C) — of membrane area 7.854e-3 cm², joined by a gap
junction g (mS).  Protocol (BMTool's, DESIGN.md): from rest, 500 ms settle, then
−0.01 nA (= −1e-5 µA) into cell a for 500 ms; CC = ΔV_b/ΔV_a, each Δ the mean over
the last fifth of the step minus the mean over the last fifth of the settle period
(``neuntune.analysis.cc_from_traces`` measures both simulators' traces).
dt 0.025 ms in both.  Goal (issue 10): |CC_neuntune − CC_NEURON| ≤ 1e-4; neuntune faster.

NEURON (the ``compare`` extra) runs in its own interpreter (``--worker``) with no
compiled mechanisms: the built-in ``pas`` and ``hh`` (rate tables off, so its rates
are the formulas; ``el_hh`` set to Neun's −54.387 mV; celsius 6.3 °C, where hh's Q10
factor 3^((celsius − 6.3)/10) is 1, as in neuntune's HH), and the junction is a
``LinearMechanism`` on the two cells' current-balance equations.  Units there: g
entries in S/cm² of each cell's own membrane (g_mS·1e-3/area_cm²), IClamp in nA.

    python benchmarks/neuron_compare.py [--quick] [--repeats 30]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve()
AREA = 7.854e-3  # cm²
DT = 0.025  # ms
SETTLE, DURATION, PROBE_NA = 500.0, 500.0, -0.01  # ms, ms, nA
CELLS = {
    # name: (g of the junction in mS, description)
    "passive": (2e-4, "two passive cells (gl 0.1 mS/cm², el −65 mV), g = 2e-4 mS (0.2 µS)"),
    "hh": (2e-3, "two HH cells (Neun's set), g = 2e-3 mS (2 µS)"),
}


# -------------------------------------------------------- NEURON side (worker)
def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", choices=list(CELLS), required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--usetable", type=int, default=0)
    args = parser.parse_args(argv)
    from neuron import h

    h.load_file("stdrun.hoc")
    g_ms = CELLS[args.worker][0]
    cells = []
    for name in ("a", "b"):
        sec = h.Section(name=name)
        sec.nseg, sec.diam, sec.cm = 1, 500.0, 1.0  # µm, µF/cm²
        sec.L = AREA * 1e8 / (math.pi * sec.diam)  # µm, so π·diam·L = AREA
        if args.worker == "passive":
            sec.insert("pas")
            for seg in sec:
                seg.pas.g, seg.pas.e = 1e-4, -65.0  # S/cm², mV
        else:
            sec.insert("hh")
            for seg in sec:
                seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl = 0.12, 0.036, 0.0003  # S/cm²
                seg.hh.el = -54.387  # mV (NEURON's default is -54.3)
            sec.ena, sec.ek = 50.0, -77.0
        cells.append(sec)
    if args.worker == "hh":
        h.usetable_hh = args.usetable
    h.celsius = 6.3
    a, b = cells
    area_cm2 = [s(0.5).area() * 1e-8 for s in cells]
    # the junction: outward current g(v_self − v_other) added to each cell's current
    # balance (mA/cm², so g in S/cm² of that cell's membrane)
    c, gm = h.Matrix(2, 2, 2), h.Matrix(2, 2)
    g_s = g_ms * 1e-3
    for i in range(2):
        gm.setval(i, i, g_s / area_cm2[i])
        gm.setval(i, 1 - i, -g_s / area_cm2[i])
    y, rhs = h.Vector(2), h.Vector(2)
    sl = h.SectionList()
    sl.append(sec=a)
    sl.append(sec=b)
    junction = h.LinearMechanism(c, gm, y, rhs, sl, h.Vector([0.5, 0.5]))
    clamp = h.IClamp(a(0.5))
    clamp.delay, clamp.dur, clamp.amp = SETTLE, DURATION, PROBE_NA
    tv, va, vb = h.Vector(), h.Vector(), h.Vector()
    tv.record(h._ref_t)  # before finitialize: recording set up later is not active
    va.record(a(0.5)._ref_v)
    vb.record(b(0.5)._ref_v)

    def protocol() -> None:
        """Start at rest (NEURON's custom-init idiom: implicit steps from t = −1000 ms),
        then run the 1000 ms protocol at dt 0.025 ms, recording every step."""
        h.dt = DT
        h.finitialize(-65.0)
        h.t, h.dt = -1000.0, 1.0
        while h.t < -0.5:
            h.fadvance()
        h.t, h.dt = 0.0, DT
        h.fcurrent()
        h.frecord_init()  # restart the recordings at t = 0
        h.continuerun(SETTLE + DURATION)

    protocol()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        protocol()
        times.append(time.perf_counter() - start)
    import neuron

    out = {
        "neuron": neuron.__version__,
        "times_s": times,
        "t": list(tv),
        "va": list(va),
        "vb": list(vb),
        "area_cm2": area_cm2,
        "junction": junction.hname(),
        "celsius": h.celsius,
    }
    Path(args.out).write_text(json.dumps(out))
    return 0


# ------------------------------------------------------- neuntune side (main)
def _circuit(kind: str):
    import neuntune as nt

    c = nt.Circuit()
    for name in ("a", "b"):
        c.add(name, nt.Passive(area=AREA) if kind == "passive" else nt.HH(area=AREA))
    c.connect("a", "b", nt.GapJunction(g=CELLS[kind][0]), name="gj")
    return c


def run(cfg):
    import numpy as np
    from _common import Section, heading, measure, run_worker, stats

    import neuntune as nt
    from neuntune import analysis

    heading("NEURON: coupling coefficient of gap-junction pairs")
    sec = Section("neuron_compare", "NEURON: coupling coefficient of gap-junction pairs")
    reps = cfg.n(quick=3)
    have = bool(cfg.compare_python and cfg.compare_info.get("neuron"))
    if not have:
        why = cfg.compare_info.get("neuron_error") or "no interpreter with the compare extra"
        sec.skip(
            f"NEURON is not importable ({why}); install the compare extra "
            "(pip install -e '.[compare]'); neuntune's numbers only"
        )
    baseline, steady = (0.8 * SETTLE, SETTLE), (SETTLE + 0.8 * DURATION, SETTLE + DURATION)
    rows = []
    for kind, (g, text) in CELLS.items():
        circuit = _circuit(kind)

        def ours(circuit=circuit):
            return nt.coupling_coefficient(
                circuit,
                "a",
                "b",
                amplitude=PROBE_NA * 1e-3,
                duration=DURATION,
                settle=SETTLE,
                dt=DT,
            )

        cc = ours()
        before = measure(ours, reps)
        row = [text, f"{cc:.7f}"]
        if kind == "passive":
            g_l = 0.1 * AREA
            exact = g / (g_l + g)
            sec.value(f"{kind}_cc_exact", f"{kind}: CC exact g/(g_L + g)", exact)
            sec.value(f"{kind}_err_exact", f"{kind}: |CC_neuntune − exact|", abs(cc - exact))
        sec.value(f"{kind}_cc", f"{kind}: CC a->b, neuntune", cc)
        if not have:
            sec.timing(
                f"{kind}_neuntune",
                f"{kind}: nt.coupling_coefficient (rest search + 1000 ms at dt 0.025)",
                before,
            )
            rows.append([*row, "–", "–"])
            continue
        try:
            out = run_worker(cfg.compare_python, SCRIPT, [kind, "--repeats", reps])
        except Exception as exc:
            sec.skip(f"{kind}: the NEURON run failed: {str(exc)[-400:]}")
            continue
        after = measure(ours, reps, warmup=0)  # same conditions before and after NEURON ran
        mine = sec.timing(
            f"{kind}_neuntune",
            f"{kind}: nt.coupling_coefficient (rest search + 1000 ms at dt 0.025)",
            stats(before["samples_s"] + after["samples_s"]),
        )
        t, va, vb = (np.asarray(out[k]) for k in ("t", "va", "vb"))
        theirs = analysis.cc_from_traces(t, va, vb, baseline, steady)
        neuron_t = sec.timing(
            f"{kind}_neuron",
            f"{kind}: NEURON {out['neuron']} (init to rest "
            "+ 1000 ms at dt 0.025, LinearMechanism junction)",
            stats(out["times_s"]),
        )
        sec.value(f"{kind}_cc_neuron", f"{kind}: CC a->b, NEURON", theirs)
        if kind == "hh":
            sec.value(
                "hh_celsius",
                "hh: NEURON's celsius (hh's rates × 3^((celsius − 6.3)/10))",
                out["celsius"],
                "°C",
            )
        diff = abs(cc - theirs)
        sec.value(f"{kind}_dcc", f"{kind}: |CC_neuntune − CC_NEURON|", diff)
        sec.goal(f"{kind}: |CC neuntune − NEURON|", 1e-4, "<=", diff)
        r = (neuron_t["fastest_s"] / mine["fastest_s"], neuron_t["median_s"] / mine["median_s"])
        sec.value(f"{kind}_speedup", f"{kind}: NEURON time / neuntune time", r[0], "×", median=r[1])
        sec.goal(f"{kind}: neuntune faster than NEURON", 1.0, ">=", *r, "×")
        sec.value(
            f"{kind}_rest",
            f"{kind}: resting v, NEURON (mean 400–500 ms)",
            analysis.window_mean(t, va, baseline),
            "mV",
        )
        rows.append([*row, f"{theirs:.7f}", f"{diff:.1e}"])
        if kind == "hh":  # NEURON's default: hh rates from a 1-mV table, linearly interpolated
            try:
                tab = run_worker(
                    cfg.compare_python, SCRIPT, [kind, "--repeats", 1, "--usetable", 1]
                )
                t2, va2, vb2 = (np.asarray(tab[k]) for k in ("t", "va", "vb"))
                cc_tab = analysis.cc_from_traces(t2, va2, vb2, baseline, steady)
                rows.append(
                    [
                        f"{text}; NEURON's default rate tables (usetable_hh = 1)",
                        "",
                        f"{cc_tab:.7f}",
                        f"{abs(cc - cc_tab):.1e}",
                    ]
                )
                sec.value(
                    "hh_rest_table",
                    "hh: resting v with NEURON's default rate tables",
                    analysis.window_mean(t2, va2, baseline),
                    "mV",
                )
            except Exception as exc:
                sec.skip(f"NEURON with rate tables: {str(exc)[-200:]}")
    sec.table("Coupling coefficient a->b", ["cells", "neuntune", "NEURON", "|Δ|"], rows)
    sec.note(
        "Same protocol and the same measurement (window means) on both simulators' traces. "
        "NEURON integrates with backward Euler; a steady-state CC does not depend on the "
        "integrator, so agreement is limited only by reaching steady state. neuntune's time "
        "includes its rest search (init='rest': settle without stimuli, root polish); "
        "NEURON's includes its own settle from −65 mV (1000 implicit 1-ms steps)."
    )
    return sec


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(worker_main(sys.argv[1:]))
    from run import main

    sys.exit(main(["--only", "neuron_compare", *sys.argv[1:]]))
