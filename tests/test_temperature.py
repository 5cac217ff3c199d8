"""Decoding given prior draws (Method.decode_latent) and the temperature / truncation curve
(genjax.applications.temperature)."""

import jax
import numpy as np
import pytest

from genjax.applications import temperature as T
from genjax.eval.config import SuiteConfig
from genjax.eval.suite import build_suite
from tests.helpers import data_of, method_of, tiny_config, tiny_diffusion_config, tiny_gan_config

CONFIGS = {
    "vae": lambda: tiny_config("vae"),
    "cvae": lambda: tiny_config("cvae"),
    "gan": lambda: tiny_gan_config("gan"),
    "cgan": lambda: tiny_gan_config("cgan"),
    "vaegan": lambda: tiny_gan_config("vaegan"),
}


def _initialised(name):
    config = CONFIGS[name]()
    method, data = method_of(config), data_of(config)
    params = method.init(
        jax.random.key(0), data.transform({k: v[:4] for k, v in data.train.items()})
    )
    return method, params, data


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_decoding_the_samplers_own_draws_is_its_sample_bitwise(name):
    """``sample`` draws z ~ N(0, I) and decodes it; ``decode_latent`` of the same z (and, for the
    VAE, the same pixel-noise key) gives the same images, bit for bit."""
    method, params, _ = _initialised(name)
    key = jax.random.key(5)
    if name in ("vae", "cvae"):  # the VAE splits its key into the prior's and the pixels'
        k_z, k_x = jax.random.split(key)
    else:
        k_z = k_x = key
    z = jax.random.normal(k_z, (6, method.latent_dim))
    np.testing.assert_array_equal(
        np.asarray(method.sample(params, key, 6)), np.asarray(method.decode_latent(params, k_x, z))
    )


def test_decode_latent_errors_and_methods_without_a_latent():
    method, params, _ = _initialised("gan")
    with pytest.raises(ValueError, match=r"decodes draws of shape \[num, 4\]; got \(3, 5\)"):
        method.decode_latent(params, jax.random.key(0), np.zeros((3, 5)))
    with pytest.raises(ValueError, match="method 'gan' is not class-conditional"):
        method.decode_latent(params, jax.random.key(0), np.zeros((3, 4)), np.zeros(3, int))
    diffusion = method_of(tiny_diffusion_config())
    assert diffusion.decode_latent is None and diffusion.latent_dim == 0
    with pytest.raises(ValueError, match="has no Gaussian prior latent to temper or truncate"):
        T.check_scheme(diffusion, "temperature", [1.0])
    with pytest.raises(ValueError, match="unknown scheme 'cold'; valid: temperature, truncation"):
        T.check_scheme(method, "cold", [1.0])
    with pytest.raises(ValueError, match=r"truncation values must be > 0; got \[0.0\]"):
        T.check_scheme(method, "truncation", [0.0])


def test_latent_samples_decode_the_schemes_draws_with_balanced_labels():
    """A set at temperature T is the decoder applied to T·N(0, I) draws (the same keys at every
    T), and truncated draws never leave [-τ, τ]; a conditional model's labels cycle."""
    method, params, _ = _initialised("cgan")
    key = jax.random.key(2)
    x, y = T.latent_samples(method, params, key, "temperature", 0.5, 7, num_classes=10, chunk=4)
    np.testing.assert_array_equal(y, [0, 1, 2, 3, 4, 5, 6])
    k0 = jax.random.fold_in(key, 0)
    z = 0.5 * jax.random.normal(jax.random.fold_in(k0, 0), (4, method.latent_dim))
    want = method.decode_latent(params, jax.random.fold_in(k0, 1), z, np.arange(4))
    np.testing.assert_array_equal(x[:4], np.asarray(want))
    z = T.SCHEMES["truncation"](key, (5000, 4), 0.7)
    assert float(np.abs(np.asarray(z)).max()) <= 0.7


def test_quality_curve_measures_every_value_with_the_suite(tmp_path):
    """One suite result per value; at temperature → 0 a GAN's samples collapse towards one image
    per class, so recall falls far below its value at T = 1."""
    method, params, data = _initialised("cgan")
    suite = build_suite(SuiteConfig(num_samples=300), data, "digits")
    rows = T.quality_curve(method, params, jax.random.key(0), suite, "temperature", [0.01, 1.0])
    assert [r["value"] for r in rows] == [0.01, 1.0]
    assert set(rows[0]) == {"value", *T.METRICS}
    assert rows[0]["recall"] <= rows[1]["recall"]
    report = {
        "method": "cgan",
        "step": 0,
        "scheme": "temperature",
        "num_samples": 300,
        "reference": "digits test split",
        "floor": suite.bounds["floor"],
        "curve": rows,
    }
    assert "| 0.01 |" in T.markdown([report])
    T.plot([report], str(tmp_path / "t.png"))
    assert (tmp_path / "t.png").stat().st_size > 1000
