"""How a method is trained: its state constructor and its train step, from its config."""

import functools
from collections.abc import Callable

import jax
import ml_collections

from genjax.methods import Method
from genjax.train.optim import make_optimizer
from genjax.train.players import create_players_state, players_step
from genjax.train.state import Batch, TrainState, create_train_state, train_step


def make_training(
    method: Method, config: ml_collections.ConfigDict
) -> tuple[Callable[[jax.Array, Batch], TrainState], Callable]:
    """The pair (init_state(key, batch), step(state, batch, key)) for ``method``.

    Single-loss methods get one optimizer built from ``config.optim`` and ``train_step``;
    multi-player methods bring their optimizers in their players and get ``players_step``.

    Args:
      method: the family's Method.
      config: the experiment config (optim, train.steps, train.ema_decay).

    Returns:
      Two pure functions, to be jitted by the caller.
    """
    if bool(method.players) == (method.loss is not None):
        raise ValueError(f"method {method.name!r} must give exactly one of loss and players")
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
