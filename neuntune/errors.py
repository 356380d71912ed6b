"""Exceptions users can catch."""

from __future__ import annotations


class PresetError(ValueError):
    """A preset document that cannot be used; the message names the JSON path."""


class SimulationError(RuntimeError):
    """A run that could not continue (a value became NaN or infinite).

    Attributes: ``t`` (ms) when it was detected, ``variable`` ('element.state')
    and ``suggested_dt`` (ms) worth trying.
    """

    def __init__(self, message: str, t: float, variable: str, suggested_dt: float) -> None:
        super().__init__(message)
        self.t = t
        self.variable = variable
        self.suggested_dt = suggested_dt
