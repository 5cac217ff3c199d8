"""Data augmentation with a class-conditional model (``genjax.applications.augment``): for each n
labelled digits per class and each seed, a generator trained on exactly those images (found in
--workdir when already trained), and the suite's classifier trained on the n real images alone
and with r synthetic images per real one; accuracy on the test split with 95% t intervals over
seeds. Writes augment.json, augment.md and augment.png to --workdir.

  python -m experiments.augment --config=configs/augment.py --workdir=runs/augment
  python -m experiments.augment --config=configs/augment.py:unlabelled=vae --workdir=runs/augment
  python -m experiments.augment --config=configs/augment.py --config.augment.seeds=2 \\
      --config.augment.per_class=5,10 --workdir=runs/augment_quick
"""

import os
import sys
import time

from absl import flags
from ml_collections import config_flags

from experiments.common import load_config, run, write_report

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file (path[:args]).", lock_config=True)
flags.DEFINE_string("workdir", None, "Generator runs and results go here.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv: list[str]) -> None:
    del argv
    from genjax.applications import augment as A

    cfg = A.AugmentSettings.read(FLAGS.config.augment)
    base = load_config(cfg.generator)
    A.generator_config(base, cfg, cfg.per_class[0], 0)  # its errors before any training
    unlabelled = {}
    if cfg.unlabelled_generator:
        from genjax.applications.protocols import ensure_run

        base_u = load_config(cfg.unlabelled_generator)
        A.unlabelled_config(base_u, cfg, 0)
        for seed in range(cfg.seeds):  # one model of every train image per seed, for every n
            unlabelled[seed] = ensure_run(
                A.unlabelled_config(base_u, cfg, seed),
                os.path.join(FLAGS.workdir, "unlabelled", f"seed{seed}"),
            )
            A.check_unconditional(unlabelled[seed])
    cells = {}
    for n in cfg.per_class:
        cells[n] = []
        for seed in range(cfg.seeds):
            t0 = time.perf_counter()
            cells[n].append(A.run_cell(base, cfg, n, seed, FLAGS.workdir, unlabelled.get(seed)))
            figures = {
                k: round(v, 4)
                for k, v in cells[n][-1].items()
                if k not in ("rows", "test_rows", "step")
            }
            print(
                f"n={n or 'all'} seed={seed}: {figures} ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    test_rows = cells[cfg.per_class[0]][0]["test_rows"]
    report = A.summarize(cells, cfg, test_rows)
    write_report(FLAGS.workdir, "augment", report, A.markdown(report))
    A.plot(report, os.path.join(FLAGS.workdir, "augment.png"))


def cli() -> int:
    """The console script ``genjax-augment``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
