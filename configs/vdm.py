"""Variational diffusion model (Kingma et al. 2021): continuous time, a learned monotone noise
schedule trained to minimise the loss's variance, Fourier features of the input, and the
discrete decoder on the data's own levels; trained on, and reporting, its bound in bits/dim.

Launch (default: unconditional, gray digits, 17 levels):
  python -m experiments.train --config=configs/vdm.py --workdir=runs/vdm
Other datasets, a fixed schedule, discrete time, a class-conditional model:
  python -m experiments.train --config=configs/vdm.py:dataset=cifar10 --workdir=runs/vdm_cifar
  python -m experiments.train --config=configs/vdm.py --config.vdm.schedule=fixed \
      --config.vdm.timesteps=1000 --workdir=runs/vdm_fixed
  python -m experiments.train --config=configs/vdm.py:conditional=true --workdir=runs/cvdm
Arguments: dataset (digits, mnist5k, mnist, fashion_mnist, cifar10), conditional (true, false;
default false). Grid and chains of a trained model:
  python -m experiments.sample --workdir=runs/vdm --chain=8
"""

from configs.common import base_config, check_arg, parse_args

DATASETS = ("digits", "mnist5k", "mnist", "fashion_mnist", "cifar10")

# Per dataset: U-Net width, multipliers (len - 1 downsamplings), residual blocks per
# resolution, attention resolutions, Fourier exponents (the two finest scales of the data's
# levels: 17 levels are 1/8 apart, 256 levels 1/128), batch size, steps. cifar10 is the paper's
# network: 32 residual blocks of 128 channels down and 33 up at full resolution, attention only
# in the middle, dropout 0.1, batch 128, 10M steps.
SIZES = {
    "digits": (16, (1, 2, 2), 1, (4,), (3, 4), 64, 12_000),
    "mnist5k": (32, (1, 2, 2), 2, (7,), (7, 8), 64, 20_000),
    "mnist": (64, (1, 2, 2), 2, (7,), (7, 8), 128, 100_000),
    "fashion_mnist": (64, (1, 2, 2), 2, (7,), (7, 8), 128, 100_000),
    "cifar10": (128, (1,), 32, (), (7, 8), 128, 10_000_000),
}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits", "conditional": "false"})
    check_arg("dataset", args["dataset"], DATASETS)
    check_arg("conditional", args["conditional"], ("true", "false"))
    conditional = args["conditional"] == "true"
    channels, mults, blocks, attention, fourier, batch, steps = SIZES[args["dataset"]]
    c = base_config()
    c.method = "vdm"
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
        fourier_exponents=fourier,
        dropout=0.1,  # in the residual blocks while training (the paper's; on digits: see README)
    )
    c.vdm = dict(
        schedule="learned",  # fixed | scalar | learned (the paper's monotone network)
        # γ(0) (its initial value when learned): σ_0/α_0 = e^{γ_0/2} a third of the half-bin,
        # as the paper's -13.3 is for 256 levels (1/255): -7.8 for 17 levels (1/16)
        gamma_min=-7.8 if args["dataset"] == "digits" else -13.3,
        gamma_max=5.0,  # γ(1)
        schedule_features=1024,
        positive="abs",  # abs | softplus: the learned schedule's non-negative weights
        timesteps=0,  # 0: continuous time; T > 0: the T-step bound
        antithetic=True,  # the batch's times cover [0, 1) evenly
        variance_minimising=True,  # continuous time: the shape minimises the loss's variance
        levels=0,  # decoder levels; 0: the data's own (17 for digits, 256 for 8-bit)
        label_dropout=0.1 if conditional else 0.0,
        guidance=1.0,
        sampler="ancestral",  # ancestral | ddim
        sample_steps=50,
        clip=True,  # clip x̂ to [-1, 1] while sampling
    )
    c.optim.learning_rate = 2e-4
    c.optim.b2 = 0.99
    c.optim.warmup_steps = 100
    c.train.steps = steps
    c.train.batch_size = batch
    c.train.ema_decay = 0.9999
    c.eval.num_samples = 100
    c.eval.bpd_examples = 0  # test examples in the bound (0: all)
    c.eval.bpd_samples = 16  # draws of (t, ε) per example; the standard error needs >= 2
    if args["dataset"] == "digits":
        c.optim.learning_rate = 1e-3
        c.train.ema_decay = 0.999
        c.eval.batch_size = 304  # the 297 test digits in one batch
        c.eval.bpd_samples = 64  # standard error about 0.02 bits/dim
        c.train.eval_every = 6_000
        c.train.ckpt_every = 3_000
        c.eval.suite.enabled = True
    return c
