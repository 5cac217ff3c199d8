"""The variational diffusion model on the spine: the loss is the bound it reports, the
variance-minimising update reaches the schedule's shape only, the report's bits/dim and its
standard error, exact resume, and one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import vdm as vdm_config
from genjax.data import DataInfo, eval_batches
from tests.helpers import (
    assert_resume_is_bitwise_exact,
    data_of,
    method_of,
    tiny_vdm_config,
)


@pytest.fixture(scope="module")
def setup():
    """A tiny model with perturbed score-network parameters (its last layer starts at zero)
    and a batch of 16 digits."""
    config = tiny_vdm_config()
    data = data_of(config)
    method = method_of(config, data.info)
    batch = jax.tree.map(jnp.asarray, data.transform({k: v[:16] for k, v in data.train.items()}))
    params = jax.jit(method.init)(jax.random.key(0), batch)
    leaves, tree = jax.tree.flatten(params["score"])
    keys = jax.random.split(jax.random.key(1), len(leaves))
    noisy = [p + 0.1 * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys, strict=True)]
    return config, data, method, batch, {**params, "score": jax.tree.unflatten(tree, noisy)}


def _method(config, data, **fields):
    config = config.copy_and_resolve_references()
    config.vdm.update(fields)
    return method_of(config, data.info)


@pytest.mark.slow  # compiles the U-Net's loss, gradient or sampler
def test_loss_is_the_mean_of_the_per_example_bound_and_of_its_parts(setup):
    config, data, method, batch, params = setup
    key = jax.random.key(2)
    loss, (metrics, _) = method.loss(params, batch, key, None)
    per_example = method.eval_metrics(params, batch, jax.random.split(key)[0])
    np.testing.assert_allclose(loss, jnp.mean(per_example["bpd"]), rtol=1e-5)
    parts = sum(per_example[f"bpd_{p}"] for p in ("diffusion", "prior", "reconstruction"))
    np.testing.assert_allclose(parts, per_example["bpd"], rtol=1e-5)
    assert float(metrics["gamma_0"]) == pytest.approx(-7.8) and metrics["gamma_1"] > 4.9  # digits
    discrete = _method(config, data, timesteps=10).loss(params, batch, key, None)[0]
    assert np.isfinite(float(discrete)) and abs(float(discrete) - float(loss)) > 1e-4


@pytest.mark.slow  # compiles the U-Net's loss, gradient or sampler
def test_variance_minimising_update_changes_only_the_schedules_shape_gradient(setup):
    """The score network and the endpoints get the bound's gradient either way; the shape
    network's gradient is that of the squared diffusion loss when the option is on."""
    config, data, _, batch, params = setup
    key = jax.random.key(3)
    methods = {on: _method(config, data, variance_minimising=on) for on in (True, False)}
    grads = {
        on: jax.jit(jax.grad(lambda p, m=m: m.loss(p, batch, key, None)[0]))(params)
        for on, m in methods.items()
    }
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
    jax.tree.map(close, grads[True]["score"], grads[False]["score"])
    sched = {on: grads[on]["schedule"]["params"] for on in grads}
    for name in ("gamma_0", "width"):
        close(sched[True][name], sched[False][name])
    shape = {on: np.asarray(sched[on]["l2"]["kernel"]) for on in grads}
    assert np.abs(shape[True] - shape[False]).max() > 1e-3 * np.abs(shape[False]).max()


@pytest.mark.slow  # compiles the U-Net's loss, gradient or sampler
def test_dropout_acts_in_training_only(setup):
    config, data, method, batch, params = setup
    dropped = config.copy_and_resolve_references()
    dropped.model.dropout = 0.5
    other = method_of(dropped, data.info)
    key = jax.random.key(4)
    assert (
        abs(
            float(
                other.loss(params, batch, key, None)[0] - method.loss(params, batch, key, None)[0]
            )
        )
        > 1e-3
    )
    np.testing.assert_array_equal(
        other.eval_metrics(params, batch, key)["bpd"],
        method.eval_metrics(params, batch, key)["bpd"],
    )


@pytest.mark.slow
def test_report_gives_the_mean_of_its_draws_and_their_standard_error(setup):
    from genjax.methods.vdm import bound_draws, model_of, read_config

    config, data, method, _, params = setup
    batches = list(eval_batches(data.test, 64, data.transform))
    scalars, images = method.report(params, batches, jax.random.key(5))
    assert scalars["bpd_examples"] == 16.0
    assert images["chain"].shape == (4, 10, 8, 8, 1)
    # The same draws by hand: K = 4 per example, the first 16 test digits of the batch.
    m = model_of(read_config(config), data.info)
    x = jnp.asarray(batches[0][0]["image"])
    key = jax.random.fold_in(jax.random.split(jax.random.key(5))[0], 0)
    draws = np.asarray(bound_draws(m, 4, params, x, None, key), np.float64)[:, :16]
    to_bits = 1.0 / (64 * np.log(2.0))
    np.testing.assert_allclose(
        scalars["test_bits_per_dim_unconditional"], draws.mean() * to_bits, rtol=1e-5
    )
    se = np.sqrt(draws.var(axis=0, ddof=1).sum() / 4) / 16 * to_bits
    np.testing.assert_allclose(scalars["test_bits_per_dim_unconditional_se"], se, rtol=1e-5)
    assert 0 < se < scalars["test_bits_per_dim_unconditional"]
    assert read_config(config).bound.bpd_samples == 4


