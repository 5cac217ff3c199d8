"""One likelihood table across every family on the same data: trains the default model of each
family with a likelihood or a bound (or finds its finished run under --workdir) and writes
``likelihood_<variant>.md`` and ``.json`` there, independent pixels as the floor row.

  python -m experiments.likelihood_table --dataset=digits --workdir=runs/likelihood
  python -m experiments.likelihood_table --variant=gray --workdir=runs/likelihood

Binary rows: FVSBN, NADE, MADE, PixelCNN (exact), VAE and IWAE (importance sampling), RBM
(exact log Z; AIS beside it), DBN (exact log p(v) by enumeration), Helmholtz machine (IS).
Gray rows (17 levels, bits/dim on the diffusion bound's bins): the four autoregressive models
and the class-conditional diffusion model's variational bound: unconditional (the null label,
p(x) as every other row), the conditional bound p(x | y) beside it.
"""

import json
import os
import sys
import time

from absl import flags

from experiments.common import load_config, run

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "digits", "The dataset (digits: the rows' default configs).")
flags.DEFINE_enum("variant", "binary", ["binary", "gray"], "Binarized or gray rows.")
flags.DEFINE_string("workdir", "runs/likelihood", "Each row's run goes in workdir/<row>.")
flags.DEFINE_bool("progress", False, "Show each training run's progress bar.")


def _floor(data, values: int) -> float:
    import numpy as np

    from genjax.eval.likelihood_table import independent_pixels_nll

    def levels(split):
        x = np.asarray(data.transform({"image": split["image"]})["image"]).reshape(
            len(split["image"]), -1
        )
        return np.round(x * (values - 1)).astype(np.int64)

    return independent_pixels_nll(levels(data.train), levels(data.test), values)


def main(argv: list[str]) -> None:
    del argv
    if FLAGS.dataset != "digits":
        raise ValueError("the likelihood table's default configs are for --dataset=digits")
    from genjax.eval import likelihood_table as T
    from genjax.run.experiment import train_and_evaluate

    rows, started = [], time.perf_counter()
    for row in T.TABLES[FLAGS.variant]:
        workdir = os.path.join(FLAGS.workdir, row.name)
        path = os.path.join(workdir, "summary.json")
        config = load_config(row.config)
        config.train.progress = FLAGS.progress
        if not os.path.exists(path):
            t0 = time.perf_counter()
            train_and_evaluate(config, workdir)
            print(f"{row.name}: trained in {time.perf_counter() - t0:.0f} s", flush=True)
        with open(path) as f:
            summary = json.load(f)
        conditional = not row.unconditional and (
            bool(config.get("diffusion", {}).get("conditional", False))
            or bool(config.get("model", {}).get("conditional", False))
        )
        rows.append(T.table_row(row, summary, conditional))
    from genjax.data import DataConfig, load_data

    data_cfg = load_config(T.TABLES[FLAGS.variant][0].config).data
    data = load_data(DataConfig.read(data_cfg))
    values = 2 if FLAGS.variant == "binary" else data.info.levels + 1
    floor = {
        "model": "independent pixels",
        "config": "counts of the training pixels, +1 smoothing",
        "test_nll": _floor(data, values),
        "estimator": "exact",
        "error": "",
        "conditional": False,
        "num_params": data.info.num_pixels * (values - 1),
        "loop_seconds": None,
        "fd": None,
        "test_rows": len(data.test["image"]),
    }
    floor["bits_per_dim"] = floor["test_nll"] / (data.info.num_pixels * 0.6931471805599453)
    rows = [floor, *sorted(rows, key=lambda r: r["test_nll"])]
    title = (
        f"Test NLL on {FLAGS.variant} digits ({floor['test_rows']} test rows, 1500 training; "
        f"one training seed each; {time.perf_counter() - started:.0f} s for the table)"
    )
    text = T.markdown(rows, title)
    os.makedirs(FLAGS.workdir, exist_ok=True)
    with open(os.path.join(FLAGS.workdir, f"likelihood_{FLAGS.variant}.md"), "w") as f:
        f.write(text)
    with open(os.path.join(FLAGS.workdir, f"likelihood_{FLAGS.variant}.json"), "w") as f:
        json.dump(rows, f, indent=2)
    print(text)


def cli() -> int:
    """The console script ``genjax-likelihood-table``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
