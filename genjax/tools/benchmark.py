"""Measure a config's train step: compile time, steady-state speed of the bare compiled step
(batch resident on device) and of the training loop's hot path (data pipeline, transfer and
logging included), XLA's FLOPs and memory for the step, the machine's matmul peak, and the
method's sampler."""

import dataclasses
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax.data import describe, load_data, train_iterator
from genjax.run.settings import Settings, read_settings
from genjax.tools.profile import breakdown, hlo_ops, op_times
from genjax.train.loop import jit_train_step, next_global_batch
from genjax.train.sharding import data_sharding, make_mesh, replicated, stacked_data_sharding
from genjax.train.step import make_training

# How many network evaluations one draw of an iterative sampler makes, from its settings.
SAMPLER_STEPS = {
    "diffusion": lambda s: s.process.sample_steps,  # DDIM or respaced ancestral DDPM
    "vdm": lambda s: s.vdm.sample_steps,
    "rbm": lambda s: s.sampling.sample_steps,
    "dbn": lambda s: s.stack.sample_steps,
}


def timed_windows(run: Callable[[int], object], calls: int, windows: int) -> list[float]:
    """Seconds of ``windows`` runs of ``run(calls)``, each ended by ``block_until_ready``."""
    out = []
    for _ in range(windows):
        t0 = time.perf_counter()
        jax.block_until_ready(run(calls))
        out.append(time.perf_counter() - t0)
    return out


def interleaved_medians(
    runs: dict[str, tuple[Callable[[int], object], int]],
    windows: int,
    reset: Callable[[], None] = lambda: None,
) -> dict[str, float]:
    """Median seconds of ``windows`` windows of each ``run(calls)``, the runs taking turns
    window by window so that drift in a shared machine's load hits them alike; ``reset()``
    runs before each window, untimed."""
    times = {name: [] for name in runs}
    for _ in range(windows):
        for name, (run, calls) in runs.items():
            reset()
            times[name] += timed_windows(run, calls, 1)
    return {name: statistics.median(t) for name, t in times.items()}


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


def _compile(train_fn, state, batch, key, batch_shard, repl):
    """The loop's train step compiled for ``batch``'s shape; and the seconds it took."""
    t0 = time.perf_counter()
    compiled = jit_train_step(train_fn, batch_shard, repl).lower(state, batch, key).compile()
    return compiled, time.perf_counter() - t0


def _loop(compiled, holder, it, per_call, batch_shard, key, log_every):
    """``run(calls)`` of the training loop's hot path: next host batch(es), transfer, step,
    and the logging sync whenever a log_every boundary is crossed (steps counted on the host,
    as the loop counts them: no device sync per call)."""
    done = [0]

    def run(calls):
        for _ in range(calls):
            batch = next_global_batch(it, per_call, batch_shard)
            holder["state"], metrics = compiled(holder["state"], batch, key)
            done[0] += per_call
            if done[0] // log_every != (done[0] - per_call) // log_every:
                {k: float(v) for k, v in jax.device_get(metrics).items()}
        return metrics

    return run


@dataclasses.dataclass(kw_only=True)
class Bench:
    """One config's compiled step and what its timed windows share.

    ``holder["state"]`` is the state the windows advance; ``one`` is the same step at one
    step per call (None when steps_per_call is 1).
    """

    settings: Settings
    method: Any
    data: Any
    compiled: Any
    compile_s: float
    one: Any
    init: Callable
    example: Any
    batch: Any
    key: jax.Array
    holder: dict
    iterator: Any
    shard: Any
    batch_shard: Any


