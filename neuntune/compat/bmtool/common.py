"""What the BMTool drop-in's classes share: BMTool's default settings, its warning
class, argument checks and the optional tqdm, IPython and matplotlib."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from neuntune.neuron.bmtk import BMTKNetwork

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
PA = 1000.0


class BMToolWarning(UserWarning):
    """A number BMTool reports that is not what its name says; the warning names the
    right one."""


def unsupported(what: str, instead: str) -> NotImplementedError:
    return NotImplementedError(f"neuntune.compat.bmtool does not support {what} yet; {instead}")


def check_folders(mechanisms_dir: Any, templates_dir: Any, config: Any, hoc_cell: Any) -> None:
    if hoc_cell is not None:
        raise unsupported(
            "hoc_cell=",
            "neuntune runs NEURON in a worker process, so a cell made in this one cannot "
            "be used: name its template in conn_type_settings and pass templates_dir",
        )
    if config is None and (mechanisms_dir is None or templates_dir is None):
        raise ValueError(
            "Either a config file, both mechanisms_dir and templates_dir, or a hoc_cell "
            "must be provided."
        )


def progress(items: Iterable[Any], desc: str) -> Iterable[Any]:
    """``items`` with a tqdm progress bar when tqdm is installed (as BMTool shows one)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc)


def display(view: Any) -> Any:
    """Show ``view`` in IPython (a notebook's output) if this is one; return it."""
    try:
        from IPython.display import display as show
    except ImportError:  # not in IPython: the caller shows it (e.g. .show())
        return view
    show(view)
    return view


def pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plotting needs matplotlib (pip install matplotlib), as BMTool's does; "
            "pass plot=False / plot_and_print=False to skip it"
        ) from error
    return plt


def synapse_settings(network: BMTKNetwork, name: str | None) -> dict[str, dict]:
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


def check_cc(target_cc: float) -> None:
    if not (isinstance(target_cc, int | float) and 0 < target_cc < 1):
        raise ValueError(f"target_cc = {target_cc!r}: a coupling coefficient must be in (0, 1)")
