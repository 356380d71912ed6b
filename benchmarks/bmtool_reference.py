"""Record BMTool 0.8.7's own numbers on the cells of neuntune's bundled ``bmtool_*``
presets: ``tests/data/bmtool_0.8.7.json``, the committed reference for
``neuntune.analysis.bmtool`` and (issue 17, step 3) the presets.

    python benchmarks/bmtool_reference.py [--bmtool-src PATH] [--out FILE]

Runs the *real* BMTool (``bmtool.synapses`` 0.8.7 on NEURON 8.2.4) in its own venv,
``.venv-bmtool`` (built by ``tools/bmtool_venv.sh``, which this script calls), from a
fresh temporary working directory without an ``x86_64/`` folder.  No CI test runs it:
BMTool pins NEURON 8.2.4; its numbers are committed instead.

Mod files.  BMTool's ``AMPA_NMDA_STP.mod`` and ``GABA_A_STP.mod`` are Blue Brain's
(CC BY-NC-SA 4.0) and are **not** copied into this repository, nor is ``gap.mod``.
The BMTool wheel does not ship them either, so they are read at run time from BMTool's
own tutorial folder ``docs/examples/notebooks/synapses/synaptic_tuner/modfiles`` at
commit ``e329014`` (its ``synapses.py`` is byte-identical to the 0.8.7 wheel's): from a
BMTool checkout or bare git clone given by ``--bmtool-src`` (or $BMTOOL_SRC), else
downloaded from GitHub at that commit.  Their MD5s are checked.  They are compiled
with the venv's ``nrnivmodl`` into a cache folder outside the repository
(``$NEUNTUNE_CACHE`` or ``~/.cache/neuntune``, ``bmtool-0.8.7/<hash>``) and reused.
The hoc templates are written by this script: ``PassiveCell`` (one 2e-5 cm² soma,
``g_pas`` 1e-4 S/cm², ``e_pas`` −70 mV, cm 1 µF/cm², as ``bmtool_ampa_nmda_stp`` and
``bmtool_gaba_a_stp``) and ``PassiveGapCell`` (the same at −65 mV, ``bmtool_gap_cc``).

Cases recorded (units: currents nA as NEURON records them unless a key says pA, times
ms, conductances µS, ``dt`` 0.025 ms):

* ``synapse.<preset>``: ``SynapseTuner`` with ``tstart`` 50 ms (so its spikes are the
  presets' 50…190 and 440…500 ms), NetCon delay 1.3 ms, weight 1, the mechanism's
  defaults (the presets' values, set explicitly), the clamp at −70 mV (AMPA_NMDA_STP)
  or 0 mV (GABA_A_STP).  For ``vclamp`` False and True: ``_simulate_model(50, 250)``,
  ``_response_amplitude()`` (the 12 peaks, nA, BMTool's sign), ``_find_max_amp``,
  ``_calc_ppr_induction_recovery`` and the baseline and sign it used;
  ``SingleEvent`` then ``_get_syn_prop``; ``stp_frequency_response`` (vclamp False).
  Traces (float64, full resolution, NEURON's own samples): the train's ``syn.i`` from
  the sample BMTool takes its baseline at, as ``segments``: the first 5 ms of each
  window (each PSC's peak); the samples left out (each PSC's decay) are below their
  window's peak, and filling them with the first sample gives BMTool's amplitudes
  exactly for both baselines (checked here); and the single event's whole ``syn.i``
  from its baseline sample (its decay fit reads all of it).
* ``gap``: ``GapJunctionTuner`` on two ``PassiveGapCell``s (``tstart`` 500, ``tdur``
  500 ms, −0.01 nA): ``coupling_ratio()`` at g = 1e-4, 1e-3, 1e-2 µS, with the samples
  around its two single samples, and ``GapJunctionOptimizer.optimize_resistance(0.05)``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "tests" / "data" / "bmtool_0.8.7.json"
BMTOOL_COMMIT = "e329014f6c555569884b5a9a58bd9476cf4c21f4"
MOD_FOLDER = "docs/examples/notebooks/synapses/synaptic_tuner/modfiles"
MODS = {
    "AMPA_NMDA_STP.mod": "af17373ff057ad817ee8e50b5f34d78b",
    "GABA_A_STP.mod": "c966b17de00656e358b15a2aaa65fa1c",
    "gap.mod": "5f418db9f6ff5e296f4569103b559e8c",
}
#: sqrt(2000 µm² / π): a cylinder with L = diam has area π·diam² = 2e-5 cm².
DIAM = math.sqrt(2000.0 / math.pi)
TEMPLATE = """\
begintemplate {name}
    public init, soma, all
    create soma[1]
    objref all
    proc init() {{
        all = new SectionList()
        soma[0] {{
            all.append()
            nseg = 1  L = {d!r}  diam = {d!r}  cm = 1  Ra = 100
            insert pas  g_pas = 1e-4  e_pas = {e}
        }}
    }}
