"""Variational autoencoder networks: a Gaussian encoder q(z|x) and a decoder p(x|z)."""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from genjax.models.autoencoder import Decoder, Encoder


class VAE(nn.Module):
    """q(z|x) = N(mean, diag(exp(log_var))), p(z) = N(0, I), p(x|z) from ``Decoder``.

    ``encode`` returns (mean, log_var); ``decode`` returns likelihood parameters; calling the
    module draws one reparametrised z and decodes it (used for init and reconstructions).
    """

    image_shape: Sequence[int]
    latent_dim: int
    likelihood: str = "bernoulli"
    architecture: str = "mlp"
    hidden: Sequence[int] = (256, 256)
    conv_features: Sequence[int] = (32, 64)
    num_classes: int = 0

    def setup(self):
        common = dict(
            image_shape=self.image_shape,
            architecture=self.architecture,
            hidden=self.hidden,
            conv_features=self.conv_features,
            num_classes=self.num_classes,
        )
        self.encoder = Encoder(out_dim=2 * self.latent_dim, **common)
        self.decoder = Decoder(likelihood=self.likelihood, **common)

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
