"""The typed model section of the encoder-decoder families (autoencoders, VAEs), and what
their decoders' outputs mean: the log-likelihood of data and the expected image."""

import dataclasses
from collections.abc import Mapping

import jax

from genjax.checks import check_at_least, check_choice, read_section
from genjax.data.info import DataInfo
from genjax.losses import bernoulli_log_prob, gaussian_log_prob
from genjax.models.autoencoder import ARCHITECTURES, LIKELIHOODS


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """``config.model`` of an encoder-decoder method.

    Attributes:
      architecture: "mlp" or "conv" (stride-2 convolutions, then the MLP widths).
      latent_dim: code or latent size.
      hidden: MLP widths.
      conv_features: channel widths of the convolutions (conv only).
      likelihood: the decoder's "bernoulli" or "gaussian" p(x|z).
    """

    architecture: str = "mlp"
    latent_dim: int = 16
    hidden: tuple[int, ...] = (256, 256)
    conv_features: tuple[int, ...] = (32, 64)
    likelihood: str = "bernoulli"

    def __post_init__(self):
        check_choice("model.architecture", self.architecture, ARCHITECTURES)
        check_choice("model.likelihood", self.likelihood, LIKELIHOODS)
        check_at_least("model.latent_dim", self.latent_dim, 1)

    @classmethod
    def read(cls, section: Mapping | None, owner: str, strict: bool = True) -> "NetworkConfig":
        """The typed section (one-line errors for unknown fields and values)."""
        return read_section(section, cls, "model", owner=owner, strict=strict)

    def module_fields(self, info: DataInfo) -> dict:
        """Keyword arguments of the Flax encoder-decoder modules for data ``info``, after a
        one-line error when the likelihood cannot model the data."""
        if self.likelihood == "bernoulli" and not info.binary and info.pixel_range != "unit":
            raise ValueError(
                "a Bernoulli decoder needs data in [0, 1]: set data.pixel_range='unit' or "
                "model.likelihood='gaussian'"
            )
        return dict(
            image_shape=info.image_shape,
            latent_dim=self.latent_dim,
            likelihood=self.likelihood,
            architecture=self.architecture,
            hidden=self.hidden,
            conv_features=self.conv_features,
        )


def log_likelihood(out: dict[str, jax.Array], x: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """log p(x | decoder output) summed over pixels."""
    if "logits" in out:
        return bernoulli_log_prob(x, out["logits"], batch_ndim)
    return gaussian_log_prob(x, out["mean"], out["log_scale"], batch_ndim)


def mean_image(out: dict[str, jax.Array]) -> jax.Array:
    """E[x | z]: Bernoulli probabilities or the Gaussian mean."""
    if "logits" in out:
        return jax.nn.sigmoid(out["logits"])
    return out["mean"]
