"""nrnivmodl builds are cached by content: a miss compiles once (even when two callers
ask at once), a hit costs no compilation, a changed mod file is a new key, and a broken
one quotes nrnivmodl's error lines and installs nothing."""

import shutil
import threading
import time
from pathlib import Path

import pytest

from neuntune.neuron import MechanismBuildError, compile_mechanisms, mechanisms_key

DATA = Path(__file__).parent / "data" / "neuron"


def test_a_miss_compiles_once_and_the_next_call_hits(tmp_path):
    # a cold cache of its own; the one-file set compiles in a few seconds
    mods = tmp_path / "mods"
    shutil.copytree(DATA / "mechanisms_alt", mods)
    (mods / "x86_64").mkdir()  # a stale build in the user's folder is not part of the key
    (mods / "x86_64" / "libnrnmech.so").write_bytes(b"stale")
    assert mechanisms_key(mods) == mechanisms_key(DATA / "mechanisms_alt")
    cache = tmp_path / "cache"
    results = []
    callers = [
        threading.Thread(target=lambda: results.append(compile_mechanisms(mods, cache)))
        for _ in range(2)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    # the file lock makes the second caller wait for the first one's build and reuse it
    assert sorted(r.built for r in results) == [False, True]
    miss = next(r for r in results if r.built)
    assert miss.folder == cache / miss.key[:16]
    assert miss.library.is_file() and miss.library.parent.parent == miss.folder
    assert (miss.folder / "key").read_text().strip() == miss.key
    assert "leak.mod" in (miss.folder / "build.log").read_text()
    assert miss.mod_files == ("leak.mod",)
    assert not any((cache / "tmp").iterdir())  # the build folder was renamed into place

    start = time.perf_counter()
    hit = compile_mechanisms(mods, cache)
    elapsed = time.perf_counter() - start
    assert not hit.built and hit.library == miss.library
    assert elapsed < 1.0 and hit.seconds < 1.0
    print(f"miss {miss.seconds:.2f} s, hit {1e3 * elapsed:.2f} ms")


def test_a_changed_mod_file_is_a_new_key(tmp_path):
    original = mechanisms_key(DATA / "mechanisms")
    mods = tmp_path / "mods"
    shutil.copytree(DATA / "mechanisms", mods)
    assert mechanisms_key(mods) == original  # the folder's path is not part of the key
    with open(mods / "leak.mod", "a") as handle:
        handle.write("\n")
    changed = mechanisms_key(mods)
    assert changed != original
    (mods / "leak.mod").rename(mods / "leak2.mod")  # the same bytes under another name
    assert mechanisms_key(mods) not in (original, changed)


BROKEN_SYNTAX = """\
NEURON { SUFFIX bad RANGE x }
PARAMETER { x = 1 }
BREAKPOINT { x = x +* 2 }
"""


def test_a_broken_mod_file_quotes_the_translator_error(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "bad.mod").write_text(BROKEN_SYNTAX)
    cache = tmp_path / "cache"
    with pytest.raises(MechanismBuildError) as caught:
        compile_mechanisms(mods, cache)
    error = caught.value
    assert any("Illegal block at line 3 in file bad.mod" in line for line in error.errors)
    assert "Illegal block at line 3" in str(error)
    assert "x = x +* 2" in error.log
    key = mechanisms_key(mods)
    assert not (cache / key[:16]).exists()
    assert (cache / f"failed-{key[:16]}.log").read_text() == error.log
    assert f"failed-{key[:16]}.log" in str(error)


def test_an_undefined_name_quotes_the_compiler_error_and_its_cause(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    leak = (DATA / "mechanisms" / "leak.mod").read_text()
    (mods / "leak.mod").write_text(leak.replace("(v - e)", "(v - e_missing)"))
    with pytest.raises(MechanismBuildError) as caught:
        compile_mechanisms(mods, tmp_path / "cache")
    errors = caught.value.errors
    # nocmodl only warns; the C++ compiler then fails on the same name
    assert any(line.startswith("Warning: e_missing undefined") for line in errors)
    assert any("error:" in line and "e_missing" in line for line in errors)
    assert not any(line.startswith("make:") for line in errors)


def test_missing_or_empty_mod_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        compile_mechanisms(tmp_path / "nowhere", tmp_path / "cache")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MechanismBuildError, match=r"empty holds no \.mod files"):
        compile_mechanisms(tmp_path / "empty", tmp_path / "cache")
