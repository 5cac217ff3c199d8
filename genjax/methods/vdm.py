"""The variational diffusion model (Kingma et al. 2021): a U-Net ε̂(z_t; γ_t) with Fourier
features of its input, a learned (or fixed) monotone noise schedule, trained on the bound it
reports: the continuous-time (or T-step) diffusion loss, the prior KL at t = 1 and the
reconstruction on the data's own levels at t = 0, in bits/dim. The schedule's shape follows
the variance-minimising gradient; optionally class-conditional with classifier-free guidance.
"""

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax.checks import check_at_least, check_choice, read_borrowed
from genjax.data import DataInfo, display
from genjax.diffusion import vdm as process
from genjax.diffusion.samplers import classifier_free_guidance
from genjax.losses.vdm import (
    antithetic_times,
    continuous_diffusion_loss,
    discrete_diffusion_loss,
    prior_loss,
    reconstruction_loss,
    variance_minimising,
)
from genjax.methods.base import Method, Score, stateless
from genjax.methods.common import (
    chain_picture,
    labels_of,
    make_sampler,
    read_sections,
    select_frames,
)
from genjax.methods.diffusion import UNetConfig, build_unet, first_examples
from genjax.models.vdm import POSITIVE, SCHEDULE_KINDS, NoiseSchedule

CHAIN_FRAMES = 10


@dataclasses.dataclass(frozen=True)
class ScoreNetConfig(UNetConfig):
    """``config.model``: the U-Net (as the DDPM's), the exponents n of its input's Fourier
    features sin(2ⁿπ z), cos(2ⁿπ z), and dropout in its residual blocks while training."""

    conditional: bool = False
    fourier_exponents: tuple[int, ...] = (3, 4)
    dropout: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"model.dropout must be in [0, 1); got {self.dropout}")


@dataclasses.dataclass(frozen=True)
class VDMConfig:
    """``config.vdm``: the noise schedule, the time discretisation, the variance-minimising
    update, the decoder's levels, label dropout and guidance, and the sampler."""

    schedule: str = "learned"
    gamma_min: float = -13.3
    gamma_max: float = 5.0
    schedule_features: int = 1024
    positive: str = "abs"
    timesteps: int = 0  # 0: continuous time (T = ∞)
    antithetic: bool = True
    variance_minimising: bool = True
    levels: int = 0  # decoder levels; 0: the data's own
    label_dropout: float = 0.1
    guidance: float = 1.0
    sampler: str = "ancestral"
    sample_steps: int = 50
    clip: bool = True

    def __post_init__(self):
        check_choice("vdm.schedule", self.schedule, SCHEDULE_KINDS)
        check_choice("vdm.sampler", self.sampler, process.VDM_SAMPLERS)
        if self.positive not in POSITIVE:
            raise ValueError(
                f"vdm.positive={self.positive!r} would not keep the learned schedule monotone "
                f"(its weights must be non-negative); valid: {', '.join(POSITIVE)}"
            )
        if not self.gamma_min < self.gamma_max:
            raise ValueError(
                f"the schedule must increase: need vdm.gamma_min < vdm.gamma_max; got "
                f"{self.gamma_min} and {self.gamma_max}"
            )
        check_at_least("vdm.timesteps", self.timesteps, 0)
        check_at_least("vdm.sample_steps", self.sample_steps, 1)
        check_at_least("vdm.schedule_features", self.schedule_features, 1)
        check_at_least("vdm.levels", self.levels, 0)
        if not 0.0 <= self.label_dropout < 1.0:
            raise ValueError(f"vdm.label_dropout must be in [0, 1); got {self.label_dropout}")


@dataclasses.dataclass(frozen=True)
class BoundConfig:
    """``config.eval``: test examples in the reported bound (0: all) and draws of (t, ε) per
    example (at least 2, for the Monte Carlo standard error)."""

    bpd_examples: int = 0
    bpd_samples: int = 16

    def __post_init__(self):
        check_at_least("eval.bpd_examples", self.bpd_examples, 0)
        check_at_least("eval.bpd_samples", self.bpd_samples, 2)


