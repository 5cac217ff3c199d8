"""Evaluate a checkpoint: test ELBO, importance-sampled NLL (K samples), reconstructions,
samples, traversal and interpolation grids, written to --out (default: WORKDIR/eval).

  python -m experiments.evaluate --workdir=runs/vae --nll_samples=5000
"""

import json
import os
import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a training run.")
flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.DEFINE_integer("nll_samples", None, "Importance samples per test example (default: config).")
flags.DEFINE_string("out", None, "Output directory (default: WORKDIR/eval).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
    del argv
    import jax

    from genjax import viz
    from genjax.data import eval_batches
    from genjax.train.loop import evaluate, make_eval_step
    from genjax.train.restore import load_trained
    from genjax.train.sharding import data_sharding, make_mesh

    overrides = {"nll_samples": FLAGS.nll_samples} if FLAGS.nll_samples else {}
    trained = load_trained(FLAGS.workdir, FLAGS.step, overrides)
    config, data, method = trained.config, trained.data, trained.method
    out = FLAGS.out or os.path.join(FLAGS.workdir, "eval")
    os.makedirs(out, exist_ok=True)
    params = trained.state.ema_params
    key = jax.random.fold_in(jax.random.key(config.seed), 10_000 + trained.step)
    results = {"step": trained.step, "dataset": config.data.name, "split": "test"}
    test = evaluate(
        make_eval_step(method.eval_metrics),
        params,
        data,
        config.eval.batch_size,
        key,
        data_sharding(make_mesh()),
    )
    results.update({f"test_{k}": v for k, v in test.items()})
    if method.report is not None:
        scalars, images = method.report(
            params, eval_batches(data.test, config.eval.batch_size, data.transform), key
        )
        results.update(scalars)
        for name, grid in images.items():
            viz.save_grid(os.path.join(out, f"{name}.png"), grid)
    if method.sample is not None:
        viz.save_grid(
            os.path.join(out, "samples.png"), method.sample(params, key, config.eval.num_samples)
        )
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(run(main))
