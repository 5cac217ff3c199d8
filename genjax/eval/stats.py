"""Streaming feature statistics: mean and covariance accumulated chunk by chunk in float64."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class GaussianStats:
    """Mean and (unbiased, ddof=1) covariance of a feature set, and its size."""

    mean: np.ndarray
    cov: np.ndarray
    count: int


class StatsAccumulator:
    """Sums of x and x xᵀ over chunks, so a set of any size costs O(D²) memory.

    The sums are shifted by the first chunk's mean (a numerically stable one-pass covariance).
    """

    def __init__(self, dim: int):
        self._shift: np.ndarray | None = None
        self._sum = np.zeros(dim, np.float64)
        self._outer = np.zeros((dim, dim), np.float64)
        self._count = 0

    def add(self, features: np.ndarray) -> None:
        """Add a chunk of features [n, D]."""
        x = np.asarray(features, np.float64)
        if self._shift is None:
            self._shift = x.mean(axis=0)
        x = x - self._shift
        self._sum += x.sum(axis=0)
        self._outer += x.T @ x
        self._count += x.shape[0]

    def result(self) -> GaussianStats:
        """The mean and covariance of everything added; needs at least two rows."""
        n = self._count
        if n < 2:
            raise ValueError(f"feature statistics need at least 2 samples, got {n}")
        centred_mean = self._sum / n
        cov = (self._outer - n * np.outer(centred_mean, centred_mean)) / (n - 1)
        return GaussianStats(centred_mean + self._shift, (cov + cov.T) / 2.0, n)


def canonical_order(x: np.ndarray) -> np.ndarray:
    """Rows sorted lexicographically: an order that does not depend on the input order, so
    seeded subsets and blocked computations give the same result for any permutation."""
    return x[np.lexsort(x.T[::-1])]


def gaussian_stats(features: np.ndarray, chunk_size: int = 10_000) -> GaussianStats:
    """Mean and covariance of ``features`` [N, D], accumulated in chunks of ``chunk_size`` rows."""
    acc = StatsAccumulator(features.shape[1])
    for start in range(0, features.shape[0], chunk_size):
        acc.add(features[start : start + chunk_size])
    return acc.result()
