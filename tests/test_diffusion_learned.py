"""Learned variances (Nichol & Dhariwal 2021): the interpolated log-variance, respacing, the
hybrid loss's gradient (the variance head learns from L_vlb only, the mean from L_simple
only), importance sampling of t with its history in the model state, and the diffusion method's
end-to-end run: resume, both bounds, the suite, samples and chain."""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import diffusion as D
from genjax.diffusion import samplers
from genjax.diffusion import timesteps as T
from tests.helpers import (
    assert_resume_is_bitwise_exact,
    method_of,
    tiny_diffusion_config,
)
from tests.test_diffusion_samplers import _check, exact_eps


def tiny_learned_config(
    steps: int = 20, sampler: str = "uniform", conditional: bool = True, **train
):
    """The tiny diffusion config with learned variances, the hybrid loss and ``sampler``."""
    c = tiny_diffusion_config(steps=steps, conditional=conditional, **train)
    c.diffusion.update(variance="learned", timestep_sampler=sampler, sampler="ddpm")
    return c


def test_learned_log_variance_interpolates_between_beta_tilde_and_beta():
    d = D.schedule("cosine", 50)
    t = jnp.asarray([0, 1, 25, 49])
    shape = (4, 2, 2, 1)
    beta = np.log(np.asarray(d.betas)[t])[:, None, None, None]
    tilde = np.asarray(d.posterior_log_variance_clipped)[t][:, None, None, None]
    for v, want in ((-1.0, tilde), (1.0, beta), (0.0, 0.5 * (beta + tilde))):
        got = D.learned_log_variance(d, t, jnp.full(shape, v))
        np.testing.assert_allclose(got, np.broadcast_to(want, shape), rtol=1e-5, atol=1e-6)


def test_respacing_keeps_the_cumulative_products_at_its_steps():
    d = D.schedule("linear", 1000)
    full, steps = D.respace(d, 1000)
    np.testing.assert_array_equal(steps, np.arange(1000))
    np.testing.assert_allclose(full.alphas_cumprod, d.alphas_cumprod, rtol=1e-5)
    short, steps = D.respace(d, 50)
    assert steps[0] == 0 and steps[-1] == 999 and len(np.unique(steps)) == 50
    np.testing.assert_allclose(short.alphas_cumprod, np.asarray(d.alphas_cumprod)[steps], rtol=1e-5)
    with pytest.raises(ValueError, match=r"respaced steps must be in \[1, 1000\]; got 0"):
        D.respace(d, 0)


def test_respaced_ancestral_sampling_with_the_exact_denoiser_draws_the_gaussian():
    """100 of the 1000 steps, the network called at the original steps (N = 10,000)."""
    d = D.schedule("linear", 1000)
    fn = jax.jit(
        lambda k: samplers.ddpm_sample(
            d, functools.partial(exact_eps, d), k, (10_000, 2), clip=None, num_steps=100
        )
    )
    _check(fn(jax.random.key(0)))


def test_bound_with_v_minus_one_is_the_fixed_variance_bound():
    d = D.schedule("cosine", 20)
    x0 = jnp.asarray(np.random.default_rng(0).integers(0, 17, (3, 4, 4, 1)) / 8.0 - 1.0)
    eps_fn = lambda x, t: 0.3 * x
    fixed = D.variational_bound(d, eps_fn, x0, jax.random.key(1), 17)
    learned = D.variational_bound(
        d, lambda x, t: (eps_fn(x, t), -jnp.ones_like(x)), x0, jax.random.key(1), 17
    )
    np.testing.assert_allclose(learned["total"], fixed["total"], rtol=1e-6)
    other = D.variational_bound(
        d, lambda x, t: (eps_fn(x, t), jnp.zeros_like(x)), x0, jax.random.key(1), 17
    )
    assert np.all(np.abs(np.asarray(other["total"] - fixed["total"])) > 1e-3)


