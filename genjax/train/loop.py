"""The training loop's hot path, shared by every family: batches in, the jitted step, logging
with a finiteness check, evaluation and checkpoints at their intervals. What evaluation does
and where things are written is the caller's (``genjax.run``), passed in as ``Hooks``."""

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import jax
import numpy as np
from tqdm.auto import tqdm

from genjax.data import to_global
from genjax.train.config import TrainConfig
from genjax.train.state import TrainState


def watched(name: str) -> bool:
    """Metrics whose non-finite value halts training: losses and norms."""
    return name.endswith("loss") or name.endswith("_norm")


def check_finite(step: int, metrics: dict[str, float], last_good: int | None, workdir: str):
    """Halt with a one-line error naming the step when a loss or a norm is not finite."""
    bad = [k for k, v in metrics.items() if watched(k) and not np.isfinite(v)]
    if bad:
        kept = f"step {last_good}" if last_good is not None else "none saved yet"
        raise FloatingPointError(
            f"non-finite {', '.join(bad)} at step {step}: training halted; last good checkpoint: "
            f"{kept} in {workdir}/checkpoints; lower optim.learning_rate or set optim.grad_clip"
        )


def next_global_batch(it: Iterator, steps_per_call: int, sharding) -> dict[str, jax.Array]:
    """The next host batch as a global array, or ``steps_per_call`` of them stacked
    [K, B, ...] (``sharding`` then splits axis 1)."""
    if steps_per_call == 1:
        return to_global(next(it), sharding)
    batches = [next(it) for _ in range(steps_per_call)]
    return to_global(jax.tree.map(lambda *xs: np.stack(xs), *batches), sharding)


def jit_train_step(train_fn, batch_sharding, replicated_sharding):
    """``train_fn(state, batch, key)`` jitted as the loop runs it: state donated and
    replicated, the batch split by ``batch_sharding`` (the benchmark times this same step)."""
    return jax.jit(
        train_fn,
        donate_argnums=0,
        in_shardings=(replicated_sharding, batch_sharding, replicated_sharding),
        out_shardings=(replicated_sharding, replicated_sharding),
    )


@dataclasses.dataclass(frozen=True)
class Hooks:
    """What the loop calls at its intervals.

    Attributes:
      log: (step, train metrics as floats) -> None, at log, eval and checkpoint steps.
      evaluate: (eval params, step) -> an evaluation, at eval steps and the last step.
      save: (step, state) -> None, at checkpoint steps, the last step and a stop.
      stop: (number of calls made) -> whether to save now and stop (a preemption).
    """

    log: Callable[[int, dict[str, float]], None]
    evaluate: Callable[[Any, int], Any]
    save: Callable[[int, TrainState], None]
    stop: Callable[[int], bool] = lambda calls: False


@dataclasses.dataclass(frozen=True)
class LoopResult:
    """The trained state, the last logged train metrics, the last evaluation (None when no
    step ran), the loop's wall seconds (compilation, evaluation and saving included) and the
    step a stop request (preemption) ended the loop at, or None."""

    state: TrainState
    train_metrics: dict[str, float]
    evaluation: Any
    seconds: float
    stopped_at: int | None = None


def run_loop(
    state: TrainState,
    step_fn: Callable,
    next_batch: Callable[[], dict],
    cfg: TrainConfig,
    key: jax.Array,
    hooks: Hooks,
    progress: tqdm,
    halt_info: tuple[int | None, str],
) -> LoopResult:
    """Train from ``state.step`` to ``cfg.steps``, ``cfg.steps_per_call`` steps per call.

    Args:
      state: the initial or restored state.
      step_fn: the jitted ``(state, batch, key) -> (state, metrics)``.
      next_batch: the next global batch (stacked for several steps per call).
      cfg: the typed train section.
      key: the training key (each step folds in its own step number).
      hooks: logging, evaluation and saving.
      progress: a progress bar (disabled off process 0).
      halt_info: (the newest saved step or None, workdir) for the non-finite message.

    Returns:
      The LoopResult.
    """
    last_good, workdir = halt_info
    per_call, start = cfg.steps_per_call, int(jax.device_get(state.step))
    train_metrics, evaluation, t0 = {}, None, time.perf_counter()
    stopped_at = None
    for calls, step in enumerate(range(start + per_call, cfg.steps + 1, per_call), 1):
        state, metrics = step_fn(state, next_batch(), key)
        progress.update(per_call)
        is_last = step == cfg.steps
        stop = hooks.stop(calls) and not is_last  # the last step saves anyway
        is_eval = step % cfg.eval_every == 0 or is_last
        is_ckpt = step % cfg.ckpt_every == 0 or is_last or stop
        if step % cfg.log_every == 0 or is_ckpt or is_eval:
            train_metrics = {k: float(v) for k, v in jax.device_get(metrics).items()}
            check_finite(step, train_metrics, last_good, workdir)  # before samples or a save
            hooks.log(step, train_metrics)
            shown = {k: f"{v:.4g}" for k, v in train_metrics.items() if k.endswith("loss")}
            progress.set_postfix(shown, refresh=False)
        if is_eval and not stop:
            evaluation = hooks.evaluate(state.eval_params, step)
        if is_ckpt:
            hooks.save(step, state)
            last_good = step
        if stop:
            stopped_at = step
            break
    progress.close()
    return LoopResult(state, train_metrics, evaluation, time.perf_counter() - t0, stopped_at)
