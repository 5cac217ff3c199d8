"""The VAE's evaluated ELBO: averaged over eval.elbo_samples draws of z (issue 22)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.data import describe
from genjax.losses import kl_diag_gaussians, reparameterize
from genjax.methods import vae
from genjax.methods.encoder_decoder import log_likelihood
from genjax.models.vae import VAE
from genjax.run.settings import read_settings
from tests.helpers import tiny_config


@pytest.fixture(scope="module")
def setup():
    settings = read_settings(tiny_config())
    cfg, info = settings.method_settings, describe(settings.data)
    model = VAE(**cfg.network.module_fields(info))
    x = (jax.random.uniform(jax.random.key(0), (16, 8, 8, 1)) > 0.5).astype(jnp.float32)
    params = model.init(jax.random.key(1), x, jax.random.key(2), None)
    return model, params, x


def test_mean_elbo_terms_average_the_one_draw_terms(setup):
    model, params, x = setup
    key, draws = jax.random.key(3), 7
    ll, kl = vae.mean_elbo_terms(model, params, x, None, key, draws)
    mean, log_var = model.apply(params, x, None, method=VAE.encode)
    one = [
        log_likelihood(
            model.apply(params, reparameterize(k, mean, log_var), None, method=VAE.decode), x
        )
        for k in jax.random.split(key, draws)
    ]
    np.testing.assert_allclose(ll, np.mean(one, axis=0), rtol=1e-5)
    np.testing.assert_allclose(kl, kl_diag_gaussians(mean, log_var), rtol=1e-6)


def test_more_draws_shrink_the_spread_as_one_over_root_draws(setup):
    model, params, x = setup
    keys = jax.random.split(jax.random.key(4), 40)

    def spread(draws):
        fn = jax.jit(lambda k: vae.mean_elbo_terms(model, params, x, None, k, draws)[0].mean())
        return np.std([float(fn(k)) for k in keys])

    ratio = spread(100) / spread(1)
    assert 0.06 < ratio < 0.16, ratio  # 1/sqrt(100) = 0.1


def test_elbo_samples_is_read_from_eval_and_checked():
    config = tiny_config()
    assert read_settings(config).method_settings.elbo.elbo_samples == 4  # tests' cheap value
    del config.eval["elbo_samples"]
    assert read_settings(config).method_settings.elbo.elbo_samples == 100  # a config without it
    config.eval.elbo_samples = 0
    with pytest.raises(ValueError, match="eval.elbo_samples"):
        read_settings(config)


def test_report_gives_the_effective_sample_size_of_the_is_weights(setup):
    """The report's test_is_ess is the mean over examples of Kish's ESS of the same weights
    whose log-mean-exp is the IS NLL (between 1 and K)."""
    from genjax.inference.sampling import effective_sample_size

    model, params, x = setup
    out = vae.is_nll_and_ess(model, params, x, None, jax.random.key(3), 20, 10)
    keys = jax.random.split(jax.random.key(3), 2)
    lw = jnp.concatenate([vae.log_weights(model, params, x, None, k, 10) for k in keys])
    np.testing.assert_allclose(out["ess"], effective_sample_size(lw), rtol=1e-5)
    np.testing.assert_allclose(out["nll"], -(jax.nn.logsumexp(lw, axis=0) - np.log(20)), rtol=1e-5)
    assert bool(jnp.all((out["ess"] >= 1) & (out["ess"] <= 20)))
