"""Inference utilities: importance sampling and latent-space exploration."""

from genjax.inference.importance import importance_log_likelihood
from genjax.inference.latent import lerp, perturbation_sensitivity, slerp, traversal

__all__ = ["importance_log_likelihood", "lerp", "perturbation_sensitivity", "slerp", "traversal"]
