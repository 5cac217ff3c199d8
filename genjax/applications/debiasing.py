"""Debiasing by learned latent structure (Amini et al. 2019, DB-VAE; MIT 6.S191's lab): a
classifier with a VAE on its features, whose training examples are resampled each epoch with
probability inversely proportional to the density of their latent means, so that rare kinds
of inputs, never labelled as such, are seen more often.

The benchmark: digits as a binary task (0-4 against 5-9) with a hidden nuisance subgroup
(inverted or rotated images) that is 2% of training and 50% of test.
"""

import dataclasses
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax

from genjax.checks import check_at_least, check_choice, read_section
from genjax.losses.debiasing import debiasing_vae_loss
from genjax.models.debiasing import DebiasingVAE

COMBINE = ("max", "product")
SUBGROUPS = {
    "invert": lambda x: 1.0 - x,
    "rotate": lambda x: np.rot90(x, axes=(1, 2)),
}


def resampling_weights(
    means: np.ndarray, bins: int = 10, alpha: float = 0.001, combine: str = "max"
) -> np.ndarray:
    """Sampling probabilities of training examples from their latent means.

    Per latent dimension: a histogram density of the means (``bins`` equal bins over their
    range), ``alpha`` added, normalised over bins; an example's weight in that dimension is
    1 / (its bin's smoothed density), normalised over examples. The dimensions are combined
    by their maximum (the lab's code) or their product (the paper's W(x) = Π_i 1 / (Q̂_i + α)).

    Args:
      means: latent means [N, L] of the whole training set.
      bins: histogram bins per dimension.
      alpha: smoothing; large alpha tends to uniform sampling.
      combine: "max" or "product".

    Returns:
      float64 [N] probabilities summing to 1 (equivariant to the examples' order).
    """
    check_choice("combine", combine, COMBINE)
    means = np.asarray(means, np.float64)
    if means.ndim != 2 or not len(means):
        raise ValueError(f"latent means must be [N, L] with N >= 1; got shape {means.shape}")
    log_p = np.empty_like(means)
    for i, z in enumerate(means.T):
        density, edges = np.histogram(z, bins=bins, density=True)
        index = np.clip(np.digitize(z, edges[1:-1]), 0, bins - 1)
        smoothed = density + alpha
        smoothed = smoothed / smoothed.sum()
        p = 1.0 / smoothed[index]
        log_p[:, i] = np.log(p / p.sum())
    score = log_p.max(axis=1) if combine == "max" else log_p.sum(axis=1)
    weights = np.exp(score - score.max())
    return weights / weights.sum()


