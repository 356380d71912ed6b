"""The NEURON worker: a process that owns one NEURON instance with one mechanism set.

NEURON loads a mechanism name only once per process and cannot redefine a hoc template,
so each set of mod files (and each dashboard session) gets its own process; a crash or a
hoc error there cannot take the server down.  ``NeuronSession`` (session.py) starts it.

Protocol: length-prefixed pickles, requests ``(operation, args)`` on stdin, replies on
the original stdout: ``("ok", value)``, ``("spec", field, value, message)`` for a
``SpecError``, ``("cancelled",)`` for a run stopped by SIGUSR1, or ``("error",
message)``.  Operations: ``load``, ``build``, ``set``, ``parameters``, ``run``.  The worker
ends when stdin closes.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from typing import Any, BinaryIO

import numpy as np

from neuntune.neuron import introspect
from neuntune.neuron.spec import CellSpec, RunSpec, SpecError, check_params

_HEADER = struct.Struct("<Q")
#: Steps per psolve call: how often a run looks for a cancel (400 steps: 10 ms of
#: simulated time at dt 0.025, a few ms of wall time even on 200 segments).
CHUNK_STEPS = 400


class RunCancelled(Exception):
    """The run was cancelled by the session (a newer request superseded it)."""


def write_message(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream: BinaryIO) -> Any:
    """The next message, or None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))