EVAL_FIELDS = tuple(f.name for f in dataclasses.fields(BoundConfig))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    net: ScoreNetConfig
    vdm: VDMConfig
    bound: BoundConfig


def read_config(config: Mapping, strict: bool = True) -> Settings:
    """The model and vdm sections and the eval fields of the bound as typed settings."""
    owner = "method vdm"
    s = read_sections(config, owner, strict, model=ScoreNetConfig, vdm=VDMConfig)
    bound = read_borrowed(config.get("eval"), BoundConfig, "eval", owner, strict)
    return Settings(net=s["model"], vdm=s["vdm"], bound=bound)


class Model(NamedTuple):
    """The networks, the data's levels in model space and the settings sampling needs."""

    net: object  # the U-Net
    schedule: NoiseSchedule
    values: jax.Array  # the decoder's levels [K]
    cfg: VDMConfig
    conditional: bool
    null: int


def eps_model(m: Model, params, z, gamma, y, dropout_key=None):
    """ε̂ = z + U-Net(z, t̃, y) with t̃ = 1000 (γ - γ_min)/(γ_max - γ_min) (the VDM's
    parametrisation: at high noise ε̂ ≈ z); with ``dropout_key``, the training network."""
    c = m.cfg
    t = 1000.0 * (gamma - c.gamma_min) / (c.gamma_max - c.gamma_min)
    if dropout_key is None:
        return z + m.net.apply(params, z, t, y)
    return z + m.net.apply(params, z, t, y, train=True, rngs={"dropout": dropout_key})


def bound_terms(m: Model, params, x, y, key, train: bool = False) -> dict[str, jax.Array]:
    """One draw of the negative bound per example, in nats: "diffusion" (continuous or T-step),
    "prior", "reconstruction" and their "total" (``train``: with the network's dropout). The
    diffusion term's gradient reaches the schedule's shape as that of its square when
    ``vdm.variance_minimising`` is set in continuous time (in discrete time the shape follows
    the bound, which depends on it)."""
    c, b = m.cfg, x.shape[0]
    k_t, k_eps, k_0, k_drop = jax.random.split(key, 4)
    k_drop = k_drop if train and m.net.dropout > 0 else None
    t = antithetic_times(k_t, b) if c.antithetic else jax.random.uniform(k_t, (b,))
    if c.timesteps:  # t on {1/T, ..., 1}
        t = jnp.maximum(jnp.ceil(t * c.timesteps), 1.0) / c.timesteps
    shape_of = lambda u: m.schedule.apply(params["schedule"], u, method=NoiseSchedule.shape)
    g0, g1 = m.schedule.apply(params["schedule"], method=NoiseSchedule.endpoints)
    if c.timesteps:
        shape = jnp.stack([shape_of(t), shape_of(t - 1.0 / c.timesteps)], axis=-1)
    else:
        shape = jnp.stack(jax.jvp(shape_of, (t,), (jnp.ones_like(t),)), axis=-1)
    eps = jax.random.normal(k_eps, x.shape, x.dtype)

    def diffusion(inputs, shape):
        score, g0, g1, x, eps, y, k_drop = inputs
        gamma = g0 + (g1 - g0) * shape[:, 0]
        eps_hat = eps_model(m, score, process.z_sample(x, gamma, eps), gamma, y, k_drop)
        if not c.timesteps:
            return continuous_diffusion_loss(eps_hat, eps, (g1 - g0) * shape[:, 1])
        gamma_s = g0 + (g1 - g0) * shape[:, 1]
        return discrete_diffusion_loss(eps_hat, eps, gamma, gamma_s, c.timesteps)

    if c.variance_minimising and c.schedule == "learned" and not c.timesteps:
        # only in continuous time is E[L] free of the shape (the T-step bound is not)
        diffusion = variance_minimising(diffusion)
    terms = {"diffusion": diffusion((params["score"], g0, g1, x, eps, y, k_drop), shape)}
    terms["prior"] = prior_loss(x, g1)
    z0 = x + jnp.exp(0.5 * g0) * jax.random.normal(k_0, x.shape, x.dtype)  # z_0 / α_0
    terms["reconstruction"] = reconstruction_loss(x, z0, g0, m.values)
    terms["total"] = terms["diffusion"] + terms["prior"] + terms["reconstruction"]
    return terms


