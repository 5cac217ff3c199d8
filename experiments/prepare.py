"""Download and prepare a TFDS dataset as array_record (needs internet; some datasets' builds
need TensorFlow: pip install 'genjax-models[tf]').

  python -m experiments.prepare --dataset=mnist [--data_dir=~/tensorflow_datasets]
  python -m experiments.prepare --dataset=cycle_gan/horse2zebra

The embedded datasets (digits, mnist5k, photos, ...) and the translation tasks built on them
prepare themselves on first use, offline; naming them here prepares them now.
"""

import os
import socket
import sys

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "dataset", None, "A genjax dataset name (genjax.data.DATASETS) or cycle_gan/NAME."
)
flags.DEFINE_string("data_dir", None, "TFDS data directory (default: $TFDS_DATA_DIR or ~).")
flags.DEFINE_bool(
    "check_network",
    True,
    "Before a download, fail in seconds if TFDS's download host is unreachable.",
)
flags.mark_flags_as_required(["dataset"])

# Where TFDS's own and most datasets' files are fetched from; probed before a download.
PROBE = ("storage.googleapis.com", 443)
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def check_network(name: str, address: tuple[str, int] = PROBE, timeout: float = 5.0) -> None:
    """A one-line error, within ``timeout`` seconds, when ``address`` cannot be reached (no
    DNS, no route): TFDS would otherwise retry for minutes and end in a long traceback. Skipped
    behind a proxy (the download goes through it, not straight to the host)."""
    if any(os.environ.get(v) for v in PROXY_VARIABLES):
        return
    try:
        socket.create_connection(address, timeout=timeout).close()
    except OSError as err:
        raise ConnectionError(
            f"cannot reach {address[0]} ({err.__class__.__name__}: {err}), so {name} cannot be "
            f"downloaded here; prepare it on a machine with internet and copy its folder into "
            f"this data_dir (or pass --nocheck_network if downloads go another way)"
        ) from err


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


def needs_download(builder) -> bool:
    """Whether preparing ``builder`` fetches files: a TFDS dataset not prepared yet (the
    embedded builders read what installed packages ship)."""
    embedded = type(builder).__module__.startswith("genjax.")
    return not embedded and not builder.is_prepared()


def main(argv):
    del argv
    from genjax.data.datasets import default_data_dir, quiet_variant_folders

    data_dir = FLAGS.data_dir or default_data_dir()
    with quiet_variant_folders():
        for builder in builders(FLAGS.dataset, data_dir):
            if FLAGS.check_network and needs_download(builder):
                check_network(FLAGS.dataset)
            builder.download_and_prepare()
            print(f"prepared {FLAGS.dataset} in {builder.data_dir}")


def cli() -> int:
    """The console script ``genjax-prepare``."""
    return run(main, (ConnectionError,))


if __name__ == "__main__":
    sys.exit(cli())
