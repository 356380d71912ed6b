"""The preset subcommands: ``serve`` (the live tuner), ``presets`` (the bundled ones),
``validate`` (check files, naming the first problem), ``export`` (BMTK or Brian2) and
``schema`` (the preset JSON Schema)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import presets
from ..errors import PresetError
from ..neuron.bmtk import is_bmtk_config
from ..neuron.preset import is_neuron_preset, load_preset
from ..presets import schema, to_bmtk, to_brian2
from ..presets.bmtk import file_name
from .shared import BadInput, check_output, printable


def serve_command(args: argparse.Namespace) -> int:
    if args.preset is not None and is_neuron_preset(args.preset):
        from ..ui.neuron_app import serve_preset as serve
    elif args.preset is not None and is_bmtk_config(args.preset):
        from ..ui.neuron_app import serve_network as serve
    else:
        from ..ui.server import serve
    try:
        serve(
            args.preset, port=args.port, address=args.address, show=args.show,
            allow_origin=args.allow_origin, token=True if args.token else None,
        )  # fmt: skip
    except KeyboardInterrupt:
        print("stopped")
    return 0


def presets_command(args: argparse.Namespace) -> int:
    for name in presets.names():
        first = presets.load(name).description.split(". ")[0].rstrip(".")
        print(f"{name:<16} {printable(first)}")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            if is_neuron_preset(path):
                n = load_preset(path)
                print(
                    f"{printable(path)}: ok ({printable(n.name)}: NEURON cell "
                    f"{printable(n.cell.template)}, point process "
                    f"{printable(n.cell.synapse.name)})"
                )
                continue
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


def export_command(args: argparse.Namespace) -> int:
    if args.format == "brian2":
        check_output("--out", args.out, (".py",))
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


def schema_command(args: argparse.Namespace) -> int:
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0
