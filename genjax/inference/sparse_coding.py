"""Sparse codes by proximal gradient: ISTA and FISTA (Beck & Teboulle 2009) for

    min_c  ½ ||x - c D||² + λ ||c||₁     (rows: x [B, P], c [B, K], dictionary D [K, P]),

the objective scikit-learn's ``SparseCoder(transform_algorithm="lasso_cd",
transform_alpha=λ)`` solves. Both run under ``lax.while_loop`` until the largest change of a
code entry falls below ``tol`` or ``max_iter`` steps have run.
"""

import jax
import jax.numpy as jnp

METHODS = ("ista", "fista")


def soft_threshold(x: jax.Array, threshold: jax.Array) -> jax.Array:
    """sign(x) · max(|x| - threshold, 0), the proximal map of threshold · ||·||₁."""
    return jnp.sign(x) * jnp.maximum(jnp.abs(x) - threshold, 0.0)


def lipschitz_constant(dictionary: jax.Array) -> jax.Array:
    """L = λ_max(D Dᵀ), the Lipschitz constant of the reconstruction term's gradient, in the
    dictionary's dtype (the eigensolver runs in float32 at least: LAPACK has no bfloat16)."""
    gram = dictionary @ dictionary.T
    wide = jnp.promote_types(gram.dtype, jnp.float32)
    return jnp.linalg.eigvalsh(gram.astype(wide))[-1].astype(dictionary.dtype)


def sparse_encode(
    x: jax.Array,
    dictionary: jax.Array,
    penalty: float,
    method: str = "fista",
    max_iter: int = 1000,
    tol: float = 1e-7,
    init: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array]:
    """Codes of ``x`` in ``dictionary`` by ISTA or FISTA.

    Args:
      x: signals [B, P].
      dictionary: atoms [K, P].
      penalty: λ ≥ 0.
      method: "ista" or "fista" (momentum; O(1/k²) rather than O(1/k)).
      max_iter: step limit.
      tol: stop when max |c_new - c| < tol.
      init: starting codes [B, K] (zeros by default); warm starts speed up dictionary learning.

    Returns:
      (codes [B, K], steps taken).
    """
    if method not in METHODS:
        raise ValueError(f"unknown sparse coding method {method!r}; valid: {', '.join(METHODS)}")
    step = 1.0 / lipschitz_constant(dictionary)
    gram, xd = dictionary @ dictionary.T, x @ dictionary.T
    c0 = jnp.zeros((x.shape[0], dictionary.shape[0]), x.dtype) if init is None else init

    def prox_grad(y):
        return soft_threshold(y - step * (y @ gram - xd), step * penalty)

    def cond(carry):
        _, _, _, change, i = carry
        return (change >= tol) & (i < max_iter)

    def body(carry):
        c, y, t, _, i = carry
        c_new = prox_grad(y)
        if method == "ista":
            y_new, t_new = c_new, t
        else:
            t_new = 0.5 * (1.0 + jnp.sqrt(1.0 + 4.0 * t**2))
            y_new = c_new + ((t - 1.0) / t_new) * (c_new - c)
        return c_new, y_new, t_new, jnp.max(jnp.abs(c_new - c)), i + 1

    init_carry = (c0, c0, jnp.ones((), x.dtype), jnp.asarray(jnp.inf, x.dtype), 0)
    c, _, _, _, steps = jax.lax.while_loop(cond, body, init_carry)
    return c, steps
