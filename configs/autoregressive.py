"""Fully observed (autoregressive) family: FVSBN, NADE, MADE and the gated PixelCNN, trained by
exact maximum likelihood and scored by exact test log-likelihood (nats, bits/dim).

Launch (default: MADE on binarized digits):
  python -m experiments.train --config=configs/autoregressive.py --workdir=runs/made
  python -m experiments.train --config=configs/autoregressive.py:model=pixelcnn --workdir=runs/pcnn
  python -m experiments.train --config=configs/autoregressive.py:model=nade,variant=gray \
      --workdir=runs/nade_gray                       # a categorical over digits' 17 levels
  python -m experiments.train \
      --config=configs/autoregressive.py:model=made,dataset=binarized_mnist \
      --workdir=runs/made_mnist                      # the paper's sizes
  python -m experiments.train --config=configs/autoregressive.py:model=pixelcnn,dataset=cifar10 \
      --workdir=runs/pcnn_cifar    # colour: PixelCNN++'s mixture of 10 discretised logistics
Arguments: model (fvsbn, nade, made, pixelcnn), dataset (digits, mnist5k, binarized_mnist,
mnist, cifar10: the gated PixelCNN only), variant (binary, gray; binarized_mnist is binary,
cifar10 8-bit colour).
"""

from configs.common import base_config, check_arg, parse_args

MODELS = ("fvsbn", "nade", "made", "pixelcnn")
DATASETS = ("digits", "mnist5k", "binarized_mnist", "mnist", "cifar10")
SMALL = ("digits",)  # 8x8: CPU-sized networks and runs


def _model(model: str, small: bool, gray: bool) -> dict:
    """Each kind's fields: CPU sizes on digits, the papers' on 28x28 data."""
    likelihood = "categorical" if gray else "bernoulli"
    if model == "fvsbn":
        return dict(likelihood=likelihood, order="raster")
    if model == "nade":  # Larochelle & Murray: 500 hidden units
        return dict(likelihood=likelihood, order="raster", units=100 if small else 500)
    if model == "made":  # Germain et al.: one or two layers of 500, K masks
        hidden = (1000,) if small else (500, 500)
        return dict(
            likelihood=likelihood,
            order="raster",
            hidden=hidden,
            num_masks=8,
            order_agnostic=True,
            direct=True,
            conditional=False,
        )
    # Gated PixelCNN: 7x7 first layer, 3x3 after (digits: 8 layers of 32 channels); on 28x28,
    # 5x5 kernels so that 13+ layers see every earlier pixel.
    if small:
        return dict(
            likelihood=likelihood, features=32, layers=8, first_kernel=7, kernel=3, head=128,
            gated=True, conditional=False, dropout=0.5, mixtures=10,
        )  # fmt: skip
    return dict(
        likelihood=likelihood, features=64, layers=14, first_kernel=7, kernel=5, head=256,
        gated=True, conditional=False, dropout=0.0, mixtures=10,
    )  # fmt: skip


def get_config(arg: str | None = None):
    args = parse_args(arg, {"model": "made", "dataset": "digits", "variant": "binary"})
    model, dataset, variant = args["model"], args["dataset"], args["variant"]
    check_arg("model", model, MODELS)
    check_arg("dataset", dataset, DATASETS)
    check_arg("variant", variant, ("binary", "gray"))
    if dataset == "binarized_mnist" and variant == "gray":
        raise ValueError("binarized_mnist is binary: use dataset=mnist for variant=gray")
    if dataset == "cifar10" and model != "pixelcnn":
        raise ValueError("cifar10 (colour) is modelled by the gated PixelCNN: use model=pixelcnn")
    if dataset == "cifar10":
        variant = "gray"  # 8-bit colour, scaled, not binarized
    small, gray = dataset in SMALL, variant == "gray"
    c = base_config()
    c.method = model
    c.data.name = dataset
    c.data.variant = variant
    c.data.pixel_range = "unit"
    c.model = _model(model, small, gray)
    if dataset == "cifar10":  # 15 layers of 5x5 reach all 31 earlier rows; 10 logistics
        c.model.update(likelihood="logistic_mixture", features=128, layers=15, mixtures=10)
    c.optim.learning_rate = 1e-3
    # 1500 training digits: the bigger models overfit. AdamW's decay (0.1) takes MADE from
    # 17.18 to 16.97 nats; the PixelCNN also needs dropout (0.5) and a short run: without them
    # its test NLL climbs from 17.06 at step 500 to 19.05 at 3000 (binarized digits).
    if small and model in ("made", "pixelcnn"):
        c.optim.update(name="adamw", weight_decay=0.1)
    c.train.batch_size = 64 if small else 128
    if small:
        c.train.steps = 2_000 if model == "pixelcnn" else 20_000
        c.train.eval_every = c.train.steps // 4
    else:
        c.train.steps, c.train.eval_every = 100_000, 10_000
    c.train.ckpt_every = c.train.eval_every
    c.train.ema_decay = 0.999
    c.eval.num_samples = 64
    c.eval.suite.enabled = small
    return c