def test_importance_history_fills_then_drops_its_oldest_values():
    h = T.init_history(3, history=2)
    np.testing.assert_allclose(T.probabilities(h), [1 / 3] * 3)  # uniform while not full
    h = T.update_history(h, jnp.asarray([0, 0, 1, 2, 0]), jnp.asarray([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_allclose(h.values, [[2.0, 5.0], [3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_array_equal(h.counts, [2, 1, 1])
    np.testing.assert_allclose(T.probabilities(h), [1 / 3] * 3)  # steps 1 and 2 not full yet
    h = T.update_history(h, jnp.asarray([1, 2]), jnp.asarray([3.0, 4.0]))
    rms = np.sqrt([(4 + 25) / 2, 9.0, 16.0])
    want = (1 - T.UNIFORM_PROB) * rms / rms.sum() + T.UNIFORM_PROB / 3
    np.testing.assert_allclose(T.probabilities(h), want, rtol=1e-5)


def test_importance_draws_follow_p_and_their_weights_make_the_estimate_unbiased():
    h = T.LossHistory(jnp.asarray([[1.0] * 4, [3.0] * 4, [0.5] * 4]), jnp.full((3,), 4))
    p = np.asarray(T.probabilities(h))
    t, w = T.sample_steps(h, jax.random.key(0), 200_000)
    np.testing.assert_allclose(np.bincount(np.asarray(t), minlength=3) / 200_000, p, atol=4e-3)
    np.testing.assert_allclose(np.asarray(w), 1.0 / (3 * p[np.asarray(t)]), rtol=1e-5)
    f = np.asarray([2.0, -1.0, 7.0])  # E_p[w f(t)] = the uniform mean of f
    np.testing.assert_allclose(np.sum(p * (1.0 / (3 * p)) * f), f.mean(), rtol=1e-6)
    np.testing.assert_allclose(np.mean(np.asarray(w) * f[np.asarray(t)]), f.mean(), rtol=0.02)


class TwoHeads(nn.Module):
    """A stand-in network: ε̂ = a·x_t, v = tanh(b·x_t), one scalar parameter per head."""

    @nn.compact
    def __call__(self, x, t, y=None):
        a = self.param("a", nn.initializers.constant(0.5), ())
        b = self.param("b", nn.initializers.constant(0.3), ())
        return jnp.concatenate([a * x, jnp.tanh(b * x)], axis=-1)


def test_hybrid_loss_reaches_the_variance_head_only_through_L_vlb():
    """The method's loss on a two-head stand-in network: the mean head gets L_simple's gradient
    whatever λ is (the mean's gradient is stopped in L_vlb); the variance head gets λ ∇L_vlb,
    none at λ = 0."""
    from genjax.methods import diffusion as M
    from genjax.methods.diffusion_objective import Denoiser, loss

    x0 = jnp.asarray(np.random.default_rng(0).integers(0, 17, (8, 4, 4, 1)) / 8.0 - 1.0)
    batch = {"image": x0, "label": jnp.zeros((8,), jnp.int32)}
    net = TwoHeads()
    params = net.init(jax.random.key(0), x0, jnp.zeros(8, jnp.int32))
    grads = {}
    for weight in (0.0, 1.0):
        process = M.ProcessConfig(
            schedule="cosine", num_steps=20, variance="learned", vlb_weight=weight, sample_steps=4
        )
        dn = Denoiser(net, D.schedule("cosine", 20), process, False, 10, 17)
        value = lambda p, dn=dn: loss(dn, p, batch, jax.random.key(1), None)[0]
        grads[weight] = jax.grad(value)(params)["params"]
    np.testing.assert_allclose(grads[1.0]["a"], grads[0.0]["a"], rtol=1e-6)
    assert grads[0.0]["a"] != 0 and grads[0.0]["b"] == 0.0
    assert abs(float(grads[1.0]["b"])) > 1e-6


def test_learned_variance_settings_are_one_line_errors():
    from genjax.data import DataInfo

    gray = DataInfo((8, 8, 1), 10, False, "symmetric", 16)
    for fields, match in (
        (dict(timestep_sampler="importance"), "set diffusion.variance='learned'"),
        (dict(variance="large"), "valid: fixed, learned"),
        (dict(variance="learned", timestep_sampler="stratified"), "valid: uniform, importance"),
        (dict(variance="learned", vlb_weight=-1.0), "diffusion.vlb_weight"),
    ):
        bad = tiny_diffusion_config()
        bad.diffusion.update(fields)
        with pytest.raises(ValueError, match=match) as err:
            method_of(bad, gray)
        assert "\n" not in str(err.value)


@pytest.mark.slow
def test_importance_sampled_run_resumes_bitwise_and_writes_both_bounds_suite_and_chain(tmp_path):
    """One set of runs (the compile dominates) for the spine's diffusion outputs: the loss
    history is model state, so stopping and resuming gives the straight run's parameters,
    optimizer state and history; the straight run (the suite on, at its end: it changes no
    parameter) samples by respaced ancestral steps with the learned variances and guidance,
    and reports both bounds. The fixed-variance report is checked term by term in
    tests/test_diffusion_method.py; the sample command's --chain on an RBM's checkpoint."""

    def straight(steps: int):
        config = tiny_learned_config(steps=steps, sampler="importance", eval_every=steps)
        config.eval.suite.enabled = True
        return config

    make = functools.partial(tiny_learned_config, sampler="importance")
    summary = assert_resume_is_bitwise_exact(
        make, tmp_path, first=10, total=20, straight_config=straight
    )
    for kind in ("conditional", "unconditional"):
        bpd = summary[f"test_bits_per_dim_{kind}"]
        assert np.isfinite(bpd) and bpd > 0
    assert "class_accuracy" in summary["suite"]["model"]
    assert summary["params"] == "ema"
    for name in ("samples", "chain", "guidance"):
        assert (tmp_path / "straight" / f"{name}.png").exists()
