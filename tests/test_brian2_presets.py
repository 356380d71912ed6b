"""Every bundled preset's exported Brian2 script, run in Brian2 and compared with neuntune.

The scripts run in the ``compare`` environment (brian2 2.9.0 with numpy < 2.4, which
the main environment does not hold): $NEUNTUNE_COMPARE_PYTHON, else the repository's
``.venv-compare`` that tools/test.sh builds.  Without one these tests fail (a skip in
CI would be a missing test).  The scripts use Brian2's numpy target: for runs of a few
thousand steps it is faster than compiling every code object with cython, which a
fresh CI machine would have to do each time.

Runs are shortened (t_stop, sometimes a coarser dt: both sides use the same settings)
so that the whole file takes about 70 s on two (shared) cores, Brian2 runs two at a time.

How close the traces must be, and why (measured values beside each case):
- An uncoupled cell, or one driven only by its own stimulus: the same RK4 (or
  exponential Euler) steps from the same equations, equal to rounding (< 1e-5 mV).
- Coupled cells (gap junctions, continuous synapses): Brian2 updates a ``(summed)``
  variable once per step, so a cell sees its input about dt/2 later than in neuntune's
  fully coupled integration, and the lag accumulates into a small time shift of the
  trace.  A trace shifted by s differs by at most s·max|dv/dt| over that stretch, so the
  bound is ``v_tol + lag·max|dv/dt|`` (the slope's maximum within ±lag), with ``lag``
  a step or a few, per preset: a few mV on a spike upstroke (~300 mV/ms in HH), a
  hundredth of a mV between spikes.
- Event-driven synapses: Brian2 applies an event after the step's state update, so a
  PSP starts one step later than in neuntune; where the synapse releases transmitter
  for a fixed time (BrainPy's AMPA/GABA_A) that pulse may also be a step longer or
  shorter: the bound is a fraction of the PSP height, stated per preset.
- Networks (cobahh, wb_gap_network): the same spikes per member within a tolerance;
  COBAHH uses events at step ends and exponential Euler on both sides, so its
  recorded voltages agree to rounding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from reference import upward_crossings
from scipy.ndimage import maximum_filter1d

from neuntune.presets import RunSettings, load
from neuntune.presets.brian2_export import safe, to_brian2

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p.stem for p in (ROOT / "neuntune" / "presets" / "bundled").glob("*.json"))


def compare_python() -> Path:
    """The interpreter of the compare environment, or a failure that says how to get one."""
    given = os.environ.get("NEUNTUNE_COMPARE_PYTHON")
    python = Path(given) if given else ROOT / ".venv-compare" / "bin" / "python"
    if not python.exists():
        where = f"$NEUNTUNE_COMPARE_PYTHON={given}" if given else f"{python}"
        pytest.fail(
            f"no compare environment ({where} does not exist): run tools/test.sh, which "
            "builds .venv-compare with the `compare` extra (brian2 2.9.0, numpy < 2.4), or "
            "set NEUNTUNE_COMPARE_PYTHON to a python that has it",
            pytrace=False,
        )
    return python


@dataclass(frozen=True)
class Case:
    """How a preset is run and compared: run settings replaced (t_stop, dt), the largest
    voltage difference allowed (mV) on top of what a time shift of ``lag`` ms makes
    (lag·|dv/dt|, for coupled cells), and the spike-time tolerance (ms)."""

    t_stop: float
    dt: float | None = None
    v_tol: float = 1e-6
    lag: float = 0.0  # ms: voltages may differ by what a time shift this large makes
    spike_tol: float = 0.0
    refused: str | None = None  # the export refuses the preset with this message
    # uncoupled cells: the same steps, equal to rounding (amplified on a spike upstroke:
    # 4e-10 mV in rtm_continuous's n0, 1.5e-6 mV in dsyn_pair's pre at dt 0.01)
    exact: tuple[str, ...] = ()


#: Measured with brian2 2.9.0 (numpy target) against neuntune at these settings: the
#: largest |Δv|, the largest ratio |Δv| / allowed, the largest spike-time difference.
CASES: dict[str, Case] = {
    # ideal voltage clamps set v: refused with a message saying how to run them
    "bmtool_ampa_nmda_stp": Case(0.0, refused="in mode 'ideal' sets the cell's voltage"),
    "bmtool_gaba_a_stp": Case(0.0, refused="in mode 'ideal' sets the cell's voltage"),
    # passive cells and a gap junction, the step into a (dt 0.1: linear, RK4 converged);
    # 0.0083 mV at the step's onset, 0.17 of the bound
    "bmtool_gap_cc": Case(1100.0, dt=0.1, v_tol=0.002, lag=0.1),
    # spike-source driven PSPs (~5 mV) on passive cells, dt 0.1: Brian2 applies an event
    # after the step's update, so its PSP starts one step later: 0.16 mV (expon), 0.068
    # (alpha).  AMPA and GABA_A release transmitter for T_dur = 0.5 and 1 ms (5 and 10
    # steps) from the release time; a pulse one step shorter or longer changes the
    # conductance step by 20 % and 10 %: 1.07 mV of 5.0 (ampa), 0.21 mV (gabaa)
    "brainpy_alpha": Case(120.0, v_tol=0.1),
    "brainpy_ampa": Case(120.0, v_tol=1.1),
    "brainpy_expon": Case(120.0, v_tol=0.2),
    "brainpy_gabaa": Case(120.0, v_tol=0.25),
    # 4000 cells, 30 ms: events at step ends and exponential Euler on both sides, so the
    # same spikes, each within the step it happened in (Brian2 reports the step's end,
    # neuntune the interpolated crossing: < dt), recorded voltages equal to 1e-12 mV
    "cobahh": Case(30.0, spike_tol=0.1),
    # HH cells coupled by gap junctions or a continuous synapse, dt 0.01: the lag bound.
    # hh_gap_pair 0.41 mV (ratio 0.43, spikes 0.0016 ms); rtm_continuous 1.70 mV on the
    # post cell's upstroke (0.25, 0.0018 ms; the pre cell equal to 4e-10 mV);
    # dsyn_pair 4.07 mV (0.72, 0.014 ms: the post cell's spike drifts by 1.4 steps);
    # hh_chain 2.26 mV on n3's upstroke (ratio 0.45), but 0.018 mV in n1 at a trough
    # (slope ~0) where its neighbour's late input is all there is: hence the 0.02 floor
    "dsyn_pair": Case(20.0, dt=0.01, v_tol=0.01, lag=0.02, spike_tol=0.02, exact=("pre",)),
    "hh_chain": Case(20.0, dt=0.01, v_tol=0.02, lag=0.02, spike_tol=0.01),
    "hh_gap_pair": Case(20.0, dt=0.01, v_tol=0.01, lag=0.01, spike_tol=0.005),
    "rtm_continuous": Case(30.0, v_tol=0.01, lag=0.01, spike_tol=0.005, exact=("n0",)),
    # g = 0.7 is strong for HR (the junction's time constant ~1.4 time units): the
    # lagged coupling moves spikes by 0.17 in 40 time units and x by up to 0.75
    "hr_bursting_pair": Case(40.0, dt=0.01, v_tol=0.05, lag=0.2, spike_tol=0.2),
    # 100 cells all-to-all, 20 ms: 0.64 mV (ratio 0.78), spikes within 0.011 ms
    "wb_gap_network": Case(20.0, v_tol=0.01, lag=0.01, spike_tol=0.02),
}


def test_every_bundled_preset_has_a_case():
    assert set(CASES) == set(BUNDLED)


def _settings(name: str) -> RunSettings:
    case, run = CASES[name], load(name).run
    return RunSettings(
        t_stop=case.t_stop,
        dt=case.dt or run.dt,
        method=run.method,
        precision=run.precision,
        record=run.record,
    )


@pytest.fixture(scope="module")
def brian(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    """Every exportable preset's script run in Brian2, two at a time (two cores)."""
    python = compare_python()
    folder = tmp_path_factory.mktemp("brian2")
    names = [n for n in BUNDLED if CASES[n].refused is None]

    def run(name: str) -> str:
        start = time.perf_counter()
        script = folder / f"{name}.py"
        script.write_text(to_brian2(load(name), _settings(name)))
        job = subprocess.run(
            [str(python), str(script), str(folder / f"{name}.npz")],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert job.returncode == 0, f"{name}: {job.stderr[-3000:]}"
        _report(name, brian2_seconds=round(time.perf_counter() - start, 1))
        return name

    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(run, names))
    return {name: dict(np.load(folder / f"{name}.npz")) for name in done}


