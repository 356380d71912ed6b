"""Recorded traces (neuntune.io): ABF and NWB read through pyabf and pynwb.

Each file is written here, with the readers' own writers, from a known waveform; the
tests check that what comes back is that waveform in engine units (ms, mV, µA).  The
CSV reader's tests are in test_ui_workflows.py, next to the Data tab that shows it.
"""

from __future__ import annotations

import datetime
import gc
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pynwb
import pytest
from pyabf import abfWriter

from neuntune.io import RecordingError, read_abf, read_nwb, read_recording, reader

RATE = 20_000.0  # Hz
N = 1000  # samples a sweep (pyabf's ABF1 reader needs a file of a few kB)
TAU = 0.005  # s
SECONDS = np.arange(N) / RATE
DT_MS = 1000.0 / RATE


def decay(scale: float) -> np.ndarray:
    return scale * np.exp(-SECONDS / TAU)


# ---------------------------------------------------------------------------- ABF

# three sweeps of an EPSC-like (inward, negative) current in pA, growing sweep by sweep
CURRENT_PA = np.array([decay(-50.0 * (k + 1)) for k in range(3)])
# three sweeps of a membrane potential in mV relaxing to -65 mV
VOLTAGE_MV = np.array([-65.0 + decay(10.0 * (k + 1)) for k in range(3)])


def quantum(sweeps: np.ndarray) -> float:
    """Rounding of pyabf's ABF1 writer (int16 counts; full scale the first power of ten
    at or above the largest value): a count is below 10 * max|value| / 32767."""
    return 10.0 * float(np.max(np.abs(sweeps))) / 32767


@pytest.fixture(scope="module")
def abf_files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("abf")
    files = {}
    for name, sweeps, unit in [
        ("current", CURRENT_PA, "pA"),
        ("voltage", VOLTAGE_MV, "mV"),
        ("temperature", VOLTAGE_MV, "degC"),
    ]:
        path = folder / f"{name}.abf"
        abfWriter.writeABF1(sweeps, str(path), RATE, units=unit)
        files[name] = path.read_bytes()
    return files


def test_abf_current_first_sweep_in_microamps(abf_files):
    rec = read_abf(abf_files["current"], "cell.abf")
    assert rec.source == "cell.abf"
    assert rec.label == "sweep 1"
    assert rec.channels == ("sweep 1", "sweep 2", "sweep 3")
    assert (rec.quantity, rec.unit) == ("current", "uA")
    assert rec.t.size == rec.y.size == N
    assert rec.t[0] == 0.0
    np.testing.assert_allclose(np.diff(rec.t), DT_MS, rtol=1e-6)
    np.testing.assert_allclose(rec.t, SECONDS * 1000.0, rtol=1e-6, atol=1e-9)
    # pA -> µA is 1e-6; the trace stays negative (inward), as recorded
    np.testing.assert_allclose(rec.y, CURRENT_PA[0] * 1e-6, rtol=0, atol=quantum(CURRENT_PA) * 1e-6)
    assert rec.y[0] < 0 and rec.y.max() <= 0  # (the tail rounds to 0 in int16 counts)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_abf_sweep_choice(abf_files, k):
    rec = read_abf(abf_files["current"], "cell.abf", sweep=f"sweep {k + 1}")
    assert rec.label == f"sweep {k + 1}"
    np.testing.assert_allclose(rec.y, CURRENT_PA[k] * 1e-6, rtol=0, atol=quantum(CURRENT_PA) * 1e-6)
    # each sweep's time starts again at 0
    assert rec.t[0] == 0.0
    np.testing.assert_allclose(rec.t[-1], (N - 1) * DT_MS, rtol=1e-6)


def test_abf_voltage_stays_in_millivolts(abf_files):
    rec = read_recording(abf_files["voltage"], "Cell.ABF", "sweep 2")  # by extension, any case
    assert (rec.quantity, rec.unit, rec.label) == ("voltage", "mV", "sweep 2")
    assert rec.channels == ("sweep 1", "sweep 2", "sweep 3")
    np.testing.assert_allclose(rec.y, VOLTAGE_MV[1], rtol=0, atol=quantum(VOLTAGE_MV))
    np.testing.assert_allclose(np.diff(rec.t), DT_MS, rtol=1e-6)


