"""VAE-GAN (Larsen et al. 2016): a VAE whose decoder is also a GAN's generator, with the
reconstruction measured in the discriminator's features instead of pixels.

Two players. The discriminator tells data from reconstructions and prior samples. The
"generator" player holds encoder and decoder, trained with their own gradients as in the
paper: the encoder by KL + feature error, the decoder by γ·feature error plus the
adversarial loss on its reconstructions and prior samples.
"""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.losses import ADVERSARIAL_LOSSES, kl_diag_gaussians
from genjax.methods.base import DataInfo, Method, display
from genjax.methods.gan import adversarial_players, build_networks, latent_images, penalties
from genjax.models.autoencoder import Encoder


def feature_error(features_fake: jax.Array, features_real: jax.Array) -> jax.Array:
    """½||f(x̃) - f(x)||² per example: -log N(f(x) | f(x̃), I) up to a constant."""
    return 0.5 * jnp.sum((features_fake - features_real) ** 2, axis=-1)


def make(config: ml_collections.ConfigDict, info: DataInfo) -> Method:
    """Build the VAE-GAN.

    Args:
      config: the experiment config (model; loss.kl_weight, loss.decoder_feature_weight γ,
        loss.pixel_weight, the adversarial game and its penalties; optim; train.n_critic).
      info: the data's shape, classes and range.

    Returns:
      A two-player Method; generate decodes z ~ N(0, I) with the EMA decoder.
    """
    generator, discriminator = build_networks(config, info, conditional=False)
    m, loss_cfg = config.model, config.loss
    encoder = Encoder(
        image_shape=info.image_shape,
        out_dim=2 * int(m.latent_dim),
        architecture=m.architecture,
        hidden=tuple(m.encoder_hidden),
        conv_features=tuple(m.discriminator_features),
    )
    game = ADVERSARIAL_LOSSES[loss_cfg.adversarial]
    latent_dim = int(m.latent_dim)
    gamma = float(loss_cfg.decoder_feature_weight)

    def encode(params, x):
        return jnp.split(encoder.apply(params["generator"]["encoder"], x), 2, axis=-1)

    def decode(params, z):
        return generator.apply(params["generator"]["decoder"], z)

    def critic(params):
        return lambda x: discriminator.apply(params["discriminator"], x)

    def fakes(params, x, key):
        """Posterior draws z ~ q(z|x) with their decodings, and decoded prior draws."""
        k_eps, k_prior = jax.random.split(key)
        mean, log_var = encode(params, x)
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(k_eps, mean.shape, mean.dtype)
        prior = decode(params, jax.random.normal(k_prior, mean.shape, mean.dtype))
        return mean, log_var, z, prior

    def init(key, batch):
        k_e, k_g, k_d = jax.random.split(key, 3)
        x = batch["image"]
        z = jnp.zeros((x.shape[0], latent_dim), x.dtype)
        return {
            "generator": {"encoder": encoder.init(k_e, x), "decoder": generator.init(k_g, z)},
            "discriminator": discriminator.init(k_d, x),
        }

    def discriminator_loss(params, batch, key):
        k_fake, k_pen = jax.random.split(key)
        x = batch["image"]
        _, _, z, prior = fakes(params, x, k_fake)
        fake = jnp.concatenate([decode(params, z), prior])
        score = lambda v: critic(params)(v)[0]
        loss, metrics = game.discriminator(score(x), score(fake))
        penalty, extra = penalties(loss_cfg, score, x, fake[: x.shape[0]], k_pen)
        return loss + penalty, {**metrics, **extra}

    def generator_loss(params, batch, key):
        x = batch["image"]
        mean, log_var, z, prior = fakes(params, x, key)
        recon = decode(params, z)  # gradients reach encoder and decoder
        recon_dec = decode(params, jax.lax.stop_gradient(z))  # the decoder's own terms
        # One discriminator pass over all four sets (it has no batch statistics).
        scores, feats = critic(params)(jnp.concatenate([x, recon, recon_dec, prior]))
        real_f, recon_f, recon_dec_f, _ = jnp.split(feats, 4)
        err = feature_error(recon_f, real_f)
        err_dec = feature_error(recon_dec_f, real_f)
        kl = kl_diag_gaussians(mean, log_var)
        adversarial, _ = game.generator(scores[2 * x.shape[0] :])  # recon_dec and prior
        pixel = 0.5 * jnp.sum((recon - x).reshape(x.shape[0], -1) ** 2, axis=-1)
        # Encoder: KL + err (+ pixel). Decoder: err + (γ - 1) err = γ err, + adversarial.
        loss = jnp.mean(
            loss_cfg.kl_weight * kl + err + (gamma - 1.0) * err_dec + loss_cfg.pixel_weight * pixel
        )
        metrics = {"kl": jnp.mean(kl), "feature_error": jnp.mean(err), "g_adversarial": adversarial}
        return loss + adversarial, metrics

    def eval_metrics(params, batch, key):
        x = batch["image"]
        mean, log_var, z, _ = fakes(params, x, key)
        recon = decode(params, z)
        scores, feats = critic(params)(jnp.concatenate([x, recon]))
        real_f, recon_f = jnp.split(feats, 2)
        return {
            "kl": kl_diag_gaussians(mean, log_var),
            "feature_error": feature_error(recon_f, real_f),
            "pixel_mse": jnp.mean((recon - x).reshape(x.shape[0], -1) ** 2, axis=-1),
            "d_real": scores[: x.shape[0]],
        }

    @functools.partial(jax.jit, static_argnums=2)
    def generate(params, key, num, y=None):
        del y  # unconditional
        return display(decode(params, jax.random.normal(key, (num, latent_dim))), info)

    def sample(params, key, num):
        return generate(params, key, num)

    @jax.jit
    def reconstruct(params, x):
        return display(decode(params, encode(params, x)[0]), info)

    def report(params, batches, key):
        x = next(iter(batches))[0]["image"][:8]
        recon = np.stack([np.asarray(display(x, info)), np.asarray(reconstruct(params, x))])
        decode_fn = jax.jit(lambda z: display(decode(params, z), info))
        return {}, {"reconstructions": recon, **latent_images(decode_fn, key, latent_dim)}

    players = adversarial_players(config, discriminator_loss, generator_loss)
    return Method("vaegan", init, None, eval_metrics, sample, report, generate, False, players)