def to_bits(x: jax.Array) -> float:
    """nats per example -> bits per dimension, for examples shaped like x [B, ...]."""
    return 1.0 / (math.prod(x.shape[1:]) * math.log(2.0))


def loss(m: Model, params, batch, key):
    """The bound in bits/dim, averaged over the batch (labels dropped to the null label with
    probability label_dropout for a conditional model)."""
    k_bound, k_drop = jax.random.split(key)
    x, y = batch["image"], labels_of(batch, m.conditional)
    if m.conditional and m.cfg.label_dropout > 0:
        y = jnp.where(jax.random.bernoulli(k_drop, m.cfg.label_dropout, y.shape), m.null, y)
    terms = bound_terms(m, params, x, y, k_bound, train=True)
    bits = {k: jnp.mean(v) * to_bits(x) for k, v in terms.items()}
    g0, g1 = m.schedule.apply(params["schedule"], method=NoiseSchedule.endpoints)
    metrics = {f"bpd_{k}": v for k, v in bits.items() if k != "total"}
    return bits["total"], {**metrics, "bpd": bits["total"], "gamma_0": g0, "gamma_1": g1}


def eval_metrics(m: Model, params, batch, key) -> dict[str, jax.Array]:
    """One draw of the bound per example, in bits/dim, with its parts."""
    x = batch["image"]
    terms = bound_terms(m, params, x, labels_of(batch, m.conditional), key)
    return {("bpd" if k == "total" else f"bpd_{k}"): v * to_bits(x) for k, v in terms.items()}


def bound_draws(m: Model, num: int, params, x, y, key) -> jax.Array:
    """``num`` draws of the total bound per example [num, B] (nats)."""
    keys = jax.random.split(key, num)
    return jax.lax.map(lambda k: bound_terms(m, params, x, y, k)["total"], keys)


def bound_score(m: Model, num: int, params, batch, key) -> jax.Array:
    """The unconditional bound (nats), averaged over ``num`` draws per example."""
    return jnp.mean(bound_draws(m, num, params, batch["image"], None, key), axis=0)


def gamma_of(m: Model, params):
    return lambda t: m.schedule.apply(params["schedule"], t)


def guided_eps(m: Model, params, y, scale: float):
    """(z, γ) -> ε̂, guided as the DDPM is (``methods.diffusion.eps_fn``) for labels y: at a
    scale other than 0 and 1, ε̂_u + s (ε̂_c − ε̂_u) from one call on the doubled batch."""

    def fn(z, gamma):
        if y is None or scale == 0.0:
            return eps_model(m, params["score"], z, gamma, None)
        if scale == 1.0:
            return eps_model(m, params["score"], z, gamma, y)
        twice = lambda a: jnp.concatenate([a, a])
        labels = jnp.concatenate([y, jnp.full_like(y, m.null)])
        cond, uncond = jnp.split(eps_model(m, params["score"], twice(z), twice(gamma), labels), 2)
        return classifier_free_guidance(uncond, cond, scale)

    return fn


def draw(m: Model, info: DataInfo, params, key, num, labels, mean, trajectory):
    """Samples (the decoder's most probable level at z_0), or their chains of x̂."""
    del mean
    c = m.cfg
    y = labels if m.conditional else None
    run = functools.partial(
        process.sample,
        guided_eps(m, params, y, float(c.guidance)),
        gamma_of(m, params),
        key,
        (num, *info.image_shape),
        c.sample_steps,
        c.sampler,
        1.0 if c.clip else None,
    )
    g0, _ = m.schedule.apply(params["schedule"], method=NoiseSchedule.endpoints)
    if not trajectory:
        return display(process.decode(run(), g0, m.values), info)
    _, zs = run(trajectory=True)
    frames = select_frames(zs, CHAIN_FRAMES)
    return display(jnp.clip(frames, -1.0, 1.0), info)


