"""Train state and the generic, pure train step shared by every family."""

from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import optax

from genjax.methods.base import Batch, Loss, Metrics, Params


def global_norm(tree: Any) -> jax.Array:
    """√(Σ x²) over every leaf: ``optax.global_norm``'s value (deprecated there in favour of
    ``optax.tree.norm``, which optax releases before 0.2.5 lack)."""
    return jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in jax.tree.leaves(tree)))


class TrainState(flax.struct.PyTreeNode):
    """Everything a step changes. No PRNG key: keys are folded from ``step``.

    Attributes:
      step: number of updates applied, int32 scalar.
      params: trainable parameters.
      opt_state: optax state.
      ema_params: exponential moving average of params (used for evaluation and samples).
      model_state: what a step carries besides parameters (an RBM's persistent Gibbs chains);
        checkpointed with the rest. Empty for most methods.
    """

    step: jax.Array
    params: Params
    opt_state: optax.OptState
    ema_params: Params
    model_state: Any = None

    @property
    def eval_params(self) -> Params:
        """Parameters for evaluation and samples: ``params`` with every averaged group replaced
        by its EMA. Single-optimizer methods average everything, so this is ``ema_params``; a
        GAN averages only its generator and evaluates with the current discriminator."""
        return {**self.params, **self.ema_params}


def ema_update(params: Params, ema: Params, step: jax.Array, ema_decay: float) -> Params:
    """One EMA step; the decay at step t is ``min(ema_decay, (1 + t) / (10 + t))`` so early
    averages are not stale, and ``ema_decay=0`` keeps the EMA equal to ``params``."""
    t = step.astype(jnp.float32)
    decay = jnp.minimum(ema_decay, (1.0 + t) / (10.0 + t))
    return optax.incremental_update(params, ema, step_size=1.0 - decay)


def create_train_state(
    params: Params, tx: optax.GradientTransformation, model_state: Any = None
) -> TrainState:
    """A step-0 state whose EMA starts at the initial parameters."""
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=tx.init(params),
        ema_params=jax.tree.map(jnp.copy, params),
        model_state=model_state,
    )


def update_metrics(metrics: Metrics, loss, grads, params, updates) -> Metrics:
    """The loss's own metrics with the loss and the l2 norms the loop checks for finiteness."""
    return {
        **metrics,
        "loss": loss,
        "grad_norm": global_norm(grads),
        "param_norm": global_norm(params),
        "update_norm": global_norm(updates),
    }


def train_step(
    state: TrainState,
    batch: Batch,
    base_key: jax.Array,
    *,
    loss_fn: Loss,
    tx: optax.GradientTransformation,
    ema_decay: float,
) -> tuple[TrainState, Metrics]:
    """One optimizer update; pure, to be jitted once with the state donated.

    Args:
      state: current state.
      batch: global batch.
      base_key: root training key; this step's key is ``fold_in(base_key, state.step)``.
      loss_fn: the one loss contract, ``(params, batch, key, model_state) -> (loss, (metrics,
        new model_state))`` (see ``genjax.methods.base``).
      tx: optax transformation.
      ema_decay: EMA decay in [0, 1) (see ``ema_update``).

    Returns:
      (new state, metrics) with loss, the family's metrics, and l2 norms of grads, params and
      updates (checked for finiteness by the loop).
    """
    key = jax.random.fold_in(base_key, state.step)
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)
    (loss, (metrics, model_state)), grads = grad_fn(state.params, batch, key, state.model_state)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    new_state = state.replace(
        step=state.step + 1,
        params=params,
        opt_state=opt_state,
        ema_params=ema_update(params, state.ema_params, state.step, ema_decay),
        model_state=model_state,
    )
    return new_state, update_metrics(metrics, loss, grads, params, updates)
