"""Shared helpers for the benchmarks: timing, the machine, reporting, and the
interpreter that has the ``compare`` extra (brian2, NEURON).

Every benchmark module builds one :class:`Section` (timings, values, goals and
notes) that ``run.py`` collects into ``results/results.json`` and renders as
``results/RESULTS.md``.  Times are stored in seconds; the Markdown picks a
readable unit.
"""

from __future__ import annotations

import datetime
import gc
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: Where a separate interpreter with the ``compare`` extra is looked for when the
#: current one lacks brian2/NEURON (``--compare-python`` or $NEUNTUNE_COMPARE_PYTHON win):
#: the repository's .venv-compare, which tools/test.sh builds.  Without one, the rows
#: that need brian2/NEURON say "not measured" and why.
COMPARE_CANDIDATES = (str(HERE.parent / ".venv-compare" / "bin" / "python"),)


def shown_path(path: str | None) -> str | None:
    """``path`` as results record it: relative to the repository when inside it, else
    only its last parts (no machine's absolute paths in tracked files)."""
    if path is None:
        return None
    resolved = Path(path).absolute()
    try:
        return str(resolved.relative_to(HERE.parent))
    except ValueError:
        return str(Path("…", *resolved.parts[-3:]))


@dataclass
class Config:
    """Run settings shared by every benchmark.

    ``repeats``: timed runs per measurement (≥ 30 for a published table);
    ``quick``: shorter problems and few repeats, to check that the scripts work.
    """

    repeats: int = 30
    quick: bool = False
    compare_python: str | None = None
    compare_info: dict[str, Any] = field(default_factory=dict)
    startup_repeats: int | None = None

    def n(self, full: int | None = None, quick: int = 3) -> int:
        """Repeats for one measurement: ``quick`` in quick mode, else ``full`` or --repeats."""
        return quick if self.quick else (full or self.repeats)


# --------------------------------------------------------------------- timing
def measure(
    fn: Callable[[], Any], repeats: int, warmup: int = 1, scale: float = 1.0
) -> dict[str, Any]:
    """Time ``fn()`` ``repeats`` times after ``warmup`` untimed calls.

    Returns seconds × ``scale`` (e.g. 1e5/n_steps for "per 100 000 steps"):
    ``fastest_s``, ``median_s``, ``n`` and every sample.  The garbage collector
    is paused while a sample runs, as :mod:`timeit` does.
    """
    for _ in range(warmup):
        fn()
    samples = []
    enabled = gc.isenabled()
    try:
        for _ in range(repeats):
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * scale)
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return stats(samples)


def measure_many(
    fns: dict[str, Callable[[], Any]],
    repeats: int,
    warmup: int = 1,
    scale: dict[str, float] | None = None,
) -> dict[str, dict[str, Any]]:
    """Time several functions in interleaved rounds (each round calls every function
    once, in a rotating order), so background load hits them alike and their ratios
    stay meaningful on a busy machine.  ``scale[name]`` multiplies that function's
    samples.  Returns {name: timing} as :func:`measure` does."""
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    enabled = gc.isenabled()
    try:
        for r in range(repeats):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                gc.collect()
                gc.disable()
                start = time.perf_counter()
                fns[name]()
                elapsed = time.perf_counter() - start
                if enabled:
                    gc.enable()
                samples[name].append(elapsed * (scale or {}).get(name, 1.0))
    finally:
        if enabled:
            gc.enable()
    return {name: stats(values) for name, values in samples.items()}


def stats(samples: Sequence[float]) -> dict[str, Any]:
    """Fastest, median and n of timing samples (seconds)."""
    data = np.asarray(samples, dtype=float)
    return {
        "fastest_s": float(data.min()),
        "median_s": float(np.median(data)),
        "n": int(data.size),
        "samples_s": [float(x) for x in data],
    }


