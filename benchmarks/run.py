"""Run every benchmark and write results/results.json and results/RESULTS.md.

    python benchmarks/run.py [--quick] [--repeats 30] [--only neun_pair,throughput]
                             [--compare-python PATH] [--startup-repeats N]

``--quick`` shortens every problem and uses a few repeats: it checks that the
scripts work, its numbers are not for publishing.  brian2 and NEURON (the
``compare`` extra) are used from this interpreter if it has them, else from
``--compare-python``, $NEUNTUNE_COMPARE_PYTHON or the repository's .venv-compare (the
reference simulators run in that interpreter as a subprocess and send their
numbers back as JSON); without them those comparisons say so and the rest runs.
With ``--only``, the other sections of an existing results.json are kept.
Each benchmark module also runs alone: ``python benchmarks/throughput.py --quick``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _common import (  # noqa: E402
    RESULTS,
    Config,
    compare_python,
    machine,
    markdown,
    shown_path,
    write_json,
)

BENCHMARKS = (
    "accuracy",
    "neun_pair",
    "brian2_compare",
    "neuron_compare",
    "throughput",
    "textbook_hh",
    "startup",
    "network",
    "bmtool_compat",
)

#: The sections that run brian2 or NEURON in the compare interpreter.
COMPARE_USERS = {"brian2_compare", "neuron_compare", "network"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short problems, few repeats")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--compare-python", default=None, help="python with brian2/NEURON")
    parser.add_argument(
        "--startup-repeats", type=int, default=None, help="server launches per cache state"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be ≥ 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    selected = [b.strip() for b in args.only.split(",") if b.strip()] or list(BENCHMARKS)
    unknown = [b for b in selected if b not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}", file=sys.stderr)
        return 2
    if not args.quick and args.repeats < 30:
        print(f"note: --repeats {args.repeats} < 30; the issue asks for ≥ 30 runs per timing")

    python, info = (None, {})
    if COMPARE_USERS & set(selected):
        python, info = compare_python(args.compare_python)
        if python:
            print(
                f"compare extra: brian2 {info.get('brian2')}, NEURON {info.get('neuron')} "
                f"(numpy {info.get('numpy')}) from {python}"
            )
        else:
            print("compare extra not found (brian2, NEURON): those comparisons will be skipped")
    cfg = Config(
        repeats=args.repeats,
        quick=args.quick,
        compare_python=python,
        compare_info={"python": shown_path(python), **info},
        startup_repeats=args.startup_repeats,
    )

    out = RESULTS / "results.json"
    results: dict = {"benchmarks": {}}
    if args.only and out.exists():
        try:
            results = json.loads(out.read_text())
        except ValueError:
            pass
    results.update(
        machine=machine(),
        settings={"quick": args.quick, "repeats": args.repeats, "only": args.only or None},
    )
    # with --only, the other sections keep the interpreter they were measured with: each
    # section that used one records its own, and the top-level entry changes on full runs
    if python and (not args.only or "compare_extra" not in results):
        results["compare_extra"] = cfg.compare_info
    failed = []
    for name in selected:
        start = time.perf_counter()
        try:
            section = importlib.import_module(name).run(cfg).to_dict()
        except Exception as exc:  # a broken benchmark must not lose the others' numbers
            traceback.print_exc()
            section = {"title": name, "error": f"{type(exc).__name__}: {exc}"}
            failed.append(name)
        section["date"] = datetime.datetime.now().isoformat(timespec="seconds")
        section["wall_s"] = round(time.perf_counter() - start, 1)
        section["quick"] = args.quick
        section["load_average"] = [round(x, 2) for x in os.getloadavg()]
        if python and name in COMPARE_USERS:
            section["compare_extra"] = cfg.compare_info
        results["benchmarks"][name] = section
        results["benchmarks"] = {
            b: results["benchmarks"][b] for b in BENCHMARKS if b in results["benchmarks"]
        }
        results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        write_json(out, results)
        (RESULTS / "RESULTS.md").write_text(markdown(results))
    print(f"\nwrote {out} and {RESULTS / 'RESULTS.md'}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
