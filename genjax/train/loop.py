"""``train_and_evaluate(config, workdir)``: the one loop that drives every family."""

import json
import os
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from tqdm.auto import tqdm

from genjax import viz
from genjax.data import eval_batches, to_global, train_iterator
from genjax.eval.suite import build_suite, numeric
from genjax.methods import get_method
from genjax.train import checkpoint
from genjax.train.data import load_data
from genjax.train.logging import MetricWriter
from genjax.train.sharding import (
    check_batch_size,
    data_sharding,
    make_mesh,
    replicated,
    stacked_data_sharding,
)
from genjax.train.step import make_training


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


def check_steps_per_call(config: ml_collections.ConfigDict, start: int) -> int:
    """``train.steps_per_call``, after a one-line error unless every step count the loop acts
    on (steps, the resumed step, log/eval/checkpoint intervals) is a multiple of it."""
    k, t = int(config.train.get("steps_per_call", 1)), config.train
    counts = {
        "train.steps": t.steps,
        "the resumed step": start,
        "train.log_every": t.log_every,
        "train.eval_every": t.eval_every,
        "train.ckpt_every": t.ckpt_every,
    }
    bad = [f"{name}={n}" for name, n in counts.items() if n % k]
    if bad:
        raise ValueError(
            f"train.steps_per_call={k} must divide {', '.join(bad)}: the loop acts only "
            "between calls"
        )
    return k


def next_global_batch(it, steps_per_call: int, sharding) -> dict[str, jax.Array]:
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


def make_eval_step(eval_metrics):
    """Masked sums of per-example metrics over a global batch (works across hosts)."""

    def eval_step(params, batch, mask, key):
        metrics = eval_metrics(params, batch, key)
        return {k: jnp.sum(v * mask) for k, v in metrics.items()}

    return jax.jit(eval_step)


