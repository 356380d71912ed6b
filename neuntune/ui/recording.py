"""The session's recorded trace (the Data tab's model; no panel here).  The readers
are :mod:`neuntune.io`'s, imported here under the names the tabs use."""

from __future__ import annotations

import param

from ..io import TIME_UNITS, VALUE_UNITS, Recording, RecordingError, read_csv, read_recording
from .jobs import Job, Progress

# Recording, RecordingError and read_csv are imported by the plots and the tests from here.
__all__ = ["DataModel", "Recording", "RecordingError", "read_csv"]


class DataModel(Job):
    """The session's recorded trace: read off the UI thread, shown over the simulation
    and usable as a synapse fit's target.  Kept when another preset is opened."""

    recording = param.ClassSelector(class_=Recording, default=None, allow_None=True)
    channel = param.Selector(default=None, objects=[], doc="column, sweep or series")
    time_unit = param.Selector(default="ms", objects=list(TIME_UNITS), label="Time unit (CSV)")
    value_unit = param.Selector(
        default="mV", objects=list(VALUE_UNITS), label="Value unit (CSV without units)"
    )
    overlay = param.Boolean(default=True, label="Show over the simulation")
    quantity = param.Selector(
        default=None,
        objects=[None, "voltage", "current"],
        allow_None=True,
        doc="what a recording must hold (None: either); another is refused as a bad file",
    )

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self._file: tuple[bytes, str] | None = None
        self._applying = False  # True while a read's result sets the channel choices
        self.param.watch(self._reread, ["channel", "time_unit", "value_unit"])

    def load(self, data: bytes, source: str) -> None:
        """Read ``data`` (a file named ``source``) on the worker thread.  A file that
        cannot be read sets ``error`` and leaves the recording, and the file that a
        change of channel or unit re-reads, as they were."""
        self._read((data, source), None)

    def clear(self) -> None:
        """Forget the recording."""
        self._file = None
        self.param.update(recording=None, status="", error="")

    def _reread(self, *_events: param.parameterized.Event) -> None:
        if self._file is not None and not self._applying:
            self._read(self._file, self.channel)

    def _read(self, file: tuple[bytes, str], channel: str | None) -> None:
        data, source = file
        options = {"time_unit": self.time_unit, "value_unit": self.value_unit}
        wanted = self.quantity

        def work(progress: Progress) -> Recording:
            progress(0.0)
            recording = read_recording(data, source, channel, **options)
            if wanted is not None and recording.quantity != wanted:
                raise RecordingError(
                    f"{source}: {recording.label} is a {recording.quantity} "
                    f"({recording.unit}), but a {wanted} is needed here"
                )
            return recording

        def done(recording: Recording) -> str:
            self._file = file  # the file shown: channel and unit changes re-read it
            return self._show(recording)

        self.start(f"Reading {source}", work, done)

    def _show(self, recording: Recording) -> str:
        self._applying = True  # choosing the channel here must not read the file again
        try:
            self.param.channel.objects = list(recording.channels)
            self.param.update(channel=recording.label, recording=recording)
        finally:
            self._applying = False
        return (
            f"{recording.source}: {recording.label}, {recording.t.size:,} samples over "
            f"{recording.t[-1]:g} ms ({recording.quantity})"
        )
