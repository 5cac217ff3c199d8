"""Paired translation: pix2pix (Isola et al. 2017; a U-Net generator, a conditional PatchGAN
that judges (input, output) pairs, and λ·L1 to the target) and its L1-only baseline (the same
U-Net trained on L1 alone, which the paper shows gives blurry, desaturated averages).

Each step is the authors' order: the discriminator's update on real pairs and fakes of the
current generator, then the generator's (adversarial + λ·L1) against the updated
discriminator. The generator's output is recomputed in its own update (its dropout mask then
differs from the one the discriminator saw: both are draws of the same noise).
"""

import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp

from genjax.data import DataInfo
from genjax.losses import PATCH_GAN_LOSSES, l1_loss
from genjax.methods.base import Method, Player, stateless
from genjax.methods.translation import (
    TranslationConfig,
    build_discriminator,
    build_generator,
    center,
    check_translation_data,
    grid_rows,
    jitter,
    per_example_l1,
    with_luma,
)
from genjax.methods.translation import read_config as read_translation
from genjax.optim import make_optimizer

PLAYERS = ("discriminator", "generator")
VARIANTS = ("pix2pix", "l1")


def read_config(config: Mapping, variant: str, strict: bool = True) -> TranslationConfig:
    """The typed settings of ``variant`` ("pix2pix" or "l1")."""
    players = PLAYERS if variant == "pix2pix" else ()
    return read_translation(config, variant, players, strict)


def _views(info: DataInfo, batch, key, train: bool):
    """(input, target) at the model's size: jittered together in training, else as stored."""
    x, y = batch["input"], batch["image"]
    size = info.image_shape[0]
    if not train:
        return x, y
    both = jitter(key, jnp.concatenate([x, y], axis=-1), size, info.flip)
    return both[..., : x.shape[-1]], both[..., x.shape[-1] :]


def _translate(generator, params, x, key, dropout: bool, keep_luma: bool):
    out = generator.apply(params["generator"], x, dropout=dropout, rngs={"dropout": key})
    return with_luma(out, x) if keep_luma else out


def discriminator_loss(nets, cfg: TranslationConfig, info: DataInfo, params, batch, key):
    """0.5 (D(x, y) real + D(x, G(x)) fake) on patch logits."""
    k_jit, k_drop = jax.random.split(key)
    x, y = _views(info, batch, k_jit, train=True)
    generator, discriminator = nets
    fake = jax.lax.stop_gradient(
        _translate(generator, params, x, k_drop, True, cfg.model.keep_luma)
    )
    judge = lambda out: discriminator.apply(params["discriminator"], jnp.concatenate([x, out], -1))
    return PATCH_GAN_LOSSES[cfg.loss.adversarial].discriminator(judge(y), judge(fake))


def generator_loss(nets, cfg: TranslationConfig, info: DataInfo, params, batch, key):
    """The adversarial term on D(x, G(x)) plus λ_L1 · |G(x) − y| (L1 alone for "l1")."""
    k_jit, k_drop = jax.random.split(key)
    x, y = _views(info, batch, k_jit, train=True)
    generator, discriminator = nets
    fake = _translate(generator, params, x, k_drop, True, cfg.model.keep_luma)
    l1 = l1_loss(fake, y)
    if cfg.variant == "l1":
        return l1, {"l1": l1}
    scores = discriminator.apply(params["discriminator"], jnp.concatenate([x, fake], -1))
    adversarial, metrics = PATCH_GAN_LOSSES[cfg.loss.adversarial].generator(scores)
    return adversarial + cfg.loss.l1_weight * l1, {**metrics, "l1": l1}


def build(cfg: TranslationConfig, info: DataInfo) -> Method:
    """The paired Method of ``cfg`` ("pix2pix": two players; "l1": one loss)."""
    check_translation_data(info, cfg.variant, "paired")
    size, out_channels = info.image_shape[0], info.image_shape[-1]
    in_channels = info.input_shape[-1]
    if cfg.model.keep_luma and (in_channels, out_channels) != (1, 3):
        raise ValueError(
            f"model.keep_luma keeps a gray input's luma in an RGB output; this data maps "
            f"{in_channels} to {out_channels} channels: set model.keep_luma=False"
        )
    nets = (build_generator(cfg.model, size, out_channels), build_discriminator(cfg.model))
    test_dropout = cfg.model.test_dropout and cfg.model.dropout > 0

    def init(key, batch):
        k_g, k_d, k_drop = jax.random.split(key, 3)
        x, y = center(batch["input"], size), center(batch["image"], size)
        params = {"generator": nets[0].init({"params": k_g, "dropout": k_drop}, x, dropout=False)}
        if cfg.variant == "pix2pix":
            params["discriminator"] = nets[1].init(k_d, jnp.concatenate([x, y], -1))
        return params

    def translate(params, x, key, reverse: bool = False):
        if reverse:
            raise ValueError(f"method {cfg.variant} translates one way only (input -> target)")
        return _translate(nets[0], params, x, key, test_dropout, cfg.model.keep_luma)

    def eval_metrics(params, batch, key):
        out = translate(params, batch["input"], key)
        return {"l1": per_example_l1(out, batch["image"])}

    def report(params, batches, key):
        batch, _ = next(iter(batches))
        x, y = batch["input"][:8], batch["image"][:8]
        out = jax.jit(translate)(params, x, key)
        return {}, {"translation": grid_rows(x, out, y, labels=("input", "output", "target"))}

    g_loss = functools.partial(generator_loss, nets, cfg, info)
    common = dict(name=cfg.variant, init=init, eval_metrics=eval_metrics, report=report)
    if cfg.variant == "l1":
        return Method(**common, loss=stateless(g_loss), translate=translate)
    players = (
        Player(
            name="discriminator",
            loss=stateless(functools.partial(discriminator_loss, nets, cfg, info)),
            tx=make_optimizer(cfg.optimizers["discriminator"], cfg.steps),
        ),
        Player(
            name="generator",
            loss=stateless(g_loss),
            tx=make_optimizer(cfg.optimizers["generator"], cfg.steps),
            ema=True,
        ),
    )
    return Method(**common, players=players, translate=translate)
