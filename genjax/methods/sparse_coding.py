"""Non-probabilistic family glue: sparse coding (Olshausen & Field 1996) by dictionary
learning. Codes come from ISTA/FISTA with the dictionary held fixed; the dictionary is then
a gradient step on ½ ||x - c D||² + λ ||c||₁. Atoms are kept at unit norm by
parametrisation, D = V / ||V|| row by row, so any optax optimizer applies."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.inference.sparse_coding import METHODS, sparse_coding_objective, sparse_encode
from genjax.methods.base import DataInfo, Method, check_choice


def unit_atoms(params) -> jax.Array:
    """The dictionary D [K, P]: the rows of params["atoms"] scaled to unit norm."""
    v = params["atoms"]
    return v / jnp.linalg.norm(v, axis=-1, keepdims=True)


def make(config: ml_collections.ConfigDict, info: DataInfo) -> Method:
    """Build the sparse coding method.

    Args:
      config: model (num_atoms), sparse_coding (penalty, method, max_iter, tol) and the spine.
      info: the data (any pixels; gray digits by default).

    Returns:
      A Method without a sampler: its report shows the atoms and the codes' statistics.
    """
    sc = config.sparse_coding
    check_choice("sparse_coding.method", sc.method, METHODS)
    num_pixels = int(np.prod(info.image_shape))
    num_atoms = int(config.model.num_atoms)
    penalty = float(sc.penalty)

    def flat(batch):
        return batch["image"].reshape(batch["image"].shape[0], -1)

    def codes_of(params, x):
        d = jax.lax.stop_gradient(unit_atoms(params))
        codes, steps = sparse_encode(x, d, penalty, sc.method, int(sc.max_iter), float(sc.tol))
        return jax.lax.stop_gradient(codes), steps

    def init(key, batch):
        del batch
        return {"atoms": jax.random.normal(key, (num_atoms, num_pixels))}

    def loss(params, batch, key):
        del key
        x = flat(batch)
        codes, steps = codes_of(params, x)
        objective = sparse_coding_objective(x, codes, unit_atoms(params), penalty)
        metrics = {"sparsity": jnp.mean(codes != 0), "inference_steps": steps}
        return jnp.mean(objective), metrics

    def eval_metrics(params, batch, key):
        del key
        x = flat(batch)
        codes, _ = codes_of(params, x)
        recon = codes @ unit_atoms(params)
        return {
            "objective": sparse_coding_objective(x, codes, unit_atoms(params), penalty),
            "reconstruction_mse": jnp.mean((recon - x) ** 2, axis=-1),
            "active_atoms": jnp.sum(codes != 0, axis=-1).astype(jnp.float32),
        }

    @jax.jit
    def reconstruct(params, x):
        return codes_of(params, x)[0] @ unit_atoms(params)

    def report(params, batches, key):
        del key
        batch, _ = next(iter(batches))
        atoms = np.asarray(unit_atoms(params)).reshape(num_atoms, *info.image_shape)
        low, high = (
            atoms.min(axis=(1, 2, 3), keepdims=True),
            atoms.max(axis=(1, 2, 3), keepdims=True),
        )
        x = flat(batch)[:8]
        recon = np.asarray(reconstruct(params, x)).reshape(-1, *info.image_shape)
        pair = np.stack([np.asarray(x).reshape(-1, *info.image_shape), np.clip(recon, 0.0, 1.0)])
        return {}, {"atoms": (atoms - low) / np.maximum(high - low, 1e-8), "reconstructions": pair}

    return Method("sparse_coding", init, loss, eval_metrics, report=report)
