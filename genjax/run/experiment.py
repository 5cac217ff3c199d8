"""``train_and_evaluate(config, workdir)``: one experiment end to end, in three pieces —
``setup`` (settings checked, method built, data loaded, state created or restored), ``train``
(the spine's loop with this run's evaluation, logging and checkpoint hooks) and ``finish``
(the final evaluation, the method's report and ``summary.json``)."""

import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import jax
from jax.sharding import NamedSharding
from tqdm.auto import tqdm

from genjax.data import Data, describe, load_data, to_global, train_iterator
from genjax.eval.curves import curves_png
from genjax.eval.report import caption, write_report, write_samples
from genjax.eval.suite import Suite, build_suite, numeric
from genjax.eval.test_split import evaluate
from genjax.eval.translation import (
    TranslationSuite,
    build_translation_suite,
    evaluate_translation,
)
from genjax.methods import Method
from genjax.run import distributed
from genjax.run.builds import Built, built
from genjax.run.preemption import preemption_watch
from genjax.run.settings import Settings, read_settings
from genjax.run.workdir import check_workdir, lock_workdir, release_workdir
from genjax.train import checkpoint
from genjax.train.logging import MetricWriter
from genjax.train.loop import Hooks, LoopResult, jit_train_step, next_global_batch, run_loop
from genjax.train.sharding import (
    check_batch_size,
    data_sharding,
    make_mesh,
    replicated,
    stacked_data_sharding,
)
from genjax.train.state import TrainState

