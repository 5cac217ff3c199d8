"""Generated data as training data: the Classification Accuracy Score (Ravuri & Vinyals 2019) and
its pieces. A classifier (the suite's feature network architecture, trained as the suite trains
it) learns from a class-conditional model's samples alone and is tested on the real test split;
the same classifier trained on the real train split is the reference. Also the seed-to-seed
spread of sample-quality metrics with class-stratified against random labels."""

from collections.abc import Mapping

import jax
import numpy as np

from genjax.eval.feature_training import accuracy, fit_feature_net
from genjax.eval.features import FEATURE_ARCHS, feature_space_of
from genjax.eval.metrics import extract
from genjax.inference.sampling import class_stratified_labels
from genjax.methods.base import Method

CLASSIFIER_STEPS = 3000  # the suite's feature network schedule (feature_training.py)
LABELINGS = ("stratified", "random")


def draw_labels(labeling: str, num: int, num_classes: int, key: jax.Array) -> np.ndarray:
    """``num`` labels: "stratified" (exactly num / num_classes per class, shuffled) or
    "random" (each uniform over the classes, independently)."""
    if labeling == "stratified":
        return np.asarray(class_stratified_labels(num, num_classes, key))
    if labeling == "random":
        return np.asarray(jax.random.randint(key, (num,), 0, num_classes))
    raise ValueError(f"unknown labeling {labeling!r}; valid: {', '.join(LABELINGS)}")


def conditional_samples(
    method: Method, params, key: jax.Array, labels: np.ndarray, chunk: int = 500
) -> np.ndarray:
    """Images in [0, 1] that ``method`` draws for ``labels`` (in chunks of one compiled size).

    Raises:
      ValueError: for a method that is not class-conditional.
    """
    if method.sample is None or not method.conditional:
        raise ValueError(
            f"method {method.name} is not class-conditional: the classification accuracy score "
            "needs a model that draws images for given labels (cvae, cgan, a conditional "
            "diffusion model)"
        )
    labels = np.asarray(labels)
    out = []
    for i, start in enumerate(range(0, len(labels), chunk)):
        part = labels[start : start + chunk]
        padded = np.resize(part, chunk)  # one shape for every call; the extra rows are dropped
        images = method.sample(params, jax.random.fold_in(key, i), chunk, padded)
        out.append(np.asarray(images, np.float32)[: len(part)])
    return np.concatenate(out)


def train_and_test(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    num_classes: int,
    arch: str = "conv",
    steps: int = CLASSIFIER_STEPS,
    seed: int = 0,
) -> float:
    """Test accuracy of the suite's classifier trained on (train_images, train_labels).

    Args:
      train_images, test_images: float [N, H, W, C] in [0, 1].
      train_labels, test_labels: int [N].
      num_classes: classes of the head.
      arch: a FEATURE_ARCHS name.
      steps, seed: the classifier's schedule length and seed (batch 128, AdamW, shifts of a
        pixel; single-channel images also thresholded or Bernoulli-binarised, as the suite's).

    Returns:
      Top-1 accuracy on the test images.
    """
    space = fit_classifier(train_images, train_labels, num_classes, arch, steps, seed)
    return accuracy(space, test_images, np.asarray(test_labels))


def fit_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    arch: str = "conv",
    steps: int = CLASSIFIER_STEPS,
    seed: int = 0,
):
    """The suite's classifier trained on (images, labels), as a FeatureSpace (``probs``)."""
    net, params = fit_feature_net(
        images, labels, num_classes, arch, steps, seed, binary_augment=images.shape[-1] == 1
    )
    return feature_space_of(net, params, {"dataset": "cas", "arch": arch, "kind": "classifier"})


def check_cas(num_per_class: int, seeds: int, arch: str, steps: int) -> None:
    """One-line errors for the score's settings, before any model is restored."""
    if num_per_class < 1:
        raise ValueError(f"num_per_class must be >= 1 sample per class; got {num_per_class}")
    if seeds < 1:
        raise ValueError(f"seeds must be >= 1; got {seeds}")
    if arch not in FEATURE_ARCHS:
        raise ValueError(f"unknown classifier arch {arch!r}; valid: {', '.join(FEATURE_ARCHS)}")
    if steps < 1:
        raise ValueError(f"classifier steps must be >= 1; got {steps}")


