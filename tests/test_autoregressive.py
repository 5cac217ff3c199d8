"""The fully observed family: the autoregressive property by the Jacobian, normalisation and
sampling against enumeration, the compiled sampler against a pixel-by-pixel loop, the
likelihoods against NumPy, and one-line errors for models that do not fit their data."""

import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.data import DataInfo
from genjax.losses.autoregressive import (
    autoregressive_log_prob,
    autoregressive_nll_loss,
    independent_categorical_log_prob,
    pixel_log_probs,
)
from genjax.methods import autoregressive as AR
from genjax.models import pixelcnn as P

SMALL = dict(units=12, hidden=(24,), features=8, head=8, layers=3, first_kernel=3, kernel=3)
CASES = {  # name: (kind, fields)
    "fvsbn": ("fvsbn", {}),
    "fvsbn_random_order": ("fvsbn", {"order": "random", "order_seed": 3}),
    "nade": ("nade", {"order": "random", "order_seed": 1}),
    "made": ("made", {}),
    "made_k3": (
        "made",
        {"num_masks": 3, "order_agnostic": True, "direct": True, "hidden": (24, 24)},
    ),
    "pixelcnn_gated": ("pixelcnn", {}),
    "pixelcnn_masked": ("pixelcnn", {"gated": False}),
}


def _info(shape=(4, 4, 1), levels: int = 1, classes: int = 0) -> DataInfo:
    return DataInfo(shape, classes, levels == 1, "unit", levels)


def _net(name: str, info: DataInfo, **more):
    kind, fields = CASES[name]
    likelihood = "bernoulli" if info.binary else "categorical"
    cfg = AR.AutoregressiveModel(likelihood=likelihood, **{**SMALL, **fields, **more})
    net = AR.build_net(kind, cfg, info)
    levels = jnp.zeros((2, info.num_pixels), jnp.int32)
    labels = jnp.zeros((2,), jnp.int32)
    params = AR.logits_init(net, jax.random.key(0), levels, labels)
    # Perturb every parameter: zero-initialised weights (FVSBN's, MADE's direct ones) would
    # hide a wrong connection from the Jacobian.
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    noisy = [p + 0.3 * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys, strict=True)]
    return net, jax.tree.unflatten(tree, noisy)


def _jacobian(net, params, mask_index: int = 0) -> np.ndarray:
    """|d logits_i / d x_j| summed over levels and 4 random x (one x can switch every ReLU of
    an output off): [D (output i), D (input j)]."""
    d = net.info.num_pixels

    def fn(x):
        levels_scale = 1.0 if net.info.binary else float(net.info.levels)
        # logits_of takes levels; feed continuous values through the same scaling
        return AR.logits_of(net, params, (x * levels_scale)[None], None, mask_index)[0]

    xs = jax.random.uniform(jax.random.key(2), (4, d))
    jac = np.abs(np.asarray(jax.jit(jax.vmap(jax.jacfwd(fn)))(xs))).sum(axis=0)
    return jac.sum(axis=1) if jac.ndim == 3 else jac  # [D, (L,) D] -> [D, D]


@pytest.mark.parametrize("levels", [1, 3])
@pytest.mark.parametrize("name", list(CASES))
def test_each_conditional_reads_only_the_pixels_before_it(name, levels):
    """d logit_i / d x_j = 0 for every j at or after i in the order, for each of the K masks
    (MADE) and both stacks (PixelCNN); and the previous pixel in the order is read."""
    net, params = _net(name, _info(levels=levels))
    for k, order in enumerate(net.orders):
        jac = _jacobian(net, params, k)
        rank = np.argsort(order)
        later_or_self = rank[None, :] >= rank[:, None]  # [i, j]: j not before i
        assert jac[later_or_self].max() == 0.0, (name, k)
        first_reads = [jac[order[t], order[t - 1]] for t in range(1, len(order))]
        assert np.mean(np.asarray(first_reads) > 0) > 0.5, (name, k)  # not a constant model


