"""Energy-based family: Bernoulli–Bernoulli and Gaussian–Bernoulli RBMs trained by CD-k
or persistent CD (the chains are the method's model state, carried in the train state), scored
by exact log Z (≤ 24 hidden units) and by AIS side by side."""

import dataclasses
import functools
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax import energy as E
from genjax.checks import check_at_least, check_choice
from genjax.data import DataInfo, display
from genjax.methods.base import Method, stateless
from genjax.methods.common import (
    chain_picture,
    flat,
    make_sampler,
    metric_score,
    read_sections,
    select_frames,
    weights_picture,
)

SAMPLERS = ("cd", "pcd")
CHAIN_FRAMES = 10


@dataclasses.dataclass(frozen=True)
class RBMModel:
    """``config.model``: num_hidden, the hidden layer's size."""

    num_hidden: int = 20

    def __post_init__(self):
        check_at_least("model.num_hidden", self.num_hidden, 1)


@dataclasses.dataclass(frozen=True)
class SamplingConfig:
    """``config.rbm``: the gradient's sampler (CD-k from the data or PCD from persistent
    chains), k, the persistent chains, Gibbs sweeps for samples, and AIS's size."""

    sampler: str = "cd"
    gibbs_steps: int = 1
    num_chains: int = 20
    sample_steps: int = 1_000
    ais_chains: int = 100
    ais_betas: int = 10_000

    def __post_init__(self):
        check_choice("rbm.sampler", self.sampler, SAMPLERS)
        for name in ("gibbs_steps", "num_chains", "sample_steps", "ais_chains"):
            check_at_least(f"rbm.{name}", getattr(self, name), 1)
        check_at_least("rbm.ais_betas", self.ais_betas, 2)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RBMConfig:
    num_hidden: int
    sampling: SamplingConfig


def read_config(config: Mapping, strict: bool = True) -> RBMConfig:
    """The model and rbm sections as typed settings."""
    s = read_sections(config, "method rbm", strict, model=RBMModel, rbm=SamplingConfig)
    return RBMConfig(num_hidden=s["model"].num_hidden, sampling=s["rbm"])


class RBM(NamedTuple):
    """The machine's shape and what its functions need of the settings."""

    kind: str  # "bernoulli" or "gaussian" visibles
    num_visible: int
    num_hidden: int
    sampling: SamplingConfig
    log_sigma_floor: float
    exact: bool  # log Z can be summed exactly


def floored(rbm: RBM, params):
    """Gaussian visibles' σ floored at one quantisation bin's spread (identity for binary)."""
    if rbm.kind == "bernoulli":
        return params
    return {**params, "log_sigma": jnp.maximum(params["log_sigma"], rbm.log_sigma_floor)}


def cd_loss(rbm: RBM, params, batch, key):
    """CD-k: the negative phase from k Gibbs sweeps started at the data."""
    params, v = floored(rbm, params), flat(batch)
    return E.cd_loss(params, v, E.gibbs_chain(params, v, key, rbm.sampling.gibbs_steps))


def pcd_loss(rbm: RBM, params, batch, key, model_state):
    """PCD: the negative phase from the persistent chains, advanced k sweeps and kept."""
    params = floored(rbm, params)
    chains = E.gibbs_chain(params, model_state["chains"], key, rbm.sampling.gibbs_steps)
    value, metrics = E.cd_loss(params, flat(batch), chains)
    return value, (metrics, {"chains": chains})


def init_chains(rbm: RBM, key, batch):
    """Persistent chains start at data, as in Tieleman (2008)."""
    del key
    return {"chains": jnp.resize(flat(batch), (rbm.sampling.num_chains, rbm.num_visible))}


def eval_metrics(rbm: RBM, params, batch, key) -> dict[str, jax.Array]:
    """Per-example free energy, exact NLL where log Z is summable, reconstruction MSE."""
    del key
    params, v = floored(rbm, params), flat(batch)
    out = {"free_energy": E.free_energy(params, v)}
    if rbm.exact:
        out["nll"] = out["free_energy"] + E.exact_log_partition(params)
    recon = E.visible_mean(params, jax.nn.sigmoid(E.hidden_logits(params, v)))
    out["reconstruction_mse"] = jnp.mean((recon - v) ** 2, axis=-1)
    return out


def to_images(rbm: RBM, info: DataInfo, v: jax.Array) -> jax.Array:
    x = v.reshape(*v.shape[:-1], *info.image_shape)
    return display(jnp.clip(x, -1.0, 1.0), info) if rbm.kind == "gaussian" else x


