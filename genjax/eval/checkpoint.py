"""Evaluate a saved run: test metrics, the method's report, samples and the sample-quality
suite, written to one directory (what ``python -m experiments.evaluate`` runs)."""

import json
import os

import jax

from genjax import viz
from genjax.eval.suite import build_suite
from genjax.train.loop import evaluate, make_eval_step, write_report
from genjax.train.restore import load_trained
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
      suite: compute the sample-quality suite (for methods that generate).

    Returns:
      The results written to ``out/eval.json``.
    """
    trained = load_trained(workdir, step, eval_overrides)
    config, data, method = trained.config, trained.data, trained.method
    out = out or os.path.join(workdir, "eval")
    os.makedirs(out, exist_ok=True)
    params = trained.state.eval_params
    key = jax.random.fold_in(jax.random.key(config.seed), 10_000 + trained.step)
    results = {"step": trained.step, "dataset": config.data.name, "split": "test"}
    eval_step = make_eval_step(method.eval_metrics)
    shard = data_sharding(make_mesh())
    test = evaluate(eval_step, params, data, config.eval.batch_size, key, shard)
    results.update({f"test_{k}": v for k, v in test.items()})
    results.update(write_report(method, params, data, config, key, out))
    if method.sample is not None:
        images = method.sample(params, key, config.eval.num_samples)
        viz.save_grid(os.path.join(out, "samples.png"), images)
    if suite and method.generate is not None and "suite" in config.eval:
        s = build_suite(
            config.eval.suite, data, config.data.name, config.seed, config.data.data_dir
        )
        quality = s.evaluate(method, params, jax.random.fold_in(key, 1), config.eval.suite.chunk)
        results["suite"] = {"model": quality, **s.bounds}
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(results, f, indent=2)
    return results
