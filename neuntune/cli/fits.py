"""The fit subcommands: ``fit-gap`` (a gap junction's g, in mS, to a coupling
coefficient) and ``fit-synapse`` (chemical-synapse parameters to target metrics
and/or a recorded trace, ms and mV or µA)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from .. import presets
from ..io import RecordingError, read_recording
from .shared import BadInput, check_output, printable, progress, save_preset


def gap_junction(preset: presets.Preset, name: str | None) -> str:
    from ..protocols.coupling import gap_junctions

    junctions = gap_junctions(preset.circuit)
    if name is not None:
        if name not in junctions:
            raise BadInput(f"--junction {name}: not a gap junction of {preset.name} ({junctions})")
        return name
    if len(junctions) != 1:
        raise BadInput(f"{preset.name} has gap junctions {junctions}: choose one with --junction")
    return junctions[0]


def fit_gap_command(args: argparse.Namespace) -> int:
    from ..fit import fit_gap_junction

    check_output("--save", args.save, (".json",))
    preset = presets.load(args.preset)
    junction = gap_junction(preset, args.junction)
    update, close = progress("fit-gap")
    try:
        fit = fit_gap_junction(
            preset.circuit, junction, args.target, args.direction, apply=True, progress=update
        )
    finally:
        close()
    conn = preset.circuit.connections[junction]
    print(f"{printable(preset.name)}: {junction} fitted to CC {args.target:g} ({fit.direction})")
    print(f"g     {fit.g:.6g} mS = {fit.g * 1e6:.6g} nS   R = 1/g = {fit.resistance:.6g} MOhm")
    print(
        f"CC    {conn.pre}->{conn.post} {fit.cc_ab:.6f}   {conn.post}->{conn.pre} {fit.cc_ba:.6f}"
    )
    print(f"      {fit.n_sims} simulations")
    save_preset(preset, args.save)
    return 0


def read_trace(args: argparse.Namespace, clamp: float | None) -> tuple[np.ndarray, np.ndarray]:
    """The recorded response ``--trace`` names, as (times in ms, values) in the unit
    the protocol records: µA of clamp current under a clamp, else mV."""
    path = args.trace
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"--trace {path}: cannot read it ({exc.strerror or exc})") from None
    units = {k: v for k, v in (("time_unit", args.time_unit), ("value_unit", args.value_unit)) if v}
    try:
        recording = read_recording(data, path, args.channel, **units)
    except RecordingError as exc:
        text = str(exc)
        raise BadInput(f"--trace {text if text.startswith(path) else f'{path}: {text}'}") from None
    wanted = "voltage" if clamp is None else "current"
    if recording.quantity != wanted:
        why = (
            f"the protocol clamps the post cell at {clamp:g} mV and records its current; "
            'set "clamp": null in the targets file\'s protocol to fit a voltage'
            if clamp is not None
            else "the protocol records the post cell's voltage (no clamp); set "
            '"clamp" (the holding potential, mV) in the targets file\'s protocol to fit a current'
        )
        raise BadInput(
            f"--trace {path}: {recording.label!r} is a {recording.quantity}, but {why}"
            + (f" (or choose another with --channel: {', '.join(recording.channels)})"
               if len(recording.channels) > 1 else "")
        )  # fmt: skip
    if not np.any(recording.y):
        raise BadInput(f"--trace {path}: {recording.label!r} is 0 throughout; nothing to fit")
    print(
        f"trace {printable(path)}: {printable(recording.label)}, {recording.t.size:,} samples "
        f"over {recording.t[-1]:g} ms ({recording.quantity}, {recording.unit})"
    )
    return recording.t, recording.y


def fit_synapse_command(args: argparse.Namespace) -> int:
    from ..fit.synapse import fit_synapse
    from ..protocols.train import SynapseProtocol

    check_output("--save", args.save, (".json",))
    if args.trace is None:
        given = [f"--{o.replace('_', '-')}" for o in ("channel", "time_unit", "value_unit")
                 if getattr(args, o) is not None]  # fmt: skip
        if given:
            raise BadInput(f"{', '.join(given)}: options of --trace, which is not given")
    preset = presets.load(args.preset)
    try:
        spec = json.loads(Path(args.targets).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"--targets {args.targets}: cannot read it as JSON ({exc})") from None
    if isinstance(spec, dict) and args.trace is not None:
        spec.setdefault("targets", {})  # the trace alone may be the target
    if not isinstance(spec, dict) or not isinstance(spec.get("targets"), dict):
        raise BadInput(
            f'--targets {args.targets}: expected {{"targets": {{"peak": ...}}, '
            '"params": {"tau_d": [1, 20]}, "weights": {...}, "protocol": {...}}'
        )
    events = [k for k, c in preset.circuit.connections.items() if c.synapse.event_driven]
    connection = args.connection or (events[0] if len(events) == 1 else None)
    if connection is None:
        raise BadInput(f"{preset.name} has event-driven connections {events}: use --connection")
    where = f"--targets {args.targets}"
    unknown = set(spec) - {"targets", "params", "weights", "protocol"}
    if unknown:
        raise BadInput(
            f"{where}: unknown key(s) {', '.join(map(repr, sorted(unknown)))}; "
            "expected targets, params, weights, protocol"
        )
    protocol = spec.get("protocol", {})
    fields = [f.name for f in dataclasses.fields(SynapseProtocol)]
    if not isinstance(protocol, dict) or set(protocol) - set(fields):
        got = sorted(set(protocol) - set(fields)) if isinstance(protocol, dict) else protocol
        raise BadInput(
            f"{where}: protocol: expected an object with some of {', '.join(fields)}; got {got!r}"
        )
    try:
        # The preset's convention and recovery stream for this connection, unless the
        # targets file names them; the clamp is the protocol's default unless named.
        clamp = {"clamp": SynapseProtocol().clamp}
        protocol = preset.synapse_protocol(connection, **{**clamp, **protocol})
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{where}: {exc}") from None
    trace = None if args.trace is None else read_trace(args, protocol.clamp)
    update, close = progress("fit-synapse")
    try:
        fit = fit_synapse(
            preset.circuit, connection, spec["targets"], spec.get("params", {}),
            protocol=protocol, weights=spec.get("weights"), trace=trace,
            seed=args.seed, apply=True, progress=update,
        )  # fmt: skip
    finally:
        close()
    print(
        f"{printable(preset.name)}: {connection} fitted ({fit.n_sims} simulations, "
        f"loss {fit.loss:.3g})"
    )
    for name, value in fit.params.items():
        loose = "  (not constrained by these targets)" if name in fit.unconstrained else ""
        print(f"  {name:<10} {value:.6g}  ±{100 * fit.uncertainty[name]:.1f} %{loose}")
    if fit.table:
        print(f"  {'metric':<22} {'target':>12} {'achieved':>12}")
    for metric, (goal, achieved) in fit.table.items():
        print(f"  {printable(metric):<22} {goal:>12.6g} {achieved:>12.6g}")
    save_preset(preset, args.save)
    return 0
