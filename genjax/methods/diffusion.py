"""Diffusion family glue: a DDPM (Ho et al. 2020) on a U-Net, optionally class-conditional
with classifier-free guidance (label dropout in training, a guidance scale at sampling), sampled
by DDPM or DDIM, and scored by the full variational bound in bits/dim."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.diffusion import (
    PREDICTIONS,
    SCHEDULES,
    q_sample,
    schedule,
    to_eps,
    v_target,
    variational_bound,
)
from genjax.diffusion.samplers import classifier_free_guidance, ddim_sample, ddpm_sample
from genjax.losses import eps_prediction_loss, v_prediction_loss, x0_prediction_loss
from genjax.methods.base import DataInfo, Method, check_choice, display
from genjax.methods.likelihood import class_labels
from genjax.models.unet import UNet

SAMPLERS = ("ddim", "ddpm")
CHAIN_FRAMES = 10


def build_unet(config: ml_collections.ConfigDict, info: DataInfo) -> UNet:
    """The U-Net of ``config.model`` for data ``info`` (one-line errors for unusable data)."""
    m = config.model
    if info.binary or info.pixel_range != "symmetric":
        raise ValueError(
            "diffusion models here need gray images in [-1, 1]: set data.variant='gray' and "
            "data.pixel_range='symmetric'"
        )
    if m.conditional and info.num_classes == 0:
        raise ValueError(
            "a conditional model needs a labelled dataset (this one has no labels): set "
            "model.conditional=False"
        )
    return UNet(
        image_shape=info.image_shape,
        channels=m.channels,
        channel_mults=tuple(m.channel_mults),
        num_res_blocks=m.num_res_blocks,
        attention_resolutions=tuple(m.attention_resolutions),
        num_classes=info.num_classes if m.conditional else 0,
        groups=m.groups,
    )


def make(config: ml_collections.ConfigDict, info: DataInfo) -> Method:
    """Build the diffusion method.

    Args:
      config: the experiment config: model (U-Net sizes, conditional), diffusion (schedule,
        num_steps, prediction, label_dropout, guidance, sampler, sample_steps, eta, clip) and
        eval.bpd_examples.
      info: the data's shape, classes, range and levels.

    Returns:
      The family's Method; its report holds the test bits/dim and the chain and guidance
      grids.
    """
    dc = config.diffusion
    check_choice("diffusion.schedule", dc.schedule, SCHEDULES)
    check_choice("diffusion.prediction", dc.prediction, PREDICTIONS)
    check_choice("diffusion.sampler", dc.sampler, SAMPLERS)
    if not 0.0 <= dc.label_dropout < 1.0:
        raise ValueError(f"diffusion.label_dropout must be in [0, 1); got {dc.label_dropout}")
    net = build_unet(config, info)
    conditional = bool(config.model.conditional)
    d = schedule(dc.schedule, int(dc.num_steps))
    clip = 1.0 if dc.clip else None
    bins = info.levels + 1
    null = info.num_classes  # the U-Net's unconditional label

    def labels(batch):
        return batch["label"] if conditional else None

    def init(key, batch):
        x = batch["image"]
        return net.init(key, x, jnp.zeros((x.shape[0],), jnp.int32), labels(batch))

    def noised(batch, key):
        """(x_0, t, ε, x_t) with t uniform over the T steps."""
        k_t, k_eps = jax.random.split(key)
        x0 = batch["image"]
        t = jax.random.randint(k_t, (x0.shape[0],), 0, d.num_steps)
        noise = jax.random.normal(k_eps, x0.shape, x0.dtype)
        return x0, t, noise, q_sample(d, x0, t, noise)

    def loss(params, batch, key):
        k_noise, k_drop = jax.random.split(key)
        x0, t, noise, xt = noised(batch, k_noise)
        y = labels(batch)
        if conditional and dc.label_dropout > 0:  # the null label trains the unconditional model
            drop = jax.random.bernoulli(k_drop, dc.label_dropout, y.shape)
            y = jnp.where(drop, null, y)
        out = net.apply(params, xt, t, y)
        if dc.prediction == "eps":
            return eps_prediction_loss(out, noise)
        if dc.prediction == "v":
            return v_prediction_loss(out, x0, noise, d.alphas_cumprod[t])
        return x0_prediction_loss(out, x0)

    def eval_metrics(params, batch, key):
        x0, t, noise, xt = noised(batch, key)
        target = {"eps": noise, "v": v_target(d, x0, t, noise), "x0": x0}[dc.prediction]
        err = (net.apply(params, xt, t, labels(batch)) - target) ** 2
        return {"mse": jnp.mean(err.reshape(err.shape[0], -1), axis=-1)}

    def eps_fn(params, y, scale):
        """(x_t, t) -> ε̂. With labels, guided: ε_u + s (ε_c - ε_u), both from one batched
        call; a Python scale of 0 or 1 needs one call (the unconditional or conditional model),
        a traced scale always two. y None is the unconditional model."""

        def call(x, t, labels_):
            return to_eps(d, net.apply(params, x, t, labels_), x, t, dc.prediction)

        def fn(x, t):
            if y is None or (isinstance(scale, float) and scale == 0.0):
                return call(x, t, None)
            if isinstance(scale, float) and scale == 1.0:
                return call(x, t, y)
            nulls = jnp.full_like(y, null)
            both = call(
                jnp.concatenate([x, x]), jnp.concatenate([t, t]), jnp.concatenate([y, nulls])
            )
            cond, uncond = jnp.split(both, 2)
            return classifier_free_guidance(uncond, cond, scale)

        return fn

    def draw(params, key, num, y, scale, trajectory=False):
        shape = (num, *info.image_shape)
        fn = eps_fn(params, y if conditional else None, scale)
        if dc.sampler == "ddpm":
            return ddpm_sample(d, fn, key, shape, clip, trajectory)
        return ddim_sample(d, fn, key, shape, int(dc.sample_steps), dc.eta, clip, trajectory)

    def to_images(x):
        return display(jnp.clip(x, -1.0, 1.0), info)

    @functools.partial(jax.jit, static_argnums=(2, 4))
    def sample_at_scale(params, key, num, y, scale):
        return to_images(draw(params, key, num, y, scale))

    def generate(params, key, num, y=None):
        return sample_at_scale(params, key, num, y, float(dc.guidance))

    def sample(params, key, num):
        return generate(params, key, num, class_labels(num, info.num_classes if conditional else 0))

    @functools.partial(jax.jit, static_argnums=2)
    def chain(params, key, num):
        y = class_labels(num, info.num_classes) if conditional else None
        _, xs = draw(params, key, num, y, float(dc.guidance), trajectory=True)
        frames = np.round(np.linspace(0, xs.shape[0] - 1, CHAIN_FRAMES)).astype(int)
        return to_images(jnp.swapaxes(xs[frames], 0, 1))

    @jax.jit
    def bound(params, x0, y, key):
        return variational_bound(d, eps_fn(params, y, 1.0), x0, key, bins, clip)

    def report(params, batches, key):
        limit = int(config.eval.bpd_examples) or np.inf
        sums, count = {}, 0.0
        for i, (batch, mask) in enumerate(batches):
            if count >= limit:
                break
            mask = mask * (np.cumsum(mask) <= limit - count)  # the first ``limit`` examples
            out = bound(params, batch["image"], labels(batch), jax.random.fold_in(key, i))
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + float(jnp.sum(np.asarray(v) * mask))
            count += float(mask.sum())
        to_bits = 1.0 / (np.prod(info.image_shape) * np.log(2.0))
        scalars = {"test_bits_per_dim": sums["bits_per_dim"] / count, "bpd_examples": count}
        for part in ("prior", "decoder", "kl"):
            scalars[f"test_bits_per_dim_{part}"] = sums[part] / count * to_bits
        return scalars, report_images(params, key)

    @jax.jit
    def guidance_grid(params, key, scales):
        """One row per scale, one column per class, the same noise down each column."""
        y = jnp.arange(info.num_classes)
        return to_images(jax.vmap(lambda s: draw(params, key, info.num_classes, y, s))(scales))

    def report_images(params, key):
        k_chain, k_guide = jax.random.split(key)
        images = {"chain": np.asarray(chain(params, k_chain, 4))}
        if conditional:  # rows: guidance 0 (unconditional), 1, the configured scale, twice it
            scales = sorted({0.0, 1.0, float(dc.guidance), 2.0 * float(dc.guidance)})
            images["guidance"] = np.asarray(guidance_grid(params, k_guide, jnp.asarray(scales)))
        return images

    return Method(
        "diffusion",
        init,
        loss,
        eval_metrics,
        sample,
        report,
        generate,
        conditional,
        chain=chain,
    )
