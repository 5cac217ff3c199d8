"""Debiasing (DB-VAE): the loss against NumPy, the resampling weights against the histogram
computation written out, the benchmark's subgroups, and a short training."""

import json
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from genjax.applications import debias_report as R
from genjax.applications import debiasing as B
from genjax.losses import debiasing_vae_loss

ROOT = Path(__file__).resolve().parents[1]


def _reference_weights(means, bins, alpha, combine):
    """The lab's procedure, written out: per dimension, np.histogram densities with open outer
    edges, + alpha, normalised; 1 / density at each example's bin, normalised; combined."""
    per_dim = []
    for z in means.T:
        density, edges = np.histogram(z, density=True, bins=bins)
        edges[0], edges[-1] = -np.inf, np.inf
        index = np.digitize(z, edges)  # 1..bins
        smoothed = (density + alpha) / np.sum(density + alpha)
        p = 1.0 / smoothed[index - 1]
        per_dim.append(p / p.sum())
    per_dim = np.array(per_dim)
    w = per_dim.max(axis=0) if combine == "max" else np.prod(per_dim, axis=0)
    return w / w.sum()


@pytest.mark.parametrize("combine", ["max", "product"])
def test_weights_equal_the_histogram_computation_and_ignore_order(combine):
    rng = np.random.default_rng(0)
    means = np.concatenate([rng.normal(size=(300, 4)), rng.normal(5.0, 0.3, size=(6, 4))])
    w = B.resampling_weights(means, bins=10, alpha=0.001, combine=combine)
    np.testing.assert_allclose(w, _reference_weights(means, 10, 0.001, combine), rtol=1e-10)
    np.testing.assert_allclose(w.sum(), 1.0)
    order = rng.permutation(len(means))
    shuffled = B.resampling_weights(means[order], bins=10, alpha=0.001, combine=combine)
    np.testing.assert_allclose(shuffled, w[order], rtol=1e-12)
    # The rare cluster is drawn far more often than its share (6 of 306).
    assert w[300:].sum() > 2 * 6 / 306
    # Heavy smoothing tends to uniform sampling.
    flat = B.resampling_weights(means, bins=10, alpha=1e6, combine=combine)
    np.testing.assert_allclose(flat, 1.0 / len(means), rtol=1e-3)


def test_weights_refuse_bad_inputs_in_one_line():
    with pytest.raises(ValueError, match="unknown combine 'sum'"):
        B.resampling_weights(np.zeros((3, 2)), combine="sum")
    with pytest.raises(ValueError, match=r"latent means must be \[N, L\]"):
        B.resampling_weights(np.zeros(5))


def test_loss_equals_numpy():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=6), rng.integers(0, 2, 6)
    x, x_hat = rng.random((6, 4, 4, 1)), rng.random((6, 4, 4, 1))
    mean, log_var = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) * 0.3
    value, metrics = jax.jit(debiasing_vae_loss, static_argnums=(6, 7))(
        logits, labels, x, x_hat, mean, log_var, 0.01, 2.0
    )
    p = 1 / (1 + np.exp(-logits))
    bce = -(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    recon = np.abs(x - x_hat).reshape(6, -1).mean(1)
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1)
    np.testing.assert_allclose(value, np.mean(bce + 2.0 * (recon + 0.01 * kl)), rtol=1e-5)
    np.testing.assert_allclose(metrics["accuracy"], np.mean((logits > 0) == (labels > 0)))


def test_subgroups_are_exact_in_size_and_deterministic_by_seed():
    rng = np.random.default_rng(2)
    images, labels = rng.random((200, 8, 8, 1)).astype(np.float32), rng.integers(0, 10, 200)
    a = B.biased_split(images, labels, 0.02, "invert", seed=3)
    b = B.biased_split(images, labels, 0.02, "invert", seed=3)
    c = B.biased_split(images, labels, 0.02, "invert", seed=4)
    for left, right in zip(a, b, strict=True):
        np.testing.assert_array_equal(left, right)
    assert a[2].sum() == 4 and not np.array_equal(a[2], c[2])
    np.testing.assert_allclose(a[0][a[2]], 1.0 - images[a[2]])
    np.testing.assert_array_equal(a[0][~a[2]], images[~a[2]])
    np.testing.assert_array_equal(a[1], labels >= 5)
    rotated = B.biased_split(images, labels, 0.5, "rotate", seed=3)
    m = rotated[2]
    np.testing.assert_array_equal(rotated[0][m], np.rot90(images[m], axes=(1, 2)))
    with pytest.raises(ValueError, match="unknown subgroup 'blur'"):
        B.biased_split(images, labels, 0.1, "blur", seed=0)


@pytest.mark.slow  # trains two classifiers
def test_debiased_training_draws_the_rare_subgroup_more_and_baseline_draws_uniformly():
    rng = np.random.default_rng(3)
    images = rng.random((256, 8, 8, 1)).astype(np.float32) * 0.3
    labels = rng.integers(0, 10, 256)
    x, y, members = B.biased_split(images, labels, 0.03, "invert", seed=0)
    cfg = B.DebiasConfig(epochs=3, hidden=(16,), latent_dim=4)
    _, uniform = B.train(cfg, x, y, jax.random.key(0), debias=False)
    np.testing.assert_allclose(uniform, 1.0 / 256)
    params, p = B.train(cfg, x, y, jax.random.key(0), debias=True)
    assert p[members].sum() > 3 * members.mean()
    acc = B.subgroup_accuracy(cfg, params, x, y, members)
    np.testing.assert_allclose(acc["gap"], acc["rest"] - acc["subgroup"])


def test_benchmark_settings_are_checked_in_one_line():
    with pytest.raises(ValueError, match="unknown debias.combine 'mean'"):
        B.DebiasConfig(combine="mean")
    with pytest.raises(ValueError, match="debias.epochs"):
        B.DebiasConfig(epochs=0)
    with pytest.raises(ValueError, match="seeds must be at least 2"):
        R.check_benchmark(
            {"subgroup": "invert", "seeds": 1, "train_fraction": 0.02, "test_fraction": 0.5}
        )
    with pytest.raises(ValueError, match=r"test_fraction is a share of the split in \(0, 1\)"):
        R.check_benchmark(
            {"subgroup": "invert", "seeds": 5, "train_fraction": 0.02, "test_fraction": 1.0}
        )
    interval = R.interval([1.0, 2.0, 3.0])
    assert interval["mean"] == 2.0
    np.testing.assert_allclose(interval["high"] - 2.0, 4.302652729911275 / np.sqrt(3))


@pytest.mark.slow
def test_the_debiasing_command_writes_its_table_and_grid(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.debias",
            "--config=configs/debias.py",
            "--config.seeds=2",
            "--config.debias.epochs=2",
            f"--workdir={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "debias.json").read_text())
    assert report["seeds"] == 2 and report["train_subgroup_members"] == 30
    assert len(report["runs"]["debiased"]) == 2
    change = [
        d["subgroup"] - b["subgroup"]
        for d, b in zip(report["runs"]["debiased"], report["runs"]["baseline"], strict=True)
    ]
    np.testing.assert_allclose(report["change"]["subgroup"]["mean"], np.mean(change))
    assert "| change (paired) |" in (tmp_path / "debias.md").read_text()
    assert (tmp_path / "upweighted.png").stat().st_size > 0
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments.debias",
            "--config=configs/debias.py",
            "--config.seeds=1",
            f"--workdir={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode == 1 and "error: seeds must be at least 2" in bad.stderr
