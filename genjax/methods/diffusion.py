"""Diffusion family: a DDPM (Ho et al. 2020) on a U-Net, optionally class-conditional with
classifier-free guidance (label dropout in training, a guidance scale at sampling), sampled by
DDPM or DDIM, and scored by the full variational bound in bits/dim. With learned variances
(Nichol & Dhariwal 2021) the network also outputs the interpolation between β_t and β̃_t,
trained by the hybrid loss L_simple + λ L_vlb (the mean's gradient stopped in L_vlb), with t
drawn uniformly or by importance sampling on L_vlb's history."""

import dataclasses
import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from genjax import viz
from genjax.checks import check_at_least, check_choice, read_borrowed
from genjax.data import DataInfo, display, masked_mean
from genjax.diffusion import PREDICTIONS, SCHEDULES, schedule, to_eps, variational_bound
from genjax.diffusion import timesteps as importance
from genjax.diffusion.samplers import classifier_free_guidance, ddim_sample, ddpm_sample
from genjax.methods.base import Method, Score
from genjax.methods.common import (
    chain_picture,
    labels_of,
    make_sampler,
    read_sections,
    select_frames,
)
from genjax.methods.diffusion_objective import Denoiser, apply_net, eval_metrics, learned, loss
from genjax.models.unet import UNet

SAMPLERS = ("ddim", "ddpm")
VARIANCES = ("fixed", "learned")
TIMESTEP_SAMPLERS = ("uniform", "importance")
CHAIN_FRAMES = 10


@dataclasses.dataclass(frozen=True)
class UNetConfig:
    """``config.model``: the U-Net's widths, depth and attention, whether it takes labels, and
    the exponents n of its input's Fourier features sin(2ⁿπ x), cos(2ⁿπ x) (() for none)."""

    channels: int = 16
    channel_mults: tuple[int, ...] = (1, 2, 2)
    num_res_blocks: int = 1
    attention_resolutions: tuple[int, ...] = (4,)
    groups: int = 8
    conditional: bool = True
    fourier_exponents: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class ProcessConfig:
    """``config.diffusion``: the noise schedule, the network's target, the reverse variance
    (fixed β̃_t, or learned with the hybrid loss's weight λ = vlb_weight and the sampler of
    t), classifier-free guidance (label dropout in training, the scale at sampling) and the
    sampler (DDIM, or ancestral DDPM on sample_steps respaced steps)."""

    schedule: str = "linear"
    num_steps: int = 1000
    prediction: str = "eps"
    variance: str = "fixed"
    vlb_weight: float = 0.001
    timestep_sampler: str = "uniform"
    label_dropout: float = 0.1
    guidance: float = 1.5
    sampler: str = "ddim"
    sample_steps: int = 50
    eta: float = 0.0
    clip: bool = True

    def __post_init__(self):
        check_choice("diffusion.schedule", self.schedule, SCHEDULES)
        check_choice("diffusion.prediction", self.prediction, PREDICTIONS)
        check_choice("diffusion.sampler", self.sampler, SAMPLERS)
        check_choice("diffusion.variance", self.variance, VARIANCES)
        check_choice("diffusion.timestep_sampler", self.timestep_sampler, TIMESTEP_SAMPLERS)
        check_at_least("diffusion.vlb_weight", self.vlb_weight, 0.0)
        if self.timestep_sampler == "importance" and self.variance != "learned":
            raise ValueError(
                "diffusion.timestep_sampler='importance' samples t for the L_vlb term, which "
                "only a learned variance trains: set diffusion.variance='learned'"
            )
        check_at_least("diffusion.num_steps", self.num_steps, 2)
        if not 0.0 <= self.label_dropout < 1.0:
            raise ValueError(f"diffusion.label_dropout must be in [0, 1); got {self.label_dropout}")
        if not 1 <= self.sample_steps <= self.num_steps:
            raise ValueError(
                f"diffusion.sample_steps must be in [1, diffusion.num_steps={self.num_steps}]; "
                f"got {self.sample_steps}"
            )


