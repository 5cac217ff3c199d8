"""Inference utilities: importance sampling and latent-space exploration."""

from genjax.inference.importance import importance_log_likelihood
from genjax.inference.latent import (
    interpolation_grids,
    lerp,
    perturbation_sensitivity,
    slerp,
    traversal,
    traversal_grid,
)

__all__ = [
    "importance_log_likelihood",
    "interpolation_grids",
    "lerp",
    "perturbation_sensitivity",
    "slerp",
    "traversal",
    "traversal_grid",
]
