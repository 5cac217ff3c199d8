"""Sparse coding: dictionary learning with ISTA/FISTA codes and an L1 penalty.

Launch (default: 64 unit-norm atoms on gray digits, FISTA, λ = 0.1):
  python -m experiments.train --config=configs/sparse_coding.py --workdir=runs/sparse_coding
  python -m experiments.train --config=configs/sparse_coding.py --config.sparse_coding.penalty=0.3 \
      --config.sparse_coding.method=ista --workdir=runs/sc_ista
Arguments: dataset (digits, mnist, fashion_mnist). The atoms are written as atoms.png.
"""

from configs.common import base_config, check_arg, parse_args

DATASETS = ("digits", "mnist", "fashion_mnist")


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits"})
    check_arg("dataset", args["dataset"], DATASETS)
    c = base_config()
    c.method = "sparse_coding"
    c.data.name = args["dataset"]
    c.data.variant = "gray"
    c.data.pixel_range = "unit"
    c.model = dict(num_atoms=64 if args["dataset"] == "digits" else 256)
    c.sparse_coding = dict(penalty=0.1, method="fista", max_iter=200, tol=1e-5)
    c.optim.learning_rate = 1e-2
    c.optim.warmup_steps = 0
    c.train.steps = 3_000 if args["dataset"] == "digits" else 30_000
    c.train.batch_size = 128
    c.train.ema_decay = 0.0
    c.train.eval_every = 1_000
    c.train.ckpt_every = 1_000
    return c
