"""Deterministic autoencoders: plain, and sparse (L1 on the codes)."""

import jax
import ml_collections
import numpy as np

from genjax.losses import l1_penalty, sparse_autoencoder_loss
from genjax.methods.base import DataInfo, Method, display, network_fields
from genjax.methods.likelihood import log_likelihood, mean_image
from genjax.models.autoencoder import Autoencoder


def make(config: ml_collections.ConfigDict, info: DataInfo, sparse: bool = False) -> Method:
    """Build an autoencoder; ``sparse`` adds ``loss.l1_weight`` times the L1 norm of codes.

    Args:
      config: the experiment config (model and loss fields).
      info: the data's shape, classes and range.
      sparse: add the L1 code penalty.

    Returns:
      The Method (no prior to sample from: its report shows reconstructions).
    """
    model = Autoencoder(**network_fields(config, info))
    l1_weight = float(config.loss.l1_weight) if sparse else 0.0

    def init(key, batch):
        return model.init(key, batch["image"])

    def forward(params, x):
        codes = model.apply(params, x, method=Autoencoder.encode)
        return codes, model.apply(params, codes, method=Autoencoder.decode)

    def loss(params, batch, key):
        codes, out = forward(params, batch["image"])
        return sparse_autoencoder_loss(log_likelihood(out, batch["image"]), codes, l1_weight)

    def eval_metrics(params, batch, key):
        codes, out = forward(params, batch["image"])
        return {
            "reconstruction_nll": -log_likelihood(out, batch["image"]),
            "l1": jax.vmap(lambda c: l1_penalty(c[None]))(codes),
        }

    apply = jax.jit(forward)

    def report(params, batches, key):
        batch, _ = next(iter(batches))
        x = batch["image"][:8]
        codes, out = apply(params, x)
        active = float(np.mean(np.abs(np.asarray(codes)) > 1e-3))
        grid = np.stack([np.asarray(display(x, info)), np.asarray(display(mean_image(out), info))])
        return {"active_fraction": active}, {"reconstructions": grid}

    return Method(
        "sparse_autoencoder" if sparse else "autoencoder", init, loss, eval_metrics, None, report
    )
