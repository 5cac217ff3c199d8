"""What the translation methods share (pix2pix, its L1-only baseline, CycleGAN): typed model
and loss sections, the networks of the authors' repository built for the data, and the random
jitter (crop, flip) done on device so that every step's augmentation comes from its key.

Images are model-space, [-1, 1] (tanh outputs), as in Isola et al. 2017 and Zhu et al. 2017.
"""

import dataclasses
import math
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from genjax import viz
from genjax.checks import check_at_least, check_choice, read_borrowed, read_section
from genjax.data import DataInfo
from genjax.data.embedded.photos import LUMA
from genjax.losses import PATCH_GAN_LOSSES
from genjax.models.translation import PatchDiscriminator, ResnetGenerator, UNetGenerator
from genjax.optim import OptimConfig

GENERATORS = ("unet", "resnet")
NORMS = ("batch", "instance", "none")
# Fields of config.model and config.loss that only some translation methods read.
ONLY = {
    "discriminator_features": ("pix2pix", "cyclegan"),
    "discriminator_layers": ("pix2pix", "cyclegan"),
    "adversarial": ("pix2pix", "cyclegan"),
    "l1_weight": ("pix2pix",),
    "cycle_weight": ("cyclegan",),
    "identity_weight": ("cyclegan",),
    "pool_size": ("cyclegan",),
    "keep_luma": ("pix2pix", "l1"),
}


@dataclasses.dataclass(frozen=True)
class TranslationModel:
    """``config.model``: the authors' networks.

    Attributes:
      generator: "unet" (pix2pix's, with skips) or "resnet" (CycleGAN's).
      generator_features: ngf, the first layer's width.
      num_downs: U-Net downsamplings; 0: log2 of the image size (a 1x1 bottleneck, the
        paper's 8 at 256 px).
      resnet_blocks: residual blocks of the ResNet generator (9 at 256 px, 6 at 128).
      discriminator_features: ndf of the PatchGAN.
      discriminator_layers: its stride-2 layers (3: the 70x70 PatchGAN).
      norm: "batch" (the current batch's statistics, at test time too: the authors' default
        run without --eval), "instance" or "none".
      dropout: generator dropout (pix2pix's U-Net: 0.5, its only noise; CycleGAN: 0).
      test_dropout: keep dropout on when translating test images (pix2pix does).
      keep_luma: colorization: the output keeps the input's BT.601 luma and the generator
        supplies only the chrominance (``with_luma``): the authors' colorization predicts
        Lab's ab from L; this is its linear form, in which the gray input is exactly the
        output of zero chrominance.
    """

    generator: str = "unet"
    generator_features: int = 64
    num_downs: int = 0
    resnet_blocks: int = 9
    discriminator_features: int = 64
    discriminator_layers: int = 3
    norm: str = "batch"
    dropout: float = 0.5
    test_dropout: bool = True
    keep_luma: bool = False

    def __post_init__(self):
        check_choice("model.generator", self.generator, GENERATORS)
        check_choice("model.norm", self.norm, NORMS)
        check_at_least("model.generator_features", self.generator_features, 1)
        check_at_least("model.num_downs", self.num_downs, 0)
        check_at_least("model.discriminator_layers", self.discriminator_layers, 1)
        check_at_least("model.dropout", self.dropout, 0.0)


@dataclasses.dataclass(frozen=True)
class TranslationLoss:
    """``config.loss``: the game ("vanilla" BCE or "lsgan") and the weights of the authors:
    λ_L1 = 100 (pix2pix), λ_cycle = 10 and λ_identity = 0.5 (CycleGAN, as a fraction of
    λ_cycle), and the image pool of 50 past fakes (CycleGAN)."""

    adversarial: str = "vanilla"
    l1_weight: float = 100.0
    cycle_weight: float = 10.0
    identity_weight: float = 0.5
    pool_size: int = 50

    def __post_init__(self):
        check_choice("loss.adversarial", self.adversarial, PATCH_GAN_LOSSES)
        for name in ("l1_weight", "cycle_weight", "identity_weight"):
            check_at_least(f"loss.{name}", getattr(self, name), 0.0)
        check_at_least("loss.pool_size", self.pool_size, 0)


@dataclasses.dataclass(frozen=True)
class Steps:
    """``train.steps``: the players' schedules run over the whole run."""

    steps: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class TranslationConfig:
    """Typed settings of pix2pix, l1 and cyclegan."""

    variant: str
    model: TranslationModel
    loss: TranslationLoss
    optimizers: dict[str, OptimConfig]
    steps: int


