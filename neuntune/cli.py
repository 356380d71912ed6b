"""Command line: run, validate, list and export presets; print the preset schema.

    neuntune serve [PRESET] [--port 5006] [--address 127.0.0.1]   the live tuner
                   [--allow-origin HOST:PORT ...] [--token]
    neuntune presets                          bundled presets with descriptions
    neuntune validate FILE [FILE ...]         check preset files, naming the first problem
    neuntune run [PRESET] [--set gj.g=2nS] [--t-stop 50] [--out traces.csv|.npz|.json]
    neuntune export PRESET --format bmtk|brian2 [--out PATH]
    neuntune schema                           the preset JSON Schema
    neuntune fit-gap PRESET --target 0.05 [--junction gj] [--direction both] [--save FILE]
    neuntune fit-synapse PRESET --targets FILE [--trace FILE [--channel NAME]]
                         [--connection syn] [--save FILE]
    neuntune scan PRESET --param gj.g=0.0001:0.01:20 [--param a.gna=log:50:200:16]
                  --metric synchrony [--out scan.csv|.json] [--plot scan.png]

PRESET is a bundled name or a file.  Exit codes: 0 ok, 2 bad input (message on
stderr, no traceback), 1 a run that failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from . import presets
from .errors import PresetError, SimulationError
from .io import TIME_UNITS, VALUE_UNITS, RecordingError, read_recording
from .presets import schema, to_bmtk, to_brian2, units
from .presets.bmtk import file_name
from .simulate import Result

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


def printable(text: object) -> str:
    """``text`` safe for a terminal: control characters (ANSI/OSC escapes, newlines,
    carriage returns, bidirectional overrides, lone surrogates) written as Python
    escapes, so text from a file can neither move the cursor nor fake a line."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode()
        for ch in str(text)
    )


class BadInput(Exception):
    """Input the command cannot use; its message goes to stderr with exit code 2."""


