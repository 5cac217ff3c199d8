"""Data augmentation with a class-conditional model (experiments/augment.py): n labelled digits
per class, a generator trained on exactly those, and the suite's classifier with and without its
samples, over seeds.

  python -m experiments.augment --config=configs/augment.py --workdir=runs/augment
  python -m experiments.augment --config=configs/augment.py:generator=cgan --workdir=runs/aug_gan
  python -m experiments.augment --config=configs/augment.py:unlabelled=vae --workdir=runs/augment
Arguments: generator (cvae, cgan); unlabelled ("" or vae: the second setting, a VAE of every train
image whose samples the n-label classifier labels).
"""

from ml_collections import config_dict

from configs.common import check_arg, parse_args

GENERATORS = {"cvae": "vae:variant=cvae", "cgan": "gan:variant=cgan"}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"generator": "cvae", "unlabelled": ""})
    check_arg("generator", args["generator"], tuple(GENERATORS))
    check_arg("unlabelled", args["unlabelled"], ("", "vae"))
    c = config_dict.ConfigDict()
    c.augment = dict(
        generator=GENERATORS[args["generator"]],  # a packaged config name, or path[:arg]
        variant="gray",  # the data variant of generator and classifiers
        per_class=(5, 10, 50, 0),  # labelled digits per class; 0: the whole train split
        seeds=5,  # each: its labelled subset, generator and classifier seeds
        ratios=(1.0, 4.0),  # synthetic images per real one
        classifier_steps=3000,  # the suite's feature network schedule
        generator_steps=0,  # 0: the generator config's own
        generator_eval_samples=100,  # the generator run's end-of-training NLL/ELBO draws
        # the second setting: an unconditional model of every train image ("": skip)
        unlabelled_generator=args["unlabelled"],
    )
    return c