def read_config(
    config: Mapping, variant: str, players: tuple[str, ...], strict: bool = True
) -> TranslationConfig:
    """``config.model``, ``config.loss``, ``config.optim`` (with per-player overrides) and
    ``train.steps`` as ``variant``'s typed settings."""
    owner = f"method {variant}"
    applicable = lambda cls: (
        {f.name for f in dataclasses.fields(cls)}
        - {f for f, methods in ONLY.items() if variant not in methods}
    )
    optim = config.get("optim") or {}
    return TranslationConfig(
        variant=variant,
        model=read_section(
            config.get("model"),
            TranslationModel,
            "model",
            owner=owner,
            applicable=applicable(TranslationModel),
            strict=strict,
        ),
        loss=read_section(
            config.get("loss"),
            TranslationLoss,
            "loss",
            owner=owner,
            applicable=applicable(TranslationLoss),
            strict=strict,
        ),
        optimizers={p: OptimConfig.for_player(optim, p, strict) for p in players},
        steps=read_borrowed(config.get("train"), Steps, "train", owner, strict).steps,
    )


def check_translation_data(info: DataInfo, variant: str, pairing: str) -> None:
    """One-line errors for data a translation method cannot train on."""
    if info.pairing != pairing:
        have = f"{info.pairing} translation" if info.pairing else "not translation data"
        valid = "photo_colorization, photo_edges, folder:PATH (train/, test/)"
        if pairing == "unpaired":
            valid = "digits_mnist5k, cycle_gan/NAME, folder:PATH (trainA/, trainB/, ...)"
        raise ValueError(
            f"method {variant} needs {pairing} translation data and data.name gives {have}: "
            f"use one of {valid}"
        )


def build_generator(model: TranslationModel, size: int, out_channels: int):
    """The generator of ``model`` for square images of ``size`` pixels."""
    if model.generator == "resnet":
        return ResnetGenerator(
            out_channels=out_channels,
            features=model.generator_features,
            num_blocks=model.resnet_blocks,
            norm=model.norm,
            dropout=model.dropout,
        )
    num_downs = model.num_downs or int(round(math.log2(size)))
    if size % (2**num_downs):
        raise ValueError(
            f"the U-Net's {num_downs} downsamplings need an image size divisible by "
            f"{2**num_downs}; got {size}: set data.image_size or model.num_downs"
        )
    return UNetGenerator(
        out_channels=out_channels,
        num_downs=num_downs,
        features=model.generator_features,
        norm=model.norm,
        dropout=model.dropout,
    )


def with_luma(rgb: jax.Array, luma: jax.Array) -> jax.Array:
    """``rgb`` with its BT.601 luma replaced by ``luma``: rgb − Y(rgb) + luma on each channel.

    Y's weights sum to 1, so Y(result) = luma exactly, in any affine pixel range (model space
    [-1, 1] included); the chrominance (rgb − Y(rgb)) is kept.

    Args:
      rgb: [..., 3] images.
      luma: [..., 1] the luma to keep.

    Returns:
      [..., 3].
    """
    y = rgb @ jnp.asarray(LUMA, rgb.dtype)
    return rgb - y[..., None] + luma


def build_discriminator(model: TranslationModel) -> PatchDiscriminator:
    """The PatchGAN of ``model``."""
    return PatchDiscriminator(
        features=model.discriminator_features,
        num_layers=model.discriminator_layers,
        norm=model.norm,
    )


def jitter(key: jax.Array, images: jax.Array, size: int, flip: bool) -> jax.Array:
    """The authors' training augmentation, per example: a random ``size`` x ``size`` crop
    (images stored at data.load_size) and, with ``flip``, a horizontal flip half the time.

    Args:
      key: this step's augmentation key.
      images: [B, H, W, C] with H, W >= size (paired data: input and target concatenated on
        channels, so both get the same crop and flip).
      size: the crop.
      flip: mirror half of the examples.

    Returns:
      [B, size, size, C].
    """
    b, h, w, c = images.shape
    k_crop, k_flip = jax.random.split(key)
    if (h, w) != (size, size):
        high = jnp.array([h - size + 1, w - size + 1])
        corners = jax.random.randint(k_crop, (b, 2), 0, high)
        crop = lambda im, o: jax.lax.dynamic_slice(im, (o[0], o[1], 0), (size, size, c))
        images = jax.vmap(crop)(images, corners)
    if flip:
        mirror = jax.random.bernoulli(k_flip, 0.5, (b, 1, 1, 1))
        images = jnp.where(mirror, images[:, :, ::-1], images)
    return images


def center(images: jax.Array, size: int) -> jax.Array:
    """The central ``size`` x ``size`` window (an example batch stored at load_size)."""
    h, w = images.shape[1:3]
    top, left = (h - size) // 2, (w - size) // 2
    return images[:, top : top + size, left : left + size]


def per_example_l1(x: jax.Array, y: jax.Array) -> jax.Array:
    """Mean absolute error of each example, [B] (model space, [-1, 1])."""
    return jnp.mean(jnp.abs(x - y).reshape(x.shape[0], -1), axis=1)


def grid_rows(*rows: jax.Array, labels: Sequence[str] = ()) -> viz.Labelled:
    """Rows of model-space images -> [rows, N, H, W, 3] in [0, 1] (gray repeated to RGB), each
    row named by ``labels``."""
    to_rgb = lambda x: jnp.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x
    return viz.Labelled(np.stack([np.asarray((to_rgb(r) + 1.0) / 2.0) for r in rows]), labels)
