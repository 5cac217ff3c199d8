"""Deterministic autoencoders: plain, and sparse (L1 on the codes)."""

import dataclasses
import functools
from collections.abc import Mapping

import jax
import numpy as np

from genjax.checks import check_at_least, read_section
from genjax.data import DataInfo, display
from genjax.losses import l1_penalty, sparse_autoencoder_loss
from genjax.methods.base import Method, stateless
from genjax.methods.common import metric_score, originals_over_reconstructions
from genjax.methods.encoder_decoder import NetworkConfig, log_likelihood, mean_image
from genjax.models.autoencoder import Autoencoder


@dataclasses.dataclass(frozen=True)
class SparseLoss:
    """``config.loss`` of the sparse autoencoder: l1_weight, the weight of the L1 code norm."""

    l1_weight: float = 1e-2

    def __post_init__(self):
        check_at_least("loss.l1_weight", self.l1_weight, 0.0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AutoencoderConfig:
    """Typed settings: the network, and the L1 weight (0 for the plain autoencoder)."""

    sparse: bool
    network: NetworkConfig
    l1_weight: float = 0.0

    @property
    def name(self) -> str:
        return "sparse_autoencoder" if self.sparse else "autoencoder"


def read_config(config: Mapping, sparse: bool, strict: bool = True) -> AutoencoderConfig:
    """``config.model`` (and the sparse variant's ``config.loss``) as typed settings."""
    owner = f"method {'sparse_autoencoder' if sparse else 'autoencoder'}"
    loss = read_section(
        config.get("loss"),
        SparseLoss,
        "loss",
        owner=owner,
        applicable=("l1_weight",) if sparse else (),
        strict=strict,
    )
    return AutoencoderConfig(
        sparse=sparse,
        network=NetworkConfig.read(config.get("model"), owner, strict),
        l1_weight=loss.l1_weight if sparse else 0.0,
    )


def forward(model: Autoencoder, params, x) -> tuple[jax.Array, dict[str, jax.Array]]:
    """(codes, decoder output) of images x."""
    codes = model.apply(params, x, method=Autoencoder.encode)
    return codes, model.apply(params, codes, method=Autoencoder.decode)


def loss(model: Autoencoder, l1_weight: float, params, batch, key):
    """Negative reconstruction log-likelihood plus the weighted L1 norm of the codes."""
    del key
    codes, out = forward(model, params, batch["image"])
    return sparse_autoencoder_loss(log_likelihood(out, batch["image"]), codes, l1_weight)


def eval_metrics(model: Autoencoder, params, batch, key) -> dict[str, jax.Array]:
    """Per-example reconstruction NLL and L1 code norm."""
    del key
    codes, out = forward(model, params, batch["image"])
    return {
        "reconstruction_nll": -log_likelihood(out, batch["image"]),
        "l1": jax.vmap(lambda c: l1_penalty(c[None]))(codes),
    }


def report(model: Autoencoder, info: DataInfo, params, batches, key):
    """The fraction of active code units (|c| > 1e-3) and reconstructions of 8 test images."""
    del key
    batch, _ = next(iter(batches))
    x = batch["image"][:8]
    codes, out = jax.jit(functools.partial(forward, model))(params, x)
    active = float(np.mean(np.abs(np.asarray(codes)) > 1e-3))
    grid = originals_over_reconstructions(display(x, info), display(mean_image(out), info))
    return {"active_fraction": active}, {"reconstructions": grid}


def build(cfg: AutoencoderConfig, info: DataInfo) -> Method:
    """The Method (no prior to sample from: its report shows reconstructions)."""
    model = Autoencoder(**cfg.network.module_fields(info))
    metrics = functools.partial(eval_metrics, model)
    recon = metric_score(metrics, "reconstruction_nll", "-log p(x | decode(encode(x)))", False)
    return Method(
        name=cfg.name,
        init=lambda key, batch: model.init(key, batch["image"]),
        loss=stateless(functools.partial(loss, model, cfg.l1_weight)),
        eval_metrics=metrics,
        report=functools.partial(report, model, info),
        scores={"reconstruction": recon},
    )