@pytest.mark.parametrize("name", ["sweep 4", "sweep 0", "2", "Sweep 1"])
def test_abf_bad_sweep_name(abf_files, name):
    with pytest.raises(RecordingError, match=r"cell\.abf: no .* \(it has 3 sweeps\)"):
        read_abf(abf_files["current"], "cell.abf", sweep=name)


@pytest.mark.parametrize("data", [b"", b"not an ABF file\n" * 500, b"ABF " + bytes(300)])
def test_abf_garbage_bytes(data):
    with pytest.raises(RecordingError, match=r"junk\.abf: pyabf cannot read it"):
        read_recording(data, "junk.abf")


def test_abf_unit_neither_voltage_nor_current(abf_files):
    with pytest.raises(RecordingError, match="'degC' is not a voltage"):
        read_abf(abf_files["temperature"], "temp.abf")


# ---------------------------------------------------------------------------- NWB

VC_PA = decay(-80.0)  # clamp current, pA, stored as float with conversion 1e-12 (-> A)
VC_START = 0.25  # s, starting_time of the VC series
CC_COUNTS = np.round(decay(20.0)).astype(np.int16)  # digitizer counts, 1 mV a count
CC_CONVERSION = 1e-3  # V a count
CC_OFFSET = -0.065  # V, so the potential is counts + (-65) mV
CC_STAMPS = 0.1 + SECONDS + SECONDS**2  # s, irregular (spacing grows)


def _nwb_file(pynwb, identifier: str):
    return pynwb.NWBFile(
        session_description="neuntune test",
        identifier=identifier,
        session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    )


def _write(pynwb, nwb, path: Path) -> bytes:
    with pynwb.NWBHDF5IO(str(path), "w") as handle:
        handle.write(nwb)
    return path.read_bytes()


@pytest.fixture(scope="module")
def nwb_files(tmp_path_factory) -> dict[str, bytes]:
    from pynwb.icephys import CurrentClampSeries, VoltageClampSeries

    folder = tmp_path_factory.mktemp("nwb")
    nwb = _nwb_file(pynwb, "clamp")
    device = nwb.create_device(name="amplifier")
    electrode = nwb.create_icephys_electrode(name="elec0", description="patch", device=device)
    nwb.add_acquisition(
        VoltageClampSeries(
            name="vc",
            data=VC_PA,
            electrode=electrode,
            gain=1.0,
            conversion=1e-12,
            rate=RATE,
            starting_time=VC_START,
        )
    )
    nwb.add_acquisition(
        CurrentClampSeries(
            name="cc",
            data=CC_COUNTS,
            electrode=electrode,
            gain=1.0,
            conversion=CC_CONVERSION,
            offset=CC_OFFSET,
            timestamps=CC_STAMPS,
        )
    )
    nwb.add_acquisition(pynwb.TimeSeries(name="light", data=np.ones(10), unit="lux", rate=10.0))
    files = {"clamp": _write(pynwb, nwb, folder / "clamp.nwb")}
    files["empty"] = _write(pynwb, _nwb_file(pynwb, "empty"), folder / "empty.nwb")
    return files


def test_nwb_voltage_clamp_current_conversion_and_rate(nwb_files):
    rec = read_nwb(nwb_files["clamp"], "clamp.nwb", series="vc")
    assert (rec.quantity, rec.unit, rec.label) == ("current", "uA", "vc")
    assert set(rec.channels) == {"vc", "cc", "light"}
    # data × conversion is in A (NWB's SI); µA is A × 1e6, i.e. the pA written × 1e-6
    np.testing.assert_allclose(rec.y, VC_PA * 1e-6, rtol=1e-12)
    # times from rate, counted from the series' start (starting_time dropped)
    assert rec.t[0] == 0.0
    np.testing.assert_allclose(np.diff(rec.t), DT_MS, rtol=1e-9)
    np.testing.assert_allclose(rec.t, SECONDS * 1000.0, rtol=1e-9, atol=1e-12)


