"""Adversarial family glue: GAN and class-conditional GAN (two players, each with its own
optimizer; the generator's EMA is what is evaluated and sampled)."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.inference import interpolation_grids, perturbation_sensitivity, traversal_grid
from genjax.losses import ADVERSARIAL_LOSSES, gradient_penalty, r1_penalty
from genjax.methods.base import DataInfo, Method, Player, check_choice, display
from genjax.methods.likelihood import class_labels
from genjax.models.gan import ARCHITECTURES, CONDITIONING, Discriminator, Generator
from genjax.train.optim import player_optimizer

VARIANTS = ("gan", "cgan")


def build_networks(
    config: ml_collections.ConfigDict, info: DataInfo, conditional: bool
) -> tuple[Generator, Discriminator]:
    """The generator and discriminator described by ``config.model`` for data ``info``."""
    m = config.model
    check_choice("model.architecture", m.architecture, ARCHITECTURES)
    check_choice("model.conditioning", m.conditioning, CONDITIONING)
    check_choice("loss.adversarial", config.loss.adversarial, ADVERSARIAL_LOSSES)
    if info.binary:
        raise ValueError(
            "adversarial models need continuous pixels (a discriminator tells binary data from "
            "any smooth output at a glance): set data.variant='gray'"
        )
    if conditional and info.num_classes == 0:
        raise ValueError("a conditional model needs a labelled dataset (this one has no labels)")
    classes = info.num_classes if conditional else 0
    generator = Generator(
        image_shape=info.image_shape,
        architecture=m.architecture,
        hidden=tuple(m.generator_hidden),
        conv_features=tuple(m.generator_features),
        num_classes=classes,
        output="tanh" if info.pixel_range == "symmetric" else "sigmoid",
    )
    discriminator = Discriminator(
        image_shape=info.image_shape,
        architecture=m.architecture,
        hidden=tuple(m.discriminator_hidden),
        conv_features=tuple(m.discriminator_features),
        num_classes=classes,
        conditioning=m.conditioning,
        spectral_norm=m.spectral_norm,
        power_iterations=m.power_iterations,
    )
    return generator, discriminator


def penalties(loss_cfg, apply_fn, real, fake, key) -> tuple[jax.Array, dict[str, jax.Array]]:
    """λ·gradient penalty + (γ/2)·R1, each only when its weight in ``config.loss`` is > 0."""
    total, metrics = 0.0, {}
    if loss_cfg.gradient_penalty > 0:
        metrics["gradient_penalty"] = gradient_penalty(apply_fn, real, fake, key)
        total = total + loss_cfg.gradient_penalty * metrics["gradient_penalty"]
    if loss_cfg.r1 > 0:
        metrics["r1"] = r1_penalty(apply_fn, real)
        total = total + 0.5 * loss_cfg.r1 * metrics["r1"]
    return total, metrics


def latent_images(decode, key: jax.Array, latent_dim: int) -> dict[str, np.ndarray]:
    """Interpolations (lerp and slerp) between prior draws, and a traversal of the 10 latent
    dimensions that move the output most (``perturbation_sensitivity`` over 256 draws).

    Args:
      decode: latents [N, D] -> images [N, H, W, C] in [0, 1].
      key: draws the endpoints, the base point and the probe codes.
      latent_dim: D.
    """
    k_ends, k_probe, k_base = jax.random.split(key, 3)
    ends = jax.random.normal(k_ends, (2, 8, latent_dim))
    grids = interpolation_grids(decode, ends[0], ends[1], 10)
    probe = jax.random.normal(k_probe, (256, latent_dim))
    order = np.argsort(-np.asarray(perturbation_sensitivity(decode, probe)))[:10]
    base = jax.random.normal(k_base, (latent_dim,))
    grids["traversal"] = traversal_grid(decode, base, order, jnp.linspace(-3.0, 3.0, 9))
    return {name: np.asarray(grid) for name, grid in grids.items()}


def adversarial_players(
    config: ml_collections.ConfigDict, discriminator_loss, generator_loss
) -> tuple[Player, Player]:
    """The discriminator (``train.n_critic`` updates per step, no EMA), then the generator
    (one update, EMA kept), each with its optimizer from ``config.optim`` and its overrides."""
    n_critic = int(config.train.n_critic)
    return (
        Player(
            "discriminator",
            discriminator_loss,
            player_optimizer(config, "discriminator", n_critic),
            repeats=n_critic,
        ),
        Player("generator", generator_loss, player_optimizer(config, "generator"), ema=True),
    )


def make(config: ml_collections.ConfigDict, info: DataInfo, variant: str = "gan") -> Method:
    """Build the method ``variant`` (one of VARIANTS).

    Args:
      config: the experiment config (model, loss, optim, train.n_critic).
      info: the data's shape, classes and range.
      variant: "gan" or "cgan" (labels into generator and discriminator).

    Returns:
      A two-player Method: the discriminator (``train.n_critic`` updates per step), then the
      generator (one update, EMA kept).
    """
    check_choice("GAN variant", variant, VARIANTS)
    conditional = variant == "cgan"
    generator, discriminator = build_networks(config, info, conditional)
    game = ADVERSARIAL_LOSSES[config.loss.adversarial]
    latent_dim = int(config.model.latent_dim)

    def labels(batch):
        return batch["label"] if conditional else None

    def fake_images(params, key, num, y):
        return generator.apply(params["generator"], jax.random.normal(key, (num, latent_dim)), y)

    def critic(params, y):
        return lambda x: discriminator.apply(params["discriminator"], x, y)[0]

    def init(key, batch):
        k_g, k_d = jax.random.split(key)
        x, y = batch["image"], labels(batch)
        z = jnp.zeros((x.shape[0], latent_dim), x.dtype)
        return {
            "generator": generator.init(k_g, z, y),
            "discriminator": discriminator.init(k_d, x, y),
        }

    def discriminator_loss(params, batch, key):
        k_z, k_pen = jax.random.split(key)
        x, y = batch["image"], labels(batch)
        fake = fake_images(params, k_z, x.shape[0], y)
        apply_fn = critic(params, y)
        loss, metrics = game.discriminator(apply_fn(x), apply_fn(fake))
        penalty, extra = penalties(config.loss, apply_fn, x, fake, k_pen)
        return loss + penalty, {**metrics, **extra}

    def generator_loss(params, batch, key):
        y = labels(batch)
        fake = fake_images(params, key, batch["image"].shape[0], y)
        return game.generator(critic(params, y)(fake))

    def eval_metrics(params, batch, key):
        x, y = batch["image"], labels(batch)
        apply_fn = critic(params, y)
        return {"d_real": apply_fn(x), "d_fake": apply_fn(fake_images(params, key, x.shape[0], y))}

    @functools.partial(jax.jit, static_argnums=2)
    def generate(params, key, num, y=None):
        return display(fake_images(params, key, num, y), info)

    def sample(params, key, num):
        return generate(params, key, num, class_labels(num, info.num_classes if conditional else 0))

    def report(params, batches, key):
        del batches  # the grids need no data
        label = jnp.zeros((), jnp.int32)  # conditional grids hold the class fixed

        @jax.jit
        def decode(z):
            y = jnp.full((z.shape[0],), label) if conditional else None
            return display(generator.apply(params["generator"], z, y), info)

        return {}, latent_images(decode, key, latent_dim)

    players = adversarial_players(config, discriminator_loss, generator_loss)
    return Method(variant, init, None, eval_metrics, sample, report, generate, conditional, players)
