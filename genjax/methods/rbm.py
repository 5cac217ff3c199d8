"""Energy-based family glue: Bernoulli–Bernoulli and Gaussian–Bernoulli RBMs trained by CD-k
or persistent CD (the chains live in the train state), scored by exact log Z (≤ 24 hidden
units) and by AIS side by side."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax import energy as E
from genjax.methods.base import DataInfo, Method, check_choice, display

SAMPLERS = ("cd", "pcd")
CHAIN_FRAMES = 10


def make(config: ml_collections.ConfigDict, info: DataInfo) -> Method:
    """Build the RBM method.

    Args:
      config: model (num_hidden), rbm (sampler, gibbs_steps, num_chains, sample_steps,
        ais_chains, ais_betas) and the spine's fields.
      info: the data: binary data gets Bernoulli visibles, gray data Gaussian ones (their σ
        start at 1 and are floored at the spread of one quantisation bin, bin width / √12:
        without it, a pixel that is constant in training, such as a digit's corner, drives its
        σ to 0 and the density, and so the NLL, without bound).

    Returns:
      The Method; PCD carries its chains as model state.
    """
    rc = config.rbm
    check_choice("rbm.sampler", rc.sampler, SAMPLERS)
    num_visible = int(np.prod(info.image_shape))
    num_hidden = int(config.model.num_hidden)
    kind = "bernoulli" if info.binary else "gaussian"
    k = int(rc.gibbs_steps)
    exact = E.exact_is_feasible(num_visible, num_hidden, kind == "gaussian")

    bin_width = (1.0 if info.pixel_range == "unit" else 2.0) / info.levels
    log_sigma_floor = float(np.log(bin_width / np.sqrt(12.0)))

    def flat(batch):
        return batch["image"].reshape(batch["image"].shape[0], -1)

    def init(key, batch):
        del batch
        return E.init_params(key, num_visible, num_hidden, kind)

    def floored(fn):
        """``fn`` on the model's parameters: Gaussian σ floored (identity for binary data)."""
        if kind == "bernoulli":
            return fn

        def wrapped(params, *args):
            log_sigma = jnp.maximum(params["log_sigma"], log_sigma_floor)
            return fn({**params, "log_sigma": log_sigma}, *args)

        return wrapped

    def cd_loss(params, batch, key):
        v = flat(batch)
        return E.contrastive_divergence_loss(params, v, E.gibbs_chain(params, v, key, k))

    def init_chains(key, batch):
        del key  # chains start at data, as in Tieleman (2008)
        v = flat(batch)
        return {"chains": jnp.resize(v, (int(rc.num_chains), num_visible))}

    def pcd_loss(params, batch, key, model_state):
        chains = E.gibbs_chain(params, model_state["chains"], key, k)
        loss, metrics = E.contrastive_divergence_loss(params, flat(batch), chains)
        return loss, (metrics, {"chains": chains})

    def eval_metrics(params, batch, key):
        v = flat(batch)
        out = {"free_energy": E.free_energy(params, v)}
        if exact:
            out["nll"] = out["free_energy"] + E.exact_log_partition(params)
        recon = E.visible_mean(params, jax.nn.sigmoid(E.hidden_logits(params, v)))
        out["reconstruction_mse"] = jnp.mean((recon - v) ** 2, axis=-1)
        return out

    def to_images(v):
        x = v.reshape(*v.shape[:-1], *info.image_shape)
        return display(jnp.clip(x, -1.0, 1.0), info) if kind == "gaussian" else x

    def run_chain(params, key, num, trajectory):
        k_init, k_run = jax.random.split(key)
        v0 = jax.random.bernoulli(k_init, 0.5, (num, num_visible)).astype(jnp.float32)
        if kind == "gaussian":
            v0 = jax.random.normal(k_init, (num, num_visible))
        return E.gibbs_chain(params, v0, k_run, int(rc.sample_steps), trajectory)

    @functools.partial(jax.jit, static_argnums=2)
    def generate(params, key, num, y=None):
        del y
        return to_images(run_chain(params, key, num, False))

    @functools.partial(jax.jit, static_argnums=2)
    def sample(params, key, num):
        """Mean visibles E[v | h] after the last sweep (smoother than binary draws)."""
        v = run_chain(params, key, num, False)
        h = E.sample_hidden(params, v, jax.random.fold_in(key, 1))
        return to_images(E.visible_mean(params, h))

    @functools.partial(jax.jit, static_argnums=2)
    def chain(params, key, num):
        _, vs = run_chain(params, key, num, True)
        frames = np.unique(np.geomspace(1, vs.shape[0], CHAIN_FRAMES).astype(int)) - 1
        return to_images(jnp.swapaxes(vs[frames], 0, 1))

    @jax.jit
    def ais(params, base_bias, key):
        return E.ais_log_partition(params, base_bias, key, int(rc.ais_chains), int(rc.ais_betas))

    def report(params, batches, key):
        data = []
        for batch, mask in batches:
            data.append(np.asarray(flat(batch))[np.asarray(mask) > 0])
        v = jnp.asarray(np.concatenate(data))
        free = np.asarray(E.free_energy(params, v), np.float64)
        scalars = {"nll_examples": float(len(free))}
        if exact:
            scalars["exact_log_z"] = float(E.exact_log_partition(params))
            scalars["test_nll_exact"] = float(free.mean() + scalars["exact_log_z"])
        if kind == "bernoulli":  # base rate: the evaluated split's pixel marginals
            est = ais(params, E.data_log_odds(jnp.mean(v, axis=0)), key)
            est = {name: float(value) for name, value in est.items()}
            scalars.update({f"ais_{name}": value for name, value in est.items()})
            scalars["test_nll_ais"] = float(free.mean() + est["log_z"])
            scalars["ais_chains"], scalars["ais_betas"] = float(rc.ais_chains), float(rc.ais_betas)
        filters = np.asarray(params["W"]).T.reshape(num_hidden, *info.image_shape)
        filters = (filters - filters.min()) / max(filters.max() - filters.min(), 1e-8)
        images = {"filters": filters, "chain": np.asarray(chain(params, key, 4))}
        return scalars, images

    pcd = rc.sampler == "pcd"
    return Method(
        "rbm",
        init,
        floored(pcd_loss if pcd else cd_loss),
        floored(eval_metrics),
        floored(sample),
        floored(report),
        floored(generate),
        chain=floored(chain),
        init_model_state=init_chains if pcd else None,
    )
