"""PSNR and SSIM, jitted, against scikit-image."""

import functools

import jax
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from genjax.eval.image_quality import psnr, ssim, ssim_window

RNG = np.random.default_rng(0)
VARIANTS = {
    "uniform7": {},
    "wang2004": {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False},
    "uniform5": {"win_size": 5},
    "gaussian_win7": {"gaussian_weights": True, "win_size": 7},  # the boundary mode matters
}


def _pair(channels: int, scale: float = 1.0):
    """Images in [0, scale] and noisy copies, odd sizes (19 x 23) on purpose."""
    x = RNG.uniform(size=(3, 19, 23, channels)) * scale
    y = np.clip(x + 0.2 * scale * RNG.normal(size=x.shape), 0, scale)
    return x, y


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_ssim_matches_scikit_image(channels, variant):
    kwargs = VARIANTS[variant]
    x, y = _pair(channels)
    got = jax.jit(functools.partial(ssim, **kwargs))(
        x.astype(np.float32), y.astype(np.float32), 1.0
    )
    expected = [
        structural_similarity(a, b, data_range=1.0, channel_axis=-1, **kwargs)
        for a, b in zip(x, y, strict=True)
    ]
    assert got.shape == (3,)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    if channels == 1:  # a gray image without a channel axis gives the same
        gray = structural_similarity(x[0, ..., 0], y[0, ..., 0], data_range=1.0, **kwargs)
        np.testing.assert_allclose(got[0], gray, atol=1e-4)


def test_ssim_on_an_8_bit_range_and_of_identical_images():
    x, y = _pair(3, 255.0)
    expected = [
        structural_similarity(a, b, data_range=255, channel_axis=-1)
        for a, b in zip(x, y, strict=True)
    ]
    np.testing.assert_allclose(jax.jit(ssim)(x, y, 255.0), expected, atol=1e-4)
    np.testing.assert_allclose(jax.jit(ssim)(x, x, 255.0), 1.0, atol=1e-6)


def test_ssim_window_follows_scikit_image():
    taps, size = ssim_window(None, gaussian_weights=True, sigma=1.5)
    assert size == 11 and len(taps) == 11
    np.testing.assert_allclose(taps.sum(), 1.0)
    assert ssim_window()[1] == 7
    with pytest.raises(ValueError, match="odd"):
        ssim_window(6)
    with pytest.raises(ValueError, match="exceeds"):
        ssim(np.zeros((1, 5, 5, 1)), np.zeros((1, 5, 5, 1)), 1.0)


@pytest.mark.parametrize("channels", [1, 3])
def test_psnr_matches_scikit_image(channels):
    x, y = _pair(channels)
    expected = [peak_signal_noise_ratio(a, b, data_range=1.0) for a, b in zip(x, y, strict=True)]
    got = jax.jit(psnr)(x.astype(np.float32), y.astype(np.float32), 1.0)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    x2, y2 = 2 * x - 1, 2 * y - 1  # [-1, 1] with data_range 2: the same PSNR
    np.testing.assert_allclose(jax.jit(psnr)(x2, y2, 2.0), expected, atol=1e-4)
    assert np.isinf(psnr(x, x, 1.0)).all()
