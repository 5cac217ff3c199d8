"""Outlier detection: the metrics against scikit-learn, the scores on cases with known answers,
the protocols' inputs, and their one-line errors."""

import itertools
import math

import jax
import numpy as np
import pytest
from scipy.stats import norm
from sklearn import metrics as skm

from genjax.applications import corruptions as C
from genjax.applications import detection as D
from genjax.applications import outliers as O
from genjax.data.info import DataInfo
from tests.helpers import (
    data_of,
    method_of,
    tiny_autoregressive_config,
    tiny_config,
    tiny_dbn_config,
    tiny_gan_config,
    tiny_helmholtz_config,
    tiny_rbm_config,
)


def _cases():
    rng = np.random.default_rng(0)
    for trial in range(60):
        n, m = rng.integers(1, 50, 2)
        if trial % 2:  # few distinct values: many ties, across and within the two sets
            yield rng.integers(0, 4, n).astype(float), rng.integers(0, 5, m).astype(float)
        else:
            yield rng.normal(size=n), rng.normal(0.7, size=m)


def test_detection_metrics_equal_scikit_learns_on_random_and_tied_scores():
    for inliers, outliers in _cases():
        labels = np.r_[np.zeros(len(inliers)), np.ones(len(outliers))]
        scores = np.r_[inliers, outliers]
        np.testing.assert_allclose(D.auroc(inliers, outliers), skm.roc_auc_score(labels, scores))
        np.testing.assert_allclose(
            D.auprc(inliers, outliers), skm.average_precision_score(labels, scores)
        )
        fpr, tpr, thresholds = skm.roc_curve(labels, scores, drop_intermediate=False)
        ours = D.roc_curve(inliers, outliers)
        np.testing.assert_allclose(ours[0], fpr)
        np.testing.assert_allclose(ours[1], tpr)
        np.testing.assert_allclose(ours[2][1:], thresholds[1:])
        assert D.fpr_at_tpr(inliers, outliers) == fpr[np.argmax(tpr >= 0.95)]


def test_auroc_of_a_shifted_gaussian_is_its_closed_form():
    """Score x, inliers N(0, 1), outliers N(μ, 1): AUROC = Φ(μ / √2)."""
    rng = np.random.default_rng(1)
    for mu in (0.0, 0.5, 2.0):
        inliers, outliers = rng.normal(size=20_000), rng.normal(mu, size=20_000)
        assert abs(D.auroc(inliers, outliers) - norm.cdf(mu / math.sqrt(2))) < 0.006


def test_metrics_refuse_empty_sets_nans_and_bad_rates_in_one_line():
    with pytest.raises(ValueError, match="needs inliers and outliers; got 0 inlier"):
        D.auroc([], [1.0])
    with pytest.raises(ValueError, match="must be finite"):
        D.auprc([0.0, np.nan], [1.0])
    with pytest.raises(ValueError, match=r"tpr is a rate in \(0, 1\]"):
        D.fpr_at_tpr([0.0], [1.0], tpr=0.0)


def test_ratio_and_typicality_of_gaussians_are_their_closed_forms():
    """Model N(0, I_d), background N(0, 4 I_d): -LLR = -|x|²(1 - 1/4)/2 + d log 2; the
    typicality statistic against the exact entropy d/2 log(2πe)."""
    d, rng = 5, np.random.default_rng(2)
    x = rng.normal(size=(100, d)) * 1.5
    nll = 0.5 * (x**2).sum(1) + 0.5 * d * np.log(2 * np.pi)
    background = 0.5 * (x**2).sum(1) / 4 + 0.5 * d * np.log(2 * np.pi * 4)
    expected = 0.5 * (x**2).sum(1) * 0.75 - d * np.log(2.0)
    np.testing.assert_allclose(O.likelihood_ratio(nll, background), expected, rtol=1e-12)
    entropy = 0.5 * d * np.log(2 * np.pi * np.e)
    reference = np.full(7, entropy)
    np.testing.assert_allclose(O.typicality(nll, reference), np.abs(nll - entropy))
    grouped = O.typicality(nll, reference, group=4)
    np.testing.assert_allclose(grouped, np.abs(nll.reshape(25, 4).mean(1) - entropy))
    # The typical set's edge: a sample of N(0, I_d) scores near 0 on average for large d.
    big = rng.normal(size=(400, 400))
    typical = 0.5 * (big**2).sum(1) + 200 * np.log(2 * np.pi)
    assert O.typicality(typical, [200 * np.log(2 * np.pi * np.e)], group=400)[0] < 1.0
    with pytest.raises(ValueError, match="groups of 3 must divide the 100 inputs"):
        O.typicality(nll, reference, group=3)
    with pytest.raises(ValueError, match="must match in shape"):
        O.likelihood_ratio(nll, background[:5])


