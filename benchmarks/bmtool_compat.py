"""BMTool scripts on neuntune.compat.bmtool (issue 17's goals): BMTool 0.8.7's numbers
from the same settings dicts and mod files, and how long a slider's change takes to
give a new train's metrics.

    python benchmarks/run.py --only bmtool_compat

Numbers.  The reference is BMTool itself (``tests/data/bmtool_0.8.7.json``, recorded by
``benchmarks/bmtool_reference.py`` in BMTool's own venv on NEURON 8.2.4).  The compat
layer runs BMTool's own tutorial mod files when that script has fetched them (its cache
folder ``bmtool-0.8.7/<hash>``; they are not in this repository), else the fixture mods
written from their equations (examples/neuron), and says which.

Latency.  A slider's change in BMTool's tuner sets one PARAMETER and reruns the 50 Hz
train: here ``_set_syn_prop`` + ``_simulate_model`` + ``_response_amplitude`` +
``_calc_ppr_induction_recovery`` (the worker's round trip included, no browser), on
the one-compartment reference cell and on a 200-segment cell (a soma and a 1 mm
dendrite of 199 segments, the synapse halfway along it).  Goal: p95 ≤ 150 ms.  The
live tuner draws a preview first (both streams at dt 0.1 ms after a 50 ms settle,
then the exact run): that is timed too, on the 200-segment cell.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import HERE, Section, measure

from neuntune.compat.bmtool import (
    BMToolWarning,
    GapJunctionOptimizer,
    GapJunctionTuner,
    SynapseTuner,
)

REFERENCE = json.loads((HERE.parent / "tests/data/bmtool_0.8.7.json").read_text())
FIXTURES = HERE.parent / "examples/neuron"
MODS = ("AMPA_NMDA_STP.mod", "GABA_A_STP.mod", "gap.mod")
LONG_CELL = """
begintemplate LongCell
    public soma, dend, all
    create soma[1], dend[1]
    objref all
    proc init() {
        all = new SectionList()
        soma[0] { all.append()  L = 20  diam = 20  nseg = 1 }
        dend[0] { all.append()  L = 1000  diam = 2  nseg = 199 }
        connect dend[0](0), soma[0](1)
        forsec all { insert pas  g_pas = 1e-4  e_pas = -70  cm = 1  Ra = 100 }
    }
