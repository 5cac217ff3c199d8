"""The typed ``config.train`` section: the one owner and the one validation of every step count
the spine acts on (steps, intervals, steps per call) and of the step's options."""

import dataclasses
from collections.abc import Collection, Mapping

import jax.numpy as jnp

from genjax.checks import check_at_least, check_choice, check_divides, read_section

COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """``config.train``.

    Attributes:
      steps: optimizer steps of the run (a resumed run continues to this many).
      batch_size: the global batch (a multiple of the device count).
      log_every, eval_every, ckpt_every: intervals in steps.
      keep_checkpoints: newest checkpoints kept.
      ema_decay: EMA decay in [0, 1) (0: evaluate the trained weights themselves).
      steps_per_call: K updates per dispatch (``lax.scan`` over K stacked batches); must divide
        steps and every interval, as the loop acts only between calls.
      compute_dtype: "float32" or "bfloat16" (bf16 compute on float32 master weights).
      progress: show a progress bar.
    """

    steps: int = 10_000
    batch_size: int = 128
    log_every: int = 100
    eval_every: int = 2_000
    ckpt_every: int = 2_000
    keep_checkpoints: int = 3
    ema_decay: float = 0.999
    steps_per_call: int = 1
    compute_dtype: str = "float32"
    progress: bool = True

    def __post_init__(self):
        for name in (
            "steps",
            "batch_size",
            "log_every",
            "eval_every",
            "ckpt_every",
            "keep_checkpoints",
            "steps_per_call",
        ):
            check_at_least(f"train.{name}", getattr(self, name), 1)
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"train.ema_decay must be in [0, 1); got {self.ema_decay}")
        check_choice("train.compute_dtype", self.compute_dtype, COMPUTE_DTYPES)
        self.check_resume(0)

    def check_resume(self, start: int) -> None:
        """One-line error unless steps_per_call divides every step count the loop acts on,
        the step a run resumes from included."""
        counts = {
            "train.steps": self.steps,
            "train.log_every": self.log_every,
            "train.eval_every": self.eval_every,
            "train.ckpt_every": self.ckpt_every,
        }
        if start:
            counts["the resumed step"] = start
        check_divides(
            "train.steps_per_call",
            self.steps_per_call,
            counts,
            ": the loop acts only between calls",
        )

    @property
    def dtype(self):
        """The compute dtype as a jnp dtype."""
        return COMPUTE_DTYPES[self.compute_dtype]

    @classmethod
    def read(
        cls, section: Mapping | None, skip: Collection[str] = (), strict: bool = True
    ) -> "TrainConfig":
        """The typed section; ``skip`` names a method's own fields (train.n_critic)."""
        return read_section(
            section, cls, "train", owner="the training loop", skip=skip, strict=strict
        )
