"""Precision and recall of the sample manifold (Kynkäänniemi et al. 2019), in chunks.

Each set's manifold is the union of balls around its points, each ball reaching the point's k-th
nearest neighbour within the set. Precision: the fraction of samples inside the reference
manifold. Recall: the fraction of reference points inside the sample manifold. Distances are
computed in blocks of ``row_chunk x col_chunk``, so memory stays O(chunk²) for any set size.
"""

import dataclasses

import numpy as np

from genjax.eval.stats import canonical_order

# Squared distances from the expanded form |a|² + |b|² - 2ab carry rounding of this relative
# size; a point within it of a ball's edge counts as inside (exact duplicates have radius 0).
_REL_TOL = 1e-9


@dataclasses.dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    k: int


def _sq_dists(a: np.ndarray, b: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    return np.maximum(na[:, None] + nb[None, :] - 2.0 * (a @ b.T), 0.0)


def knn_sq_radii(x: np.ndarray, k: int, row_chunk: int = 512, col_chunk: int = 4096) -> np.ndarray:
    """Squared distance from each row of x [N, D] to its k-th nearest other row.

    Args:
      x: float64 points.
      k: neighbourhood size, 1 <= k < N.
      row_chunk, col_chunk: block shape of the distance computation.

    Returns:
      [N] squared radii.
    """
    n = x.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k-NN radius needs 1 <= k < number of points; got k={k}, {n} points")
    norms = np.einsum("nd,nd->n", x, x)
    radii = np.empty(n)
    for r in range(0, n, row_chunk):
        rows, best = slice(r, r + row_chunk), None
        for c in range(0, n, col_chunk):
            cols = slice(c, c + col_chunk)
            d2 = _sq_dists(x[rows], x[cols], norms[rows], norms[cols])
            kept = np.partition(d2, min(k, d2.shape[1] - 1), axis=1)[:, : k + 1]
            best = kept if best is None else np.concatenate([best, kept], axis=1)
            best = np.partition(best, min(k, best.shape[1] - 1), axis=1)[:, : k + 1]
        radii[rows] = best[:, k]  # index 0 is the point itself (distance 0)
    return radii


def inside_manifold(
    points: np.ndarray,
    centres: np.ndarray,
    sq_radii: np.ndarray,
    row_chunk: int = 512,
    col_chunk: int = 4096,
) -> np.ndarray:
    """For each point, whether it lies in some ball (centre_j, radius_j): [N] bool."""
    pn, cn = np.einsum("nd,nd->n", points, points), np.einsum("nd,nd->n", centres, centres)
    scale = _REL_TOL * (pn.mean() + cn.mean())
    out = np.zeros(points.shape[0], bool)
    for r in range(0, points.shape[0], row_chunk):
        rows = slice(r, r + row_chunk)
        for c in range(0, centres.shape[0], col_chunk):
            cols = slice(c, c + col_chunk)
            d2 = _sq_dists(points[rows], centres[cols], pn[rows], cn[cols])
            out[rows] |= ((d2 - sq_radii[None, cols]) <= scale).any(axis=1)
    return out


def precision_recall(samples: np.ndarray, reference: np.ndarray, k: int = 3) -> PrecisionRecall:
    """Improved precision and recall of ``samples`` against ``reference`` features.

    Args:
      samples: [N, D] features of generated images.
      reference: [M, D] features of real images.
      k: neighbourhood size of the manifold balls (the paper uses 3).

    Returns:
      PrecisionRecall(precision, recall, k).
    """
    s, r = (canonical_order(np.asarray(a, np.float64)) for a in (samples, reference))
    precision = inside_manifold(s, r, knn_sq_radii(r, k)).mean()
    recall = inside_manifold(r, s, knn_sq_radii(s, k)).mean()
    return PrecisionRecall(float(precision), float(recall), k)
