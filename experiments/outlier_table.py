"""The outlier-detection table across families on digits (``genjax.applications.outlier_table``):
runs every protocol of every row (or finds its finished runs under --workdir) and writes
outliers_table.md there, each row's outliers.json, outliers.md and ROC curves in its folder.

  python -m experiments.outlier_table --workdir=runs/outliers
  python -m experiments.outlier_table --rows=vae,rbm --protocols=corruption,shift
  python -m experiments.outlier_table --protocols=   # only rebuild the table from the rows' JSON
"""

import json
import os
import sys
import time

from absl import flags

from experiments.common import load_config, run

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", "runs/outliers", "Each row's runs go in workdir/<row>.")
flags.DEFINE_list("rows", [], "Rows to run (empty: all).")
flags.DEFINE_list("protocols", ["corruption", "shift", "heldout"], "Protocols to run.")
flags.DEFINE_bool("progress", False, "Show each training run's progress bar.")


def run_row(row, protocols, workdir: str) -> None:
    import jax

    from genjax.applications import outlier_report as R
    from genjax.applications import protocols as P

    config = load_config(row.config)
    config.train.progress = FLAGS.progress
    for protocol in protocols:
        P.check_protocol(protocol, config)
    key = jax.random.fold_in(jax.random.key(config.seed), 7)
    model = background = None
    for protocol in protocols:
        t0 = time.perf_counter()
        if protocol == "heldout":
            if row.heldout is None:
                continue
            short = P.overridden(config, {"eval.suite.enabled": False, **row.heldout})
            results, raw = P.heldout(short, workdir, P.check_classes([], config), key)
        else:
            if model is None:
                model = P.ensure_run(config, os.path.join(workdir, "model"))
                background = P.ensure_background(config, model, workdir)
                scorer = P.Scorer(model, background, key)
            results, raw = P.score_inputs(protocol, scorer, config.seed)
        R.write(workdir, protocol, results, raw, config)
        print(f"{row.name} {protocol}: {time.perf_counter() - t0:.0f} s", flush=True)


def main(argv: list[str]) -> None:
    del argv
    from genjax.applications import outlier_table as T

    unknown = set(FLAGS.rows) - {r.name for r in T.ROWS}
    if unknown:
        raise ValueError(
            f"unknown rows {sorted(unknown)}; valid: {', '.join(r.name for r in T.ROWS)}"
        )
    rows = [r for r in T.ROWS if not FLAGS.rows or r.name in FLAGS.rows]
    lines = []
    for row in rows:
        workdir = os.path.join(FLAGS.workdir, row.name)
        run_row(row, FLAGS.protocols, workdir)
    for row in T.ROWS:
        path = os.path.join(FLAGS.workdir, row.name, "outliers.json")
        if os.path.exists(path):
            with open(path) as f:
                lines.append(T.table_row(row, json.load(f)))
    title = (
        "AUROC of each family's main score on digits (test split: 297 inliers; one training "
        "seed per run; held-out class: ten runs, each without one class)"
    )
    text = T.markdown(lines, title)
    with open(os.path.join(FLAGS.workdir, "outliers_table.md"), "w") as f:
        f.write(text)
    print(text)


def cli() -> int:
    """The console script ``genjax-outlier-table``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
