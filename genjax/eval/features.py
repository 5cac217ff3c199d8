"""Feature spaces for sample-quality metrics.

A ``FeatureSpace`` is any ``features(images) -> [N, D]`` callable (plus, for a classifier,
``probs(images) -> [N, C]``); metrics never look inside it, so a user with Inception weights
passes their own. The built-in one is a small network trained on the dataset itself (a
classifier where there are labels, an autoencoder's codes where there are none), trained once and
cached on disk under ``<feature_dir>/<dataset>-<arch>/``, so every method is measured with the
same features.
"""

import dataclasses
import json
import os
from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from genjax.models.layers import MLP, ConvTrunk

# Architectures by name. The cache key is (dataset, arch); a changed entry invalidates caches.
FEATURE_ARCHS: dict[str, dict] = {
    "mlp": {"hidden": (256,), "conv_features": (), "feature_dim": 64},
    "conv": {"hidden": (), "conv_features": (32, 64), "feature_dim": 128},
}


@dataclasses.dataclass(frozen=True)
class FeatureSpace:
    """Where metrics compare images.

    Attributes:
      name: what the features are, stated in every result.
      features: images [N, H, W, C] in [0, 1] -> features [N, D].
      probs: images -> class probabilities [N, C], or None (no inception score or accuracy).
      meta: provenance recorded with results (e.g. the classifier's own test accuracy).
      head: features -> the same probabilities as ``probs`` (the suite then runs the network
        once per image), or None.
      label_probs: ``probs`` are over the dataset's own labels, so a conditional model's class
        accuracy is scored (False for ImageNet's classes: inception score only).
    """

    name: str
    features: Callable[[np.ndarray], np.ndarray]
    probs: Callable[[np.ndarray], np.ndarray] | None = None
    meta: dict = dataclasses.field(default_factory=dict)
    label_probs: bool = True
    head: Callable[[np.ndarray], np.ndarray] | None = None


class FeatureNet(nn.Module):
    """Trunk -> ReLU feature layer (the features) -> head (class logits, or a decoder's input).

    Attributes:
      arch: a FEATURE_ARCHS name.
      num_outputs: head width (number of classes; 0 for no head).
    """

    arch: str
    num_outputs: int

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array | None]:
        spec = FEATURE_ARCHS[self.arch]
        h = x * 2.0 - 1.0
        h = ConvTrunk(spec["conv_features"])(h) if spec["conv_features"] else h.reshape(len(x), -1)
        if spec["hidden"]:
            h = nn.relu(MLP(spec["hidden"])(h))
        feats = nn.relu(nn.Dense(spec["feature_dim"])(h))
        logits = nn.Dense(self.num_outputs)(feats) if self.num_outputs else None
        return feats, logits


def batched(fn: Callable[[jax.Array], jax.Array], images: np.ndarray, batch: int = 500):
    """Apply a jitted ``fn`` in fixed-size batches (the last one padded): one compilation."""
    n, outs = images.shape[0], []
    for start in range(0, n, batch):
        chunk = images[start : start + batch]
        pad = batch - chunk.shape[0]  # always the same shape: one compilation for any n
        if pad:
            chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), chunk.dtype)])
        outs.append(np.asarray(fn(jnp.asarray(chunk)))[: chunk.shape[0] - pad])
    return np.concatenate(outs)


def default_feature_dir() -> str:
    """$GENJAX_FEATURE_DIR, else ~/.cache/genjax/features."""
    return os.environ.get("GENJAX_FEATURE_DIR") or os.path.expanduser("~/.cache/genjax/features")


def cache_path(feature_dir: str, dataset: str, arch: str) -> str:
    return os.path.join(feature_dir or default_feature_dir(), f"{dataset}-{arch}")


def save_feature_net(path: str, params, meta: dict) -> None:
    """Write params (msgpack) then meta.json; the meta file marks a complete cache entry."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "params.msgpack"), "wb") as f:
        f.write(serialization.to_bytes(params))
    with open(os.path.join(path, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)


def load_feature_space(path: str) -> FeatureSpace:
    """The FeatureSpace cached at ``path`` (written by ``save_feature_net``)."""
    meta_file = os.path.join(path, "meta.json")
    if not os.path.isfile(meta_file):
        raise FileNotFoundError(f"no feature network cached at {path}")
    with open(meta_file) as f:
        meta = json.load(f)
    arch = meta["arch"]
    if arch not in FEATURE_ARCHS or meta["arch_spec"] != _jsonable(FEATURE_ARCHS[arch]):
        raise ValueError(
            f"feature network at {path} was built with another definition of arch {arch!r}; "
            "retrain it with: python -m experiments.evaluate features --retrain ..."
        )
    net = FeatureNet(arch, meta["num_classes"])
    example = jnp.zeros((1, *meta["image_shape"]), jnp.float32)
    with open(os.path.join(path, "params.msgpack"), "rb") as f:
        params = serialization.from_bytes(net.init(jax.random.key(0), example), f.read())
    return feature_space_of(net, params, meta)


def feature_space_of(net: FeatureNet, params, meta: dict) -> FeatureSpace:
    """Wrap a trained FeatureNet as a FeatureSpace (probs only for a classifier)."""
    feats = jax.jit(lambda x: net.apply(params, x)[0])
    probs_fn = None
    if meta["kind"] == "classifier":
        probs = jax.jit(lambda x: jax.nn.softmax(net.apply(params, x)[1]))
        probs_fn = lambda images: batched(probs, images)
    name = f"{meta['dataset']}-{meta['arch']} {meta['kind']} (trained on its train split)"
    return FeatureSpace(name, lambda images: batched(feats, images), probs_fn, meta)


def _jsonable(spec: dict) -> dict:
    return json.loads(json.dumps(spec))
