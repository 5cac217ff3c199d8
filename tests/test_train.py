"""The training spine: every method learns, resume is exact, divergence halts clearly."""

import functools
import json
import os

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from genjax.data import train_iterator
from genjax.methods import get_family
from genjax.run.experiment import train_and_evaluate
from genjax.train.state import create_train_state, train_step
from tests.helpers import (
    assert_divergence_halts,
    assert_resume_is_bitwise_exact,
    data_of,
    method_of,
    optimizer_of,
    tiny_config,
)


@pytest.fixture(scope="module")
def data():
    return data_of(tiny_config())


# The autoencoder and VAE families (nats-scale losses). Others test their own steps:
# tests/test_gan.py, tests/test_diffusion_method.py, tests/test_rbm_method.py.
SINGLE_LOSS = ["autoencoder", "beta_vae", "cvae", "iwae", "sparse_autoencoder", "vae"]


@pytest.mark.slow  # trains a step end to end
@pytest.mark.parametrize("name", SINGLE_LOSS)
def test_each_method_lowers_its_loss_on_a_fixed_batch(name, data):
    config = tiny_config(name)
    method = method_of(config, data.info)
    tx = optimizer_of(config, 100)
    batch = jax.device_put(next(train_iterator(data.train, 64, 0, data.transform)))
    state = create_train_state(method.init(jax.random.key(0), batch), tx)
    step = jax.jit(
        functools.partial(train_step, loss_fn=method.loss, tx=tx, ema_decay=0.0), donate_argnums=0
    )
    key = jax.random.key(1)
    state, first = step(state, batch, key)
    for _ in range(30):
        state, last = step(state, batch, key)
    assert float(last["loss"]) < float(first["loss"]) - 1.0
    assert int(state.step) == 31
    evals = method.eval_metrics(state.params, batch, key)
    assert all(v.shape == (64,) for v in evals.values())


def test_train_step_compiles_once(data):
    config = tiny_config()
    method = method_of(config, data.info)
    tx = optimizer_of(config, 100)
    it = train_iterator(data.train, 32, 0, data.transform)
    state = create_train_state(method.init(jax.random.key(0), next(it)), tx)
    fn = functools.partial(train_step, loss_fn=method.loss, tx=tx, ema_decay=0.9)
    traced = []
    step = jax.jit(lambda s, b, k: (traced.append(1), fn(s, b, k))[1], donate_argnums=0)
    for _ in range(5):
        state, _ = step(state, next(it), jax.random.key(1))
    assert len(traced) == 1


@pytest.mark.slow
def test_resume_is_bitwise_exact(tmp_path):
    """Both ways a run resumes: after a preemption, and a finished run trained further."""
    assert_resume_is_bitwise_exact(tiny_config, tmp_path / "preempted", first=15, total=30)
    assert_resume_is_bitwise_exact(tiny_config, tmp_path / "extended", 15, 30, preempt=False)


@pytest.mark.slow
def test_outputs_of_a_run(tmp_path):
    workdir = str(tmp_path)
    summary = train_and_evaluate(tiny_config(steps=10), workdir)
    for name in (
        "samples.png",
        "traversal.png",
        "reconstructions.png",
        "interpolation_lerp.png",
        "interpolation_slerp.png",
        "curves.png",
        "metrics.jsonl",
        "summary.json",
        "config.json",
    ):
        assert os.path.exists(os.path.join(workdir, name)), name
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(f"{workdir}/tensorboard"))
    rows = [json.loads(line) for line in open(f"{workdir}/metrics.jsonl")]
    assert {r["split"] for r in rows} == {"train", "test", "report"}
    assert np.isfinite(summary["test_is_nll"]) and summary["nll_samples"] == 20
    assert summary["test_is_nll"] <= -summary["test_elbo"] + 1.0  # IS NLL below -ELBO (noisy)


@pytest.mark.slow
def test_divergence_halts_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    assert_divergence_halts(tiny_config, tmp_path, learning_rate=1e12)


@pytest.mark.slow
def test_trains_on_tfds_mnist_with_mock_data(tmp_path):
    config = tiny_config(steps=4)
    config.data.name = "mnist"
    with tfds.testing.mock_data(num_examples=64):
        summary = train_and_evaluate(config, str(tmp_path))
    assert summary["dataset"] == "mnist" and np.isfinite(summary["test_elbo"])


def test_unknown_method_lists_valid_names():
    with pytest.raises(ValueError, match="unknown method 'vea'; valid methods: .*vae"):
        get_family("vea")


def test_conditional_vae_needs_labels():
    config = tiny_config("cvae")
    config.data.name = "binarized_mnist"
    from genjax.data import DataInfo

    with pytest.raises(ValueError, match="needs a labelled dataset"):
        method_of(config, DataInfo((28, 28, 1), 0, True))
