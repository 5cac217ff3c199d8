"""Outlier scores over a trained method, and the inputs of the detection protocols.

A method lists the scores it can give in ``Method.scores`` (higher: less like the training
data): exact -log p(x) of the autoregressive models and of an RBM with summable log Z, the free
energy, importance-sampled -log p(x) of the VAE family, DBN and Helmholtz machine, the
diffusion model's variational bound, an autoencoder's reconstruction error, minus a GAN
discriminator's output. On top of any score in nats:

- the likelihood ratio against a background model (Ren et al. 2019): -log p(x) less the
  background's -log p(x), which cancels what the two share (background statistics such as
  the number of lit pixels) and keeps what is specific to the data;
- the typicality test (Nalisnick et al. 2019): the distance of -log p(x) (averaged over a
  group of M inputs) from the model's entropy estimated on held-in data: an input can be
  atypical by being too likely as well as too unlikely.
"""

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from genjax.methods import Method


def likelihood_ratio(nll: np.ndarray, background_nll: np.ndarray) -> np.ndarray:
    """Ren et al. (2019)'s score: -LLR(x) = -log p(x) + log p_background(x).

    Args:
      nll: -log p(x) [N] of the model of the data, in nats.
      background_nll: -log p(x) [N] of the background model (trained on perturbed inputs).

    Returns:
      [N], higher for inputs that the data's model explains less well than the background.
    """
    nll, background_nll = np.asarray(nll), np.asarray(background_nll)
    if nll.shape != background_nll.shape:
        raise ValueError(
            f"the model's and the background's scores must match in shape; got {nll.shape} "
            f"and {background_nll.shape}"
        )
    return nll - background_nll


def typicality(nll: np.ndarray, reference_nll: np.ndarray, group: int = 1) -> np.ndarray:
    """Nalisnick et al. (2019)'s typicality test statistic | mean over M inputs of -log p(x)
    - Ĥ |, with the entropy Ĥ estimated as the mean -log p(x) of held-in data.

    Args:
      nll: -log p(x) [N] of the inputs tested, in nats.
      reference_nll: -log p(x) of held-in data (the training split, or a validation split).
      group: M, the inputs tested together; N must be a multiple of it.

    Returns:
      [N // group] statistics, higher for less typical groups.
    """
    nll = np.asarray(nll, np.float64)
    if group < 1 or len(nll) % group:
        raise ValueError(f"typicality groups of {group} must divide the {len(nll)} inputs")
    entropy = float(np.mean(reference_nll))
    return np.abs(nll.reshape(-1, group).mean(axis=1) - entropy)


def score_arrays(
    method: Method,
    params,
    name: str,
    images: np.ndarray,
    key: jax.Array,
    labels: np.ndarray | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """One of ``method.scores`` on arrays, in jitted batches of one shape (the last padded).

    Args:
      method: a trained method (``genjax.run.restore.load_trained(...).method``).
      params: its parameters.
      name: a key of ``method.scores``.
      images: model-space images [N, H, W, C] (the dataset's transform applied).
      key: randomness of stochastic scores; batch i uses fold_in(key, i).
      labels: int [N], for methods that condition on them.
      batch_size: inputs per call.

    Returns:
      float64 scores [N].
    """
    fn = jax.jit(method_score(method, name).fn)
    n, out = len(images), []
    for i, start in enumerate(range(0, n, batch_size)):
        idx = np.minimum(np.arange(start, start + batch_size), n - 1)
        batch = {"image": jnp.asarray(images[idx])}
        if labels is not None:
            batch["label"] = jnp.asarray(labels[idx], jnp.int32)
        values = np.asarray(fn(params, batch, jax.random.fold_in(key, i)), np.float64)
        out.append(values[: min(batch_size, n - start)])
    return np.concatenate(out)


def method_score(method: Method, name: str):
    """``method.scores[name]``, or a one-line error naming the scores the method has."""
    if name not in method.scores:
        have = ", ".join(sorted(method.scores)) or "none"
        raise ValueError(
            f"method {method.name!r} gives no outlier score {name!r}; its scores: {have}"
        )
    return method.scores[name]


def nats_scores(method: Method) -> Mapping[str, Callable]:
    """The method's scores in nats (those the ratio and typicality tests accept)."""
    return {name: s for name, s in method.scores.items() if s.nats}
