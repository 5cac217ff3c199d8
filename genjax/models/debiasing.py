"""The debiasing VAE's network (Amini et al. 2019): one encoder whose output is a binary
classifier's logit and a Gaussian posterior over L latents; a decoder from the latents."""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class DebiasingVAE(nn.Module):
    """MLP encoder -> (logit, mean, log_var); MLP decoder -> images in [0, 1].

    Attributes:
      hidden: widths of the encoder's hidden layers (the decoder's, reversed).
      latent_dim: L.
      image_shape: (H, W, C) of the images.
    """

    hidden: Sequence[int]
    latent_dim: int
    image_shape: tuple[int, int, int]

    def setup(self):
        self.encoder = [nn.Dense(w, name=f"encoder_{i}") for i, w in enumerate(self.hidden)]
        self.head = nn.Dense(1 + 2 * self.latent_dim)
        widths = list(reversed(self.hidden))
        self.decoder = [nn.Dense(w, name=f"decoder_{i}") for i, w in enumerate(widths)]
        h, w, c = self.image_shape
        self.decoder_out = nn.Dense(h * w * c)

    def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """(logits [B], mean [B, L], log_var [B, L]) of images [B, H, W, C]."""
        h = x.reshape(x.shape[0], -1)
        for layer in self.encoder:
            h = nn.relu(layer(h))
        out = self.head(h)
        mean, log_var = jnp.split(out[:, 1:], 2, axis=-1)
        return out[:, 0], mean, jnp.clip(log_var, -12.0, 8.0)

    def decode(self, z: jax.Array) -> jax.Array:
        """Reconstructions [B, H, W, C] in [0, 1] of latents [B, L]."""
        h = z
        for layer in self.decoder:
            h = nn.relu(layer(h))
        return nn.sigmoid(self.decoder_out(h)).reshape(z.shape[0], *self.image_shape)

    def __call__(self, x: jax.Array, key: jax.Array) -> dict[str, jax.Array]:
        """Encode, draw one reparametrised z, decode."""
        logits, mean, log_var = self.encode(x)
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape, mean.dtype)
        return {
            "logits": logits,
            "mean": mean,
            "log_var": log_var,
            "reconstruction": self.decode(z),
        }
