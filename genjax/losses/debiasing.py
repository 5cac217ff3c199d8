"""The debiasing VAE's objective (Amini et al. 2019, DB-VAE; MIT 6.S191's lab): a classifier
whose features are also a VAE's encoder, trained on the classification loss plus the VAE's
loss (mean absolute reconstruction error and a lightly weighted KL), as in the lab."""

import jax
import jax.numpy as jnp
import optax

from genjax.losses.likelihoods import kl_diag_gaussians


def debiasing_vae_loss(
    logits: jax.Array,
    labels: jax.Array,
    images: jax.Array,
    reconstructions: jax.Array,
    mean: jax.Array,
    log_var: jax.Array,
    kl_weight: float,
    vae_weight: float = 1.0,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Mean over the batch of BCE(logit, label) + vae_weight (|x - x̂|_mean + kl_weight KL).

    Args:
      logits: the binary classifier's logits [B].
      labels: {0, 1} [B].
      images, reconstructions: [B, ...], the inputs and the decoder's means.
      mean, log_var: the Gaussian posterior [B, L].
      kl_weight: the KL's weight (the lab's 0.0005).
      vae_weight: the VAE part's weight (0: a plain classifier).

    Returns:
      (loss, metrics: classification, reconstruction, kl, accuracy).
    """
    b = logits.shape[0]
    classification = optax.sigmoid_binary_cross_entropy(logits, labels.astype(logits.dtype))
    reconstruction = jnp.mean(jnp.abs(images - reconstructions).reshape(b, -1), axis=-1)
    kl = kl_diag_gaussians(mean, log_var)
    per_example = classification + vae_weight * (reconstruction + kl_weight * kl)
    metrics = {
        "classification": jnp.mean(classification),
        "reconstruction": jnp.mean(reconstruction),
        "kl": jnp.mean(kl),
        "accuracy": jnp.mean((logits > 0) == (labels > 0)),
    }
    return jnp.mean(per_example), metrics
