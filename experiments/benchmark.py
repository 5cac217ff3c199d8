"""Benchmark the train step of one config, or of every method on its default config.

  python -m experiments.benchmark --config=configs/vae.py
  python -m experiments.benchmark --config=configs/vae.py --config.train.steps_per_call=10
  python -m experiments.benchmark --config=configs/diffusion.py \
      --config.train.compute_dtype=bfloat16
  python -m experiments.benchmark --config=configs/diffusion.py --profile   # op time by kind
  python -m experiments.benchmark --all --out=runs/benchmark   # JSON and a markdown table

Figures: compile time; steady steps/s of the bare compiled step (batch resident on device) and
of the training loop's hot path (data pipeline, transfer, logging); examples/s; XLA's FLOPs per
step and the achieved FLOP/s as a fraction of this machine's measured matmul peak; peak memory
from the compiled step's memory analysis; sampler timing; with train.steps_per_call K > 1,
the loop at K = 1 and the speed-up. Each speed is the median of --windows timed windows after
warm-up (--steps steps each, or about 0.5 s), each window ended by block_until_ready.
--profile traces the bare step and tables its op time by kind (convolution, dot, elementwise,
data movement) and phase (forward, backward, rest), with each kind's FLOP/s.
"""

import json
import os
import platform
import sys
import time

from absl import flags
from ml_collections import config_flags

from experiments.common import load_config, run

# Every registered method and the config that trains it by default (tested against METHODS).
DEFAULT_CONFIGS = {
    "autoencoder": "configs/vae.py:variant=autoencoder",
    "sparse_autoencoder": "configs/vae.py:variant=sparse_autoencoder",
    "vae": "configs/vae.py",
    "beta_vae": "configs/vae.py:variant=beta_vae",
    "cvae": "configs/vae.py:variant=cvae",
    "iwae": "configs/vae.py:variant=iwae",
    "gan": "configs/gan.py",
    "cgan": "configs/gan.py:variant=cgan",
    "vaegan": "configs/gan.py:variant=vaegan",
    "diffusion": "configs/diffusion.py",
    "vdm": "configs/vdm.py",
    "rbm": "configs/rbm.py",
    "dbn": "configs/dbn.py",
    "sparse_coding": "configs/sparse_coding.py",
    "helmholtz": "configs/helmholtz.py",
    "pix2pix": "configs/translation.py",
    "l1": "configs/translation.py:variant=l1",
    "cyclegan": "configs/translation.py:variant=cyclegan",
    "fvsbn": "configs/autoregressive.py:model=fvsbn",
    "nade": "configs/autoregressive.py:model=nade",
    "made": "configs/autoregressive.py:model=made",
    "pixelcnn": "configs/autoregressive.py:model=pixelcnn",
}
# Rows --all adds after the defaults: the options of issue 7 on the MLP VAE and the U-Net.
OPTION_ROWS = {
    "vae, K=10": ("configs/vae.py", {"steps_per_call": 10}),
    "vae, bfloat16": ("configs/vae.py", {"compute_dtype": "bfloat16"}),
    "diffusion, bfloat16": ("configs/diffusion.py", {"compute_dtype": "bfloat16"}),
}

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Config file (path[:args]).", lock_config=True)
flags.DEFINE_bool("all", False, "Every method on its default config (DEFAULT_CONFIGS).")
flags.DEFINE_integer("windows", 5, "Timed windows per figure (the median is reported).")
flags.DEFINE_integer("steps", None, "Train steps per timed window (default: about 0.5 s).")
flags.DEFINE_bool("profile", False, "Trace the bare step: op time by kind and phase.")
flags.DEFINE_string("out", None, "Directory for benchmark.json and benchmark.md.")


def machine() -> str:
    import jax

    device = jax.devices()[0]
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"{jax.device_count()} {device.platform} device(s) ({device.device_kind}), "
        f"jax {jax.__version__}, Python {platform.python_version()}"
    )


def main(argv):
    del argv
    import jax.numpy as jnp

    from genjax.tools.benchmark import benchmark, markdown_table, matmul_peak
    from genjax.tools.profile import profile_table

    if FLAGS.all == (FLAGS.config is not None):
        raise ValueError("give exactly one of --config=<file> and --all")
    if FLAGS.all:
        specs = {name: (spec, {}) for name, spec in DEFAULT_CONFIGS.items()} | OPTION_ROWS
    else:
        specs = {FLAGS.config.method: None}
    peaks, rows, profiles, t0 = {}, [], [], time.perf_counter()
    for name, spec in specs.items():
        config = FLAGS.config if spec is None else load_config(spec[0])
        if spec is not None:
            config.train.update(spec[1])
        dtype = config.train.get("compute_dtype", "float32")
        if dtype not in peaks:
            peaks[dtype] = matmul_peak(jnp.bfloat16 if dtype == "bfloat16" else jnp.float32)
        row = benchmark(config, FLAGS.windows, peaks[dtype], FLAGS.steps, FLAGS.profile)
        if "profile" in row:
            profiles.append(f"{name} ({dtype}):\n\n" + profile_table(row["profile"], peaks[dtype]))
            print(profiles[-1], flush=True)
        rows.append(row)
        print(
            f"{name}: "
            + ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in row.items()
                if k != "profile"
            ),
            flush=True,
        )
    table = markdown_table(rows)
    header = (
        f"Benchmark of {time.strftime('%Y-%m-%d')} on {machine()}; matmul peak "
        + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in peaks.items())
        + f"; {time.perf_counter() - t0:.0f} s in all.\n\n"
    )
    print(header + table)
    if FLAGS.out:
        os.makedirs(FLAGS.out, exist_ok=True)
        with open(os.path.join(FLAGS.out, "benchmark.json"), "w") as f:
            json.dump({"machine": machine(), "peak_flops": peaks, "rows": rows}, f, indent=2)
        with open(os.path.join(FLAGS.out, "benchmark.md"), "w") as f:
            f.write(header + table + "".join("\n" + p for p in profiles))


def cli() -> int:
    """The console script ``genjax-benchmark``."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
