"""Executes the notebooks end to end with fewer training steps and checks what they print."""

import math
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NLL_LINE = re.compile(r"test NLL: (\S+) nats \((\d+) importance samples\)")
RBM_LINE = re.compile(
    r"test NLL: (\S+) nats \(exact log Z\), (\S+) nats \(AIS, (\d+) temperatures\); "
    r"independent pixels (\S+)"
)
AUROC_LINE = re.compile(r"AUROC: 10% flipped (\S+), noise (\S+)")
DBN_START = re.compile(r"before training the top: DBN test NLL (\S+) nats \(the RBM: (\S+)\)")
DBN_LINE = re.compile(r"DBN test NLL: (\S+) nats exact; its first RBM alone (\S+)")


def set_parameters(nb: nbformat.NotebookNode, overrides: dict[str, str]) -> None:
    """Rewrite ``NAME = ...`` lines of the first code cell (the parameter cell)."""
    cell = next(c for c in nb.cells if c.cell_type == "code")
    for name, value in overrides.items():
        cell.source, n = re.subn(rf"^{name} = .*$", f"{name} = {value}", cell.source, flags=re.M)
        assert n == 1, f"parameter {name} not found in the notebook's first code cell"


def execute(name: str, overrides: dict[str, str], tmp_path) -> tuple[str, int]:
    """Run notebooks/<name> with ``overrides``; returns its stdout and its number of PNGs."""
    # The kernel inherits TFDS_DATA_DIR, set session-wide by conftest.py.
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells), "commit the notebook without outputs"
    set_parameters(nb, overrides)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError if a cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    return text, sum("image/png" in o.get("data", {}) for o in outputs)


def found(pattern: re.Pattern, text: str) -> list[float]:
    match = pattern.search(text)
    assert match, f"no line matching {pattern.pattern!r} in the notebook's output:\n{text}"
    return [float(g) for g in match.groups()]


@pytest.mark.slow
def test_vae_notebook_executes(tmp_path):
    text, pngs = execute("vae_latent_space.ipynb", {"STEPS": "150"}, tmp_path)
    assert pngs >= 4
    nll, samples = found(NLL_LINE, text)
    assert math.isfinite(nll) and nll > 0, nll
    assert samples > 0


@pytest.mark.slow
def test_energy_notebook_executes(tmp_path):
    text, pngs = execute("energy_models.ipynb", {"EPOCHS": "20", "AIS_BETAS": "2000"}, tmp_path)
    assert pngs >= 5  # data, filters, chains, anomalies, DBN samples
    exact, ais, betas, independent = found(RBM_LINE, text)
    assert betas == 2000
    assert abs(exact - ais) < 0.3, (exact, ais)  # AIS agrees with the exact log Z
    assert exact < independent - 2, (exact, independent)  # the RBM beats independent pixels
    flipped, noise = found(AUROC_LINE, text)
    assert flipped > 0.8 and noise > 0.95, (flipped, noise)
    start, rbm = found(DBN_START, text)
    assert start == rbm  # the top started as the RBM transposed: the DBN is the RBM
    dbn, rbm_alone = found(DBN_LINE, text)
    assert dbn < rbm_alone, (dbn, rbm_alone)  # the greedy layer helps


PIX2PIX_LINE = re.compile(
    r"pix2pix on held-out photographs: PSNR (\S+) dB, SSIM (\S+), FD (\S+); gray input: "
    r"PSNR (\S+) dB, SSIM (\S+), FD (\S+) \((\d+) patches\)"
)


@pytest.mark.slow
def test_translation_notebook_executes(tmp_path):
    run = repr(str(tmp_path / "run"))
    overrides = {"STEPS": "20", "FEATURE_STEPS": "50", "WIDTH": "8", "WORKDIR": run}
    text, pngs = execute("translation.ipynb", overrides, tmp_path)
    assert pngs >= 2
    psnr, ssim, fd, gray_psnr, gray_ssim, gray_fd, patches = found(PIX2PIX_LINE, text)
    assert patches == 690 and 0 < ssim <= 1 and 0 < gray_ssim <= 1
    assert all(math.isfinite(v) and v > 0 for v in (psnr, fd, gray_psnr, gray_fd))


OUTLIER_LINE = re.compile(r"AUROC at 10% flipped: vae (\S+), rbm (\S+), autoencoder (\S+)")
DEBIAS_LINE = re.compile(
    r"subgroup accuracy: baseline (\S+), debiased (\S+); share of draws from the subgroup: (\S+)"
)


@pytest.mark.slow
def test_outliers_and_bias_notebook_executes(tmp_path):
    overrides = {
        "STEPS": "300",
        "NLL_SAMPLES": "100",
        "AIS_BETAS": "500",
        "SEEDS": "2",
        "EPOCHS": "5",
        "WORKDIR": repr(str(tmp_path)),
    }
    text, pngs = execute("outliers_and_bias.ipynb", overrides, tmp_path)
    assert pngs >= 2  # the ROC curves and the up-weighted digits
    assert all(a > 0.9 for a in found(OUTLIER_LINE, text)), text  # 10% flips are easy to find
    baseline, debiased, share = found(DEBIAS_LINE, text)
    assert 0 <= baseline <= 1 and 0 <= debiased <= 1  # below chance is possible: bias
    assert share > 0.04  # the subgroup is 2% of training: resampling draws it more
