"""Download and prepare a TFDS dataset as array_record (needs internet; some datasets' builds
need TensorFlow: pip install 'genjax-models[tf]').

  python -m experiments.prepare --dataset=mnist [--data_dir=~/tensorflow_datasets]
"""

import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", None, "A genjax dataset name (see genjax.data.DATASETS).")
flags.DEFINE_string("data_dir", None, "TFDS data directory (default: $TFDS_DATA_DIR or ~).")
flags.mark_flags_as_required(["dataset"])


def main(argv):
    del argv
    import tensorflow_datasets as tfds

    from genjax.data.datasets import default_data_dir, get_spec

    spec = get_spec(FLAGS.dataset)
    data_dir = FLAGS.data_dir or default_data_dir()
    if spec.builder is not None:
        builder = spec.builder(data_dir=data_dir, file_format="array_record")
    else:
        builder = tfds.builder(spec.tfds_name, data_dir=data_dir, file_format="array_record")
    builder.download_and_prepare()
    print(f"prepared {FLAGS.dataset} in {builder.data_dir}")


if __name__ == "__main__":
    sys.exit(run(main))