def test_nwb_current_clamp_conversion_offset_and_timestamps(nwb_files):
    rec = read_recording(nwb_files["clamp"], "clamp.nwb", "cc")
    assert (rec.quantity, rec.unit, rec.label) == ("voltage", "mV", "cc")
    # counts × 1e-3 V + (-0.065 V), in mV
    np.testing.assert_allclose(rec.y, (CC_COUNTS * CC_CONVERSION + CC_OFFSET) * 1000.0, rtol=1e-12)
    np.testing.assert_allclose(rec.y, CC_COUNTS - 65.0, rtol=1e-12)
    # times from the timestamps, in ms from the first one
    np.testing.assert_allclose(rec.t, (CC_STAMPS - CC_STAMPS[0]) * 1000.0, rtol=1e-9, atol=1e-9)
    assert np.all(np.diff(np.diff(rec.t)) > 0)  # the irregular spacing survives


def test_nwb_default_is_the_first_series(nwb_files):
    rec = read_nwb(nwb_files["clamp"], "clamp.nwb")
    assert rec.label == rec.channels[0]
    again = read_nwb(nwb_files["clamp"], "clamp.nwb", series=rec.channels[0])
    np.testing.assert_array_equal(rec.y, again.y)


def test_nwb_bad_series_name(nwb_files):
    with pytest.raises(RecordingError, match=r"clamp\.nwb: no series 'nope' \(.*vc"):
        read_nwb(nwb_files["clamp"], "clamp.nwb", series="nope")


def test_nwb_series_neither_voltage_nor_current(nwb_files):
    with pytest.raises(
        RecordingError, match=r"clamp\.nwb, series 'light': unit 'lux' is not a voltage"
    ):
        read_nwb(nwb_files["clamp"], "clamp.nwb", series="light")


def test_nwb_without_acquisition(nwb_files):
    with pytest.raises(RecordingError, match=r"empty\.nwb: no time series in its acquisition"):
        read_nwb(nwb_files["empty"], "empty.nwb")


@pytest.mark.parametrize("data", [b"", b"not an HDF5 file\n" * 100])
def test_nwb_garbage_bytes(data):
    with pytest.raises(RecordingError, match=r"junk\.nwb: pynwb cannot read it"):
        read_recording(data, "junk.nwb")


def test_nwb_hdf5_that_is_not_nwb_is_refused_and_closed(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.arange(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RecordingError, match=r"plain\.nwb: pynwb cannot read it"):
            read_nwb(path.read_bytes(), "plain.nwb")
        gc.collect()
    assert not [w for w in caught if "not closed" in str(w.message)]


# ------------------------------------------------------------ missing optional readers


@pytest.fixture
def without_readers(monkeypatch):
    real = importlib.import_module

    def import_module(name, package=None):
        if name.split(".")[0] in ("pyabf", "pynwb"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)


@pytest.mark.usefixtures("without_readers")
@pytest.mark.parametrize(("module", "extension"), [("pyabf", ".abf"), ("pynwb", ".nwb")])
def test_missing_reader_names_the_extra(module, extension):
    with pytest.raises(RecordingError) as info:
        reader(module, extension)
    message = str(info.value)
    assert 'pip install "neuntune[data]"' in message
    assert module in message and extension in message
    with pytest.raises(RecordingError, match=r"neuntune\[data\]"):
        read_recording(b"anything", f"cell{extension}")


@pytest.mark.usefixtures("without_readers")
def test_csv_needs_no_reader():
    rec = read_recording(b"t (ms),v (mV)\n0,-65\n0.5,-64\n", "cell.csv")
    np.testing.assert_allclose(rec.y, [-65.0, -64.0])


def test_reading_a_recording_loads_no_dashboard():
    """The readers sit below the dashboard (the command line uses them): importing them
    and reading a CSV loads neither Panel nor Bokeh nor param."""
    code = (
        "import sys; from neuntune.io import read_recording; "
        "read_recording(b't (ms),v (mV)\\n0,-65\\n1,-64\\n', 'x.csv'); "
        "loaded = {'panel', 'bokeh', 'param'} & set(sys.modules); assert not loaded, loaded"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
