"""The command-line mains: one-line errors for bad input, and evaluate/sample on a checkpoint."""

import json
import os
import subprocess
import sys

import pytest

from genjax.run.experiment import train_and_evaluate
from tests.helpers import tiny_config

# Every test here runs the mains or a training in a subprocess: end to end.
pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_main(module, *args, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["--config.train.nonexistent=1"],
            "error: config key does not exist: train.nonexistent (valid here: batch_size,",
        ),
        (["--config.loss.beta=4"], "error: config key does not exist: loss.beta"),  # plain vae
        (["--config.data.name=mnist"], "python -m experiments.prepare --dataset=mnist"),
        (
            ["--config.train.steps=abc"],
            "error: config override: train.steps must be of type int; got 'abc'",
        ),
    ],
)
def test_train_bad_input_gives_one_line_error(tmp_path, args, expected):
    code, _, err = run_main(
        "experiments.train",
        "--config=configs/vae.py",
        f"--workdir={tmp_path}",
        *args,
        env={"TFDS_DATA_DIR": str(tmp_path / "tfds")},
    )
    assert code == 1
    lines = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0], err[-2000:]


def test_bad_config_argument_and_missing_file(tmp_path):
    code, _, err = run_main(
        "experiments.train", "--config=configs/vae.py:datset=mnist", f"--workdir={tmp_path}"
    )
    assert code == 1 and "error: bad config argument 'datset=mnist'" in err
    code, _, err = run_main(
        "experiments.train", "--config=configs/nope.py", f"--workdir={tmp_path}"
    )
    assert code == 1 and "error: config configs/nope.py not found; packaged configs: " in err
    assert "vae, vdm" in err


def test_evaluate_and_sample_from_a_checkpoint(tmp_path):
    workdir = str(tmp_path / "run")
    summary = train_and_evaluate(tiny_config(steps=10), workdir)
    code, out, err = run_main("experiments.evaluate", f"--workdir={workdir}", "--nll_samples=40")
    assert code == 0, err[-2000:]
    results = json.load(open(os.path.join(workdir, "eval", "eval.json")))
    assert results["step"] == 10 and results["nll_samples"] == 40
    assert abs(results["test_is_nll"] - summary["test_is_nll"]) < 1.0
    suite = results["suite"]  # computed although the run did not ask for it
    assert suite["model"]["num_samples"] == 300 and suite["floor"]["fd"] < suite["ceiling"]["fd"]
    for name in ("samples.png", "traversal.png", "interpolation_slerp.png", "reconstructions.png"):
        assert os.path.exists(os.path.join(workdir, "eval", name))
    code, out, err = run_main("experiments.sample", f"--workdir={workdir}", "--num=9")
    assert code == 0, err[-2000:]
    assert os.path.exists(os.path.join(workdir, "samples", "samples_step10_seed0.png"))


def test_evaluate_without_checkpoint_is_one_line(tmp_path):
    code, _, err = run_main("experiments.evaluate", f"--workdir={tmp_path}")
    assert code == 1 and f"error: no checkpoints in {tmp_path}" in err
    for bad in ("--num=0", "--num=-5"):  # refused before the checkpoint is even looked for
        code, _, err = run_main("experiments.sample", f"--workdir={tmp_path}", bad)
        assert code == 1 and "error: --num must be >= 1 and --chain >= 0" in err, err[-2000:]
    assert not (tmp_path / "samples").exists()


def test_evaluate_features_and_floors_commands(tmp_path):
    code, out, err = run_main("experiments.evaluate", "features", "--dataset=digits")
    assert code == 0, err[-2000:]
    assert json.loads(out)["test_accuracy"] >= 0.95
    code, out, err = run_main(
        "experiments.evaluate", "floors", "--dataset=digits", "--variant=gray", "--num_samples=200"
    )
    assert code == 0, err[-2000:]
    bounds = json.loads(out)
    assert bounds["floor"]["num_samples"] == 200 and "gray" in bounds["floor"]["reference"]
    assert bounds["floor"]["fd"] < bounds["ceiling"]["fd"]
    code, _, err = run_main("experiments.evaluate", "feature")
    assert code == 1 and "error: unknown command 'feature'; valid: checkpoint, features" in err
