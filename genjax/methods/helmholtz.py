"""Helmholtz machine: a sigmoid belief net and its recognition net trained by wake-sleep or
reweighted wake-sleep, scored by importance-sampled test NLL."""

import dataclasses
import functools
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp

from genjax.checks import check_at_least
from genjax.data import DataInfo, masked_mean
from genjax.inference import importance_log_likelihood
from genjax.methods.base import Method, Score, stateless
from genjax.methods.common import NLLConfig, flat, make_sampler, read_sections
from genjax.models import sigmoid_belief as S


@dataclasses.dataclass(frozen=True)
class HelmholtzModel:
    """``config.model``: hidden, the layer sizes from the visibles up."""

    hidden: tuple[int, ...] = (64, 32)

    def __post_init__(self):
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"model.hidden must list layer sizes >= 1; got {self.hidden}")


@dataclasses.dataclass(frozen=True)
class WakeSleepConfig:
    """``config.helmholtz``: num_samples K (1: wake-sleep; > 1: reweighted wake-sleep) and
    sleep (add the sleep phase to RWS; wake-sleep always has it)."""

    num_samples: int = 5
    sleep: bool = True

    def __post_init__(self):
        check_at_least("helmholtz.num_samples", self.num_samples, 1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class HelmholtzConfig:
    hidden: tuple[int, ...]
    wake_sleep: WakeSleepConfig
    nll: NLLConfig


def read_config(config: Mapping, strict: bool = True) -> HelmholtzConfig:
    """The model, helmholtz and eval.nll_* sections as typed settings."""
    owner = "method helmholtz"
    s = read_sections(config, owner, strict, model=HelmholtzModel, helmholtz=WakeSleepConfig)
    nll = NLLConfig.read(config.get("eval"), owner, strict)
    return HelmholtzConfig(hidden=s["model"].hidden, wake_sleep=s["helmholtz"], nll=nll)


class Machine(NamedTuple):
    cfg: HelmholtzConfig
    info: DataInfo


def loss(m: Machine, params, batch, key):
    """The (reweighted) wake-sleep surrogate."""
    ws = m.cfg.wake_sleep
    gen, rec = params["generative"], params["recognition"]
    return S.wake_sleep_surrogate(gen, rec, flat(batch), key, ws.num_samples, ws.sleep)


def eval_metrics(m: Machine, params, batch, key) -> dict[str, jax.Array]:
    """Per-example one-draw ELBO and the K-sample bound."""
    k = m.cfg.wake_sleep.num_samples
    lw, _ = S.log_weights(params["generative"], params["recognition"], flat(batch), key, k)
    return {"elbo": lw[0], f"bound_{k}": jax.nn.logsumexp(lw, axis=0) - jnp.log(k)}


def draw(m: Machine, params, key, num, labels, mean, trajectory):
    """Dreams x ~ p top-down; with ``mean`` the p(x | h_1) means of dreamt h_1 (smoother)."""
    del labels, trajectory
    gen = params["generative"]
    x, states = S.dream(gen, key, num)
    if mean:
        last = gen["layers"][-1]
        x = jax.nn.sigmoid(states[0] @ last["W"] + last["b"])
    return x.reshape(num, *m.info.image_shape)


def is_nll(params, x, key, num_samples: int, chunk: int) -> jax.Array:
    """-log p(x) per example by importance sampling from the recognition net."""
    gen, rec = params["generative"], params["recognition"]
    fn = lambda k, n: S.log_weights(gen, rec, x, k, n)[0]
    return -importance_log_likelihood(fn, key, num_samples, chunk)


def nll_score(m: Machine, params, batch, key) -> jax.Array:
    """-log p(x) per example, importance-sampled with K = eval.nll_samples."""
    return is_nll(params, flat(batch), key, m.cfg.nll.nll_samples, m.cfg.nll.nll_chunk)


def report(m: Machine, params, batches, key):
    """The test split's importance-sampled NLL with K = eval.nll_samples."""
    k, chunk = m.cfg.nll.nll_samples, m.cfg.nll.nll_chunk
    fn = jax.jit(is_nll, static_argnums=(3, 4))
    nll = masked_mean(
        ({"nll": fn(params, flat(b), jax.random.fold_in(key, i), k, chunk)}, mask)
        for i, (b, mask) in enumerate(batches)
    )
    return {"test_is_nll": nll["nll"], "nll_samples": float(k)}, {}


def build(cfg: HelmholtzConfig, info: DataInfo) -> Method:
    """The Method for binary data; params are {"generative", "recognition"}, trained by one
    surrogate loss."""
    if not info.binary:
        raise ValueError("a sigmoid belief net models binary pixels: set data.variant='binary'")
    m, k = Machine(cfg, info), cfg.nll.nll_samples

    def init(key, batch):
        del batch
        gen, rec = S.init_params(key, info.num_pixels, cfg.hidden)
        return {"generative": gen, "recognition": rec}

    return Method(
        name="helmholtz",
        init=init,
        loss=stateless(functools.partial(loss, m)),
        eval_metrics=functools.partial(eval_metrics, m),
        sample=make_sampler(functools.partial(draw, m), "helmholtz", 0, False),
        report=functools.partial(report, m),
        scores={
            "is_nll": Score(fn=functools.partial(nll_score, m), estimator=f"IS, K = {k}", nats=True)
        },
    )