def prepare(settings: Settings) -> Bench:
    """Build, load, initialise and compile ``settings``' train step as the loop runs it."""
    mesh = make_mesh()
    shard, repl = data_sharding(mesh), replicated(mesh)
    per_call = settings.train.steps_per_call
    batch_shard = shard if per_call == 1 else stacked_data_sharding(mesh)
    # A fresh build, not one kept by genjax.run.builds: the compile time is the step's own.
    method = settings.family.build(settings.method_settings, describe(settings.data))
    init_fn, train_fn = make_training(method, settings.train, settings.optim)
    data = load_data(settings.data)
    it = train_iterator(data.train, settings.train.batch_size, settings.seed, data.transform)
    key = jax.random.key(settings.seed)
    batch = next_global_batch(it, per_call, batch_shard)  # resident for the bare step
    example = batch if per_call == 1 else jax.tree.map(lambda x: x[0], batch)
    init = jax.jit(init_fn, out_shardings=repl)
    state = init(key, example)
    compiled, compile_s = _compile(train_fn, state, batch, key, batch_shard, repl)
    one = None
    if per_call > 1:  # XLA's cost analysis counts a loop body once: one step's FLOPs from K = 1
        single = dataclasses.replace(settings.train, steps_per_call=1)
        one_fn = make_training(method, single, settings.optim)[1]
        one, _ = _compile(one_fn, state, example, key, shard, repl)
    return Bench(
        settings=settings,
        method=method,
        data=data,
        compiled=compiled,
        compile_s=compile_s,
        one=one,
        init=init,
        example=example,
        batch=batch,
        key=key,
        holder={"state": state},
        iterator=it,
        shard=shard,
        batch_shard=batch_shard,
    )


