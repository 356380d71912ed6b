"""One-time warnings for the compat layer, pointing at the user's line."""

from __future__ import annotations

import os
import sys
import warnings


class NeunSignWarning(UserWarning):
    """A Neun sign convention that neuntune's native models do not share."""


_warned: set[str] = set()
_PACKAGE = os.path.dirname(__file__)


def warn_once(key: str, message: str, category: type[Warning] = NeunSignWarning) -> None:
    """Emit ``message`` the first time ``key`` is seen in this process, attributed
    to the first caller outside this package (the user's script)."""
    if key in _warned:
        return
    _warned.add(key)
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
