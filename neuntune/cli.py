"""Command line: run, validate, list and export presets; print the preset schema.

    neuntune presets                          bundled presets with descriptions
    neuntune validate FILE [FILE ...]         check preset files, naming the first problem
    neuntune run [PRESET] [--set gj.g=2nS] [--t-stop 50] [--out traces.csv|.npz|.json]
    neuntune export PRESET --format bmtk|brian2 [--out PATH]
    neuntune schema                           the preset JSON Schema

PRESET is a bundled name or a file.  Exit codes: 0 ok, 2 bad input (message on
stderr, no traceback), 1 a run that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from . import presets
from .errors import PresetError, SimulationError
from .presets import schema, to_bmtk, to_brian2, units
from .presets.bmtk import file_name
from .simulate import Result

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


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


def _run(args: argparse.Namespace) -> int:
    if args.out and Path(args.out).suffix.lower() not in _TRACE_FORMATS:
        raise BadInput(f"--out {args.out}: use a {', '.join(_TRACE_FORMATS)} file")
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
    print(f"{preset.name}: {run['t_stop']:g} ms at dt {run['dt']:g} ms ({run['method']})")
    print(summary(result, preset.coupling(result)))
    if args.out:
        _write_traces(result, args.out)
        print(f"traces written to {args.out}")
    return 0


def _presets(args: argparse.Namespace) -> int:
    for name in presets.names():
        first = presets.load(name).description.split(". ")[0].rstrip(".")
        print(f"{name:<16} {first}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            p = presets.load(path)
        except PresetError as exc:
            print(f"neuntune: {exc}", file=sys.stderr)
            failed += 1
            continue
        c = p.circuit
        print(
            f"{path}: ok ({p.name}: {len(c.neurons)} cells, {len(c.connections)} connections, "
            f"{len(c.stimuli)} stimuli)"
        )
    return 2 if failed else 0


def _export(args: argparse.Namespace) -> int:
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except (BadInput, ValueError, TypeError, KeyError) as exc:  # PresetError is a ValueError
        print(f"neuntune: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `neuntune schema | head`: the reader has what it wanted
        # send what is still buffered to /dev/null, so exiting does not fail on it again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"neuntune: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2
    except SimulationError as exc:
        print(f"neuntune: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