endtemplate {name}
"""
#: The synapse presets' cell (rests at -70 mV) and the gap-junction preset's (-65 mV).
TEMPLATES = "\n".join(
    TEMPLATE.format(name=name, d=DIAM, e=e)
    for name, e in (("PassiveCell", -70), ("PassiveGapCell", -65))
)

GENERAL = {
    "vclamp": False,
    "rise_interval": [0.1, 0.9],
    "tstart": 50.0,
    "tdur": 100.0,
    "threshold": -15.0,
    "delay": 1.3,
    "weight": 1.0,
    "dt": 0.025,
    "celsius": 20,
}
CONNECTIONS = {
    "bmtool_ampa_nmda_stp": {
        "spec_settings": {
            "post_cell": "PassiveCell",
            "vclamp_amp": -70.0,
            "sec_id": 0,
            "sec_x": 0.5,
            "level_of_detail": "AMPA_NMDA_STP",
        },
        "spec_syn_param": {
            "initW": 1.0,
            "tau_r_AMPA": 0.2,
            "tau_d_AMPA": 1.7,
            "tau_r_NMDA": 0.29,
            "tau_d_NMDA": 43.0,
            "Use": 1.0,
            "Dep": 100.0,
            "Fac": 10.0,
            "e": 0.0,
            "mg": 1.0,
            "NMDA_ratio": 0.71,
            "u0": 0.0,
        },
    },
    "bmtool_gaba_a_stp": {
        "spec_settings": {
            "post_cell": "PassiveCell",
            "vclamp_amp": 0.0,
            "sec_id": 0,
            "sec_x": 0.5,
            "level_of_detail": "GABA_A_STP",
        },
        "spec_syn_param": {
            "initW": 1.0,
            "tau_r_GABAA": 0.2,
            "tau_d_GABAA": 8.0,
            "Use": 1.0,
            "Dep": 100.0,
            "Fac": 10.0,
            "e_GABAA": -75.0,
            "u0": 0.0,
        },
    },
}
GAP_GENERAL = {"tstart": 500.0, "tdur": 500.0, "dt": 0.025, "celsius": 20, "iclamp_amp": -0.01}
GAP_CONNECTIONS = {
    "bmtool_gap_cc": {
        "cell": "PassiveGapCell",
        "sec_id": 0,
        "sec_x": 0.5,
        "iclamp_amp": -0.01,
        "level_of_detail": "gap",
    }
}
GAP_G = (1e-4, 1e-3, 1e-2)
#: Each of the train's windows (spike + NetCon delay to the next one's) is kept for this
#: long after its start; the rest is the PSC's decay, below that window's peak.
WINDOW_KEPT = 5.0


def _cache_root() -> Path:
    return Path(os.environ.get("NEUNTUNE_CACHE", Path.home() / ".cache" / "neuntune"))


def _read_mods(src: str | None) -> dict[str, bytes]:
    """The three mod files, from a BMTool checkout / git clone, or GitHub."""
    texts: dict[str, bytes] = {}
    for name in MODS:
        rel = f"{MOD_FOLDER}/{name}"
        if src is not None and (Path(src) / rel).is_file():
            data = (Path(src) / rel).read_bytes()
        elif src is not None:
            data = subprocess.run(
                ["git", f"--git-dir={src}", "show", f"{BMTOOL_COMMIT}:{rel}"],
                check=True,
                capture_output=True,
            ).stdout
        else:
            url = f"https://raw.githubusercontent.com/cyneuro/bmtool/{BMTOOL_COMMIT}/{rel}"
            with urllib.request.urlopen(url, timeout=60) as response:
                data = response.read()
        if hashlib.md5(data).hexdigest() != MODS[name]:
            sys.exit(f"bmtool_reference: {name} is not BMTool {BMTOOL_COMMIT[:7]}'s (MD5)")
        texts[name] = data
    return texts


def _compiled(python: str, mods: dict[str, bytes]) -> Path:
    """A cache folder holding the mods compiled by the venv's nrnivmodl, and the templates."""
    key = hashlib.sha256(b"".join(mods[n] for n in sorted(mods)) + TEMPLATES.encode()).hexdigest()
    folder = _cache_root() / "bmtool-0.8.7" / key[:16]
    lib = folder / "x86_64" / ".libs" / "libnrnmech.so"
    if not lib.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in mods.items():
            (folder / name).write_bytes(data)
        (folder / "templates.hoc").write_text(TEMPLATES)
        nrnivmodl = Path(python).parent / "nrnivmodl"
        run = subprocess.run([str(nrnivmodl)], cwd=folder, capture_output=True, text=True)
        if run.returncode != 0 or not lib.is_file():
            sys.exit(f"bmtool_reference: nrnivmodl failed in {folder}:\n{run.stdout}{run.stderr}")
    return folder


