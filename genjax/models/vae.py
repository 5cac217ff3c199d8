"""Variational autoencoder networks: a Gaussian encoder q(z|x) and a decoder p(x|z)."""

import jax
import jax.numpy as jnp

from genjax.models.autoencoder import EncoderDecoder


class VAE(EncoderDecoder):
    """q(z|x) = N(mean, diag(exp(log_var))), p(z) = N(0, I), p(x|z) from ``Decoder``.

    ``encode`` returns (mean, log_var); ``decode`` returns likelihood parameters; calling the
    module draws one reparametrised z and decodes it (used for init and reconstructions).
    """

    def setup(self):
        self.encoder, self.decoder = self.make_parts(2 * self.latent_dim)

    def encode(self, x: jax.Array, y: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        mean, log_var = jnp.split(self.encoder(x, y), 2, axis=-1)
        return mean, jnp.clip(log_var, -12.0, 8.0)

    def decode(self, z: jax.Array, y: jax.Array | None = None) -> dict[str, jax.Array]:
        return self.decoder(z, y)

    def __call__(
        self, x: jax.Array, key: jax.Array, y: jax.Array | None = None
    ) -> dict[str, jax.Array]:
        mean, log_var = self.encode(x, y)
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape, mean.dtype)
        return self.decode(z, y)
