"""What the Neun examples share: headless plotting, where figures go, and a time
scale for quick runs.

- Figures go to the directory given as the script's first argument, else to
  ``$NEUN_EXAMPLES_OUT``, else to the current directory.
- ``$NEUN_EXAMPLES_SCALE`` (default 1) multiplies every simulated duration.  The
  tests run the compat scripts at a fraction of it to stay quick; nothing else in
  an example changes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the examples save their figures, they never show them

SCALE = float(os.environ.get("NEUN_EXAMPLES_SCALE", "1"))


def figure(name: str) -> Path:
    """Where to save figure ``name`` (the directory is created if needed)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("NEUN_EXAMPLES_OUT", "."))
    out.mkdir(parents=True, exist_ok=True)
    return out / name