def evaluate(eval_step, params, data, batch_size, key, shard) -> dict[str, float]:
    """Mean of each per-example metric over the whole test split."""
    sums, count = {}, 0.0
    for i, (batch, mask) in enumerate(eval_batches(data.test, batch_size, data.transform)):
        out = eval_step(
            params, to_global(batch, shard), to_global(mask, shard), jax.random.fold_in(key, i)
        )
        for k, v in out.items():
            sums[k] = sums.get(k, 0.0) + float(v)
        count += float(mask.sum())
    return {k: v / count for k, v in sums.items()}


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
    """Train ``config.method`` on ``config.data``, resuming from the newest checkpoint.

    Args:
      config: the experiment config (see configs/).
      workdir: output directory: checkpoints/, tensorboard/, metrics.jsonl, *.png,
        config.json and summary.json.

    Returns:
      The summary written to ``workdir/summary.json``.
    """
    if config.multihost:
        jax.distributed.initialize()
    lead = jax.process_index() == 0
    os.makedirs(workdir, exist_ok=True)
    if lead:
        with open(os.path.join(workdir, "config.json"), "w") as f:
            f.write(config.to_json_best_effort(indent=2))

    mesh = make_mesh()
    shard, repl = data_sharding(mesh), replicated(mesh)
    check_batch_size(config.train.batch_size, mesh)
    check_batch_size(config.eval.batch_size, mesh, "eval.batch_size")
    data = load_data(config)
    method = get_method(config.method)(config, data.info)
    init_fn, train_fn = make_training(method, config)

    root = jax.random.key(config.seed)
    init_key, train_key, eval_key, report_key, suite_key = (
        jax.random.fold_in(root, i) for i in range(5)
    )
    suite = None
    if config.eval.suite.enabled:
        if method.generate is None:
            raise ValueError(
                f"eval.suite.enabled needs a method that generates samples and {config.method} "
                "does not: set --config.eval.suite.enabled=False"
            )
        suite = build_suite(
            config.eval.suite, data, config.data.name, config.seed, config.data.data_dir
        )
    local_batch = config.train.batch_size // jax.process_count()
    example = to_global(data.transform({k: v[:local_batch] for k, v in data.train.items()}), shard)
    state = jax.jit(init_fn, out_shardings=repl)(init_key, example)

    manager = checkpoint.make_manager(workdir, config.train.keep_checkpoints)
    it = train_iterator(
        data.train,
        local_batch,
        config.seed,
        data.transform,
        jax.process_index(),
        jax.process_count(),
    )
    restored = checkpoint.restore_latest(manager, state)
    if restored is not None:
        state, data_state = restored
        it.set_state(data_state)
    start, total = int(state.step), int(config.train.steps)
    last_good = manager.latest_step()
    per_call = check_steps_per_call(config, start)
    batch_shard = shard if per_call == 1 else stacked_data_sharding(mesh)

    step_fn = jit_train_step(train_fn, batch_shard, repl)
    eval_step = make_eval_step(method.eval_metrics)
    writer = MetricWriter(workdir, enabled=lead)
    t_cfg = config.train
    bar = tqdm(
        total=total,
        initial=start,
        unit="step",
        disable=not lead or not t_cfg.progress,
        dynamic_ncols=True,
        mininterval=1.0,
    )

    def eval_and_sample(params, step: int) -> dict[str, float]:
        key = jax.random.fold_in(eval_key, step)
        test = evaluate(eval_step, params, data, config.eval.batch_size, key, shard)
        writer.scalars(step, "test", test)
        write_samples(method, params, config, workdir, writer, step, eval_key, lead)
        if suite is not None:
            quality = suite.evaluate(
                method, params, jax.random.fold_in(suite_key, step), config.eval.suite.chunk
            )
            writer.scalars(step, "suite", numeric(quality))
            for name, bound in suite.bounds.items():  # flat reference lines in TensorBoard
                writer.scalars(step, f"suite_{name}", numeric(bound))
            sample_quality.update(model=quality, **suite.bounds)
        return test

    train_metrics, test, t0, sample_quality = {}, None, time.perf_counter(), {}
    for step in range(start + per_call, total + 1, per_call):
        state, metrics = step_fn(state, next_global_batch(it, per_call, batch_shard), train_key)
        bar.update(per_call)
        is_last = step == total
        is_eval = step % t_cfg.eval_every == 0 or is_last
        if step % t_cfg.log_every == 0 or step % t_cfg.ckpt_every == 0 or is_eval:
            train_metrics = {k: float(v) for k, v in jax.device_get(metrics).items()}
            check_finite(step, train_metrics, last_good, workdir)  # before samples or a save
            writer.scalars(step, "train", train_metrics)
            shown = {k: f"{v:.4g}" for k, v in train_metrics.items() if k.endswith("loss")}
            bar.set_postfix(shown, refresh=False)
        if is_eval:
            test = eval_and_sample(state.eval_params, step)
        if step % t_cfg.ckpt_every == 0 or is_last:
            checkpoint.save(manager, step, state, it.get_state(), config.to_dict())
            last_good = step
    bar.close()
    train_seconds = time.perf_counter() - t0
    manager.wait_until_finished()

    if test is None:  # nothing left to train: evaluate the restored state
        test = eval_and_sample(state.eval_params, total)
    summary = {
        "method": config.method,
        "dataset": config.data.name,
        "variant": config.data.variant,
        "steps": total,
        "resumed_from": start,
        # Whole loop: compilation, evaluation and checkpointing included.
        "loop_steps_per_sec": (total - start) / train_seconds if total > start else None,
        "train": train_metrics,
        **{f"test_{k}": v for k, v in test.items()},
        "test_rows": int(len(next(iter(data.test.values())))),
        # Which parameters were evaluated: the EMA of every averaged group (a GAN: generator).
        "params": "raw"
        if config.train.ema_decay == 0
        else ("ema of " + "+".join(sorted(state.ema_params)) if method.players else "ema"),
    }
    if sample_quality:
        summary["suite"] = sample_quality
    scalars = write_report(
        method, state.eval_params, data, config, report_key, workdir, writer, total
    )
    summary.update(scalars)
    writer.scalars(total, "report", scalars)
    writer.close()
    manager.close()
    if lead:
        with open(os.path.join(workdir, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
    return summary


def write_samples(method, params, config, workdir, writer, step, key, lead) -> None:
    """Write ``samples.png`` (and a TensorBoard image) for methods that can sample."""
    if method.sample is None or not lead:
        return
    images = method.sample(params, jax.random.fold_in(key, step), config.eval.num_samples)
    picture = viz.save_grid(os.path.join(workdir, "samples.png"), np.asarray(images))
    writer.image(step, "samples", picture)


def write_report(method, params, data, config, key, out: str, writer=None, step: int = 0) -> dict:
    """Run ``method.report`` on the test split; write its images as PNGs (and to TensorBoard).

    Returns:
      The report's scalars (empty for methods without a report).
    """
    if method.report is None:
        return {}
    batches = eval_batches(data.test, config.eval.batch_size, data.transform)
    scalars, images = method.report(params, batches, key)
    if jax.process_index() == 0:
        for name, grid in images.items():
            picture = viz.save_grid(os.path.join(out, f"{name}.png"), grid)
            if writer is not None:
                writer.image(step, name, picture)
    return scalars
