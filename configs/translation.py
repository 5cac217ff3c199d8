"""Image-to-image translation: pix2pix and its L1-only baseline (paired), CycleGAN (unpaired).

Launch (default: pix2pix colorization of 32x32 photo patches, held-out photographs):
  python -m experiments.train --config=configs/translation.py --workdir=runs/pix2pix
  python -m experiments.train --config=configs/translation.py:variant=l1 --workdir=runs/l1
  python -m experiments.train --config=configs/translation.py:task=edges --workdir=runs/edges
  python -m experiments.train --config=configs/translation.py:variant=cyclegan \
      --workdir=runs/cyclegan                      # digits <-> mnist5k at 16x16
Users' folders in the authors' layouts (pix2pix: train/ and test/ of side-by-side A|B images;
CycleGAN: trainA/ trainB/ testA/ testB/), and the TFDS cycle_gan datasets, at paper sizes:
  python -m experiments.train --config=configs/translation.py:task=folder \
      --config.data.name=folder:/data/facades --workdir=runs/facades
  python -m experiments.train --config=configs/translation.py:variant=cyclegan,task=horse2zebra \
      --workdir=runs/horse2zebra
Apply a trained generator to your images:
  python -m experiments.translate --workdir=runs/pix2pix --input=DIR_OR_IMAGE --out=DIR
Arguments: variant (pix2pix, l1, cyclegan), task (colorization, edges, digits_mnist5k,
folder, and the TFDS cycle_gan configs; default: colorization, digits_mnist5k for cyclegan).
"""

from ml_collections import config_dict

from configs.common import base_config, check_arg, parse_args

VARIANTS = ("pix2pix", "l1", "cyclegan")
EMBEDDED = {
    "colorization": "photo_colorization",
    "edges": "photo_edges",
    "digits_mnist5k": "digits_mnist5k",
}
CYCLE_GAN = (
    "apple2orange",
    "summer2winter_yosemite",
    "horse2zebra",
    "monet2photo",
    "cezanne2photo",
    "ukiyoe2photo",
    "vangogh2photo",
    "maps",
    "facades",
    "iphone2dslr_flower",
)
TASKS = (*EMBEDDED, "folder", *CYCLE_GAN)
PLAYERS = {"pix2pix": ("discriminator", "generator"), "cyclegan": ("generators", "discriminators")}


def _embedded(c: config_dict.ConfigDict, task: str, variant: str) -> None:
    """CPU-sized networks and runs for the embedded tasks (minutes here)."""
    if task == "digits_mnist5k":  # 16x16, one gray channel each side
        c.model.update(generator="resnet", generator_features=16, resnet_blocks=4)
        c.model.update(discriminator_features=32, discriminator_layers=2, norm="instance")
        c.model.dropout = 0.0
        c.data.update(image_size=16, load_size=16, flip=False)  # digits are not mirror-symmetric
        c.train.update(steps=3_000, batch_size=32, eval_every=1_000, ckpt_every=1_000)
    else:  # 32x32 photo patches: a 5-level U-Net (1x1 bottleneck), PatchGAN of 2 layers
        c.model.update(generator="unet", generator_features=32)
        if variant != "l1":
            c.model.update(discriminator_features=32, discriminator_layers=2)
        c.data.update(image_size=32, load_size=32, flip=True)
        c.train.update(steps=2_000, batch_size=16, eval_every=1_000, ckpt_every=1_000)
    c.eval.suite.enabled = True
    c.eval.batch_size = 128


def get_config(arg: str | None = None):
    args = parse_args(arg, {"variant": "pix2pix", "task": ""})
    variant = args["variant"]
    # The default task is each variant's embedded one: paired colorization, unpaired digits.
    task = args["task"] or ("digits_mnist5k" if variant == "cyclegan" else "colorization")
    check_arg("variant", variant, VARIANTS)
    check_arg("task", task, TASKS)
    c = base_config()
    c.method = variant
    c.data.name = EMBEDDED.get(task, f"cycle_gan/{task}" if task in CYCLE_GAN else "folder:")
    c.data.variant = "gray"
    c.data.pixel_range = "symmetric"  # tanh outputs
    c.data.direction = "AtoB"
    # Paper sizes: load 286, random crop 256, flips (the embedded tasks override below).
    c.data.update(image_size=256, load_size=286, flip=True)

    cyclegan = variant == "cyclegan"
    model = dict(
        generator="resnet" if cyclegan else "unet",
        generator_features=64,  # ngf
        num_downs=0,  # U-Net: 0 = log2(image size), the paper's 8 at 256 px
        resnet_blocks=9,
        discriminator_features=64,  # ndf
        discriminator_layers=3,  # the 70x70 PatchGAN
        norm="instance" if cyclegan else "batch",
        dropout=0.0 if cyclegan else 0.5,
        test_dropout=not cyclegan,  # pix2pix keeps its dropout noise at test time
    )
    if not cyclegan:  # colorization: the output keeps the input's luma, G gives the chroma
        model["keep_luma"] = task == "colorization"
    if variant == "l1":  # the U-Net alone
        del model["discriminator_features"], model["discriminator_layers"]
    c.model = model
    c.loss = config_dict.ConfigDict()
    if variant == "pix2pix":
        c.loss.update(adversarial="vanilla", l1_weight=100.0)
    elif cyclegan:
        c.loss.update(adversarial="lsgan", cycle_weight=10.0, identity_weight=0.5, pool_size=50)

    # The papers' Adam (lr 2e-4, b1 0.5), constant for half the run then linear to 0.
    c.optim.update(learning_rate=2e-4, b1=0.5, b2=0.999, schedule="linear_tail", warmup_steps=0)
    for player in PLAYERS.get(variant, ()):
        c.optim[player] = config_dict.ConfigDict()
    c.train.update(steps=200_000, batch_size=1, eval_every=10_000, ckpt_every=5_000)
    c.train.ema_decay = 0.999  # evaluated: the generators' EMA
    c.eval.batch_size = 8
    c.eval.num_samples = 8
    if task in EMBEDDED:
        _embedded(c, task, variant)
    return c
