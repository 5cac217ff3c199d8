"""How much the base draws matter: the spread of a trained VAE's importance-sampled test NLL and
Monte Carlo ELBO over repeats, at equal K, with simple random, Latin hypercube and scrambled
Sobol draws of the posterior's noise (``genjax.inference.sampling``).

  python -m experiments.sampling_variance --workdir=runs/demo --num_samples=64 --repeats=20

For each test example and each technique, ``repeats`` estimates with K draws each (one set of K
base points per repeat, shared by the examples); reported per technique: the mean over examples
of each estimator's variance across repeats, its ratio to simple random sampling's, and the
estimators' means (which agree within their standard errors: every technique is unbiased for the
mean weight and the mean log weight). Writes sampling_variance.json and .md to --out.
"""

import os
import sys

from absl import flags

from experiments.common import run, write_report

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a VAE-family training run.")
flags.DEFINE_integer("num_samples", 64, "K: draws per estimate (a power of two, for Sobol).")
flags.DEFINE_integer("repeats", 20, "Estimates per example and technique.")
flags.DEFINE_list("methods", ["random", "latin_hypercube", "sobol"], "Base samplers.")
flags.DEFINE_integer("seed", 0, "Seed of the repeats' keys.")
flags.DEFINE_string("out", None, "Output directory (default: WORKDIR/eval).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
    del argv
    import jax
    import jax.numpy as jnp
    import numpy as np

    from genjax.applications.sampling_report import markdown, summarize
    from genjax.data import eval_batches
    from genjax.inference.sampling import BASE_SAMPLERS, normal_draws
    from genjax.methods.vae import VARIANTS, read_config, vae_log_weights_at
    from genjax.models.vae import VAE
    from genjax.run.restore import load_trained

    for m in FLAGS.methods:
        if m not in BASE_SAMPLERS or m == "stratified":
            raise ValueError(
                f"--methods: {m!r} is not one of random, latin_hypercube, sobol (a stratified "
                "grid needs strata^latent_dim draws)"
            )
    if FLAGS.repeats < 2:
        raise ValueError(f"--repeats must be at least 2 for a variance; got {FLAGS.repeats}")
    trained = load_trained(FLAGS.workdir)
    s, data = trained.settings, trained.data
    if s.method not in VARIANTS:
        raise ValueError(f"{FLAGS.workdir} holds a {s.method!r} run; pass a VAE-family run")
    classes = data.info.num_classes if trained.method.conditional else 0
    fields = read_config(trained.config, s.method).network.module_fields(data.info)
    model = VAE(**fields, num_classes=classes)
    params = trained.state.eval_params
    weights = jax.jit(lambda x, y, eps: vae_log_weights_at(model, params, x, y, eps))
    k, latent = FLAGS.num_samples, model.latent_dim
    results = {}
    for method in FLAGS.methods:
        nll, elbo = [], []  # [repeats, examples]
        for r in range(FLAGS.repeats):
            key = jax.random.fold_in(jax.random.key(FLAGS.seed), r)
            eps = normal_draws(method, key, k, latent)[:, None, :]
            lw = []
            for batch, mask in eval_batches(data.test, s.eval.batch_size, data.transform):
                y = batch.get("label") if trained.method.conditional else None
                b = batch["image"].shape[0]
                out = weights(batch["image"], y, jnp.broadcast_to(eps, (k, b, latent)))
                lw.append(np.asarray(out, np.float64)[:, np.asarray(mask) > 0])
            lw = np.concatenate(lw, axis=1)  # [K, examples]
            top = lw.max(axis=0)
            nll.append(-(top + np.log(np.mean(np.exp(lw - top), axis=0))))
            elbo.append(lw.mean(axis=0))
        results[method] = {"is_nll": np.array(nll), "elbo": np.array(elbo)}
    report = summarize(results, k, FLAGS.repeats, s.data.name, trained.step)
    out = FLAGS.out or os.path.join(FLAGS.workdir, "eval")
    write_report(out, "sampling_variance", report, markdown(report))


def cli() -> int:
    """The console script ``genjax-sampling-variance``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
