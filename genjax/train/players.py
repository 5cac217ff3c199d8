"""The train step of multi-player methods (GANs, greedy stages): each group of parameters is
updated in turn by its own loss and optimizer, inside one jitted step."""

import dataclasses

import jax
import jax.numpy as jnp
import optax

from genjax.methods.base import Batch, Metrics, Params, Player
from genjax.train.state import TrainState, ema_update, global_norm


def create_players_state(
    params: dict[str, Params], players: tuple[Player, ...], model_state=None
) -> TrainState:
    """A step-0 state: one optimizer state per player, an EMA of the players that keep one.

    Args:
      params: the method's params, a dict with one entry per player name.
      players: the method's players.
      model_state: the method's initial model state (None for stateless methods).

    Returns:
      A TrainState whose opt_state and ema_params are dicts keyed by player name.
    """
    missing = [p.name for p in players if p.name not in params]
    if missing:
        raise ValueError(f"params have no group for players {missing}; groups: {list(params)}")
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state={p.name: p.tx.init(params[p.name]) for p in players},
        ema_params={p.name: jax.tree.map(jnp.copy, params[p.name]) for p in players if p.ema},
        model_state=model_state,
    )


def split_batch(batch: Batch, parts: int) -> Batch:
    """[B, ...] -> [parts, B / parts, ...], part i holding rows i, i + parts, ...

    Strided rather than contiguous parts keep each part spread over the data-sharded devices.
    """
    size = next(iter(batch.values())).shape[0]
    if size % parts:
        raise ValueError(
            f"the batch of {size} cannot be split into {parts} equal updates: make "
            f"train.batch_size a multiple of {parts}"
        )
    return jax.tree.map(
        lambda a: a.reshape(size // parts, parts, *a.shape[1:]).swapaxes(0, 1), batch
    )


def _player_updates(
    player: Player, params: dict, opt_state, model_state, batch: Batch, key: jax.Array, step
):
    """``player.repeats`` updates of ``params[player.name]`` (none outside ``player.steps``),
    the model state threaded through them; returns the new group, its optimizer state, the
    model state, and metrics averaged over the updates (zeros when it was not updated)."""

    def update(carry, inputs):
        own, opt, state = carry
        part, k = inputs
        loss_fn = lambda p: player.loss({**params, player.name: p}, part, k, state)
        (loss, (metrics, state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(own)
        updates, opt = player.tx.update(grads, opt, own)
        metrics = {
            **metrics,
            f"{player.name}_loss": loss,
            f"{player.name}_grad_norm": global_norm(grads),
            f"{player.name}_update_norm": global_norm(updates),
        }
        return (optax.apply_updates(own, updates), opt, state), metrics

    own = params[player.name]
    if player.steps is not None:  # a stage: update inside [start, stop), else leave as is
        start, stop = player.steps
        active = (step >= start) & (step < stop)
        ungated = dataclasses.replace(player, steps=None)
        if player.warm_start is not None:
            begin = player.warm_start(params)
            own = jax.tree.map(lambda a, b: jnp.where(step == start, a, b), begin, own)
        run = lambda: _player_updates(
            ungated, {**params, player.name: own}, opt_state, model_state, batch, key, step
        )
        zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(run)[3])
        return jax.lax.cond(active, run, lambda: (own, opt_state, model_state, zeros))
    if player.repeats == 1:
        (own, opt_state, model_state), metrics = update((own, opt_state, model_state), (batch, key))
        return own, opt_state, model_state, metrics
    inputs = (split_batch(batch, player.repeats), jax.random.split(key, player.repeats))
    (own, opt_state, model_state), metrics = jax.lax.scan(
        update, (own, opt_state, model_state), inputs
    )
    return own, opt_state, model_state, jax.tree.map(jnp.mean, metrics)


def players_step(
    state: TrainState,
    batch: Batch,
    base_key: jax.Array,
    *,
    players: tuple[Player, ...],
    ema_decay: float,
) -> tuple[TrainState, Metrics]:
    """One step of every player, in order; pure, to be jitted once with the state donated.

    Each player differentiates its loss with respect to its own group only, and applies its
    own optimizer to it: no other group changes. Later players see the groups already
    updated in this step (alternating updates, as in Goodfellow et al. 2014), and the model
    state as the players before them left it.

    Args:
      state: from ``create_players_state``.
      batch: global batch (split into ``repeats`` parts for a repeated player).
      base_key: root training key; player i's key is ``fold_in(fold_in(base_key, step), i)``.
      players: the method's players.
      ema_decay: EMA decay for the players that keep one (see ``ema_update``).

    Returns:
      (new state, metrics): each loss's metrics, ``<player>_loss``, ``<player>_grad_norm`` and
      ``<player>_update_norm`` (means over a player's repeats), plus ``grad_norm`` (root sum of
      squares of the players' gradient norms) and ``param_norm`` over all groups.
    """
    key = jax.random.fold_in(base_key, state.step)
    params, opt_state, ema, metrics = dict(state.params), dict(state.opt_state), {}, {}
    model_state = state.model_state
    for i, player in enumerate(players):
        k = jax.random.fold_in(key, i)
        own, opt_state[player.name], model_state, out = _player_updates(
            player, params, opt_state[player.name], model_state, batch, k, state.step
        )
        params[player.name] = own
        metrics.update(out)
        if player.ema:
            ema[player.name] = ema_update(own, state.ema_params[player.name], state.step, ema_decay)
    metrics["grad_norm"] = jnp.sqrt(sum(metrics[f"{p.name}_grad_norm"] ** 2 for p in players))
    metrics["param_norm"] = global_norm(params)
    new_state = state.replace(
        step=state.step + 1,
        params=params,
        opt_state=opt_state,
        ema_params=ema,
        model_state=model_state,
    )
    return new_state, metrics