KEY_NAMES = ("init", "train", "eval", "report", "suite")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Experiment:
    """Everything ``setup`` builds; ``state`` is the initial or restored train state (donated
    to the first step) and ``start`` its step."""

    settings: Settings
    workdir: str
    shard: NamedSharding
    data: Data
    method: Method
    keys: dict[str, jax.Array]
    suite: Suite | TranslationSuite | None
    manager: Any
    iterator: Any
    state: TrainState
    start: int
    step_fn: Any
    eval_step: Any
    batch_shard: NamedSharding
    writer: MetricWriter


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Test-split metrics and, with the suite on, sample quality with its floor and ceiling."""

    test: dict[str, float]
    quality: dict[str, dict]


def build(settings: Settings) -> Built:
    """The method, its (init, step) pair and its eval step, built from the data's description
    alone (every error in the config or against the data's kind is raised before any data is
    read), or kept from an earlier run of the same settings in this process (builds.py)."""
    s = settings
    out = built(s.family, s.method_settings, describe(s.data), s.train, s.optim)
    if s.eval.suite.enabled and out.method.sample is None and out.method.translate is None:
        raise ValueError(
            f"eval.suite.enabled needs a method that generates samples and {s.method} "
            "does not: set --config.eval.suite.enabled=False"
        )
    return out


def setup(s: Settings, workdir: str) -> Experiment:
    """Build the method, load the data, and create or restore the state (``workdir`` checked
    and locked by the caller)."""
    mesh = make_mesh()
    shard, repl = data_sharding(mesh), replicated(mesh)
    check_batch_size(s.train.batch_size, mesh)
    check_batch_size(s.eval.batch_size, mesh, "eval.batch_size")
    made = build(s)
    method, init_fn = made.method, made.init_fn
    lead = jax.process_index() == 0
    if lead:
        with open(os.path.join(workdir, "config.json"), "w") as f:
            json.dump(_to_dict(s.config), f, indent=2, default=str)
    data = load_data(s.data)
    root = jax.random.key(s.seed)
    keys = {name: jax.random.fold_in(root, i) for i, name in enumerate(KEY_NAMES)}
    suite = None
    if s.eval.suite.enabled and method.translate is not None:
        suite = build_translation_suite(s.eval.suite, data, s.data, s.seed)
    elif s.eval.suite.enabled:
        suite = build_suite(s.eval.suite, data, s.data.name, s.seed, s.data.data_dir)
    local = s.train.batch_size // jax.process_count()
    example = to_global(data.transform({k: v[:local] for k, v in data.train.items()}), shard)
    state = jax.jit(init_fn, out_shardings=repl)(keys["init"], example)
    manager = checkpoint.make_manager(workdir, s.train.keep_checkpoints)
    it = train_iterator(
        data.train, local, s.seed, data.transform, jax.process_index(), jax.process_count()
    )
    restored = checkpoint.restore_latest(manager, state, warn=_warn)
    if restored is not None:
        state, data_state = restored
        it.set_state(data_state)
    start = int(state.step)
    s.train.check_resume(start)
    batch_shard = shard if s.train.steps_per_call == 1 else stacked_data_sharding(mesh)
    return Experiment(
        settings=s,
        workdir=workdir,
        shard=shard,
        data=data,
        method=method,
        keys=keys,
        suite=suite,
        manager=manager,
        iterator=it,
        state=state,
        start=start,
        step_fn=jit_train_step(made.train_fn, batch_shard, repl),
        eval_step=made.eval_step,
        batch_shard=batch_shard,
        writer=MetricWriter(workdir, enabled=lead),
    )


def host_local(params):
    """Parameters for the per-process parts of evaluation (samples, the suite, reports): as
    they are on one process; on several, a host copy, so that each process computes them on
    its own devices (process 0 alone samples, which a program over every process's devices
    could not do)."""
    return params if jax.process_count() == 1 else jax.device_get(params)


def _settle(manager) -> None:
    """Wait for any save in flight, ignoring its failure (an error is already on its way)."""
    try:
        manager.wait_until_finished()
    except Exception:
        pass


def _warn(line: str) -> None:
    if jax.process_index() == 0:
        print(line, file=sys.stderr, flush=True)


def _to_dict(config: Mapping) -> dict:
    return config.to_dict() if hasattr(config, "to_dict") else json.loads(json.dumps(config))


def evaluate_at(exp: Experiment, params, step: int) -> Evaluation:
    """Test metrics, the sample grid and (suite on) sample quality at ``step``, logged."""
    key = jax.random.fold_in(exp.keys["eval"], step)
    test = evaluate(exp.eval_step, params, exp.data, exp.settings.eval.batch_size, key, exp.shard)
    exp.writer.scalars(step, "test", test)
    params = host_local(params)
    num = exp.settings.eval.num_samples
    title = caption(exp.settings.method, exp.settings.data.name, step)
    classes = exp.data.info.num_classes
    write_samples(exp.method, params, num, key, exp.workdir, exp.writer, step, title, classes)
    quality = {}
    if isinstance(exp.suite, TranslationSuite):
        suite_key = jax.random.fold_in(exp.keys["suite"], step)
        model = evaluate_translation(exp.suite, exp.method, params, suite_key)
        for name, result in model.items():
            exp.writer.scalars(step, f"suite_{name}", numeric(result))
            exp.writer.scalars(step, f"suite_{name}_baseline", numeric(exp.suite.baseline[name]))
        quality = {"model": model, "baseline": exp.suite.baseline}
    elif exp.suite is not None:
        suite_key = jax.random.fold_in(exp.keys["suite"], step)
        model = exp.suite.evaluate(exp.method, params, suite_key, exp.settings.eval.suite.chunk)
        exp.writer.scalars(step, "suite", numeric(model))
        for name, bound in exp.suite.bounds.items():  # flat reference lines in TensorBoard
            exp.writer.scalars(step, f"suite_{name}", numeric(bound))
        quality = {"model": model, **exp.suite.bounds}
    return Evaluation(test, quality)


def train(exp: Experiment) -> LoopResult:
    """The spine's loop from the experiment's state to train.steps."""
    cfg, lead = exp.settings.train, jax.process_index() == 0
    hooks = Hooks(
        log=lambda step, metrics: exp.writer.scalars(step, "train", metrics),
        evaluate=lambda params, step: evaluate_at(exp, params, step),
        save=lambda step, state: checkpoint.save(
            exp.manager, step, state, exp.iterator.get_state(), _to_dict(exp.settings.config)
        ),
    )
    progress = tqdm(
        total=cfg.steps,
        initial=exp.start,
        unit="step",
        dynamic_ncols=True,
        disable=not lead or not cfg.progress,
        mininterval=1.0,
    )
    next_batch = lambda: next_global_batch(exp.iterator, cfg.steps_per_call, exp.batch_shard)
    halt_info = (exp.manager.latest_step(), exp.workdir)
    with preemption_watch() as stop:
        hooks = dataclasses.replace(hooks, stop=stop)
        return run_loop(
            exp.state, exp.step_fn, next_batch, cfg, exp.keys["train"], hooks, progress, halt_info
        )


def finish(exp: Experiment, result: LoopResult) -> dict:
    """Wait for the last checkpoint, evaluate (again only if nothing was trained), run the
    report and write ``summary.json``; after a preemption only wait for the checkpoint."""
    s, state = exp.settings, result.state
    checkpoint.wait(exp.manager, result.stopped_at or s.train.steps)
    total, start = s.train.steps, exp.start
    if result.stopped_at is not None:
        exp.writer.close()
        exp.manager.close()
        return {"preempted_at": result.stopped_at, "resumed_from": start, "steps": total}
    evaluation = result.evaluation or evaluate_at(exp, state.eval_params, total)
    averaged = "+".join(sorted(state.ema_params)) if exp.method.players else ""
    summary = {
        "method": s.method,
        "dataset": s.data.name,
        "variant": s.data.variant,
        "steps": total,
        "resumed_from": start,
        # Whole loop: compilation, evaluation and checkpointing included.
        "loop_steps_per_sec": (total - start) / result.seconds if total > start else None,
        "train": result.train_metrics,
        **{f"test_{k}": v for k, v in evaluation.test.items()},
        "test_rows": int(len(exp.data.test["image"])),
        "num_params": int(sum(x.size for x in jax.tree.leaves(state.params))),
        # Which parameters were evaluated: the EMA of every averaged group (a GAN: generator).
        "params": "raw"
        if s.train.ema_decay == 0
        else (f"ema of {averaged}" if averaged else "ema"),
    }
    if evaluation.quality:
        summary["suite"] = evaluation.quality
    scalars = write_report(
        exp.method,
        host_local(state.eval_params),
        exp.data,
        s.eval.batch_size,
        exp.keys["report"],
        exp.workdir,
        exp.writer,
        total,
        caption(s.method, s.data.name, total),
    )
    summary.update(scalars)
    exp.writer.scalars(total, "report", scalars)
    exp.writer.close()
    exp.manager.close()
    if jax.process_index() == 0:
        with open(os.path.join(exp.workdir, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
        curves_png(
            os.path.join(exp.workdir, "metrics.jsonl"),
            os.path.join(exp.workdir, "curves.png"),
            f"{caption(s.method, s.data.name, total)} · metrics against the step",
        )
    return summary


def train_and_evaluate(config: Mapping, workdir: str) -> dict:
    """Train ``config.method`` on ``config.data``, resuming from the newest checkpoint.

    The config and the workdir are checked, and the workdir locked for this run, before any
    data is loaded or anything compiled. SIGTERM saves at the next step boundary and returns
    ``{"preempted_at": step, ...}``; the same call resumes from there.

    Args:
      config: the experiment config (see configs/).
      workdir: output directory: checkpoints/, tensorboard/, metrics.jsonl, *.png,
        config.json and summary.json.

    Returns:
      The summary written to ``workdir/summary.json`` (or the preemption's).
    """
    settings = read_settings(config)
    if settings.multihost:
        distributed.start(settings.distributed)
    lead = jax.process_index() == 0
    workdir = check_workdir(workdir) if lead else os.path.abspath(workdir)
    lock = lock_workdir(workdir) if lead else None
    try:
        if lead:
            checkpoint.remove_partial_saves(workdir)  # safe: no other run writes here
        exp = setup(settings, workdir)
        try:
            result = train(exp)
        except BaseException:  # let a save in flight commit: it is the last good checkpoint
            _settle(exp.manager)
            raise
        return finish(exp, result)
    finally:
        release_workdir(lock)
