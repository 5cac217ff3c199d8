"""The debiasing benchmark: for each seed, the DB-VAE (resampled by latent density) and the same
network trained without resampling; accuracy on the hidden subgroup and on the rest of the
digits test split; writes debias.json, debias.md and upweighted.png (seed 0's 64 most
up-weighted training digits, subgroup members framed in red) to --workdir.

  python -m experiments.debias --config=configs/debias.py --workdir=runs/debias
"""

import os
import sys

from absl import flags
from ml_collections import config_flags

from experiments.common import run

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file (path[:args]).", lock_config=True)
flags.DEFINE_string("workdir", None, "Results go here.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv: list[str]) -> None:
    del argv
    from genjax.applications import debias_report as R
    from genjax.applications.debiasing import DebiasConfig

    config = FLAGS.config
    cfg = DebiasConfig.read(config.debias)
    R.check_benchmark(config)
    os.makedirs(FLAGS.workdir, exist_ok=True)
    report, grid = R.benchmark(config, cfg)
    text = R.write(report, grid, FLAGS.workdir)
    print(text)


def cli() -> int:
    """The console script ``genjax-debias``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
