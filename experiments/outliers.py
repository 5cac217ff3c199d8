"""Outlier detection with a trained generative model: trains what the protocol needs under
--workdir (or reuses finished runs there) and writes outliers.json, outliers.md and
roc_<protocol>.png.

  python -m experiments.outliers --config=configs/vae.py --protocol=corruption \
      --workdir=runs/out/vae
  python -m experiments.outliers --config=configs/autoregressive.py:model=made \
      --protocol=heldout --classes=0,1,2 --config.train.steps=5000 --workdir=runs/out/made
  python -m experiments.outliers --config=configs/rbm.py --protocol=shift --workdir=runs/out/rbm

Runs: WORKDIR/model (the config as given), WORKDIR/background (the same on inputs perturbed
with probability 0.2: the likelihood ratio's background, for corruption and shift; heldout
skips it), WORKDIR/without_<c> (heldout: trained without class c).
"""

import os
import sys

from absl import flags
from ml_collections import config_flags

from experiments.common import run

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file (path[:args]).", lock_config=True)
flags.DEFINE_string("workdir", None, "Runs and results go here.")
flags.DEFINE_enum("protocol", "corruption", ["corruption", "heldout", "shift"], "The protocol.")
flags.DEFINE_list("classes", [], "heldout: the classes held out in turn (empty: every class).")
flags.DEFINE_bool("background", True, "corruption, shift: train the background model too.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv: list[str]) -> None:
    del argv
    import jax

    from genjax.applications import outlier_report as R
    from genjax.applications import protocols as P

    config, workdir, protocol = FLAGS.config, FLAGS.workdir, FLAGS.protocol
    P.check_protocol(protocol, config)
    classes = P.check_classes(FLAGS.classes, config) if protocol == "heldout" else ()
    key = jax.random.fold_in(jax.random.key(config.seed), 7)
    if protocol == "heldout":
        results, raw = P.heldout(config, workdir, classes, key)
    else:
        model = P.ensure_run(config, os.path.join(workdir, "model"))
        background = P.ensure_background(config, model, workdir) if FLAGS.background else None
        scorer = P.Scorer(model, background, key)
        results, raw = P.score_inputs(protocol, scorer, config.seed)
    text = R.write(workdir, protocol, results, raw, config)
    print(text)


def cli() -> int:
    """The console script ``genjax-outliers``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
