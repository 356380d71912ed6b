"""Reading recorded traces to compare with and fit to: CSV, and ABF and NWB through
their maintained readers, ``pyabf`` and ``pynwb``, optional extras imported only when
such a file is opened (``pip install "neuntune[data]"``).

Used by the dashboard's Data tab and ``neuntune fit-synapse --trace FILE``.

Every recording becomes a :class:`Recording` in engine units: times in ms from the
start of the sweep, voltages in mV, currents in µA (a clamp current as amplifiers
and NEURON's SEClamp report it: negative for inward, EPSCs, currents).
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .presets import units

#: The engine unit of each quantity a recording may hold.
ENGINE_UNITS = {"voltage": "mV", "current": "uA"}
#: Spellings readers use for units, as neuntune's unit table writes them.
_ALIASES = {
    "volts": "V",
    "volt": "V",
    "amperes": "A",
    "amps": "A",
    "ampere": "A",
    "seconds": "s",
    "sec": "s",
    "second": "s",
    "msec": "ms",
}
#: Units a CSV without units in its header may be declared in.
VALUE_UNITS = ("mV", "pA", "nA", "uA")
TIME_UNITS = ("ms", "s")

EXTRA_HINT = 'pip install "neuntune[data]"'


class RecordingError(ValueError):
    """A recording that cannot be read, with what to do about it."""


@dataclass(frozen=True)
class Recording:
    """A recorded trace in engine units.

    ``t`` (ms) and ``y`` (mV for a voltage, µA for a current), ``quantity``
    ("voltage" or "current"), ``label`` (column, sweep or series), ``source`` (file
    name) and ``channels``: every column, sweep or series the file offers.
    """

    t: np.ndarray
    y: np.ndarray
    quantity: str
    label: str
    source: str
    channels: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        """Engine unit of ``y``: "mV" or "uA"."""
        return ENGINE_UNITS[self.quantity]


def _canonical(unit: str) -> str:
    text = unit.strip().replace("µ", "u").replace("μ", "u").replace("Ω", "Ohm")
    return _ALIASES.get(text.lower(), text)


def to_engine(values: np.ndarray, unit: str, what: str) -> tuple[np.ndarray, str]:
    """``values`` in ``unit`` converted to the engine unit of their quantity;
    returns (values, quantity).  Raises RecordingError for anything but a voltage or
    a current."""
    unit = _canonical(unit)
    entry = units.lookup(unit)
    quantity = entry.quantity if entry is not None else None
    if quantity not in ENGINE_UNITS:
        raise RecordingError(
            f"{what}: unit {unit!r} is not a voltage (mV, V) or a current (pA, nA, uA, A)"
        )
    return values * units.convert(1.0, unit, ENGINE_UNITS[quantity]), quantity


def to_ms(times: np.ndarray, unit: str, what: str) -> np.ndarray:
    """``times`` in ``unit`` as ms."""
    unit = _canonical(unit)
    entry = units.lookup(unit)
    if entry is None or entry.quantity != "time":
        raise RecordingError(f"{what}: {unit!r} is not a unit of time (ms, s)")
    return times * units.convert(1.0, unit, "ms")


def _checked(t: np.ndarray, y: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    t, y = np.asarray(t, float).ravel(), np.asarray(y, float).ravel()
    if t.size < 2 or t.size != y.size:
        raise RecordingError(f"{what}: needs at least two samples of time and value")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
        raise RecordingError(f"{what}: has missing or non-finite values")
    if not np.all(np.diff(t) > 0):
        raise RecordingError(f"{what}: times must increase from row to row")
    return t - t[0], y


_HEADER_UNIT = re.compile(r"^\s*(.*?)\s*[\(\[]\s*([^\)\]]+?)\s*[\)\]]\s*$")


def _split_header(name: str) -> tuple[str, str | None]:
    """'I (pA)' -> ('I', 'pA'); 'v' -> ('v', None)."""
    match = _HEADER_UNIT.match(name)
    return (match.group(1), match.group(2)) if match else (name.strip(), None)


def read_csv(
    data: bytes,
    source: str,
    column: str | None = None,
    time_unit: str = "ms",
    value_unit: str = "mV",
) -> Recording:
    """A recording from CSV text: time in the first column, values in ``column`` (a
    header name; default the second column).  Units come from the header ("t (s)",
    "I (pA)", as neuntune's own CSV writes them), else ``time_unit``/``value_unit``;
    in a header that gives units, a column without one is dimensionless and refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordingError(
            f"{source}: not UTF-8 text; save the CSV as UTF-8 (or open an .abf or .nwb file)"
        ) from None
    lines = csv.reader(io.StringIO(text))
    # (line number, cells) of every row that is not blank; line numbers as an editor shows them
    rows = [(lines.line_num, row) for row in lines if row and any(c.strip() for c in row)]
    if not rows:
        raise RecordingError(f"{source}: the file is empty")
    try:
        [float(c) for c in rows[0][1]]
        header = [f"column {i + 1}" for i in range(len(rows[0][1]))]
    except ValueError:
        header, rows = rows[0][1], rows[1:]
    if len(header) < 2:
        raise RecordingError(f"{source}: needs two columns, time and a value")
    if not rows:
        raise RecordingError(f"{source}: no rows of numbers after the header")
    values = []
    for line, row in rows:
        if len(row) != len(header):
            raise RecordingError(
                f"{source}: line {line} has {len(row)} columns, the first row {len(header)}"
            )
        try:
            values.append([float(c) for c in row])
        except ValueError as exc:
            raise RecordingError(f"{source}: line {line} is not all numbers ({exc})") from None
    table = np.array(values, float)
    names = header[1:]
    chosen = names[0] if column is None else column
    if chosen not in names:
        raise RecordingError(f"{source}: no column {chosen!r} (columns: {', '.join(names)})")
    _, t_unit = _split_header(header[0])
    _, y_unit = _split_header(chosen)
    if t_unit and not y_unit:  # a header with units (as the tuner writes): this one has none
        raise RecordingError(
            f"{source}, column {chosen!r}: no unit in a header that gives units, so a "
            "dimensionless quantity (a gate, a fraction), not a voltage or a current"
        )
    t = to_ms(table[:, 0], t_unit or time_unit, f"{source}, time column")
    y, quantity = to_engine(
        table[:, 1 + names.index(chosen)], y_unit or value_unit, f"{source}, column {chosen!r}"
    )
    t, y = _checked(t, y, source)
    return Recording(t, y, quantity, chosen, source, tuple(names))


def reader(module: str, extension: str) -> Any:
    """Import an optional reader, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise RecordingError(
            f"Reading {extension} files needs {module}, an optional extra: {EXTRA_HINT} "
            f"(or pip install {module}); CSV files need nothing more."
        ) from None


@contextmanager
def _as_file(data: bytes, suffix: str) -> Iterator[Path]:
    """``data`` in a temporary file (the ABF and NWB readers open paths)."""
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield Path(name)
    finally:
        os.unlink(name)


def read_abf(data: bytes, source: str, sweep: str | None = None) -> Recording:
    """One sweep (default the first) of channel 0 of an Axon ABF file, through pyabf."""
    pyabf = reader("pyabf", ".abf")
    with _as_file(data, ".abf") as path:
        try:
            abf = pyabf.ABF(str(path))
        except Exception as exc:  # pyabf raises many kinds for a damaged file
            raise RecordingError(f"{source}: pyabf cannot read it ({exc})") from None
        sweeps = tuple(f"sweep {i + 1}" for i in range(abf.sweepCount))
        chosen = sweeps[0] if sweep is None else sweep
        if chosen not in sweeps:
            raise RecordingError(f"{source}: no {chosen} (it has {len(sweeps)} sweeps)")
        abf.setSweep(sweeps.index(chosen))
        t = to_ms(np.asarray(abf.sweepX, float), "s", source)
        y, quantity = to_engine(np.asarray(abf.sweepY, float), abf.sweepUnitsY, source)
    t, y = _checked(t, y, source)
    return Recording(t, y, quantity, chosen, source, sweeps)


def read_nwb(data: bytes, source: str, series: str | None = None) -> Recording:
    """A time series (default the first) from the acquisition group of an NWB file,
    through pynwb: data × conversion (+ offset), timestamps or starting time and rate.
    A file pynwb opens but cannot read (an HDF5 file that is not NWB) is closed again
    before the RecordingError, not left open for the garbage collector."""
    pynwb = reader("pynwb", ".nwb")
    with _as_file(data, ".nwb") as path:
        nwb_io = None
        try:
            nwb_io = pynwb.NWBHDF5IO(str(path), "r")
            nwb = nwb_io.read()
        except Exception as exc:  # h5py and hdmf raise many kinds for a damaged file
            if nwb_io is not None:
                nwb_io.close()
            raise RecordingError(f"{source}: pynwb cannot read it ({exc})") from None
        try:
            found = {
                name: item
                for name, item in nwb.acquisition.items()
                if hasattr(item, "data") and hasattr(item, "unit")
            }
            if not found:
                raise RecordingError(f"{source}: no time series in its acquisition group")
            chosen = next(iter(found)) if series is None else series
            if chosen not in found:
                raise RecordingError(f"{source}: no series {chosen!r} ({', '.join(found)})")
            item = found[chosen]
            raw = np.asarray(item.data[:], float)
            values = raw * float(item.conversion) + float(getattr(item, "offset", 0.0) or 0.0)
            if item.timestamps is not None:
                seconds = np.asarray(item.timestamps[:], float)
            else:
                seconds = float(item.starting_time or 0.0) + np.arange(raw.size) / float(item.rate)
        finally:
            nwb_io.close()
    t = to_ms(seconds, "s", source)
    y, quantity = to_engine(values, item.unit, f"{source}, series {chosen!r}")
    t, y = _checked(t, y, source)
    return Recording(t, y, quantity, chosen, source, tuple(found))


def read_recording(data: bytes, source: str, channel: str | None = None, **csv_units) -> Recording:
    """A recording from a file's bytes, by its extension: .abf, .nwb, else CSV.
    ``channel`` picks a CSV column, an ABF sweep or an NWB series; ``csv_units``
    (``time_unit``, ``value_unit``) are :func:`read_csv`'s."""
    suffix = Path(source).suffix.lower()
    if suffix == ".abf":
        return read_abf(data, source, channel)
    if suffix == ".nwb":
        return read_nwb(data, source, channel)
    return read_csv(data, source, channel, **csv_units)
