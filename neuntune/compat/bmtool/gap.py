"""BMTool's ``GapJunctionTuner`` and ``GapJunctionOptimizer`` (see
:mod:`neuntune.compat.bmtool`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuntune.analysis.bmtool import (
    bmtool_cc,
)
from neuntune.compat._warn import warn_once
from neuntune.compat.bmtool.common import (
    DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS,
    BMToolWarning,
    check_cc,
    check_folders,
    display,
    progress,
    pyplot,
)
from neuntune.neuron import protocols
from neuntune.neuron.bmtk import BMTKNetwork
from neuntune.neuron.session import NeuronSession
from neuntune.neuron.spec import CellSpec, PointProcessSpec


class GapJunctionTuner:
    """BMTool's ``GapJunctionTuner``: two cells of one template joined by a ``Gap`` point
    process, a current step into the first.

    BMTool's arguments, or its docs' (``cell1_template``, ``cell2_template``,
    ``template_dir``, ``mod_dir``: one connection, the two templates may differ).
    ``model(resistance)`` runs with ``Gap.g = resistance``, which is a conductance in µS
    despite the name; ``coupling_ratio()`` gives BMTool's CC of that run.
    """

    def __init__(
        self,
        mechanisms_dir: str | None = None,
        templates_dir: str | None = None,
        config: str | None = None,
        general_settings: dict[str, Any] | None = None,
        conn_type_settings: dict[str, dict] | None = None,
        hoc_cell: Any = None,
        *,
        cell1_template: str | None = None,
        cell2_template: str | None = None,
        template_dir: str | None = None,
        mod_dir: str | None = None,
    ) -> None:
        mechanisms_dir = mechanisms_dir if mechanisms_dir is not None else mod_dir
        templates_dir = templates_dir if templates_dir is not None else template_dir
        check_folders(mechanisms_dir, templates_dir, config, hoc_cell)
        self._partner = None
        if config is not None:
            network = BMTKNetwork(config)
            mechanisms_dir = mechanisms_dir or network.mechanism_files()
            templates_dir = templates_dir or network.templates
            if conn_type_settings is None:
                conn_type_settings = {
                    name: {
                        "cell": c.post_template,
                        "sec_id": c.sec_id,
                        "sec_x": c.sec_x,
                        "iclamp_amp": -0.01,
                        "spec_syn_param": dict(c.params),
                    }
                    for name, c in network.connections.items()
                    if c.gap
                }
                if not conn_type_settings:
                    raise ValueError(f"config {config!r}: the network has no gap junctions")
        if conn_type_settings is None:
            if cell1_template is None:
                raise ValueError(
                    "conn_type_settings (or cell1_template) must be provided if config is "
                    "not specified."
                )
            name = f"{cell1_template}2{cell2_template or cell1_template}"
            conn_type_settings = {name: {"cell": cell1_template, "sec_id": 0, "sec_x": 0.5}}
            self._partner = cell2_template or cell1_template
        self.mechanisms_dir = Path(mechanisms_dir)
        self.templates_dir = Path(templates_dir)
        self.conn_type_settings = conn_type_settings
        self.general_settings = {
            **DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS,
            **(general_settings or {}),
        }
        self.session: NeuronSession | None = None
        self._switch_connection(next(iter(conn_type_settings)))

    def _switch_connection(self, new_connection: str) -> None:
        """Tune ``new_connection``: new cells with its template and place."""
        if new_connection not in self.conn_type_settings:
            raise ValueError(f"connection '{new_connection}' not found in conn_type_settings.")
        self.current_connection = new_connection
        self.conn = self.conn_type_settings[new_connection]
        self.cell_name = self.conn["cell"]
        spec = CellSpec(
            self.cell_name,
            self.templates_dir,
            self.mechanisms_dir,
            PointProcessSpec("Gap", self.conn.get("sec_id", 0), self.conn.get("sec_x", 0.5)),
            partner=self._partner or self.cell_name,
        )
        if self.session is not None:
            self.session.close()
        self.session = NeuronSession(spec)
        self.t_vec = self.soma_v_1 = self.soma_v_2 = np.zeros(0)

    def close(self) -> None:
        """Stop the NEURON worker."""
        if self.session is not None:
            self.session.close()

    def model(self, resistance: float) -> None:
        """Run the step with ``Gap.g = resistance`` (µS: a conductance, as in BMTool)."""
        warn_once(
            "gap-resistance",
            "GapJunctionTuner: BMTool's 'resistance' is the Gap's conductance g in uS (its "
            "slider says MOhm); the numbers are BMTool's. GapOptimizationResult has "
            "conductance_nS and resistance_MOhm.",
            BMToolWarning,
        )
        self.session.set(g=float(resistance))
        g = self.general_settings
        result = protocols.current_step(
            self.session,
            amp=g["iclamp_amp"],
            start=g["tstart"],
            duration=g["tdur"],
            dt=g["dt"],
            celsius=g["celsius"],
        )
        self.t_vec, self.soma_v_1, self.soma_v_2 = result.t, result.v["post"], result.v["partner"]

    def coupling_coefficient(
        self,
        t: Any,
        v1: Any,
        v2: Any,
        t_start: float,
        t_end: float,
        dt: float | None = None,
    ) -> float:
        """BMTool's CC: ΔV2/ΔV1 between the last samples before ``t_start`` and ``t_end``."""
        return bmtool_cc(t, v1, v2, t_start, t_end)

    def coupling_ratio(self) -> float:
        """The CC of the last ``model`` run."""
        start = self.general_settings["tstart"]
        end = start + self.general_settings["tdur"]
        return self.coupling_coefficient(self.t_vec, self.soma_v_1, self.soma_v_2, start, end)

    def optimize(self, target_cc: float) -> float:
        """BMTool's docs' shortcut: ``GapJunctionOptimizer(self).optimize_resistance``'s
        value (µS)."""
        return GapJunctionOptimizer(self).optimize_resistance(target_cc).optimal_resistance

    def plot_model(self) -> None:
        """Both cells' voltages around the step."""
        plt = pyplot()
        g = self.general_settings
        _, ax = plt.subplots()
        ax.plot(self.t_vec, self.soma_v_1, label=f"{self.cell_name} 1")
        ax.plot(self.t_vec, self.soma_v_2, label=f"{self.cell_name} 2")
        ax.set_xlim(g["tstart"] - 100, g["tstart"] + g["tdur"] + 100)
        ax.set_xlabel("Time (ms)")
        ax.set_ylabel("Membrane voltage (mV)")
        ax.legend()
        plt.show()

    def tuner_view(self) -> Any:
        """neuntune's live tuner on this pair (a Panel view): the Gap's g on a slider,
        both cells' voltages and the CC, and a fit of g to a target CC."""
        from neuntune.ui.neuron_coupling import NeuronCouplingTuner

        g = self.general_settings
        settings = {"amp": g["iclamp_amp"], "start": g["tstart"], "duration": g["tdur"],
                    "dt": g["dt"], "celsius": g["celsius"]}  # fmt: skip
        return NeuronCouplingTuner(self.session, settings, "g", self.current_connection)

    def InteractiveTuner(self) -> Any:
        """BMTool's notebook tuner: here neuntune's live tuner (``tuner_view``),
        displayed in the notebook and returned."""
        return display(self.tuner_view())

    def show(self, port: int = 0) -> Any:
        """Open the live tuner in a browser tab on localhost; returns the server."""
        return self.tuner_view().show(port=port, address="127.0.0.1", threaded=True)


