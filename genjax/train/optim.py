"""Optimizers from config: Adam/AdamW with warmup and cosine or constant schedules."""

import ml_collections
import optax

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")


def make_schedule(cfg: ml_collections.ConfigDict, total_steps: int) -> optax.Schedule:
    """Linear warmup over ``warmup_steps`` then constant or cosine decay to
    ``learning_rate * final_lr_fraction`` at ``decay_steps`` (0: the run's total steps)."""
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"unknown optim.schedule {cfg.schedule!r}; valid: {', '.join(SCHEDULES)}")
    decay_steps = cfg.decay_steps or total_steps
    if cfg.schedule == "constant":
        main = optax.constant_schedule(cfg.learning_rate)
    else:
        main = optax.cosine_decay_schedule(
            cfg.learning_rate, max(decay_steps - cfg.warmup_steps, 1), alpha=cfg.final_lr_fraction
        )
    if cfg.warmup_steps == 0:
        return main
    warmup = optax.linear_schedule(0.0, cfg.learning_rate, cfg.warmup_steps)
    return optax.join_schedules([warmup, main], [cfg.warmup_steps])


def make_optimizer(
    cfg: ml_collections.ConfigDict, total_steps: int
) -> optax.GradientTransformation:
    """The optax chain described by ``config.optim``."""
    if cfg.name not in OPTIMIZERS:
        raise ValueError(f"unknown optim.name {cfg.name!r}; valid: {', '.join(OPTIMIZERS)}")
    lr = make_schedule(cfg, total_steps)
    if cfg.name == "adam":
        opt = optax.adam(lr, b1=cfg.b1, b2=cfg.b2)
    elif cfg.name == "adamw":
        opt = optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay)
    else:
        opt = optax.sgd(lr, momentum=cfg.b1)
    if cfg.grad_clip > 0:
        opt = optax.chain(optax.clip_by_global_norm(cfg.grad_clip), opt)
    return opt


def player_optimizer(
    config: ml_collections.ConfigDict, name: str, repeats: int = 1, steps: int | None = None
) -> optax.GradientTransformation:
    """The optimizer of player ``name``: ``config.optim`` with the fields of the sub-dict
    ``config.optim.<name>`` (if present) replaced, scheduled over ``steps * repeats``
    updates (a critic updated n_critic times per step decays on its own clock).

    Args:
      config: the experiment config.
      name: the player's name.
      repeats: the player's updates per train step.
      steps: the train steps in which the player is updated (its stage); None: train.steps.

    Returns:
      The player's optax chain.
    """
    base = {k: v for k, v in config.optim.items() if not isinstance(v, ml_collections.ConfigDict)}
    overrides = config.optim.get(name) or {}
    unknown = sorted(set(overrides) - set(base))
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)} in optim.{name}; "
            f"valid: {', '.join(sorted(base))}"
        )
    merged = ml_collections.ConfigDict({**base, **dict(overrides)})
    return make_optimizer(merged, (steps or config.train.steps) * repeats)
