"""The DDPM's training objective (layer 2, beside ``methods.diffusion``): the network's
outputs at (x_t, t), L_simple on ε, v or x_0, and, for a learned variance, the hybrid loss
L_simple + λ L_vlb (Nichol & Dhariwal 2021) with t uniform or importance-sampled on L_vlb's
history, which the loss carries as model state."""

from typing import TYPE_CHECKING, NamedTuple

import jax
import jax.numpy as jnp

from genjax.diffusion import Diffusion, q_posterior, q_sample, reverse_step, to_eps, v_target
from genjax.diffusion import timesteps as importance
from genjax.losses import (
    eps_prediction_loss,
    nats_per_dim_to_bits,
    v_prediction_loss,
    variational_bound_term,
    x0_prediction_loss,
)
from genjax.methods.common import labels_of
from genjax.models.unet import UNet

if TYPE_CHECKING:
    from genjax.methods.diffusion import ProcessConfig


class Denoiser(NamedTuple):
    """The network, the discrete diffusion and what sampling needs of the settings."""

    net: UNet
    d: Diffusion
    process: "ProcessConfig"
    conditional: bool
    null: int  # the U-Net's unconditional label
    bins: int  # the data's levels


def learned(dn: Denoiser) -> bool:
    return dn.process.variance == "learned"


def apply_net(dn: Denoiser, params, xt, t, y):
    """(the network's target output, the raw variance output v or None)."""
    out = dn.net.apply(params, xt, t, y)
    return tuple(jnp.split(out, 2, axis=-1)) if learned(dn) else (out, None)


def noised(dn: Denoiser, batch, key, t=None):
    """(x_0, t, ε, x_t) with t uniform over the T steps (or the given t)."""
    k_t, k_eps = jax.random.split(key)
    x0 = batch["image"]
    if t is None:
        t = jax.random.randint(k_t, (x0.shape[0],), 0, dn.d.num_steps)
    noise = jax.random.normal(k_eps, x0.shape, x0.dtype)
    return x0, t, noise, q_sample(dn.d, x0, t, noise)


def target_of(dn: Denoiser, x0, t, noise) -> jax.Array:
    """What the network regresses: ε, v or x_0."""
    return {"eps": noise, "v": v_target(dn.d, x0, t, noise), "x0": x0}[dn.process.prediction]


def per_example_mse(out: jax.Array, target: jax.Array) -> jax.Array:
    return jnp.mean(((out - target) ** 2).reshape(out.shape[0], -1), axis=-1)


def regression(dn: Denoiser, out, x0, t, noise):
    """The configured target's regression loss (L_simple for ε) and its metrics."""
    if dn.process.prediction == "eps":
        return eps_prediction_loss(out, noise)
    if dn.process.prediction == "v":
        return v_prediction_loss(out, x0, noise, dn.d.alphas_cumprod[t])
    return x0_prediction_loss(out, x0)


def vlb_term(dn: Denoiser, out, v, x0, t, xt):
    """T·L_t in bits/dim per example [B] (an unbiased estimate of L_vlb for uniform t), the
    model's mean from the stopped-gradient output so that only v learns from it (Nichol &
    Dhariwal 2021, sec. 3.1)."""
    eps = to_eps(dn.d, jax.lax.stop_gradient(out), xt, t, dn.process.prediction)
    model_mean, model_log_var = reverse_step(dn.d, eps, v, xt, t, None)
    true_mean, _, true_log_var = q_posterior(dn.d, x0, xt, t)
    nats = variational_bound_term(
        x0, true_mean, true_log_var, model_mean, model_log_var, t == 0, dn.bins
    )
    return dn.d.num_steps * nats_per_dim_to_bits(nats, x0[0].size)


def loss(dn: Denoiser, params, batch, key, history):
    """The one loss contract: L_simple on the configured target, plus λ·L_vlb for a learned
    variance, with t uniform or importance-sampled (weights 1/(T p_t), the history of L_vlb
    updated: the model state); labels replaced by the null label with probability
    label_dropout (which trains the unconditional model too)."""
    k_noise, k_drop, k_t = jax.random.split(key, 3)
    t, weights = None, None
    if history is not None:
        t, weights = importance.sample_steps(history, k_t, batch["image"].shape[0])
    x0, t, noise, xt = noised(dn, batch, k_noise, t)
    y = labels_of(batch, dn.conditional)
    if dn.conditional and dn.process.label_dropout > 0:
        drop = jax.random.bernoulli(k_drop, dn.process.label_dropout, y.shape)
        y = jnp.where(drop, dn.null, y)
    out, v = apply_net(dn, params, xt, t, y)
    if v is None:
        value, metrics = regression(dn, out, x0, t, noise)
        return value, (metrics, history)
    mse, vlb = per_example_mse(out, target_of(dn, x0, t, noise)), vlb_term(dn, out, v, x0, t, xt)
    hybrid = mse + dn.process.vlb_weight * vlb
    value = jnp.mean(hybrid if weights is None else weights * hybrid)
    if history is not None:
        history = importance.update_history(history, t, jax.lax.stop_gradient(vlb))
    return value, ({"mse": jnp.mean(mse), "vlb": jnp.mean(vlb)}, history)


def eval_metrics(dn: Denoiser, params, batch, key) -> dict[str, jax.Array]:
    """Per-example squared error of the network's target at a random step (and T·L_t in
    bits/dim for a learned variance)."""
    x0, t, noise, xt = noised(dn, batch, key)
    out, v = apply_net(dn, params, xt, t, labels_of(batch, dn.conditional))
    metrics = {"mse": per_example_mse(out, target_of(dn, x0, t, noise))}
    if v is not None:
        metrics["vlb"] = vlb_term(dn, out, v, x0, t, xt)
    return metrics