@pytest.mark.slow  # compiles several PixelCNNs / draws 200,000 samples
def test_the_gated_pixelcnn_has_no_blind_spot_and_the_masked_one_has():
    """With enough layers every pixel's conditional reads every earlier pixel (the gated
    stacks); the original masked convolutions miss pixels above and to the right."""
    info = _info((6, 6, 1))
    gated, params = _net("pixelcnn_gated", info, layers=6)
    earlier = np.tril(np.ones((36, 36), bool), k=-1)  # [i, j]: j before i in raster order
    assert (_jacobian(gated, params)[earlier] > 0).all()
    masked, params = _net("pixelcnn_masked", info, layers=6)
    assert not (_jacobian(masked, params)[earlier] > 0).all()


@pytest.mark.slow  # compiles several PixelCNNs / draws 200,000 samples
@pytest.mark.parametrize("layers,kernel", [(4, 3), (5, 3), (2, 5), (3, 5)])
def test_pixelcnn_coverage_is_the_jacobians(layers, kernel):
    """``coverage`` (the analytic reach) says True exactly when every earlier pixel is read."""
    info = _info((6, 6, 1))
    cfg = dict(layers=layers, kernel=kernel, first_kernel=3)
    if P.coverage(6, 6, 3, kernel, layers):
        net, params = _net("pixelcnn_gated", info, **cfg)
        earlier = np.tril(np.ones((36, 36), bool), k=-1)
        assert (_jacobian(net, params)[earlier] > 0).all()
    else:
        with pytest.raises(ValueError, match="cannot see every earlier pixel of a 6x6 image"):
            _net("pixelcnn_gated", info, **cfg)
        cover = P.GatedPixelCNN(8, layers, 3, kernel, 1, 8)
        x = jax.random.uniform(jax.random.key(0), (1, 6, 6, 1))
        params = cover.init(jax.random.key(1), x)
        jac = np.abs(np.asarray(jax.jacfwd(lambda v: cover.apply(params, v)[0])(x)))
        jac = jac.reshape(36, 36)
        assert not (jac[np.tril(np.ones((36, 36), bool), k=-1)] > 0).all()


def _all_images(d: int, values: int) -> np.ndarray:
    return np.asarray(list(itertools.product(range(values), repeat=d)), np.int32)


@pytest.mark.parametrize(
    "shape,levels", [((3, 3, 1), 1), ((2, 2, 1), 3)], ids=["3x3_binary", "2x2_4_levels"]
)
@pytest.mark.parametrize("name", list(CASES))
def test_probabilities_of_every_image_sum_to_one(name, shape, levels):
    """512 binary 3x3 images, or 256 2x2 images of 4 levels: sum_x p(x) = 1 (1e-5)."""
    info = _info(shape, levels)
    net, params = _net(name, info, layers=2)
    images = jnp.asarray(_all_images(info.num_pixels, levels + 1))
    log_p = jax.jit(lambda p, x: AR.log_prob(net, p, x))(params, images)
    total = float(jnp.sum(jnp.exp(log_p.astype(jnp.float32))))
    assert abs(total - 1.0) < 1e-5, total


