"""Latent-variable family: VAE, beta-VAE, conditional VAE, IWAE and the autoencoders.

Launch (default: MLP VAE on statically binarized digits):
  python -m experiments.train --config=configs/vae.py --workdir=runs/vae
Other datasets and variants:
  python -m experiments.train --config=configs/vae.py:dataset=mnist,variant=iwae --workdir=runs/iwae
  python -m experiments.train --config=configs/vae.py:variant=beta_vae --config.loss.beta=4
Arguments: dataset (digits, mnist, binarized_mnist, fashion_mnist, cifar10, celeb_a), variant
(vae, beta_vae, cvae, iwae, autoencoder, sparse_autoencoder), arch (mlp, conv).
"""

from configs.common import add_nll_fields, base_config, check_arg, parse_args

VARIANTS = ("vae", "beta_vae", "cvae", "iwae", "autoencoder", "sparse_autoencoder")
DATASETS = ("digits", "mnist", "binarized_mnist", "fashion_mnist", "cifar10", "celeb_a")
LOSS_FIELDS = {
    "beta_vae": {"beta": 4.0},
    "iwae": {"num_importance": 5},
    "sparse_autoencoder": {"l1_weight": 1e-2},
}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits", "variant": "vae", "arch": "mlp"})
    check_arg("variant", args["variant"], VARIANTS)
    check_arg("dataset", args["dataset"], DATASETS)
    check_arg("arch", args["arch"], ("mlp", "conv"))
    c = base_config()
    c.method = args["variant"]
    c.data.name = args["dataset"]

    c.model = dict(
        architecture=args["arch"],
        latent_dim=16,
        hidden=(256, 256),
        conv_features=(32, 64),
        likelihood="bernoulli",
    )
    # Each variant's own loss field (any other is an error): β, IWAE's K, the L1 weight.
    c.loss = LOSS_FIELDS.get(args["variant"], {})
    if args["variant"] not in ("autoencoder", "sparse_autoencoder"):
        add_nll_fields(c)
        # Draws of z per example in the evaluated ELBO: on the 297 test digits the test ELBO
        # moves by 0.18 nats (sd over evaluation keys) with one draw, 0.005 with 1,000.
        c.eval.elbo_samples = 1_000 if args["dataset"] == "digits" else 100

    if args["dataset"] == "digits":
        c.train.steps = 6_000
        c.train.batch_size = 100
        c.train.eval_every = 1_000
        c.train.ckpt_every = 1_000
        # A digits step takes about a millisecond, as long as fetching its batch: 20 steps
        # per dispatch let the loop run at 0.9 of the bare step (experiments/benchmark.py).
        c.train.steps_per_call = 20 if args["arch"] == "mlp" else 1
        c.eval.suite.enabled = args["variant"] not in ("autoencoder", "sparse_autoencoder")
    elif args["dataset"] in ("mnist", "binarized_mnist", "fashion_mnist"):
        c.model.latent_dim = 32
        c.model.hidden = (512, 512)
        c.train.steps = 50_000
    else:  # cifar10, celeb_a: 8-bit colour, Gaussian decoder, conv nets
        c.data.variant = "gray"
        c.model.architecture = "conv"
        c.model.likelihood = "gaussian"
        c.model.latent_dim = 128
        c.model.hidden = (512,)
        c.model.conv_features = (64, 128, 256)
        c.train.steps = 100_000
    if args["dataset"] == "fashion_mnist":
        c.data.variant = "gray"
    return c
