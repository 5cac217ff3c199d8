"""Apply a trained translation generator to your own images and write the outputs as PNG.

Each image is read with PIL, converted to the model's channels (RGB or gray), resized to the
model's image size and translated; the output keeps the input's file name (.png).

  python -m experiments.translate --workdir=runs/pix2pix --input=photos/ --out=colorized/
  python -m experiments.translate --workdir=runs/cyclegan --input=zebra.jpg --out=out/ \
      --reverse                                   # CycleGAN: B -> A
"""

import os
import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Workdir of a pix2pix, l1 or cyclegan training run.")
flags.DEFINE_string("input", None, "An image file or a directory of images.")
flags.DEFINE_string("out", None, "Output directory (created).")
flags.DEFINE_bool("reverse", False, "CycleGAN only: translate B -> A instead of A -> B.")
flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.DEFINE_integer("seed", 0, "Seed of pix2pix's dropout noise.")
flags.DEFINE_integer("batch", 16, "Images translated at a time.")
flags.mark_flags_as_required(["workdir", "input", "out"])

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def image_paths(where: str) -> list[str]:
    """The image files at ``where`` (a file, or a directory's images in name order)."""
    if os.path.isfile(where):
        return [where]
    if not os.path.isdir(where):
        raise FileNotFoundError(f"--input {where} is neither an image file nor a directory")
    paths = sorted(
        os.path.join(where, n) for n in os.listdir(where) if n.lower().endswith(EXTENSIONS)
    )
    if not paths:
        raise FileNotFoundError(f"no images ({', '.join(EXTENSIONS)}) in {where}")
    return paths


def read_images(paths: list[str], size: int, channels: int):
    """[N, size, size, channels] float32 in [-1, 1] (bicubic resize, as the authors)."""
    import numpy as np
    from PIL import Image

    mode = "L" if channels == 1 else "RGB"
    images = []
    for path in paths:
        with Image.open(path) as im:
            im = im.convert(mode).resize((size, size), Image.BICUBIC)
        images.append(np.asarray(im, np.float32).reshape(size, size, channels) / 127.5 - 1.0)
    return np.stack(images)


def main(argv):
    del argv
    import jax
    import numpy as np
    from PIL import Image

    from genjax.run.restore import load_trained

    paths = image_paths(FLAGS.input)  # before the checkpoint loads: a typo fails fast
    if FLAGS.batch < 1:
        raise ValueError(f"--batch must be >= 1; got {FLAGS.batch}")
    trained = load_trained(FLAGS.workdir, FLAGS.step)
    method, info = trained.method, trained.data.info
    if method.translate is None:
        raise ValueError(
            f"method {method.name!r} does not translate images: train pix2pix, l1 or cyclegan"
        )
    if FLAGS.reverse and method.name != "cyclegan":
        raise ValueError(f"method {method.name!r} translates one way only: leave out --reverse")
    shape = info.image_shape if FLAGS.reverse else info.input_shape
    x = read_images(paths, shape[0], shape[-1])
    go = jax.jit(method.translate, static_argnums=3)
    params, key = trained.state.eval_params, jax.random.key(FLAGS.seed)
    outputs = [
        np.asarray(go(params, x[i : i + FLAGS.batch], jax.random.fold_in(key, i), FLAGS.reverse))
        for i in range(0, len(x), FLAGS.batch)
    ]
    os.makedirs(FLAGS.out, exist_ok=True)
    for path, out in zip(paths, np.concatenate(outputs), strict=True):
        pixels = np.clip((out + 1.0) * 127.5, 0, 255).round().astype(np.uint8)
        name = os.path.splitext(os.path.basename(path))[0] + ".png"
        Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(
            os.path.join(FLAGS.out, name)
        )
    direction = "B -> A" if FLAGS.reverse else "A -> B"
    print(f"translated {len(paths)} image(s) {direction} at step {trained.step} into {FLAGS.out}")


def cli() -> int:
    """The console script ``genjax-translate``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
