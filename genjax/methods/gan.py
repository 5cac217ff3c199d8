"""Adversarial family: GAN and class-conditional GAN (two players, each with its own optimizer;
the generator's EMA is what is evaluated and sampled). The typed model and game sections here
serve the VAE-GAN too (``genjax.methods.vaegan``)."""

import dataclasses
import functools
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax.checks import check_at_least, check_choice, read_borrowed, read_section
from genjax.data import DataInfo, display
from genjax.inference import interpolation_grids, perturbation_sensitivity, traversal_grid
from genjax.losses import (
    ADVERSARIAL_LOSSES,
    adversarial_penalties,
    scores_and_input_grad_sq_norms,
)
from genjax.methods.base import Method, Player, Score, stateless
from genjax.methods.common import (
    labelled_latent_grids,
    labels_of,
    make_latent_decoder,
    make_sampler,
)
from genjax.models.gan import ARCHITECTURES, CONDITIONING, Discriminator, Generator
from genjax.optim import OptimConfig, make_optimizer

VARIANTS = ("gan", "cgan")
PLAYERS = ("discriminator", "generator")
# Fields of config.model and config.loss that only some of the family's methods read.
ONLY = {"conditioning": ("cgan",), "encoder_hidden": ("vaegan",)}
VAEGAN_LOSS = ("kl_weight", "decoder_feature_weight", "pixel_weight")


@dataclasses.dataclass(frozen=True)
class GANModel:
    """``config.model``: DCGAN-style (conv: the *_features widths) or MLP (the *_hidden
    widths) networks, see ``genjax.models.gan``; conditioning for cgan, encoder_hidden (the
    VAE-GAN's encoder MLP, after the discriminator's trunk) for vaegan only."""

    architecture: str = "conv"
    latent_dim: int = 32
    generator_features: tuple[int, ...] = (64, 32)
    discriminator_features: tuple[int, ...] = (32, 64)
    generator_hidden: tuple[int, ...] = (256, 256)
    discriminator_hidden: tuple[int, ...] = (256, 256)
    conditioning: str = "projection"
    spectral_norm: bool = False
    power_iterations: int = 10
    encoder_hidden: tuple[int, ...] = (256,)

    def __post_init__(self):
        check_choice("model.architecture", self.architecture, ARCHITECTURES)
        check_choice("model.conditioning", self.conditioning, CONDITIONING)
        check_at_least("model.latent_dim", self.latent_dim, 1)