def scaled(timing: dict[str, Any], factor: float) -> dict[str, Any]:
    """A timing with every sample multiplied by ``factor`` (e.g. to extrapolate)."""
    return stats([s * factor for s in timing["samples_s"]])


def fmt_time(seconds: float) -> str:
    """A duration with a readable unit."""
    if not math.isfinite(seconds):
        return str(seconds)
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= factor or unit == "µs":
            return f"{seconds / factor:.3g} {unit}"
    return f"{seconds:g} s"


def fmt_value(value: Any, unit: str = "") -> str:
    """A number with 3–4 significant digits and its unit."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, float | np.floating):
        v = float(value)
        text = f"{v:.3g}" if (v == 0 or 1e-3 <= abs(v) < 1e4) else f"{v:.2e}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


# -------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    """CPU model, cores, versions, load and date of this run."""
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        have = set(text.split("flags", 1)[1].split("\n", 1)[0].split())
        flags = " ".join(f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f") if f in have)
    except (OSError, IndexError):
        pass
    try:
        import neuntune

        version = neuntune.__version__
    except ImportError:
        version = None
    return {
        "cpu": cpu,
        "simd": flags,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "neuntune": version,
        "git": _git_revision(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _git_revision() -> str | None:
    try:
        rev = subprocess.run(
            ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(HERE.parent), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return f"{rev}{' (modified)' if dirty else ''}" or None
    except (OSError, subprocess.SubprocessError):
        return None


# ------------------------------------------------------------------ reporting
@dataclass
class Section:
    """What one benchmark reports: timings, values, goals and notes."""

    name: str
    title: str
    timings: dict[str, dict[str, Any]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    goals: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def timing(self, key: str, label: str, timing: dict[str, Any], **info: Any) -> dict:
        """Record a timing (from :func:`measure`); prints it at once."""
        entry = {"label": label, **timing, **info}
        self.timings[key] = entry
        print(
            f"  {label}: fastest {fmt_time(timing['fastest_s'])}, "
            f"median {fmt_time(timing['median_s'])} (n={timing['n']})",
            flush=True,
        )
        return entry

    def value(self, key: str, label: str, value: Any, unit: str = "", **info: Any) -> None:
        """Record a measured number (an error, a ratio, a rate...)."""
        if isinstance(value, np.generic):
            value = value.item()
        self.values[key] = {"label": label, "value": value, "unit": unit, **info}
        print(f"  {label}: {fmt_value(value, unit)}", flush=True)

    def goal(
        self,
        label: str,
        target: float,
        kind: str,
        fastest: float,
        median: float | None = None,
        unit: str = "",
    ) -> None:
        """A goal ``measured kind target`` (kind "<=" or ">="), judged on the fastest
        run and, where there is one, on the median."""

        def ok(x: float | None) -> bool | None:
            if x is None or not math.isfinite(x):
                return None
            return bool(x <= target) if kind == "<=" else bool(x >= target)

        entry = {
            "label": label,
            "target": target,
            "kind": kind,
            "unit": unit,
            "fastest": fastest,
            "median": median,
            "met_fastest": ok(fastest),
            "met_median": ok(median),
        }
        self.goals.append(entry)
        verdict = {True: "met", False: "MISSED", None: "n/a"}
        med = "" if median is None else f", median {fmt_value(median, unit)}"
        print(
            f"  goal {label} {kind} {fmt_value(target, unit)}: {fmt_value(fastest, unit)}{med}"
            f" -> {verdict[entry['met_fastest']]}"
            + ("" if median is None else f" / {verdict[entry['met_median']]} on the median"),
            flush=True,
        )

    def table(self, title: str, header: list[str], rows: list[list[Any]]) -> None:
        """A small table of strings, rendered as Markdown (and printed)."""
        self.extra.setdefault("tables", []).append(
            {"title": title, "header": header, "rows": [[str(c) for c in r] for r in rows]}
        )
        print(f"  {title}:")
        for r in [header, *rows]:
            print("    " + " | ".join(str(c) for c in r))

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def skip(self, text: str) -> None:
        """Something that could not be measured here, and why."""
        self.skipped.append(text)
        print(f"  SKIPPED: {text}", flush=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "timings": self.timings,
            "values": self.values,
            "goals": self.goals,
            "notes": self.notes,
            "skipped": self.skipped,
            **({"extra": self.extra} if self.extra else {}),
        }


def ratio(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """(fastest, median) of timing ``a`` divided by timing ``b``."""
    return a["fastest_s"] / b["fastest_s"], a["median_s"] / b["median_s"]


def paired_ratio(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """(fastest a / fastest b, median over rounds of a / b) for timings taken in the
    same interleaved rounds (:func:`measure_many`): dividing each round's samples
    cancels the load that round had in common, which a ratio of medians does not."""
    rounds = np.asarray(a["samples_s"]) / np.asarray(b["samples_s"])
    return a["fastest_s"] / b["fastest_s"], float(np.median(rounds))


def heading(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


# -------------------------------------------------------- the compare extra
def compare_python(explicit: str | None = None) -> tuple[str | None, dict[str, Any]]:
    """An interpreter that can import brian2 and/or NEURON, and what it has.

    Tried in order: ``explicit`` (``--compare-python``), $NEUNTUNE_COMPARE_PYTHON,
    this interpreter, then :data:`COMPARE_CANDIDATES`.  Returns (path or None,
    {"brian2": version or None, "neuron": version or None, ...}).
    """
    candidates = [explicit, os.environ.get("NEUNTUNE_COMPARE_PYTHON"), sys.executable]
    candidates += list(COMPARE_CANDIDATES)
    best: tuple[str | None, dict[str, Any]] = (None, {"brian2": None, "neuron": None})
    for python in candidates:
        if not python or not Path(python).exists():
            continue
        info = probe(python)
        if info.get("brian2") or info.get("neuron"):
            if info.get("brian2") and info.get("neuron"):
                return python, info
            if best[0] is None:
                best = (python, info)
    return best


_PROBE = """
import json, sys
out = {"python_version": sys.version.split()[0]}
try:
    import numpy; out["numpy"] = numpy.__version__
