"""A drop-in for BMTool 0.8.7's synapse and gap-junction tuners (``bmtool.synapses``).

Change only the import and a BMTool script runs on the same hoc templates and mod files::

    from neuntune.compat.bmtool import SynapseTuner, SynapseOptimizer
    tuner = SynapseTuner(mechanisms_dir="modfiles", templates_dir="templates.hoc",
                         general_settings=general_settings,
                         conn_type_settings=conn_type_settings, connection="Fac2FSI")
    tuner.SingleEvent()
    tuner._simulate_model(50, 250)
    ppr, induction, recovery, simple_ppr = tuner._calc_ppr_induction_recovery(
        tuner._response_amplitude())

The cells run in NEURON, in a worker process per tuner (:mod:`neuntune.neuron`): the mod
files are compiled with ``nrnivmodl`` into a cache and reused, so ``mechanisms_dir`` needs
the ``.mod`` files, not a compiled ``x86_64/``.  BMTool's wiring, protocols and
measurement are reproduced (:mod:`neuntune.neuron.protocols`,
:mod:`neuntune.analysis.bmtool`), so the numbers are BMTool's.  Where BMTool is wrong to
its user's cost, its value is kept, a :class:`BMToolWarning` says so once, and the right
one is offered:

- with ``vclamp`` True the clamp's holding current is subtracted from the synaptic
  current (``response_amplitude_true``);
- ``half_width`` is too long by the latency (``half_width_true``);
- the gap junction's "resistance" is ``Gap.g``, a conductance in µS
  (``GapOptimizationResult.conductance_nS``, ``.resistance_MOhm``);
- ``optimize_resistance`` stops at scipy's default tolerance, 1e-5 µS
  (``GapJunctionOptimizer.optimize_conductance_exact``).

With ``config=`` the connection types come from a BMTK network as BMTool reads them
(:class:`neuntune.neuron.bmtk.BMTKNetwork`: ``initW = syn_weight``, with a warning where
bionet would run the synapse differently).  ``SynapseTuner.InteractiveTuner()`` (in a
notebook) and ``.show()`` (a browser tab) open neuntune's live tuner on the connection
(:mod:`neuntune.ui.neuron_tuner`), ``GapJunctionTuner``'s on the pair
(:mod:`neuntune.ui.neuron_coupling`).  Not supported yet: cells made in this process
(``hoc_cell=``) and BMTool's continuous-input mode; each raises an error that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuntune.analysis.bmtool import (
    bmtool_amplitudes,
    bmtool_cc,
    bmtool_syn_props,
    bmtool_train_metrics,
)
from neuntune.compat._warn import warn_once
from neuntune.neuron import protocols
from neuntune.neuron.bmtk import BMTKNetwork
from neuntune.neuron.session import NeuronSession
from neuntune.neuron.spec import CellSpec, PointProcessSpec

#: BMTool's ``DEFAULT_GENERAL_SETTINGS`` (times ms, voltages mV, weight of the NetCon).
DEFAULT_GENERAL_SETTINGS: dict[str, Any] = {
    "vclamp": False,
    "rise_interval": (0.1, 0.9),
    "tstart": 500.0,
    "tdur": 100.0,
    "threshold": -15.0,
    "delay": 1.3,
    "weight": 1.0,
    "dt": 0.025,
    "celsius": 20,
}
#: BMTool's ``DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS`` (``iclamp_amp`` in nA).
DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS: dict[str, Any] = {
    "tstart": 500.0,
    "tdur": 500.0,
    "dt": 0.025,
    "celsius": 20,
    "iclamp_amp": -0.01,
    "vclamp": False,
}
#: ``stp_frequency_response``'s default frequencies (Hz).
FREQUENCIES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 35, 50, 100, 200)
#: nA → pA
_PA = 1000.0


class BMToolWarning(UserWarning):
    """A number BMTool reports that is not what its name says; the warning names the
    right one."""


def _unsupported(what: str, instead: str) -> NotImplementedError:
    return NotImplementedError(f"neuntune.compat.bmtool does not support {what} yet; {instead}")


def _folders(mechanisms_dir: Any, templates_dir: Any, config: Any, hoc_cell: Any) -> None:
    if hoc_cell is not None:
        raise _unsupported(
            "hoc_cell=",
            "neuntune runs NEURON in a worker process, so a cell made in this one cannot "
            "be used: name its template in conn_type_settings and pass templates_dir",
        )
    if config is None and (mechanisms_dir is None or templates_dir is None):
        raise ValueError(
            "Either a config file, both mechanisms_dir and templates_dir, or a hoc_cell "
            "must be provided."
        )


def _run_tqdm(items: Iterable[Any], desc: str) -> Iterable[Any]:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc)


def _display(view: Any) -> Any:
    """Show ``view`` in IPython (a notebook's output) if this is one; return it."""
    try:
        from IPython.display import display
    except ImportError:  # not in IPython: the caller shows it (e.g. .show())
        return view
    display(view)
    return view


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plotting needs matplotlib (pip install matplotlib), as BMTool's does; "
            "pass plot=False / plot_and_print=False to skip it"
        ) from error
    return plt


