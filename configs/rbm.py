"""Energy-based family: a restricted Boltzmann machine trained by CD-k or persistent CD,
scored by exact log Z (≤ 24 hidden units) and AIS side by side.

Launch (default: 20 hidden units on binarized digits, CD-1, 100 epochs of batch 20):
  python -m experiments.train --config=configs/rbm.py --workdir=runs/rbm
  python -m experiments.train --config=configs/rbm.py:sampler=pcd --workdir=runs/rbm_pcd
  python -m experiments.train --config=configs/rbm.py:dataset=binarized_mnist \
      --config.model.num_hidden=500 --workdir=runs/rbm_mnist      # AIS only (H > 24)
  python -m experiments.train --config=configs/rbm.py:variant=gray --workdir=runs/gbrbm
Arguments: dataset (digits, binarized_mnist, mnist), variant (binary, gray: Gaussian visibles),
sampler (cd, pcd). Filters and Gibbs chains: python -m experiments.sample --workdir=... --chain=8
"""

from configs.common import base_config, check_arg, parse_args

DATASETS = ("digits", "binarized_mnist", "mnist")
TRAIN_ROWS = {"digits": 1_500, "binarized_mnist": 50_000, "mnist": 60_000}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits", "variant": "binary", "sampler": "cd"})
    check_arg("dataset", args["dataset"], DATASETS)
    check_arg("variant", args["variant"], ("binary", "gray"))
    check_arg("sampler", args["sampler"], ("cd", "pcd"))
    c = base_config()
    c.method = "rbm"
    c.data.name = args["dataset"]
    c.data.variant = args["variant"]
    c.data.pixel_range = "unit"
    c.model = dict(num_hidden=20)
    c.rbm = dict(
        sampler=args["sampler"],
        gibbs_steps=1,  # k of CD-k / sweeps per PCD update
        num_chains=20,  # persistent chains (PCD)
        sample_steps=1_000,  # Gibbs sweeps for samples, chains and the suite
        ais_chains=100,
        ais_betas=10_000,
    )
    # Plain SGD at 0.05, as scikit-learn's BernoulliRBM; 100 epochs of batch 20.
    c.optim.name = "sgd"
    c.optim.learning_rate = 0.05
    c.optim.b1 = 0.0  # SGD momentum
    c.optim.schedule = "constant"
    c.optim.warmup_steps = 0
    if args["variant"] == "gray":  # σ learns poorly by plain SGD: test NLL 19.8, Adam -42.5
        c.optim.update(name="adam", learning_rate=3e-3, b1=0.9)
    c.train.batch_size = 20
    c.train.steps = 100 * TRAIN_ROWS[args["dataset"]] // c.train.batch_size
    c.train.ema_decay = 0.0  # evaluate the trained weights themselves
    # A CD step takes tens of microseconds: 25 per dispatch lift the loop from about 0.3 to
    # 0.6 of the bare step's speed (experiments/benchmark.py).
    c.train.steps_per_call = 25
    third = c.train.steps // 3 // c.train.steps_per_call * c.train.steps_per_call
    c.train.eval_every = third
    c.train.ckpt_every = third
    c.train.log_every = 500
    c.eval.num_samples = 100
    return c