def _report(name: str, **numbers: float) -> None:
    """Measured numbers, for the comments above (shown with pytest -s)."""
    print(f"{name}: " + json.dumps(numbers), file=sys.stderr)


@pytest.mark.parametrize("name", [n for n in BUNDLED if CASES[n].refused is not None])
def test_voltage_clamped_presets_are_refused_with_a_way_to_run_them(name):
    with pytest.raises(ValueError, match=CASES[name].refused) as info:
        to_brian2(load(name))
    assert "rs in MOhm" in str(info.value) and "neuntune run PRESET" in str(info.value)


@pytest.mark.parametrize("name", [n for n in BUNDLED if CASES[n].refused is None])
def test_exported_preset_matches_neuntune_in_brian2(name, brian):
    case, b = CASES[name], brian[name]
    settings = _settings(name)
    preset = load(name)
    o = preset.simulate(**settings.arguments())
    t = o.t[:-1]  # Brian2 records at the start of each step
    assert np.allclose(b["t"], t, rtol=0, atol=1e-9)
    worst: dict[str, float] = {}
    beyond: list[str] = []
    for cell, ours in o.v.items():
        spikes = o.spikes[cell]
        if np.ndim(ours) == 2:  # a population: the members the run records
            members = b[f"{cell}.members"]
            v = np.asarray(ours)[:, :-1] if len(members) == np.shape(ours)[0] else None
            counted = len(spikes.t)
            assert len(b[f"{cell}.spikes"]) == counted, (cell, counted)
            for member in range(preset.circuit.size(cell)):
                theirs = np.sort(b[f"{cell}.spikes"][b[f"{cell}.spike_i"] == member])
                mine = np.sort(spikes.t[spikes.i == member])
                assert len(theirs) == len(mine), (cell, member)
                if len(mine):
                    shift = float(np.max(np.abs(theirs - mine)))
                    worst["spike shift"] = max(worst.get("spike shift", 0.0), shift)
            if v is None:
                continue
        else:
            v = np.asarray(ours)[:-1]
            voltage = safe(preset.circuit.neurons[cell].resolved().voltage or "v")
            theirs = upward_crossings(b["t"], b[f"{cell}.{voltage}"]) if len(spikes) else []
            assert len(theirs) == len(spikes) == len(b[f"{cell}.spikes"]), cell
            if len(spikes):
                shift = float(np.max(np.abs(np.asarray(theirs) - spikes)))
                worst["spike shift"] = max(worst.get("spike shift", 0.0), shift)
        voltage = safe(preset.circuit.neurons[cell].resolved().voltage or "v")
        dv = np.abs(b[f"{cell}.{voltage}"] - v)
        if cell in case.exact:
            assert dv.max() < 1e-5, (cell, float(dv.max()))
        allowed = case.v_tol
        if case.lag:  # at most what v moves in a time ``lag``: lag * max |dv/dt| nearby
            steps = int(np.ceil(case.lag / settings.dt))
            slope = np.abs(np.gradient(v, t, axis=-1))
            nearby = maximum_filter1d(slope, 2 * steps + 1, axis=-1, mode="nearest")
            allowed = allowed + case.lag * nearby
        worst["max |dv| mV"] = max(worst.get("max |dv| mV", 0.0), float(dv.max()))
        worst["max |dv|/allowed"] = max(
            worst.get("max |dv|/allowed", 0.0), float(np.max(dv / allowed))
        )
        if not np.all(dv <= allowed):
            beyond.append(cell)
    _report(name, **worst)
    assert not beyond, f"{name}: voltages beyond the bound in {beyond}: {worst}"
    assert worst.get("spike shift", 0.0) <= case.spike_tol
