"""Score scikit-learn's BernoulliRBM with this library's exact log Z, next to a trained `rbm`
run: the same training split, the same test split, the same estimator.

  python -m experiments.rbm_baseline --workdir=runs/rbm
"""

import json
import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of an `rbm` training run.")
flags.DEFINE_integer("n_iter", 100, "scikit-learn epochs.")
flags.DEFINE_float("learning_rate", 0.05, "scikit-learn learning rate.")
flags.DEFINE_integer("batch_size", 20, "scikit-learn batch size.")
flags.mark_flags_as_required(["workdir"])


def main(argv):
    del argv
    import jax.numpy as jnp
    import numpy as np
    from sklearn.neural_network import BernoulliRBM

    from genjax import energy as E
    from genjax.run.restore import load_trained

    trained = load_trained(FLAGS.workdir)
    if trained.config.method != "rbm" or not trained.data.info.binary:
        raise ValueError(f"{FLAGS.workdir} is not a binary `rbm` run: train configs/rbm.py first")
    num_hidden = int(trained.config.model.num_hidden)
    split = lambda name: np.asarray(
        trained.data.transform(getattr(trained.data, name))["image"]
    ).reshape(-1, int(np.prod(trained.data.info.image_shape)))
    train, test = split("train"), split("test")
    baseline = BernoulliRBM(
        n_components=num_hidden,
        learning_rate=FLAGS.learning_rate,
        batch_size=FLAGS.batch_size,
        n_iter=FLAGS.n_iter,
        random_state=0,
    ).fit(train)
    sk = {
        "W": jnp.asarray(baseline.components_.T, jnp.float32),
        "b": jnp.asarray(baseline.intercept_visible_, jnp.float32),
        "c": jnp.asarray(baseline.intercept_hidden_, jnp.float32),
    }
    ours = trained.state.eval_params
    results = {
        name: float(jnp.mean(E.nll(p, jnp.asarray(test), E.exact_log_partition(p))))
        for name, p in (("sklearn_test_nll_exact", sk), ("genjax_test_nll_exact", ours))
    }
    results["improvement_nats"] = (
        results["sklearn_test_nll_exact"] - results["genjax_test_nll_exact"]
    )
    results.update(test_rows=len(test), train_rows=len(train), num_hidden=num_hidden)
    print(json.dumps(results, indent=2))


def cli() -> int:
    """The console script ``genjax-rbm-baseline``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
