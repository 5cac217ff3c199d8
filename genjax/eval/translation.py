"""Translation quality on the test split, beside the untranslated-input baseline.

Paired (pix2pix, l1): outputs against their targets pixel by pixel — L1, PSNR and SSIM on
[0, 1] images (data range 1) — and as a set, FD/KID/precision/recall in the features of the
target dataset's network. Unpaired (CycleGAN), each direction: label preservation (the target
domain's classifier labels the translated images; scored against the source labels), FD/KID
to the target domain's test images, and the cycle error |F(G(x)) − x| on [0, 1] images.
Every test image is counted once; every result says its features, set sizes and split.
"""

import dataclasses
from collections.abc import Callable

import jax
import numpy as np

from genjax.data import Data, DataConfig
from genjax.eval.config import SuiteConfig
from genjax.eval.feature_training import get_feature_space
from genjax.eval.features import FeatureSpace
from genjax.eval.image_quality import psnr, ssim
from genjax.eval.metrics import FeatureSet, compare, extract
from genjax.methods.base import Method

# Embedded translation tasks -> (input-domain, target-domain) datasets with feature networks.
FEATURE_DATASETS = {
    "photo_colorization": (None, "photos"),
    "photo_edges": (None, "photos"),
    "digits_mnist5k": ("digits_16px", "mnist5k_16px"),
}


def feature_datasets(data: DataConfig) -> tuple[str | None, str | None]:
    """The datasets whose feature networks judge each domain (None: none for this data, e.g.
    a user's folder), after data.direction."""
    a, b = FEATURE_DATASETS.get(data.name, (None, None))
    if data.name.startswith("photo_"):  # the photos' networks see 32 (or 64) pixel patches
        b = {0: "photos", 32: "photos", 64: "photos64"}.get(data.image_size)
    elif data.image_size not in (0, 16):
        a = b = None
    return (b, a) if data.direction == "BtoA" else (a, b)


