"""Download and prepare a TFDS dataset as array_record (needs internet; some datasets' builds
need TensorFlow: pip install 'genjax-models[tf]').

  python -m experiments.prepare --dataset=mnist [--data_dir=~/tensorflow_datasets]
  python -m experiments.prepare --dataset=cycle_gan/horse2zebra

The embedded datasets (digits, mnist5k, photos, ...) and the translation tasks built on them
prepare themselves on first use, offline; naming them here prepares them now.
"""

import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "dataset", None, "A genjax dataset name (genjax.data.DATASETS) or cycle_gan/NAME."
)
flags.DEFINE_string("data_dir", None, "TFDS data directory (default: $TFDS_DATA_DIR or ~).")
flags.mark_flags_as_required(["dataset"])

# The embedded datasets each built-in translation task reads.
TASK_SOURCES = {
    "photo_colorization": ("photos", "photos64"),
    "photo_edges": ("photos", "photos64"),
    "digits_mnist5k": ("digits", "mnist5k"),
}


def builders(name: str, data_dir: str) -> list:
    """The TFDS builders (array_record) to prepare for genjax dataset or task ``name``."""
    import tensorflow_datasets as tfds

    from genjax.data.datasets import get_spec
    from genjax.data.translation import CYCLE_GAN, FOLDER, check_name

    if name.startswith(FOLDER):
        raise ValueError(f"{name} is a folder of images: there is nothing to prepare")
    if name.startswith(CYCLE_GAN):
        check_name(name)
        return [tfds.builder(name, data_dir=data_dir, file_format="array_record")]
    out = []
    for dataset in TASK_SOURCES.get(name, (name,)):
        spec = get_spec(dataset)
        if spec.builder is not None:
            out.append(spec.builder(data_dir=data_dir, file_format="array_record"))
        else:
            out.append(tfds.builder(spec.tfds_name, data_dir=data_dir, file_format="array_record"))
    return out


def main(argv):
    del argv
    from genjax.data.datasets import default_data_dir

    data_dir = FLAGS.data_dir or default_data_dir()
    for builder in builders(FLAGS.dataset, data_dir):
        builder.download_and_prepare()
        print(f"prepared {FLAGS.dataset} in {builder.data_dir}")


def cli() -> int:
    """The console script ``genjax-prepare``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
