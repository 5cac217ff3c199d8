"""VAE-GAN (Larsen et al. 2016): a VAE whose decoder is also a GAN's generator, with the
reconstruction measured in the discriminator's features instead of pixels.

Two players. The discriminator tells data from reconstructions and prior samples. The
"generator" player holds encoder and decoder, trained with their own gradients as in the
paper: the encoder by KL + feature error, the decoder by γ·feature error plus the
adversarial loss on its reconstructions and prior samples.
"""

import functools
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp

from genjax.data import DataInfo, display
from genjax.losses import (
    ADVERSARIAL_LOSSES,
    adversarial_penalties,
    feature_matching_error,
    kl_diag_gaussians,
    reparameterize,
)
from genjax.methods import gan
from genjax.methods.base import Method
from genjax.methods.common import (
    make_latent_decoder,
    make_sampler,
    originals_over_reconstructions,
)
from genjax.models.autoencoder import Encoder
from genjax.models.gan import Discriminator, Generator


class VAEGANNets(NamedTuple):
    encoder: Encoder
    decoder: Generator
    discriminator: Discriminator
    latent_dim: int


def read_config(config: Mapping, strict: bool = True) -> gan.GANConfig:
    """The GAN family's typed settings with the VAE-GAN's fields."""
    return gan.read_config(config, "vaegan", strict)


def encode(nets: VAEGANNets, params, x) -> tuple[jax.Array, jax.Array]:
    """q(z | x)'s mean and log-variance."""
    return jnp.split(nets.encoder.apply(params["generator"]["encoder"], x), 2, axis=-1)


def decode(nets: VAEGANNets, params, z) -> jax.Array:
    return nets.decoder.apply(params["generator"]["decoder"], z)


def critic(nets: VAEGANNets, params, x) -> tuple[jax.Array, jax.Array]:
    """(scores, features) of the discriminator."""
    return nets.discriminator.apply(params["discriminator"], x)


def fakes(nets: VAEGANNets, params, x, key):
    """q's mean and log-variance, a posterior draw z, and decoded prior draws."""
    k_eps, k_prior = jax.random.split(key)
    mean, log_var = encode(nets, params, x)
    z = reparameterize(k_eps, mean, log_var)
    prior = decode(nets, params, jax.random.normal(k_prior, mean.shape, mean.dtype))
    return mean, log_var, z, prior


def discriminator_loss(nets: VAEGANNets, game: gan.GameConfig, params, batch, key):
    """Data against reconstructions and prior samples, plus the game's penalties."""
    k_fake, k_pen = jax.random.split(key)
    x = batch["image"]
    _, _, z, prior = fakes(nets, params, x, k_fake)
    fake = jnp.concatenate([decode(nets, params, z), prior])
    score = lambda v: critic(nets, params, v)[0]
    value, metrics = ADVERSARIAL_LOSSES[game.adversarial].discriminator(score(x), score(fake))
    penalty, extra = adversarial_penalties(
        score, x, fake[: x.shape[0]], k_pen, game.gradient_penalty, game.r1
    )
    return value + penalty, {**metrics, **extra}


def generator_loss(nets: VAEGANNets, game: gan.GameConfig, params, batch, key):
    """Encoder: KL + feature error (+ pixel error). Decoder: γ · feature error + the
    adversarial loss on its reconstructions and prior samples."""
    x = batch["image"]
    mean, log_var, z, prior = fakes(nets, params, x, key)
    recon = decode(nets, params, z)  # gradients reach encoder and decoder
    recon_dec = decode(nets, params, jax.lax.stop_gradient(z))  # the decoder's own terms
    # One discriminator pass over all four sets (it has no batch statistics).
    scores, feats = critic(nets, params, jnp.concatenate([x, recon, recon_dec, prior]))
    real_f, recon_f, recon_dec_f, _ = jnp.split(feats, 4)
    err = feature_matching_error(recon_f, real_f)
    err_dec = feature_matching_error(recon_dec_f, real_f)
    kl = kl_diag_gaussians(mean, log_var)
    adversarial, _ = ADVERSARIAL_LOSSES[game.adversarial].generator(scores[2 * x.shape[0] :])
    pixel = 0.5 * jnp.sum((recon - x).reshape(x.shape[0], -1) ** 2, axis=-1)
    # Decoder: err + (γ - 1) err_dec = γ err in its gradient.
    gamma = game.decoder_feature_weight
    value = jnp.mean(
        game.kl_weight * kl + err + (gamma - 1.0) * err_dec + game.pixel_weight * pixel
    )
    metrics = {"kl": jnp.mean(kl), "feature_error": jnp.mean(err), "g_adversarial": adversarial}
    return value + adversarial, metrics


