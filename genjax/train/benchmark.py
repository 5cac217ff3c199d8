"""Measure a config's train step: compile time, steady-state speed of the bare compiled step
(batch resident on device) and of the training loop's hot path (data pipeline, transfer and
logging included), XLA's FLOPs and memory for the step, the machine's matmul peak, and the
method's sampler."""

import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.data import train_iterator
from genjax.methods import get_method
from genjax.train.data import load_data
from genjax.train.loop import next_global_batch
from genjax.train.sharding import data_sharding, make_mesh, replicated, stacked_data_sharding
from genjax.train.step import COMPUTE_DTYPES, make_training

# Config fields holding how many network evaluations one draw of an iterative sampler makes.
SAMPLER_STEPS = {"diffusion": "sample_steps", "rbm": "sample_steps", "dbn": "sample_steps"}


def timed_windows(run: Callable[[int], object], calls: int, windows: int) -> list[float]:
    """Seconds of ``windows`` runs of ``run(calls)``, each ended by ``block_until_ready``."""
    out = []
    for _ in range(windows):
        t0 = time.perf_counter()
        jax.block_until_ready(run(calls))
        out.append(time.perf_counter() - t0)
    return out


def calls_per_window(seconds_per_call: float, target: float = 0.5) -> int:
    """Calls filling about ``target`` seconds (at least one)."""
    return max(1, int(target / max(seconds_per_call, 1e-6)))


def matmul_peak(dtype=jnp.float32, n: int = 2048, windows: int = 7) -> float:
    """This machine's measured matmul FLOP/s: the best of ``windows`` timed windows of an
    n×n @ n×n product (a peak, so the fastest window; the spread on a shared CPU is wide)."""
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    mm = jax.jit(lambda x, y: x @ y)
    jax.block_until_ready(mm(a, a))
    one = timed_windows(lambda c: [mm(a, a) for _ in range(c)], 1, 1)[0]
    calls = calls_per_window(one)
    times = timed_windows(lambda c: [mm(a, a) for _ in range(c)], calls, windows)
    return 2.0 * n**3 * calls / min(times)


def cost_of(compiled) -> tuple[float, float]:
    """(FLOPs, peak bytes) of a compiled executable from XLA's cost and memory analyses;
    peak bytes = arguments + outputs + temporaries - donated aliases."""
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    mem = compiled.memory_analysis()
    peak = (
        mem.argument_size_in_bytes
        + mem.output_size_in_bytes
        + mem.temp_size_in_bytes
        - mem.alias_size_in_bytes
    )
    return float(cost.get("flops", float("nan"))), float(peak)