@dataclasses.dataclass(frozen=True)
class BoundConfig:
    """``config.eval.bpd_examples``: test examples in the bits/dim bound (0: all)."""

    bpd_examples: int = 0

    def __post_init__(self):
        check_at_least("eval.bpd_examples", self.bpd_examples, 0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DiffusionConfig:
    unet: UNetConfig
    process: ProcessConfig
    bpd_examples: int = 0


def read_config(config: Mapping, strict: bool = True) -> DiffusionConfig:
    """The model and diffusion sections and eval.bpd_examples as typed settings."""
    owner = "method diffusion"
    s = read_sections(config, owner, strict, model=UNetConfig, diffusion=ProcessConfig)
    bound = read_borrowed(config.get("eval"), BoundConfig, "eval", owner, strict)
    return DiffusionConfig(unet=s["model"], process=s["diffusion"], bpd_examples=bound.bpd_examples)


def eps_fn(dn: Denoiser, params, y, scale):
    """(x_t, t) -> ε̂, or (ε̂, v) for a learned variance. With labels, guided: ε_u + s (ε_c -
    ε_u), both from one batched call, v the conditional model's (as GLIDE); a Python scale of
    0 or 1 needs one call (the unconditional or conditional model), a traced scale always two.
    y None is the unconditional model."""

    def call(x, t, labels):
        out, v = apply_net(dn, params, x, t, labels)
        return to_eps(dn.d, out, x, t, dn.process.prediction), v

    def result(eps, v):
        return eps if v is None else (eps, v)

    def fn(x, t):
        if y is None or (isinstance(scale, float) and scale == 0.0):
            return result(*call(x, t, None))
        if isinstance(scale, float) and scale == 1.0:
            return result(*call(x, t, y))
        both, v = call(
            jnp.concatenate([x, x]),
            jnp.concatenate([t, t]),
            jnp.concatenate([y, jnp.full_like(y, dn.null)]),
        )
        cond, uncond = jnp.split(both, 2)
        guided = classifier_free_guidance(uncond, cond, scale)
        return result(guided, None if v is None else jnp.split(v, 2)[0])

    return fn


def run_sampler(dn: Denoiser, shape, params, key, y, scale, trajectory: bool = False):
    """The configured sampler (DDIM, or ancestral DDPM on sample_steps respaced steps, with the
    learned variances where the model has them) from noise of ``shape``."""
    fn, p = eps_fn(dn, params, y if dn.conditional else None, scale), dn.process
    clip = 1.0 if p.clip else None
    if p.sampler == "ddpm":
        return ddpm_sample(dn.d, fn, key, shape, clip, trajectory, p.sample_steps)
    eps_only = (lambda x, t: fn(x, t)[0]) if learned(dn) else fn
    return ddim_sample(dn.d, eps_only, key, shape, p.sample_steps, p.eta, clip, trajectory)


def to_images(info: DataInfo, x: jax.Array) -> jax.Array:
    return display(jnp.clip(x, -1.0, 1.0), info)


def draw(dn: Denoiser, info: DataInfo, params, key, num, labels, mean, trajectory):
    """Samples at the configured guidance (or their denoising chains, CHAIN_FRAMES frames)."""
    del mean  # a sample's mean is not defined apart from the sample
    shape, scale = (num, *info.image_shape), float(dn.process.guidance)
    if not trajectory:
        return to_images(info, run_sampler(dn, shape, params, key, labels, scale))
    _, xs = run_sampler(dn, shape, params, key, labels, scale, trajectory=True)
    return to_images(info, select_frames(xs, CHAIN_FRAMES))


def bound(dn: Denoiser, bins: int, params, x0, y, key):
    """The negative variational bound's terms per example, from the conditional model (y) or
    the unconditional one (y None), reverse steps clipped as the sampler clips."""
    clip = 1.0 if dn.process.clip else None
    return variational_bound(dn.d, eps_fn(dn, params, y, 1.0), x0, key, bins, clip)


BOUND_SCORE = {"estimator": "variational bound, all T terms, unconditional", "nats": True}


def bound_score(dn: Denoiser, info: DataInfo, params, batch, key) -> jax.Array:
    """The negative variational bound (nats) of each example under the unconditional model
    (the null label of a conditional one): outliers' labels are not known."""
    return bound(dn, info.levels + 1, params, batch["image"], None, key)["total"]


def first_examples(batches, limit: float):
    """(batch, mask) pairs with the masks cut to the first ``limit`` real examples in all."""
    seen = 0.0
    for batch, mask in batches:
        if seen >= limit:
            return
        mask = mask * (np.cumsum(mask) <= limit - seen)
        seen += float(mask.sum())
        yield batch, mask


def report(dn: Denoiser, info: DataInfo, bpd_examples: int, sample, params, batches, key):
    """Test bits/dim from the full bound over the first ``bpd_examples`` test examples (0:
    all), with its prior, decoder and KL parts, named by what they condition on:
    ``test_bits_per_dim_unconditional`` (the null label: p(x), comparable with every other
    family) always, and ``test_bits_per_dim_conditional`` (the true labels: p(x | y)) for a
    conditional model, both with the same noise; denoising chains and the guidance grid."""
    pairs = list(first_examples(batches, bpd_examples or np.inf))
    bound_fn = jax.jit(functools.partial(bound, dn, info.levels + 1))
    to_bits = 1.0 / (info.num_pixels * np.log(2.0))
    scalars = {"bpd_examples": float(sum(m.sum() for _, m in pairs))}
    kinds = {"unconditional": lambda b: None}
    if dn.conditional:
        kinds["conditional"] = lambda b: b["label"]
    for kind, labels in kinds.items():
        terms = masked_mean(
            (bound_fn(params, b["image"], labels(b), jax.random.fold_in(key, i)), m)
            for i, (b, m) in enumerate(pairs)
        )
        scalars[f"test_bits_per_dim_{kind}"] = terms["bits_per_dim"]
        for part in ("prior", "decoder", "kl"):
            scalars[f"test_bits_per_dim_{kind}_{part}"] = terms[part] * to_bits
    return scalars, report_images(dn, info, sample, params, key)


def guidance_grid(dn: Denoiser, info: DataInfo, params, key, scales) -> jax.Array:
    """One row per guidance scale, one column per class, the same noise down each column."""
    y, shape = jnp.arange(info.num_classes), (info.num_classes, *info.image_shape)
    rows = jax.vmap(lambda s: run_sampler(dn, shape, params, key, y, s))(scales)
    return to_images(info, rows)


def report_images(dn: Denoiser, info: DataInfo, sample, params, key) -> dict:
    """Four denoising chains; for a conditional model the guidance grid at scales 0
    (unconditional), 1, the configured scale and twice it."""
    k_chain, k_guide = jax.random.split(key)
    chains = np.asarray(sample(params, k_chain, 4, trajectory=True))
    p = dn.process
    unit = "DDIM step" if p.sampler == "ddim" else "ancestral step"
    images = {"chain": chain_picture(chains, "noise", "sample", p.sample_steps, unit=unit)}
    if dn.conditional:
        g = float(dn.process.guidance)
        scales = sorted({0.0, 1.0, g, 2.0 * g})
        grid = jax.jit(functools.partial(guidance_grid, dn, info))
        images["guidance"] = viz.Labelled(
            np.asarray(grid(params, k_guide, jnp.asarray(scales))),
            [f"guidance {s:g}" for s in scales],
            [f"class {c}" for c in range(info.num_classes)],
        )
    return images


def build_unet(u: UNetConfig, info: DataInfo, learned_variance: bool = False) -> UNet:
    """The U-Net of ``u`` for data ``info`` (one-line errors for data it cannot model)."""
    if info.binary or info.pixel_range != "symmetric":
        raise ValueError(
            "diffusion models here need gray images in [-1, 1]: set data.variant='gray' and "
            "data.pixel_range='symmetric'"
        )
    if u.conditional and info.num_classes == 0:
        raise ValueError(
            "a conditional model needs a labelled dataset (this one has no labels): set "
            "model.conditional=False"
        )
    return UNet(
        image_shape=info.image_shape,
        channels=u.channels,
        channel_mults=u.channel_mults,
        num_res_blocks=u.num_res_blocks,
        attention_resolutions=u.attention_resolutions,
        num_classes=info.num_classes if u.conditional else 0,
        groups=u.groups,
        out_channels=info.image_shape[-1] * (2 if learned_variance else 1),
        fourier_exponents=tuple(u.fourier_exponents),
    )


def build(cfg: DiffusionConfig, info: DataInfo) -> Method:
    """The diffusion Method for data ``info`` (gray images in [-1, 1])."""
    u, process = cfg.unet, cfg.process
    net = build_unet(u, info, process.variance == "learned")
    classes = net.num_classes
    d = schedule(process.schedule, process.num_steps)
    dn = Denoiser(net, d, process, u.conditional, info.num_classes, info.levels + 1)

    def init(key, batch):
        x = batch["image"]
        return net.init(
            key, x, jnp.zeros((x.shape[0],), jnp.int32), labels_of(batch, u.conditional)
        )

    sample = make_sampler(functools.partial(draw, dn, info), "diffusion", classes, True)
    return Method(
        name="diffusion",
        init=init,
        loss=functools.partial(loss, dn),
        init_model_state=(
            (lambda key, batch: importance.init_history(process.num_steps))
            if process.timestep_sampler == "importance"
            else None
        ),
        eval_metrics=functools.partial(eval_metrics, dn),
        sample=sample,
        trajectory=True,
        conditional=u.conditional,
        report=functools.partial(report, dn, info, cfg.bpd_examples, sample),
        scores={"bound": Score(fn=functools.partial(bound_score, dn, info), **BOUND_SCORE)},
    )
