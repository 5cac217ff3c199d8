"""Helmholtz machine: a sigmoid belief net with a recognition net, trained by wake-sleep or
reweighted wake-sleep (Bornschein & Bengio 2015), scored by importance-sampled test NLL.

Launch (default: reweighted wake-sleep, K = 5, layers 64-32 on binarized digits):
  python -m experiments.train --config=configs/helmholtz.py --workdir=runs/rws
  python -m experiments.train --config=configs/helmholtz.py:variant=wake_sleep --workdir=runs/ws
  python -m experiments.train --config=configs/helmholtz.py:dataset=binarized_mnist \
      --config.model.hidden=200,200,10 --workdir=runs/rws_mnist
Arguments: dataset (digits, binarized_mnist), variant (rws, wake_sleep).
"""

from configs.common import add_nll_fields, base_config, check_arg, parse_args


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits", "variant": "rws"})
    check_arg("dataset", args["dataset"], ("digits", "binarized_mnist"))
    check_arg("variant", args["variant"], ("rws", "wake_sleep"))
    c = base_config()
    c.method = "helmholtz"
    c.data.name = args["dataset"]
    c.data.variant = "binary"
    c.model = dict(hidden=(64, 32) if args["dataset"] == "digits" else (200, 200, 10))
    rws = args["variant"] == "rws"
    c.helmholtz = dict(num_samples=5 if rws else 1, sleep=True)
    c.optim.learning_rate = 3e-3
    c.train.steps = 20_000 if args["dataset"] == "digits" else 200_000
    c.train.batch_size = 64
    c.train.eval_every = 5_000
    c.train.ckpt_every = 5_000
    c.eval.suite.enabled = args["dataset"] == "digits"
    add_nll_fields(c)
    return c
