"""Precision and recall across the prior: a trained VAE's, GAN's or VAE-GAN's samples with z at
prior temperature T or truncated at τ (``genjax.applications.temperature``), each set measured by
the run's evaluation suite. Writes temperature.json, .md and .png to --out.

  python -m experiments.temperature --workdirs=runs/vae,runs/cgan --out=runs/temperature
  python -m experiments.temperature --workdirs=runs/cgan --scheme=truncation --values=0.5,1,2
"""

import os
import sys

from absl import flags

from experiments.common import run, write_report

FLAGS = flags.FLAGS
flags.DEFINE_list("workdirs", None, "Workdirs of VAE, GAN or VAE-GAN runs.")
flags.DEFINE_string("scheme", "temperature", "temperature (z ~ N(0, T^2 I)) or truncation.")
flags.DEFINE_list("values", [], "Settings (default: the scheme's six).")
flags.DEFINE_string("out", "runs/temperature", "Output directory.")
flags.mark_flags_as_required(["workdirs"])


def main(argv):
    del argv
    import jax

    from genjax.applications import temperature as T
    from genjax.eval.suite import build_suite
    from genjax.run.restore import load_trained

    if FLAGS.scheme not in T.SCHEMES:
        raise ValueError(f"--scheme: unknown {FLAGS.scheme!r}; valid: {', '.join(T.SCHEMES)}")
    try:
        values = [float(v) for v in FLAGS.values] or list(T.DEFAULT_VALUES[FLAGS.scheme])
    except ValueError as err:
        raise ValueError(f"--values takes numbers; got {FLAGS.values}") from err
    reports = []
    for workdir in FLAGS.workdirs:
        trained = load_trained(workdir)
        s = trained.settings
        T.check_scheme(trained.method, FLAGS.scheme, values)
        suite = build_suite(s.eval.suite, trained.data, s.data.name, s.seed, s.data.data_dir)
        key = jax.random.fold_in(jax.random.key(s.seed), 40_000 + trained.step)
        curve = T.quality_curve(
            trained.method, trained.state.eval_params, key, suite, FLAGS.scheme, values
        )
        reports.append(
            {
                "workdir": workdir,
                "method": s.method,
                "step": trained.step,
                "scheme": FLAGS.scheme,
                "num_samples": suite.num_samples,
                "reference": suite.provenance["reference"],
                "features": suite.provenance["features"],
                "floor": {k: suite.bounds["floor"][k] for k in ("fd", "precision", "recall")},
                "curve": curve,
            }
        )
    write_report(FLAGS.out, "temperature", {"runs": reports}, T.markdown(reports))
    T.plot(reports, os.path.join(FLAGS.out, "temperature.png"))


def cli() -> int:
    """The console script ``genjax-temperature``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
