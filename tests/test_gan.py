"""The adversarial family on the spine: networks, the two-player step, EMA, resume, errors."""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import gan as gan_configs
from genjax.data import DataInfo, train_iterator
from genjax.models.gan import Discriminator, Generator
from genjax.models.spectral import spectral_norm_estimate, spectral_normalize
from genjax.run.experiment import train_and_evaluate
from tests.helpers import (
    assert_divergence_halts,
    assert_resume_is_bitwise_exact,
    data_of,
    method_of,
    tiny_gan_config,
    training_of,
)


@pytest.fixture(scope="module")
def data():
    return data_of(tiny_gan_config())


def _batch(data, size=32):
    return jax.device_put(next(train_iterator(data.train, size, 0, data.transform)))


def _setup(config, data, size=32):
    method = method_of(config, data.info)
    init, step = training_of(config, method)
    batch = _batch(data, size)
    return method, init(jax.random.key(0), batch), jax.jit(step), batch


# ---- networks -------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", sorted(gan_configs.SIZES))
def test_config_networks_fit_each_dataset_size(dataset):
    """Every dataset's DCGAN pair maps its latent to its image shape and back to a score."""
    from genjax.data import get_spec

    shape = get_spec(dataset).output_shape
    c = gan_configs.get_config(f"dataset={dataset}")
    info = DataInfo(shape, get_spec(dataset).num_classes, False, "symmetric")
    method = method_of(c, info)
    batch = {"image": jnp.zeros((2, *shape)), "label": jnp.zeros((2,), jnp.int32)}
    params = jax.eval_shape(method.init, jax.random.key(0), batch)
    images = jax.eval_shape(lambda p, k: method.sample(p, k, 3), params, jax.random.key(1))
    assert images.shape == (3, *shape)
    scores = jax.eval_shape(lambda p: method.eval_metrics(p, batch, jax.random.key(2)), params)
    assert scores["d_real"].shape == (2,)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_discriminator_uses_the_label(arch, conditioning):
    d = Discriminator((8, 8, 1), arch, (16,), (8, 16), 10, conditioning)
    x = jax.random.normal(jax.random.key(0), (4, 8, 8, 1))
    params = d.init(jax.random.key(1), x, jnp.zeros(4, jnp.int32))
    if conditioning == "projection":  # the zero-initialised-free embedding is small: enlarge it
        params = jax.tree.map(lambda a: a * 50, params)
    s0, feats = d.apply(params, x, jnp.zeros(4, jnp.int32))
    s1, _ = d.apply(params, x, jnp.full(4, 3, jnp.int32))
    assert s0.shape == (4,) and feats.shape[0] == 4
    assert float(jnp.max(jnp.abs(s0 - s1))) > 1e-3
    with pytest.raises(ValueError, match="class-conditional .* pass labels"):
        d.apply(params, x)


def test_generator_output_range_follows_the_data_range():
    z = jax.random.normal(jax.random.key(0), (16, 4)) * 10
    for output, low in (("tanh", -1.0), ("sigmoid", 0.0)):
        g = Generator((8, 8, 1), "mlp", (16,), output=output)
        x = g.apply(g.init(jax.random.key(1), z), z)
        assert x.shape == (16, 8, 8, 1) and float(x.min()) >= low and float(x.max()) <= 1.0


def test_spectral_norm_estimate_matches_the_largest_singular_value():
    w = np.random.default_rng(0).normal(size=(72, 16))
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    est = [float(spectral_norm_estimate(jnp.asarray(w, jnp.float32), k)) for k in (1, 5, 50)]
    assert est[0] <= est[1] * (1 + 1e-6) and est[1] <= sigma * (1 + 1e-5)  # from below
    np.testing.assert_allclose(est[2], sigma, rtol=1e-3)
    kernel = jnp.asarray(w.reshape(3, 3, 8, 16), jnp.float32)
    normalized = np.asarray(spectral_normalize(kernel, 50)).reshape(72, 16)
    np.testing.assert_allclose(np.linalg.svd(normalized, compute_uv=False)[0], 1.0, rtol=1e-3)


