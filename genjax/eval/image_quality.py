"""Full-reference image quality: PSNR and SSIM per example, in jax.numpy (jittable), matching
``skimage.metrics.peak_signal_noise_ratio`` and ``skimage.metrics.structural_similarity``.

SSIM as scikit-image computes it per channel (``channel_axis=-1``): local means, variances and
the covariance from a separable filter with scipy.ndimage's 'reflect' boundary (the edge sample
repeated: d c b a | a b c d) — a uniform ``win_size`` box by default, or a Gaussian (truncated at
3.5σ: 11 taps for σ = 1.5) — the SSIM map, its border of ``(win_size - 1) // 2`` cropped, the
mean over the interior and the channels. ``gaussian_weights=True, use_sample_covariance=False``
is Wang et al. (2004).

Imports only jax and numpy.
"""

import jax
import jax.numpy as jnp
import numpy as np

TRUNCATE = 3.5  # scikit-image's Gaussian truncation for SSIM


def _check_images(x: jax.Array, y: jax.Array) -> None:
    if x.ndim != 4 or x.shape != y.shape:
        raise ValueError(f"expected two NHWC batches of one shape, got {x.shape} and {y.shape}")


def psnr(x: jax.Array, y: jax.Array, data_range: float) -> jax.Array:
    """Peak signal-to-noise ratio 10 log10(data_range² / MSE) per example (inf if equal).

    Args:
      x: reference images [B, H, W, C].
      y: test images, same shape.
      data_range: max - min of the possible values (2 for [-1, 1], 1 for [0, 1], 255).

    Returns:
      [B] PSNR in dB.
    """
    _check_images(x, y)
    mse = jnp.mean(jnp.square(jnp.asarray(x) - jnp.asarray(y)), axis=(1, 2, 3))
    return 10.0 * jnp.log10(jnp.square(data_range) / mse)


def ssim_window(
    win_size: int | None = None, gaussian_weights: bool = False, sigma: float = 1.5
) -> tuple[np.ndarray, int]:
    """The 1-D filter taps of SSIM's separable window and the window size used for cropping
    and for the sample-covariance factor, as scikit-image chooses them.

    Args:
      win_size: odd window side; None: 7, or 2·int(3.5σ + 0.5) + 1 with Gaussian weights.
      gaussian_weights: Gaussian taps (σ, truncated at 3.5σ) instead of a uniform box.
      sigma: the Gaussian's standard deviation.

    Returns:
      (taps summing to 1, win_size).
    """
    radius = int(TRUNCATE * sigma + 0.5)
    if win_size is None:
        win_size = 2 * radius + 1 if gaussian_weights else 7
    if win_size % 2 != 1:
        raise ValueError(f"win_size must be odd, got {win_size}")
    if not gaussian_weights:
        return np.full(win_size, 1.0 / win_size), win_size
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum(), win_size


def _filter(x: jax.Array, taps: np.ndarray) -> jax.Array:
    """Correlate H and W of [B, H, W, C] with symmetric ``taps``, 'reflect' boundary."""
    r = len(taps) // 2
    for axis in (1, 2):
        pad = [(0, 0)] * 4
        pad[axis] = (r, r)
        padded = jnp.pad(x, pad, mode="symmetric")  # numpy "symmetric" == ndimage "reflect"
        n = x.shape[axis]
        x = sum(
            float(w) * jax.lax.slice_in_dim(padded, k, k + n, axis=axis) for k, w in enumerate(taps)
        )
    return x


def ssim(
    x: jax.Array,
    y: jax.Array,
    data_range: float,
    *,
    win_size: int | None = None,
    gaussian_weights: bool = False,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    use_sample_covariance: bool = True,
) -> jax.Array:
    """Mean structural similarity per example, as ``structural_similarity(x[i], y[i],
    data_range=data_range, channel_axis=-1, ...)``. Jit it with the keyword arguments static.

    Args:
      x: reference images [B, H, W, C] (H, W >= win_size).
      y: test images, same shape.
      data_range: max - min of the possible values.
      win_size: odd window side; None: 7, or 11 with Gaussian weights of σ = 1.5.
      gaussian_weights: Gaussian-weighted local statistics instead of a uniform window.
      sigma: the Gaussian's standard deviation.
      k1, k2: the stabilising constants' factors, C1 = (k1·R)², C2 = (k2·R)².
      use_sample_covariance: divide by N - 1 (N = win_size²) instead of N.

    Returns:
      [B] SSIM, averaged over the cropped interior and the channels.
    """
    _check_images(x, y)
    taps, win_size = ssim_window(win_size, gaussian_weights, sigma)
    if min(x.shape[1:3]) < win_size:
        raise ValueError(f"win_size {win_size} exceeds the image extent {x.shape[1:3]}")
    x, y = jnp.asarray(x, jnp.result_type(float)), jnp.asarray(y, jnp.result_type(float))
    n = win_size**2
    cov_norm = n / (n - 1) if use_sample_covariance else 1.0
    ux, uy = _filter(x, taps), _filter(y, taps)
    vx = cov_norm * (_filter(x * x, taps) - ux * ux)
    vy = cov_norm * (_filter(y * y, taps) - uy * uy)
    vxy = cov_norm * (_filter(x * y, taps) - ux * uy)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    pad = (win_size - 1) // 2
    h, w = x.shape[1], x.shape[2]
    return jnp.mean(s[:, pad : h - pad, pad : w - pad, :], axis=(1, 2, 3))
