"""Helmholtz machine glue: a sigmoid belief net and its recognition net trained by wake-sleep
or reweighted wake-sleep, scored by importance-sampled test NLL."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.inference import importance_log_likelihood
from genjax.methods.base import DataInfo, Method
from genjax.models import sigmoid_belief as S


def make(config: ml_collections.ConfigDict, info: DataInfo) -> Method:
    """Build the Helmholtz machine.

    Args:
      config: model.hidden (layer sizes from the visibles up), helmholtz (num_samples K: 1 is
        wake-sleep, > 1 reweighted wake-sleep; sleep: add the sleep phase to RWS) and
        eval.nll_samples / nll_chunk.
      info: binary data.

    Returns:
      The Method; params are {"generative", "recognition"}, trained by one surrogate loss.
    """
    if not info.binary:
        raise ValueError("a sigmoid belief net models binary pixels: set data.variant='binary'")
    hidden = tuple(int(h) for h in config.model.hidden)
    num_visible = int(np.prod(info.image_shape))
    k_train = int(config.helmholtz.num_samples)
    if k_train < 1:
        raise ValueError(f"helmholtz.num_samples must be >= 1; got {k_train}")

    def flat(batch):
        return batch["image"].reshape(batch["image"].shape[0], -1)

    def init(key, batch):
        del batch
        gen, rec = S.init_params(key, num_visible, hidden)
        return {"generative": gen, "recognition": rec}

    def loss(params, batch, key):
        gen, rec = params["generative"], params["recognition"]
        return S.wake_sleep_loss(gen, rec, flat(batch), key, k_train, config.helmholtz.sleep)

    def eval_metrics(params, batch, key):
        lw, _ = S.log_weights(
            params["generative"], params["recognition"], flat(batch), key, k_train
        )
        return {
            "elbo": lw[0],
            f"bound_{k_train}": jax.nn.logsumexp(lw, axis=0) - jnp.log(k_train),
        }

    def to_images(x):
        return x.reshape(x.shape[0], *info.image_shape)

    @functools.partial(jax.jit, static_argnums=2)
    def generate(params, key, num, y=None):
        del y
        return to_images(S.dream(params["generative"], key, num)[0])

    @functools.partial(jax.jit, static_argnums=2)
    def sample(params, key, num):
        """p(x | h_1) means of dreamt h_1: smoother than binary draws."""
        gen = params["generative"]
        _, states = S.dream(gen, key, num)
        last = gen["layers"][-1]
        return to_images(jax.nn.sigmoid(states[0] @ last["W"] + last["b"]))

    @functools.partial(jax.jit, static_argnums=(3, 4))
    def is_nll(params, x, key, num_samples, chunk):
        fn = lambda k, n: S.log_weights(params["generative"], params["recognition"], x, k, n)[0]
        return -importance_log_likelihood(fn, key, num_samples, chunk)

    def report(params, batches, key):
        k_eval, chunk = int(config.eval.nll_samples), int(config.eval.nll_chunk)
        total, count = 0.0, 0.0
        for i, (batch, mask) in enumerate(batches):
            nll = is_nll(params, flat(batch), jax.random.fold_in(key, i), k_eval, chunk)
            total += float(np.sum(np.asarray(nll) * mask))
            count += float(mask.sum())
        return {"test_is_nll": total / count, "nll_samples": float(k_eval)}, {}

    return Method("helmholtz", init, loss, eval_metrics, sample, report, generate)