def _every_binary_image(info: DataInfo) -> np.ndarray:
    bits = np.array(list(itertools.product([0.0, 1.0], repeat=info.num_pixels)), np.float32)
    return bits.reshape(-1, *info.image_shape)


def _normalising_config(family: str):
    if family == "rbm":
        return tiny_rbm_config(), "nll", 1e-5
    if family == "dbn":  # IS with K = 2000 and the top's exact log Z: unbiased for p(x)
        config = tiny_dbn_config()
        config.model.hidden = (3, 4)
        config.dbn.eval_samples = 2000
        return config, "nll", 0.02
    if family == "helmholtz":  # IS with K = 2000 from the recognition net: unbiased for p(x)
        config = tiny_helmholtz_config()
        config.model.hidden = (3, 2)
        config.eval.update(nll_samples=2000, nll_chunk=500)
        return config, "is_nll", 0.02
    return tiny_autoregressive_config(family), "nll", 1e-5


@pytest.mark.parametrize("family", ["rbm", "fvsbn", "made", "dbn", "helmholtz"])
def test_likelihood_scores_normalise_over_every_2x2_image(family):
    """exp(-score) summed over all 16 binary 2x2 images is 1: exactly for exact -log p(x),
    within 2% for the importance-sampled estimates (their exp is unbiased for p(x))."""
    info = DataInfo((2, 2, 1), 10, True)
    config, name, tolerance = _normalising_config(family)
    method = method_of(config, info)
    images = _every_binary_image(info)
    params = method.init(jax.random.key(0), {"image": images})
    params = jax.tree.map(lambda p: p + 0.3 * jax.random.normal(jax.random.key(1), p.shape), params)
    nll = O.score_arrays(method, params, name, images, jax.random.key(2), batch_size=5)
    np.testing.assert_allclose(np.exp(-nll).sum(), 1.0, rtol=tolerance)
    assert method.scores[name].nats


def test_reconstruction_score_is_the_bernoulli_nll_of_the_decoded_input():
    config = tiny_config("autoencoder")
    method = method_of(config)
    data = data_of(config)
    x = np.asarray(data.transform({"image": data.test["image"][:8]})["image"])
    params = method.init(jax.random.key(0), {"image": x})
    score = O.score_arrays(method, params, "reconstruction", x, jax.random.key(1))
    # The decoder's logits, by the method's own forward pass, then the NLL in NumPy.
    from genjax.data import DataConfig, describe
    from genjax.methods.autoencoder import forward, read_config
    from genjax.models.autoencoder import Autoencoder

    info = describe(DataConfig.read(config.data))
    model = Autoencoder(**read_config(config, sparse=False).network.module_fields(info))
    logits = np.asarray(forward(model, params, x)[1]["logits"], np.float64).reshape(8, -1)
    t = x.reshape(8, -1)
    expected = np.sum(np.logaddexp(0, logits) - t * logits, axis=1)
    np.testing.assert_allclose(score, expected, rtol=1e-5)
    assert not method.scores["reconstruction"].nats


def test_score_arrays_match_one_call_in_any_batch_size_and_order():
    """A deterministic score (MADE's exact NLL) is the same however the inputs are batched
    (the last batch padded) and ordered."""
    config = tiny_autoregressive_config("made")
    data = data_of(config)
    method = method_of(config)
    images = np.asarray(data.transform(data.test)["image"][:50])
    params = method.init(jax.random.key(0), {"image": images})
    whole = np.asarray(method.scores["nll"].fn(params, {"image": images}, jax.random.key(0)))
    for batch_size in (7, 50, 64):
        got = O.score_arrays(
            method, params, "nll", images, jax.random.key(3), batch_size=batch_size
        )
        np.testing.assert_allclose(got, whole, rtol=1e-5)
    order = np.random.default_rng(0).permutation(50)
    shuffled = O.score_arrays(
        method, params, "nll", images[order], jax.random.key(3), batch_size=16
    )
    np.testing.assert_allclose(shuffled, whole[order], rtol=1e-5)


