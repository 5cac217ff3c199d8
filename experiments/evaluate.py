"""Evaluate a checkpoint, train the feature network of the sample-quality suite, or print a
dataset's floor and ceiling.

  python -m experiments.evaluate --workdir=runs/vae --nll_samples=5000   # -> runs/vae/eval/
  python -m experiments.evaluate features --dataset=digits               # train + cache features
  python -m experiments.evaluate floors --dataset=digits --variant=binary
"""

import dataclasses
import json
import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a training run (checkpoint evaluation).")
flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.DEFINE_integer("nll_samples", None, "Importance samples per test example (default: config).")
flags.DEFINE_integer("num_samples", None, "Suite sample count (default: config).")
flags.DEFINE_bool("suite", True, "Compute the sample-quality suite for checkpoints.")
flags.DEFINE_string("out", None, "Output directory (default: WORKDIR/eval).")
flags.DEFINE_string("dataset", "digits", "Dataset (features, floors).")
flags.DEFINE_string("variant", "binary", "Data variant for floors: binary or gray.")
flags.DEFINE_string("arch", "conv", "Feature network architecture.")
flags.DEFINE_string("feature_dir", "", "Feature cache (default: $GENJAX_FEATURE_DIR or ~/.cache).")
flags.DEFINE_string(
    "data_dir", "", "TFDS data dir (default: $TFDS_DATA_DIR or ~/tensorflow_datasets)."
)
flags.DEFINE_bool("retrain", False, "Retrain the feature network even if cached.")
COMMANDS = ("checkpoint", "features", "floors")


def main(argv):
    command = argv[1] if len(argv) > 1 else "checkpoint"
    if command not in COMMANDS or len(argv) > 2:
        raise ValueError(f"unknown command {' '.join(argv[1:])!r}; valid: {', '.join(COMMANDS)}")
    if command == "features":
        from genjax.eval.feature_training import get_feature_space

        space = get_feature_space(
            FLAGS.dataset, FLAGS.arch, FLAGS.feature_dir, FLAGS.data_dir, FLAGS.retrain
        )
        print(json.dumps({"features": space.name, **space.meta}, indent=2))
    elif command == "floors":
        from genjax.data import DataConfig, load_data
        from genjax.eval.config import SuiteConfig
        from genjax.eval.suite import build_suite

        data = DataConfig(name=FLAGS.dataset, variant=FLAGS.variant, data_dir=FLAGS.data_dir)
        cfg = SuiteConfig(features=FLAGS.arch, feature_dir=FLAGS.feature_dir)
        if FLAGS.num_samples:
            cfg = dataclasses.replace(cfg, num_samples=FLAGS.num_samples)
        suite = build_suite(cfg, load_data(data), FLAGS.dataset, data_dir=FLAGS.data_dir)
        print(json.dumps(suite.bounds, indent=2))
    else:
        if not FLAGS.workdir:
            raise ValueError("checkpoint evaluation needs --workdir=<a training run's workdir>")
        from genjax.eval.checkpoint import evaluate_checkpoint

        overrides = {"nll_samples": FLAGS.nll_samples} if FLAGS.nll_samples else {}
        if FLAGS.num_samples:
            overrides["suite"] = {"num_samples": FLAGS.num_samples}
        results = evaluate_checkpoint(FLAGS.workdir, FLAGS.step, FLAGS.out, overrides, FLAGS.suite)
        print(json.dumps(results, indent=2))


def cli() -> int:
    """The console script ``genjax-evaluate``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