def test_spectral_layers_divide_their_kernel_by_its_largest_singular_value():
    import flax.linen as nn

    from genjax.models.spectral import SpectralConv, SpectralDense

    x = jax.random.normal(jax.random.key(0), (2, 8, 8, 3))
    conv = SpectralConv(16, (3, 3), (2, 2), iterations=200)
    params = conv.init(jax.random.key(1), x)
    w, b = np.asarray(params["params"]["kernel"]), np.asarray(params["params"]["bias"])
    sigma = np.linalg.svd(w.reshape(-1, 16), compute_uv=False)[0]
    plain = nn.Conv(16, (3, 3), strides=(2, 2), padding="SAME")
    expected = plain.apply({"params": {"kernel": w / sigma, "bias": b}}, x)
    np.testing.assert_allclose(conv.apply(params, x), expected, rtol=1e-3, atol=1e-5)

    h = x.reshape(2, -1)
    dense = SpectralDense(10, iterations=200)
    params = dense.init(jax.random.key(2), h)
    w, b = np.asarray(params["params"]["kernel"]), np.asarray(params["params"]["bias"])
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(dense.apply(params, h), h @ (w / sigma) + b, rtol=1e-3, atol=1e-5)


# ---- the two-player step --------------------------------------------------------------


@pytest.mark.slow  # trains a step end to end
def test_one_step_lowers_the_discriminator_loss_on_a_fixed_batch(data):
    config = tiny_gan_config("cgan")
    method, state, step, batch = _setup(config, data)
    d_player, g_player = method.players
    key = jax.random.key(3)
    before, _ = d_player.loss(state.params, batch, key, None)
    new, metrics = step(state, batch, jax.random.key(4))
    mixed = {**state.params, "discriminator": new.params["discriminator"]}
    after, _ = d_player.loss(mixed, batch, key, None)
    assert float(after) < float(before)
    # ... and the generator's update, against that new discriminator, lowers its own loss.
    g_before, _ = g_player.loss(mixed, batch, key, None)
    g_after, _ = g_player.loss(new.params, batch, key, None)
    assert float(g_after) < float(g_before)
    assert {"discriminator_loss", "generator_loss", "grad_norm", "param_norm"} <= set(metrics)


@pytest.mark.parametrize("frozen", ["generator", "discriminator"])
def test_each_group_is_updated_only_by_its_own_optimizer(data, frozen):
    config = tiny_gan_config("gan", n_critic=2)
    config.optim[frozen].learning_rate = 0.0  # this player's optimizer makes no change
    method, state, step, batch = _setup(config, data)
    old = jax.device_get(state.params)
    new, _ = step(state, batch, jax.random.key(0))
    new_params = jax.device_get(new.params)
    moving = "discriminator" if frozen == "generator" else "generator"
    for a, b in zip(jax.tree.leaves(old[frozen]), jax.tree.leaves(new_params[frozen]), strict=True):
        np.testing.assert_array_equal(a, b)
    changed = [
        not np.array_equal(a, b)
        for a, b in zip(
            jax.tree.leaves(old[moving]), jax.tree.leaves(new_params[moving]), strict=True
        )
    ]
    assert all(changed)
    counts = {k: int(jax.tree.leaves(v)[-1]) for k, v in new.opt_state.items()}
    assert counts == {"discriminator": 2, "generator": 1}  # n_critic updates of the critic


def test_only_the_generator_is_averaged_and_evaluation_uses_its_average(data):
    config = tiny_gan_config("gan")
    config.train.ema_decay = 0.5
    _, state, step, batch = _setup(config, data)
    for i in range(3):
        state, _ = step(state, batch, jax.random.key(i))
    assert set(state.ema_params) == {"generator"}
    eval_params = state.eval_params
    assert eval_params["generator"] is state.ema_params["generator"]
    assert eval_params["discriminator"] is state.params["discriminator"]
    ema, raw = (
        jax.tree.leaves(state.ema_params["generator"]),
        jax.tree.leaves(state.params["generator"]),
    )
    assert any(not np.allclose(a, b) for a, b in zip(ema, raw, strict=True))


def test_n_critic_must_divide_the_batch(data):
    config = tiny_gan_config("gan", n_critic=3)
    method, state, step, batch = _setup(config, data)
    with pytest.raises(ValueError, match="cannot be split into 3 equal updates"):
        step(state, batch, jax.random.key(0))


