"""BMTool's ``SynapseTuner`` on the user's NEURON cell (see :mod:`neuntune.compat.bmtool`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from neuntune.analysis.bmtool import (
    bmtool_amplitudes,
    bmtool_baseline_sign,
    bmtool_syn_props,
    bmtool_train_metrics,
)
from neuntune.compat._warn import warn_once
from neuntune.compat.bmtool.common import (
    DEFAULT_GENERAL_SETTINGS,
    FREQUENCIES,
    PA,
    BMToolWarning,
    check_folders,
    display,
    progress,
    pyplot,
    synapse_settings,
    unsupported,
)
from neuntune.neuron import protocols
from neuntune.neuron.bmtk import BMTKNetwork
from neuntune.neuron.session import NeuronSession
from neuntune.neuron.spec import CellSpec, PointProcessSpec


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
        check_folders(mechanisms_dir, templates_dir, config, hoc_cell)
        self.bmtk = BMTKNetwork(config) if config is not None else None
        if self.bmtk is not None:
            mechanisms_dir = mechanisms_dir or self.bmtk.mechanism_files()
            templates_dir = templates_dir or self.bmtk.templates
            if conn_type_settings is None:
                conn_type_settings = synapse_settings(self.bmtk, network)
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
        settings = synapse_settings(BMTKNetwork(config_path), network)
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
            raise unsupported("the continuous-input mode", "use the 8 + 4 pulse train")
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
        current = (self.rec_vectors[self.current_name] - props["baseline"]) * PA
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
            baseline, sign = bmtool_baseline_sign(reference, self.tspk[0], dt)
            return {"baseline": baseline, "sign": sign}
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
        return (low if abs(low) > high else high) * PA

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
        for freq in progress(freqs, "Analyzing frequencies"):
            self._simulate_model(freq, delay)
            metrics = self._calc_ppr_induction_recovery(
                self._response_amplitude(), print_math=False
            )
            for key, value in zip(
                ("ppr", "induction", "recovery", "simple_ppr"), metrics, strict=True
            ):
                results[key].append(float(value))
        if plot:
            plt = pyplot()
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
        for name in progress(list(self.conn_type_settings), "Analyzing connections"):
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
        plt = pyplot()
        fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
        axes[0].plot(self.t, self.soma_v)
        axes[0].set_ylabel("Soma v (mV)")
        axes[1].plot(self.t, self.rec_vectors[self.current_name] * PA)
        axes[1].set_ylabel(f"syn {self.current_name} (pA)")
        axes[2].plot(self.t, self.ivcl * PA)
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
        return display(self.tuner_view())

    def show(self, port: int = 0) -> Any:
        """Open the live tuner in a browser tab, served on localhost (Panel's ``show``);
        returns the server (``.stop()`` ends it)."""
        return self.tuner_view().show(port=port, address="127.0.0.1", threaded=True)
