"""How a method is trained: its state constructor and its train step, from its config."""

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import ml_collections

from genjax.methods import Method
from genjax.train.optim import make_optimizer
from genjax.train.players import create_players_state, players_step
from genjax.train.state import Batch, TrainState, create_train_state, train_step

COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def _cast_floats(tree, dtype):
    return jax.tree.map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, tree
    )


def mixed_precision(loss_fn: Callable, dtype) -> Callable:
    """``loss_fn`` computed in ``dtype`` on float32 master weights: params and batch are cast
    on the way in (so gradients arrive in float32 through the cast), every floating output
    (loss, metrics, model state) is cast back to float32. The whole loss runs in ``dtype``,
    its reductions included: in bfloat16 expect about 1e-2 relative error in the loss."""

    def wrapped(params, batch, key, *model_state):
        out = loss_fn(_cast_floats(params, dtype), _cast_floats(batch, dtype), key, *model_state)
        return _cast_floats(out, jnp.float32)

    return wrapped


def scan_steps(step: Callable) -> Callable:
    """K train steps in one call: ``lax.scan`` of ``step`` over batches stacked [K, B, ...].

    Each step keys on its own ``state.step``, so K steps per call equal K calls of one step.
    Returns the new state and the last step's metrics.
    """

    def multi(state, batches, base_key):
        state, metrics = jax.lax.scan(lambda s, b: step(s, b, base_key), state, batches)
        return state, jax.tree.map(lambda m: m[-1], metrics)

    return multi


def make_training(
    method: Method, config: ml_collections.ConfigDict
) -> tuple[Callable[[jax.Array, Batch], TrainState], Callable]:
    """The pair (init_state(key, batch), step(state, batch, key)) for ``method``.

    Single-loss methods get one optimizer built from ``config.optim`` and ``train_step``;
    multi-player methods bring their optimizers in their players and get ``players_step``.
    ``train.compute_dtype`` "bfloat16" computes every loss in bfloat16 on float32 master
    weights; ``train.steps_per_call`` K > 1 makes the step take batches stacked [K, B, ...]
    and run K updates (``scan_steps``).

    Args:
      method: the family's Method.
      config: the experiment config (optim, train.steps, train.ema_decay, train.compute_dtype,
        train.steps_per_call).

    Returns:
      Two pure functions, to be jitted by the caller.
    """
    if bool(method.players) == (method.loss is not None):
        raise ValueError(f"method {method.name!r} must give exactly one of loss and players")
    init, step = _single_step_training(method, config)
    k = int(config.train.get("steps_per_call", 1))
    if k < 1:
        raise ValueError(f"train.steps_per_call must be >= 1; got {k}")
    return init, (scan_steps(step) if k > 1 else step)


def _single_step_training(method: Method, config: ml_collections.ConfigDict):
    """(init, one-update step), every loss computed in ``train.compute_dtype``."""
    dtype_name = config.train.get("compute_dtype", "float32")
    if dtype_name not in COMPUTE_DTYPES:
        valid = ", ".join(COMPUTE_DTYPES)
        raise ValueError(f"unknown train.compute_dtype {dtype_name!r}; valid: {valid}")
    if dtype_name != "float32":
        dtype = COMPUTE_DTYPES[dtype_name]
        players = tuple(
            dataclasses.replace(p, loss=mixed_precision(p.loss, dtype)) for p in method.players
        )
        loss = None if method.loss is None else mixed_precision(method.loss, dtype)
        method = dataclasses.replace(method, loss=loss, players=players)
    decay = config.train.ema_decay
    if method.players:
        init = lambda key, batch: create_players_state(method.init(key, batch), method.players)
        return init, functools.partial(players_step, players=method.players, ema_decay=decay)
    tx = make_optimizer(config.optim, config.train.steps)
    stateful = method.init_model_state is not None

    def init(key, batch):
        k_params, k_state = jax.random.split(key)
        extra = method.init_model_state(k_state, batch) if stateful else None
        return create_train_state(method.init(k_params if stateful else key, batch), tx, extra)

    step = functools.partial(
        train_step, loss_fn=method.loss, tx=tx, ema_decay=decay, stateful=stateful
    )
    return init, step