def _kept_segments(i_syn, tspk, dt, delay, i0):
    """[first index, samples] of the train trace that are kept: from ``i0`` to
    WINDOW_KEPT ms into the first window, then WINDOW_KEPT ms of each later window."""
    import numpy as np

    starts = np.floor((np.asarray(tspk) + delay) / dt).astype(int)
    n_keep = round(WINDOW_KEPT / dt)
    stops = np.minimum(starts + n_keep, np.append(starts[1:], i_syn.size))
    starts = starts.copy()
    starts[0] = i0
    return [(int(a), i_syn[a:b]) for a, b in zip(starts, stops, strict=True)]


def _venv_python() -> str:
    run = subprocess.run(
        [str(ROOT / "tools" / "bmtool_venv.sh")], check=True, capture_output=True, text=True
    )
    return run.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bmtool-src", default=os.environ.get("BMTOOL_SRC"))
    parser.add_argument("--python", help="an interpreter with bmtool 0.8.7 (default: .venv-bmtool)")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(Path(args.worker), Path(args.out))
        return
    python = args.python or _venv_python()
    folder = _compiled(python, _read_mods(args.bmtool_src))
    with tempfile.TemporaryDirectory() as cwd:  # no x86_64/ here: only the cache's is loaded
        raw = Path(cwd) / "raw.json"
        cmd = [python, str(Path(__file__).resolve()), "--worker", str(folder), "--out", str(raw)]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        subprocess.run(cmd, cwd=cwd, check=True, env=env)
        data = json.loads(raw.read_text())
    Path(args.out).write_text(_dumps(data) + "\n")
    print(f"bmtool_reference: wrote {shown(args.out)} ({Path(args.out).stat().st_size} bytes)")


def shown(path: str) -> str:
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name


