"""Bad input gets a clear error; a blow-up stops with time, variable and a smaller dt."""

import numpy as np
import pytest

import neuntune as nt


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"dt": 0.0}, ValueError, r"dt: 0.0 ms is not allowed; it must be a finite number > 0"),
        ({"dt": -0.01}, ValueError, "dt: -0.01 ms is not allowed"),
        ({"dt": float("nan")}, ValueError, "dt: nan ms"),
        ({"t_stop": 0.0}, ValueError, "t_stop: 0.0 ms"),
        ({"t_stop": "10"}, TypeError, "t_stop: expected a number of ms"),
        ({"dt": 20.0}, ValueError, "longer than t_stop"),
        ({"method": "rk5"}, ValueError, "method: 'rk5' is not one of euler, rk4, rk6, expeuler"),
        ({"precision": "half"}, ValueError, "precision: 'half'"),
        ({"record_every": 0}, ValueError, "record_every: 0"),
        ({"record_every": 1.5}, TypeError, "record_every"),
        (
            {"record": ["a.q"]},
            ValueError,
            r"nothing called 'a.q' can be recorded \(choices: 'v', a.v",
        ),
        ({"init": "resting"}, ValueError, "init: 'resting'"),
        ({"init": {"a.q": 1.0}}, ValueError, "init: 'a.q' is not a state"),
    ],
)
def test_bad_run_settings(hh_pair, kwargs, error, text):
    settings = dict(t_stop=10.0, dt=0.01) | kwargs
    with pytest.raises(error, match=text):
        nt.simulate(hh_pair, **settings)


def test_negative_capacitance_is_refused():
    with pytest.raises(ValueError, match=r"cm: value -1 uF/cm2 is out of range; allowed: > 0"):
        nt.HH(cm=-1.0)
    c = nt.Circuit()
    c.add("a", nt.HH())
    with pytest.raises(ValueError, match=r"a.cm: value -1"):
        c.set("a.cm", -1.0)


def test_unknown_parameter_is_refused(hh_pair):
    with pytest.raises(KeyError, match=r"a.gnaa: HH has no parameter 'gnaa'"):
        hh_pair.set("a.gnaa", 1.0)


def test_a_recording_too_large_for_memory_is_refused_before_running(hh_pair):
    with pytest.raises(ValueError, match=r"needs .* GB, over the limit .* record_every ≥"):
        nt.simulate(hh_pair, 1e7, 0.001)
    # the same run decimated fits
    res = nt.simulate(hh_pair, 50.0, 0.001, record="v", record_every=5000, max_bytes=10_000)
    assert len(res.t) == 11


def test_a_blow_up_names_time_variable_and_a_smaller_dt(hh_pair):
    with pytest.raises(nt.SimulationError) as info:
        nt.simulate(hh_pair, 50.0, 0.2)
    err = info.value
    assert 0 < err.t <= 50.0 and err.variable.split(".")[0] in ("a", "b")
    assert err.suggested_dt == pytest.approx(0.05)
    assert "blew up" in str(err) and "try dt = 0.05 ms" in str(err)
    res = nt.simulate(hh_pair, 50.0, err.suggested_dt)  # the suggestion works here
    assert np.all(np.isfinite(res.v["a"]))


def test_a_cell_that_never_settles_has_no_rest(hh_pair):
    hh_pair.set("a.el", -20.0)  # a leak this depolarised drives repetitive firing
    with pytest.raises(nt.SimulationError, match="keeps changing"):
        nt.simulate(hh_pair, 10.0, 0.01, init="rest")


def test_progress_can_cancel_a_run(hh_pair):
    seen = []

    def progress(fraction):
        seen.append(fraction)
        return fraction > 0.3

    with pytest.raises(nt.CancelledError):
        nt.simulate(hh_pair, 100.0, 0.001, progress=progress)
    assert 0.3 < seen[-1] < 0.5