def eval_metrics(nets: VAEGANNets, params, batch, key) -> dict[str, jax.Array]:
    """Per-example KL, feature error, pixel MSE of reconstructions, and the data's score."""
    x = batch["image"]
    mean, log_var, z, _ = fakes(nets, params, x, key)
    recon = decode(nets, params, z)
    scores, feats = critic(nets, params, jnp.concatenate([x, recon]))
    real_f, recon_f = jnp.split(feats, 2)
    return {
        "kl": kl_diag_gaussians(mean, log_var),
        "feature_error": feature_matching_error(recon_f, real_f),
        "pixel_mse": jnp.mean((recon - x).reshape(x.shape[0], -1) ** 2, axis=-1),
        "d_real": scores[: x.shape[0]],
    }


def draw(nets: VAEGANNets, info: DataInfo, params, key, num, labels, mean, trajectory):
    """Decoded prior draws z ~ N(0, I) as images in [0, 1]."""
    del labels, mean, trajectory
    return display(decode(nets, params, jax.random.normal(key, (num, nets.latent_dim))), info)


def draw_at(nets: VAEGANNets, info: DataInfo, params, key, z, labels) -> jax.Array:
    """Decoded given draws z [num, latent_dim] as images in [0, 1] (``key`` unused)."""
    del key, labels
    return display(decode(nets, params, z), info)


def report(nets: VAEGANNets, info: DataInfo, params, batches, key):
    """Reconstructions of 8 test images (posterior means) and the latent grids."""
    x = next(iter(batches))[0]["image"][:8]
    reconstruct = jax.jit(lambda p, v: display(decode(nets, p, encode(nets, p, v)[0]), info))
    recon = originals_over_reconstructions(display(x, info), reconstruct(params, x))
    decode_fn = jax.jit(lambda z: display(decode(nets, params, z), info))
    return {}, {"reconstructions": recon, **gan.latent_images(decode_fn, key, nets.latent_dim)}


def build(cfg: gan.GANConfig, info: DataInfo) -> Method:
    """The VAE-GAN's two-player Method for data ``info``."""
    generator, discriminator, latent_dim, _ = gan.build_networks(cfg, info)
    m = cfg.model
    encoder = Encoder(
        image_shape=info.image_shape,
        out_dim=2 * latent_dim,
        architecture=m.architecture,
        hidden=m.encoder_hidden,
        conv_features=m.discriminator_features,
    )
    nets = VAEGANNets(encoder, generator, discriminator, latent_dim)

    def init(key, batch):
        k_e, k_g, k_d = jax.random.split(key, 3)
        x = batch["image"]
        z = jnp.zeros((x.shape[0], latent_dim), x.dtype)
        return {
            "generator": {"encoder": encoder.init(k_e, x), "decoder": generator.init(k_g, z)},
            "discriminator": discriminator.init(k_d, x),
        }

    players = gan.adversarial_players(
        cfg,
        functools.partial(discriminator_loss, nets, cfg.game),
        functools.partial(generator_loss, nets, cfg.game),
    )
    return Method(
        name="vaegan",
        init=init,
        players=players,
        eval_metrics=functools.partial(eval_metrics, nets),
        sample=make_sampler(functools.partial(draw, nets, info), "vaegan", 0, False),
        decode_latent=make_latent_decoder(
            functools.partial(draw_at, nets, info), "vaegan", 0, nets.latent_dim
        ),
        latent_dim=nets.latent_dim,
        report=functools.partial(report, nets, info),
    )