def _assignment(text: str) -> tuple[str, float | None, str]:
    """``path=value[unit]`` -> (path, value, unit); ``null`` clears a nullable value."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise argparse.ArgumentTypeError(
            f"--set {text!r}: expected path=value, e.g. gj.g=0.003 or gj.g=3uS"
        )
    if value.strip() in ("null", "None"):
        return path.strip(), None, ""
    match = _NUMBER.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"--set {text!r}: {value!r} is not a number")
    return path.strip(), float(match.group(1)), match.group(2)


def summary(result: Result, couplings: dict[str, float | str] | None = None) -> str:
    """A short table: spikes, rate and voltage range per cell, mean current per
    connection, and each coupling coefficient the preset defines."""
    duration = result.t[-1] - result.t[0]
    lines = [f"{'cell':<10} {'spikes':>6} {'rate (Hz)':>10} {'v min':>9} {'v max':>9}  (mV)"]
    for name, v in result.v.items():
        spikes = result.spikes.get(name, np.zeros(0))
        rate = 1000.0 * len(spikes) / duration if duration > 0 else 0.0
        lines.append(f"{name:<10} {len(spikes):>6} {rate:>10.2f} {v.min():>9.3f} {v.max():>9.3f}")
    for name, current in result.current.items():
        lines.append(f"{name:<10} mean current {current.mean():+.6g} µA")
    for pair, cc in (couplings or {}).items():
        lines.append(f"CC {pair}: {cc:.6f}" if isinstance(cc, float) else f"CC {pair}: n/a, {cc}")
    return "\n".join(lines)


_TRACE_FORMATS = (".csv", ".npz", ".json")


def _write_traces(result: Result, path: str) -> None:
    """Every recorded trace to ``path``: .csv (a header row ``name (unit)``), .npz
    (arrays by name) or .json (``units`` plus lists by name)."""
    columns = result.columns()
    unit = {"t": "ms", **result.units}
    suffix = Path(path).suffix.lower()

    def csv(fh: IO[str]) -> None:
        header = ",".join(f"{k} ({unit.get(k, '')})" for k in columns)
        table = np.column_stack(list(columns.values()))
        np.savetxt(fh, table, delimiter=",", fmt="%.17g", header=header, comments="")

    def npz(fh: IO[bytes]) -> None:
        np.savez(fh, **columns)

    def as_json(fh: IO[str]) -> None:
        traces = {k: v.tolist() for k, v in columns.items()}
        json.dump({"units": {k: unit.get(k, "") for k in columns}, **traces}, fh)

    writers = dict(zip(_TRACE_FORMATS, (csv, npz, as_json), strict=True))
    try:
        presets.write_atomically(path, writers[suffix], binary=suffix == ".npz")
    except OSError as exc:
        raise BadInput(f"--out {path}: cannot write it ({exc.strerror})") from None


def _check_output(option: str, path: str | None, suffixes: Sequence[str]) -> None:
    """Refuse an output path before the work that fills it: a wrong suffix or a
    folder that cannot take the file would otherwise lose a finished fit or scan."""
    if not path:
        return
    if Path(path).suffix.lower() not in suffixes:
        raise BadInput(f"{option} {path}: use a {', '.join(suffixes)} file")
    folder = Path(path).parent
    if not folder.is_dir():
        raise BadInput(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise BadInput(f"{option} {path}: cannot write in {folder}")


def _plot_formats() -> tuple[str, ...]:
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise BadInput("--plot needs matplotlib: pip install matplotlib") from None
    return tuple(f".{kind}" for kind in FigureCanvasBase.get_supported_filetypes())


def _run(args: argparse.Namespace) -> int:
    _check_output("--out", args.out, _TRACE_FORMATS)
    preset = presets.load(args.preset)
    for path, value, unit in args.set:
        _, model, name = preset.circuit.resolve(path)
        declared = model.parameter_table()[name].unit
        if value is not None and unit:
            try:
                value = units.convert(value, unit, declared)
            except ValueError as exc:
                raise BadInput(f"--set {path}: {exc}") from None
        preset.circuit.set(path, value)
    overrides = {
        key: value
        for key, value in (
            ("t_stop", args.t_stop),
            ("dt", args.dt),
            ("method", args.method),
            ("precision", args.precision),
        )
        if value is not None
    }
    result = preset.simulate(**overrides)
    run = {**preset.run.arguments(), **overrides}
    print(
        f"{printable(preset.name)}: {run['t_stop']:g} ms at dt {run['dt']:g} ms ({run['method']})"
    )
    print(summary(result, preset.coupling(result)))
    if args.out:
        _write_traces(result, args.out)
        print(f"traces written to {args.out}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .ui.server import serve

    try:
        serve(
            args.preset, port=args.port, address=args.address, show=args.show,
            allow_origin=args.allow_origin, token=True if args.token else None,
        )  # fmt: skip
    except KeyboardInterrupt:
        print("stopped")
    return 0


def _presets(args: argparse.Namespace) -> int:
    for name in presets.names():
        first = presets.load(name).description.split(". ")[0].rstrip(".")
        print(f"{name:<16} {printable(first)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            p = presets.load(path)
        except PresetError as exc:
            print(f"neuntune: {printable(exc)}", file=sys.stderr)
            failed += 1
            continue
        c = p.circuit
        print(
            f"{printable(path)}: ok ({printable(p.name)}: {len(c.neurons)} cells, "
            f"{len(c.connections)} connections, "
            f"{len(c.stimuli)} stimuli)"
        )
    return 2 if failed else 0


def _export(args: argparse.Namespace) -> int:
    if args.format == "brian2":
        _check_output("--out", args.out, (".py",))
    elif args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        raise BadInput(f"--out {args.out}: a file; --format bmtk writes a folder of files")
    preset = presets.load(args.preset)
    if args.format == "brian2":
        text = to_brian2(preset)
        if args.out:
            presets.write_atomically(args.out, lambda fh: fh.write(text))
        else:
            sys.stdout.write(text)
        return 0
    doc = to_bmtk(preset)
    text = json.dumps(doc, indent=2) + "\n"
    if not args.out:
        sys.stdout.write(text)
        return 0
    # a directory: one BMTK dynamics_params file per chemical synapse, and everything
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, dynamics in doc["synaptic_models"].items():
        content = json.dumps(dynamics, indent=2) + "\n"
        presets.write_atomically(out / f"{file_name(name)}.json", lambda fh, c=content: fh.write(c))
    presets.write_atomically(out / "bmtk_export.json", lambda fh: fh.write(text))
    print(f"wrote {len(doc['synaptic_models'])} synaptic model(s) and bmtk_export.json to {out}")
    return 0


def _progress(description: str) -> tuple[Callable[[float], bool] | None, Callable[[], None]]:
    """A progress callback drawing a bar on stderr (tqdm, from the ``cli`` extra), and
    a function closing it; without tqdm, no progress is shown."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None
    bar = None  # drawn at the first report, so input errors are not printed over a bar

    def update(fraction: float) -> bool:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=100, desc=description, unit="%", leave=False, file=sys.stderr)
        bar.update(max(0, round(100 * fraction) - bar.n))
        return False

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


def _save_preset(preset: presets.Preset, path: str | None) -> None:
    if path:
        presets.save(preset, path)
        print(f"preset written to {path}")


