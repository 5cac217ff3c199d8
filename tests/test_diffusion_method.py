"""The diffusion method on the spine: guidance, label dropout, chains, the bound in its report
and one-line errors (resume, the suite and the run's outputs: tests/test_diffusion_learned.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import diffusion as diffusion_config
from genjax import diffusion as D
from genjax.data import DataInfo, eval_batches
from genjax.methods.diffusion import build_unet, read_config
from tests.helpers import (
    data_of,
    method_of,
    optimizer_of,
    tiny_diffusion_config,
)


@pytest.fixture(scope="module")
def setup():
    """A tiny conditional model with perturbed parameters (the U-Net's last layer starts at
    zero, which would hide the labels), and a batch of digits."""
    config = tiny_diffusion_config()
    data = data_of(config)
    method = method_of(config, data.info)
    batch = data.transform({k: v[:16] for k, v in data.train.items()})
    batch = jax.tree.map(jnp.asarray, batch)
    params = method.init(jax.random.key(0), batch)
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    noisy = [p + 0.1 * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys, strict=True)]
    return config, data, method, batch, jax.tree.unflatten(tree, noisy)


def _method(config, data, **diffusion):
    """The method of ``config`` with ``config.diffusion`` fields replaced (on a copy)."""
    config = config.copy_and_resolve_references()
    config.diffusion.update(diffusion)
    return method_of(config, data.info)


@pytest.mark.slow
def test_guidance_scale_zero_is_the_unconditional_model_and_one_the_conditional(setup):
    config, data, method, _, params = setup
    key, y = jax.random.key(2), jnp.arange(8) % 10
    # The null label is the unconditional model; at guidance 1 the model uses the labels given.
    null = jnp.full((8,), 10)
    unconditional = np.asarray(_method(config, data, guidance=1.0).sample(params, key, 8, null))
    conditional = {
        scale: np.asarray(_method(config, data, guidance=scale).sample(params, key, 8, y))
        for scale in (0.0, 1.0, 3.0)
    }
    np.testing.assert_allclose(conditional[0.0], unconditional, atol=1e-5)
    assert np.abs(conditional[1.0] - unconditional).max() > 0.05  # the labels matter
    assert np.abs(conditional[3.0] - conditional[1.0]).max() > 0.05


@pytest.mark.slow
def test_label_dropout_trains_the_null_label(setup):
    config, data, _, batch, params = setup
    key = jax.random.key(3)
    nulled = {**batch, "label": jnp.full_like(batch["label"], 10)}
    kept, _ = _method(config, data, label_dropout=0.0).loss(params, batch, key, None)
    null, _ = _method(config, data, label_dropout=0.0).loss(params, nulled, key, None)
    assert abs(float(kept) - float(null)) > 1e-4  # labels change the loss
    every = _method(config, data, label_dropout=0.999_999)  # every label of the batch dropped
    np.testing.assert_allclose(every.loss(params, batch, key, None)[0], null, rtol=1e-6)


@pytest.mark.parametrize("prediction", ["v", "x0"])
def test_other_parametrisations_are_converted_to_noise(prediction):
    d = D.schedule("cosine", 100)
    rng = np.random.default_rng(0)
    x0, eps = rng.normal(size=(2, 6, 4, 4, 1))
    t = jnp.asarray([0, 5, 30, 60, 90, 99])
    xt = D.q_sample(d, x0, t, eps)
    out = D.v_target(d, x0, t, eps) if prediction == "v" else x0
    np.testing.assert_allclose(D.to_eps(d, out, xt, t, prediction), eps, rtol=1e-3, atol=2e-3)


@pytest.mark.slow
def test_chain_ends_at_the_sample(setup):
    _, _, method, _, params = setup
    key = jax.random.key(4)
    frames = np.asarray(method.sample(params, key, 3, trajectory=True))
    assert frames.shape == (3, 10, 8, 8, 1)
    sample = np.asarray(method.sample(params, key, 3, jnp.arange(3) % 10))
    np.testing.assert_allclose(frames[:, -1], sample, atol=1e-6)


@pytest.mark.slow
def test_report_bound_is_the_variational_bound_of_the_first_examples(setup):
    config, data, method, _, params = setup
    batches = list(eval_batches(data.test, 64, data.transform))
    scalars, images = method.report(params, batches, jax.random.key(5))
    assert scalars["bpd_examples"] == 16.0  # eval.bpd_examples of the 64 in the batch
    x0, y = (jnp.asarray(batches[0][0][k][:16]) for k in ("image", "label"))
    unet = build_unet(read_config(config).unet, data.info)
    key = jax.random.fold_in(jax.random.key(5), 0)
    d = D.schedule("cosine", 20)
    # The report runs the U-Net on the whole batch of 64 and this check on 16: float32
    # rounding differs by 1.7e-5 (relative, measured on an AVX-512 CPU), while another noise
    # key moves the bound by 6e-3 and wrong labels by 1e-2, so 1e-4 still tells them apart.
    for kind, labels in (("conditional", y), ("unconditional", None)):
        eps_fn = lambda x, t, labels=labels: unet.apply(params, x, t, labels)  # ε-prediction
        want = D.variational_bound(d, eps_fn, x0, key, bins=17, clip=1.0)  # digits: 17 levels
        got = scalars[f"test_bits_per_dim_{kind}"]
        np.testing.assert_allclose(got, float(np.mean(want["bits_per_dim"])), rtol=1e-4)
        parts = sum(scalars[f"test_bits_per_dim_{kind}_{p}"] for p in ("prior", "decoder", "kl"))
        np.testing.assert_allclose(parts, got, rtol=1e-5)
    assert "test_bits_per_dim" not in scalars  # always named by what it conditions on
    assert images["chain"].shape == (4, 10, 8, 8, 1)
    assert images["guidance"].shape == (4, 10, 8, 8, 1)  # scales 0, 1, 2, 4 (default 2)
    # Each row is the model sampled at its scale, from the same noise as the other rows.
    _, k_guide = jax.random.split(jax.random.key(5))
    for row, scale in ((0, 0.0), (2, 2.0)):
        want = _method(config, data, guidance=scale).sample(params, k_guide, 10, jnp.arange(10))
        np.testing.assert_allclose(images["guidance"][row], want, atol=1e-4)


@pytest.mark.slow  # traces the full-size U-Net of every dataset config
@pytest.mark.parametrize("dataset", diffusion_config.DATASETS)
def test_config_unet_fits_each_dataset_size(dataset):
    from genjax.data import get_spec

    config = diffusion_config.get_config(f"dataset={dataset}")
    spec = get_spec(dataset)
    info = DataInfo(spec.output_shape, spec.num_classes, False, "symmetric", spec.levels)
    unet = build_unet(read_config(config).unet, info)
    x = jax.ShapeDtypeStruct((2, *info.image_shape), jnp.float32)
    t = jax.ShapeDtypeStruct((2,), jnp.int32)
    y = jax.ShapeDtypeStruct((2,), jnp.int32) if config.model.conditional else None
    out = jax.eval_shape(
        lambda x, t, y: unet.apply(unet.init(jax.random.key(0), x, t, y), x, t, y), x, t, y
    )
    assert out.shape == x.shape
    assert config.model.conditional == (spec.num_classes > 0)


def test_bad_inputs_are_one_line_errors():
    make = method_of
    config = tiny_diffusion_config()
    gray = DataInfo((8, 8, 1), 10, False, "symmetric", 16)
    cases = [
        (DataInfo((8, 8, 1), 10, True), "data.variant='gray'"),
        (DataInfo((8, 8, 1), 10, False, "unit"), "data.pixel_range='symmetric'"),
        (DataInfo((8, 8, 1), 0, False, "symmetric"), "model.conditional=False"),
    ]
    for info, fix in cases:
        with pytest.raises(ValueError, match=fix) as err:
            make(config, info)
        assert "\n" not in str(err.value)
    for field, value, match in (
        ("schedule", "quadratic", "valid: linear, cosine"),
        ("schedule", "linear", "more than 20 steps"),
        ("prediction", "score", "valid: eps, v, x0"),
        ("sampler", "euler", "valid: ddim, ddpm"),
        ("label_dropout", 1.0, r"in \[0, 1\)"),
    ):
        bad = tiny_diffusion_config()
        bad.diffusion[field] = value
        with pytest.raises(ValueError, match=match):
            make(bad, gray)
    with pytest.raises(ValueError, match="conditional"):
        diffusion_config.get_config("conditional=yes")


@pytest.mark.slow
@pytest.mark.parametrize("prediction", ["eps", "v", "x0"])
def test_training_loss_is_the_mean_of_the_per_example_error(setup, prediction):
    """The loss (the library's regression for each parametrisation) equals the mean of the
    per-example error against the schedule's target, from the same noise."""
    config, data, _, batch, params = setup
    method = _method(config, data, prediction=prediction, label_dropout=0.0)
    key = jax.random.key(6)
    loss, _ = method.loss(params, batch, key, None)
    per_example = method.eval_metrics(params, batch, jax.random.split(key)[0])["mse"]
    assert per_example.shape == (16,)
    np.testing.assert_allclose(loss, jnp.mean(per_example), rtol=1e-5)


@pytest.mark.slow
def test_steps_lower_the_loss_on_a_fixed_batch_and_noise(setup):
    import functools

    from genjax.train.state import create_train_state, train_step

    config, _, method, batch, _ = setup
    tx = optimizer_of(config, 100)
    state = create_train_state(method.init(jax.random.key(0), batch), tx)
    step = jax.jit(functools.partial(train_step, loss_fn=method.loss, tx=tx, ema_decay=0.0))
    key = jax.random.key(1)  # the same t, noise and dropped labels at every step
    state, first = step(state, batch, key)
    for _ in range(30):
        state, last = step(state, batch, key)
    assert float(last["loss"]) < 0.7 * float(first["loss"]), (first["loss"], last["loss"])