def _dumps(obj, indent: int = 0) -> str:
    """JSON with one line per list of numbers (the traces stay readable by line)."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {_dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        items = [pad + _dumps(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


# --------------------------------------------------------------------------- worker
# Runs inside .venv-bmtool (NEURON 8.2.4, numpy < 2.4, bmtool 0.8.7).


def _worker(folder: Path, out: Path) -> None:
    import importlib.metadata

    import matplotlib

    matplotlib.use("Agg")
    import neuron
    import numpy as np
    from bmtool.synapses import GapJunctionOptimizer, GapJunctionTuner, SynapseTuner
    from neuron import h

    def floats(x) -> list[float]:
        return [float(v) for v in np.asarray(x, dtype=float)]

    result: dict = {
        "source": {
            "bmtool": importlib.metadata.version("bmtool"),
            "neuron": neuron.__version__,
            "numpy": np.__version__,
            "bmtool_commit_of_mods": BMTOOL_COMMIT,
            "mods": sorted(MODS),
            "script": "benchmarks/bmtool_reference.py",
            "units": "currents nA (as NEURON records them) unless a key ends in _pA; "
            "times ms; conductances uS; voltages mV",
        },
        "cell": {
            "area_cm2": 2e-5,
            "diam_um": DIAM,
            "g_pas_S_cm2": 1e-4,
            "e_pas_mV": -70.0,
            "cm_uF_cm2": 1.0,
        },
        "general_settings": GENERAL,
        "synapse": {},
    }
    general = {**GENERAL, "rise_interval": tuple(GENERAL["rise_interval"])}
    tuner = SynapseTuner(
        mechanisms_dir=str(folder),
        templates_dir=str(folder / "templates.hoc"),
        conn_type_settings=json.loads(json.dumps(CONNECTIONS)),
        general_settings=general,
        connection="bmtool_ampa_nmda_stp",
        current_name="i",
    )
    dt = GENERAL["dt"]
    for conn in CONNECTIONS:
        if conn != tuner.current_connection:
            tuner._switch_connection(conn)
        case: dict = {"conn_type_settings": CONNECTIONS[conn]}
        tuner.vclamp = False
        tuner._simulate_model(50, 250)
        i_syn = np.asarray(tuner.rec_vectors["i"], dtype=float)
        ivcl = np.asarray(tuner.ivcl, dtype=float)
        tspk = floats(tuner.tspk)
        case["train"] = {"freq_Hz": 50.0, "delay_ms": 250.0, "tstop": float(h.tstop)}
        case["train"]["n_samples"] = int(i_syn.size)
        case["train"]["tspk"] = tspk
        for vclamp in (False, True):
            tuner.vclamp = vclamp
            prop = tuner._get_syn_prop(short=True, dt=h.dt)
            amp = tuner._response_amplitude()
            ppr, induction, recovery, simple_ppr = tuner._calc_ppr_induction_recovery(
                amp, print_math=False
            )
            case["train"][f"vclamp={vclamp}"] = {
                "baseline": float(prop["baseline"]),
                "sign": float(prop["sign"]),
                "amp": floats(amp),
                "ispk": [int(k) for k in tuner.ispk],
                "max_amp_pA": float(tuner._find_max_amp(amp)),
                "ppr": float(ppr),
                "induction": float(induction),
                "recovery": float(recovery),
                "simple_ppr": float(simple_ppr),
            }
        # The trace from BMTool's baseline sample, each window kept for WINDOW_KEPT ms
        # after its start; the rest (the decay below that window's peak) is left out,
        # and a reader fills it with the first sample (see _kept_segments).
        i0 = int(np.floor(tspk[0] / dt))
        segments = _kept_segments(i_syn, tspk, dt, GENERAL["delay"], i0)
        recon = np.full(i_syn.size, i_syn[i0])
        for first, values in segments:
            recon[first : first + len(values)] = values
        for vclamp in (False, True):  # the reconstruction keeps BMTool's amplitudes
            rec = case["train"][f"vclamp={vclamp}"]
            ends = np.floor((np.append(tspk, h.tstop) + GENERAL["delay"]) / dt).astype(int)
            dev = (recon - rec["baseline"]) * rec["sign"]
            again = [dev[ends[k] : ends[k + 1]].max() for k in range(len(tspk))]
            assert again == rec["amp"], "a left-out sample would change BMTool's amplitudes"
        case["train"]["trace"] = {
            "start_index": i0,
            "fill": "samples not in a segment equal the first sample, i[start_index]",
            "segments": [[first, floats(values)] for first, values in segments],
            "ivcl_at": {str(k): float(ivcl[k]) for k in (i0, i0 + 1)},
        }
        tuner.vclamp = False
        case["frequency_response"] = {
            k: floats(v)
            for k, v in tuner.stp_frequency_response(plot=False, log_plot=False).items()
        }
        for vclamp in (False, True):
            tuner.vclamp = vclamp
            try:  # SingleEvent ends in _get_syn_prop, whose decay fit can fail
                tuner.SingleEvent(plot_and_print=False)
            except RuntimeError as error:
                single = {"error": f"{type(error).__name__}: {error}"}
            else:
                prop = tuner._get_syn_prop(rise_interval=general["rise_interval"], dt=h.dt)
                single = {k: float(v) for k, v in prop.items()}
            if not vclamp:
                i_se = np.asarray(tuner.rec_vectors["i"], dtype=float)
                s0 = int(np.floor(float(tuner.tspk[0]) / dt))
                single["tspk"] = floats(tuner.tspk)
                single["tstop"] = float(h.tstop)
                single["trace"] = {"start_index": s0, "i": floats(i_se[s0:])}
            case[f"single_event_vclamp={vclamp}"] = single
        tuner.vclamp = False
        result["synapse"][conn] = case

    gap = GapJunctionTuner(
        mechanisms_dir=str(folder),
        templates_dir=str(folder / "templates.hoc"),
        general_settings=dict(GAP_GENERAL),
        conn_type_settings=json.loads(json.dumps(GAP_CONNECTIONS)),
    )
    gcase: dict = {
        "general_settings": GAP_GENERAL,
        "conn_type_settings": GAP_CONNECTIONS,
        "e_pas_mV": -65.0,
        "cc": [],
    }
    t_start = GAP_GENERAL["tstart"]
    t_end = t_start + GAP_GENERAL["tdur"]
    for g in GAP_G:
        gap.model(g)
        t = np.asarray(gap.t_vec, dtype=float)
        v1 = np.asarray(gap.soma_v_1, dtype=float)
        v2 = np.asarray(gap.soma_v_2, dtype=float)
        idx1 = int(np.nonzero(t < t_start)[0][-1])
        idx2 = int(np.nonzero(t < t_end)[0][-1])
        keep = np.r_[idx1 - 3 : idx1 + 4, idx2 - 3 : idx2 + 4]
        gcase["cc"].append(
            {
                "g_uS": g,
                "cc": float(gap.coupling_ratio()),
                "idx": [idx1, idx2],
                "samples": {
                    "index": [int(k) for k in keep],
                    "t": floats(t[keep]),
                    "v1": floats(v1[keep]),
                    "v2": floats(v2[keep]),
                },
            }
        )
    res = GapJunctionOptimizer(gap).optimize_resistance(target_cc=0.05)
    gcase["optimize_resistance"] = {
        "target_cc": 0.05,
        "resistance_bounds": [1e-4, 1e-2],
        "optimal_resistance": float(res.optimal_resistance),
        "achieved_cc": float(res.achieved_cc),
        "error": float(res.error),
        "n_evaluations": len(res.optimization_path),
        "path": [[float(p["resistance"]), float(p["achieved_cc"])] for p in res.optimization_path],
    }
    result["gap"] = gcase
    out.write_text(json.dumps(result, allow_nan=False))


if __name__ == "__main__":
    main()
