"""Fréchet distance between Gaussians fitted to feature sets (FID when the features are
Inception's; here any feature function).

FD = |μ₁ - μ₂|² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁ Σ₂)^½.

Two routes to tr (Σ₁ Σ₂)^½, which agree on PSD inputs:
  "scipy": ``scipy.linalg.sqrtm`` of the (non-symmetric) product, as in the reference FID code,
           with a small diagonal offset when the product is singular;
  "eigen": Σ₁ Σ₂ has the eigenvalues of the symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½, so the trace is
           the sum of square roots of its (clipped) eigenvalues: symmetric solvers only.
"""

import numpy as np
import scipy.linalg

from genjax.eval.stats import GaussianStats

ROUTES = ("eigen", "scipy")


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix (negative rounding noise clipped)."""
    w, v = np.linalg.eigh(cov)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(cov1: np.ndarray, cov2: np.ndarray, route: str = "eigen") -> float:
    """tr (Σ₁ Σ₂)^½ for symmetric PSD Σ₁, Σ₂ (float64).

    Args:
      cov1, cov2: [D, D] covariances.
      route: "eigen" (symmetric eigendecompositions) or "scipy" (``scipy.linalg.sqrtm``).

    Returns:
      The trace, a float.
    """
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    if route == "eigen":
        root = _psd_sqrt(cov1)
        middle = root @ cov2 @ root
        w = np.linalg.eigvalsh((middle + middle.T) / 2.0)
        return float(np.sqrt(np.clip(w, 0.0, None)).sum())
    if route != "scipy":
        raise ValueError(f"unknown matrix square-root route {route!r}; valid: {', '.join(ROUTES)}")
    covmean = scipy.linalg.sqrtm(cov1 @ cov2)
    if not np.isfinite(covmean).all():  # singular product: offset the diagonals (as pytorch-fid)
        offset = np.eye(cov1.shape[0]) * 1e-10
        covmean = scipy.linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    return float(np.real(np.trace(covmean)))


def frechet_distance(a: GaussianStats, b: GaussianStats, route: str = "eigen") -> float:
    """Fréchet distance between N(a.mean, a.cov) and N(b.mean, b.cov).

    Args:
      a, b: statistics of two feature sets (same dimension).
      route: how tr (Σ₁ Σ₂)^½ is computed, see ``trace_sqrt_product``.

    Returns:
      The distance (≥ 0 up to rounding), a float.
    """
    if a.mean.shape != b.mean.shape:
        raise ValueError(f"feature dimensions differ: {a.mean.shape[0]} vs {b.mean.shape[0]}")
    diff = a.mean - b.mean
    tr_sqrt = trace_sqrt_product(a.cov, b.cov, route)
    return float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2.0 * tr_sqrt)
