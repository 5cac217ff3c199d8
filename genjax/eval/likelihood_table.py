"""One likelihood table across every family with a likelihood or a bound, on the same data:
rows read from each run's ``summary.json`` (so the table and the runs cannot disagree), with
the estimator named, its error bar where it has one, and independent pixels as the floor row.

``experiments/likelihood_table.py`` trains (or finds) the runs and writes the table.
"""

import dataclasses
import math
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Row:
    """How one family's default run enters the table.

    Attributes:
      name: the row's name (and its run's directory under the table's workdir).
      config: ``configs/<file>.py[:args]`` of the default model.
      read: summary -> (test NLL in nats, estimator, error bar text or "").
      unconditional: the row's number is p(x) although its model is class-conditional.
    """

    name: str
    config: str
    read: Callable[[dict], tuple[float, str, str]]
    unconditional: bool = False  # the number is p(x) even when the model takes labels


def _exact(summary: dict) -> tuple[float, str, str]:
    return summary["test_nll_exact"], "exact", ""


def _importance(summary: dict) -> tuple[float, str, str]:
    k = int(summary["nll_samples"])
    return summary["test_is_nll"], f"IS, K = {k} (an upper bound in expectation)", ""


def _rbm(summary: dict) -> tuple[float, str, str]:
    """Exact log Z; AIS beside it, with its ±3 s.e. interval of log Z."""
    exact, ais = summary["test_nll_exact"], summary["test_nll_ais"]
    low = ais - summary["ais_log_z"] + summary["ais_log_z_low"]
    high = ais - summary["ais_log_z"] + summary["ais_log_z_high"]
    return exact, "exact log Z", f"AIS {ais:.2f} in [{low:.2f}, {high:.2f}]"


def _dbn(summary: dict) -> tuple[float, str, str]:
    if "test_nll_exact" in summary:
        return summary["test_nll_exact"], "exact (enumerated)", ""
    k = int(summary["nll_samples"])
    return summary["test_nll_is_exact"], f"IS, K = {k}, exact top log Z", ""


def _diffusion(summary: dict, num_pixels: int) -> tuple[float, str, str]:
    """The unconditional bound, p(x) as every other row; the conditional one beside it."""
    nats = summary["test_bits_per_dim_unconditional"] * num_pixels * math.log(2.0)
    conditional = summary.get("test_bits_per_dim_conditional")
    beside = "" if conditional is None else f"conditional on labels: {conditional:.3f} bits/dim"
    return nats, "variational bound (all T terms), unconditional (null label)", beside


def _vdm(summary: dict, num_pixels: int) -> tuple[float, str, str]:
    """The continuous-time bound it trains on, with its Monte Carlo standard error."""
    bits, se = (summary[f"test_bits_per_dim_unconditional{s}"] for s in ("", "_se"))
    k = int(summary["bpd_samples"])
    nats = bits * num_pixels * math.log(2.0)
    return nats, f"variational bound (continuous time), {k} draws per example", f"± {se:.3f} (s.e.)"


BINARY_ROWS = (
    Row("fvsbn", "configs/autoregressive.py:model=fvsbn", _exact),
    Row("nade", "configs/autoregressive.py:model=nade", _exact),
    Row("made", "configs/autoregressive.py:model=made", _exact),
    Row("pixelcnn", "configs/autoregressive.py:model=pixelcnn", _exact),
    Row("vae", "configs/vae.py", _importance),
    Row("iwae", "configs/vae.py:variant=iwae", _importance),
    Row("rbm", "configs/rbm.py", _rbm),
    Row("dbn", "configs/dbn.py", _dbn),
    Row("helmholtz", "configs/helmholtz.py", _importance),
)
GRAY_ROWS = (
    Row("fvsbn_gray", "configs/autoregressive.py:model=fvsbn,variant=gray", _exact),
    Row("nade_gray", "configs/autoregressive.py:model=nade,variant=gray", _exact),
    Row("made_gray", "configs/autoregressive.py:model=made,variant=gray", _exact),
    Row("pixelcnn_gray", "configs/autoregressive.py:model=pixelcnn,variant=gray", _exact),
    Row("diffusion", "configs/diffusion.py", lambda s: _diffusion(s, 64), unconditional=True),
    Row(
        "diffusion_learned",
        "configs/diffusion.py:variance=learned",
        lambda s: _diffusion(s, 64),
        unconditional=True,
    ),
    Row("vdm", "configs/vdm.py", lambda s: _vdm(s, 64)),
)
TABLES = {"binary": BINARY_ROWS, "gray": GRAY_ROWS}


def independent_pixels_nll(train: np.ndarray, test: np.ndarray, values: int) -> float:
    """The floor row: mean test NLL (nats) of independent per-pixel categoricals (Bernoulli
    for 2 values) fitted by counting the training levels, Laplace-smoothed (+1 per value).

    Args:
      train, test: integer levels [N, D].
      values: number of levels (2 for binary).
    """
    counts = np.stack([np.bincount(col, minlength=values) for col in train.T]).astype(np.float64)
    log_p = np.log((counts + 1.0) / (counts.sum(axis=1, keepdims=True) + values))  # [D, V]
    return float(-log_p[np.arange(test.shape[1]), test].sum(axis=1).mean())


def table_row(row: Row, summary: dict, conditional: bool) -> dict:
    """A table row (JSON) from a run's summary."""
    nll, estimator, error = row.read(summary)
    pixels = 64  # digits
    suite = summary.get("suite", {}).get("model", {})
    loop = summary.get("loop_steps_per_sec")
    return {
        "model": row.name,
        "config": row.config,
        "test_nll": float(nll),
        "bits_per_dim": float(nll) / (pixels * math.log(2.0)),
        "estimator": estimator,
        "error": error,
        "conditional": conditional,
        "num_params": summary.get("num_params"),
        "loop_seconds": summary["steps"] / loop if loop else None,
        "fd": suite.get("fd"),
        "test_rows": summary["test_rows"],
    }


def markdown(rows: list[dict], title: str) -> str:
    """The table as markdown, best first after the floor row."""
    head = (
        f"{title}\n\n| model | test NLL (nats) | bits/dim | estimator | error bar | "
        "conditional on labels | parameters | loop time (s) | FD (suite) |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    fmt = lambda v, f: "–" if v is None else format(v, f)
    lines = [
        f"| {r['model']} | {r['test_nll']:.2f} | {r['bits_per_dim']:.3f} | {r['estimator']} | "
        f"{r['error'] or '–'} | {'yes' if r['conditional'] else 'no'} | "
        f"{fmt(r['num_params'], ',')} | {fmt(r['loop_seconds'], '.0f')} | {fmt(r['fd'], '.2f')} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"
