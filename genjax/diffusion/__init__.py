"""Diffusion maths, apart from any network: discrete schedules, continuous-time SDEs and
samplers (``genjax.diffusion.samplers``)."""

from genjax.diffusion.schedules import (
    SCHEDULES,
    Diffusion,
    cosine_alpha_bar,
    cosine_betas,
    linear_betas,
    make_diffusion,
    predict_eps_from_x0,
    predict_x0_from_eps,
    predict_x0_from_v,
    q_mean_variance,
    q_posterior,
    q_sample,
    schedule,
    v_target,
)
from genjax.diffusion.sde import SDE, VESDE, VPSDE, marginal_sample, reverse_drift

__all__ = [
    "SCHEDULES",
    "SDE",
    "VESDE",
    "VPSDE",
    "Diffusion",
    "cosine_alpha_bar",
    "cosine_betas",
    "linear_betas",
    "make_diffusion",
    "marginal_sample",
    "predict_eps_from_x0",
    "predict_x0_from_eps",
    "predict_x0_from_v",
    "q_mean_variance",
    "q_posterior",
    "q_sample",
    "reverse_drift",
    "schedule",
    "v_target",
]
