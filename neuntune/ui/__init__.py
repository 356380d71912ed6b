"""The live tuner: Panel dashboard and Jupyter widget on the simulation core.

``Tuner`` (the view) and ``serve`` import Panel, so they load on first use:
``import neuntune.ui`` stays light, and :class:`TunerModel` works without Panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .state import TunerModel

if TYPE_CHECKING:
    from .server import serve
    from .tuner import Tuner

__all__ = ["Tuner", "TunerModel", "serve"]


def __getattr__(name: str) -> Any:
    if name == "Tuner":
        from .tuner import Tuner

        return Tuner
    if name == "serve":
        from .server import serve

        return serve
    raise AttributeError(f"module 'neuntune.ui' has no attribute {name!r}")
