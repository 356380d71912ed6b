"""Voltage clamp: ideal, or through a series resistance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..declarations import Option, Parameter
from ..kinds import Stimulus
from ..registry import register
from .params import time

_command = "where(t >= start and t < stop, level, holding)"


@register
class VoltageClamp(Stimulus):
    """Clamp a cell at ``holding`` mV, stepping to ``level`` mV for start ≤ t < stop (ms).

    Ideal (default): the cell's voltage follows the command exactly and the
    recorded current is what the clamp injects to hold it, I = −C·dv/dt of the
    unclamped cell (µA; positive depolarises, as NEURON's SEClamp reports it, so an
    EPSC is negative).  With ``rs`` (MΩ) given, the clamp is a current source
    I = (V_command − v)/rs (1 mV/MΩ = 1 nA = 1e-3 µA): the cell's voltage lags the
    command with time constant rs·C, as with a real amplifier.
    """

    parameters = {
        "holding": Parameter(-70.0, "mV", "holding potential", ui_range=(-120.0, 40.0)),
        "level": Parameter(-70.0, "mV", "step level", ui_range=(-120.0, 40.0)),
        "start": time(0.0, "step onset"),
        "stop": time(0.0, "step offset"),
        "rs": Parameter(
            1.0,
            "MOhm",
            "series resistance (series mode)",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(0.01, 100.0),
        ),
    }
    options = {
        "mode": Option(("ideal", "series"), "ideal", "ideal clamp, or through a series resistance")
    }

    def __init__(self, **values: Any) -> None:
        if "rs" in values and "mode" not in values:
            values["mode"] = "series"  # giving a series resistance asks for it
        super().__init__(**values)

    @classmethod
    def equations_for(cls, options: Mapping[str, str]) -> str:
        if options["mode"] == "series":
            return f"V_c = {_command}\nI = 1e-3*(V_c - v)/rs"
        return f"V_command = {_command}"
