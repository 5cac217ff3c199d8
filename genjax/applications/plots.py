"""ROC curves of outlier scores as a PNG (matplotlib, imported when called)."""

from collections.abc import Mapping

import numpy as np

from genjax.applications.detection import auroc, roc_curve


def roc_png(curves: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]], path: str) -> None:
    """One panel per condition (a corruption, a held-out class, ...), one curve per score.

    Args:
      curves: condition -> score name -> (inlier scores, outlier scores).
      path: the PNG written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax, (condition, scores) in zip(axes.flat, curves.items(), strict=False):
        for name, (inliers, outliers) in scores.items():
            fpr, tpr, _ = roc_curve(inliers, outliers)
            ax.plot(fpr, tpr, label=f"{name} ({auroc(inliers, outliers):.3f})")
        ax.plot([0, 1], [0, 1], color="0.7", linestyle=":")
        ax.set(title=condition, xlabel="false positive rate", ylabel="true positive rate")
        ax.legend(fontsize=7, loc="lower right")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
