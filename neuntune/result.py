"""What a run returns: traces, spikes and events (:class:`Result`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Spikes(NamedTuple):
    """A population's spikes: member index ``i`` and time ``t`` (ms) of each, in time order."""

    i: np.ndarray
    t: np.ndarray


@dataclass
class Result:
    """Traces of one run.

    ``t`` (ms, read-only: a batch's results share it) starts at 0; ``v[cell]`` (mV;
    for a population, one row per recorded member, whose indices are in ``members``),
    ``state[element][var]``, ``current[connection]`` (µA into the post cell; for a
    stimulus, µA injected),
    ``spikes[cell]`` (ms, interpolated upward threshold crossings, found at every
    step even when recording is decimated; for a population, :class:`Spikes` with
    member indices and times) and ``events[connection]`` (delivery
    times and logged values such as short-term-plasticity release).
    """

    t: np.ndarray
    v: dict[str, np.ndarray]
    state: dict[str, dict[str, np.ndarray]]
    current: dict[str, np.ndarray]
    spikes: dict[str, np.ndarray]
    events: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    dt: float = 0.0
    method: str = ""
    precision: str = ""
    members: dict[str, np.ndarray] = field(default_factory=dict)

    def columns(self) -> dict[str, np.ndarray]:
        """Every recorded trace as ``{"t": ..., "a.v": ..., "gj.I": ...}``."""
        out = {"t": self.t}
        for element, variables in self.state.items():
            for var, trace in variables.items():
                out[f"{element}.{var}"] = trace
        for element, trace in self.current.items():
            out[f"{element}.I"] = trace
        return out

    def __repr__(self) -> str:
        n = {k: len(s.t) if isinstance(s, Spikes) else len(s) for k, s in self.spikes.items()}
        return (
            f"Result({len(self.t)} samples to t={self.t[-1]:g} ms, dt={self.dt:g}, "
            f"{self.method}/{self.precision}, spikes={n})"
        )


class CancelledError(RuntimeError):
    """A long run stopped because its progress callback asked to cancel."""


def n_samples(n_steps: int, record_every: int) -> int:
    """Samples recorded in ``n_steps``: the start, every ``record_every`` steps, the end."""
    return n_steps // record_every + 1 + (n_steps % record_every > 0)
