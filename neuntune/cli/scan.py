"""``neuntune scan``: scan one or two parameters over a grid and print a metric,
optionally writing the table (.csv, .json) and a line plot or heat map."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO

from .. import presets
from .shared import BadInput, check_output, progress


def plot_formats() -> tuple[str, ...]:
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise BadInput("--plot needs matplotlib: pip install matplotlib") from None
    return tuple(f".{kind}" for kind in FigureCanvasBase.get_supported_filetypes())


def scan_command(args: argparse.Namespace) -> int:
    from ..sweep import scan

    check_output("--out", args.out, TABLE_FORMATS)
    if args.plot:
        check_output("--plot", args.plot, plot_formats())
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
    update, close = progress("scan")
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
        write_table(rows, columns, args.out)
        print(f"scan written to {args.out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = result.plot()
        ax.set_title(f"{preset.name}: {result.metric}")
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"plot written to {args.plot}")
    return 0


TABLE_FORMATS = (".csv", ".json")


def write_table(rows: list[dict[str, float]], columns: list[str], path: str) -> None:
    """The scan's table to ``path`` (a suffix of TABLE_FORMATS, checked before the scan)."""

    def csv(fh: IO[str]) -> None:
        fh.write(",".join(columns) + "\n")
        for row in rows:
            fh.write(",".join(repr(row[c]) for c in columns) + "\n")

    def as_json(fh: IO[str]) -> None:
        json.dump(rows, fh, indent=1)

    writers = dict(zip(TABLE_FORMATS, (csv, as_json), strict=True))
    presets.write_atomically(path, writers[Path(path).suffix.lower()])