@dataclass
class GapOptimizationResult:
    """BMTool's result.  ``optimal_resistance`` is ``Gap.g`` in µS (a conductance);
    ``conductance_nS`` and ``resistance_MOhm`` say what it is."""

    optimal_resistance: float
    achieved_cc: float
    target_cc: float
    error: float
    optimization_path: list[dict[str, float]] = field(default_factory=list)

    @property
    def conductance_nS(self) -> float:
        return 1e3 * self.optimal_resistance

    @property
    def resistance_MOhm(self) -> float:
        return 1.0 / self.optimal_resistance


class GapJunctionOptimizer:
    """BMTool's ``GapJunctionOptimizer``: the Gap's g (µS) that gives a target CC."""

    def __init__(self, tuner: GapJunctionTuner) -> None:
        self.tuner = tuner
        self.optimization_history: list[dict[str, float]] = []

    def _cc(self, g: float) -> float:
        self.tuner.model(g)
        return self.tuner.coupling_ratio()

    def _objective_function(self, resistance: float, target_cc: float) -> float:
        cc = self._cc(resistance)
        error = (cc - target_cc) ** 2
        self.optimization_history.append(
            {"resistance": float(resistance), "achieved_cc": cc, "error": error}
        )
        return error

    def optimize_resistance(
        self,
        target_cc: float,
        resistance_bounds: tuple[float, float] = (1e-4, 1e-2),
        method: str = "bounded",
    ) -> GapOptimizationResult:
        """BMTool's search: ``minimize_scalar`` of (CC − target)² over g in
        ``resistance_bounds`` (µS), stopping at scipy's default tolerance (1e-5 µS)."""
        from scipy.optimize import minimize_scalar

        check_cc(target_cc)
        self.optimization_history = []
        result = minimize_scalar(
            self._objective_function, args=(target_cc,), bounds=resistance_bounds, method=method
        )
        warn_once(
            "gap-tolerance",
            "optimize_resistance stops at scipy's default tolerance of 1e-5 uS, coarse "
            "next to typical g of 1e-4 uS; optimize_conductance_exact(target_cc) finds g "
            "to 1e-9 relative.",
            BMToolWarning,
        )
        return GapOptimizationResult(
            optimal_resistance=float(result.x),
            achieved_cc=self._cc(result.x),
            target_cc=target_cc,
            error=float(result.fun),
            optimization_path=self.optimization_history,
        )

    def optimize_conductance_exact(
        self, target_cc: float, bounds: tuple[float, float] = (1e-4, 1e-2)
    ) -> GapOptimizationResult:
        """The g (µS) within ``bounds`` where BMTool's CC equals ``target_cc``: a root
        of CC(g) − target found in log g (brentq, relative tolerance 1e-10)."""
        check_cc(target_cc)
        self.optimization_history = []

        def seen(g: float, cc: float) -> None:
            self.optimization_history.append(
                {"resistance": g, "achieved_cc": cc, "error": (cc - target_cc) ** 2}
            )

        s = self.tuner.general_settings
        g = protocols.fit_gap_conductance(
            self.tuner.session, target_cc, bounds, bmtool=True, on_step=seen,
            amp=s["iclamp_amp"], start=s["tstart"], duration=s["tdur"], dt=s["dt"],
            celsius=s["celsius"],
        )  # fmt: skip
        cc = self._cc(g)
        return GapOptimizationResult(
            g, cc, target_cc, (cc - target_cc) ** 2, self.optimization_history
        )

    def parameter_sweep(self, resistance_range: Iterable[float]) -> dict[str, list[float]]:
        """The CC at each g (µS)."""
        results: dict[str, list[float]] = {"resistance": [], "coupling_coefficient": []}
        for g in progress(list(resistance_range), "Sweeping resistance values"):
            results["resistance"].append(float(g))
            results["coupling_coefficient"].append(self._cc(g))
        return results
