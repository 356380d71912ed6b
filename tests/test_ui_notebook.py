"""examples/tuner.ipynb runs in a real Jupyter kernel and displays the tuner."""

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "examples" / "tuner.ipynb"


def test_tuner_notebook_runs_and_displays_the_tuner() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()  # raises on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    shown = [o for o in outputs if o.output_type == "execute_result"]
    # Panel's notebook mimebundle: the tuner rendered as a live (comm-backed) Bokeh view.
    assert any("application/vnd.holoviews_exec.v0+json" in o.data for o in shown)
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    assert re.search(r"spikes: \{'a': \d+, 'b': \d+\}", printed)
    assert re.search(r"CC a→b = 0\.\d{3} \(passive estimate 0\.629\)", printed)
