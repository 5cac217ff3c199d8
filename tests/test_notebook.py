"""Executes notebooks/vae_latent_space.ipynb end to end with fewer training steps."""

import math
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "vae_latent_space.ipynb"
OVERRIDES = {"STEPS": "300"}  # parameter -> value, set in the notebook's first code cell
NLL_LINE = re.compile(r"test NLL: (\S+) nats \((\d+) importance samples\)")


def set_parameters(nb: nbformat.NotebookNode, overrides: dict[str, str]) -> None:
    """Rewrite ``NAME = ...`` lines of the first code cell (the parameter cell)."""
    cell = next(c for c in nb.cells if c.cell_type == "code")
    for name, value in overrides.items():
        cell.source, n = re.subn(rf"^{name} = .*$", f"{name} = {value}", cell.source, flags=re.M)
        assert n == 1, f"parameter {name} not found in the notebook's first code cell"


@pytest.mark.slow
def test_vae_notebook_executes(tmp_path):
    # The kernel inherits TFDS_DATA_DIR, set session-wide by conftest.py.
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells), "commit the notebook without outputs"
    set_parameters(nb, OVERRIDES)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError if a cell fails

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4
    text = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    match = NLL_LINE.search(text)
    assert match, f"no NLL line in the notebook's output:\n{text}"
    nll, samples = float(match.group(1)), int(match.group(2))
    assert math.isfinite(nll) and nll > 0, nll
    assert samples > 0