except Exception as e:
    out["numpy"] = None
try:
    import brian2; out["brian2"] = brian2.__version__
except Exception as e:
    out["brian2"] = None; out["brian2_error"] = f"{type(e).__name__}: {e}"
try:
    import neuron; out["neuron"] = neuron.__version__
except Exception as e:
    out["neuron"] = None; out["neuron_error"] = f"{type(e).__name__}: {e}"
try:
    import Cython; out["cython"] = Cython.__version__
except Exception:
    out["cython"] = None
print(json.dumps(out))
"""


def probe(python: str) -> dict[str, Any]:
    """Which of numpy/brian2/NEURON/Cython ``python`` can import (versions)."""
    try:
        proc = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=120, env=_clean_env()
        )
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return {"brian2": None, "neuron": None}


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the other interpreter has its own packages
    env.setdefault("MPLBACKEND", "Agg")
    return env


def run_worker(
    python: str, script: Path, args: Sequence[str], timeout: float = 3600.0
) -> dict[str, Any]:
    """Run ``python script --worker ... --out FILE`` and return the JSON it wrote.

    The reference simulators run in their own interpreter (they may need another
    numpy than neuntune's); numbers come back as JSON, timings included.
    """
    with tempfile.TemporaryDirectory(prefix="neuntune-bench-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [python, str(script), "--worker", *map(str, args), "--out", str(out)]
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=_clean_env(), cwd=tmp
        )
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            raise RuntimeError(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{tail}")
        return json.loads(out.read_text())


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=_jsonable) + "\n")


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


# ------------------------------------------------------------------- Markdown
def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "–"}[met]


def _cell(text: Any) -> str:
    """Text for a Markdown table cell (a literal | would end the cell)."""
    return str(text).replace("|", "\\|")


def markdown(results: dict[str, Any]) -> str:
    """RESULTS.md from results.json: the machine, every goal, then each benchmark."""
    m = results["machine"]
    lines = [
        "# neuntune benchmarks",
        "",
        "Generated by `benchmarks/run.py` from `results.json`; do not edit by hand.",
        "",
        f"- machine: {m['cpu']} ({m['simd']}), {m['cores']} cores, {m['platform']}",
        f"- Python {m['python']}, numpy {m['numpy']}, numba {m['numba']}, "
        f"neuntune {m['neuntune']} ({m.get('git') or 'no git'})",
        f"- date {m['date']}; load average at start {m['load_average']}"
        + (f", at end {results['load_average_end']}" if "load_average_end" in results else ""),
        f"- settings: {results['settings']}",
    ]
    cmp = results.get("compare_extra") or {}
    if cmp:
        lines.append(
            f"- compare extra: brian2 {cmp.get('brian2')}, NEURON {cmp.get('neuron')} "
            f"(numpy {cmp.get('numpy')}) via `{cmp.get('python')}`"
        )
    lines += [
        "",
        "Times are the fastest and the median of n runs (the garbage collector paused "
        "during each run, as timeit does); goals are judged on both.",
        "",
        "## Goals",
        "",
        "| benchmark | goal | fastest | median | met (fastest / median) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, section in results["benchmarks"].items():
        for g in section.get("goals", []):
            med = "–" if g["median"] is None else fmt_value(g["median"], g["unit"])
            mode = " (quick)" if section.get("quick") else ""
            lines.append(
                f"| {name}{mode} | {_cell(g['label'])} {g['kind']} "
                f"{fmt_value(g['target'], g['unit'])} "
                f"| {fmt_value(g['fastest'], g['unit'])} | {med} "
                f"| {_verdict(g['met_fastest'])} / {_verdict(g['met_median'])} |"
            )
    for name, section in results["benchmarks"].items():
        lines += ["", f"## {section.get('title', name)} (`{name}`)", ""]
        when = section.get("date", "")
        load = section.get("load_average")
        lines += [
            f"_{when}, {section.get('wall_s', '?')} s"
            + (f", load average after it {load}" if load else "")
            + (", quick mode: not for publishing_" if section.get("quick") else "_"),
            "",
        ]
        sc = section.get("compare_extra")
        if sc:
            lines += [
                f"compare extra for this section: brian2 {sc.get('brian2')}, NEURON "
                f"{sc.get('neuron')} (numpy {sc.get('numpy')}) via `{sc.get('python')}`",
                "",
            ]
        if section.get("error"):
            lines += [f"Failed: `{section['error']}`", ""]
        for text in section.get("skipped", []):
            lines.append(f"- skipped: {text}")
        if section.get("timings"):
            lines += ["", "| timing | fastest | median | n |", "| --- | --- | --- | --- |"]
            for t in section["timings"].values():
                lines.append(
                    f"| {_cell(t['label'])} | {fmt_time(t['fastest_s'])} "
                    f"| {fmt_time(t['median_s'])} | {t['n']} |"
                )
        if section.get("values"):
            lines += ["", "| quantity | value |", "| --- | --- |"]
            for v in section["values"].values():
                lines.append(f"| {_cell(v['label'])} | {_cell(fmt_value(v['value'], v['unit']))} |")
        for table in section.get("extra", {}).get("tables", []):
            lines += ["", f"{table['title']}:", ""]
            lines.append("| " + " | ".join(_cell(h) for h in table["header"]) + " |")
            lines.append("|" + " --- |" * len(table["header"]))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table["rows"]]
        if section.get("notes"):
            lines.append("")
            lines += [f"- {text}" for text in section["notes"]]
        for image in section.get("extra", {}).get("images", []):
            lines += ["", f"![{name}]({image})"]
    return "\n".join(lines) + "\n"
