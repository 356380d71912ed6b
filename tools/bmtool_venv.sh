#!/usr/bin/env bash
# Build the BMTool reference environment, .venv-bmtool in the repository root (or
# $NEUNTUNE_BMTOOL_VENV), for benchmarks/bmtool_reference.py.  BMTool 0.8.7 pins
# NEURON 8.2.4 and imports ipywidgets and tqdm without declaring them; its
# SynapseTuner.SingleEvent calls np.trapz, which numpy 2.4 removed, hence numpy<2.4.
# Neither the package nor its tests depend on this environment: the benchmark runs the
# real BMTool here and commits its numbers (tests/data/bmtool_0.8.7.json).
# Built once (about 2.5 min); later runs only check it (a stamp of the pins, and that
# bmtool.synapses imports at the pinned version).  Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${NEUNTUNE_BMTOOL_VENV:-.venv-bmtool}"
PINS=("bmtool==0.8.7" "ipywidgets" "tqdm" "numpy<2.4")
STAMP="$(printf '%s\n' "${PINS[@]}")"
venv_ok() {
    [ -x "$VENV/bin/python" ] &&
        [ "$(cat "$VENV/.neuntune-bmtool" 2>/dev/null)" = "$STAMP" ] &&
        "$VENV/bin/python" -c '
import importlib.metadata as md, sys
import matplotlib
matplotlib.use("Agg")
import bmtool.synapses  # noqa: F401  (imports neuron, ipywidgets, tqdm)
sys.exit(md.version("bmtool") != "0.8.7")' >/dev/null 2>&1
}
if ! venv_ok; then
    echo "tools/bmtool_venv.sh: building the BMTool environment in $VENV" >&2
    [ -x "$VENV/bin/python" ] || python -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q "${PINS[@]}"
    printf '%s' "$STAMP" >"$VENV/.neuntune-bmtool"
    if ! venv_ok; then
        echo "tools/bmtool_venv.sh: $VENV does not import bmtool.synapses 0.8.7" >&2
        exit 1
    fi
fi
echo "$(cd "$VENV" && pwd)/bin/python"