def report(m: Model, info: DataInfo, bound_cfg: BoundConfig, sample, params, batches, key):
    """Test bits/dim from the bound it trains on: K = eval.bpd_samples draws of (t, ε) per
    example over the first eval.bpd_examples test examples (0: all), with the Monte Carlo
    standard error of that mean (sqrt(Σ_i s_i² / K) / n, s_i² the variance of example i's
    draws); unconditional always, conditional too for a conditional model; the learned
    endpoints; denoising chains."""
    pairs = list(first_examples(batches, bound_cfg.bpd_examples or np.inf))
    k_bound, k_chain = jax.random.split(key)
    draws = jax.jit(functools.partial(bound_draws, m, bound_cfg.bpd_samples))
    scalars = {
        "bpd_examples": float(sum(mk.sum() for _, mk in pairs)),
        "bpd_samples": float(bound_cfg.bpd_samples),
    }
    kinds = {"unconditional": lambda b: None}
    if m.conditional:
        kinds["conditional"] = lambda b: b["label"]
    for kind, labels in kinds.items():
        means, variances = [], []
        for i, (b, mk) in enumerate(pairs):
            d = np.asarray(draws(params, b["image"], labels(b), jax.random.fold_in(k_bound, i)))
            keep = np.asarray(mk) > 0
            means.append(d.mean(axis=0)[keep])
            variances.append(d.var(axis=0, ddof=1)[keep])
        bits = to_bits(pairs[0][0]["image"])
        mean, var = np.concatenate(means), np.concatenate(variances)
        name = f"test_bits_per_dim_{kind}"
        scalars[name] = float(mean.mean() * bits)
        scalars[f"{name}_se"] = float(np.sqrt(var.sum() / bound_cfg.bpd_samples) / len(mean) * bits)
    g0, g1 = m.schedule.apply(params["schedule"], method=NoiseSchedule.endpoints)
    scalars.update(gamma_0=float(g0), gamma_1=float(g1))
    chains = np.asarray(sample(params, k_chain, 4, trajectory=True))
    c = m.cfg
    chain = chain_picture(chains, "noise", "sample", c.sample_steps, unit=f"{c.sampler} step")
    return scalars, {"chain": chain}


def model_of(cfg: Settings, info: DataInfo) -> Model:
    """The networks and levels of ``cfg`` for gray data ``info`` in [-1, 1] (one-line errors
    for data they cannot model)."""
    c = cfg.vdm
    levels = info.levels + 1
    if c.levels and c.levels != levels:
        raise ValueError(
            f"vdm.levels={c.levels} does not match the data's {levels} levels per pixel: set "
            f"vdm.levels={levels} or 0 (the data's own)"
        )
    net = build_unet(cfg.net, info).clone(dropout=cfg.net.dropout)
    schedule = NoiseSchedule(c.schedule, c.gamma_min, c.gamma_max, c.schedule_features, c.positive)
    values = jnp.linspace(-1.0, 1.0, levels)
    return Model(net, schedule, values, c, cfg.net.conditional, info.num_classes)


def build(cfg: Settings, info: DataInfo) -> Method:
    """The VDM Method for gray data ``info`` in [-1, 1]."""
    m, c = model_of(cfg, info), cfg.vdm
    net, schedule = m.net, m.schedule

    def init(key, batch):
        x = batch["image"]
        k_net, k_schedule = jax.random.split(key)
        t = jnp.zeros((x.shape[0],))
        score = net.init(k_net, x, t, labels_of(batch, m.conditional))
        return {"score": score, "schedule": schedule.init(k_schedule, t)}

    sample = make_sampler(functools.partial(draw, m, info), "vdm", net.num_classes, True)
    time = f"{c.timesteps} steps" if c.timesteps else "continuous time"
    estimator = f"variational bound ({time}), {cfg.bound.bpd_samples} draws, unconditional"
    return Method(
        name="vdm",
        init=init,
        loss=stateless(functools.partial(loss, m)),
        eval_metrics=functools.partial(eval_metrics, m),
        sample=sample,
        trajectory=True,
        conditional=m.conditional,
        report=functools.partial(report, m, info, cfg.bound, sample),
        scores={
            "bound": Score(
                fn=functools.partial(bound_score, m, cfg.bound.bpd_samples),
                estimator=estimator,
                nats=True,
            )
        },
    )
