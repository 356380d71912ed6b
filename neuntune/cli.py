"""Command line: ``neuntune run``.

Exit codes: 0 ok, 2 bad input (message on stderr, no traceback), 1 a run that failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from . import library
from .errors import SimulationError
from .simulate import Result, simulate


def _parse_assignment(text: str) -> tuple[str, float]:
    path, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected path=value, e.g. gj.g=0.003")
    try:
        return path.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--set {text!r}: {value!r} is not a number") from None


def summary(result: Result) -> str:
    """A short table: spikes, rate and voltage range per cell, mean current per connection."""
    duration = result.t[-1] - result.t[0]
    lines = [f"{'cell':<10} {'spikes':>6} {'rate (Hz)':>10} {'v min':>9} {'v max':>9}  (mV)"]
    for name, v in result.v.items():
        spikes = result.spikes.get(name, np.zeros(0))
        rate = 1000.0 * len(spikes) / duration if duration > 0 else 0.0
        lines.append(f"{name:<10} {len(spikes):>6} {rate:>10.2f} {v.min():>9.3f} {v.max():>9.3f}")
    for name, current in result.current.items():
        lines.append(f"{name:<10} mean current {current.mean():+.6g} µA")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuntune", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="simulate a bundled circuit and print a summary")
    run.add_argument("circuit", nargs="?", default="hh_gap_pair", choices=sorted(library.CIRCUITS))
    run.add_argument("--t-stop", type=float, default=100.0, help="ms (default 100)")
    run.add_argument("--dt", type=float, default=0.01, help="ms (default 0.01)")
    run.add_argument("--method", default="rk4", help="euler, rk4, rk6 or expeuler")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        type=_parse_assignment,
        metavar="PATH=VALUE",
        help="change a value, e.g. --set gj.g=0.003",
    )
    args = parser.parse_args(argv)
    try:
        circuit = library.CIRCUITS[args.circuit]()
        for path, value in args.set:
            circuit.set(path, value)
        result = simulate(circuit, args.t_stop, args.dt, method=args.method)
    except (ValueError, TypeError, KeyError) as exc:
        print(f"neuntune: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except SimulationError as exc:
        print(f"neuntune: {exc}", file=sys.stderr)
        return 1
    print(f"{args.circuit}: {args.t_stop:g} ms at dt {args.dt:g} ms ({args.method})")
    print(summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