@pytest.mark.slow  # compiles several PixelCNNs / draws 200,000 samples
@pytest.mark.parametrize("name", ["made_k3", "pixelcnn_gated", "nade"])
def test_ancestral_samples_follow_the_enumerated_distribution(name):
    """200,000 draws of a 2x2 binary model: total variation from
    the enumerated p(x) below 0.02 (MADE: the K masks' average, sample i from mask i mod K)."""
    info = _info((2, 2, 1))
    net, params = _net(name, info, layers=2)
    images = _all_images(info.num_pixels, 2)
    p = np.exp(np.asarray(AR.log_prob(net, params, jnp.asarray(images)), np.float64))
    num = 200_000
    draws = AR.draw(net, params, jax.random.key(5), num, None, False, False)
    weights = 2 ** np.arange(info.num_pixels)[::-1]  # image -> its index in _all_images
    codes = np.asarray(draws).reshape(num, -1).astype(np.int64) @ weights
    freq = np.bincount(codes, minlength=len(p)) / num
    tv = 0.5 * np.abs(freq[images @ weights] - p).sum()
    assert tv < 0.02, tv


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("made_k3", marks=pytest.mark.slow),
        pytest.param("pixelcnn_gated", marks=pytest.mark.slow),
        "fvsbn_random_order",
    ],
)
def test_the_compiled_sampler_is_the_pixel_by_pixel_loop(name):
    """One fori_loop over the pixels draws exactly what a Python loop does with the same keys
    (each mask's order for MADE)."""
    info = _info((3, 3, 1), levels=3)
    net, params = _net(name, info, layers=2)
    key = jax.random.key(7)
    for k in range(len(net.orders)):
        compiled = jax.jit(functools.partial(AR._draw_one, net), static_argnums=(2,))
        fast, _ = compiled(params, key, 4, None, k)
        x = np.zeros((4, info.num_pixels), np.int32)
        for t, pixel in enumerate(net.orders[k]):
            logits = AR.logits_of(net, params, jnp.asarray(x), None, k)[:, pixel]
            x[:, pixel] = np.asarray(jax.random.categorical(jax.random.fold_in(key, t), logits))
        np.testing.assert_array_equal(np.asarray(fast), x)


def test_likelihoods_match_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 5, 4)).astype(np.float32)
    x = rng.integers(0, 4, (3, 5))
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    want = np.take_along_axis(log_softmax, x[..., None], -1)[..., 0]
    np.testing.assert_allclose(pixel_log_probs(jnp.asarray(logits), jnp.asarray(x)), want, 1e-5)
    np.testing.assert_allclose(
        autoregressive_log_prob(jnp.asarray(logits), jnp.asarray(x)), want.sum(-1), 1e-5
    )
    loss, parts = autoregressive_nll_loss(jnp.asarray(logits), jnp.asarray(x))
    np.testing.assert_allclose(loss, -want.sum(-1).mean(), rtol=1e-5)
    np.testing.assert_allclose(parts["bits_per_dim"], -want.sum(-1) / (5 * np.log(2)), 1e-5)
    z, b = rng.normal(size=(3, 5)).astype(np.float32), rng.integers(0, 2, (3, 5))
    p = 1 / (1 + np.exp(-z))
    want = np.where(b == 1, np.log(p), np.log(1 - p))
    np.testing.assert_allclose(pixel_log_probs(jnp.asarray(z), jnp.asarray(b)), want, 1e-5)
    counts = rng.integers(0, 9, (5, 4)).astype(np.float32)
    probs = (counts + 1) / (counts.sum(-1, keepdims=True) + 4)
    want = np.log(probs[np.arange(5), x]).sum(-1)
    got = independent_categorical_log_prob(jnp.asarray(counts), jnp.asarray(x))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_models_that_do_not_fit_their_data_are_refused_in_one_line():
    gray, binary = _info(levels=16), _info()
    cases = [
        ("made", dict(likelihood="categorical"), binary, "set model.likelihood='bernoulli'"),
        ("nade", dict(likelihood="bernoulli"), gray, "set model.likelihood='categorical'"),
        ("pixelcnn", dict(likelihood="bernoulli", layers=1), _info((8, 8, 1)), "raise model."),
        ("made", dict(conditional=True), binary, "needs labelled data"),
        ("fvsbn", {}, DataInfo((4, 4, 3), 0, False, "unit", 255), "colour images only as"),
        ("made", dict(likelihood="logistic_mixture"), gray, "use model=pixelcnn"),
        ("pixelcnn", dict(likelihood="logistic_mixture"), binary, "for gray or colour data"),
    ]
    for kind, fields, info, message in cases:
        cfg = AR.AutoregressiveModel(**{**dict(first_kernel=3), **fields})
        with pytest.raises(ValueError, match=message) as err:
            AR.build_net(kind, cfg, info)
        assert "\n" not in str(err.value)
    for bad, message in [
        (dict(num_masks=0), "model.num_masks must be >= 1"),
        (dict(kernel=4), "model.kernel must be an odd kernel size"),
        (dict(order="spiral"), "unknown model.order 'spiral'"),
    ]:
        with pytest.raises(ValueError, match=message):
            AR.AutoregressiveModel(**bad)


