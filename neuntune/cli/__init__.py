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

import os
import sys
from collections.abc import Sequence

from ..errors import SimulationError
from .arguments import parser
from .shared import BadInput, printable


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = parser().parse_args(argv)
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
