"""What the subcommands share: :class:`BadInput` (a message on stderr, exit code 2),
text made safe for a terminal, refusing an output path before the work that fills
it, a progress bar on stderr, and writing a fitted preset."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import presets


def printable(text: object) -> str:
    """``text`` safe for a terminal: control characters (ANSI/OSC escapes, newlines,
    carriage returns, bidirectional overrides, lone surrogates) written as Python
    escapes, so text from a file can neither move the cursor nor fake a line."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode()
        for ch in str(text)
    )


class BadInput(Exception):
    """Input the command cannot use; its message goes to stderr with exit code 2."""


def check_output(option: str, path: str | None, suffixes: Sequence[str]) -> None:
    """Refuse an output path before the work that fills it: a wrong suffix or a
    folder that cannot take the file would otherwise lose a finished fit or scan."""
    if not path:
        return
    if Path(path).suffix.lower() not in suffixes:
        raise BadInput(f"{option} {path}: use a {', '.join(suffixes)} file")
    folder = Path(path).parent
    if not folder.is_dir():
        raise BadInput(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise BadInput(f"{option} {path}: cannot write in {folder}")


def progress(description: str) -> tuple[Callable[[float], bool] | None, Callable[[], None]]:
    """A progress callback drawing a bar on stderr (tqdm, from the ``cli`` extra), and
    a function closing it; without tqdm, no progress is shown."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None, lambda: None
    bar = None  # drawn at the first report, so input errors are not printed over a bar

    def update(fraction: float) -> bool:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=100, desc=description, unit="%", leave=False, file=sys.stderr)
        bar.update(max(0, round(100 * fraction) - bar.n))
        return False

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close


def save_preset(preset: presets.Preset, path: str | None) -> None:
    if path:
        presets.save(preset, path)
        print(f"preset written to {path}")
