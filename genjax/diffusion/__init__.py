"""Diffusion maths (layer 1), apart from any network: discrete schedules with every posterior
coefficient, learned variances and respacing, continuous-time SDEs, the variational bound,
samplers (``genjax.diffusion.samplers``), importance sampling of steps
(``genjax.diffusion.timesteps``) and the variational diffusion model's process
(``genjax.diffusion.vdm``).

May import: jax, numpy and ``genjax.losses`` (its own layer) only: no flax.
"""

from genjax.diffusion.bound import variational_bound
from genjax.diffusion.schedules import (
    PREDICTIONS,
    SCHEDULES,
    Diffusion,
    clip_x0,
    cosine_alpha_bar,
    cosine_betas,
    learned_log_variance,
    linear_betas,
    make_diffusion,
    predict_eps_from_x0,
    predict_x0_from_eps,
    predict_x0_from_v,
    q_mean_variance,
    q_posterior,
    q_sample,
    respace,
    reverse_step,
    schedule,
    split_output,
    to_eps,
    v_target,
)
from genjax.diffusion.sde import SDE, VESDE, VPSDE, marginal_sample, reverse_drift

__all__ = [
    "PREDICTIONS",
    "SCHEDULES",
    "SDE",
    "VESDE",
    "VPSDE",
    "Diffusion",
    "clip_x0",
    "cosine_alpha_bar",
    "cosine_betas",
    "learned_log_variance",
    "linear_betas",
    "make_diffusion",
    "marginal_sample",
    "predict_eps_from_x0",
    "predict_x0_from_eps",
    "predict_x0_from_v",
    "q_mean_variance",
    "q_posterior",
    "q_sample",
    "respace",
    "reverse_drift",
    "reverse_step",
    "schedule",
    "split_output",
    "to_eps",
    "v_target",
    "variational_bound",
]
