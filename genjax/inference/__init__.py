"""Inference utilities: importance sampling, latent-space exploration and sparse codes."""

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
    sparse_coding_objective,
    sparse_encode,
)

__all__ = [
    "importance_log_likelihood",
    "interpolation_grids",
    "lerp",
    "perturbation_sensitivity",
    "slerp",
    "soft_threshold",
    "sparse_coding_objective",
    "sparse_encode",
    "traversal",
    "traversal_grid",
]