endtemplate LongCell
"""


def _mechanisms(workdir: Path) -> tuple[Path, str]:
    """A folder of .mod files: BMTool's own when bmtool_reference.py has fetched them,
    else the fixtures; and which it is."""
    root = Path(os.environ.get("NEUNTUNE_CACHE", Path.home() / ".cache" / "neuntune"))
    for folder in sorted((root / "bmtool-0.8.7").glob("*")):
        if all((folder / name).is_file() for name in MODS):
            target = workdir / "mods"
            target.mkdir()
            for name in MODS:
                shutil.copy(folder / name, target)
            return target, "BMTool's tutorial mod files (e329014)"
    return FIXTURES / "mechanisms", "the fixture mods written from BMTool's equations"


def _numbers(sec: Section, mods: Path, templates: Path) -> None:
    settings = {n: s["conn_type_settings"] for n, s in REFERENCE["synapse"].items()}
    tuner = SynapseTuner(
        settings,
        mechanisms_dir=str(mods),
        templates_dir=str(templates),
        general_settings=REFERENCE["general_settings"],
    )
    peak_error, metric_error = 0.0, 0.0
    try:
        for name in settings:
            tuner._switch_connection(name)
            for vclamp in (False, True):
                want = REFERENCE["synapse"][name]["train"][f"vclamp={vclamp}"]
                tuner._simulate_model(50, 250, vclamp=vclamp)
                amp = np.array(tuner._response_amplitude())
                peak_error = max(peak_error, float(np.max(np.abs(amp / want["amp"] - 1))))
                got = tuner._calc_ppr_induction_recovery(amp, print_math=False)
                keys = ("ppr", "induction", "recovery", "simple_ppr")
                metric_error = max(
                    metric_error,
                    max(abs(g - want[k]) for g, k in zip(got, keys, strict=True)),
                )
    finally:
        tuner.close()
    sec.value("peaks", "PSC peaks vs BMTool 0.8.7, max relative difference", peak_error)
    sec.goal("PSC peaks vs BMTool (relative)", 0.005, "<=", peak_error)
    sec.value("metrics", "PPR, induction, recovery vs BMTool, max difference", metric_error)
    sec.goal("PPR, induction, recovery vs BMTool", 0.005, "<=", metric_error)

    gap = REFERENCE["gap"]
    gap_tuner = GapJunctionTuner(
        mechanisms_dir=str(mods),
        templates_dir=str(templates),
        general_settings=gap["general_settings"],
        conn_type_settings=gap["conn_type_settings"],
    )
    try:
        cc_error = 0.0
        for recorded in gap["cc"]:
            gap_tuner.model(recorded["g_uS"])
            cc_error = max(cc_error, abs(gap_tuner.coupling_ratio() - recorded["cc"]))
        found = GapJunctionOptimizer(gap_tuner).optimize_resistance(0.05).optimal_resistance
    finally:
        gap_tuner.close()
    sec.value("cc", "gap-junction CC vs BMTool, max difference", cc_error)
    sec.goal("CC vs BMTool", 1e-6, "<=", cc_error)
    want = gap["optimize_resistance"]["optimal_resistance"]
    sec.value("optimum", "optimize_resistance(0.05) vs BMTool, relative", abs(found / want - 1))


def _latency(sec: Section, cfg, mods: Path, templates: Path, cell: str, label: str) -> None:
    name = "bmtool_ampa_nmda_stp"
    settings = json.loads(json.dumps(REFERENCE["synapse"][name]["conn_type_settings"]))
    settings["spec_settings"].update(post_cell=cell, sec_id=1 if cell == "LongCell" else 0)
    tuner = SynapseTuner(
        {name: settings},
        mechanisms_dir=str(mods),
        templates_dir=str(templates),
        general_settings=REFERENCE["general_settings"],
    )
    values = iter(np.linspace(50.0, 500.0, 997).tolist() * 4)

    def slider_change() -> None:
        tuner._set_syn_prop(Dep=next(values))
        tuner._simulate_model(50, 250)
        tuner._calc_ppr_induction_recovery(tuner._response_amplitude(), print_math=False)

    try:
        timing = measure(slider_change, cfg.n(full=max(cfg.repeats, 60), quick=5), warmup=2)
    finally:
        tuner.close()
    p95 = float(np.percentile(timing["samples_s"], 95))
    sec.timing(f"slider_{cell}", f"slider change to a new train's metrics, {label}", timing)
    sec.value(f"slider_{cell}_p95", f"… p95, {label}", p95 * 1e3, "ms")
    sec.goal(f"slider to metrics p95, {label}", 150.0, "<=", p95 * 1e3, unit="ms")


def _preview(sec: Section, cfg, mods: Path, templates: Path) -> None:
    """What the NEURON tuner draws first after a slider moves on the 200-segment cell:
    both trains at dt 0.1 ms after a 50 ms settle (ui/neuron_tuner.py)."""
    from neuntune.neuron import CellSpec, NeuronSession, PointProcessSpec
    from neuntune.ui.neuron_runs import measure_train
    from neuntune.ui.neuron_tuner import PREVIEW_DT, PREVIEW_START

    cell = CellSpec("LongCell", templates, mods, PointProcessSpec("AMPA_NMDA_STP", 1, 0.5))
    settings = {"start": PREVIEW_START, "clamp": -70.0, "netcon_delay": 1.3,
                "weight": 1.0, "dt": PREVIEW_DT, "celsius": 20.0}  # fmt: skip
    with NeuronSession(cell) as session:
        values = iter(np.linspace(50.0, 500.0, 997).tolist() * 4)

        def slider_change() -> None:
            session.set(Dep=next(values))
            measure_train(session, settings, 50.0, 250.0, preview=True)

        timing = measure(slider_change, cfg.n(full=max(cfg.repeats, 60), quick=5), warmup=2)
    p95 = float(np.percentile(timing["samples_s"], 95))
    label = "the tuner's preview (both streams, dt 0.1 ms), 200 segments"
    sec.timing("preview_LongCell", f"slider change to {label}", timing)
    sec.value("preview_LongCell_p95", f"… p95, {label}", p95 * 1e3, "ms")
    sec.goal(f"slider to preview p95, {label}", 150.0, "<=", p95 * 1e3, unit="ms")


def run(cfg) -> Section:
    sec = Section("bmtool_compat", "BMTool scripts on neuntune.compat.bmtool")
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", BMToolWarning)
        workdir = Path(tmp)
        mods, which = _mechanisms(workdir)
        sec.note(f"mechanisms: {which}; cells: BMTool's reference PassiveCell/PassiveGapCell")
        templates = workdir / "templates.hoc"
        templates.write_text((FIXTURES / "templates/passive_cells.hoc").read_text() + LONG_CELL)
        _numbers(sec, mods, templates)
        _latency(sec, cfg, mods, templates, "PassiveCell", "1 compartment")
        _latency(sec, cfg, mods, templates, "LongCell", "200 segments")
        _preview(sec, cfg, mods, templates)
    return sec
