"""Train any method from a config file; resumes from the newest checkpoint in --workdir.

  python -m experiments.train --config=configs/vae.py --workdir=runs/vae
  python -m experiments.train --config=configs/vae.py:dataset=mnist,variant=iwae \
      --config.train.steps=20000 --workdir=runs/iwae_mnist
"""

import sys

from absl import flags
from ml_collections import config_flags

from experiments.common import run

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file (path[:args]).", lock_config=True)
flags.DEFINE_string("workdir", None, "Output directory (checkpoints, logs, samples).")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
    del argv
    import jax

    from genjax.eval.suite import summary_line
    from genjax.run.experiment import train_and_evaluate

    summary = train_and_evaluate(FLAGS.config, FLAGS.workdir)
    if jax.process_index() != 0:  # one process speaks for a multi-process run
        return
    if "preempted_at" in summary:
        print(
            f"preempted: saved step {summary['preempted_at']} in {FLAGS.workdir}/checkpoints; "
            "run the same command again to resume"
        )
        return
    shown = {k: v for k, v in summary.items() if isinstance(v, (int, float, str))}
    print(
        "summary:",
        ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()),
    )
    if "suite" in summary:
        print("sample quality:", summary_line(summary["suite"]))


def cli() -> int:
    """The console script ``genjax-train``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
