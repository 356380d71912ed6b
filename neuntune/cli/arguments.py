"""The command line's argument parser: every subcommand, its options and its handler."""

from __future__ import annotations

import argparse

from .. import presets
from ..io import TIME_UNITS, VALUE_UNITS
from .fits import fit_gap_command, fit_synapse_command
from .preset_commands import (
    export_command,
    presets_command,
    schema_command,
    serve_command,
    validate_command,
)
from .run import assignment, run_command
from .scan import scan_command


def timing(command: argparse.ArgumentParser) -> None:
    """--t-stop and --dt, which override the preset's run settings."""
    command.add_argument("--t-stop", type=float, help="ms (default: the preset's)")
    command.add_argument("--dt", type=float, help="ms (default: the preset's)")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuntune",
        description="Tune synapses between model neurons: run, check and export presets.",
        epilog="Exit codes: 0 ok, 2 bad input, 1 a run that failed.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="simulate a preset and print a summary")
    run.add_argument(
        "preset",
        nargs="?",
        default=presets.DEFAULT,
        help=f"name or file ({presets.DEFAULT}); a NEURON preset or a BMTK config also works",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        type=assignment,
        metavar="PATH=VALUE",
        help="change a value, optionally with a unit: --set gj.g=0.003 or --set gj.g=3uS",
    )
    timing(run)
    run.add_argument("--method", help="euler, rk4, rk6 or expeuler (default: the preset's)")
    run.add_argument("--precision", help="float64 or float32 (default: the preset's)")
    run.add_argument("--out", help="write every trace to a .csv, .npz or .json file")
    run.set_defaults(handler=run_command)
    serving = commands.add_parser("serve", help="open the live tuner in the browser")
    serving.add_argument(
        "preset",
        nargs="?",
        default=presets.DEFAULT,
        help=f"name or file ({presets.DEFAULT}); a NEURON preset or a BMTK config also works",
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
    serving.set_defaults(handler=serve_command)
    listing = commands.add_parser("presets", help="list the bundled presets")
    listing.set_defaults(handler=presets_command)
    validate = commands.add_parser("validate", help="check preset files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=validate_command)
    export = commands.add_parser("export", help="export a preset to BMTK or Brian2")
    export.add_argument("preset", help="name or file")
    export.add_argument("--format", required=True, choices=("bmtk", "brian2"))
    export.add_argument(
        "--out", help="brian2: the script file; bmtk: a directory (default: print to stdout)"
    )
    export.set_defaults(handler=export_command)
    shown = commands.add_parser("schema", help="print the preset JSON Schema")
    shown.set_defaults(handler=schema_command)
    gap = commands.add_parser("fit-gap", help="fit a gap junction's g to a coupling coefficient")
    gap.add_argument("preset", help="name or file")
    gap.add_argument("--target", type=float, required=True, help="coupling coefficient (0..1)")
    gap.add_argument("--junction", help="which gap junction (default: the only one)")
    gap.add_argument("--direction", default="a->b", help="a->b, b->a or both (default a->b)")
    gap.add_argument("--save", help="write the preset with the fitted g to this file")
    gap.set_defaults(handler=fit_gap_command)
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
    syn.set_defaults(handler=fit_synapse_command)
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
    timing(sweep)
    sweep.add_argument("--out", help="write the table to a .csv or .json file")
    sweep.add_argument("--plot", help="write a line plot or heat map to this PNG file")
    sweep.add_argument("--scheduler", help="a dask.distributed scheduler address (tcp://...)")
    sweep.set_defaults(handler=scan_command)
    return parser