def benchmark(config: ml_collections.ConfigDict, windows: int = 5, peak: float | None = None):
    """Measure one config's training step and sampler.

    Args:
      config: an experiment config (train.steps_per_call and train.compute_dtype honoured).
      windows: timed windows per figure; each figure is the median.
      peak: matmul FLOP/s of this machine in the compute dtype (measured when None).

    Returns:
      A dict of figures: compile_s, bare_steps_per_s, loop_steps_per_s, loop_fraction,
      examples_per_s, flops_per_step, achieved_flops, peak_flops, flops_fraction, peak_mb and,
      for methods that sample, sample_* timings.
    """
    mesh = make_mesh()
    shard, repl = data_sharding(mesh), replicated(mesh)
    per_call = int(config.train.get("steps_per_call", 1))
    batch_shard = shard if per_call == 1 else stacked_data_sharding(mesh)
    data = load_data(config)
    method = get_method(config.method)(config, data.info)
    init_fn, train_fn = make_training(method, config)
    batch_size = config.train.batch_size
    it = train_iterator(data.train, batch_size, config.seed, data.transform)
    key = jax.random.key(config.seed)
    batch = next_global_batch(it, per_call, batch_shard)  # resident for the bare step
    example = batch if per_call == 1 else jax.tree.map(lambda x: x[0], batch)
    state = jax.jit(init_fn, out_shardings=repl)(key, example)
    step = jax.jit(
        train_fn,
        donate_argnums=0,
        in_shardings=(repl, batch_shard, repl),
        out_shardings=(repl, repl),
    )
    t0 = time.perf_counter()
    compiled = step.lower(state, batch, key).compile()
    compile_s = time.perf_counter() - t0
    flops, peak_bytes = cost_of(compiled)
    if per_call > 1:  # XLA's cost analysis counts a loop body once: one step's FLOPs from K = 1
        one_config = config.copy_and_resolve_references()
        one_config.train.steps_per_call = 1
        _, one_step = make_training(method, one_config)
        flops = cost_of(jax.jit(one_step).lower(state, example, key).compile())[0]

    holder = {"state": state}

    def bare(calls):
        for _ in range(calls):
            holder["state"], metrics = compiled(holder["state"], batch, key)
        return metrics

    log_every, done = int(config.train.log_every), [0]

    def loop(calls):
        for _ in range(calls):
            holder["state"], metrics = compiled(
                holder["state"], next_global_batch(it, per_call, batch_shard), key
            )
            done[0] += per_call  # counted on the host, as the loop does: no sync per call
            if done[0] % log_every == 0:  # the loop's logging sync
                {k: float(v) for k, v in jax.device_get(metrics).items()}
        return metrics

    jax.block_until_ready(bare(2))  # warm-up
    one_call = timed_windows(bare, 1, 1)[0]
    calls = calls_per_window(one_call)
    bare_t = statistics.median(timed_windows(bare, calls, windows))
    loop_t = statistics.median(timed_windows(loop, calls, windows))
    bare_sps, loop_sps = calls * per_call / bare_t, calls * per_call / loop_t
    dtype = COMPUTE_DTYPES[config.train.get("compute_dtype", "float32")]
    peak = matmul_peak(dtype) if peak is None else peak
    out = {
        "method": config.method,
        "dataset": config.data.name,
        "batch_size": batch_size,
        "steps_per_call": per_call,
        "compute_dtype": jnp.dtype(dtype).name,
        "compile_s": compile_s,
        "bare_steps_per_s": bare_sps,
        "loop_steps_per_s": loop_sps,
        "loop_fraction": loop_sps / bare_sps,
        "examples_per_s": bare_sps * batch_size,
        "flops_per_step": flops,
        "achieved_flops": flops * bare_sps,
        "peak_flops": peak,
        "flops_fraction": flops * bare_sps / peak,
        "peak_mb": peak_bytes / 2**20,
    }
    labels = None
    if method.conditional:  # draws cycle the classes, as the suite's do
        labels = np.arange(64) % data.info.num_classes
    out.update(sampler_timing(method, config, holder["state"].eval_params, windows, labels))
    return out


def sampler_timing(method, config, params, windows: int, labels=None, num: int = 64):
    """First-call (compile included) and steady seconds for ``num`` draws of the method's
    sampler (with ``labels`` for a conditional one), and its steps per second for iterative
    samplers."""
    if method.generate is None:
        return {}
    key = jax.random.key(1)
    t0 = time.perf_counter()
    jax.block_until_ready(method.generate(params, key, num, labels))
    first = time.perf_counter() - t0
    run = lambda calls: [
        method.generate(params, jax.random.key(c), num, labels) for c in range(calls)
    ]
    steady = statistics.median(timed_windows(run, 1, max(3, windows // 2)))
    out = {"sample_num": num, "sample_first_s": first, "sample_s": steady}
    field = SAMPLER_STEPS.get(config.method)
    if field is not None:
        section = config.diffusion if config.method == "diffusion" else config[config.method]
        out["sampler_steps"] = int(section[field])
        out["sampler_steps_per_s"] = out["sampler_steps"] / steady
    return out


def markdown_table(rows: list[dict]) -> str:
    """The benchmark table, one method per row."""
    head = (
        "| method | batch | K | compile s | bare steps/s | loop steps/s | loop/bare | examples/s "
        "| MFLOP/step | GFLOP/s | of peak | peak MB | sampler (64 draws) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        sampler = "–"
        if "sample_s" in r:
            sampler = f"{r['sample_s']:.3g} s"
            if "sampler_steps" in r:
                sampler += f" ({r['sampler_steps']} steps, {r['sampler_steps_per_s']:.0f}/s)"
        lines.append(
            f"| {r['method']} | {r['batch_size']} | {r['steps_per_call']} | {r['compile_s']:.1f} "
            f"| {r['bare_steps_per_s']:.0f} | {r['loop_steps_per_s']:.0f} "
            f"| {r['loop_fraction']:.2f} | {r['examples_per_s']:.0f} "
            f"| {r['flops_per_step'] / 1e6:.2f} | {r['achieved_flops'] / 1e9:.2f} "
            f"| {100 * r['flops_fraction']:.1f}% | {r['peak_mb']:.1f} | {sampler} |"
        )
    return head + "\n".join(lines) + "\n"