def test_bits_per_dim_is_nats_over_pixels_and_log_two():
    info = _info((2, 2, 1), levels=3)
    net, params = _net("made", info)
    batch = {"image": jnp.asarray(_all_images(4, 4)[:5].reshape(5, 2, 2, 1) / 3.0)}
    out = AR.eval_metrics(net, params, batch, None)
    np.testing.assert_allclose(out["bits_per_dim"], out["nll"] / (4 * math.log(2)), rtol=1e-6)


@pytest.mark.slow  # compiles a PixelCNN twice
def test_pixelcnn_dropout_acts_in_training_only():
    """The training loss changes with the dropout key; evaluation ignores the key."""
    info = _info((4, 4, 1))
    cfg = AR.AutoregressiveModel(**{**SMALL, "dropout": 0.5})
    method = AR.build("pixelcnn", cfg, info)
    x = (jax.random.uniform(jax.random.key(0), (6, 4, 4, 1)) > 0.5).astype(jnp.float32)
    batch = {"image": x}
    params = method.init(jax.random.key(1), batch)
    losses = [float(method.loss(params, batch, jax.random.key(k), None)[0]) for k in (2, 3)]
    assert losses[0] != losses[1]
    evals = [method.eval_metrics(params, batch, jax.random.key(k))["nll"] for k in (2, 3)]
    np.testing.assert_array_equal(evals[0], evals[1])
    with pytest.raises(ValueError, match=r"model.dropout must be in \[0, 1\)"):
        AR.AutoregressiveModel(dropout=1.0)


def _dlm_params(rng, shape, channels: int, k: int = 3):
    return (
        jnp.asarray(rng.normal(size=(*shape, k)), jnp.float32),
        jnp.asarray(rng.uniform(-0.8, 0.8, size=(*shape, channels, k)), jnp.float32),
        jnp.asarray(rng.uniform(-3.0, -1.0, size=(*shape, channels, k)), jnp.float32),
        jnp.asarray(rng.normal(size=(*shape, 3, k)), jnp.float32) if channels == 3 else None,
    )


@pytest.mark.parametrize("channels,bins", [(1, 256), (3, 8)])
def test_discretized_logistic_mixture_sums_to_one_over_every_pixel_value(channels, bins):
    """All 256 gray levels, or all 8^3 colours of 8 levels: the probabilities sum to 1."""
    from genjax.losses import discretized_logistic_mixture_log_prob

    levels = np.linspace(-1.0, 1.0, bins, dtype=np.float32)
    pixels = np.asarray(list(itertools.product(levels, repeat=channels)), np.float32)
    w, m, s, c = _dlm_params(np.random.default_rng(0), (), channels)
    bcast = lambda a: None if a is None else jnp.broadcast_to(a, (len(pixels), *a.shape))
    log_p = discretized_logistic_mixture_log_prob(
        jnp.asarray(pixels), bcast(w), bcast(m), bcast(s), bcast(c), bins
    )
    assert abs(float(jnp.sum(jnp.exp(log_p))) - 1.0) < 1e-5