@dataclasses.dataclass(frozen=True)
class GameConfig:
    """``config.loss``: the game and its penalty weights (λ of WGAN-GP, γ of R1); the VAE-GAN
    adds its KL weight, the decoder's weight γ on the feature error, and a pixel error."""

    adversarial: str = "non_saturating"
    gradient_penalty: float = 0.0
    r1: float = 0.0
    kl_weight: float = 1.0
    decoder_feature_weight: float = 1.0
    pixel_weight: float = 0.0

    def __post_init__(self):
        check_choice("loss.adversarial", self.adversarial, ADVERSARIAL_LOSSES)
        check_at_least("loss.gradient_penalty", self.gradient_penalty, 0.0)
        check_at_least("loss.r1", self.r1, 0.0)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """What the players' optimizers read of ``config.train``: the run's steps, and n_critic,
    the discriminator's updates per step (5 for WGAN-GP)."""

    steps: int
    n_critic: int = 1

    def __post_init__(self):
        check_at_least("train.n_critic", self.n_critic, 1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class GANConfig:
    """Typed settings of gan, cgan and vaegan: networks, game, critic updates per step, the
    players' optimizers and the run's length (their schedules)."""

    variant: str
    model: GANModel
    game: GameConfig
    n_critic: int
    optimizers: dict[str, OptimConfig]
    steps: int

    @property
    def conditional(self) -> bool:
        return self.variant == "cgan"


def read_config(config: Mapping, variant: str, strict: bool = True) -> GANConfig:
    """The model, loss, optim (with optim.generator / optim.discriminator overrides) and
    train.n_critic sections as ``variant``'s typed settings."""
    owner = f"method {variant}"
    model = config.get("model") or {}
    fields = {f.name for f in dataclasses.fields(GANModel)}
    fields -= {f for f, methods in ONLY.items() if variant not in methods}
    game = {f.name for f in dataclasses.fields(GameConfig)}
    game -= set() if variant == "vaegan" else set(VAEGAN_LOSS)
    schedule = read_borrowed(config.get("train"), Schedule, "train", owner, strict)
    optim = config.get("optim") or {}
    return GANConfig(
        variant=variant,
        model=read_section(model, GANModel, "model", owner=owner, applicable=fields, strict=strict),
        game=read_section(
            config.get("loss"), GameConfig, "loss", owner=owner, applicable=game, strict=strict
        ),
        n_critic=schedule.n_critic,
        optimizers={p: OptimConfig.for_player(optim, p, strict) for p in PLAYERS},
        steps=schedule.steps,
    )


class Networks(NamedTuple):
    generator: Generator
    discriminator: Discriminator
    latent_dim: int
    conditional: bool


def build_networks(cfg: GANConfig, info: DataInfo) -> Networks:
    """The generator and discriminator of ``cfg`` for data ``info`` (one-line errors for
    binary data and for conditioning without labels)."""
    if info.binary:
        raise ValueError(
            "adversarial models need continuous pixels (a discriminator tells binary data from "
            "any smooth output at a glance): set data.variant='gray'"
        )
    if cfg.conditional and info.num_classes == 0:
        raise ValueError("a conditional model needs a labelled dataset (this one has no labels)")
    m, classes = cfg.model, info.num_classes if cfg.conditional else 0
    generator = Generator(
        image_shape=info.image_shape,
        architecture=m.architecture,
        hidden=m.generator_hidden,
        conv_features=m.generator_features,
        num_classes=classes,
        output="tanh" if info.pixel_range == "symmetric" else "sigmoid",
    )
    discriminator = Discriminator(
        image_shape=info.image_shape,
        architecture=m.architecture,
        hidden=m.discriminator_hidden,
        conv_features=m.discriminator_features,
        num_classes=classes,
        conditioning=m.conditioning,
        spectral_norm=m.spectral_norm,
        power_iterations=m.power_iterations,
    )
    return Networks(generator, discriminator, m.latent_dim, cfg.conditional)


def fake_images(nets: Networks, params, key, num: int, y) -> jax.Array:
    """G(z, y) for ``num`` draws z ~ N(0, I)."""
    z = jax.random.normal(key, (num, nets.latent_dim))
    return nets.generator.apply(params["generator"], z, y)


def critic(nets: Networks, params, y):
    """The discriminator's scores as a function of images alone (labels held at ``y``)."""
    return lambda x: nets.discriminator.apply(params["discriminator"], x, y)[0]


def discriminator_loss(nets: Networks, game: GameConfig, params, batch, key):
    """The game's discriminator loss on data and fresh fakes, plus its penalties."""
    k_z, k_pen = jax.random.split(key)
    x, y = batch["image"], labels_of(batch, nets.conditional)
    fake = fake_images(nets, params, k_z, x.shape[0], y)
    apply_fn = critic(nets, params, y)
    if game.r1 > 0:  # the scores on data and R1's input gradient from one forward pass
        d_real, real_sq = scores_and_input_grad_sq_norms(apply_fn, x)
    else:
        d_real, real_sq = apply_fn(x), None
    value, metrics = ADVERSARIAL_LOSSES[game.adversarial].discriminator(d_real, apply_fn(fake))
    penalty, extra = adversarial_penalties(
        apply_fn, x, fake, k_pen, game.gradient_penalty, game.r1, real_sq
    )
    return value + penalty, {**metrics, **extra}


def generator_loss(nets: Networks, game: GameConfig, params, batch, key):
    """The game's generator loss on fresh fakes."""
    y = labels_of(batch, nets.conditional)
    fake = fake_images(nets, params, key, batch["image"].shape[0], y)
    return ADVERSARIAL_LOSSES[game.adversarial].generator(critic(nets, params, y)(fake))


def eval_metrics(nets: Networks, params, batch, key) -> dict[str, jax.Array]:
    """Per-example discriminator scores on test data and on as many fakes."""
    x, y = batch["image"], labels_of(batch, nets.conditional)
    apply_fn = critic(nets, params, y)
    return {"d_real": apply_fn(x), "d_fake": apply_fn(fake_images(nets, params, key, len(x), y))}


# The discriminator judges realness, not density: not usable by the ratio or typicality tests.
DISCRIMINATOR = {"estimator": "minus the discriminator's output", "nats": False}


def unrealness(nets: Networks, params, batch, key) -> jax.Array:
    """Per-example minus the discriminator's output (logit or critic value) on the batch."""
    del key
    return -critic(nets, params, labels_of(batch, nets.conditional))(batch["image"])


def draw(nets: Networks, info: DataInfo, params, key, num, labels, mean, trajectory):
    """G(z, labels) as images in [0, 1] (a GAN's draw and its mean are the same)."""
    del mean, trajectory
    return display(fake_images(nets, params, key, num, labels), info)


def draw_at(nets: Networks, info: DataInfo, params, key, z, labels) -> jax.Array:
    """G(z, labels) of given draws z [num, latent_dim] as images in [0, 1] (``key`` unused:
    the generator adds no noise of its own)."""
    del key
    return display(nets.generator.apply(params["generator"], z, labels), info)


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
    values = jnp.linspace(-3.0, 3.0, 9)
    grids["traversal"] = traversal_grid(decode, base, order, values)
    return labelled_latent_grids(grids, order, np.asarray(values))


def report(nets: Networks, info: DataInfo, params, batches, key):
    """Latent grids of the generator (class 0 held fixed for a conditional one)."""
    del batches  # the grids need no data

    @jax.jit
    def decode(z):
        y = jnp.zeros((z.shape[0],), jnp.int32) if nets.conditional else None
        return display(nets.generator.apply(params["generator"], z, y), info)

    return {}, latent_images(decode, key, nets.latent_dim)


def adversarial_players(cfg: GANConfig, d_loss, g_loss) -> tuple[Player, Player]:
    """The discriminator (``n_critic`` updates per step, on its own schedule of steps ·
    n_critic updates, no EMA), then the generator (one update, EMA kept)."""
    d_tx = make_optimizer(cfg.optimizers["discriminator"], cfg.steps * cfg.n_critic)
    g_tx = make_optimizer(cfg.optimizers["generator"], cfg.steps)
    return (
        Player(name="discriminator", loss=stateless(d_loss), tx=d_tx, repeats=cfg.n_critic),
        Player(name="generator", loss=stateless(g_loss), tx=g_tx, ema=True),
    )


def build(cfg: GANConfig, info: DataInfo) -> Method:
    """The two-player Method of ``cfg`` for data ``info``."""
    nets = build_networks(cfg, info)

    def init(key, batch):
        k_g, k_d = jax.random.split(key)
        x, y = batch["image"], labels_of(batch, nets.conditional)
        z = jnp.zeros((x.shape[0], nets.latent_dim), x.dtype)
        return {
            "generator": nets.generator.init(k_g, z, y),
            "discriminator": nets.discriminator.init(k_d, x, y),
        }

    classes = info.num_classes if cfg.conditional else 0
    return Method(
        name=cfg.variant,
        init=init,
        players=adversarial_players(
            cfg,
            functools.partial(discriminator_loss, nets, cfg.game),
            functools.partial(generator_loss, nets, cfg.game),
        ),
        eval_metrics=functools.partial(eval_metrics, nets),
        sample=make_sampler(functools.partial(draw, nets, info), cfg.variant, classes, False),
        decode_latent=make_latent_decoder(
            functools.partial(draw_at, nets, info), cfg.variant, classes, nets.latent_dim
        ),
        latent_dim=nets.latent_dim,
        conditional=cfg.conditional,
        report=functools.partial(report, nets, info),
        scores={"discriminator": Score(fn=functools.partial(unrealness, nets), **DISCRIMINATOR)},
    )