def domain_rows(data: Data, side: str, model: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The test split's unique images of one side ("input" or "image"): raw, in model space
    (from ``model``, the transformed split) and their labels."""
    test, label = data.test, "input_label" if side == "input" else "label"
    weight = test.get(f"{side}_weight")
    keep = np.ones(len(test[side]), bool) if weight is None else np.asarray(weight) > 0
    rows = {"image": test[side][keep], "model": np.asarray(model[side])[keep]}
    if label in test:
        rows["label"] = np.asarray(test[label])[keep]
    return rows


def _to01(x) -> np.ndarray:
    return np.clip((np.asarray(x, np.float32) + 1.0) / 2.0, 0.0, 1.0)


def _match_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Gray inputs shown to an RGB feature network (or scored against RGB targets) repeat."""
    return np.repeat(x, channels, axis=-1) if x.shape[-1] != channels else x


@dataclasses.dataclass(frozen=True)
class Direction:
    """One direction of a translation test: sources, their targets, how to judge them."""

    name: str
    sources: dict[str, np.ndarray]
    targets: dict[str, np.ndarray]
    reverse: bool
    space: FeatureSpace | None
    reference: FeatureSet | None
    provenance: dict


@dataclasses.dataclass(frozen=True)
class TranslationSuite:
    """The directions judged, the settings of the set metrics, and the baseline results."""

    directions: tuple[Direction, ...]
    paired: bool
    settings: dict
    baseline: dict[str, dict]


def _direction(
    cfg: SuiteConfig, data: Data, model: dict, name: str, dataset: str | None, data_dir: str
) -> Direction:
    source_side, target_side = ("input", "image") if name == "ab" else ("image", "input")
    sources, targets = domain_rows(data, source_side, model), domain_rows(data, target_side, model)
    space = reference = None
    provenance = {"split": "test", "sources": len(sources["image"])}
    if dataset is not None:
        space = get_feature_space(
            dataset, cfg.features, cfg.feature_dir, data_dir, train_if_missing=cfg.train_features
        )
        images = _to01(targets["model"])
        reference = extract(space, [(images, None)], with_probs=False)
        provenance.update(features=space.name, reference=f"{dataset} test ({len(images)} rows)")
        provenance.update({f"feature_{k}": v for k, v in space.meta.items() if "accuracy" in k})
    return Direction(name, sources, targets, name == "ba", space, reference, provenance)


def build_translation_suite(cfg: SuiteConfig, data: Data, data_cfg: DataConfig, seed: int = 0):
    """The directions to judge (paired: input -> target; unpaired: both ways), each with its
    target domain's feature network and reference features, and the baseline of the inputs
    left as they are."""
    paired = data.info.pairing == "paired"
    a, b = feature_datasets(data_cfg)
    model = data.transform(data.test)  # the whole test split in model space, once
    directions = [_direction(cfg, data, model, "ab", b, data_cfg.data_dir)]
    if not paired:
        directions.append(_direction(cfg, data, model, "ba", a, data_cfg.data_dir))
    settings = {"kid_subsets": cfg.kid_subsets, "pr_k": cfg.pr_k, "seed": seed}
    suite = TranslationSuite(tuple(directions), paired, settings, {})
    baseline = {d.name: judge(suite, d, d.sources["model"]) for d in directions}
    for result in baseline.values():
        result["samples"] = "the untranslated inputs"
    return dataclasses.replace(suite, baseline=baseline)


def _batched(fn: Callable, x: np.ndarray, chunk: int) -> np.ndarray:
    """fn over ``x`` in fixed-size chunks (the last padded by repetition), concatenated."""
    out = []
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        pad = np.concatenate([part, np.repeat(part[-1:], chunk - len(part), axis=0)])
        out.append(np.asarray(fn(pad))[: len(part)])
    return np.concatenate(out)


def judge(suite: TranslationSuite, d: Direction, outputs: np.ndarray) -> dict:
    """Model-space ``outputs`` of direction ``d`` against its targets: pixel metrics when
    paired, set metrics (with label preservation as class_accuracy) where features exist."""
    targets = d.targets["model"]
    out01 = _match_channels(_to01(outputs), targets.shape[-1])
    result = {**d.provenance, "direction": d.name}
    if suite.paired:
        t01 = _to01(targets)
        result["l1"] = float(np.mean(np.abs(out01 - t01)))
        result["psnr"] = float(np.mean(psnr(out01, t01, 1.0)))
        result["ssim"] = float(np.mean(ssim(out01, t01, 1.0)))
    if d.space is not None:
        feats = extract(d.space, [(out01, d.sources.get("label"))])
        result.update(compare(feats, d.reference, **suite.settings))
        if "class_accuracy" in result:
            result["label_preservation"] = result.pop("class_accuracy")
    return result


def evaluate_translation(
    suite: TranslationSuite, method: Method, params, key: jax.Array, chunk: int = 256
) -> dict[str, dict]:
    """Each direction's outputs on every test source image, judged; cycle errors when
    unpaired.

    Args:
      suite: from ``build_translation_suite``.
      method: a translation method (``method.translate``).
      params: the evaluated parameters.
      key: the translation noise (pix2pix's dropout).
      chunk: images translated at a time.

    Returns:
      direction name -> results.
    """
    go = jax.jit(method.translate, static_argnums=3)
    results = {}
    for i, d in enumerate(suite.directions):
        k = jax.random.fold_in(key, i)
        outputs = _batched(
            lambda x, r=d.reverse, k=k: go(params, x, k, r), d.sources["model"], chunk
        )
        results[d.name] = judge(suite, d, outputs)
        if not suite.paired:
            back = _batched(lambda x, r=d.reverse, k=k: go(params, x, k, not r), outputs, chunk)
            cycle = np.abs(_to01(back) - _to01(d.sources["model"]))
            results[d.name]["cycle_l1"] = float(np.mean(cycle))
    return results