def test_discretized_logistic_mixture_matches_numpy():
    """Against the mixture written out in float64: logistic CDF differences over each bin,
    the tails at the edge levels, green's mean moved by red, blue's by red and green."""
    from genjax.losses import discretized_logistic_mixture_log_prob

    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (5, 3)) / 127.5 - 1.0
    x[0, 0], x[1, 2] = -1.0, 1.0  # edge levels
    w, m, s, c = _dlm_params(rng, (5,), 3)
    got = discretized_logistic_mixture_log_prob(jnp.asarray(x, jnp.float32), w, m, s, c)
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))
    w, m, s, c = (np.asarray(a, np.float64) for a in (w, m, s, c))
    c = np.tanh(c)
    want = np.zeros(5)
    for i in range(5):
        probs = np.exp(w[i] - w[i].max()) / np.exp(w[i] - w[i].max()).sum()
        total = 0.0
        for k in range(3):
            mu = [
                m[i, 0, k],
                m[i, 1, k] + c[i, 0, k] * x[i, 0],
                m[i, 2, k] + c[i, 1, k] * x[i, 0] + c[i, 2, k] * x[i, 1],
            ]
            p = probs[k]
            for ch in range(3):
                inv, v = np.exp(-s[i, ch, k]), x[i, ch]
                upper = 1.0 if v > 0.999 else sig(inv * (v + 1 / 255 - mu[ch]))
                lower = 0.0 if v < -0.999 else sig(inv * (v - 1 / 255 - mu[ch]))
                p *= upper - lower
            total += p
        want[i] = np.log(total)
    np.testing.assert_allclose(got, want, rtol=1e-4)


def _mixture_net(shape, levels: int = 3):
    """A small gated PixelCNN with a 2-component mixture of logistics, perturbed."""
    info = DataInfo(shape, 0, False, "unit", levels)
    cfg = AR.AutoregressiveModel(**{**SMALL, "likelihood": "logistic_mixture", "mixtures": 2})
    net = AR.build_net("pixelcnn", cfg, info)
    params = AR.logits_init(net, jax.random.key(0), jnp.zeros((2, info.num_pixels), int), None)
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    noisy = [p + 0.3 * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys, strict=True)]
    return net, jax.tree.unflatten(tree, noisy)


@pytest.mark.parametrize("channels", [3, 1])
def test_the_colour_pixelcnn_sums_to_one_over_every_image(channels):
    """All 4^6 colour 1x2 images (or 4^2 gray ones) of 4 levels: the mixture-of-logistics
    PixelCNN's probabilities sum to 1 (1e-5): across pixels by the network's order, within a
    pixel by the channel coupling."""
    net, params = _mixture_net((1, 2, channels))
    images = jnp.asarray(_all_images(2 * channels, 4))
    total = float(jnp.sum(jnp.exp(jax.jit(lambda p, x: AR.log_prob(net, p, x))(params, images))))
    assert abs(total - 1.0) < 1e-5, total


def test_the_colour_pixelcnn_reads_only_earlier_pixels_every_channel():
    """The mixture's parameters at pixel p depend on every channel of the pixels before p and on
    nothing at or after p."""
    net, params = _mixture_net((4, 4, 3), levels=255)

    def fn(x):
        return AR.logits_of(net, params, (x * 255.0)[None])[0]  # [16 pixels, P]

    xs = jax.random.uniform(jax.random.key(2), (4, 48))
    jac = np.abs(np.asarray(jax.jit(jax.vmap(jax.jacfwd(fn)))(xs))).sum(axis=(0, 2))  # [16, 48]
    position = np.arange(48) // 3  # the pixel of each input channel
    assert jac[position[None, :] >= np.arange(16)[:, None]].max() == 0.0
    earlier = position[None, :] < np.arange(16)[:, None]
    assert (jac[earlier] > 0).all()  # every channel of every earlier pixel is read


@pytest.mark.slow  # 200,000 draws
def test_colour_samples_follow_the_mixture():
    """200,000 draws of one colour pixel of 4 levels (its mixture of logistics, the couplings
    included): total variation from the enumerated 64 probabilities below 0.02."""
    net, params = _mixture_net((1, 1, 3))
    images = _all_images(3, 4)
    p = np.exp(np.asarray(AR.log_prob(net, params, jnp.asarray(images)), np.float64))
    num = 200_000
    draws = AR.draw(net, params, jax.random.key(5), num, None, False, False)
    codes = np.round(np.asarray(draws).reshape(num, 3) * 3).astype(np.int64) @ np.array([16, 4, 1])
    freq = np.bincount(codes, minlength=64) / num
    tv = 0.5 * np.abs(freq[images @ np.array([16, 4, 1])] - p).sum()
    assert tv < 0.02, tv
