"""Deep belief net: stacked Bernoulli RBMs trained greedily (one layer per stage, CD-k), sampled
by Gibbs in the top RBM and a downward pass, scored by the variational bound on log p(v) in nats
(top RBM's log Z exact where one of its layers has ≤ 24 units, and by AIS), with the exact
log p(v) of a two-layer net beside it when its first hidden layer has ≤ 24 units.

Launch (default: 20-64 on binarized digits; the first stage is configs/rbm.py's run, then
the top RBM gets 100 epochs on binary samples of the first hidden layer):
  python -m experiments.train --config=configs/dbn.py --workdir=runs/dbn
  python -m experiments.train --config=configs/dbn.py:dataset=binarized_mnist \
      --workdir=runs/dbn_mnist
Arguments: dataset (digits, binarized_mnist). Per-layer optimizer fields: --config.optim.layer1.
"""

from ml_collections import config_dict

from configs.common import add_nll_fields, base_config, check_arg, parse_args

# Binarized MNIST: Salakhutdinov & Murray's (2008) 500-2000 DBN (their CD-25 top RBM is costly;
# CD-1 here); digits: the 20-unit RBM of configs/rbm.py with a 64-unit top RBM over it.
HIDDEN = {"digits": (20, 64), "binarized_mnist": (500, 2000)}
TRAIN_ROWS = {"digits": 1_500, "binarized_mnist": 50_000}
EPOCHS = {"digits": 100, "binarized_mnist": 50}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits"})
    check_arg("dataset", args["dataset"], tuple(HIDDEN))
    name = args["dataset"]
    c = base_config()
    c.method = "dbn"
    c.data.name = name
    c.data.variant = "binary"
    c.model = dict(hidden=HIDDEN[name])
    c.dbn = dict(
        # Layer l starts as layer l-1 transposed (needs n_(l+1) = n_(l-1)), so the net begins
        # as the RBM below it, bound tight; binarized_mnist's 784-500-2000 starts at random.
        init="transpose" if name == "digits" else "random",
        gibbs_steps=1,  # k of CD-k
        sample_steps=1_000,  # Gibbs sweeps in the top RBM for samples, chains and the suite
        eval_samples=10,  # q draws per example for the bounds at each eval step
        ais_chains=100,
        ais_betas=10_000,
    )
    # Each layer: plain SGD at 0.05 (as configs/rbm.py), its own optimizer over its own stage.
    c.optim.name = "sgd"
    c.optim.learning_rate = 0.05
    c.optim.b1 = 0.0
    c.optim.schedule = "constant"
    c.optim.warmup_steps = 0
    for i in range(len(HIDDEN[name])):  # e.g. --config.optim.layer1.learning_rate=0.02
        c.optim[f"layer{i}"] = config_dict.ConfigDict()
    c.train.batch_size = 20
    stage = EPOCHS[name] * TRAIN_ROWS[name] // c.train.batch_size
    c.dbn.stage_steps = stage  # each layer below the top; the top trains to train.steps
    c.train.steps = len(HIDDEN[name]) * stage
    c.train.ema_decay = 0.0
    c.train.eval_every = stage // 2
    c.train.ckpt_every = stage // 2
    c.train.log_every = 500
    # A CD step takes tens of microseconds: 25 per dispatch lift the loop from about 0.3 to
    # 0.6 of the bare step's speed (experiments/benchmark.py).
    c.train.steps_per_call = 25
    add_nll_fields(c)  # q draws per example for the report's bound and IS estimate
    c.eval.num_samples = 100
    return c
