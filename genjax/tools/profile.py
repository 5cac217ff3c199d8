"""Where a compiled step's time goes: each XLA op's time from a profiler trace, joined to the
op's kind (convolution, dot, elementwise, data movement), phase (forward, backward, rest) and
FLOPs read from the compiled HLO.

  times = op_times(lambda: step(state, batch, key), calls=10, logdir="/tmp/trace")
  rows = breakdown(times, hlo_ops(compiled.as_text()))
"""

import collections
import dataclasses
import glob
import gzip
import json
import math
import os
import re
import tempfile
from collections.abc import Callable

import jax

# Opcodes that only move or reshape data.
MOVES = frozenset(
    "parameter copy transpose bitcast reshape broadcast slice dynamic-slice concatenate pad "
    "reverse tuple get-tuple-element constant iota dynamic-update-slice copy-start "
    "copy-done gather".split()
)

_HEADER = re.compile(r"^(?:ENTRY )?%([\w.\-]+) .*\{$")
_INSTR = re.compile(
    r"^\s*(?:ROOT )?%(?P<name>[\w.\-]+) = (?P<type>\(.*?\)|\w+\[[\d,]*\])(?:\{[^}]*\})? "
    r"(?P<op>[\w\-]+)\((?P<args>[^)]*)\)(?P<rest>.*)$"
)


@dataclasses.dataclass(frozen=True)
class Op:
    """One HLO instruction: what it computes, in which phase of the step, and its FLOPs."""

    kind: str
    phase: str
    flops: float


def _dims(type_str: str) -> tuple[int, ...]:
    inner = type_str[type_str.index("[") + 1 : -1] if "[" in type_str else ""
    return tuple(int(d) for d in inner.split(",") if d)


def _operands(args: str) -> list[str]:
    return re.findall(r"%([\w.\-]+)", args)


def _window(rest: str, rank: int) -> dict[str, list]:
    """A convolution's window attributes per spatial dimension (XLA's defaults filled in)."""
    found = re.search(r"window=\{([^}]*)\}", rest)
    fields = dict(f.split("=") for f in found.group(1).split()) if found else {}
    per_dim = lambda key, default: [
        tuple(int(v) for v in d.split("_")) if "_" in d else int(d)
        for d in fields.get(key, "x".join([default] * rank)).split("x")
    ]
    return {
        "size": per_dim("size", "1"),
        "stride": per_dim("stride", "1"),
        "pad": per_dim("pad", "0_0"),
        "lhs_dilate": per_dim("lhs_dilate", "1"),
        "rhs_dilate": per_dim("rhs_dilate", "1"),
    }


def _valid_taps(out: int, size: int, stride: int, pad: tuple, lhs_d: int, rhs_d: int, n: int):
    """(output position, kernel tap) pairs of one spatial dimension that land on an input
    element of an n-long input (not on padding or a dilation hole)."""
    count = 0
    for o in range(out):
        for k in range(size):
            x = o * stride + k * rhs_d - pad[0]
            count += 0 <= x <= (n - 1) * lhs_d and x % lhs_d == 0
    return count


def _flops(op: str, out: tuple, operands: list, rest: str, shapes: dict) -> float:
    """2 x multiply-adds of a convolution (taps on padding or dilation holes not counted, as
    XLA's cost analysis counts them) or of a dot; 0 for any other op."""
    if op == "convolution":
        lhs_l, rhs_l, out_l = re.search(r"dim_labels=(\w+)_(\w+)->(\w+)", rest).groups()
        lhs, rhs = shapes[operands[0]], shapes[operands[1]]
        spatial = sorted(c for c in out_l if c.isdigit())
        w = _window(rest, len(spatial))
        taps = math.prod(
            _valid_taps(
                out[out_l.index(d)],
                w["size"][i],
                w["stride"][i],
                w["pad"][i],
                w["lhs_dilate"][i],
                w["rhs_dilate"][i],
                lhs[lhs_l.index(d)],
            )
            for i, d in enumerate(spatial)
        )
        per_position = out[out_l.index("b")] * out[out_l.index("f")] * rhs[rhs_l.index("i")]
        return 2.0 * per_position * taps
    if op == "dot":
        contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", rest).group(1)
        lhs = shapes[operands[0]]
        return 2.0 * math.prod(out) * math.prod(lhs[int(d)] for d in contracting.split(",") if d)
    return 0.0


def _phase(rest: str) -> str:
    name = re.search(r'op_name="([^"]*)"', rest)
    name = name.group(1) if name else ""
    if "transpose(jvp(" in name:
        return "backward"
    return "forward" if "jvp(" in name else "rest"


