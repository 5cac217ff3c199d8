"""The outlier protocols: the data options they train with, their one-line errors before any
data or training, and one end-to-end run of experiments.outliers."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from configs import autoregressive, sparse_coding, translation
from genjax.applications import protocols as P
from genjax.data import DataConfig, load_data
from genjax.data.transforms import perturb
from tests.helpers import tiny_config

ROOT = Path(__file__).resolve().parents[1]


def test_exclude_label_drops_one_class_from_training_only():
    full = load_data(DataConfig())
    without = load_data(DataConfig(exclude_label=3))
    assert 3 not in without.train["label"]
    assert len(without.train["label"]) == np.sum(full.train["label"] != 3)
    np.testing.assert_array_equal(without.test["image"], full.test["image"])


def test_perturbation_replaces_pixels_at_its_rate_and_is_seeded():
    images = np.zeros((200, 8, 8, 1), np.uint8)
    a = perturb(images, 16, 0.2, np.random.default_rng(0))
    b = perturb(images, 16, 0.2, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    # A replaced pixel stays 0 with probability 1/17.
    assert abs(np.mean(a > 0) - 0.2 * 16 / 17) < 0.01
    assert a.max() == 16 and a.dtype == np.uint8
    loaded = load_data(DataConfig(perturb=0.2))
    clean = load_data(DataConfig())
    changed = np.mean(loaded.train["image"] != clean.train["image"])
    assert 0.15 < changed < 0.2
    np.testing.assert_array_equal(loaded.test["image"], clean.test["image"])


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"exclude_label": 10}, r"data.exclude_label=10 is not a class of digits \(labels 0..9\)"),
        (
            {"name": "binarized_mnist", "exclude_label": 0},
            r"is not a class of binarized_mnist \(it has no labels\)",
        ),
        ({"perturb": 1.0}, r"data.perturb is a probability in \[0, 1\); got 1.0"),
    ],
)
def test_bad_data_options_are_one_line_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        DataConfig(**fields)


def test_protocols_refuse_what_they_cannot_run_before_any_data():
    vae = tiny_config()
    with pytest.raises(ValueError, match="unknown protocol 'typical'; valid: corruption, heldout"):
        P.check_protocol("typical", vae)
    unlabelled = autoregressive.get_config("model=made,dataset=binarized_mnist")
    with pytest.raises(ValueError, match="needs labels and binarized_mnist has none"):
        P.check_protocol("heldout", unlabelled)  # binarized_mnist is not prepared here: no read
    with pytest.raises(ValueError, match="set data.name='digits'"):
        P.check_protocol("shift", unlabelled)
    with pytest.raises(ValueError, match="method 'sparse_coding' gives no outlier score"):
        P.check_protocol("corruption", sparse_coding.get_config())
    with pytest.raises(ValueError, match="not translation"):
        P.check_protocol("corruption", translation.get_config())
    with pytest.raises(ValueError, match=r"held-out class 12 does not exist in digits \(labels"):
        P.check_classes(["3", "12"], vae)
    assert P.check_classes([], vae) == tuple(range(10))


def _outliers(tmp_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "experiments.outliers", f"--workdir={tmp_path}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_command_names_a_bad_class_in_one_line(tmp_path):
    done = _outliers(tmp_path, "--config=configs/vae.py", "--protocol=heldout", "--classes=11")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: held-out class 11 does not")
    assert not (tmp_path / "without_11").exists()


@pytest.mark.slow
def test_the_command_runs_corruption_and_heldout_and_writes_its_tables(tmp_path):
    fast = [
        "--config=configs/vae.py",
        "--config.train.steps=60",
        "--config.train.steps_per_call=1",
        "--config.train.progress=False",
        "--config.eval.nll_samples=20",
        "--config.eval.nll_chunk=10",
        "--config.eval.suite.enabled=False",
    ]
    done = _outliers(tmp_path, *fast, "--protocol=corruption")
    assert done.returncode == 0, done.stderr[-2000:]
    done = _outliers(tmp_path, *fast, "--protocol=heldout", "--classes=7")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "outliers.json").read_text())
    corruption = report["protocols"]["corruption"]
    assert list(corruption) == ["5% flipped", "10% flipped", "20% flipped"]
    assert set(corruption["20% flipped"]) == {
        "is_nll",
        "elbo",
        "ratio:is_nll",
        "typicality:is_nll",
        "ratio:elbo",
        "typicality:elbo",
    }
    # More corruption is easier to find, even for a model trained 60 steps.
    aurocs = [corruption[c]["is_nll"]["auroc"] for c in corruption]
    assert aurocs[2] > aurocs[0] and aurocs[2] > 0.9
    held = report["protocols"]["heldout"]
    assert {"class 7", "mean", "spread"} == set(held)
    assert held["class 7"]["elbo"]["outliers"] == 30  # digits test has 30 sevens
    assert held["mean"]["elbo"]["auroc"] == held["class 7"]["elbo"]["auroc"]
    assert held["spread"]["elbo"]["auroc"] == 0.0  # one class: no spread
    assert report["estimators"]["is_nll"] == "IS -log p(x), K = 20"
    for name in ("outliers.md", "roc_corruption.png", "roc_heldout.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert "### heldout" in (tmp_path / "outliers.md").read_text()
    assert (tmp_path / "background" / "summary.json").exists()
    # A finished run of another config is named, never overwritten or silently reused.
    other = [a.replace("steps=60", "steps=70") for a in fast]
    done = _outliers(tmp_path, *other, "--protocol=corruption")
    assert done.returncode == 1
    assert "holds a finished run of another config (differs in train.steps)" in done.stderr


def test_the_table_row_reads_each_protocol_of_a_report():
    from genjax.applications import outlier_table as T

    cell = lambda a: {"auroc": a, "auprc": a, "fpr95": 1 - a}
    scores = lambda a: {"nll": cell(a), "ratio:nll": cell(a - 0.1), "typicality:nll": cell(0.5)}
    report = {
        "estimators": {"nll": "exact -log p(x)"},
        "protocols": {
            "corruption": {
                "5% flipped": scores(0.7),
                "10% flipped": scores(0.9),
                "20% flipped": scores(0.99),
            },
            "heldout": {
                "class 0": scores(0.6),
                "class 1": scores(0.8),
                **P.summarize({"class 0": scores(0.6), "class 1": scores(0.8)}),
            },
        },
    }
    row = T.table_row(T.Row("made", "configs/autoregressive.py:model=made", "nll", {}), report)
    assert row == (
        "| made | nll: exact -log p(x) | flip | 0.700 | 0.900 | 0.990 | 0.800 | 0.500 | "
        "0.700 ± 0.141 (2) | – | – | – |"
    )
