"""Evaluate a saved run: test metrics, the method's report, samples and the sample-quality
suite, written to one directory (what ``python -m experiments.evaluate`` runs)."""

import json
import os

import jax

from genjax.eval.report import caption, write_report, write_samples
from genjax.eval.suite import build_suite
from genjax.eval.test_split import evaluate, make_eval_step
from genjax.run.restore import load_trained
from genjax.train.sharding import data_sharding, make_mesh


def evaluate_checkpoint(
    workdir: str,
    step: int | None = None,
    out: str | None = None,
    eval_overrides: dict | None = None,
    suite: bool = True,
) -> dict:
    """Evaluate the EMA parameters of a checkpoint of ``workdir``.

    Args:
      workdir: the run's --workdir.
      step: checkpoint step (None: newest).
      out: output directory (None: WORKDIR/eval) for eval.json and PNGs.
      eval_overrides: replacements for ``config.eval`` fields (nll_samples, suite.num_samples...).
      suite: compute the sample-quality suite (for methods that sample).

    Returns:
      The results written to ``out/eval.json``.
    """
    trained = load_trained(workdir, step, eval_overrides)
    s, data, method = trained.settings, trained.data, trained.method
    out = out or os.path.join(workdir, "eval")
    os.makedirs(out, exist_ok=True)
    params = trained.state.eval_params
    key = jax.random.fold_in(jax.random.key(s.seed), 10_000 + trained.step)
    results = {"step": trained.step, "dataset": s.data.name, "split": "test"}
    shard = data_sharding(make_mesh())
    test = evaluate(
        make_eval_step(method.eval_metrics), params, data, s.eval.batch_size, key, shard
    )
    results.update({f"test_{k}": v for k, v in test.items()})
    title = caption(s.method, s.data.name, trained.step)
    results.update(write_report(method, params, data, s.eval.batch_size, key, out, title=title))
    write_samples(
        method, params, s.eval.num_samples, key, out, title=title, num_classes=data.info.num_classes
    )
    if suite and method.sample is not None:
        quality_suite = build_suite(s.eval.suite, data, s.data.name, s.seed, s.data.data_dir)
        quality = quality_suite.evaluate(
            method, params, jax.random.fold_in(key, 1), s.eval.suite.chunk
        )
        results["suite"] = {"model": quality, **quality_suite.bounds}
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results