class Worker:
    """NEURON's state in the worker process: mechanisms, templates, one cell and its
    synapse."""

    def __init__(self) -> None:
        from neuron import h

        self.h = h
        h.load_file("stdrun.hoc")
        h("objref neuntune_probe_")
        self.templates: list[str] = []
        self.cell: Any = None
        self.syn: Any = None
        self.syn_name = ""
        # a gap junction's second cell and point process, and the transfer ids in use
        self.partner: Any = None
        self.syn2: Any = None
        self._transfer_id = 0
        # a run's sine (values, times) played into its IClamp; removed by the next run
        self._played: tuple[Any, Any] | None = None
        #: Set by SIGUSR1: the run in progress stops at its next chunk.
        self.cancelled = False
        self.spec: CellSpec | None = None

    def load(self, library: str, template_files: list[str]) -> list[str]:
        """Load the compiled mechanisms and the hoc files; returns the templates defined."""
        h = self.h
        h.nrn_load_dll(library)
        before = set(dir(h))
        for path in template_files:
            h.load_file(path)  # a hoc error raises; its message is on stderr
        # execute1(..., 0) fails silently for any name that is not a template
        self.templates = sorted(
            name
            for name in set(dir(h)) - before
            if h.execute1(f'neuntune_probe_ = new List("{name}")', 0)
        )
        return self.templates

    def build(self, spec: CellSpec, params: dict[str, float]) -> dict[str, Any]:
        """Make the template's cell and place the synapse, with ``params`` set on it."""
        h = self.h
        if spec.template not in self.templates:
            raise SpecError(
                "template",
                spec.template,
                f"not defined in {spec.templates}; defined there: "
                + (", ".join(self.templates) or "no templates"),
            )
        if spec.partner is not None and spec.partner not in self.templates:
            raise SpecError(
                "partner",
                spec.partner,
                f"not defined in {spec.templates}; defined there: " + ", ".join(self.templates),
            )
        # the old cells' sections go first
        self.cell = self.syn = self.partner = self.syn2 = None
        cell = getattr(h, spec.template)()
        sections = introspect.sections(cell)
        syn, syn_name = None, ""
        if spec.synapse is not None:
            syn_name = introspect.resolve_point_process(h, spec.synapse.name)
            where = self._segment(cell, spec.template, spec.synapse.sec_id, spec.synapse.sec_x)
            syn = getattr(h, syn_name)(where)
        if spec.partner is not None:
            self.partner = getattr(h, spec.partner)()
            there = self._segment(
                self.partner, spec.partner, spec.synapse.sec_id, spec.synapse.sec_x, "partner"
            )
            self.syn2 = getattr(h, syn_name)(there)
            self._join(where, syn, there, self.syn2)
        self.cell, self.syn, self.syn_name, self.spec = cell, syn, syn_name, spec
        self.set(params)
        return {"sections": sections, "point_process": syn_name}

    def _join(self, where: Any, syn: Any, there: Any, syn2: Any) -> None:
        """Each side's ``vgap`` follows the other side's voltage.  Transfer ids are never
        reused: a rebuilt pair gets new ones."""
        if not hasattr(syn, "vgap"):
            raise SpecError("synapse", self.spec_name(syn), "has no vgap: not a gap junction")
        pc = self.h.ParallelContext()
        a, b = self._transfer_id, self._transfer_id + 1
        self._transfer_id += 2
        pc.source_var(where._ref_v, a, sec=where.sec)
        pc.source_var(there._ref_v, b, sec=there.sec)
        pc.target_var(syn, syn._ref_vgap, b)
        pc.target_var(syn2, syn2._ref_vgap, a)
        pc.setup_transfer()

    @staticmethod
    def spec_name(pp: Any) -> str:
        return pp.hname().split("[", 1)[0]

    @staticmethod
    def _segment(cell: Any, template: str, sec_id: int, sec_x: float, field: str = "sec_id") -> Any:
        sections = list(cell.all)
        if sec_id >= len(sections):
            names = ", ".join(s.name for s in introspect.sections(cell))
            raise SpecError(
                field,
                sec_id,
                f"out of range: template {template} has {len(sections)} sections in 'all' "
                f"(0..{len(sections) - 1}: {names})",
            )
        return sections[sec_id](sec_x)

    def set(self, params: dict[str, float]) -> None:
        """Set the synapse's PARAMETERs; all names are checked before any is set."""
        params = check_params(params)
        if params and self.syn is None:
            raise SpecError("params", sorted(params), "the cell has no synapse")
        if not params:
            return
        known = [p.name for p in introspect.variables(self.h, self.syn_name)]
        for name in params:
            if name not in known:
                raise SpecError(
                    "params",
                    name,
                    f"{self.syn_name} has no PARAMETER {name!r}; its PARAMETERs: "
                    + ", ".join(known),
                )
        for name, value in params.items():
            setattr(self.syn, name, value)
            if self.syn2 is not None:
                setattr(self.syn2, name, value)

    def parameters(self, mechanism: str | None) -> list[introspect.Parameter]:
        """The PARAMETERs of ``mechanism`` (default: the synapse's point process)."""
        if mechanism is None:
            if self.syn is None:
                raise SpecError("mechanism", None, "the cell has no synapse: name one")
            return introspect.variables(self.h, self.syn_name)
        known = introspect.mechanisms(self.h) + introspect.mechanisms(self.h, False)
        if mechanism not in known:
            raise SpecError("mechanism", mechanism, f"no such mechanism; known: {', '.join(known)}")
        return introspect.variables(self.h, mechanism)

    def run(self, run: RunSpec) -> dict[str, Any]:
        """One run; returns the recorded arrays by name, with ``"t"`` (ms).  Raises
        RunCancelled if a cancel arrives while it runs."""
        h = self.h
        self.cancelled = False
        if self.cell is None:
            raise SpecError("cell", None, "no cell built")
        if self.syn is None and (
            run.events or run.fresh_events or any(r.startswith("syn") for r in run.record)
        ):
            raise SpecError("record", run.record, "the cell has no synapse")
        h.dt = run.dt
        h.steps_per_ms = 1.0 / run.dt
        h.celsius = run.celsius
        h.tstop = run.tstop
        if self._played is not None:  # the last run's clamp is gone: stop playing into it
            self._played[0].play_remove()
            self._played = None
        clamp = None
        if run.iclamp is not None:
            c = run.iclamp
            where = self._segment(self.cell, self.spec.template, c.sec_id, c.sec_x, "iclamp.sec_id")
            clamp = h.IClamp(where)
            clamp.amp, clamp.delay, clamp.dur = c.amp, c.delay, c.dur
            if c.frequency is not None:  # a sine played into amp, one value per step
                clamp.amp = 0.0
                t = np.arange(0.0, run.tstop + run.dt, run.dt)
                on = (t >= c.delay) & (t < c.delay + c.dur)
                wave = np.where(on, c.amp * np.sin(2e-3 * np.pi * c.frequency * (t - c.delay)), 0)
                self._played = (h.Vector(wave), h.Vector(t))  # alive through the run
                self._played[0].play(clamp._ref_amp, self._played[1], 1)
        elif "iclamp.i" in run.record:
            raise SpecError("record", "iclamp.i", "the run has no iclamp")
        vclamp = None
        if run.vclamp is not None:
            c = run.vclamp
            where = self._segment(self.cell, self.spec.template, c.sec_id, c.sec_x, "vclamp.sec_id")
            vclamp = h.VClamp(where)
            for k in range(3):  # one level for all three stages, as BMTool sets it
                vclamp.amp[k] = c.amp
            vclamp.dur[0], vclamp.dur[1], vclamp.dur[2] = c.dur, 0.0, 0.0
        elif "vclamp.i" in run.record:
            raise SpecError("record", "vclamp.i", "the run has no vclamp")
        if "v2" in run.record and self.partner is None:
            raise SpecError("record", "v2", "the cell has no partner")
        refs = {}
        for name in run.record:
            if name == "v":
                refs[name] = next(iter(self.cell.all))(0.5)._ref_v
            elif name == "v2":
                refs[name] = next(iter(self.partner.all))(0.5)._ref_v
            elif name == "v_syn":
                refs[name] = self.syn.get_segment()._ref_v
            elif name == "iclamp.i":
                refs[name] = clamp._ref_i
            elif name == "vclamp.i":
                refs[name] = vclamp._ref_i
            else:
                variable = name[4:]
                if not hasattr(self.syn, variable):
                    raise SpecError("record", name, f"{self.syn_name} has no {variable!r}")
                refs[name] = getattr(self.syn, f"_ref_{variable}")
        # every step unless decimated: a Dt of dt can lose the last sample to rounding
        step = () if run.record_dt is None else (run.record_dt,)
        vectors = {"t": h.Vector().record(h._ref_t, *step)}
        vectors.update((name, h.Vector().record(ref, *step)) for name, ref in refs.items())
        # one NetCon per stream: each has its own NET_RECEIVE state, set at finitialize
        streams = [
            (h.NetCon(None, self.syn), times) for times in (run.events, run.fresh_events) if times
        ]
        for netcon, _ in streams:
            netcon.weight[0] = run.weight
        h.finitialize(run.v_init)
        for netcon, times in streams:
            for t in times:
                netcon.event(t)
        pc = h.ParallelContext()
        pc.set_maxstep(10)
        # psolve (~3.7x faster than hoc's continuerun, same samples) in chunks of whole
        # steps, so that a cancel (SIGUSR1, see main) stops a long run within one chunk
        chunk = CHUNK_STEPS * run.dt
        while True:
            if self.cancelled:
                raise RunCancelled
            before = h.t
            pc.psolve(min(before + chunk, run.tstop))
            if h.t >= run.tstop or h.t == before:  # done: NEURON steps no further
                break
        return {name: vector.as_numpy().copy() for name, vector in vectors.items()}


def main() -> None:
    # Messages go out on the original stdout; NEURON's own output (its banner, hoc
    # errors, printf) is sent to stderr so that it cannot corrupt a message.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    worker = Worker()
    signal.signal(signal.SIGUSR1, lambda *_: setattr(worker, "cancelled", True))
    operations = {
        "load": worker.load,
        "build": worker.build,
        "set": worker.set,
        "parameters": worker.parameters,
        "run": worker.run,
    }
    while (request := read_message(inp)) is not None:
        operation, args = request
        try:
            reply = ("ok", operations[operation](*args))
        except RunCancelled:
            reply = ("cancelled",)
        except SpecError as error:
            reply = ("spec", error.field, error.value, error.message)
        except Exception as error:
            reply = ("error", f"{type(error).__name__}: {error}")
        write_message(out, reply)


if __name__ == "__main__":
    main()
