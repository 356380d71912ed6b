"""Presets on disk: parse, load (bundled names or files), save atomically.

Saving writes a temporary file next to the target and renames it over the
target only once everything is written, so a failed or interrupted save never
damages an existing preset.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import IO, Any

from ..circuit import Circuit
from ..errors import PresetError
from .checks import object_pairs
from .document import Preset, RunSettings, to_dict
from .reader import from_dict

#: The preset the dashboard opens with.
DEFAULT = "hh_gap_pair"

_BUNDLED = resources.files(__package__).joinpath("bundled")


def names() -> list[str]:
    """Names of the presets bundled with neuntune, sorted."""
    return sorted(p.name[: -len(".json")] for p in _BUNDLED.iterdir() if p.name.endswith(".json"))


#: The largest preset file (or upload) read, in bytes: checked before parsing.
MAX_BYTES = 8 * 1024 * 1024


def decode(text: str | bytes) -> Any:
    """The JSON document in ``text``, refused over :data:`MAX_BYTES` before it is
    parsed; raises PresetError.  (Readers check its sizes: ``checks.check_sizes``.)"""
    if not isinstance(text, str | bytes | bytearray):
        raise TypeError(f"parse: expected JSON text (str or bytes), got {type(text).__name__}")
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_BYTES:
        raise PresetError(
            f"$: the preset is {size} bytes, over the limit of {MAX_BYTES} bytes "
            f"({MAX_BYTES // 2**20} MiB) for a preset"
        )
    try:
        # NaN and Infinity stay numbers here, so the check that rejects them names their path
        doc = json.loads(text, object_pairs_hook=object_pairs, parse_constant=float)
    except json.JSONDecodeError as exc:
        raise PresetError(
            f"$: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise PresetError("$: not a usable preset: the JSON is nested too deeply") from None
    except ValueError as exc:  # undecodable bytes, integers with too many digits
        raise PresetError(f"$: not valid JSON: {exc}") from None
    return doc


def is_neuron_document(doc: Any) -> bool:
    """Whether a decoded document is a NEURON cell preset (``"engine": "neuron"``)."""
    return isinstance(doc, dict) and doc.get("engine") == "neuron"


def parse(text: str | bytes) -> Preset:
    """A preset from JSON text (any known schema version); raises PresetError.

    Text over :data:`MAX_BYTES` is refused before it is parsed; lists, objects and
    strings over the limits in :mod:`.checks` before anything is built from them."""
    doc = decode(text)
    if is_neuron_document(doc):
        raise PresetError(
            "$.engine: 'neuron': a preset of a NEURON cell, which runs in NEURON: open it "
            "with `neuntune serve FILE` or neuntune.neuron.load_preset(FILE)"
        )
    return from_dict(doc)


def locate(name_or_path: str | os.PathLike[str]) -> Path:
    """The file a preset name or path refers to: an existing file first, then a bundled name."""
    path = Path(name_or_path)
    if path.is_file() or not isinstance(name_or_path, str) or name_or_path not in names():
        return path
    return Path(str(_BUNDLED.joinpath(f"{name_or_path}.json")))


def read(name_or_path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    """The file a preset name or path refers to and its bytes, refused over
    :data:`MAX_BYTES` before more is read; raises PresetError naming it."""
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(
            f"load_preset: expected a bundled preset name or a file path, got "
            f"{type(name_or_path).__name__} {name_or_path!r}"
        )
    path = locate(name_or_path)
    try:
        with open(path, "rb") as fh:  # at most one byte over the limit, even from a pipe
            text = fh.read(MAX_BYTES + 1)
            if len(text) > MAX_BYTES:
                size = os.fstat(fh.fileno()).st_size
                held = f"is {size} bytes" if size > MAX_BYTES else "holds more"  # a pipe
                raise PresetError(
                    f"{name_or_path}: $: the file {held}, over the limit of {MAX_BYTES} "
                    f"bytes ({MAX_BYTES // 2**20} MiB) for a preset"
                )
    except OSError as exc:
        bundled = ", ".join(names())
        raise PresetError(
            f"{name_or_path}: cannot read it ({exc.strerror}); give a preset file or one of the "
            f"bundled presets: {bundled}"
        ) from None
    return path, text


def load(name_or_path: str | os.PathLike[str]) -> Preset:
    """A bundled preset by name (``"hh_gap_pair"``) or a preset file, validated.

    Raises :class:`~neuntune.PresetError` (a ValueError) naming the file and the
    JSON path of the first problem.
    """
    _, text = read(name_or_path)
    try:
        return parse(text)
    except PresetError as exc:
        raise PresetError(f"{name_or_path}: {exc}") from None


#: Containers whose one-line form is at most this long stay on one line.
_LINE = 88


def _chunks(value: Any, level: int = 0) -> Iterator[str]:
    """JSON text in pieces: indented, but short containers (a ``{"value", "unit"}``
    pair, a range) on one line, so a preset reads like a table.  Never writes NaN,
    which JSON lacks."""
    flat = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if not isinstance(value, dict | list) or not value or len(flat) <= _LINE:
        yield flat
        return
    pad = "  " * (level + 1)
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    yield "{" if isinstance(value, dict) else "["
    for i, (key, item) in enumerate(items):
        label = "" if key is None else json.dumps(key, ensure_ascii=False) + ": "
        yield f"{',' if i else ''}\n{pad}{label}"
        yield from _chunks(item, level + 1)
    yield f"\n{'  ' * level}{'}' if isinstance(value, dict) else ']'}"


def _checked(preset: Preset) -> dict[str, Any]:
    doc = to_dict(preset)
    from_dict(doc)  # never write what could not be read back
    return doc


def dumps(preset: Preset) -> str:
    """The preset as JSON text (validated first, so it always loads back: within
    :data:`MAX_BYTES` too)."""
    text = "".join(_chunks(_checked(preset))) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise PresetError(
            f"$: the preset would be {size} bytes, over the limit of {MAX_BYTES} bytes "
            f"({MAX_BYTES // 2**20} MiB) a preset may have; store long lists of a network "
            "as rules and seeded distributions (nt.FixedProbability(p, seed=1), "
            "nt.Normal(mean, sd, seed=1)) instead of explicit pairs and values"
        )
    return text


def write_atomically(
    path: str | os.PathLike[str], write: Callable[[IO[Any]], None], binary: bool = False
) -> Path:
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it to ``path``.

    If ``write`` fails, the temporary file is removed and ``path`` is untouched.
    An existing file's permissions are kept.
    """
    path = Path(path)
    if path.is_symlink():  # replace the file the link points to, and keep the link
        path = Path(os.path.realpath(path))
    _remove_stale_temporaries(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        handle = open(
            temporary, "xb" if binary else "x", **({} if binary else {"encoding": "utf-8"})
        )
    except OSError as exc:  # name the file asked for, not our temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with handle as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _remove_stale_temporaries(path: Path) -> None:
    """Remove temporaries of earlier saves to ``path`` whose process is gone (a save
    killed between writing and renaming leaves one).  A temporary of a process that
    still runs may be a save in progress and is left alone."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp$")
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return  # the save itself reports a missing or unreadable folder
    for candidate in candidates:
        match = pattern.match(candidate.name)
        if match is None or _running(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            candidate.unlink()


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def save(
    preset: Preset | Circuit,
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    description: str | None = None,
    source: str | None = None,
    run: RunSettings | None = None,
) -> Path:
    """Write ``preset`` (a :class:`Preset`, or a bare :class:`~neuntune.Circuit`) to ``path``.

    ``name`` (default: the file's stem for a circuit), ``description``, ``source``
    and ``run`` replace the preset's own.  The document is validated before
    anything is written; returns the path written.
    """
    if isinstance(preset, Circuit):
        preset = Preset(preset, name or Path(path).stem)
    elif not isinstance(preset, Preset):
        raise TypeError(f"save_preset: expected a Preset or a Circuit, got {preset!r}")
    changes = {"name": name, "description": description, "source": source, "run": run}
    preset = replace(preset, **{k: v for k, v in changes.items() if v is not None})
    text = dumps(preset)  # checked, within the size limit, before anything is written
    return write_atomically(path, lambda fh: fh.write(text))