def _gap_junction(preset: presets.Preset, name: str | None) -> str:
    from .protocols.coupling import gap_junctions

    junctions = gap_junctions(preset.circuit)
    if name is not None:
        if name not in junctions:
            raise BadInput(f"--junction {name}: not a gap junction of {preset.name} ({junctions})")
        return name
    if len(junctions) != 1:
        raise BadInput(f"{preset.name} has gap junctions {junctions}: choose one with --junction")
    return junctions[0]


def _fit_gap(args: argparse.Namespace) -> int:
    from .fit import fit_gap_junction

    _check_output("--save", args.save, (".json",))
    preset = presets.load(args.preset)
    junction = _gap_junction(preset, args.junction)
    update, close = _progress("fit-gap")
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
    _save_preset(preset, args.save)
    return 0


def _read_trace(args: argparse.Namespace, clamp: float | None) -> tuple[np.ndarray, np.ndarray]:
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


def _fit_synapse(args: argparse.Namespace) -> int:
    from .fit.synapse import fit_synapse
    from .protocols.train import SynapseProtocol

    _check_output("--save", args.save, (".json",))
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
    trace = None if args.trace is None else _read_trace(args, protocol.clamp)
    update, close = _progress("fit-synapse")
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
    _save_preset(preset, args.save)
    return 0


def _scan(args: argparse.Namespace) -> int:
    from .sweep import scan

    _check_output("--out", args.out, _TABLE_FORMATS)
    if args.plot:
        _check_output("--plot", args.plot, _plot_formats())
    preset = presets.load(args.preset)
    grid = {}
    for text in args.param:
        path, sep, axis = text.partition("=")
        if not sep:
            raise BadInput(f"--param {text!r}: expected path=start:stop:count")
        if path.strip() in grid:
            raise BadInput(
                f"--param {text!r}: {path.strip()} is already scanned "
                f"({grid[path.strip()]}); give each parameter once"
            )
        grid[path.strip()] = axis.strip()
    run = preset.run
    update, close = _progress("scan")
    try:
        result = scan(
            preset.circuit, grid, args.metric,
            t_stop=run.t_stop if args.t_stop is None else args.t_stop,
            dt=run.dt if args.dt is None else args.dt, method=run.method, precision=run.precision,
            client=args.scheduler, progress=update,
        )  # fmt: skip
    finally:
        close()
    rows = result.table()
    columns = [*result.axes, result.metric]
    print("  ".join(f"{c:>14}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]:>14.6g}" for c in columns))
    if args.out:
        _write_table(rows, columns, args.out)
        print(f"scan written to {args.out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = result.plot()
        ax.set_title(f"{preset.name}: {result.metric}")
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"plot written to {args.plot}")
    return 0


_TABLE_FORMATS = (".csv", ".json")


