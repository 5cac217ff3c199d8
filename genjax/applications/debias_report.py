"""The debiasing benchmark over seeds (``experiments.debias``): DB-VAE against the same network
without resampling, accuracies with 95% t intervals over seeds, the paired per-seed change,
and the grid of the most up-weighted training digits."""

import json
import os
from collections.abc import Mapping

import jax
import numpy as np
from scipy import stats

from genjax.applications.debiasing import (
    SUBGROUPS,
    DebiasConfig,
    biased_split,
    subgroup_accuracy,
    train,
)
from genjax.checks import check_choice
from genjax.data import DataConfig, load_data
from genjax.viz import save_grid

TEST_SEED = 10_000  # the test split's subgroup of seed s is drawn with seed TEST_SEED + s
METRICS = ("subgroup", "rest", "overall", "gap")


def check_benchmark(config: Mapping) -> None:
    """One-line errors for the benchmark's own fields, before any data is read."""
    check_choice("subgroup", config["subgroup"], SUBGROUPS)
    if int(config["seeds"]) < 2:
        raise ValueError(
            f"seeds must be at least 2 for an interval over seeds; got {config['seeds']}"
        )
    for name in ("train_fraction", "test_fraction"):
        if not 0.0 < float(config[name]) < 1.0:
            raise ValueError(f"{name} is a share of the split in (0, 1); got {config[name]}")


def interval(values) -> dict[str, float]:
    """Mean and its 95% Student-t interval over seeds."""
    values = np.asarray(values, np.float64)
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    mean = float(values.mean())
    return {"mean": mean, "low": mean - float(half), "high": mean + float(half)}


def benchmark(config: Mapping, cfg: DebiasConfig) -> tuple[dict, np.ndarray]:
    """Every seed, both trainings; returns (the report, seed 0's most up-weighted digits)."""
    data = load_data(DataConfig(variant="gray"))
    train_split, test_split = data.transform(data.train), data.transform(data.test)
    runs, grid = {"baseline": [], "debiased": []}, None
    for seed in range(int(config["seeds"])):
        x, y, members = biased_split(
            np.asarray(train_split["image"]),
            train_split["label"],
            config["train_fraction"],
            config["subgroup"],
            seed,
        )
        xt, yt, mt = biased_split(
            np.asarray(test_split["image"]),
            test_split["label"],
            config["test_fraction"],
            config["subgroup"],
            TEST_SEED + seed,
        )
        for name, debias in (("baseline", False), ("debiased", True)):
            params, p = train(cfg, x, y, jax.random.key(seed), debias)
            result = subgroup_accuracy(cfg, params, xt, yt, mt)
            result["subgroup_sampling_mass"] = float(p[members].sum())
            runs[name].append(result)
            if debias and seed == 0:
                top = np.argsort(-p)[:64]
                grid = framed(x[top], members[top])
                result["subgroup_share_of_top64"] = float(members[top].mean())
    return summarize(runs, config, int(members.sum()), int(mt.sum()), len(mt)), grid


def summarize(
    runs: Mapping[str, list], config: Mapping, train_members: int, test_members: int, test_rows: int
) -> dict:
    """Per-seed results, their intervals, and the paired debiased - baseline change."""
    out = {
        "subgroup": config["subgroup"],
        "seeds": len(runs["baseline"]),
        "train_subgroup_members": train_members,
        "test_subgroup_members": test_members,
        "test_rows": test_rows,
        "runs": runs,
    }
    for name, results in runs.items():
        out[name] = {
            m: interval([r[m] for r in results]) for m in (*METRICS, "subgroup_sampling_mass")
        }
    out["change"] = {
        m: interval([d[m] - b[m] for d, b in zip(runs["debiased"], runs["baseline"], strict=True)])
        for m in METRICS
    }
    return out


def framed(images: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Gray images [N, H, W, 1] as RGB with a one-pixel frame: red for subgroup members,
    white for the rest."""
    rgb = np.repeat(images, 3, axis=-1)
    out = np.ones((len(images), rgb.shape[1] + 2, rgb.shape[2] + 2, 3), np.float32)
    out[members] = np.array([1.0, 0.0, 0.0], np.float32)
    out[:, 1:-1, 1:-1] = rgb
    return out


def markdown(report: Mapping) -> str:
    """The table: each accuracy's mean and 95% interval over seeds, and the paired change."""
    cell = lambda v: f"{v['mean']:.3f} [{v['low']:.3f}, {v['high']:.3f}]"
    lines = [
        f"Debiasing on digits (0-4 against 5-9; subgroup '{report['subgroup']}': "
        f"{report['train_subgroup_members']} training digits, {report['test_subgroup_members']} "
        f"of {report['test_rows']} test digits; {report['seeds']} seeds, mean [95% t interval])\n",
        "| training | subgroup accuracy | rest accuracy | overall | gap (rest - subgroup) | "
        "subgroup's share of the draws |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("baseline", "debiased"):
        r = report[name]
        lines.append(
            f"| {name} | "
            + " | ".join(cell(r[m]) for m in (*METRICS, "subgroup_sampling_mass"))
            + " |"
        )
    c = report["change"]
    lines.append("| change (paired) | " + " | ".join(cell(c[m]) for m in METRICS) + " | |")
    return "\n".join(lines) + "\n"


def write(report: Mapping, grid: np.ndarray, workdir: str) -> str:
    """debias.json, debias.md and upweighted.png in ``workdir``; returns the markdown."""
    with open(os.path.join(workdir, "debias.json"), "w") as f:
        json.dump(report, f, indent=2)
    text = markdown(report)
    with open(os.path.join(workdir, "debias.md"), "w") as f:
        f.write(text)
    title = (
        f"debiasing VAE · the {len(grid)} most up-weighted training digits (seed 0) · "
        "red frame: in the subgroup"
    )
    save_grid(os.path.join(workdir, "upweighted.png"), grid, title, scale=4)
    return text
