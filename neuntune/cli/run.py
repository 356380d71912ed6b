"""``neuntune run``: simulate a preset (values changed with ``--set PATH=VALUE[unit]``)
and print a summary (spikes, rate, voltage range in mV, mean currents in µA, coupling
coefficients), optionally writing every trace to .csv, .npz or .json."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import IO

import numpy as np

from .. import presets
from ..presets import units
from ..simulate import Result
from .shared import BadInput, check_output, printable

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


def assignment(text: str) -> tuple[str, float | None, str]:
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


TRACE_FORMATS = (".csv", ".npz", ".json")


def write_traces(result: Result, path: str) -> None:
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

    writers = dict(zip(TRACE_FORMATS, (csv, npz, as_json), strict=True))
    try:
        presets.write_atomically(path, writers[suffix], binary=suffix == ".npz")
    except OSError as exc:
        raise BadInput(f"--out {path}: cannot write it ({exc.strerror})") from None


def run_command(args: argparse.Namespace) -> int:
    check_output("--out", args.out, TRACE_FORMATS)
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
        write_traces(result, args.out)
        print(f"traces written to {args.out}")
    return 0
