"""Draw samples from a checkpoint and write them as a PNG grid; for latent-variable and
adversarial models also the latent grids: a per-dimension traversal and lerp and slerp
interpolations; on request (--chain=N) N sampling trajectories, one per row (a diffusion's
denoising from noise to sample).

  python -m experiments.sample --workdir=runs/vae --num=100 --seed=1
  python -m experiments.sample --workdir=runs/diffusion --chain=8
"""

import os
import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a training run.")
flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.DEFINE_integer("num", 64, "Number of samples.")
flags.DEFINE_integer("seed", 0, "Sampling seed.")
flags.DEFINE_integer("chain", 0, "Also write this many sampling trajectories (chain.png).")
flags.DEFINE_string("out", None, "Output directory (default: WORKDIR/samples).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
    del argv
    import jax

    from genjax import viz
    from genjax.data import eval_batches
    from genjax.eval.report import caption, sample_grid
    from genjax.run.restore import load_trained

    if FLAGS.num < 1 or FLAGS.chain < 0:
        raise ValueError(f"--num must be >= 1 and --chain >= 0; got {FLAGS.num}, {FLAGS.chain}")
    trained = load_trained(FLAGS.workdir, FLAGS.step, {"nll_samples": 100})
    method, params = trained.method, trained.state.eval_params
    if method.sample is None:
        raise ValueError(f"method {method.name!r} has no prior to sample from")
    if FLAGS.chain and not method.trajectory:
        raise ValueError(f"method {method.name!r} has no sampling chain: leave out --chain")
    out = FLAGS.out or os.path.join(FLAGS.workdir, "samples")
    os.makedirs(out, exist_ok=True)
    key = jax.random.key(FLAGS.seed)
    path = os.path.join(out, f"samples_step{trained.step}_seed{FLAGS.seed}.png")
    title = caption(trained.settings.method, trained.settings.data.name, trained.step)
    classes = trained.data.info.num_classes
    grid, what = sample_grid(method, params, FLAGS.num, key, classes)
    viz.save_grid(path, grid, f"{title} · {what}, seed {FLAGS.seed}")
    written = [path]
    if FLAGS.chain:
        written.append(os.path.join(out, f"chain_step{trained.step}_seed{FLAGS.seed}.png"))
        chains = method.sample(params, key, FLAGS.chain, trajectory=True)
        heading = f"{title} · {FLAGS.chain} sampling chains, start (left) to end (right)"
        viz.save_grid(written[-1], chains, heading)
    if method.report is not None:
        batches = eval_batches(
            trained.data.test, trained.settings.eval.batch_size, trained.data.transform
        )
        _, images = method.report(params, batches, key)
        for name, grid in images.items():
            if name.startswith(("traversal", "interpolation")):
                written.append(os.path.join(out, f"{name}.png"))
                viz.save_grid(written[-1], grid, f"{title} · {name.replace('_', ' ')}")
    print("wrote", *written, sep="\n  ")


def cli() -> int:
    """The console script ``genjax-sample``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
