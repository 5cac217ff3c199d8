"""Classification accuracy score (Ravuri & Vinyals 2019) of trained class-conditional runs
(``genjax.applications.cas``): the suite's classifier trained on each run's samples alone and
tested on the real test split, beside the same classifier trained on the real train split; for a
guided diffusion model also at other guidance scales; optionally the seed-to-seed spread of FD
and KID with class-stratified against random labels.

  python -m experiments.cas --workdirs=runs/cvae,runs/cgan,runs/diffusion --out=runs/cas
  python -m experiments.cas --workdirs=runs/cgan --spread_seeds=10

Writes cas.json and cas.md to --out.
"""

import sys

from absl import flags

from experiments.common import run, write_report

FLAGS = flags.FLAGS
flags.DEFINE_list("workdirs", None, "Workdirs of class-conditional training runs.")
flags.DEFINE_integer("seeds", 3, "Sample sets and classifier seeds per row (>= 2; 0: spread only).")
flags.DEFINE_integer("num_per_class", 0, "Samples per class (0: train rows / classes).")
flags.DEFINE_list("guidance", ["0", "1"], "Extra guidance scales for guided diffusion runs.")
flags.DEFINE_integer("steps", 3000, "Classifier steps (the suite's feature network's: 3000).")
flags.DEFINE_integer("spread_seeds", 0, "Sample sets per labeling for the FD/KID spread (0: off).")
flags.DEFINE_string("out", "runs/cas", "Output directory.")
flags.mark_flags_as_required(["workdirs"])


def main(argv):
    del argv
    from genjax.applications.cas_report import CasSettings, evaluate_run, markdown

    try:
        guidance = tuple(float(g) for g in FLAGS.guidance)
    except ValueError as err:
        raise ValueError(f"--guidance takes numbers; got {FLAGS.guidance}") from err
    cfg = CasSettings(
        seeds=FLAGS.seeds,
        num_per_class=FLAGS.num_per_class,
        steps=FLAGS.steps,
        guidance=guidance,
        spread_seeds=FLAGS.spread_seeds,
    )
    real_scores = {}  # the real-data reference, once per dataset and variant
    reports = [evaluate_run(w, cfg, real_scores) for w in FLAGS.workdirs]
    write_report(FLAGS.out, "cas", {"runs": reports}, markdown(reports, cfg.seeds))


def cli() -> int:
    """The console script ``genjax-cas``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
