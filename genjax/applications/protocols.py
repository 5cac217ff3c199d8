"""The outlier-detection protocols, over runs trained (or found) in a workdir:

- corruption: the test split against its copies with 5/10/20% of pixels flipped (binary data)
  or Gaussian noise of σ 0.05/0.10/0.20 of the pixel range (gray data);
- heldout: one run per class trained without it; the test split scored, that class the
  outliers; every class in turn;
- shift: digits test against mnist5k's test digits made the digits' way (8x8, 17 levels),
  the setting where raw likelihoods are known to mislead.

Every score of the method is read, and for scores in nats also the likelihood ratio against a
background run (the same config trained on perturbed inputs, Ren et al. 2019) and the
typicality test (Nalisnick et al. 2019, groups of one, entropy from 500 training examples).
"""

import copy
import json
import os
from collections.abc import Mapping

import jax
import ml_collections
import numpy as np

from genjax.applications.corruptions import corrupt, corruption_name, mnist_as_digits
from genjax.applications.detection import detection_metrics
from genjax.applications.outliers import likelihood_ratio, score_arrays, typicality
from genjax.data import DataConfig, describe, load_data
from genjax.data.datasets import get_spec
from genjax.methods import build_method
from genjax.run.experiment import train_and_evaluate
from genjax.run.restore import Trained, load_trained
from genjax.run.settings import read_settings

_ABSENT = object()
PROTOCOLS = ("corruption", "heldout", "shift")
STRENGTHS = (0.05, 0.10, 0.20)
BACKGROUND_PERTURB = 0.2  # Ren et al.'s μ for their MNIST-scale experiments lies in [0.1, 0.2]
REFERENCE_ROWS = 500
Scores = dict[str, np.ndarray]


def check_protocol(protocol: str, config: Mapping) -> None:
    """One-line errors, before any data is read or anything trained, for a protocol the config
    cannot run or a method without outlier scores."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; valid: {', '.join(PROTOCOLS)}")
    data = DataConfig.read(config["data"])
    if data.is_translation:
        raise ValueError(
            f"outlier protocols score generative models, not translation ({data.name})"
        )
    method = build_method(config, describe(data))
    if not method.scores:
        raise ValueError(f"method {method.name!r} gives no outlier score: pick another family")
    if protocol == "heldout" and not get_spec(data.name).num_classes:
        raise ValueError(
            f"the heldout protocol needs labels and {data.name} has none: use --protocol=corruption"
        )
    if protocol == "shift" and data.name != "digits":
        raise ValueError(
            f"the shift protocol tests digits against MNIST made into digits: set "
            f"data.name='digits' (got {data.name!r})"
        )


def _flat(tree: Mapping, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def ensure_run(config: Mapping, workdir: str) -> Trained:
    """The run of ``config`` in ``workdir``: trained unless its summary.json is there; a
    finished run of another config is a one-line error (it is never overwritten)."""
    if not os.path.exists(os.path.join(workdir, "summary.json")):
        train_and_evaluate(config, workdir)
        return load_trained(workdir)
    with open(os.path.join(workdir, "config.json")) as f:
        differ = config_differences(json.load(f), config)
    if differ:
        raise ValueError(
            f"{workdir} holds a finished run of another config (differs in "
            f"{', '.join(differ[:4])}): pass another --workdir, or move that run away"
        )
    return load_trained(workdir)


def variant(config, **data_fields):
    """A copy of ``config`` with data fields replaced (held-out class, perturbation)."""
    return overridden(config, {f"data.{name}": value for name, value in data_fields.items()})


def overridden(config, overrides: Mapping[str, object]):
    """A copy of ``config`` with ``{"section.field": value}`` replaced."""
    out = copy.deepcopy(config)
    with out.unlocked():
        for path, value in overrides.items():
            *sections, field = path.split(".")
            node = out
            for section in sections:
                node = node[section]
            node[field] = value
    return out


def config_differences(saved_tree: Mapping, config: Mapping) -> list[str]:
    """Sorted dotted keys where a saved run's config.json and ``config`` differ; a spine field
    that the saved config lacks (added to genjax after the run) counts as equal when ``config``
    holds its default, so older runs are still found."""
    saved = _flat(saved_tree)
    wanted = _flat(
        json.loads(
            json.dumps(config.to_dict() if hasattr(config, "to_dict") else config, default=str)
        )
    )
    return sorted(
        k
        for k in saved.keys() | wanted.keys()
        if k != "train.progress"
        and saved.get(k) != wanted.get(k)
        and not (k not in saved and _read_default(saved_tree, k) == wanted[k])
    )


def _read_default(saved_tree: Mapping, key: str) -> object:
    """The value a lenient read of a saved config gives a spine field it lacks (a field added
    after the run was saved reads as its default), or a marker equal to nothing."""
    node = read_settings(ml_collections.ConfigDict(saved_tree), strict=False)
    for part in key.split("."):
        node = getattr(node, part, _ABSENT)
    return node


def ensure_background(config: Mapping, run: Trained, workdir: str) -> Trained | None:
    """The background run (``workdir/background``: the config trained on inputs perturbed
    with probability ``BACKGROUND_PERTURB``), or None when the method has no score in nats."""
    if not any(s.nats for s in run.method.scores.values()):
        return None
    perturbed = variant(config, perturb=BACKGROUND_PERTURB)
    return ensure_run(perturbed, os.path.join(workdir, "background"))


def all_scores(run: Trained, images: np.ndarray, labels, key: jax.Array) -> Scores:
    """Every score of the run's method on model-space ``images``."""
    params = run.state.eval_params
    return {
        name: score_arrays(run.method, params, name, images, jax.random.fold_in(key, i), labels)
        for i, name in enumerate(sorted(run.method.scores))
    }


