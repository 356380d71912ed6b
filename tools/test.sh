#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium for the browser tests, the
# package with its test extra) and run the whole suite.  README.md's second command.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q chromium
fi
python -m pip install -q -e ".[test]"
python -m pytest -n 2 "$@"
