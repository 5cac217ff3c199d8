"""How a method is trained: its state constructor and its train step, from the typed train
and optimizer sections. Every wrapper here composes with the one loss contract
``(params, batch, key, model_state) -> (loss, (metrics, model_state))``."""

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

from genjax.methods.base import Batch, Loss, Method
from genjax.optim import OptimConfig, make_optimizer
from genjax.train.config import TrainConfig
from genjax.train.players import create_players_state, players_step
from genjax.train.state import TrainState, create_train_state, train_step


def _cast_floats(tree, dtype):
    return jax.tree.map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, tree
    )


def mixed_precision(loss_fn: Loss, dtype) -> Loss:
    """``loss_fn`` computed in ``dtype`` on float32 master weights: params, batch and model
    state are cast on the way in (so gradients arrive in float32 through the cast), every
    floating output (loss, metrics, model state) is cast back to float32. The whole loss runs
    in ``dtype``, its reductions included: in bfloat16 expect about 1e-2 relative error."""

    def wrapped(params, batch, key, model_state):
        cast = functools.partial(_cast_floats, dtype=dtype)
        out = loss_fn(cast(params), cast(batch), key, cast(model_state))
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


def in_compute_dtype(method: Method, dtype) -> Method:
    """``method`` with every loss (single or players') computed in ``dtype``."""
    if dtype == jnp.float32:
        return method
    players = tuple(
        dataclasses.replace(p, loss=mixed_precision(p.loss, dtype)) for p in method.players
    )
    loss = None if method.loss is None else mixed_precision(method.loss, dtype)
    return dataclasses.replace(method, loss=loss, players=players)


def make_training(
    method: Method, train: TrainConfig, optim: OptimConfig
) -> tuple[Callable[[jax.Array, Batch], TrainState], Callable]:
    """The pair (init_state(key, batch), step(state, batch, key)) for ``method``.

    Single-loss methods get one optimizer from ``optim`` and ``train_step``; multi-player
    methods bring their optimizers in their players and get ``players_step``. Losses run in
    ``train.compute_dtype``; ``train.steps_per_call`` K > 1 makes the step take batches stacked
    [K, B, ...] and run K updates (``scan_steps``).

    Args:
      method: the family's Method.
      train: the typed train section.
      optim: the typed optimizer section (single-loss methods).

    Returns:
      Two pure functions, to be jitted by the caller.
    """
    method = in_compute_dtype(method, train.dtype)
    stateful = method.init_model_state is not None

    def init_parts(key, batch):
        if not stateful:
            return method.init(key, batch), None
        k_params, k_state = jax.random.split(key)
        return method.init(k_params, batch), method.init_model_state(k_state, batch)

    if method.players:
        step = functools.partial(players_step, players=method.players, ema_decay=train.ema_decay)
        start = lambda params, model_state: create_players_state(
            params, method.players, model_state
        )
    else:
        tx = make_optimizer(optim, train.steps)
        step = functools.partial(train_step, loss_fn=method.loss, tx=tx, ema_decay=train.ema_decay)
        start = lambda params, model_state: create_train_state(params, tx, model_state)

    def init(key, batch):
        return start(*init_parts(key, batch))

    return init, (scan_steps(step) if train.steps_per_call > 1 else step)
