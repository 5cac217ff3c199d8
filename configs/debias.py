"""The debiasing benchmark (experiments/debias.py): DB-VAE against the same network without
resampling, on digits 0-4 against 5-9 with a hidden subgroup that is 2% of training and 50% of
test, over several seeds.

  python -m experiments.debias --config=configs/debias.py --workdir=runs/debias
  python -m experiments.debias --config=configs/debias.py:subgroup=invert --workdir=runs/debias_inv
Arguments: subgroup (invert, rotate).
"""

from ml_collections import config_dict

from configs.common import check_arg, parse_args


def get_config(arg: str | None = None):
    args = parse_args(arg, {"subgroup": "rotate"})
    check_arg("subgroup", args["subgroup"], ("invert", "rotate"))
    c = config_dict.ConfigDict()
    c.seeds = 20  # each seed draws its own subgroup members, initialisation and batches
    c.subgroup = args["subgroup"]
    c.train_fraction = 0.02
    c.test_fraction = 0.5
    c.debias = dict(
        hidden=(64,),
        latent_dim=8,
        kl_weight=0.0005,
        vae_weight=1.0,
        epochs=40,
        batch_size=32,
        learning_rate=1e-3,
        bins=10,
        alpha=0.001,
        combine="max",
    )
    return c
