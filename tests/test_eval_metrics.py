"""Sample-quality metrics against exact answers: closed-form Fréchet distances, a NumPy
double-loop MMD, hand-computable manifolds; invariance to sample order; bounded memory."""

import itertools
import tracemalloc

import numpy as np
import pytest

from genjax.eval.classifier import conditional_accuracy, inception_score
from genjax.eval.features import FeatureSpace
from genjax.eval.fid import frechet_distance, trace_sqrt_product
from genjax.eval.kid import kernel_inception_distance, mmd2_unbiased
from genjax.eval.manifold import knn_sq_radii, precision_recall
from genjax.eval.metrics import FeatureSet, compare, extract
from genjax.eval.stats import GaussianStats, StatsAccumulator, gaussian_stats

ROUTES = ("eigen", "scipy")


def correlated(n: int, d: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = np.random.default_rng(100).normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mix + shift


def test_streaming_stats_match_numpy():
    x = correlated(1003, 7, 0, shift=5.0)
    acc = StatsAccumulator(7)
    for start in range(0, len(x), 100):
        acc.add(x[start : start + 100])
    stats = acc.result()
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.cov, np.cov(x, rowvar=False), rtol=1e-10, atol=1e-12)
    assert stats.count == 1003


@pytest.mark.parametrize("route", ROUTES)
def test_fd_of_a_set_with_itself_is_zero(route):
    stats = gaussian_stats(correlated(500, 32, 1))
    assert abs(frechet_distance(stats, stats, route)) <= 1e-6 * np.trace(stats.cov)


@pytest.mark.parametrize("route", ROUTES)
def test_fd_matches_closed_form_for_non_commuting_gaussians(route):
    # For 2x2 PSD A, B: tr (AB)^½ = sqrt(tr AB + 2 sqrt(det AB)).
    a = GaussianStats(np.array([0.0, 1.0]), np.array([[2.0, 0.8], [0.8, 1.0]]), 100)
    b = GaussianStats(np.array([1.5, -0.5]), np.array([[0.5, -0.3], [-0.3, 3.0]]), 100)
    prod = a.cov @ b.cov
    tr_sqrt = np.sqrt(np.trace(prod) + 2.0 * np.sqrt(np.linalg.det(prod)))
    diff = a.mean - b.mean
    expected = diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2.0 * tr_sqrt
    assert frechet_distance(a, b, route) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("route", ROUTES)
def test_fd_matches_closed_form_for_diagonal_gaussians(route):
    va, vb = np.array([1.0, 4.0, 0.25, 9.0]), np.array([2.0, 1.0, 1.0, 0.5])
    a = GaussianStats(np.zeros(4), np.diag(va), 10)
    b = GaussianStats(np.arange(4.0), np.diag(vb), 10)
    expected = np.sum(np.arange(4.0) ** 2) + np.sum((np.sqrt(va) - np.sqrt(vb)) ** 2)
    assert frechet_distance(a, b, route) == pytest.approx(expected, rel=1e-10)


def test_fd_from_samples_approaches_the_closed_form():
    a = GaussianStats(np.zeros(2), np.array([[2.0, 0.8], [0.8, 1.0]]), 0)
    b = GaussianStats(np.array([1.0, 0.5]), np.array([[0.5, -0.3], [-0.3, 3.0]]), 0)
    rng = np.random.default_rng(2)
    xa = rng.multivariate_normal(a.mean, a.cov, 100_000)
    xb = rng.multivariate_normal(b.mean, b.cov, 100_000)
    exact = frechet_distance(a, b)
    assert frechet_distance(gaussian_stats(xa), gaussian_stats(xb)) == pytest.approx(
        exact, rel=0.02
    )


def test_routes_agree_on_real_and_rank_deficient_covariances():
    full = (gaussian_stats(correlated(400, 16, 3)), gaussian_stats(correlated(400, 16, 4, 0.3)))
    low_rank = (gaussian_stats(correlated(30, 40, 5)), gaussian_stats(correlated(30, 40, 6)))
    for a, b in (full, low_rank):
        eig, sci = (trace_sqrt_product(a.cov, b.cov, r) for r in ROUTES)
        assert eig == pytest.approx(sci, rel=1e-6)


def test_unknown_sqrt_route_is_a_clear_error():
    with pytest.raises(ValueError, match="valid: eigen, scipy"):
        trace_sqrt_product(np.eye(2), np.eye(2), "cholesky")


def mmd2_reference(x, y):
    """Double-loop unbiased MMD² with k(a, b) = (a·b/D + 1)³."""
    k = lambda a, b: (a @ b / len(a) + 1.0) ** 3
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    xy = sum(k(a, b) for a in x for b in y) / (m * n)
    return xx + yy - 2 * xy


