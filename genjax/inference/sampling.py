"""Ways to draw the base samples of Monte Carlo estimates and of generated sets (pure, and
deterministic by key).

Uniform base draws u in (0, 1)^d, mapped to N(0, I) by the Gaussian inverse CDF:

- ``random``: simple random sampling (i.i.d.).
- ``stratified``: a grid of ``strata`` equal strata per dimension (strata^d cells), the same
  number of uniform points in every cell.
- ``latin_hypercube``: n strata per dimension, exactly one point in each, the dimensions
  paired by independent random permutations (McKay et al. 1979).
- ``sobol``: scrambled Sobol points (randomised quasi-Monte Carlo; ``scipy.stats.qmc``), n a
  power of two. Drawn on the host: not for use under ``jit`` with a traced key.

Every one is unbiased for the mean of a function of the draws (each point is marginally
uniform); they differ in variance, which ``tests/test_sampling.py`` and the README measure.
Also: the effective sample size of importance weights, class-stratified labels (equal counts per
class), prior temperature and truncation.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri
from scipy.stats import qmc

TINY = 1e-7  # uniforms are kept in [TINY, 1 - TINY] so their Gaussian images stay finite


def random_uniform(key: jax.Array, n: int, d: int, strata: int = 0) -> jax.Array:
    """n i.i.d. uniform points in (0, 1)^d (``strata`` unused)."""
    del strata
    return jax.random.uniform(key, (n, d))


def stratified_uniform(key: jax.Array, n: int, d: int, strata: int = 2) -> jax.Array:
    """n points, n / strata^d uniform ones in each cell of a grid of ``strata`` equal strata per
    dimension.

    Args:
      key: PRNG key.
      n: number of points, a multiple of strata^d.
      d: dimensions.
      strata: strata per dimension.

    Returns:
      [n, d]: cell after cell, each cell's points consecutive.
    """
    if strata < 1:
        raise ValueError(f"strata per dimension must be at least 1; got {strata}")
    cells = strata**d
    if n % cells:
        raise ValueError(
            f"{n} samples do not divide into {strata}^{d} = {cells} strata; use a multiple of "
            f"{cells} or fewer strata"
        )
    corners = np.stack(np.unravel_index(np.arange(cells), (strata,) * d), axis=-1)
    corners = jnp.asarray(np.repeat(corners, n // cells, axis=0), jnp.float32)
    return (corners + jax.random.uniform(key, (n, d))) / strata


def latin_hypercube(key: jax.Array, n: int, d: int, strata: int = 0) -> jax.Array:
    """n points with exactly one in each of n equal strata of every dimension (``strata``
    unused: it is n)."""
    del strata
    k_perm, k_jitter = jax.random.split(key)
    perms = jax.vmap(lambda k: jax.random.permutation(k, n))(jax.random.split(k_perm, d))
    return (perms.T.astype(jnp.float32) + jax.random.uniform(k_jitter, (n, d))) / n


def sobol_uniform(key: jax.Array, n: int, d: int, strata: int = 0) -> jax.Array:
    """n scrambled Sobol points (Owen scrambling seeded from ``key``); n a power of two, which
    keeps the sequence's balance (SciPy warns otherwise)."""
    del strata
    if n < 1 or n & (n - 1):
        raise ValueError(f"Sobol points need a power of two; got {n} samples")
    seed = int(jax.random.randint(key, (), 0, np.iinfo(np.int32).max))
    points = qmc.Sobol(d, scramble=True, seed=seed).random(n)
    return jnp.asarray(points, jnp.float32)


UniformSampler = Callable[[jax.Array, int, int, int], jax.Array]
BASE_SAMPLERS: dict[str, UniformSampler] = {
    "random": random_uniform,
    "stratified": stratified_uniform,
    "latin_hypercube": latin_hypercube,
    "sobol": sobol_uniform,
}


def uniform_draws(method: str, key: jax.Array, n: int, d: int, strata: int = 2) -> jax.Array:
    """n base points in (0, 1)^d by ``method`` (a ``BASE_SAMPLERS`` name)."""
    if method not in BASE_SAMPLERS:
        raise ValueError(f"unknown base sampler {method!r}; choose one of {sorted(BASE_SAMPLERS)}")
    return BASE_SAMPLERS[method](key, n, d, strata)


def normal_draws(method: str, key: jax.Array, n: int, d: int, strata: int = 2) -> jax.Array:
    """n draws of N(0, I_d) by ``method``: the Gaussian inverse CDF of its uniform points."""
    u = uniform_draws(method, key, n, d, strata)
    return ndtri(jnp.clip(u, TINY, 1.0 - TINY))


def effective_sample_size(log_weights: jax.Array, axis: int = 0) -> jax.Array:
    """Kish's effective sample size (Σw)² / Σw² of importance weights given in log space: K for
    equal weights, 1 when one weight dominates."""
    log_weights = jnp.asarray(log_weights)
    return jnp.exp(
        2 * jax.nn.logsumexp(log_weights, axis=axis) - jax.nn.logsumexp(2 * log_weights, axis=axis)
    )


def class_stratified_labels(num: int, num_classes: int, key: jax.Array | None = None) -> jax.Array:
    """``num`` labels with exactly num / num_classes of each class (shuffled when a key is
    given): balanced sample sets for class-conditional models.

    Raises:
      ValueError: for an unconditional model (no classes), or num not a multiple of the classes.
    """
    if num_classes < 1:
        raise ValueError(
            "class-stratified draws need a class-conditional model (it has no classes)"
        )
    if num % num_classes:
        raise ValueError(
            f"{num} samples do not divide into {num_classes} classes; use a multiple of "
            f"{num_classes}"
        )
    labels = jnp.repeat(jnp.arange(num_classes), num // num_classes)
    return labels if key is None else jax.random.permutation(key, labels)


def tempered_normal(key: jax.Array, shape: tuple[int, ...], temperature: float) -> jax.Array:
    """Draws of N(0, T² I): prior temperature T (< 1 trades diversity for fidelity)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    return temperature * jax.random.normal(key, shape)


def truncated_normal(key: jax.Array, shape: tuple[int, ...], threshold: float) -> jax.Array:
    """Draws of N(0, I) truncated to |z_i| <= threshold per coordinate (the truncation trick)."""
    if not threshold > 0:
        raise ValueError(f"the truncation threshold must be > 0; got {threshold}")
    return jax.random.truncated_normal(key, -threshold, threshold, shape)


__all__ = [
    "BASE_SAMPLERS",
    "class_stratified_labels",
    "effective_sample_size",
    "latin_hypercube",
    "normal_draws",
    "random_uniform",
    "sobol_uniform",
    "stratified_uniform",
    "tempered_normal",
    "truncated_normal",
    "uniform_draws",
]
