"""Diffusion family: a DDPM on a U-Net, class-conditional with classifier-free guidance where
the dataset has labels, sampled by DDIM and scored by the variational bound in bits/dim.

Launch (default: class-conditional on gray digits):
  python -m experiments.train --config=configs/diffusion.py --workdir=runs/diffusion
Other datasets, an unconditional model, other parametrisations and samplers:
  python -m experiments.train --config=configs/diffusion.py:dataset=cifar10 --workdir=runs/cifar
  python -m experiments.train --config=configs/diffusion.py:conditional=false --workdir=runs/ddpm
  python -m experiments.train --config=configs/diffusion.py --config.diffusion.prediction=v \
      --config.diffusion.schedule=cosine --workdir=runs/vpred
Learned variances (Nichol & Dhariwal 2021: the cosine schedule and the hybrid loss; sampled by
DDIM, or by 50 respaced ancestral steps with the learned variances with
--config.diffusion.sampler=ddpm):
  python -m experiments.train --config=configs/diffusion.py:variance=learned --workdir=runs/iddpm
Arguments: dataset (digits, mnist5k, mnist, fashion_mnist, cifar10, celeb_a), conditional
(true, false; default true where the dataset has labels), variance (fixed, learned; default
fixed). Grid and chains of a trained model:
  python -m experiments.sample --workdir=runs/diffusion --chain=8
"""

from configs.common import base_config, check_arg, parse_args

DATASETS = ("digits", "mnist5k", "mnist", "fashion_mnist", "cifar10", "celeb_a")
UNLABELLED = ("celeb_a",)

# Per dataset: U-Net width, multipliers (len - 1 downsamplings), residual blocks per
# resolution, attention resolutions, batch size, steps. cifar10 is DDPM's CIFAR-10 network;
# the others are scaled from it.
SIZES = {
    "digits": (16, (1, 2, 2), 1, (4,), 64, 6_000),
    "mnist5k": (32, (1, 2, 2), 2, (7,), 64, 20_000),
    "mnist": (64, (1, 2, 2), 2, (7,), 128, 100_000),
    "fashion_mnist": (64, (1, 2, 2), 2, (7,), 128, 100_000),
    "cifar10": (128, (1, 2, 2, 2), 2, (16,), 128, 800_000),
    "celeb_a": (128, (1, 1, 2, 2, 4), 2, (16,), 64, 500_000),
}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits", "conditional": "", "variance": "fixed"})
    check_arg("dataset", args["dataset"], DATASETS)
    check_arg("conditional", args["conditional"], ("", "true", "false"))
    check_arg("variance", args["variance"], ("fixed", "learned"))
    learned = args["variance"] == "learned"
    labelled = args["dataset"] not in UNLABELLED
    conditional = labelled if not args["conditional"] else args["conditional"] == "true"
    channels, mults, blocks, attention, batch, steps = SIZES[args["dataset"]]
    c = base_config()
    c.method = "diffusion"
    c.data.name = args["dataset"]
    c.data.variant = "gray"
    c.data.pixel_range = "symmetric"

    c.model = dict(
        channels=channels,
        channel_mults=mults,
        num_res_blocks=blocks,
        attention_resolutions=attention,
        groups=8,
        conditional=conditional,
        # n of sin/cos(2ⁿπ x) joined to the input; () for none. The learned-variance model on
        # digits takes the two finest scales of the 17 levels (its bound: 3.24 -> 2.07 bits/dim)
        fourier_exponents=(3, 4) if learned and args["dataset"] == "digits" else (),
    )
    c.diffusion = dict(
        schedule="cosine" if learned else "linear",  # genjax.diffusion.SCHEDULES
        num_steps=1000,
        prediction="eps",  # eps | v | x0
        # fixed: β̃_t; learned: the interpolation between β_t and β̃_t, trained by
        # L_simple + vlb_weight·L_vlb, t uniform or importance-sampled on L_vlb's history
        variance=args["variance"],
        vlb_weight=0.001,
        timestep_sampler="uniform",  # uniform | importance
        label_dropout=0.1 if conditional else 0.0,  # null label for classifier-free guidance
        # 0: unconditional, 1: conditional, >1: sharper and less diverse (on digits 1.5 trades
        # FD 13.8 -> 16.4 for class accuracy 0.97 -> 1.0; see the README).
        guidance=1.5 if conditional else 1.0,
        # ddim | ddpm (ancestral on sample_steps respaced steps, with the learned variances
        # where the model has them; on digits DDIM keeps more recall at 50 steps: README)
        sampler="ddim",
        sample_steps=50,  # DDIM steps, or the respaced DDPM's
        eta=0.0,
        clip=True,  # clip x̂_0 to [-1, 1] when sampling and in the bound
    )
    c.optim.learning_rate = 2e-4
    c.optim.warmup_steps = 500
    c.train.steps = steps
    c.train.batch_size = batch
    c.train.ema_decay = 0.9999
    c.eval.num_samples = 100
    c.eval.bpd_examples = 0  # test examples in the bits/dim bound (0: all)
    if args["dataset"] == "digits":
        c.optim.learning_rate = 1e-3
        c.train.ema_decay = 0.999
        c.eval.batch_size = 304  # the 297 test digits in one batch: one bound scan
        c.train.eval_every = 3_000
        c.train.ckpt_every = 3_000
        c.eval.suite.enabled = True
    return c