def test_mmd2_matches_double_loop_reference():
    x, y = correlated(9, 3, 7), correlated(6, 3, 8, 0.5)
    assert mmd2_unbiased(x, y) == pytest.approx(mmd2_reference(x, y), rel=1e-12)


def test_kid_is_zero_within_its_error_for_one_distribution_and_positive_when_shifted():
    same = kernel_inception_distance(correlated(2000, 16, 10), correlated(2000, 16, 11))
    assert abs(same.kid) < 3 * same.se
    shifted = kernel_inception_distance(correlated(2000, 16, 10), correlated(2000, 16, 11, 0.3))
    assert shifted.kid > 3 * shifted.se > 0
    assert same.num_subsets == 10 and same.subset_sizes == (200, 200)


def test_kid_mean_over_many_draws_is_unbiased():
    values = [
        kernel_inception_distance(correlated(200, 4, 2 * s), correlated(200, 4, 2 * s + 1), 2).kid
        for s in range(40)
    ]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))


def test_kid_needs_enough_rows():
    with pytest.raises(ValueError, match="use fewer subsets or more samples"):
        kernel_inception_distance(np.zeros((5, 2)), np.zeros((50, 2)), num_subsets=10)


def test_knn_radii_in_chunks_match_brute_force():
    x = correlated(53, 3, 12)
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    expected = np.sort(d2, axis=1)[:, 3]  # column 0 is the point itself
    np.testing.assert_allclose(knn_sq_radii(x, 3, row_chunk=7, col_chunk=5), expected, rtol=1e-9)


def test_precision_recall_on_a_hand_computed_case():
    reference = np.array([[0.0], [1.0], [2.0], [3.0]])  # k=1 radii: 1 each
    samples = np.array([[0.5], [10.0]])  # 0.5 is inside, 10 is not; radii 9.5 cover all
    pr = precision_recall(samples, reference, k=1)
    assert (pr.precision, pr.recall) == (0.5, 1.0)


def test_precision_recall_are_one_for_identical_sets_and_fall_when_shifted():
    x = correlated(600, 8, 13)
    same = precision_recall(x, x.copy())
    assert (same.precision, same.recall) == (1.0, 1.0)
    shifted = precision_recall(x + 1.5, x)
    assert shifted.precision < 0.5 and shifted.recall < 0.5


def test_inception_score_and_accuracy_exact_values():
    assert inception_score(np.full((12, 4), 0.25)) == pytest.approx(1.0)
    assert inception_score(np.eye(4)[np.arange(12) % 4]) == pytest.approx(4.0, rel=1e-9)
    probs = np.eye(3)[[0, 1, 2, 2]]
    assert conditional_accuracy(probs, np.array([0, 1, 1, 2])) == 0.75


def test_every_metric_is_invariant_to_sample_order():
    rng = np.random.default_rng(14)
    probs = rng.dirichlet(np.ones(5), 400)
    samples = FeatureSet(correlated(400, 6, 15, 0.2), probs, rng.integers(0, 5, 400))
    reference = FeatureSet(correlated(300, 6, 16), None, None)
    p, q = rng.permutation(400), rng.permutation(300)
    shuffled = FeatureSet(samples.features[p], samples.probs[p], samples.labels[p])
    a = compare(samples, reference)
    b = compare(shuffled, FeatureSet(reference.features[q]))
    assert a.keys() == b.keys() == {
        "fd", "kid", "kid_se", "precision", "recall", "inception_score", "class_accuracy"
    }  # fmt: skip
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12), key


def test_fifty_thousand_samples_stream_in_bounded_memory():
    """50k 28x28 images (157 MB as float32) go through extract, FD and KID in 1k chunks."""
    w = np.random.default_rng(0).normal(size=(784, 32)).astype(np.float32) / 28
    space = FeatureSpace("projection", lambda im: np.maximum(im.reshape(len(im), -1) @ w, 0))

    def chunks(n, seed):
        rng = np.random.default_rng(seed)
        for _ in range(n // 1000):
            yield rng.random((1000, 28, 28, 1), dtype=np.float32), None

    tracemalloc.start()
    try:
        samples, reference = extract(space, chunks(50_000, 1)), extract(space, chunks(5_000, 2))
        fd = frechet_distance(gaussian_stats(samples.features), gaussian_stats(reference.features))
        kid = kernel_inception_distance(samples.features, reference.features)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(samples) == 50_000 and np.isfinite(fd) and abs(kid.kid) < 4 * kid.se
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"


def test_precision_recall_memory_does_not_grow_with_the_distance_matrix():
    x = correlated(6000, 8, 17).astype(np.float32)
    tracemalloc.start()
    try:
        precision_recall(x, x[:3000] + 0.01)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60e6, f"peak {peak / 1e6:.0f} MB; the full 6000x6000 float64 matrix is 288 MB"
