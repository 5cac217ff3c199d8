"""Detection metrics of outlier scores (higher score: more anomalous; outliers are the
positives): the ROC curve, AUROC, AUPRC (average precision) and the FPR at 95% TPR, in NumPy,
equal to scikit-learn's ``roc_curve``, ``roc_auc_score`` and ``average_precision_score``
(ties included: tied scores form one threshold)."""

import numpy as np


def _scores_and_labels(inliers, outliers) -> tuple[np.ndarray, np.ndarray]:
    inliers = np.asarray(inliers, np.float64).reshape(-1)
    outliers = np.asarray(outliers, np.float64).reshape(-1)
    if not len(inliers) or not len(outliers):
        raise ValueError(
            f"detection needs inliers and outliers; got {len(inliers)} inlier and "
            f"{len(outliers)} outlier scores"
        )
    scores = np.concatenate([inliers, outliers])
    if not np.all(np.isfinite(scores)):
        raise ValueError("outlier scores must be finite; some are NaN or infinite")
    return scores, np.concatenate([np.zeros(len(inliers)), np.ones(len(outliers))])


def roc_curve(inliers, outliers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve over every distinct threshold, from (0, 0) up.

    Args:
      inliers, outliers: scores [N], [M]; a score flags an input when it is >= the threshold.

    Returns:
      (fpr, tpr, thresholds), each of length (distinct scores + 1); thresholds[0] is +inf.
    """
    scores, labels = _scores_and_labels(inliers, outliers)
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # end of each tie group
    tp, fp = np.cumsum(labels)[last], np.cumsum(1.0 - labels)[last]
    fpr = np.r_[0.0, fp / fp[-1]]
    tpr = np.r_[0.0, tp / tp[-1]]
    return fpr, tpr, np.r_[np.inf, scores[last]]


def auroc(inliers, outliers) -> float:
    """Area under the ROC curve: P(outlier's score > inlier's), ties counted half."""
    fpr, tpr, _ = roc_curve(inliers, outliers)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def auprc(inliers, outliers) -> float:
    """Average precision (outliers positive): the sum over thresholds of the recall gained
    times the precision there (scikit-learn's step-wise AP, not a trapezoid)."""
    scores, labels = _scores_and_labels(inliers, outliers)
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tp, flagged = np.cumsum(labels)[last], last + 1.0
    recall_gain = np.diff(np.r_[0.0, tp]) / tp[-1]
    return float(np.sum(recall_gain * tp / flagged))


def fpr_at_tpr(inliers, outliers, tpr: float = 0.95) -> float:
    """The false positive rate at the first threshold whose true positive rate reaches
    ``tpr`` (the lowest FPR with TPR >= tpr)."""
    if not 0.0 < tpr <= 1.0:
        raise ValueError(f"tpr is a rate in (0, 1]; got {tpr}")
    fprs, tprs, _ = roc_curve(inliers, outliers)
    return float(fprs[np.argmax(tprs >= tpr - 1e-12)])


def detection_metrics(inliers, outliers) -> dict[str, float]:
    """AUROC, AUPRC and FPR at 95% TPR of one score, and the counts they were read from."""
    return {
        "auroc": auroc(inliers, outliers),
        "auprc": auprc(inliers, outliers),
        "fpr95": fpr_at_tpr(inliers, outliers, 0.95),
        "inliers": int(np.size(inliers)),
        "outliers": int(np.size(outliers)),
    }
