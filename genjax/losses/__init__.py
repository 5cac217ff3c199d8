"""Pure losses (layer 1): functions of arrays and floats, never of configs, models or data.

Every family's objective is here: likelihoods and the one Gaussian KL; the exact
log-likelihoods of fully observed (autoregressive) models; ELBO, β-ELBO, IWAE and
the Gaussian-posterior log-weights; the adversarial games, their penalties and the VAE-GAN's
feature error; the diffusion regressions and bound terms; the variational diffusion model's
continuous- and discrete-time diffusion losses, prior and reconstruction (``genjax.losses.vdm``)
and the variance-minimising gradient; contrastive divergence; the (reweighted) wake-sleep
surrogate; the sparse autoencoder and sparse coding objectives; the
debiasing VAE's classifier-plus-VAE loss; the translation losses of pix2pix and CycleGAN (L1,
cycle, identity, patch adversarial games) and their pool of past fakes.

May import: jax, numpy, optax and the standard library only. Import any one alone:
``from genjax.losses import elbo_loss`` loads no data, checkpoint or model code.
"""

from genjax.losses.adversarial import (
    ADVERSARIAL_LOSSES,
    AdversarialLoss,
    adversarial_penalties,
    feature_matching_error,
    gradient_penalty,
    hinge_discriminator,
    hinge_generator,
    least_squares_discriminator,
    least_squares_generator,
    minimax_generator,
    non_saturating_discriminator,
    non_saturating_generator,
    r1_penalty,
    scores_and_input_grad_sq_norms,
    wasserstein_discriminator,
)
from genjax.losses.autoencoder import l1_penalty, sparse_autoencoder_loss
from genjax.losses.autoregressive import (
    autoregressive_log_prob,
    autoregressive_nll_loss,
    discretized_logistic_mixture_log_prob,
    independent_categorical_log_prob,
    pixel_log_probs,
)
from genjax.losses.debiasing import debiasing_vae_loss
from genjax.losses.deprecated import (
    bernoulli_log_likelihood,
    gaussian_log_density_logvar,
    gaussian_log_likelihood,
    standard_normal_log_density,
)
from genjax.losses.diffusion import (
    denoising_score_matching_loss,
    discretized_gaussian_log_likelihood,
    eps_prediction_loss,
    nats_per_dim_to_bits,
    prior_kl,
    v_prediction_loss,
    variational_bound_term,
    x0_prediction_loss,
)
from genjax.losses.energy import contrastive_divergence_loss
from genjax.losses.likelihoods import (
    bernoulli_log_prob,
    gaussian_log_prob,
    gaussian_log_prob_logvar,
    kl_diag_gaussians,
    standard_normal_log_prob,
)
from genjax.losses.sparse_coding import sparse_coding_objective
from genjax.losses.translation import (
    PATCH_GAN_LOSSES,
    cycle_consistency_loss,
    identity_loss,
    l1_loss,
    patch_lsgan_discriminator,
    patch_lsgan_generator,
    patch_vanilla_discriminator,
    patch_vanilla_generator,
    pool_init,
    pool_query,
)
from genjax.losses.vae import (
    beta_elbo,
    elbo,
    elbo_loss,
    gaussian_posterior_log_weights,
    gaussian_posterior_log_weights_at,
    iwae_bound,
    iwae_loss,
    reparameterize,
)
from genjax.losses.vdm import (
    antithetic_times,
    continuous_diffusion_loss,
    discrete_diffusion_loss,
    variance_minimising,
)
from genjax.losses.wake_sleep import wake_sleep_loss

__all__ = [
    "ADVERSARIAL_LOSSES",
    "AdversarialLoss",
    "adversarial_penalties",
    "autoregressive_log_prob",
    "autoregressive_nll_loss",
    "discretized_logistic_mixture_log_prob",
    "independent_categorical_log_prob",
    "pixel_log_probs",
    "contrastive_divergence_loss",
    "debiasing_vae_loss",
    "feature_matching_error",
    "gaussian_posterior_log_weights",
    "gaussian_posterior_log_weights_at",
    "gradient_penalty",
    "hinge_discriminator",
    "hinge_generator",
    "least_squares_discriminator",
    "least_squares_generator",
    "minimax_generator",
    "non_saturating_discriminator",
    "non_saturating_generator",
    "r1_penalty",
    "scores_and_input_grad_sq_norms",
    "wasserstein_discriminator",
    "bernoulli_log_likelihood",
    "bernoulli_log_prob",
    "beta_elbo",
    "denoising_score_matching_loss",
    "discretized_gaussian_log_likelihood",
    "eps_prediction_loss",
    "nats_per_dim_to_bits",
    "prior_kl",
    "v_prediction_loss",
    "variational_bound_term",
    "x0_prediction_loss",
    "elbo",
    "elbo_loss",
    "gaussian_log_density_logvar",
    "gaussian_log_likelihood",
    "gaussian_log_prob",
    "gaussian_log_prob_logvar",
    "iwae_bound",
    "iwae_loss",
    "kl_diag_gaussians",
    "l1_penalty",
    "reparameterize",
    "sparse_autoencoder_loss",
    "sparse_coding_objective",
    "standard_normal_log_density",
    "standard_normal_log_prob",
    "wake_sleep_loss",
    "PATCH_GAN_LOSSES",
    "cycle_consistency_loss",
    "identity_loss",
    "l1_loss",
    "patch_lsgan_discriminator",
    "patch_lsgan_generator",
    "patch_vanilla_discriminator",
    "patch_vanilla_generator",
    "pool_init",
    "pool_query",
    "antithetic_times",
    "continuous_diffusion_loss",
    "discrete_diffusion_loss",
    "variance_minimising",
]