def biased_split(
    images: np.ndarray, labels: np.ndarray, fraction: float, subgroup: str, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits turned into the biased binary task: a seeded ``fraction`` of the images altered
    by ``subgroup`` (the hidden nuisance), the label 1 for digits 5-9.

    Args:
      images: [N, H, W, C] in [0, 1].
      labels: the digit labels [N].
      fraction: share of the images in the subgroup (exactly round(fraction * N) of them).
      subgroup: "invert" (1 - x) or "rotate" (90 degrees).
      seed: chooses the subgroup's members.

    Returns:
      (images, binary labels, subgroup mask) — the mask is for evaluation only.
    """
    check_choice("subgroup", subgroup, SUBGROUPS)
    members = np.zeros(len(images), bool)
    rng = np.random.default_rng(seed)
    members[rng.choice(len(images), int(round(fraction * len(images))), replace=False)] = True
    out = images.astype(np.float32).copy()
    out[members] = SUBGROUPS[subgroup](out[members])
    return out, (labels >= 5).astype(np.int32), members


@dataclasses.dataclass(frozen=True)
class DebiasConfig:
    """``config.debias``: the DB-VAE and how it trains.

    Attributes:
      hidden: encoder widths (the decoder's reversed).
      latent_dim: L.
      kl_weight: the KL's weight in the VAE loss (the lab's 0.0005).
      vae_weight: the VAE loss's weight beside the classification loss.
      epochs: passes over the training set (in expectation: batches are drawn by weight).
      batch_size: examples per step.
      learning_rate: Adam's.
      bins: histogram bins per latent dimension.
      alpha: the histograms' smoothing.
      combine: "max" (the lab) or "product" (the paper) over latent dimensions.
    """

    hidden: tuple[int, ...] = (64,)
    latent_dim: int = 8
    kl_weight: float = 0.0005
    vae_weight: float = 1.0
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    bins: int = 10
    alpha: float = 0.001
    combine: str = "max"

    def __post_init__(self):
        check_choice("debias.combine", self.combine, COMBINE)
        for name in ("latent_dim", "epochs", "batch_size", "bins"):
            check_at_least(f"debias.{name}", getattr(self, name), 1)
        check_at_least("debias.alpha", self.alpha, 0.0)

    @classmethod
    def read(cls, section: Mapping | None) -> "DebiasConfig":
        return read_section(section, cls, "debias", owner="the debiasing benchmark")


def train(
    cfg: DebiasConfig, images: np.ndarray, labels: np.ndarray, key: jax.Array, debias: bool
) -> tuple[dict, np.ndarray]:
    """Train the DB-VAE; each epoch's batches are drawn with replacement by the resampling
    weights of the latent means at the epoch's start (uniform when ``debias`` is False: the
    same network and loss, no resampling).

    Returns:
      (params, the last epoch's sampling probabilities [N]).
    """
    model = DebiasingVAE(cfg.hidden, cfg.latent_dim, images.shape[1:])
    x, y = jnp.asarray(images), jnp.asarray(labels)
    k_init, k_train = jax.random.split(key)
    params = model.init(k_init, x[:2], k_init)
    tx = optax.adam(cfg.learning_rate)
    steps = -(-len(images) // cfg.batch_size)

    def loss_fn(params, xb, yb, k):
        out = model.apply(params, xb, k)
        return debiasing_vae_loss(
            out["logits"],
            yb,
            xb,
            out["reconstruction"],
            out["mean"],
            out["log_var"],
            cfg.kl_weight,
            cfg.vae_weight,
        )

    @jax.jit
    def epoch(params, opt_state, probabilities, key):
        def step(carry, k):
            params, opt_state = carry
            k_idx, k_z = jax.random.split(k)
            idx = jax.random.choice(k_idx, len(x), (cfg.batch_size,), p=probabilities)
            grads, metrics = jax.grad(loss_fn, has_aux=True)(params, x[idx], y[idx], k_z)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), metrics

        (params, opt_state), metrics = jax.lax.scan(
            step, (params, opt_state), jax.random.split(key, steps)
        )
        return params, opt_state, metrics

    encode = jax.jit(lambda p: model.apply(p, x, method=DebiasingVAE.encode)[1])
    opt_state, uniform = tx.init(params), np.full(len(images), 1.0 / len(images))
    probabilities = uniform
    for e in range(cfg.epochs):
        if debias:
            probabilities = resampling_weights(
                np.asarray(encode(params)), cfg.bins, cfg.alpha, cfg.combine
            )
        params, opt_state, _ = epoch(
            params,
            opt_state,
            jnp.asarray(probabilities, jnp.float32),
            jax.random.fold_in(k_train, e),
        )
    return params, probabilities


def subgroup_accuracy(
    cfg: DebiasConfig, params, images: np.ndarray, labels: np.ndarray, members: np.ndarray
) -> dict[str, float]:
    """Accuracy on the subgroup, on the rest, overall, and the gap (rest - subgroup)."""
    model = DebiasingVAE(cfg.hidden, cfg.latent_dim, images.shape[1:])
    logits = model.apply(params, jnp.asarray(images), method=DebiasingVAE.encode)[0]
    right = (np.asarray(logits) > 0) == (labels > 0)
    out = {
        "subgroup": float(right[members].mean()),
        "rest": float(right[~members].mean()),
        "overall": float(right.mean()),
    }
    out["gap"] = out["rest"] - out["subgroup"]
    return out
