"""Pure losses: functions of arrays only (jax, numpy, optax). Import any one alone."""

from genjax.losses.adversarial import (
    ADVERSARIAL_LOSSES,
    AdversarialLoss,
    gradient_penalty,
    hinge_discriminator,
    hinge_generator,
    least_squares_discriminator,
    least_squares_generator,
    minimax_generator,
    non_saturating_discriminator,
    non_saturating_generator,
    r1_penalty,
    wasserstein_discriminator,
)
from genjax.losses.autoencoder import l1_penalty, sparse_autoencoder_loss
from genjax.losses.diffusion import (
    denoising_score_matching_loss,
    discretized_gaussian_log_likelihood,
    eps_prediction_loss,
    nats_per_dim_to_bits,
    normal_kl,
    v_prediction_loss,
    x0_prediction_loss,
)
from genjax.losses.likelihoods import (
    bernoulli_log_likelihood,
    gaussian_log_density_logvar,
    gaussian_log_likelihood,
    kl_diag_gaussians,
    standard_normal_log_density,
)
from genjax.losses.vae import beta_elbo, elbo, elbo_loss, iwae_bound, iwae_loss

__all__ = [
    "ADVERSARIAL_LOSSES",
    "AdversarialLoss",
    "gradient_penalty",
    "hinge_discriminator",
    "hinge_generator",
    "least_squares_discriminator",
    "least_squares_generator",
    "minimax_generator",
    "non_saturating_discriminator",
    "non_saturating_generator",
    "r1_penalty",
    "wasserstein_discriminator",
    "bernoulli_log_likelihood",
    "beta_elbo",
    "denoising_score_matching_loss",
    "discretized_gaussian_log_likelihood",
    "eps_prediction_loss",
    "nats_per_dim_to_bits",
    "normal_kl",
    "v_prediction_loss",
    "x0_prediction_loss",
    "elbo",
    "elbo_loss",
    "gaussian_log_density_logvar",
    "gaussian_log_likelihood",
    "iwae_bound",
    "iwae_loss",
    "kl_diag_gaussians",
    "l1_penalty",
    "sparse_autoencoder_loss",
    "standard_normal_log_density",
]
