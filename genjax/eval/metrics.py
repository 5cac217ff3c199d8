"""All sample-quality metrics of one sample set against one reference set, in feature space.

Images stream through the feature function chunk by chunk and are not kept; only features
([N, D]) and class probabilities ([N, C]) are, so memory is bounded by the feature sets.
"""

import dataclasses
from collections.abc import Iterable

import numpy as np

from genjax.eval.classifier import conditional_accuracy, inception_score
from genjax.eval.features import FeatureSpace
from genjax.eval.fid import frechet_distance
from genjax.eval.kid import kernel_inception_distance
from genjax.eval.manifold import precision_recall
from genjax.eval.stats import gaussian_stats


@dataclasses.dataclass(frozen=True)
class FeatureSet:
    """Features of a set of images and, where known, class probabilities and labels.

    Attributes:
      features: [N, D] float32.
      probs: [N, C] classifier probabilities, or None.
      labels: [N] labels the images were generated for (or their true labels), or None.
    """

    features: np.ndarray
    probs: np.ndarray | None = None
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return self.features.shape[0]


def extract(
    space: FeatureSpace,
    chunks: Iterable[tuple[np.ndarray, np.ndarray | None]],
    with_probs: bool = True,
) -> FeatureSet:
    """Features of image chunks ([n, H, W, C] in [0, 1], labels or None); images are dropped.

    ``with_probs=False`` skips class probabilities (a reference set needs features only).
    """
    feats, probs, labels = [], [], []
    for images, y in chunks:
        images = np.asarray(images, np.float32)
        f = np.asarray(space.features(images), np.float32)
        feats.append(f)
        if with_probs and space.probs is not None:
            p = space.head(f) if space.head is not None else space.probs(images)
            probs.append(np.asarray(p, np.float32))
        if y is not None and space.label_probs:
            labels.append(np.asarray(y))
    if not feats:
        raise ValueError("no images to extract features from")
    return FeatureSet(
        np.concatenate(feats),
        np.concatenate(probs) if probs else None,
        np.concatenate(labels) if labels else None,
    )


def compare(
    samples: FeatureSet,
    reference: FeatureSet,
    kid_subsets: int = 10,
    pr_k: int = 3,
    seed: int = 0,
    fd_route: str = "eigen",
) -> dict[str, float]:
    """Every metric of ``samples`` against ``reference``.

    Args:
      samples: the set judged (generated images, or a data split for a floor).
      reference: the real images it is judged against.
      kid_subsets: disjoint subsets for KID and its standard error.
      pr_k: neighbourhood size of precision/recall.
      seed: seed of KID's subsets.
      fd_route: matrix square root of the Fréchet distance ("eigen" or "scipy").

    Returns:
      fd, kid, kid_se, precision, recall; inception_score when the space has class
      probabilities, and class_accuracy when samples also carry labels.
    """
    if samples.features.shape[1] != reference.features.shape[1]:
        raise ValueError(
            f"feature dimensions differ: samples {samples.features.shape[1]}, "
            f"reference {reference.features.shape[1]}"
        )
    kid = kernel_inception_distance(samples.features, reference.features, kid_subsets, seed=seed)
    pr = precision_recall(samples.features, reference.features, pr_k)
    out = {
        "fd": frechet_distance(
            gaussian_stats(samples.features), gaussian_stats(reference.features), fd_route
        ),
        "kid": kid.kid,
        "kid_se": kid.se,
        "precision": pr.precision,
        "recall": pr.recall,
    }
    if samples.probs is not None:
        out["inception_score"] = inception_score(samples.probs)
        if samples.labels is not None:
            out["class_accuracy"] = conditional_accuracy(samples.probs, samples.labels)
    return out