def draw(rbm: RBM, info: DataInfo, params, key, num, labels, mean, trajectory):
    """Block Gibbs from noise for ``sample_steps`` sweeps: the last visibles; with ``mean``
    E[v | h] after one more half-sweep (smoother); with ``trajectory`` geometrically spaced
    sweeps of the chain."""
    del labels
    params = floored(rbm, params)
    k_init, k_run = jax.random.split(key)
    v0 = jax.random.bernoulli(k_init, 0.5, (num, rbm.num_visible)).astype(jnp.float32)
    if rbm.kind == "gaussian":
        v0 = jax.random.normal(k_init, (num, rbm.num_visible))
    out = E.gibbs_chain(params, v0, k_run, rbm.sampling.sample_steps, trajectory)
    if trajectory:
        return to_images(rbm, info, select_frames(out[1], CHAIN_FRAMES, "geometric"))
    if mean:
        out = E.visible_mean(params, E.sample_hidden(params, out, jax.random.fold_in(key, 1)))
    return to_images(rbm, info, out)


def report(rbm: RBM, info: DataInfo, sample, params, batches, key):
    """Test NLL from the exact log Z (where summable) and from AIS beside it (binary data:
    from a base-rate model of the test split's marginals); filters and Gibbs chains."""
    params = floored(rbm, params)
    v = jnp.asarray(np.concatenate([np.asarray(flat(b))[np.asarray(m) > 0] for b, m in batches]))
    free = np.asarray(E.free_energy(params, v), np.float64)
    scalars = {"nll_examples": float(len(free))}
    if rbm.exact:
        scalars["exact_log_z"] = float(E.exact_log_partition(params))
        scalars["test_nll_exact"] = float(free.mean() + scalars["exact_log_z"])
    if rbm.kind == "bernoulli":
        s = rbm.sampling
        ais = jax.jit(E.ais_log_partition, static_argnums=(3, 4))
        est = ais(params, E.data_log_odds(jnp.mean(v, axis=0)), key, s.ais_chains, s.ais_betas)
        scalars.update({f"ais_{name}": float(value) for name, value in est.items()})
        scalars["test_nll_ais"] = float(free.mean() + scalars["ais_log_z"])
        scalars["ais_chains"], scalars["ais_betas"] = float(s.ais_chains), float(s.ais_betas)
    filters = np.asarray(params["W"]).T.reshape(rbm.num_hidden, *info.image_shape)
    chains = np.asarray(sample(params, key, 4, trajectory=True))
    chain = chain_picture(
        chains,
        "noise",
        "last sweep",
        rbm.sampling.sample_steps,
        "geometric",
        "Gibbs sweep",
        CHAIN_FRAMES,
    )
    return scalars, {"filters": weights_picture(filters), "chain": chain}


def build(cfg: RBMConfig, info: DataInfo) -> Method:
    """The RBM Method for data ``info``: binary data gets Bernoulli visibles, gray data
    Gaussian ones (their σ start at 1 and are floored at the spread of one quantisation bin,
    bin width / √12: without it, a pixel that is constant in training, such as a digit's
    corner, drives its σ to 0 and the density, and so the NLL, without bound)."""
    kind = "bernoulli" if info.binary else "gaussian"
    bin_width = (1.0 if info.pixel_range == "unit" else 2.0) / info.levels
    exact = E.exact_is_feasible(info.num_pixels, cfg.num_hidden, kind == "gaussian")
    rbm = RBM(
        kind,
        info.num_pixels,
        cfg.num_hidden,
        cfg.sampling,
        float(np.log(bin_width / np.sqrt(12.0))),
        exact,
    )
    pcd = cfg.sampling.sampler == "pcd"
    cd = stateless(functools.partial(cd_loss, rbm))
    sample = make_sampler(functools.partial(draw, rbm, info), "rbm", 0, True)
    metrics = functools.partial(eval_metrics, rbm)
    scores = {"free_energy": metric_score(metrics, "free_energy", "free energy F(x)", True)}
    if exact:
        scores["nll"] = metric_score(metrics, "nll", "exact -log p(x) (exact log Z)", True)
    return Method(
        name="rbm",
        init=lambda key, batch: E.init_params(key, rbm.num_visible, rbm.num_hidden, kind),
        loss=functools.partial(pcd_loss, rbm) if pcd else cd,
        init_model_state=functools.partial(init_chains, rbm) if pcd else None,
        eval_metrics=metrics,
        sample=sample,
        trajectory=True,
        report=functools.partial(report, rbm, info, sample),
        scores=scores,
    )
