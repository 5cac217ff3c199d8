"""Scores read off a feature classifier's class probabilities: inception-style score and the
accuracy of class-conditional samples."""

import numpy as np


def inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """exp(E_x KL(p(y|x) || p(y))) with p(y) the mean of p(y|x) over the set.

    Args:
      probs: [N, C] class probabilities of each sample (rows sum to 1).
      eps: floor inside the logarithms.

    Returns:
      The score, between 1 (all rows equal) and C (confident and balanced).
    """
    p = np.asarray(probs, np.float64)
    marginal = p.mean(axis=0)
    kl = (p * (np.log(p + eps) - np.log(marginal + eps)[None])).sum(axis=1)
    return float(np.exp(kl.mean()))


def conditional_accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose classifier argmax equals the label they were generated for."""
    return float((np.argmax(probs, axis=1) == np.asarray(labels)).mean())
