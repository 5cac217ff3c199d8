"""Inference utilities (layer 1): importance-sampled log-likelihood, latent-space exploration
(interpolation, traversal, perturbation), sparse codes by ISTA/FISTA, and sampling techniques
(``genjax.inference.sampling``: stratified, Latin hypercube and quasi-Monte Carlo base draws,
effective sample size, class-stratified labels, temperature and truncation).

May import: jax, numpy, scipy (Sobol points) and ``genjax.losses`` (its own layer) only.
"""

from genjax.inference.importance import importance_log_likelihood, importance_statistics
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
    "importance_statistics",
    "interpolation_grids",
    "lerp",
    "perturbation_sensitivity",
    "slerp",
    "soft_threshold",
    "sparse_encode",
    "traversal",
    "traversal_grid",
]