def classification_accuracy_score(
    method: Method,
    params,
    key: jax.Array,
    test: Mapping[str, np.ndarray],
    num_classes: int,
    num_per_class: int,
    seeds: int = 3,
    arch: str = "conv",
    steps: int = CLASSIFIER_STEPS,
) -> list[float]:
    """CAS per seed: seed s draws a fresh class-stratified sample set (``num_per_class`` per
    class, key ``fold_in(key, s)``) and trains the classifier with seed s on it alone.

    Args:
      method, params: a class-conditional method and its (EMA) parameters.
      key: the root of the sample sets.
      test: the real test split as the model sees data, {"image": [N, H, W, C] in [0, 1],
        "label": [N]}.
      num_classes: the data's classes.
      num_per_class, seeds, arch, steps: sample set size per class, seeds, classifier.

    Returns:
      The test accuracy of each seed's classifier.
    """
    check_cas(num_per_class, seeds, arch, steps)
    scores = []
    for s in range(seeds):
        k = jax.random.fold_in(key, s)
        labels = draw_labels("stratified", num_per_class * num_classes, num_classes, k)
        images = conditional_samples(method, params, jax.random.fold_in(k, 1), labels)
        scores.append(
            train_and_test(
                images, labels, test["image"], test["label"], num_classes, arch, steps, s
            )
        )
    return scores


def real_data_score(
    train: Mapping[str, np.ndarray],
    test: Mapping[str, np.ndarray],
    num_classes: int,
    seeds: int = 3,
    arch: str = "conv",
    steps: int = CLASSIFIER_STEPS,
) -> list[float]:
    """The reference: the same classifier trained on the real train split, seed by seed."""
    return [
        train_and_test(
            train["image"],
            train["label"],
            test["image"],
            test["label"],
            num_classes,
            arch,
            steps,
            s,
        )
        for s in range(seeds)
    ]


def labeling_spread(
    method: Method,
    params,
    key: jax.Array,
    judge,
    space,
    num: int,
    num_classes: int,
    seeds: int,
) -> dict[str, dict[str, list[float]]]:
    """Sample-quality metrics of ``seeds`` sample sets per labeling ("stratified", "random"),
    the same noise keys for both, so their seed-to-seed spreads compare.

    Args:
      method, params: a class-conditional method.
      key: root key; seed s uses fold_in(key, s) for both labelings' noise.
      judge: FeatureSet -> metrics (a Suite's ``judge``).
      space: the suite's FeatureSpace.
      num: samples per set (a multiple of num_classes).
      num_classes, seeds: classes and sets per labeling.

    Returns:
      {labeling: {"fd": [per seed], "kid": [...], "class_counts_max_minus_min": [...]}}.
    """
    out = {}
    for labeling in LABELINGS:
        rows = {"fd": [], "kid": [], "class_counts_max_minus_min": []}
        for s in range(seeds):
            k = jax.random.fold_in(key, s)
            labels = draw_labels(labeling, num, num_classes, jax.random.fold_in(k, 2))
            images = conditional_samples(method, params, k, labels)
            result = judge(extract(space, [(images, labels)]))
            counts = np.bincount(labels, minlength=num_classes)
            rows["fd"].append(float(result["fd"]))
            rows["kid"].append(float(result["kid"]))
            rows["class_counts_max_minus_min"].append(int(counts.max() - counts.min()))
        out[labeling] = rows
    return out


__all__ = [
    "CLASSIFIER_STEPS",
    "LABELINGS",
    "check_cas",
    "classification_accuracy_score",
    "conditional_samples",
    "draw_labels",
    "fit_classifier",
    "labeling_spread",
    "real_data_score",
    "train_and_test",
]
