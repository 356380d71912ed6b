"""NEURON mechanisms compiled by ``nrnivmodl`` into a cache folder keyed by content.

NEURON 9's ``nrnivmodl`` translates to C++ and takes seconds per mod file, so a set of
mod files is compiled once and reused: the folder's name is a hash of the files' bytes,
NEURON's version, the machine and the C++ compiler, and a build is installed by renaming
a finished temporary folder (atomic), under a file lock so that two processes compiling
the same set wait for one build.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: The shared library nrnivmodl writes under ``<arch>/`` (NEURON 9), or ``<arch>/.libs/``.
LIBRARY = "libnrnmech.so"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# nocmodl's ("syntax error:", "Error: Illegal block at line 3"), the C++ compiler's
# ("leak.cpp:245:18: error: ..."), and the translator's hint at the cause of the latter.
_ERROR_LINE = re.compile(r"\berror\b.*:|^Warning: .* undefined", re.IGNORECASE)


class MechanismBuildError(RuntimeError):
    """``nrnivmodl`` could not build the mechanisms (or cannot run at all).

    Attributes: ``errors``, the log's error lines (nocmodl's and the compiler's), and
    ``log``, the whole of nrnivmodl's output ('' when it did not run).
    """

    def __init__(self, message: str, errors: tuple[str, ...] = (), log: str = "") -> None:
        super().__init__(message)
        self.errors = errors
        self.log = log


@dataclass(frozen=True)
class CompiledMechanisms:
    """A compiled mechanism set in the cache.

    ``library`` is the ``libnrnmech.so`` to pass to ``h.nrn_load_dll``; ``built`` says
    whether this call compiled it (a cache miss); ``seconds`` is this call's wall time (s).
    """

    key: str
    folder: Path
    library: Path
    mod_files: tuple[str, ...]
    built: bool
    seconds: float


def cache_root() -> Path:
    """neuntune's cache for NEURON builds: ``$NEUNTUNE_CACHE``, else ``~/.cache/neuntune``."""
    return Path(os.environ.get("NEUNTUNE_CACHE") or Path.home() / ".cache" / "neuntune")


def mod_files(mod_dir: str | os.PathLike[str]) -> list[Path]:
    """The ``*.mod`` files of ``mod_dir``, sorted by name (a compiled ``x86_64/`` there is
    ignored)."""
    folder = Path(mod_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"mod folder {folder} does not exist")
    files = sorted(folder.glob("*.mod"))
    if not files:
        raise MechanismBuildError(f"mod folder {folder} holds no .mod files")
    return files


def neuron_version() -> str:
    """The installed NEURON's version, read without importing NEURON into this process."""
    try:
        return importlib.metadata.version("neuron")
    except importlib.metadata.PackageNotFoundError:
        raise MechanismBuildError(
            "NEURON is not installed: pip install 'neuntune[neuron]'"
        ) from None


@cache
def _compiler() -> str:
    """The first line of the C++ compiler's ``--version`` (nrnivmodl uses $CXX or c++)."""
    for name in filter(None, (os.environ.get("CXX"), "c++", "g++", "clang++")):
        path = shutil.which(name)
        if path:
            out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
            return out.splitlines()[0] if out else path
    raise MechanismBuildError("nrnivmodl needs a C++ compiler and make: apt-get install g++ make")


def mechanisms_key(mod_dir: str | os.PathLike[str]) -> str:
    """sha256 (hex) of the mod files' names and bytes, NEURON's version, the machine and
    the C++ compiler: what a compiled library depends on."""
    digest = hashlib.sha256()
    for path in mod_files(mod_dir):
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    for part in (neuron_version(), platform.machine(), _compiler()):
        digest.update(f"\0{part}".encode())
    return digest.hexdigest()


def _nrnivmodl() -> Path:
    # pip puts nrnivmodl beside the interpreter; PATH may lead to another NEURON's.
    beside = Path(sys.executable).parent / "nrnivmodl"
    found = beside if beside.is_file() else shutil.which("nrnivmodl")
    if found is None:
        raise MechanismBuildError("nrnivmodl was not found: pip install 'neuntune[neuron]'")
    if shutil.which("make") is None:
        raise MechanismBuildError("nrnivmodl needs make: apt-get install make")
    return Path(found)


def _library(folder: Path) -> Path | None:
    for pattern in (f"*/{LIBRARY}", f"*/.libs/{LIBRARY}"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def error_lines(log: str) -> tuple[str, ...]:
    """The lines of an nrnivmodl log that say what went wrong."""
    lines = (_ANSI.sub("", line).rstrip() for line in log.splitlines())
    return tuple(
        line for line in lines if _ERROR_LINE.search(line) and not line.startswith("make:")
    )


def compile_mechanisms(
    mod_dir: str | os.PathLike[str],
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = 1800.0,
) -> CompiledMechanisms:
    """Compile the mod files of ``mod_dir`` with ``nrnivmodl``, or find them compiled.

    ``cache_dir`` holds the builds (default ``cache_root()/"nrnmech"``), one folder per
    key (its first 16 hex digits) with the library, the mod files and ``build.log``.
    ``timeout`` (s) bounds one build.  A failed build raises ``MechanismBuildError``
    quoting nrnivmodl's error lines; its log is kept as ``failed-<key16>.log`` there.
    """
    start = time.perf_counter()
    files = mod_files(mod_dir)
    key = mechanisms_key(mod_dir)
    root = Path(cache_dir) if cache_dir is not None else cache_root() / "nrnmech"
    folder = root / key[:16]
    names = tuple(path.name for path in files)

    def result(built: bool) -> CompiledMechanisms:
        library = _library(folder)
        if library is None:
            raise MechanismBuildError(f"{folder} holds no {LIBRARY}: delete it to rebuild")
        return CompiledMechanisms(key, folder, library, names, built, time.perf_counter() - start)

    if folder.is_dir():  # installed by rename, so complete
        return result(built=False)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{key[:16]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building this key
        if folder.is_dir():
            return result(built=False)
        build = root / "tmp" / f"{key[:16]}-{os.getpid()}"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        try:
            for path in files:
                shutil.copyfile(path, build / path.name)
            try:
                proc = subprocess.run(
                    [str(_nrnivmodl()), "."],
                    cwd=build,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    errors="replace",
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise MechanismBuildError(
                    f"nrnivmodl took longer than {timeout:g} s on {Path(mod_dir)}"
                ) from None
            (build / "build.log").write_text(proc.stdout)
            if proc.returncode != 0 or _library(build) is None:
                log_copy = root / f"failed-{key[:16]}.log"
                log_copy.write_text(proc.stdout)
                errors = error_lines(proc.stdout)
                raise MechanismBuildError(
                    f"nrnivmodl failed on {Path(mod_dir)} (exit {proc.returncode}):\n"
                    + "\n".join(errors or ("(no error lines; see the log)",))
                    + f"\nfull log: {log_copy}",
                    errors,
                    proc.stdout,
                )
            (build / "key").write_text(key + "\n")
            os.replace(build, folder)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return result(built=True)