def _test_split(run: Trained) -> tuple[np.ndarray, np.ndarray | None]:
    test = run.data.transform(run.data.test)
    return np.asarray(test["image"]), test.get("label")


def _reference(run: Trained) -> tuple[np.ndarray, np.ndarray | None]:
    train = run.data.transform({k: v[:REFERENCE_ROWS] for k, v in run.data.train.items()})
    return np.asarray(train["image"]), train.get("label")


def compare(inliers: Scores, outliers: Scores) -> dict:
    """Detection metrics of every score the two sets share."""
    return {name: detection_metrics(inliers[name], outliers[name]) for name in inliers}


class Scorer:
    """A run and, optionally, its background run: scores inputs with every score of the
    method and, for each score in nats, its typicality statistic (``typicality:<name>``)
    and, with the background, its likelihood ratio (``ratio:<name>``)."""

    def __init__(self, run: Trained, background: Trained | None, key: jax.Array):
        self.run, self.background, self.key = run, background, key
        self.nats = sorted(n for n, s in run.method.scores.items() if s.nats)
        self.ref = all_scores(run, *_reference(run), jax.random.fold_in(key, 1))

    def __call__(self, images: np.ndarray, labels, salt: int) -> Scores:
        key = jax.random.fold_in(self.key, salt)
        scores = all_scores(self.run, images, labels, key)
        theirs = None
        if self.background is not None:
            theirs = all_scores(self.background, images, labels, jax.random.fold_in(key, 1))
        for name in self.nats:
            if theirs is not None:
                scores[f"ratio:{name}"] = likelihood_ratio(scores[name], theirs[name])
            scores[f"typicality:{name}"] = typicality(scores[name], self.ref[name])
        return scores


def corruption(scorer: Scorer, seed: int) -> tuple[dict, dict]:
    """Test split against its corrupted copies at each strength.

    Returns:
      (results by corruption name, {corruption name: (inlier scores, outlier scores)}).
    """
    images, labels = _test_split(scorer.run)
    info = scorer.run.data.info
    clean = scorer(images, labels, 0)
    results, raw = {}, {}
    for i, strength in enumerate(STRENGTHS):
        bad = corrupt(images, strength, info, np.random.default_rng([seed, i]))
        scored = scorer(bad, labels, i + 1)
        name = corruption_name(strength, info)
        results[name], raw[name] = compare(clean, scored), (clean, scored)
    return results, raw


def shift(scorer: Scorer) -> tuple[dict, dict]:
    """Digits test against mnist5k's 1000 test digits made into digits."""
    images, labels = _test_split(scorer.run)
    mnist = load_data(DataConfig(name="mnist5k", data_dir=scorer.run.settings.data.data_dir))
    shifted = scorer.run.data.transform(
        {"image": mnist_as_digits(mnist.test["image"]), "label": mnist.test["label"]}
    )
    inliers = scorer(images, labels, 0)
    outliers = scorer(np.asarray(shifted["image"]), shifted["label"], 1)
    name = "mnist5k as digits"
    return {name: compare(inliers, outliers)}, {name: (inliers, outliers)}


def score_inputs(protocol: str, scorer: Scorer, seed: int) -> tuple[dict, dict]:
    """The corruption or shift protocol (the two that score one run and its background)."""
    return corruption(scorer, seed) if protocol == "corruption" else shift(scorer)


def heldout(config, workdir: str, classes, key: jax.Array) -> tuple[dict, dict]:
    """One run per class trained without it (``workdir/without_<c>``), the full test split
    scored (with the typicality statistic, no background run), that class's test digits the
    outliers.

    Returns:
      ({"class c": results} plus "mean" and "spread" over classes, raw scores per class).
    """
    results, raw = {}, {}
    for c in classes:
        run = ensure_run(
            variant(config, exclude_label=int(c)), os.path.join(workdir, f"without_{c}")
        )
        images, labels = _test_split(run)
        scores = Scorer(run, None, jax.random.fold_in(key, int(c)))(images, labels, 0)
        held = labels == c
        name = f"class {c}"
        raw[name] = (
            {n: s[~held] for n, s in scores.items()},
            {n: s[held] for n, s in scores.items()},
        )
        results[name] = compare(*raw[name])
    return {**results, **summarize(results)}, raw


def summarize(per_class: Mapping[str, dict]) -> dict:
    """Mean and standard deviation (over classes, ddof 1) of each score's metrics."""
    names = next(iter(per_class.values())).keys()
    mean, spread = {}, {}
    for name in names:
        values = {m: [r[name][m] for r in per_class.values()] for m in ("auroc", "auprc", "fpr95")}
        mean[name] = {m: float(np.mean(v)) for m, v in values.items()}
        spread[name] = {
            m: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for m, v in values.items()
        }
    return {"mean": mean, "spread": spread}


def write_json(results: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(results, f, indent=2)


def check_classes(classes, config: Mapping) -> tuple[int, ...]:
    """The held-out classes as ints (empty: every class), or a one-line error for a class the
    dataset does not have."""
    data = DataConfig.read(config["data"])
    count = get_spec(data.name).num_classes
    try:
        chosen = tuple(int(c) for c in classes) or tuple(range(count))
    except ValueError as err:
        raise ValueError(f"--classes takes class numbers, e.g. 0,3; got {classes}") from err
    bad = [c for c in chosen if not 0 <= c < count]
    if bad:
        raise ValueError(
            f"held-out class {bad[0]} does not exist in {data.name} (labels 0..{count - 1}): "
            "pick classes in that range"
        )
    return chosen
