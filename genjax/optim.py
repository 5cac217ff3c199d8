"""Optimizers from the typed ``config.optim`` section: Adam, AdamW or SGD with a linear warmup
and a constant or cosine schedule, optional gradient clipping, and per-player overrides.

Layer 1: imports optax and ``genjax.checks``; methods build their players' optimizers here.
"""

import dataclasses
from collections.abc import Mapping

import optax

from genjax.checks import check_at_least, check_choice, is_section, read_section

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine", "linear_tail")


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    """``config.optim`` (or one player's view of it: the section with its overrides).

    Attributes:
      name: "adam", "adamw" or "sgd" (b1 is SGD's momentum).
      learning_rate: peak rate.
      b1, b2: Adam's moment decays.
      weight_decay: AdamW's decoupled decay.
      schedule: "constant"; "cosine" (to learning_rate * final_lr_fraction at decay_steps);
        "linear_tail": constant for the first half of decay_steps, then linear to 0 at its end
        (pix2pix and CycleGAN: n_epochs constant, as many decaying).
      warmup_steps: linear warmup from 0.
      decay_steps: length of the cosine decay (0: the optimizer's whole run).
      final_lr_fraction: the cosine's floor as a fraction of the peak.
      grad_clip: clip gradients to this global norm (0: off).
    """

    name: str = "adam"
    learning_rate: float = 1e-3
    b1: float = 0.9
    b2: float = 0.999
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup_steps: int = 100
    decay_steps: int = 0
    final_lr_fraction: float = 0.05
    grad_clip: float = 0.0

    def __post_init__(self):
        check_choice("optim.name", self.name, OPTIMIZERS)
        check_choice("optim.schedule", self.schedule, SCHEDULES)
        check_at_least("optim.learning_rate", self.learning_rate, 0.0)
        check_at_least("optim.warmup_steps", self.warmup_steps, 0)
        check_at_least("optim.decay_steps", self.decay_steps, 0)
        check_at_least("optim.grad_clip", self.grad_clip, 0.0)
        check_at_least("optim.weight_decay", self.weight_decay, 0.0)
        if self.weight_decay > 0 and self.name != "adamw":  # adam and sgd would ignore it
            raise ValueError(
                f"optim.weight_decay={self.weight_decay:g} is AdamW's decoupled decay; "
                f"optim.name={self.name!r} ignores it: set optim.name='adamw'"
            )

    @classmethod
    def read(
        cls, section: Mapping | None, players: tuple[str, ...] = (), strict: bool = True
    ) -> "OptimConfig":
        """The typed section; sub-sections named by ``players`` are left to ``for_player``."""
        return read_section(
            section, cls, "optim", owner="the optimizer", skip=players, strict=strict
        )

    @classmethod
    def for_player(cls, section: Mapping, name: str, strict: bool = True) -> "OptimConfig":
        """Player ``name``'s optimizer: the section with the fields of its sub-section
        ``optim.<name>`` (if present) replaced."""
        base = {k: v for k, v in section.items() if not is_section(v)}
        merged = {**base, **dict(section.get(name) or {})}
        return read_section(merged, cls, f"optim.{name}", owner=f"player {name}", strict=strict)


def make_schedule(cfg: OptimConfig, total_steps: int) -> optax.Schedule:
    """Linear warmup over ``warmup_steps`` then the schedule: constant, cosine decay to
    ``learning_rate * final_lr_fraction`` at ``decay_steps`` (0: ``total_steps``), or
    constant then linear to 0 over the second half of ``decay_steps``."""
    decay_steps = cfg.decay_steps or total_steps
    if cfg.schedule == "constant":
        main = optax.constant_schedule(cfg.learning_rate)
    elif cfg.schedule == "linear_tail":
        half = max((decay_steps - cfg.warmup_steps) // 2, 1)
        main = optax.join_schedules(
            [
                optax.constant_schedule(cfg.learning_rate),
                optax.linear_schedule(cfg.learning_rate, 0.0, half),
            ],
            [decay_steps - cfg.warmup_steps - half],
        )
    else:
        main = optax.cosine_decay_schedule(
            cfg.learning_rate, max(decay_steps - cfg.warmup_steps, 1), alpha=cfg.final_lr_fraction
        )
    if cfg.warmup_steps == 0:
        return main
    warmup = optax.linear_schedule(0.0, cfg.learning_rate, cfg.warmup_steps)
    return optax.join_schedules([warmup, main], [cfg.warmup_steps])


def make_optimizer(cfg: OptimConfig, total_steps: int) -> optax.GradientTransformation:
    """The optax chain of ``cfg``, scheduled over ``total_steps`` updates.

    Args:
      cfg: the typed optimizer section.
      total_steps: updates the optimizer makes in the run (a critic updated n_critic times
        per train step makes steps * n_critic; a greedy stage only its stage's steps).

    Returns:
      An optax GradientTransformation.
    """
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