def timed_runs(b: Bench, steps: int | None) -> tuple[dict, Callable[[], None], Callable]:
    """The bare step, the loop's hot path and (K > 1) the loop at K = 1, each as
    ``(run(calls), calls)`` for windows of ``steps`` steps (None: about 0.5 s), with the
    window reset (every window starts at step 0: a staged DBN would idle past its stages)."""
    cfg = b.settings.train
    per_call = cfg.steps_per_call

    def bare(calls):
        for _ in range(calls):
            b.holder["state"], metrics = b.compiled(b.holder["state"], b.batch, b.key)
        return metrics

    loop = _loop(b.compiled, b.holder, b.iterator, per_call, b.batch_shard, b.key, cfg.log_every)
    jax.block_until_ready(bare(2))  # warm-up
    calls = calls_per_window(timed_windows(bare, 1, 1)[0]) if steps is None else steps // per_call
    calls = max(1, min(calls, cfg.steps // per_call))  # steps of the run only
    runs = {"bare": (bare, calls), "loop": (loop, calls)}
    if b.one is not None:  # the same loop one step per call, for the speed-up of K
        k1 = _loop(b.one, b.holder, b.iterator, 1, b.shard, b.key, cfg.log_every)
        runs["k1"] = (k1, calls * per_call)
    for run, _ in runs.values():
        jax.block_until_ready(run(2))

    def reset():
        b.holder["state"] = jax.block_until_ready(b.init(b.key, b.example))

    return runs, reset, bare


def benchmark(
    config: ml_collections.ConfigDict,
    windows: int = 5,
    peak: float | None = None,
    steps: int | None = None,
    profile: bool = False,
):
    """Measure one config's training step and sampler.

    Args:
      config: an experiment config (train.steps_per_call and train.compute_dtype honoured).
      windows: timed windows per figure; each figure is the median.
      peak: matmul FLOP/s of this machine in the compute dtype (measured when None).
      steps: train steps per timed window (None: as many as fill about 0.5 s); a window
        starts from the initial state and holds at most ``train.steps`` steps, so every timed
        step is one the run takes.
      profile: also trace the bare step and break its op time down by kind and phase.

    Returns:
      A dict of figures: compile_s, bare_steps_per_s, loop_steps_per_s, loop_fraction,
      examples_per_s, flops_per_step, achieved_flops, peak_flops, flops_fraction, peak_mb;
      with steps_per_call K > 1 also k1_loop_steps_per_s and speedup (loop at K over loop at
      K = 1); for methods that sample, sample_* timings; with ``profile``, profile rows.
    """
    if windows < 1:
        raise ValueError(f"windows must be at least 1 (the median of timed windows), got {windows}")
    if steps is not None and steps < 1:
        raise ValueError(f"steps per timed window must be at least 1, got {steps}")
    b = prepare(read_settings(config))
    runs, reset, bare = timed_runs(b, steps)
    out = step_figures(b, runs, interleaved_medians(runs, windows, reset), peak)
    if profile:
        reset()
        times = op_times(lambda: bare(1), max(1, runs["bare"][1] // 2))
        ops = hlo_ops(b.compiled.as_text())
        out["profile"] = breakdown(times, ops, b.settings.train.steps_per_call)
    labels = np.arange(64) % b.data.info.num_classes if b.method.conditional else None
    out.update(sampler_timing(b.method, b.settings, b.holder["state"].eval_params, windows, labels))
    return out


def step_figures(b: Bench, runs: dict, seconds: dict[str, float], peak: float | None) -> dict:
    """The table row of one config from its median window seconds: speeds of the bare step
    and of the loop (and at K = 1), XLA's FLOPs and memory, the fraction of the matmul peak."""
    cfg = b.settings.train
    calls, per_call = runs["bare"][1], cfg.steps_per_call
    bare_sps, loop_sps = (calls * per_call / seconds[k] for k in ("bare", "loop"))
    flops, peak_bytes = cost_of(b.compiled)
    if b.one is not None:
        flops = cost_of(b.one)[0]
    peak = matmul_peak(cfg.dtype) if peak is None else peak
    out = {
        "method": b.settings.method,
        "dataset": b.settings.data.name,
        "batch_size": cfg.batch_size,
        "steps_per_call": per_call,
        "compute_dtype": cfg.compute_dtype,
        "compile_s": b.compile_s,
        "bare_steps_per_s": bare_sps,
        "loop_steps_per_s": loop_sps,
        "loop_fraction": loop_sps / bare_sps,
        "examples_per_s": bare_sps * cfg.batch_size,
        "flops_per_step": flops,
        "achieved_flops": flops * bare_sps,
        "peak_flops": peak,
        "flops_fraction": flops * bare_sps / peak,
        "peak_mb": peak_bytes / 2**20,
    }
    if b.one is not None:
        out["k1_loop_steps_per_s"] = calls * per_call / seconds["k1"]
        out["speedup"] = loop_sps / out["k1_loop_steps_per_s"]
    return out


def sampler_timing(method, settings: Settings, params, windows: int, labels=None, num: int = 64):
    """First-call (compile included) and steady seconds for ``num`` draws of the method's
    sampler (with ``labels`` for a conditional one), and its steps per second for iterative
    samplers."""
    if method.sample is None:
        return {}
    key = jax.random.key(1)
    t0 = time.perf_counter()
    jax.block_until_ready(method.sample(params, key, num, labels))
    first = time.perf_counter() - t0
    run = lambda calls: [
        method.sample(params, jax.random.key(c), num, labels) for c in range(calls)
    ]
    steady = statistics.median(timed_windows(run, 1, max(3, windows // 2)))
    out = {"sample_num": num, "sample_first_s": first, "sample_s": steady}
    steps = SAMPLER_STEPS.get(settings.method, lambda m: None)(settings.method_settings)
    if steps is not None:
        out["sampler_steps"] = steps
        out["sampler_steps_per_s"] = steps / steady
    return out


def markdown_table(rows: list[dict]) -> str:
    """The benchmark table, one method per row."""
    head = (
        "| method | dtype | batch | K | compile s | bare steps/s | loop steps/s | loop/bare "
        "| loop at K=1 | speed-up | examples/s | MFLOP/step | GFLOP/s | of peak | peak MB "
        "| sampler (64 draws) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        sampler = "–"
        if "sample_s" in r:
            sampler = f"{r['sample_s']:.3g} s"
            if "sampler_steps" in r:
                sampler += f" ({r['sampler_steps']} steps, {r['sampler_steps_per_s']:.0f}/s)"
        k1, speedup = "–", "–"
        if "speedup" in r:
            k1, speedup = f"{r['k1_loop_steps_per_s']:.0f}", f"{r['speedup']:.2f}×"
        lines.append(
            f"| {r['method']} | {r['compute_dtype']} | {r['batch_size']} | {r['steps_per_call']} "
            f"| {r['compile_s']:.1f} | {r['bare_steps_per_s']:.0f} | {r['loop_steps_per_s']:.0f} "
            f"| {r['loop_fraction']:.2f} | {k1} | {speedup} | {r['examples_per_s']:.0f} "
            f"| {r['flops_per_step'] / 1e6:.2f} | {r['achieved_flops'] / 1e9:.2f} "
            f"| {100 * r['flops_fraction']:.1f}% | {r['peak_mb']:.1f} | {sampler} |"
        )
    return head + "\n".join(lines) + "\n"
