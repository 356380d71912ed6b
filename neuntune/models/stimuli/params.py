"""Parameter declarations shared by the current stimuli."""

from ..declarations import Parameter


def amplitude(default: float = 0.1, doc: str = "current amplitude") -> Parameter:
    """A current in µA (negative hyperpolarises)."""
    return Parameter(default, "uA", doc, ui_range=(-1.0, 1.0))


def time(default: float, doc: str) -> Parameter:
    """A non-negative time in ms."""
    return Parameter(default, "ms", doc, minimum=0, ui_range=(0.0, 1000.0))
