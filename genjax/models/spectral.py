"""Spectral normalisation (Miyato et al. 2018) without mutable state.

The usual implementation keeps the power-iteration vector ``u`` in a mutable collection and
advances it one step per training step. Here every call runs ``iterations`` power steps from a
fixed start vector instead, so the layer stays a pure function of its parameters (no extra
collection in the train state, identical behaviour under resume). The estimate approaches the
largest singular value from below, geometrically in (σ₂/σ₁)²; as in the paper, gradients flow
through σ = uᵀWv with u and v held constant.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from genjax.models.layers import conv_kernel_init


def spectral_norm_estimate(matrix: jax.Array, iterations: int) -> jax.Array:
    """Largest singular value of ``matrix`` [M, N] by power iteration from a fixed start.

    Args:
      matrix: the weight, reshaped to 2-D (rows: fan-in, columns: outputs).
      iterations: power steps (each one multiply by W and one by Wᵀ).

    Returns:
      σ̂ ≤ σ_max, a scalar differentiable in ``matrix``.
    """
    u = jax.random.normal(jax.random.key(0), (matrix.shape[1],), matrix.dtype)
    u = u / jnp.linalg.norm(u)
    w = jax.lax.stop_gradient(matrix)

    def power_step(_, u):
        v = w @ u
        v = v / (jnp.linalg.norm(v) + 1e-12)
        u = w.T @ v
        return u / (jnp.linalg.norm(u) + 1e-12)

    u = jax.lax.fori_loop(0, iterations, power_step, u)
    v = w @ u
    return (v @ matrix @ u) / (jnp.linalg.norm(v) + 1e-12)


def spectral_normalize(kernel: jax.Array, iterations: int) -> jax.Array:
    """``kernel`` divided by its spectral norm, the last axis being the output axis."""
    sigma = spectral_norm_estimate(kernel.reshape(-1, kernel.shape[-1]), iterations)
    return kernel / sigma


class SpectralDense(nn.Module):
    """``nn.Dense`` whose kernel is spectrally normalised at every call."""

    features: int
    iterations: int = 10

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (x.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        return x @ spectral_normalize(kernel, self.iterations) + bias


class SpectralConv(nn.Module):
    """``nn.Conv`` (NHWC, SAME padding) whose kernel is spectrally normalised at every call.

    The normalised quantity is the kernel reshaped to [kh·kw·C_in, C_out], as in the paper.
    """

    features: int
    kernel_size: Sequence[int] = (3, 3)
    strides: Sequence[int] = (1, 1)
    iterations: int = 10

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        shape = (*self.kernel_size, x.shape[-1], self.features)
        kernel = self.param("kernel", conv_kernel_init, shape)
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        y = jax.lax.conv_general_dilated(
            x,
            spectral_normalize(kernel, self.iterations),
            window_strides=tuple(self.strides),
            padding="SAME",
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )
        return y + bias
