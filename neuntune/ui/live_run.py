"""One live run of the tuner: its budget, what the worker is asked for
(:class:`RunRequest`), the run itself and what it hands back (:class:`Outcome`).

Runs go through the tuner's :class:`~neuntune.ui.runner.Runner`, latest wins: a
superseded run still going after :data:`SUPERSEDED_AFTER` is cancelled, shorter
ones finish (so a continuous drag still redraws), and the tuner drops a result older
than one already shown.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..circuit import Circuit
from ..errors import SimulationError
from ..simulate import CancelledError, Result, check_run, simulate
from .population import network_traces, record_plan
from .runner import Ticket
from .traces import TraceSpec, browser_traces

log = logging.getLogger(__name__)

#: Longest run the dashboard starts (steps): about a second or two for a small circuit,
#: so dragging stays live.  Longer requests are refused with a note.
MAX_STEPS = 5_000_000
#: Most samples kept per trace in memory (and in the CSV); longer runs record every k-th step.
MAX_SAMPLES = 200_001
#: A run still going after this long (s) is stopped, whatever else happens.
MAX_SECONDS = 20.0
#: A superseded run is cancelled once it has taken this long (s); shorter ones finish
#: and are shown, so a continuous drag still redraws instead of cancelling every run.
SUPERSEDED_AFTER = 0.25
#: Runs longer than this (steps) report progress, so they can be cancelled or stopped.
CHUNKED_AFTER = 100_000


@dataclass(frozen=True)
class RunRequest:
    """One requested run, as the worker gets it: the values (a copy of the circuit),
    the run settings (ms; ``precision`` "float64" or "float32", ``init`` the preset's
    initial-state rule such as "default"), every
    how many steps a sample is kept, the plotted points per trace, and either the
    traces to plot or, for a network, the recorded and shown members."""

    circuit: Circuit
    t_stop: float
    dt: float
    method: str
    precision: str
    init: str
    record_every: int
    points: int
    specs: list[TraceSpec]
    network: bool = False
    record: list[str] | None = None
    members: dict[str, tuple[int, ...]] | None = None


@dataclass
class Outcome:
    """What one run produced, carried from the worker to the UI thread."""

    generation: int
    result: Result | None = None
    traces: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    error: str = ""
    note: str = ""
    status: str = ""
    #: The values and run settings that were simulated (of a run that succeeded).
    circuit: Circuit | None = None
    run: dict[str, Any] = field(default_factory=dict)


def plan_run(
    circuit: Circuit,
    t_stop: float,
    dt: float,
    method: str,
    *,
    precision: str,
    init: str,
    points: int,
    specs: list[TraceSpec],
    members: dict[str, tuple[int, ...]] | None = None,
) -> RunRequest:
    """The request for a run of (a copy of) ``circuit`` for ``t_stop`` ms at step ``dt``
    ms, or for a network (``members`` given: the members shown, by population) its
    recording plan.  Settings the budget cannot afford raise ``ValueError`` (or
    ``TypeError``) with a message for the page."""
    t_stop, dt, _, n_steps = check_run(t_stop, dt)
    if n_steps > MAX_STEPS:
        raise ValueError(
            f"Not run: t_stop/dt = {n_steps:,} steps is over the dashboard's budget of "
            f"{MAX_STEPS:,} steps per run. Shorten t_stop or raise dt "
            f"(e.g. dt = {math.ceil(1000 * t_stop / MAX_STEPS) / 1000:g} ms); "
            "the plot shows the last run."
        )
    record_every = max(1, math.ceil(n_steps / (MAX_SAMPLES - 1)))
    record = None
    if members is not None:
        plan = record_plan(circuit, members, n_steps, MAX_SAMPLES)
        record, record_every = plan.record, plan.record_every
    return RunRequest(
        circuit.copy(), t_stop, dt, method, precision, init, record_every, points, specs,
        network=members is not None, record=record,
        members=None if members is None else dict(members),
    )  # fmt: skip


def run_live(request: RunRequest, ticket: Ticket) -> Outcome | None:
    """Worker thread: run ``request`` for ``ticket``; None if the run was superseded
    and cancelled (nothing to show).  Errors become the outcome's message."""
    first_call: list[float] = []  # when the kernel first reported progress

    def cancel(_fraction: float) -> bool:
        # Timed from the first progress report, i.e. once the kernels are compiled:
        # a first-use compile takes seconds but is not the run's fault.
        now = time.monotonic()
        if not first_call:
            first_call.append(now)
        elapsed = now - first_call[0]
        # A network's sliders request runs on release only: nothing to show while
        # dragging, so a superseded network run stops at once.
        patience = 0.0 if request.network else SUPERSEDED_AFTER
        superseded = not ticket.current and elapsed >= patience
        return ticket.cancelled or superseded or elapsed > MAX_SECONDS

    generation = ticket.generation
    try:
        return _compute(request, generation, cancel)
    except CancelledError:
        if not ticket.current:
            return None
        return Outcome(
            generation,
            error=f"Stopped: the run took longer than {MAX_SECONDS:g} s. "
            "Shorten t_stop or raise dt; the plot shows the last run.",
        )
    except SimulationError as exc:
        return Outcome(generation, error=f"{exc} The plot shows the last good run.")
    except (TypeError, ValueError) as exc:
        return Outcome(generation, error=str(exc))
    except Exception as exc:  # a bug must not kill the session's worker silently
        log.exception("tuner run failed")
        return Outcome(generation, error=f"Internal error ({type(exc).__name__}: {exc}).")


def _compute(request: RunRequest, generation: int, cancel: Callable[[float], bool]) -> Outcome:
    circuit, t_stop, dt, method = request.circuit, request.t_stop, request.dt, request.method
    record_every, points = request.record_every, request.points
    # Short runs go to the kernel in one call: with a progress callback it would
    # stop every 2000 steps to take the GIL back, and each time wait for the UI
    # thread.  Only runs long enough to need cancelling pay for that.
    # A network's run is long whatever its step count: it can always be cancelled.
    chunked = request.network or math.ceil(t_stop / dt) > CHUNKED_AFTER
    result = simulate(
        circuit, t_stop, dt, method, request.precision, record=request.record,
        record_every=record_every, init=request.init, progress=cancel if chunked else None,
    )  # fmt: skip
    if request.network:
        traces = network_traces(result, circuit, request.members or {}, points)
    else:
        traces = browser_traces(result, request.specs, points)
    note = ""
    if record_every > 1:
        note = (
            f"Long run: {len(result.t):,} samples kept per trace (1 step in {record_every}, "
            f"{record_every * dt:g} ms apart) for plots and CSV; spikes are still located "
            "at every step."
        )
    return Outcome(
        generation,
        result,
        traces,
        note=note,
        # No timing in the status: text that changed on every run would cost a page update.
        status=f"{t_stop:g} ms at dt {dt:g} ms ({method})",
        circuit=circuit,
        run={"t_stop": t_stop, "dt": dt, "method": method},
    )