def hlo_ops(text: str) -> dict[str, Op]:
    """The ops a compiled module runs (``compiled.as_text()``), by name: the instructions of
    every computation but fused ones, which run inside their fusion op.

    A fusion takes the kind of what it fuses: convolution if it holds one, else dot, else
    data movement if every fused op only moves data, else elementwise/reduction; its FLOPs are
    its convolutions' and dots'. Summed over the ops, FLOPs match XLA's cost analysis for
    convolutions and dots (a loop body counted once, as XLA counts it).
    """
    computations, shapes, current = {}, {}, None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = computations.setdefault(header.group(1), [])
            continue
        m = _INSTR.match(line)
        if m and current is not None:
            shapes[m["name"]] = _dims(m["type"]) if m["type"][0] != "(" else ()
            current.append((m["name"], m["op"], _operands(m["args"]), m["rest"]))
    fused = {
        re.search(r"calls=%([\w.\-]+)", rest).group(1)
        for body in computations.values()
        for _, op, _, rest in body
        if op == "fusion" and "calls=%" in rest
    }
    ops = {}
    for computation, body in computations.items():
        if computation in fused:
            continue
        for name, op, args, rest in body:
            inner = [(name, op, args, rest)]
            if op == "fusion" and "calls=%" in rest:
                inner = computations[re.search(r"calls=%([\w.\-]+)", rest).group(1)]
            opcodes = {o for _, o, _, _ in inner}
            if "convolution" in opcodes:
                kind = "convolution"
            elif "dot" in opcodes:
                kind = "dot"
            elif opcodes <= MOVES:
                kind = "data movement"
            else:
                kind = "elementwise/reduction"
            flops = sum(_flops(o, shapes[n], a, r, shapes) for n, o, a, r in inner)
            ops[name] = Op(kind, _phase(rest), flops)
    return ops


def op_times(run: Callable[[], object], calls: int, logdir: str | None = None) -> dict:
    """Each XLA op's (seconds, executions) per call, from a profiler trace of ``calls`` calls
    of ``run`` (warmed up beforehand by the caller); an op in a loop body runs once per
    iteration. Events are summed over threads, so on a machine that runs ops concurrently
    the total can exceed the wall time."""
    logdir = logdir or tempfile.mkdtemp(prefix="genjax_trace_")
    jax.profiler.start_trace(logdir, create_perfetto_trace=True)
    try:
        for _ in range(calls):
            out = run()
        jax.block_until_ready(out)
    finally:
        jax.profiler.stop_trace()
    traces = glob.glob(os.path.join(logdir, "**", "perfetto_trace.json.gz"), recursive=True)
    if not traces:
        raise RuntimeError(f"the profiler wrote no perfetto trace under {logdir}")
    with gzip.open(max(traces, key=os.path.getmtime)) as f:
        events = json.load(f)
    events = events["traceEvents"] if isinstance(events, dict) else events
    seconds, count = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("ph") == "X":
            seconds[e["name"]] += e.get("dur", 0) * 1e-6 / calls
            count[e["name"]] += 1 / calls
    return {name: (seconds[name], count[name]) for name in seconds}


def breakdown(times: dict, ops: dict[str, Op], steps_per_call: int = 1) -> list[dict]:
    """Per (kind, phase): milliseconds per step, share of the ops' time, FLOPs per step (each
    op's FLOPs times its executions) and achieved FLOP/s, from ``op_times`` of calls of
    ``steps_per_call`` steps; trace events that are not ops (runtime spans) are left out."""
    acc = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for name, (seconds, executions) in times.items():
        if name in ops:
            op = ops[name]
            a = acc[(op.kind, op.phase)]
            a[0], a[1], a[2] = a[0] + seconds, a[1] + op.flops * executions, a[2] + 1
    total = sum(a[0] for a in acc.values()) or 1.0
    rows = []
    for (kind, phase), (seconds, flops, count) in sorted(acc.items(), key=lambda kv: -kv[1][0]):
        rows.append(
            {
                "kind": kind,
                "phase": phase,
                "ops": count,
                "ms_per_step": 1e3 * seconds / steps_per_call,
                "share": seconds / total,
                "flops_per_step": flops / steps_per_call,
                "flops_per_s": flops / seconds if seconds > 0 else 0.0,
            }
        )
    return rows


def profile_table(rows: list[dict], peak: float) -> str:
    """The breakdown as a markdown table, FLOP/s also as a fraction of ``peak``."""
    lines = [
        "| kind | phase | ops | ms/step | share | MFLOP/step | GFLOP/s | of peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rate = r["flops_per_s"]
        lines.append(
            f"| {r['kind']} | {r['phase']} | {r['ops']} | {r['ms_per_step']:.2f} "
            f"| {100 * r['share']:.1f}% | {r['flops_per_step'] / 1e6:.1f} "
            f"| {rate / 1e9:.1f} | {100 * rate / peak:.1f}% |"
            if rate
            else f"| {r['kind']} | {r['phase']} | {r['ops']} | {r['ms_per_step']:.2f} "
            f"| {100 * r['share']:.1f}% | – | – | – |"
        )
    return "\n".join(lines) + "\n"
