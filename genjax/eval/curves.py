"""``curves.png``: a run's logged metrics against the step, read back from metrics.jsonl."""

import collections
import json
import os

import numpy as np

# Logged for diagnosis, not progress: drawn only when a panel is left.
DIAGNOSTICS = ("grad_norm", "param_norm", "update_norm")
MAX_PANELS = 12


def read_curves(path: str) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """metrics.jsonl as metric name -> split -> (steps, values), the numeric fields of lines
    with a step and a split; a series needs two points to be a curve."""
    series = collections.defaultdict(lambda: collections.defaultdict(list))
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            step, split = record.get("step"), record.get("split")
            if step is None or split is None:
                continue
            for name, value in record.items():
                if name not in ("step", "split") and isinstance(value, int | float):
                    series[name][split].append((step, float(value)))
    out = {}
    for name, splits in series.items():
        kept = {s: np.asarray(sorted(points)).T for s, points in splits.items() if len(points) > 1}
        if kept:
            out[name] = {s: (xy[0], xy[1]) for s, xy in kept.items()}
    return out


def panel_order(curves: dict) -> list[str]:
    """Which metrics get a panel, at most MAX_PANELS: those that change (a constant such as a
    reference line or a sample count is left out), the loss first, then metrics logged on
    several splits (train beside test), then the rest; standard errors and the gradient and
    parameter norms last."""
    moving = [n for n in curves if any(np.ptp(v) > 0 for _, v in curves[n].values())]

    def rank(name: str) -> tuple:
        late = name in DIAGNOSTICS or name.endswith("_se")
        return (name != "loss", late, -len(curves[name]), name)

    return sorted(moving, key=rank)[:MAX_PANELS]


def curves_png(metrics_path: str, out_path: str, title: str) -> bool:
    """Plot each metric of ``metrics_path`` against the step, one panel per metric and one
    line per split, under ``title``; False (nothing written) when no metric has two points.
    """
    curves = read_curves(metrics_path) if os.path.exists(metrics_path) else {}
    names = panel_order(curves)
    if not names:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(len(names), 4)
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        for split, (steps, values) in sorted(curves[name].items()):
            ax.plot(steps, values, marker="." if len(steps) < 20 else None, label=split)
        ax.set(title=name, xlabel="step")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_path, dpi=80)
    plt.close(fig)
    return True
