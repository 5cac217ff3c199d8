"""Adversarial family: GAN, class-conditional GAN and VAE-GAN (DCGAN-style networks).

Launch (default: unconditional DCGAN on gray digits):
  python -m experiments.train --config=configs/gan.py --workdir=runs/gan
The class-conditional DCGAN, the VAE-GAN, other datasets and games:
  python -m experiments.train --config=configs/gan.py:variant=cgan --workdir=runs/cgan
  python -m experiments.train --config=configs/gan.py:variant=vaegan --workdir=runs/vaegan
  python -m experiments.train --config=configs/gan.py:dataset=cifar10 --workdir=runs/gan_cifar
  python -m experiments.train --config=configs/gan.py --config.loss.adversarial=wasserstein \
      --config.loss.gradient_penalty=10 --config.train.n_critic=5 --workdir=runs/wgan_gp
Arguments: dataset (digits, mnist, fashion_mnist, cifar10, celeb_a), variant (gan, cgan,
vaegan), arch (conv, mlp). Latent grids: python -m experiments.sample --workdir=runs/gan
"""

from ml_collections import config_dict

from configs.common import base_config, check_arg, parse_args

VARIANTS = ("gan", "cgan", "vaegan")
DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "celeb_a")

# Per dataset: latent size, generator widths (coarsest map first), discriminator widths,
# batch size, steps. Stride-2 stages: 2 for 8x8 (from 2x2) and 28x28 (from 7x7), 3 for 32x32,
# 4 for 64x64 (from 4x4).
SIZES = {
    "digits": (32, (64, 32), (32, 64), 64, 6_000),
    "mnist": (100, (256, 128), (64, 128), 64, 50_000),
    "fashion_mnist": (100, (256, 128), (64, 128), 64, 50_000),
    "cifar10": (128, (512, 256, 128), (64, 128, 256), 64, 100_000),
    "celeb_a": (128, (512, 256, 128, 64), (64, 128, 256, 512), 64, 100_000),
}


def get_config(arg: str | None = None):
    args = parse_args(arg, {"dataset": "digits", "variant": "gan", "arch": "conv"})
    check_arg("variant", args["variant"], VARIANTS)
    check_arg("dataset", args["dataset"], DATASETS)
    check_arg("arch", args["arch"], ("conv", "mlp"))
    latent, g_features, d_features, batch, steps = SIZES[args["dataset"]]
    c = base_config()
    c.method = args["variant"]
    c.data.name = args["dataset"]
    c.data.variant = "gray"
    c.data.pixel_range = "symmetric"  # tanh generator output

    c.model = dict(
        architecture=args["arch"],
        latent_dim=latent,
        generator_features=g_features,
        discriminator_features=d_features,
        generator_hidden=(256, 256),
        discriminator_hidden=(256, 256),
        spectral_norm=False,
        power_iterations=10,  # per call (stateless; see genjax.models.spectral)
    )
    if args["variant"] == "cgan":
        c.model.conditioning = "projection"  # the discriminator's: projection | concat
    c.loss = dict(
        adversarial="non_saturating",  # genjax.losses.ADVERSARIAL_LOSSES
        gradient_penalty=0.0,  # λ of WGAN-GP
        # γ of R1 (weight γ/2). The digits GAN collapses to one mode without it; the VAE-GAN
        # does not need it, and with γ=1 its encoder collapses to the prior (KL 0.6 nats).
        r1=0.0 if args["variant"] == "vaegan" else 1.0,
    )
    if args["variant"] == "vaegan":
        c.model.encoder_hidden = (256,)  # the encoder's MLP, after the discriminator's trunk
        # KL weight, γ (the decoder's weight on the error in discriminator features; the
        # encoder's is 1), and an optional pixel-space error.
        c.loss.update(kl_weight=1.0, decoder_feature_weight=1.0, pixel_weight=0.0)

    # DCGAN's Adam: lr 2e-4, b1 0.5, constant rate. Per-player overrides live in
    # optim.generator / optim.discriminator (any optim field).
    c.optim.learning_rate = 2e-4
    c.optim.b1 = 0.5
    c.optim.b2 = 0.999
    c.optim.schedule = "constant"
    c.optim.warmup_steps = 0
    c.optim.generator = config_dict.ConfigDict()
    c.optim.discriminator = config_dict.ConfigDict()

    c.train.steps = steps
    c.train.batch_size = batch
    c.train.n_critic = 1  # discriminator updates per step (5 for WGAN-GP)
    c.train.ema_decay = 0.999
    c.eval.num_samples = 100
    if args["dataset"] == "digits":
        c.train.eval_every = 2_000
        c.train.ckpt_every = 2_000
        c.eval.suite.enabled = True
    return c