@pytest.mark.slow
def test_resume_is_bitwise_exact_and_a_run_writes_bits_per_dim_and_chain(tmp_path):
    summary = assert_resume_is_bitwise_exact(tiny_vdm_config, tmp_path, first=10, total=20)
    name = "test_bits_per_dim_unconditional"
    bpd, se = summary[name], summary[f"{name}_se"]
    assert np.isfinite(bpd) and 0 < se < bpd
    assert "test_bits_per_dim_conditional" not in summary  # an unconditional model
    for name in ("samples", "chain"):
        assert (tmp_path / "straight" / f"{name}.png").exists()


@pytest.mark.slow  # compiles the U-Net's loss, gradient or sampler
def test_conditional_model_samples_its_labels_guided_and_reports_both_bounds(setup):
    """Samples on the data's levels; guidance at scale s is ε̂_u + s (ε̂_c − ε̂_u) (one call on
    the doubled batch), 0 the unconditional and 1 the conditional model; the report gives the
    bound with the null label and with the true labels."""
    from genjax.methods.vdm import eps_model, guided_eps, model_of, read_config

    config = tiny_vdm_config(conditional=True)
    data = data_of(config)
    method = method_of(config, data.info)
    assert method.conditional
    batch = setup[3]
    params = jax.jit(method.init)(jax.random.key(0), batch)
    leaves, tree = jax.tree.flatten(params["score"])  # the last layer starts at zero: perturb
    keys = jax.random.split(jax.random.key(7), len(leaves))
    noisy = [p + 0.1 * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys, strict=True)]
    params = {**params, "score": jax.tree.unflatten(tree, noisy)}
    loss, _ = method.loss(params, batch, jax.random.key(1), None)
    assert np.isfinite(float(loss))
    images = method.sample(params, jax.random.key(2), 3, jnp.asarray([1, 2, 3]))
    assert images.shape == (3, 8, 8, 1)
    levels = np.unique(np.round(np.asarray(images) * 16, 4))
    assert set(levels) <= set(np.arange(17.0))  # samples lie on the data's 17 levels
    m = model_of(read_config(config), data.info)
    z, y = batch["image"][:4], batch["label"][:4]
    gamma = jnp.linspace(-5.0, 3.0, 4)
    eps_of = jax.jit(lambda labels: eps_model(m, params["score"], z, gamma, labels))
    cond, uncond = eps_of(y), eps_of(jnp.full_like(y, 10))
    assert float(jnp.abs(cond - uncond).max()) > 1e-3  # the labels matter
    for scale, want in ((0.0, uncond), (1.0, cond), (2.5, uncond + 2.5 * (cond - uncond))):
        got = jax.jit(guided_eps(m, params, y, scale))(z, gamma)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    batches = list(eval_batches(data.test, 64, data.transform))
    scalars, _ = method.report(params, batches, jax.random.key(5))
    for kind in ("conditional", "unconditional"):
        name = f"test_bits_per_dim_{kind}"
        assert np.isfinite(scalars[name]) and 0 < scalars[f"{name}_se"] < scalars[name]
    assert scalars["test_bits_per_dim_conditional"] != scalars["test_bits_per_dim_unconditional"]


def test_bad_inputs_are_one_line_errors():
    gray = DataInfo((8, 8, 1), 10, False, "symmetric", 16)
    for field, value, match in (
        ("levels", 256, "vdm.levels=256 does not match the data's 17 levels"),
        ("positive", "identity", "would not keep the learned schedule monotone"),
        ("gamma_min", 6.0, "need vdm.gamma_min < vdm.gamma_max"),
        ("schedule", "cosine", "valid: fixed, scalar, learned"),
        ("sampler", "euler", "valid: ancestral, ddim"),
        ("label_dropout", 1.0, r"in \[0, 1\)"),
    ):
        bad = tiny_vdm_config()
        bad.vdm[field] = value
        with pytest.raises(ValueError, match=match) as err:
            method_of(bad, gray)
        assert "\n" not in str(err.value)
    bad = tiny_vdm_config()
    bad.model.dropout = 1.0
    with pytest.raises(ValueError, match=r"model.dropout must be in \[0, 1\)"):
        method_of(bad, gray)
    bad = tiny_vdm_config()
    bad.eval.bpd_samples = 1
    with pytest.raises(ValueError, match="eval.bpd_samples"):
        method_of(bad, gray)
    with pytest.raises(ValueError, match="data.variant='gray'"):
        method_of(tiny_vdm_config(), DataInfo((8, 8, 1), 10, True))
    with pytest.raises(ValueError, match="dataset"):
        vdm_config.get_config("dataset=celeb_b")


@pytest.mark.slow  # traces the full-size U-Net of every dataset config
@pytest.mark.parametrize("dataset", vdm_config.DATASETS)
def test_config_network_fits_each_dataset(dataset):
    from genjax.data import get_spec
    from genjax.methods.vdm import model_of, read_config

    config = vdm_config.get_config(f"dataset={dataset}")
    spec = get_spec(dataset)
    info = DataInfo(spec.output_shape, spec.num_classes, False, "symmetric", spec.levels)
    m = model_of(read_config(config), info)
    x = jax.ShapeDtypeStruct((2, *info.image_shape), jnp.float32)
    t = jax.ShapeDtypeStruct((2,), jnp.float32)
    out = jax.eval_shape(lambda x, t: m.net.apply(m.net.init(jax.random.key(0), x, t), x, t), x, t)
    assert out.shape == x.shape
    assert m.values.shape == (spec.levels + 1,)  # the decoder's levels are the data's own