class _Synapse:
    """``tuner.syn``: reads and sets the point process's PARAMETERs in the worker, so
    ``setattr(tuner.syn, "Use", 0.5)`` works as on BMTool's hoc object."""

    def __init__(self, tuner: SynapseTuner) -> None:
        object.__setattr__(self, "_tuner", tuner)

    def __getattr__(self, name: str) -> float:
        params = self._tuner._parameter_values()
        if name not in params:
            raise AttributeError(f"{self._tuner.session.point_process} has no PARAMETER {name!r}")
        return params[name]

    def __setattr__(self, name: str, value: float) -> None:
        self._tuner.session.set(**{name: float(value)})

    def __dir__(self) -> list[str]:
        return sorted(self._tuner._parameter_values())


class SynapseTuner:
    """BMTool's ``SynapseTuner``: one connection type's synapse on its post cell, under
    voltage clamp at the soma, driven by a train or a single event.

    Arguments as BMTool's (``conn_type_settings``: ``{name: {"spec_settings": {post_cell,
    vclamp_amp, sec_id, sec_x, level_of_detail}, "spec_syn_param": {...}}}``;
    ``general_settings`` merged over :data:`DEFAULT_GENERAL_SETTINGS`).
    ``mechanisms_dir`` is the folder of ``.mod`` files; ``templates_dir`` a ``.hoc`` file
    or a folder of them.  Recorded traces are NEURON's: nA (positive outward), mV, ms.
    """

    def __init__(
        self,
        conn_type_settings: dict[str, dict] | None = None,
        connection: str | None = None,
        current_name: str = "i",
        mechanisms_dir: str | None = None,
        templates_dir: str | None = None,
        config: str | None = None,
        general_settings: dict[str, Any] | None = None,
        json_folder_path: str | None = None,
        other_vars_to_record: list[str] | None = None,
        slider_vars: list[str] | None = None,
        hoc_cell: Any = None,
        network: str | None = None,
    ) -> None:
        _folders(mechanisms_dir, templates_dir, config, hoc_cell)
        self.bmtk = BMTKNetwork(config) if config is not None else None
        if self.bmtk is not None:
            mechanisms_dir = mechanisms_dir or self.bmtk.mechanism_files()
            templates_dir = templates_dir or self.bmtk.templates
            if conn_type_settings is None:
                conn_type_settings = _synapse_settings(self.bmtk, network)
        if conn_type_settings is None:
            raise ValueError("conn_type_settings must be provided if config is not specified.")
        if connection is None:
            connection = next(iter(conn_type_settings), None)
        if connection is None:
            raise ValueError("connection must be provided or inferable from conn_type_settings.")
        if connection not in conn_type_settings:
            raise ValueError(f"connection '{connection}' not found in conn_type_settings.")
        self.mechanisms_dir = Path(mechanisms_dir)
        self.templates_dir = Path(templates_dir)
        self.conn_type_settings = conn_type_settings
        if json_folder_path:
            self._update_spec_syn_param(json_folder_path)
        self.general_settings = {**DEFAULT_GENERAL_SETTINGS, **(general_settings or {})}
        self.vclamp = bool(self.general_settings["vclamp"])
        self.current_name = current_name
        self.other_vars_to_record = list(other_vars_to_record or [])
        self.network = network
        self.input_mode = False
        self.last_figure = None
        self.session: NeuronSession | None = None
        self.syn = _Synapse(self)
        self._slider_request = slider_vars
        self._switch_connection(connection)

    @classmethod
    def list_connections_from_config(
        cls, config_path: str, network: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """The network's synaptic connection types: ``{name: {"post_cell", "synapse_type",
        "parameters"}}``, as BMTool lists them."""
        settings = _synapse_settings(BMTKNetwork(config_path), network)
        return {
            name: {
                "post_cell": s["spec_settings"]["post_cell"],
                "synapse_type": s["spec_settings"]["level_of_detail"],
                "parameters": list(s["spec_syn_param"]),
            }
            for name, s in settings.items()
        }

    # -- set-up ---------------------------------------------------------------------

    def _update_spec_syn_param(self, json_folder_path: str) -> None:
        """Update each connection's ``spec_syn_param`` from ``<folder>/<name>.json``."""
        import json

        for name, settings in self.conn_type_settings.items():
            path = Path(json_folder_path) / f"{name}.json"
            if path.exists():
                settings["spec_syn_param"].update(json.loads(path.read_text()))

    def _switch_connection(self, new_connection: str) -> None:
        """Tune ``new_connection``: a new synapse (and a new cell) with its settings."""
        if new_connection not in self.conn_type_settings:
            raise ValueError(f"connection '{new_connection}' not found in conn_type_settings.")
        self.current_connection = new_connection
        self.conn = self.conn_type_settings[new_connection]
        spec = self.conn["spec_settings"]
        cell = CellSpec(
            spec["post_cell"],
            self.templates_dir,
            self.mechanisms_dir,
            PointProcessSpec(
                spec["level_of_detail"], spec.get("sec_id", 0), spec.get("sec_x", 0.5)
            ),
        )
        if self.session is not None:
            self.session.close()
        self.session = NeuronSession(cell)
        known = {p.name for p in self.session.parameters()}
        values = {}
        for key, value in self.conn.get("spec_syn_param", {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if key in known:
                values[key] = float(value)
            else:
                warn_once(
                    f"param:{self.session.point_process}.{key}",
                    f"{key} cannot be assigned as it does not exist in the synapse "
                    f"{self.session.point_process}; its PARAMETERs: {', '.join(sorted(known))}",
                    BMToolWarning,
                )
        self.session.set(**values)
        if self.bmtk is not None and new_connection in self.bmtk.connections:
            conn = self.bmtk.connections[new_connection]
            if "initW" not in known or "initW" in conn.params:
                warn_once(
                    f"initW:{new_connection}",
                    f"{new_connection}: BMTool tunes initW = syn_weight ({conn.syn_weight:g}) "
                    "at NetCon weight 1, bionet runs the JSON's values at NetCon weight "
                    f"syn_weight; for {self.session.point_process} the two differ. "
                    "neuntune.neuron.bmtk.BMTKNetwork.cell_spec gives bionet's.",
                    BMToolWarning,
                )
        self.synaptic_props = self.conn.get("spec_syn_param", {})
        self.set_slider_vars(self._slider_request)
        self._clear_run()

    def set_slider_vars(self, slider_vars: list[str] | None = None) -> None:
        """The PARAMETERs that get sliders (default: the numeric ``spec_syn_param``
        keys the synapse has); names it lacks are dropped with a warning."""
        params = self._parameter_values()
        wanted = slider_vars if slider_vars is not None else list(self.synaptic_props)
        self.slider_vars = {}
        for name in wanted:
            if name in params:
                self.slider_vars[name] = params[name]
            else:
                warn_once(
                    f"slider:{name}",
                    f"slider_vars: {name!r} is not a PARAMETER of "
                    f"{self.session.point_process}; it gets no slider",
                    BMToolWarning,
                )

    def _parameter_values(self) -> dict[str, float]:
        values = {p.name: p.default for p in self.session.parameters()}
        values.update(self.session.params)
        return values

    def _set_syn_prop(self, **kwargs: float) -> None:
        """Set synapse PARAMETERs (in the mod file's units)."""
        self.session.set(**{k: float(v) for k, v in kwargs.items()})

    def close(self) -> None:
        """Stop the NEURON worker."""
        if self.session is not None:
            self.session.close()

    # -- runs -------------------------------------------------------------------------

    def _clear_run(self) -> None:
        self.t = self.soma_v = self.ivcl = np.zeros(0)
        self.tspk = np.zeros(0)
        self.rec_vectors: dict[str, np.ndarray] = {}
        self.ispk = None
        self.tstop = self.general_settings["tstart"] + self.general_settings["tdur"]

    def _record(self) -> tuple[str, ...]:
        names = [self.current_name, *self.other_vars_to_record]
        return tuple(dict.fromkeys(n for n in names if n != "i"))

    def _keep(self, result: Any) -> None:
        """Store a run as BMTool's attributes: NEURON's nA, positive outward."""
        self.t = result.t
        self.soma_v = result.v["post"]
        self.ivcl = result.current["clamp"] / 1e-3
        i = -result.current["syn"] / 1e-3
        variables = result.state.get("syn", {})
        self.rec_vectors = {name: variables[name] for name in self.other_vars_to_record}
        self.rec_vectors[self.current_name] = (
            i if self.current_name == "i" else (variables[self.current_name])
        )

    def _settings(self) -> dict[str, Any]:
        g = self.general_settings
        return {
            "clamp": self.conn["spec_settings"]["vclamp_amp"],
            "netcon_delay": g["delay"],
            "weight": g["weight"],
            "dt": g["dt"],
            "celsius": g["celsius"],
            "record": self._record(),
        }

    def _simulate_model(
        self,
        input_frequency: float,
        delay: float,
        vclamp: bool | None = None,
        duration: float | None = None,
    ) -> None:
        """BMTool's train: 8 pulses at ``input_frequency`` (Hz) from ``tstart``, 4 more
        ``delay`` ms after the 8th through a second NetCon (fresh plasticity state), the
        soma clamped at ``vclamp_amp``."""
        if duration is not None or self.input_mode:
            raise _unsupported("the continuous-input mode", "use the 8 + 4 pulse train")
        if vclamp is not None:
            self.vclamp = bool(vclamp)
        run = protocols.train(
            self.session,
            frequency=input_frequency,
            recovery_delay=delay,
            start=self.general_settings["tstart"],
            stream="fresh",
            **self._settings(),
        )
        self._keep(run.result)
        self.tspk = run.spikes
        self.tstop = run.t_stop

    def SingleEvent(self, plot_and_print: bool = True) -> None:
        """One presynaptic spike at ``tstart``; sets ``rise_time`` and ``decay_time``,
        and with ``plot_and_print`` prints the event's properties and plots it."""
        g = self.general_settings
        result = protocols.single_event(
            self.session, start=g["tstart"], duration=g["tdur"], **self._settings()
        )
        self._keep(result)
        self.tstop = g["tstart"] + g["tdur"]
        # BMTool's second NetStim starts at tstop and is recorded there
        self.tspk = np.array([g["tstart"], self.tstop])
        self.ispk = None
        props = self._get_syn_prop(rise_interval=g["rise_interval"], dt=g["dt"])
        current = (self.rec_vectors[self.current_name] - props["baseline"]) * _PA
        integral = float(np.trapezoid(current, dx=g["dt"]))
        if plot_and_print:
            self._plot_model([g["tstart"] - 5, g["tstart"] + g["tdur"]])
            for prop in props.items():
                print(prop)
            print(f"Current Integral in pA*ms: {integral:.2f}")
        self.rise_time = props["rise_time"]
        self.decay_time = props["decay_time"]

    # -- measurement ----------------------------------------------------------------

    def _reference(self) -> np.ndarray:
        """The trace BMTool takes the baseline and sign from: the clamp current when
        ``vclamp`` (so its holding current is subtracted), else the synaptic current."""
        if not self.vclamp:
            return self.rec_vectors[self.current_name]
        warn_once(
            "vclamp-baseline",
            "vclamp=True: BMTool takes the baseline from the clamp current, so the clamp's "
            "holding current is subtracted from the synaptic current; the amplitudes are "
            "BMTool's. response_amplitude_true() gives them from the synaptic current's "
            "own baseline.",
            BMToolWarning,
        )
        return self.ivcl

    def _get_syn_prop(
        self,
        rise_interval: tuple[float, float] = (0.2, 0.8),
        dt: float | None = None,
        short: bool = False,
    ) -> dict[str, float]:
        """BMTool's single-event properties of the last run (nA and ms): ``baseline``,
        ``sign``, and unless ``short``: ``latency``, ``amp``, ``rise_time``,
        ``decay_time``, ``half_width`` (BMTool's, too long by the latency) and
        ``half_width_true``."""
        dt = self.general_settings["dt"] if dt is None else dt
        reference = self._reference()
        if short:
            spike = int(np.floor(self.tspk[0] / dt))
            baseline = reference[spike]
            deviation = reference[spike:] - baseline
            sign = float(np.sign(deviation[np.argmax(np.abs(deviation))]))
            return {"baseline": float(baseline), "sign": sign}
        props = bmtool_syn_props(reference, self.tspk[0], dt, rise_interval=rise_interval)
        warn_once(
            "half-width",
            "half_width: BMTool counts the half-maximum onset from the response's start "
            "but the offset from the spike, so its half-width is too long by about the "
            "latency; half_width_true is the width at half maximum.",
            BMToolWarning,
        )
        return {
            "baseline": props.baseline,
            "sign": props.sign,
            "latency": props.latency,
            "amp": props.amp,
            "rise_time": props.rise_time,
            "decay_time": props.decay_time,
            "half_width": props.half_width,
            "half_width_true": props.half_width_true,
        }

    def _amplitudes(self, reference: np.ndarray | None) -> np.ndarray:
        g = self.general_settings
        return bmtool_amplitudes(
            self.rec_vectors[self.current_name],
            self.tspk,
            g["dt"],
            delay=g["delay"],
            t_stop=self.tstop,
            reference=reference,
        )

    def _response_amplitude(self) -> list[float]:
        """BMTool's per-pulse amplitudes of the last train (nA, signed by its guess)."""
        amp = self._amplitudes(self._reference())
        self.ispk = None
        return [float(a) for a in amp]

    def response_amplitude_true(self) -> list[float]:
        """The per-pulse amplitudes (nA) with the synaptic current's own baseline, also
        with ``vclamp`` True (where BMTool subtracts the clamp's holding current)."""
        return [float(a) for a in self._amplitudes(self.rec_vectors[self.current_name])]

    def _find_max_amp(self, amp: Iterable[float]) -> float:
        """The amplitude of larger magnitude of the max and the min, in pA."""
        values = list(amp)
        high, low = max(values), min(values)
        return (low if abs(low) > high else high) * _PA

    def _calc_ppr_induction_recovery(
        self, amp: Iterable[float], normalize_by_trial: bool = True, print_math: bool = True
    ) -> tuple[float, float, float, float]:
        """BMTool's (ppr, induction, recovery, simple_ppr) of amplitudes A1…A12, each
        normalised by the 90th percentile (see ``bmtool_train_metrics``)."""
        m = bmtool_train_metrics(np.asarray(list(amp), dtype=float))
        if print_math:
            print(
                f"PPR {m.ppr:.3f}, induction {m.induction:.3f}, recovery {m.recovery:.3f}, "
                f"simple PPR {m.simple_ppr:.3f} (differences / 90th percentile "
                f"{m.p90:.3f} pA)"
            )
        return m.ppr, m.induction, m.recovery, m.simple_ppr

    def stp_frequency_response(
        self,
        freqs: Iterable[float] = FREQUENCIES,
        delay: float = 250,
        plot: bool = True,
        log_plot: bool = True,
    ) -> dict[str, list[float]]:
        """BMTool's metrics of a train at each frequency (Hz)."""
        freqs = list(freqs)
        results: dict[str, list[float]] = {
            "frequencies": freqs,
            "ppr": [],
            "induction": [],
            "recovery": [],
            "simple_ppr": [],
        }
        for freq in _run_tqdm(freqs, "Analyzing frequencies"):
            self._simulate_model(freq, delay)
            metrics = self._calc_ppr_induction_recovery(
                self._response_amplitude(), print_math=False
            )
            for key, value in zip(
                ("ppr", "induction", "recovery", "simple_ppr"), metrics, strict=True
            ):
                results[key].append(float(value))
        if plot:
            plt = _pyplot()
            fig, axes = plt.subplots(1, 3, figsize=(15, 4))
            for ax, key in zip(axes, ("ppr", "induction", "recovery"), strict=True):
                ax.plot(freqs, results[key], "o-")
                ax.set_xlabel("Frequency (Hz)")
                ax.set_ylabel(key)
                if log_plot:
                    ax.set_xscale("log")
            self.last_figure = fig
        return results

    def generate_synaptic_table(
        self, stp_frequency: float = 50.0, stp_delay: float = 250.0, plot: bool = True
    ) -> Any:
        """A pandas DataFrame, one row per connection: BMTool's single-event properties
        (ms, nA) and train metrics at ``stp_frequency`` (Hz).  A connection that fails
        gets NaNs and a warning naming the error, as in BMTool."""
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError(
                "generate_synaptic_table needs pandas (pip install pandas)"
            ) from error
        original = self.current_connection
        rows = []
        for name in _run_tqdm(list(self.conn_type_settings), "Analyzing connections"):
            row: dict[str, Any] = {"connection": name}
            try:
                self._switch_connection(name)
                self.SingleEvent(plot_and_print=False)
                props = self._get_syn_prop()
                stp = self.stp_frequency_response([stp_frequency], stp_delay, plot=False)
                row.update(
                    rise_time=float(self.rise_time),
                    decay_time=float(self.decay_time),
                    latency=props["latency"],
                    half_width=props["half_width"],
                    peak_amplitude=props["amp"],
                    baseline=props["baseline"],
                    **{k: stp[k][0] for k in ("ppr", "simple_ppr", "induction", "recovery")},
                )
            except Exception as error:  # BMTool's table keeps going; the warning says why
                warn_once(
                    f"table:{name}:{error}",
                    f"generate_synaptic_table: {name} failed: {error}",
                    BMToolWarning,
                )
            rows.append(row)
        self._switch_connection(original)
        columns = (
            "connection rise_time decay_time latency half_width peak_amplitude baseline ppr "
            "simple_ppr induction recovery"
        ).split()
        table = pd.DataFrame(rows, columns=columns).set_index("connection")
        if plot:
            print(table.round(4).to_string())
        return table

    def _plot_model(self, xlim: list[float], show: bool = True) -> None:
        """The last run: soma voltage, synaptic current (pA) and clamp current (pA)."""
        plt = _pyplot()
        fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
        axes[0].plot(self.t, self.soma_v)
        axes[0].set_ylabel("Soma v (mV)")
        axes[1].plot(self.t, self.rec_vectors[self.current_name] * _PA)
        axes[1].set_ylabel(f"syn {self.current_name} (pA)")
        axes[2].plot(self.t, self.ivcl * _PA)
        axes[2].set_ylabel("Clamp current (pA)")
        axes[2].set_xlabel("Time (ms)")
        axes[2].set_xlim(xlim)
        self.last_figure = fig
        if show:
            plt.show()

    def tuner_view(self) -> Any:
        """neuntune's live tuner on this connection (a Panel view): the slider_vars on
        sliders, the train on both streams and BMTool's metrics, redrawn as a slider
        moves.  Its sliders set this tuner's synapse."""
        from neuntune.ui.neuron_tuner import NeuronTrainTuner

        settings = {**self._settings(), "start": self.general_settings["tstart"]}
        settings.pop("record")
        return NeuronTrainTuner(
            self.session, settings, list(self.slider_vars), title=self.current_connection
        )

    def InteractiveTuner(self) -> Any:
        """BMTool's notebook tuner: here neuntune's live tuner (``tuner_view``),
        displayed in the notebook and returned."""
        return _display(self.tuner_view())

    def show(self, port: int = 0) -> Any:
        """Open the live tuner in a browser tab, served on localhost (Panel's ``show``);
        returns the server (``.stop()`` ends it)."""
        return self.tuner_view().show(port=port, address="127.0.0.1", threaded=True)


@dataclass
class SynapseOptimizationResult:
    """BMTool's result: the parameters found, the metrics they give, the targets, the
    final cost and every evaluation (``params``, ``metrics``, ``error``)."""

    optimal_params: dict[str, float]
    achieved_metrics: dict[str, float]
    target_metrics: dict[str, float]
    error: float
    optimization_path: list[dict[str, Any]] = field(default_factory=list)


class SynapseOptimizer:
    """BMTool's ``SynapseOptimizer``: scipy ``minimize`` over synapse PARAMETERs scaled
    by their bounds' largest magnitude, on BMTool's metrics."""

    def __init__(self, tuner: SynapseTuner) -> None:
        self.tuner = tuner
        self.optimization_history: list[dict[str, Any]] = []
        self.run_single_event = False
        self.run_train_input = True
        self.train_frequency = 50.0
        self.train_delay = 250.0

    def _calculate_metrics(self) -> dict[str, float]:
        metrics = dict.fromkeys(
            (
                "induction ppr recovery simple_ppr max_amplitude rise_time decay_time "
                "latency half_width baseline amp"
            ).split(),
            0.0,
        )
        if self.run_single_event:
            self.tuner.SingleEvent(plot_and_print=False)
            props = self.tuner._get_syn_prop()
            metrics.update(
                rise_time=self.tuner.rise_time,
                decay_time=self.tuner.decay_time,
                latency=props["latency"],
                half_width=props["half_width"],
                baseline=props["baseline"],
                amp=props["amp"],
            )
        if self.run_train_input:
            self.tuner._simulate_model(self.train_frequency, self.train_delay)
            amp = self.tuner._response_amplitude()
            ppr, induction, recovery, simple_ppr = self.tuner._calc_ppr_induction_recovery(
                amp, print_math=False
            )
            metrics.update(
                ppr=ppr,
                induction=induction,
                recovery=recovery,
                simple_ppr=simple_ppr,
                max_amplitude=self.tuner._find_max_amp(amp),
            )
        return {k: float(v) for k, v in metrics.items()}

    @staticmethod
    def _default_cost_function(metrics: dict[str, float], target: dict[str, float]) -> float:
        return float((metrics["induction"] - target["induction"]) ** 2)

    def optimize_parameters(
        self,
        target_metrics: dict[str, float],
        param_bounds: dict[str, tuple[float, float]],
        run_single_event: bool = False,
        run_train_input: bool = True,
        train_frequency: float = 50,
        train_delay: float = 250,
        cost_function: Callable[[dict, dict], float] | None = None,
        method: str = "SLSQP",
        init_guess: str = "random",
    ) -> SynapseOptimizationResult:
        """Find PARAMETER values within ``param_bounds`` whose metrics minimise
        ``cost_function(metrics, target_metrics)`` (default: induction's squared error)."""
        from scipy.optimize import minimize

        self.optimization_history = []
        self.train_frequency, self.train_delay = train_frequency, train_delay
        self.run_single_event, self.run_train_input = run_single_event, run_train_input
        names = list(param_bounds)
        bounds = [tuple(param_bounds[n]) for n in names]
        cost = cost_function or self._default_cost_function
        scale = np.array([max(abs(lo), abs(hi)) for lo, hi in bounds])
        if init_guess == "random":
            # numpy's global generator, as BMTool: a script's np.random.seed still applies
            x0 = np.array([np.random.uniform(lo, hi) for lo, hi in bounds])  # noqa: NPY002
        elif init_guess == "middle_guess":
            x0 = np.array([(lo + hi) / 2 for lo, hi in bounds])
        else:
            raise ValueError(f"init_guess = {init_guess!r}: pick 'random' or 'middle_guess'")

        def objective(x: np.ndarray) -> float:
            params = dict(zip(names, (x * scale).tolist(), strict=True))
            self.tuner._set_syn_prop(**params)
            metrics = self._calculate_metrics()
            error = float(cost(metrics, target_metrics))
            self.optimization_history.append({"params": params, "metrics": metrics, "error": error})
            return error

        result = minimize(
            objective,
            x0 / scale,
            method=method,
            bounds=[(lo / s, hi / s) for (lo, hi), s in zip(bounds, scale, strict=True)],
        )
        final = dict(zip(names, (result.x * scale).tolist(), strict=True))
        self.tuner._set_syn_prop(**final)
        return SynapseOptimizationResult(
            optimal_params=final,
            achieved_metrics=self._calculate_metrics(),
            target_metrics=target_metrics,
            error=float(result.fun),
            optimization_path=self.optimization_history,
        )


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
        _folders(mechanisms_dir, templates_dir, config, hoc_cell)
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
        plt = _pyplot()
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
        return _display(self.tuner_view())

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

        _check_cc(target_cc)
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
        _check_cc(target_cc)
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
        for g in _run_tqdm(list(resistance_range), "Sweeping resistance values"):
            results["resistance"].append(float(g))
            results["coupling_coefficient"].append(self._cc(g))
        return results


def _synapse_settings(network: BMTKNetwork, name: str | None) -> dict[str, dict]:
    """BMTool's conn_type_settings for the network's synapses (gap junctions left out),
    of one edges population (BMTool's ``network``) or all."""
    settings = {
        conn_name: network.bmtool_settings(conn_name)
        for conn_name, conn in network.connections.items()
        if not conn.gap and (name is None or conn.edges_population == name)
    }
    if not settings:
        where = f" in {name!r}" if name else ""
        raise ValueError(f"config {str(network.path)!r}: no synaptic connections{where}")
    return settings


def _check_cc(target_cc: float) -> None:
    if not (isinstance(target_cc, int | float) and 0 < target_cc < 1):
        raise ValueError(f"target_cc = {target_cc!r}: a coupling coefficient must be in (0, 1)")


__all__ = [
    "DEFAULT_GAP_JUNCTION_GENERAL_SETTINGS",
    "DEFAULT_GENERAL_SETTINGS",
    "BMToolWarning",
    "GapJunctionOptimizer",
    "GapJunctionTuner",
    "GapOptimizationResult",
    "SynapseOptimizationResult",
    "SynapseOptimizer",
    "SynapseTuner",
]
