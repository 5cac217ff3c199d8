"""Non-probabilistic family: sparse coding (Olshausen & Field 1996) by dictionary learning.
Codes come from ISTA/FISTA with the dictionary held fixed; the dictionary is then a gradient
step on ½ ||x - c D||² + λ ||c||₁. Atoms are kept at unit norm by parametrisation,
D = V / ||V|| row by row, so any optax optimizer applies."""

import dataclasses
import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from genjax.checks import check_at_least, check_choice
from genjax.data import DataInfo
from genjax.inference.sparse_coding import METHODS, sparse_encode
from genjax.losses import sparse_coding_objective
from genjax.methods.base import Method, stateless
from genjax.methods.common import (
    flat,
    originals_over_reconstructions,
    read_sections,
    weights_picture,
)


@dataclasses.dataclass(frozen=True)
class DictionaryModel:
    """``config.model``: num_atoms, the dictionary's size."""

    num_atoms: int = 64

    def __post_init__(self):
        check_at_least("model.num_atoms", self.num_atoms, 1)


@dataclasses.dataclass(frozen=True)
class CodingConfig:
    """``config.sparse_coding``: λ, the solver (ista or fista), its step limit and tolerance."""

    penalty: float = 0.1
    method: str = "fista"
    max_iter: int = 200
    tol: float = 1e-5

    def __post_init__(self):
        check_choice("sparse_coding.method", self.method, METHODS)
        check_at_least("sparse_coding.penalty", self.penalty, 0.0)
        check_at_least("sparse_coding.max_iter", self.max_iter, 1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SparseCodingConfig:
    num_atoms: int
    coding: CodingConfig


def read_config(config: Mapping, strict: bool = True) -> SparseCodingConfig:
    """The model and sparse_coding sections as typed settings."""
    s = read_sections(
        config, "method sparse_coding", strict, model=DictionaryModel, sparse_coding=CodingConfig
    )
    return SparseCodingConfig(num_atoms=s["model"].num_atoms, coding=s["sparse_coding"])


def unit_atoms(params) -> jax.Array:
    """The dictionary D [K, P]: the rows of params["atoms"] scaled to unit norm."""
    v = params["atoms"]
    return v / jnp.linalg.norm(v, axis=-1, keepdims=True)


def codes_of(c: CodingConfig, params, x) -> tuple[jax.Array, jax.Array]:
    """(codes of x in the fixed dictionary, solver steps taken)."""
    d = jax.lax.stop_gradient(unit_atoms(params))
    codes, steps = sparse_encode(x, d, c.penalty, c.method, c.max_iter, c.tol)
    return jax.lax.stop_gradient(codes), steps


def loss(c: CodingConfig, params, batch, key):
    """The mean objective at the codes (the dictionary's gradient step)."""
    del key
    x = flat(batch)
    codes, steps = codes_of(c, params, x)
    objective = sparse_coding_objective(x, codes, unit_atoms(params), c.penalty)
    return jnp.mean(objective), {"sparsity": jnp.mean(codes != 0), "inference_steps": steps}


def eval_metrics(c: CodingConfig, params, batch, key) -> dict[str, jax.Array]:
    """Per-example objective, reconstruction MSE and number of active atoms."""
    del key
    x = flat(batch)
    codes, _ = codes_of(c, params, x)
    return {
        "objective": sparse_coding_objective(x, codes, unit_atoms(params), c.penalty),
        "reconstruction_mse": jnp.mean((codes @ unit_atoms(params) - x) ** 2, axis=-1),
        "active_atoms": jnp.sum(codes != 0, axis=-1).astype(jnp.float32),
    }


def report(c: CodingConfig, info: DataInfo, params, batches, key):
    """The atoms as pictures (each rescaled to [0, 1]) and reconstructions of 8 test images."""
    del key
    batch, _ = next(iter(batches))
    atoms = np.asarray(unit_atoms(params)).reshape(-1, *info.image_shape)
    x = flat(batch)[:8]
    reconstruct = jax.jit(lambda p, v: codes_of(c, p, v)[0] @ unit_atoms(p))
    recon = np.asarray(reconstruct(params, x)).reshape(-1, *info.image_shape)
    pair = originals_over_reconstructions(
        np.asarray(x).reshape(-1, *info.image_shape), np.clip(recon, 0.0, 1.0)
    )
    return {}, {
        "atoms": weights_picture(atoms, per_image=True),
        "reconstructions": pair,
    }


def build(cfg: SparseCodingConfig, info: DataInfo) -> Method:
    """A Method without a sampler: its report shows the atoms and reconstructions."""
    c = cfg.coding
    return Method(
        name="sparse_coding",
        init=lambda key, batch: {"atoms": jax.random.normal(key, (cfg.num_atoms, info.num_pixels))},
        loss=stateless(functools.partial(loss, c)),
        eval_metrics=functools.partial(eval_metrics, c),
        report=functools.partial(report, c, info),
    )