def test_vae_importance_sampled_nll_is_tighter_than_its_elbo():
    """E[IS estimate of -log p(x)] <= -ELBO (Burda et al.): over 50 test digits, K = 20."""
    config = tiny_config()
    data = data_of(config)
    method = method_of(config)
    images = np.asarray(data.transform(data.test)["image"][:50])
    params = method.init(jax.random.key(0), {"image": images})
    is_nll = O.score_arrays(method, params, "is_nll", images, jax.random.key(3), batch_size=64)
    elbo = O.score_arrays(method, params, "elbo", images, jax.random.key(4), batch_size=64)
    assert np.mean(is_nll) < np.mean(elbo)
    assert method.scores["is_nll"].estimator == "IS -log p(x), K = 20"


def test_gan_score_is_minus_its_discriminator_and_not_in_nats():
    config = tiny_gan_config()
    method = method_of(config)
    data = data_of(config)
    batch = data.transform({k: v[:8] for k, v in data.test.items()})
    params = method.init(jax.random.key(0), batch)
    score = method.scores["discriminator"]
    d_real = method.eval_metrics(params, batch, jax.random.key(1))["d_real"]
    np.testing.assert_allclose(score.fn(params, batch, jax.random.key(1)), -d_real, rtol=1e-6)
    assert not score.nats
    assert O.nats_scores(method) == {}
    with pytest.raises(ValueError, match="gives no outlier score 'nll'; its scores: discriminator"):
        O.score_arrays(method, params, "nll", np.asarray(batch["image"]), jax.random.key(0))


def test_flips_are_exact_in_count_and_reproducible_by_seed():
    images = (np.random.default_rng(0).random((20, 8, 8, 1)) < 0.3).astype(np.float32)
    for fraction in (0.05, 0.1, 0.2):
        a = C.flip_pixels(images, fraction, np.random.default_rng([5, 1]))
        b = C.flip_pixels(images, fraction, np.random.default_rng([5, 1]))
        np.testing.assert_array_equal(a, b)
        changed = (a != images).reshape(20, -1).sum(1)
        assert np.all(changed == round(fraction * 64))
    with pytest.raises(ValueError, match=r"flipped fraction is in \[0, 1\]"):
        C.flip_pixels(images, 1.5, np.random.default_rng(0))


def test_noise_stays_on_the_levels_and_in_range():
    info = DataInfo((8, 8, 1), 10, False, "symmetric", 16)
    images = np.random.default_rng(0).integers(0, 17, (30, 8, 8, 1)) / 8.0 - 1.0
    noisy = C.gaussian_noise(images, 0.2, info, np.random.default_rng(1))
    assert noisy.min() >= -1.0 and noisy.max() <= 1.0
    np.testing.assert_allclose((noisy + 1.0) * 8.0, np.round((noisy + 1.0) * 8.0), atol=1e-5)
    assert 0.1 < np.std(noisy - images) < 0.5  # σ = 0.2 of a range of width 2, then rounded


def test_mnist_made_into_digits_counts_lit_pixels_per_4x4_block():
    full = np.zeros((2, 28, 28, 1), np.uint8)
    full[0, 4:24, 4:24] = 255  # a filled square: every block fully lit
    full[1, 4:24, 4:14] = 255  # a 20x10 bar: centred, the middle half of the columns lit
    out = C.mnist_as_digits(full)
    assert out.shape == (2, 8, 8, 1) and out.dtype == np.uint8
    assert np.all(out[0] == 16)
    assert np.all(out[1][:, 2:6] == 16) and np.all(out[1][:, [0, 7]] == 0)
    assert C.mnist_as_digits(np.zeros((1, 28, 28), np.uint8)).sum() == 0
