"""Executes every notebook end to end, with fewer training steps, in a fresh virtual environment
that holds only what the notebooks' install cell gives (and the kernel), and checks what they
print. The committed notebooks carry the outputs of a full run (``notebooks/execute.py``)."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from genjax.locks import file_lock

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "genjax-fresh"
KERNEL_LINE = re.compile(r"python (\S+), genjax from (\S+)")
NLL_LINE = re.compile(r"test NLL: (\S+) nats \((\d+) importance samples\)")
RBM_LINE = re.compile(
    r"test NLL: (\S+) nats \(exact log Z\), (\S+) nats \(AIS, (\d+) temperatures\); "
    r"independent pixels (\S+)"
)
AUROC_LINE = re.compile(r"AUROC: 10% flipped (\S+), noise (\S+)")
DBN_START = re.compile(r"before training the top: DBN test NLL (\S+) nats \(the RBM: (\S+)\)")
DBN_LINE = re.compile(r"DBN test NLL: (\S+) nats exact; its first RBM alone (\S+)")


def install_cell(nb: nbformat.NotebookNode) -> str:
    """The notebook's first code cell: the install cell."""
    return next(c for c in nb.cells if c.cell_type == "code").source


def fresh_environment(root: Path) -> Path:
    """A new venv with ipykernel (Colab's kernel) into which the install cell installs genjax
    from this clone's committed tree; returns the folder that holds its kernelspec."""
    venv, kernels = root / "venv", root / "kernels"
    python = venv / "bin" / "python"
    if (kernels / KERNEL / "kernel.json").is_file():
        return kernels
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "ipykernel"], check=True)
    cell = install_cell(nbformat.read(NOTEBOOKS / "vae_latent_space.ipynb", as_version=4))
    env = dict(os.environ, GENJAX_SOURCE=f"genjax-models @ git+file://{ROOT}")
    subprocess.run([str(python), "-c", cell], check=True, env=env, cwd=root)  # not the clone
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL,
        "language": "python",
    }
    (kernels / KERNEL).mkdir(parents=True, exist_ok=True)
    (kernels / KERNEL / "kernel.json").write_text(json.dumps(spec))
    return kernels