def _write_table(rows: list[dict[str, float]], columns: list[str], path: str) -> None:
    """The scan's table to ``path`` (a suffix of _TABLE_FORMATS, checked before the scan)."""

    def csv(fh: IO[str]) -> None:
        fh.write(",".join(columns) + "\n")
        for row in rows:
            fh.write(",".join(repr(row[c]) for c in columns) + "\n")

    def as_json(fh: IO[str]) -> None:
        json.dump(rows, fh, indent=1)

    writers = dict(zip(_TABLE_FORMATS, (csv, as_json), strict=True))
    presets.write_atomically(path, writers[Path(path).suffix.lower()])


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuntune",
        description="Tune synapses between model neurons: run, check and export presets.",
        epilog="Exit codes: 0 ok, 2 bad input, 1 a run that failed.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="simulate a preset and print a summary")
    run.add_argument(
        "preset", nargs="?", default=presets.DEFAULT, help=f"name or file ({presets.DEFAULT})"
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        type=_assignment,
        metavar="PATH=VALUE",
        help="change a value, optionally with a unit: --set gj.g=0.003 or --set gj.g=3uS",
    )
    run.add_argument("--t-stop", type=float, help="ms (default: the preset's)")
    run.add_argument("--dt", type=float, help="ms (default: the preset's)")
    run.add_argument("--method", help="euler, rk4, rk6 or expeuler (default: the preset's)")
    run.add_argument("--precision", help="float64 or float32 (default: the preset's)")
    run.add_argument("--out", help="write every trace to a .csv, .npz or .json file")
    run.set_defaults(handler=_run)
    serving = commands.add_parser("serve", help="open the live tuner in the browser")
    serving.add_argument(
        "preset", nargs="?", default=presets.DEFAULT, help=f"name or file ({presets.DEFAULT})"
    )
    serving.add_argument("--port", type=int, default=5006, help="port (default 5006)")
    serving.add_argument(
        "--address", default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for all)",
    )  # fmt: skip
    serving.add_argument(
        "--allow-origin", action="append", default=[], metavar="HOST:PORT",
        help="an address browsers open the tuner from (repeatable); required with an "
        "--address other machines can reach, which also turns on the secret token",
    )  # fmt: skip
    serving.add_argument(
        "--token", action="store_true",
        help="require a random secret token (in the printed URL) on localhost too",
    )  # fmt: skip
    serving.add_argument("--show", action="store_true", help="open a browser tab")
    serving.set_defaults(handler=_serve)
    listing = commands.add_parser("presets", help="list the bundled presets")
    listing.set_defaults(handler=_presets)
    validate = commands.add_parser("validate", help="check preset files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=_validate)
    export = commands.add_parser("export", help="export a preset to BMTK or Brian2")
    export.add_argument("preset", help="name or file")
    export.add_argument("--format", required=True, choices=("bmtk", "brian2"))
    export.add_argument(
        "--out", help="brian2: the script file; bmtk: a directory (default: print to stdout)"
    )
    export.set_defaults(handler=_export)
    shown = commands.add_parser("schema", help="print the preset JSON Schema")
    shown.set_defaults(handler=_schema)
    gap = commands.add_parser("fit-gap", help="fit a gap junction's g to a coupling coefficient")
    gap.add_argument("preset", help="name or file")
    gap.add_argument("--target", type=float, required=True, help="coupling coefficient (0..1)")
    gap.add_argument("--junction", help="which gap junction (default: the only one)")
    gap.add_argument("--direction", default="a->b", help="a->b, b->a or both (default a->b)")
    gap.add_argument("--save", help="write the preset with the fitted g to this file")
    gap.set_defaults(handler=_fit_gap)
    syn = commands.add_parser("fit-synapse", help="fit chemical-synapse parameters to targets")
    syn.add_argument("preset", help="name or file")
    syn.add_argument(
        "--targets", required=True,
        help='JSON: {"targets": {"peak": -5e-5, "ppr": 1.2}, "params": {"tau_d": [1, 20]}}',
    )  # fmt: skip
    syn.add_argument(
        "--trace", metavar="FILE",
        help="a recorded response to the protocol's first train to match sample by sample "
        "(.csv, .abf, .nwb): times from the start of the sweep on the protocol's clock (its "
        "first spike at protocol.start, 50 ms), the clamp current or, without a clamp, the "
        'voltage; with it "targets" may be left out of the targets file',
    )  # fmt: skip
    syn.add_argument(
        "--channel", metavar="NAME",
        help="with --trace: a CSV column (default the second), an ABF sweep ('sweep 2', "
        "default the first) or an NWB acquisition series (default the first)",
    )  # fmt: skip
    syn.add_argument(
        "--time-unit", choices=TIME_UNITS,
        help="with --trace: a CSV's time unit where its header gives none (default ms)",
    )  # fmt: skip
    syn.add_argument(
        "--value-unit", choices=VALUE_UNITS,
        help="with --trace: a CSV's value unit where its header gives none (default mV)",
    )  # fmt: skip
    syn.add_argument("--connection", help="which connection (default: the only event-driven one)")
    syn.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    syn.add_argument("--save", help="write the preset with the fitted values to this file")
    syn.set_defaults(handler=_fit_synapse)
    sweep = commands.add_parser("scan", help="scan one or two parameters and print a metric")
    sweep.add_argument("preset", help="name or file")
    sweep.add_argument(
        "--param", action="append", required=True, metavar="PATH=GRID",
        help="gj.g=0.0001:0.01:20 (linear) or a.gna=log:50:200:16; give one or two",
    )  # fmt: skip
    sweep.add_argument(
        "--metric", default="synchrony",
        help="synchrony[:a,b], mean_abs_diff[:a,b], rate:a, spikes:a, chi:pop, cc:a->b, or "
        "a synapse metric of a chemical connection: peak:syn, latency, rise, decay, "
        "half_width, charge, paired_pulse_ratio, ppr, induction, recovery",
    )  # fmt: skip
    sweep.add_argument("--t-stop", type=float, help="ms (default: the preset's)")
    sweep.add_argument("--dt", type=float, help="ms (default: the preset's)")
    sweep.add_argument("--out", help="write the table to a .csv or .json file")
    sweep.add_argument("--plot", help="write a line plot or heat map to this PNG file")
    sweep.add_argument("--scheduler", help="a dask.distributed scheduler address (tcp://...)")
    sweep.set_defaults(handler=_scan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (BadInput, ValueError, TypeError, KeyError) as exc:  # PresetError is a ValueError
        print(f"neuntune: error: {printable(exc.args[0] if exc.args else exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `neuntune schema | head`: the reader has what it wanted
        # send what is still buffered to /dev/null, so exiting does not fail on it again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        print(f"neuntune: error: {printable(text)}", file=sys.stderr)
        return 2
    except SimulationError as exc:
        print(f"neuntune: {printable(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
