#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium for the browser tests, a C++
# compiler for NEURON's nrnivmodl, the package with its test extra, and a second venv
# with the `compare` extra for the tests that run exported Brian2 scripts) and run the
# whole suite.  README.md's second command, and CI's entry point (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q chromium
fi
# nrnivmodl (tests/test_neuron_*.py compile mod files) needs a C++ compiler and make
if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q g++ make
fi
python -m pip install -q -e ".[test]"

# The compare environment: brian2 2.9 needs numpy < 2.4, which the main environment
# does not hold, so it lives in its own venv with only the `compare` extra's
# requirements (brian2, numpy, NEURON, cython; the exported scripts import nothing
# of neuntune).  Built once; later runs only check it (a stamp of the extra's pins,
# and that brian2 imports at the pinned version).  A NEUNTUNE_COMPARE_PYTHON already
# set is used as it is.
if [ -z "${NEUNTUNE_COMPARE_PYTHON:-}" ]; then
    COMPARE_VENV="${NEUNTUNE_COMPARE_VENV:-.venv-compare}"
    REQUIREMENTS=$(python -c '
import tomllib
extra = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["compare"]
print("\n".join(extra))
')
    BRIAN2=$(printf '%s\n' "$REQUIREMENTS" | sed -n 's/^brian2==//p')
    compare_ok() {
        [ -x "$COMPARE_VENV/bin/python" ] &&
            [ "$(cat "$COMPARE_VENV/.neuntune-compare" 2>/dev/null)" = "$REQUIREMENTS" ] &&
            "$COMPARE_VENV/bin/python" -c \
                "import brian2, sys; sys.exit(brian2.__version__ != '$BRIAN2')" >/dev/null 2>&1
    }
    if ! compare_ok; then
        echo "tools/test.sh: building the compare environment in $COMPARE_VENV" >&2
        [ -x "$COMPARE_VENV/bin/python" ] || python -m venv "$COMPARE_VENV"
        mapfile -t PINS < <(printf '%s\n' "$REQUIREMENTS")
        "$COMPARE_VENV/bin/python" -m pip install -q "${PINS[@]}"
        printf '%s' "$REQUIREMENTS" >"$COMPARE_VENV/.neuntune-compare"
        if ! compare_ok; then
            echo "tools/test.sh: $COMPARE_VENV does not import brian2==$BRIAN2" >&2
            exit 1
        fi
    fi
    NEUNTUNE_COMPARE_PYTHON="$(cd "$COMPARE_VENV" && pwd)/bin/python"
    export NEUNTUNE_COMPARE_PYTHON
fi

python -m pytest -n 2 "$@"
