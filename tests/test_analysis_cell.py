"""Cell characterisation: a passive cell's exact input resistance and time constant,
and HH's rheobase and f–I curve checked by direct simulation."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.analysis import input_resistance, membrane_time_constant
from neuntune.protocols import fi_curve, rheobase

AREA, GL, CM = 7.854e-3, 0.1, 1.0  # cm², mS/cm², µF/cm²
STEP = -2e-3  # µA


@pytest.fixture(scope="module")
def passive_run() -> nt.Result:
    """A passive cell at rest (v0 = el) with a hyperpolarising step from 20 to 220 ms."""
    c = nt.Circuit()
    c.add("a", nt.Passive(cm=CM, gl=GL, area=AREA, el=-65.0, v0=-65.0))
    c.stimulate("a", nt.Step(amplitude=STEP, start=20.0, stop=220.0))
    return nt.simulate(c, 220.0, 0.025)


def test_input_resistance_of_a_passive_cell_is_one_over_its_leak(passive_run):
    """R_in = 1/(gl·area) = 1/(7.854e-4 mS) = 1.273 MΩ.  The steady window starts 150 ms
    (15 τ) into the step, leaving e^−15 ≈ 3e-7 of the deflection."""
    res = passive_run
    expected = 1e-3 / (GL * AREA)  # 1/mS is kΩ
    windows = {"baseline": (0.0, 19.0), "steady": (170.0, 219.0)}  # inside the step
    assert input_resistance(res.t, res.v["a"], STEP, **windows) == pytest.approx(expected, rel=1e-5)
    # the recorded stimulus current gives ΔI itself
    current = res.current["a.stim0"]
    assert input_resistance(res.t, res.v["a"], current, **windows) == pytest.approx(
        expected, rel=1e-5
    )


def test_membrane_time_constant_of_a_passive_cell_is_cm_over_gl(passive_run):
    """The charging curve of a passive cell is a single exponential with τ = cm/gl = 10 ms,
    wherever the fit window starts within the step."""
    res = passive_run
    for window in ((20.0, 120.0), (35.0, 200.0)):
        assert membrane_time_constant(res.t, res.v["a"], window) == pytest.approx(CM / GL, rel=1e-6)


def test_cell_metrics_reject_bad_input(passive_run):
    res = passive_run
    with pytest.raises(ValueError, match=r"steady: window \(170, 300\) ms is outside the trace"):
        input_resistance(res.t, res.v["a"], STEP, (0.0, 19.0), (170.0, 300.0))
    with pytest.raises(ValueError, match=r"current: .* ΔI must be nonzero"):
        input_resistance(res.t, res.v["a"], np.zeros_like(res.t), (0.0, 19.0), (170.0, 220.0))
    with pytest.raises(ValueError, match=r"window: .* at least 4"):
        membrane_time_constant(res.t, res.v["a"], (20.0, 20.04))


def _hh_step_run(amplitude: float) -> np.ndarray:
    """Spike times of an HH cell from rest with a step of ``amplitude`` µA, 5–105 ms."""
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.stimulate("a", nt.Step(amplitude=amplitude, start=5.0, stop=105.0))
    return nt.simulate(c, 105.0, 0.025, init="rest").spikes["a"]


@pytest.fixture(scope="module")
def hh_with_drive() -> nt.Circuit:
    """An HH cell with a constant drive that would make it fire: the protocols remove it."""
    c = nt.Circuit()
    c.add("a", nt.HH())
    c.stimulate("a", nt.Constant(amplitude=0.1))
    return c


def test_rheobase_of_hh_is_bracketed_by_direct_simulation(hh_with_drive):
    r = rheobase(hh_with_drive, "a", duration=100.0, delay=5.0, dt=0.025, rtol=1e-3)
    assert len(_hh_step_run(r)) >= 1
    assert len(_hh_step_run(r * (1 - 1e-3))) == 0
    # HH's threshold for a long step is a few µA/cm² (≈ 2.2–2.5 in the literature)
    assert 1.0 < r / AREA < 5.0
    # the caller's circuit is untouched: still its own drive and nothing else
    assert list(hh_with_drive.stimuli) == ["a.stim0"]
    assert hh_with_drive.get("a.stim0.amplitude") == 0.1


def test_rheobase_with_a_bracket_and_its_errors(hh_with_drive):
    r = rheobase(hh_with_drive, "a", duration=100.0, delay=5.0, dt=0.025, bracket=(0.01, 0.03))
    assert len(_hh_step_run(r)) >= 1 and len(_hh_step_run(r * (1 - 1e-3))) == 0
    with pytest.raises(ValueError, match="bracket: 'a' does not spike at the high end"):
        rheobase(hh_with_drive, "a", duration=100.0, delay=5.0, dt=0.025, bracket=(0.0, 0.01))
    with pytest.raises(ValueError, match="cell: 'b' is not a cell"):
        rheobase(hh_with_drive, "b")


def test_fi_curve_of_hh(hh_with_drive):
    """Below rheobase (and at 0 µA, despite the circuit's own drive) the rate is 0; above,
    it equals the spike count of a direct run over the step's 100 ms and rises with
    current (HH fires at ≈ 50–100 Hz at 6.3 °C)."""
    amplitudes = [0.0, 0.01, 0.05, 0.1, 0.2]
    fi = fi_curve(hh_with_drive, "a", amplitudes, duration=100.0, delay=5.0, dt=0.025)
    np.testing.assert_array_equal(fi.amplitude, amplitudes)
    assert fi.rate[0] == 0.0 and fi.rate[1] == 0.0
    direct = _hh_step_run(0.1)
    assert fi.rate[3] == pytest.approx(len(direct) / 0.1)  # spikes per 100 ms, in Hz
    np.testing.assert_allclose(fi.spikes[3], direct - 5.0)
    assert np.all(np.diff(fi.rate[2:]) > 0)
    assert 40.0 < fi.rate[3] < 120.0
    late = fi_curve(hh_with_drive, "a", [0.1], duration=100.0, delay=5.0, dt=0.025, skip=50.0)
    assert late.rate[0] == pytest.approx(np.count_nonzero(direct >= 55.0) / 0.05)