def test_critic_schedule_runs_on_its_own_clock(data):
    config = tiny_gan_config("gan", steps=100, n_critic=5)
    config.optim.schedule = "cosine"
    config.optim.final_lr_fraction = 0.0
    tx = method_of(config, data.info).players[0].tx  # the discriminator's
    params = {"w": jnp.ones(())}
    state = tx.init(params)
    for _ in range(250):  # half of 100 steps x 5 critic updates: lr still far from zero
        updates, state = tx.update({"w": jnp.ones(())}, state, params)
    assert abs(float(updates["w"])) > 0.4 * config.optim.learning_rate
    config.optim.discriminator.momentum = 0.9
    with pytest.raises(ValueError, match="unknown config field optim.discriminator.momentum"):
        method_of(config, data.info)


@pytest.mark.slow  # differentiates the whole VAE-GAN generator loss twice
def test_vaegan_encoder_gradient_ignores_gamma_and_the_adversary(data):
    """As in Larsen et al.: only the decoder sees γ and the adversarial loss."""
    grads = {}
    for gamma in (1.0, 7.0):
        config = tiny_gan_config("vaegan")
        config.loss.decoder_feature_weight = gamma
        method, state, _, batch = _setup(config, data)
        g_player = method.players[1]

        def fn(own, g_player=g_player, state=state, batch=batch):
            return g_player.loss(
                {**state.params, "generator": own}, batch, jax.random.key(0), None
            )[0]

        grads[gamma] = jax.grad(fn)(state.params["generator"])
    for a, b in zip(
        jax.tree.leaves(grads[1.0]["encoder"]), jax.tree.leaves(grads[7.0]["encoder"]), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    dec = [
        not np.allclose(a, b)
        for a, b in zip(
            jax.tree.leaves(grads[1.0]["decoder"]),
            jax.tree.leaves(grads[7.0]["decoder"]),
            strict=True,
        )
    ]
    assert any(dec)


# ---- the loop: resume, divergence, errors -----------------------------------------------


@pytest.mark.slow
def test_gan_resume_is_bitwise_exact(tmp_path):
    config = functools.partial(tiny_gan_config, "cgan", n_critic=2)
    assert_resume_is_bitwise_exact(config, tmp_path, first=10, total=20)


@pytest.mark.slow
def test_gan_divergence_halts_with_the_spines_error(tmp_path):
    assert_divergence_halts(tiny_gan_config, tmp_path, learning_rate=1e30)


def test_binary_data_and_unlabelled_conditioning_are_clear_errors():
    config = tiny_gan_config("cgan")
    with pytest.raises(ValueError, match="need continuous pixels .*: set data.variant='gray'"):
        method_of(config, DataInfo((8, 8, 1), 10, True))
    with pytest.raises(ValueError, match="needs a labelled dataset"):
        method_of(config, DataInfo((64, 64, 3), 0, False, "symmetric"))
    config.loss.adversarial = "wgan"
    with pytest.raises(ValueError, match="unknown loss.adversarial 'wgan'; valid: .*wasserstein"):
        method_of(config, DataInfo((8, 8, 1), 10, False, "symmetric"))


@pytest.mark.slow
def test_conditional_gan_run_scores_its_labels_and_sample_writes_latent_grids(tmp_path):
    from tests.test_experiments import run_main

    workdir = str(tmp_path / "cgan")
    config = tiny_gan_config("cgan", steps=10, arch="conv")
    config.eval.suite.enabled = True
    summary = train_and_evaluate(config, workdir)
    model = summary["suite"]["model"]
    assert model["num_samples"] == 300 and 0.0 <= model["class_accuracy"] <= 1.0
    assert {"floor", "ceiling"} <= set(summary["suite"]) and np.isfinite(summary["test_d_real"])
    assert summary["params"] == "ema of generator"
    code, out, err = run_main("experiments.sample", f"--workdir={workdir}", "--num=20")
    assert code == 0, err[-2000:]
    for name in ("samples_step10_seed0", "interpolation_lerp", "interpolation_slerp", "traversal"):
        assert os.path.exists(os.path.join(workdir, "samples", f"{name}.png")), name


@pytest.mark.slow
def test_trains_on_tfds_mnist_at_28x28_with_mock_data(tmp_path):
    import tensorflow_datasets as tfds

    config = tiny_gan_config("cgan", steps=3, arch="conv")
    config.data.name = "mnist"
    with tfds.testing.mock_data(num_examples=64):
        summary = train_and_evaluate(config, str(tmp_path))
    assert summary["dataset"] == "mnist" and np.isfinite(summary["test_d_real"])
    assert os.path.exists(os.path.join(str(tmp_path), "interpolation_slerp.png"))
