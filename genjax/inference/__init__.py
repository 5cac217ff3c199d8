"""Inference utilities (layer 1): importance-sampled log-likelihood, latent-space exploration
(interpolation, traversal, perturbation) and sparse codes by ISTA/FISTA.

May import: jax, numpy and ``genjax.losses`` (its own layer) only.
"""

from genjax.inference.importance import importance_log_likelihood
from genjax.inference.latent import (
    interpolation_grids,
    lerp,
    perturbation_sensitivity,
    slerp,
    traversal,
    traversal_grid,
)
from genjax.inference.sparse_coding import (
    soft_threshold,
    sparse_encode,
)

__all__ = [
    "importance_log_likelihood",
    "interpolation_grids",
    "lerp",
    "perturbation_sensitivity",
    "slerp",
    "soft_threshold",
    "sparse_encode",
    "traversal",
    "traversal_grid",
]