@pytest.fixture(scope="session")
def fresh_kernel(tmp_path_factory):
    """The kernel of the fresh environment, built once per session (the workers share it)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "notebook_env"
    root.mkdir(exist_ok=True)
    with file_lock(str(root / "lock")):
        kernels = fresh_environment(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(kernels.parent))  # jupyter looks in <path>/kernels/<name>
        yield KERNEL


def set_parameters(nb: nbformat.NotebookNode, overrides: dict[str, str]) -> None:
    """Rewrite ``NAME = ...`` lines of the parameter cell (the one after the install cell)."""
    cell = next(c for c in nb.cells if c.source.startswith("# Parameters"))
    for name, value in overrides.items():
        cell.source, n = re.subn(rf"^{name} = .*$", f"{name} = {value}", cell.source, flags=re.M)
        assert n == 1, f"parameter {name} not found in the notebook's parameter cell"


def execute(name: str, overrides: dict[str, str], tmp_path, kernel: str) -> tuple[str, int]:
    """Run notebooks/<name> (its outputs cleared) with ``overrides`` from a fresh ``kernel``;
    returns its stdout and its number of PNGs."""
    # The kernel inherits TFDS_DATA_DIR, set session-wide by conftest.py.
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    set_parameters(nb, overrides)
    client = NotebookClient(
        nb, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError if a cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    python, genjax_dir = KERNEL_LINE.search(text).groups()
    # The fresh environment ran it, with genjax installed there, not this clone's:
    assert Path(python).parent.parent.name == "venv", python
    assert "site-packages" in genjax_dir, genjax_dir
    return text, sum("image/png" in o.get("data", {}) for o in outputs)


def test_notebooks_share_one_install_cell_and_carry_their_outputs():
    """Every notebook opens with the same install cell and is committed executed: PNGs, no
    errors, cells run once each, in order."""
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert len(notebooks) >= 6
    cells = {p.name: install_cell(nbformat.read(p, as_version=4)) for p in notebooks}
    assert len(set(cells.values())) == 1, "the install cells differ"
    assert "GENJAX_SOURCE" in next(iter(cells.values()))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        outputs = [o for c in code for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], path.name
        assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2, path.name
        counts = [c.execution_count for c in code]
        assert counts == list(range(1, len(code) + 1)), (path.name, counts)


def found(pattern: re.Pattern, text: str) -> list[float]:
    match = pattern.search(text)
    assert match, f"no line matching {pattern.pattern!r} in the notebook's output:\n{text}"
    return [float(g) for g in match.groups()]


@pytest.mark.slow
def test_vae_notebook_executes(tmp_path, fresh_kernel):
    text, pngs = execute("vae_latent_space.ipynb", {"STEPS": "150"}, tmp_path, fresh_kernel)
    assert pngs >= 4
    nll, samples = found(NLL_LINE, text)
    assert math.isfinite(nll) and nll > 0, nll
    assert samples > 0


@pytest.mark.slow
def test_energy_notebook_executes(tmp_path, fresh_kernel):
    text, pngs = execute(
        "energy_models.ipynb", {"EPOCHS": "20", "AIS_BETAS": "2000"}, tmp_path, fresh_kernel
    )
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
def test_translation_notebook_executes(tmp_path, fresh_kernel):
    run = repr(str(tmp_path / "run"))
    overrides = {"STEPS": "20", "FEATURE_STEPS": "50", "WIDTH": "8", "WORKDIR": run}
    text, pngs = execute("translation.ipynb", overrides, tmp_path, fresh_kernel)
    assert pngs >= 2
    psnr, ssim, fd, gray_psnr, gray_ssim, gray_fd, patches = found(PIX2PIX_LINE, text)
    assert patches == 690 and 0 < ssim <= 1 and 0 < gray_ssim <= 1
    assert all(math.isfinite(v) and v > 0 for v in (psnr, fd, gray_psnr, gray_fd))


OUTLIER_LINE = re.compile(r"AUROC at 10% flipped: vae (\S+), rbm (\S+), autoencoder (\S+)")
DEBIAS_LINE = re.compile(
    r"subgroup accuracy: baseline (\S+), debiased (\S+); share of draws from the subgroup: (\S+)"
)


@pytest.mark.slow
def test_outliers_and_bias_notebook_executes(tmp_path, fresh_kernel):
    overrides = {
        "STEPS": "300",
        "NLL_SAMPLES": "100",
        "AIS_BETAS": "500",
        "SEEDS": "2",
        "EPOCHS": "5",
        "WORKDIR": repr(str(tmp_path)),
    }
    text, pngs = execute("outliers_and_bias.ipynb", overrides, tmp_path, fresh_kernel)
    assert pngs >= 2  # the ROC curves and the up-weighted digits
    assert all(a > 0.9 for a in found(OUTLIER_LINE, text)), text  # 10% flips are easy to find
    baseline, debiased, share = found(DEBIAS_LINE, text)
    assert 0 <= baseline <= 1 and 0 <= debiased <= 1  # below chance is possible: bias
    assert share > 0.04  # the subgroup is 2% of training: resampling draws it more


GAN_LINE = re.compile(r"^GAN: FD (\S+), KID (\S+) ± (\S+), precision (\S+), recall (\S+)$", re.M)
CGAN_LINE = re.compile(
    r"^conditional GAN: FD (\S+), KID (\S+) ± (\S+), precision (\S+), recall (\S+), "
    r"class accuracy (\S+)$",
    re.M,
)
LOSS_LINES = re.compile(r"L_D = (\S+) \(formula (\S+)\)\nL_G = (\S+) \(formula (\S+)\)")


@pytest.mark.slow
def test_adversarial_notebook_executes(tmp_path, fresh_kernel):
    overrides = {"STEPS": "30", "SUITE_SAMPLES": "200", "WORKDIR": repr(str(tmp_path / "gan"))}
    text, pngs = execute("adversarial.ipynb", overrides, tmp_path, fresh_kernel)
    assert pngs >= 4  # GAN samples, slerp, traversal, cGAN samples
    loss_d, formula_d, loss_g, formula_g = found(LOSS_LINES, text)
    assert loss_d == formula_d and loss_g == formula_g  # the pure losses are the formulas
    fd, kid, kid_se, precision, recall = found(GAN_LINE, text)
    assert fd > 0 and kid_se > 0 and 0 <= precision <= 1 and 0 <= recall <= 1
    *_, accuracy = found(CGAN_LINE, text)
    assert 0 <= accuracy <= 1


BPD_LINE = re.compile(
    r"test bits/dim \(variational bound, all (\d+) steps, (\d+) test digits\): "
    r"unconditional (\S+), conditional (\S+)"
)
SNR_LINE = re.compile(r"signal-to-noise ratio at those t: (\S+), .*, (\S+)$", re.M)


@pytest.mark.slow
def test_diffusion_notebook_executes(tmp_path, fresh_kernel):
    overrides = {
        "STEPS": "20",
        "SUITE_SAMPLES": "100",
        "BPD_EXAMPLES": "16",
        "WORKDIR": repr(str(tmp_path / "diffusion")),
    }
    text, pngs = execute("diffusion.ipynb", overrides, tmp_path, fresh_kernel)
    assert pngs >= 4  # the forward process, samples, chain, guidance
    first, last = found(SNR_LINE, text)
    assert first > 1e3 and last < 1e-3  # ᾱ_t / (1 - ᾱ_t) of the linear schedule at t=0, 999
    steps, examples, unconditional, conditional = found(BPD_LINE, text)
    assert steps == 1000 and examples == 16
    assert 0 < conditional < 20 and 0 < unconditional < 20  # untrained: finite, positive
