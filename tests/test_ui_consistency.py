"""Issue 20: the tuner's displays agree with each other and with what was simulated,
in one unit per quantity (models and figures, without a browser)."""

import json
import math

import pytest

from neuntune import presets
from neuntune.ui.model import TunerModel, resolve_preset


@pytest.fixture
def tuner():
    model = TunerModel(resolve_preset(None))
    model.request_run()
    assert model.wait()
    yield model
    model.close()


def test_a_loaded_value_beyond_the_slider_widens_it(tuner) -> None:
    """Defect 2: a scan point (set_many) of 20 µS on the 0.1–10 µS log slider."""
    control = tuner.controls["gj.g"]
    assert control.param.position.bounds == (-1.0, 1.0)
    tuner.set_many({"gj.g": 0.02})
    low, high = control.param.position.bounds
    assert low == -1.0 and high == pytest.approx(math.log10(20.0))
    assert control.position == pytest.approx(math.log10(20.0))
    assert control.entry == pytest.approx(20.0)
    assert control.param.position.step == pytest.approx((high - low) / 1000)
    assert control.off_scale == "" and control.mark == ""
    # Linear sliders widen both ways.
    amplitude = tuner.controls["a.stim0.amplitude"]
    lo, hi = amplitude.param.position.bounds
    amplitude.entry = hi + 1.0
    amplitude.entry = lo - 2.0
    assert amplitude.param.position.bounds == (lo - 2.0, hi + 1.0)
    assert amplitude.position == lo - 2.0


def test_a_failed_run_marks_the_value_and_the_preset_saves_the_simulated_one(tuner) -> None:
    """Defect 2: 1e6 µS blows up; Download preset saved 1000 mS, a value that never ran."""
    control = tuner.controls["gj.g"]
    control.entry = 5.0
    assert tuner.wait() and tuner.error == ""
    control.entry = 1e6
    assert tuner.wait()
    assert "blew up" in tuner.error
    assert control.entry == 1e6 and control.position == pytest.approx(6.0)
    assert "Not simulated" in control.mark and "hold 5 µS" in control.mark
    assert tuner.controls["gj.g"] is control and tuner.controls["a.cm"].mark == ""
    saved = json.loads(presets.dumps(tuner.simulated_preset()))
    assert saved["connections"][0]["parameters"]["g"] == {"value": 0.005, "unit": "mS"}
    assert tuner.to_preset().circuit.get("gj.g") == 1000.0  # the current state (mS)
    # A value that runs clears the mark; the download follows.
    control.entry = 3.0
    assert tuner.wait() and tuner.error == "" and control.mark == ""
    assert tuner.simulated_preset().circuit.get("gj.g") == pytest.approx(0.003)


def test_zero_on_a_log_slider_is_marked(tuner) -> None:
    control = tuner.controls["gj.g"]
    control.entry = 0.0
    assert control.position == control.param.position.bounds[0]
    assert control.off_scale.startswith("0 µS lies below the log slider's range")
    control.entry = 2.0
    assert control.off_scale == ""
