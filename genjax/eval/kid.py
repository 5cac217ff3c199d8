"""Kernel Inception Distance (Bińkowski et al. 2018): the unbiased MMD² with the cubic
polynomial kernel k(x, y) = (xᵀy / D + 1)³, averaged over disjoint random subsets.

Subsets are disjoint, so their estimates are independent and std / √(num_subsets) is an honest
standard error of the mean. Rows are put in a canonical order before the seeded shuffle, so the
result does not depend on the order in which samples are given.
"""

import dataclasses

import numpy as np

from genjax.eval.stats import canonical_order


@dataclasses.dataclass(frozen=True)
class KIDResult:
    """Mean unbiased MMD² over subsets, its standard error, and how it was computed."""

    kid: float
    se: float
    num_subsets: int
    subset_sizes: tuple[int, int]


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3) -> np.ndarray:
    """(x yᵀ / D + 1)^degree for x [m, D], y [n, D] -> [m, n] (float64)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return (x @ y.T / x.shape[1] + 1.0) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3) -> float:
    """Unbiased estimate of MMD² between the distributions of x [m, D] and y [n, D].

    Args:
      x, y: feature sets, each with at least two rows.
      degree: polynomial kernel degree.

    Returns:
      The U-statistic: within-set means exclude the diagonal.
    """
    m, n = x.shape[0], y.shape[0]
    kxx, kyy = polynomial_kernel(x, x, degree), polynomial_kernel(y, y, degree)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * polynomial_kernel(x, y, degree).mean())


def kernel_inception_distance(
    x: np.ndarray,
    y: np.ndarray,
    num_subsets: int = 10,
    max_subset_size: int = 1000,
    seed: int = 0,
) -> KIDResult:
    """KID of feature sets x and y over ``num_subsets`` disjoint subsets of each.

    Args:
      x, y: features [n_x, D], [n_y, D].
      num_subsets: number of disjoint subsets (≥ 2, for a standard error).
      max_subset_size: subset size cap; a smaller set is split evenly into num_subsets parts.
      seed: seed of the shuffle that forms the subsets.

    Returns:
      A KIDResult with the mean over subsets and its standard error.
    """
    sizes = tuple(min(max_subset_size, len(s) // num_subsets) for s in (x, y))
    if num_subsets < 2 or min(sizes) < 2:
        raise ValueError(
            f"KID needs num_subsets >= 2 and >= 2 rows per subset; got num_subsets={num_subsets} "
            f"for sets of {len(x)} and {len(y)} rows: use fewer subsets or more samples"
        )
    rng = np.random.default_rng(seed)
    xs, ys = (canonical_order(s)[rng.permutation(len(s))] for s in (x, y))
    values = np.array(
        [
            mmd2_unbiased(
                xs[i * sizes[0] : (i + 1) * sizes[0]], ys[i * sizes[1] : (i + 1) * sizes[1]]
            )
            for i in range(num_subsets)
        ]
    )
    se = float(values.std(ddof=1) / np.sqrt(num_subsets))
    return KIDResult(float(values.mean()), se, num_subsets, sizes)
