"""Latent-variable family glue: VAE, beta-VAE, conditional VAE and IWAE from one config."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.inference import importance_log_likelihood, interpolation_grids, traversal_grid
from genjax.losses import (
    elbo_loss,
    gaussian_log_density_logvar,
    iwae_bound,
    iwae_loss,
    kl_diag_gaussians,
    standard_normal_log_density,
)
from genjax.methods.base import DataInfo, Method, check_choice, display, network_fields
from genjax.methods.likelihood import class_labels, log_likelihood, mean_image
from genjax.models.vae import VAE

VARIANTS = ("vae", "beta_vae", "cvae", "iwae")


def build_model(config: ml_collections.ConfigDict, info: DataInfo, conditional: bool) -> VAE:
    """The VAE network described by ``config.model`` for data ``info``."""
    if conditional and info.num_classes == 0:
        raise ValueError("a conditional model needs a labelled dataset (this one has no labels)")
    return VAE(**network_fields(config, info), num_classes=info.num_classes if conditional else 0)


def make(config: ml_collections.ConfigDict, info: DataInfo, variant: str = "vae") -> Method:
    """Build the method ``variant`` (one of VARIANTS).

    Args:
      config: the experiment config (uses model, loss and eval fields).
      info: the data's shape, classes and range.
      variant: "vae", "beta_vae" (KL weight ``loss.beta``), "cvae" (labels into encoder and
        decoder) or "iwae" (trained on the ``loss.num_importance``-sample bound).

    Returns:
      The family's Method.
    """
    check_choice("VAE variant", variant, VARIANTS)
    conditional = variant == "cvae"
    model = build_model(config, info, conditional)
    beta = float(config.loss.beta) if variant == "beta_vae" else 1.0
    k_train = int(config.loss.num_importance)

    def labels(batch):
        return batch["label"] if conditional else None

    def log_weights(params, x, y, key, n):
        """log p(x, z) - log q(z|x) for n draws z ~ q(z|x): shape [n, B]."""
        mean, log_var = model.apply(params, x, y, method=VAE.encode)
        eps = jax.random.normal(key, (n, *mean.shape), mean.dtype)
        z = mean + jnp.exp(0.5 * log_var) * eps
        b, d = mean.shape
        y_rep = None if y is None else jnp.tile(y, n)
        out = model.apply(params, z.reshape(n * b, d), y_rep, method=VAE.decode)
        out = jax.tree.map(lambda a: a.reshape(n, b, *a.shape[1:]) if a.ndim > 3 else a, out)
        ll = log_likelihood(out, x[None], batch_ndim=2)
        return (
            ll
            + standard_normal_log_density(z, batch_ndim=2)
            - gaussian_log_density_logvar(z, mean, log_var, batch_ndim=2)
        )

    def elbo_terms(params, batch, key):
        x, y = batch["image"], labels(batch)
        mean, log_var = model.apply(params, x, y, method=VAE.encode)
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape, mean.dtype)
        ll = log_likelihood(model.apply(params, z, y, method=VAE.decode), x)
        return ll, kl_diag_gaussians(mean, log_var)

    def init(key, batch):
        return model.init(key, batch["image"], key, labels(batch))

    def loss(params, batch, key):
        if variant == "iwae":
            return iwae_loss(log_weights(params, batch["image"], labels(batch), key, k_train))
        ll, kl = elbo_terms(params, batch, key)
        return elbo_loss(ll, kl, beta)

    def eval_metrics(params, batch, key):
        ll, kl = elbo_terms(params, batch, key)
        out = {"elbo": ll - kl, "log_likelihood": ll, "kl": kl}
        if variant == "iwae":
            lw = log_weights(params, batch["image"], labels(batch), key, k_train)
            out[f"iwae_bound_{k_train}"] = iwae_bound(lw)
        return out

    def decode_mean(params, z, y=None):
        return display(mean_image(model.apply(params, z, y, method=VAE.decode)), info)

    def sample(params, key, num):
        z = jax.random.normal(key, (num, model.latent_dim))
        return decode_mean(params, z, class_labels(num, model.num_classes))

    @functools.partial(jax.jit, static_argnums=2)
    def generate(params, key, num, y=None):
        """z ~ N(0, I), then x ~ Bernoulli(p) for binary data; for gray data the decoder's mean
        (per-pixel noise left out, as is usual), clipped to the data range."""
        k_z, k_x = jax.random.split(key)
        z = jax.random.normal(k_z, (num, model.latent_dim))
        out = model.apply(params, z, y, method=VAE.decode)
        if info.binary and "logits" in out:
            return jax.random.bernoulli(k_x, jax.nn.sigmoid(out["logits"])).astype(jnp.float32)
        low = -1.0 if info.pixel_range == "symmetric" else 0.0
        return display(jnp.clip(mean_image(out), low, 1.0), info)

    @functools.partial(jax.jit, static_argnums=(4, 5))
    def is_nll(params, x, y, key, num_samples, chunk):
        fn = lambda k, n: log_weights(params, x, y, k, n)
        return -importance_log_likelihood(fn, key, num_samples, chunk)

    encode = jax.jit(lambda params, x, y: model.apply(params, x, y, method=VAE.encode))
    decode_grid = jax.jit(decode_mean)

    def report(params, batches, key):
        k_eval, chunk = int(config.eval.nll_samples), int(config.eval.nll_chunk)
        nll_sum, count, means, first = 0.0, 0.0, [], None
        for i, (batch, mask) in enumerate(batches):
            y = labels(batch)
            nll = is_nll(params, batch["image"], y, jax.random.fold_in(key, i), k_eval, chunk)
            nll_sum += float(jnp.sum(np.asarray(nll) * mask))
            count += float(mask.sum())
            means.append(np.asarray(encode(params, batch["image"], y)[0])[mask > 0])
            first = first or batch
        means = np.concatenate(means)
        active = np.var(means, axis=0) > 0.01  # Burda et al. 2016 active units
        scalars = {
            "test_is_nll": nll_sum / count,
            "nll_samples": float(k_eval),
            "active_units": float(active.sum()),
        }
        return scalars, latent_images(params, first, means, active)

    def latent_images(params, batch, means, active):
        x, y = batch["image"], labels(batch)
        n = min(8, x.shape[0])
        recon = decode_grid(
            params,
            encode(params, x[:n], None if y is None else y[:n])[0],
            None if y is None else y[:n],
        )
        recon_grid = np.stack([np.asarray(display(x[:n], info)), np.asarray(recon)])
        order = np.argsort(-np.var(means, axis=0))[: min(10, means.shape[1])]
        values = jnp.linspace(-3.0, 3.0, 9)
        y0 = None if y is None else jnp.full((len(order) * len(values),), y[0])
        trav = traversal_grid(lambda z: decode_grid(params, z, y0), means[0], order, values)
        y1 = None if y is None else jnp.full((40,), y[0])  # 4 paths of 10 points
        paths = interpolation_grids(
            lambda z: decode_grid(params, z, y1), means[0:8:2], means[1:8:2], 10
        )
        return {
            "reconstructions": recon_grid,
            "traversal": np.asarray(trav),
            **{name: np.asarray(grid) for name, grid in paths.items()},
        }

    return Method(variant, init, loss, eval_metrics, sample, report, generate, conditional)
