"""Train the built-in feature network of a dataset once, and cache it (see features.py)."""

import functools
import os
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from genjax.checks import check_choice
from genjax.data import get_spec, open_source, read_all
from genjax.data.transforms import to_float
from genjax.eval.features import (
    FEATURE_ARCHS,
    FeatureNet,
    FeatureSpace,
    batched,
    cache_path,
    feature_space_of,
    load_feature_space,
    save_feature_net,
)
from genjax.locks import file_lock


class _CodeAutoencoder(nn.Module):
    """FeatureNet as encoder (its features are the codes) and an MLP decoder to pixel logits."""

    arch: str
    image_shape: tuple[int, int, int]

    def setup(self):
        self.encoder = FeatureNet(self.arch, 0)
        self.decoder = nn.Sequential(
            [nn.Dense(256), nn.relu, nn.Dense(int(np.prod(self.image_shape)))]
        )

    def __call__(self, x):
        codes, _ = self.encoder(x)
        return self.decoder(codes).reshape(x.shape)


def _shift(key: jax.Array, x: jax.Array, max_shift: int = 1) -> jax.Array:
    """Translate each image by up to ``max_shift`` pixels each way (zero fill)."""
    h, w = x.shape[1:3]
    padded = jnp.pad(x, ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0)))
    offsets = jax.random.randint(key, (x.shape[0], 2), 0, 2 * max_shift + 1)
    crop = lambda im, o: jax.lax.dynamic_slice(im, (o[0], o[1], 0), (h, w, x.shape[3]))
    return jax.vmap(crop)(padded, offsets)


def _augment(key: jax.Array, x: jax.Array, binarize: bool) -> jax.Array:
    """Shift by up to a pixel; for gray single-channel data also, per image, threshold at 0.5
    or Bernoulli-binarise (a third each), so the features serve gray and binary variants."""
    k_shift, k_mode, k_bern = jax.random.split(key, 3)
    x = _shift(k_shift, x)
    if not binarize:
        return x
    mode = jax.random.randint(k_mode, (x.shape[0], 1, 1, 1), 0, 3)
    thresholded = (x >= 0.5).astype(x.dtype)
    sampled = (jax.random.uniform(k_bern, x.shape) < x).astype(x.dtype)
    return jnp.where(mode == 0, x, jnp.where(mode == 1, thresholded, sampled))


def train_feature_net(
    train: dict[str, np.ndarray],
    levels: int,
    num_classes: int,
    arch: str,
    steps: int,
    seed: int = 0,
    batch_size: int = 128,
) -> tuple[nn.Module, dict]:
    """Fit a FeatureNet classifier (labels) or code autoencoder (num_classes == 0).

    Args:
      train: raw split, {"image": uint8 [N, H, W, C], "label": int [N]}.
      levels: largest raw pixel value.
      num_classes: 0 trains the autoencoder on reconstruction instead of labels.
      arch: a FEATURE_ARCHS name.
      steps, seed, batch_size: AdamW schedule length, seed and batch.

    Returns:
      (net, params) of a FeatureNet (the encoder alone for an autoencoder).
    """
    images = to_float(train["image"], levels)
    labels = train["label"] if num_classes else None
    binary_augment = images.shape[-1] == 1 and levels > 1
    return fit_feature_net(
        images, labels, num_classes, arch, steps, seed, batch_size, binary_augment
    )


def fit_feature_net(
    images: np.ndarray,
    labels: np.ndarray | None,
    num_classes: int,
    arch: str,
    steps: int,
    seed: int = 0,
    batch_size: int = 128,
    binary_augment: bool = False,
) -> tuple[nn.Module, dict]:
    """Fit a FeatureNet on images in [0, 1]: a classifier of ``labels`` (the suite's, and the
    classification accuracy score's), or the code autoencoder when num_classes == 0.

    Args:
      images: float [N, H, W, C] in [0, 1].
      labels: int [N] (ignored for the autoencoder).
      num_classes: classes (0: autoencoder).
      arch: a FEATURE_ARCHS name.
      steps, seed, batch_size: AdamW schedule length, seed and batch (at most N).
      binary_augment: also threshold or Bernoulli-binarise a third of the images each.

    Returns:
      (net, params) of a FeatureNet (the encoder alone for an autoencoder).
    """
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels).astype(np.int32) if num_classes else None
    model = (
        FeatureNet(arch, num_classes) if num_classes else _CodeAutoencoder(arch, images.shape[1:])
    )
    root = jax.random.key(seed)
    params = model.init(jax.random.fold_in(root, 0), jnp.asarray(images[:2]))
    tx = optax.adamw(optax.cosine_decay_schedule(1e-3, steps, 0.05), weight_decay=1e-4)

    def loss_fn(p, x, y):
        if num_classes:
            logits = model.apply(p, x)[1]
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        return optax.sigmoid_binary_cross_entropy(model.apply(p, x), x).sum((1, 2, 3)).mean()

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(p, opt, x, y, key):
        x = _augment(key, x, binary_augment)
        grads = jax.grad(loss_fn)(p, x, y)
        updates, opt = tx.update(grads, opt, p)
        return optax.apply_updates(p, updates), opt

    opt, rng = tx.init(params), np.random.default_rng(seed)
    for i in range(steps):
        idx = rng.choice(len(images), min(batch_size, len(images)), replace=False)
        y = None if labels is None else jnp.asarray(labels[idx])
        params, opt = step(
            params, opt, jnp.asarray(images[idx]), y, jax.random.fold_in(root, i + 1)
        )
    if num_classes:
        return model, params
    return FeatureNet(arch, 0), {"params": params["params"]["encoder"]}


def accuracy(space: FeatureSpace, images: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy of a classifier FeatureSpace on images in [0, 1]."""
    return float((np.argmax(space.probs(images), axis=1) == labels).mean())


def data_definition(dataset: str) -> dict:
    """What a feature network's training data was (JSON): its source, levels and crop/resize;
    a cached network trained on another definition of the dataset is refused."""
    spec = get_spec(dataset)
    crop = None if spec.crop_resize is None else [list(spec.crop_resize[0]), spec.crop_resize[1]]
    return {"source": spec.tfds_name, "levels": spec.levels, "crop_resize": crop}


def get_feature_space(
    dataset: str,
    arch: str = "conv",
    feature_dir: str = "",
    data_dir: str = "",
    retrain: bool = False,
    train_if_missing: bool = True,
    steps: int = 0,
    seed: int = 0,
) -> FeatureSpace:
    """The cached feature network of ``dataset``, trained first if absent (or ``retrain``).

    Args:
      dataset: a genjax dataset name.
      arch: a FEATURE_ARCHS name.
      feature_dir: cache root ("" for $GENJAX_FEATURE_DIR or ~/.cache/genjax/features).
      data_dir: TFDS data dir ("" for the default).
      retrain: train and overwrite even if cached.
      train_if_missing: if False, a missing cache is an error naming the command to run.
      steps: training steps (0: 3000).
      seed: training seed.

    Returns:
      The FeatureSpace; its meta holds the network's test accuracy (classifiers).
    """
    get_spec(dataset)
    check_choice("feature arch", arch, FEATURE_ARCHS)
    path = cache_path(feature_dir, dataset, arch)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with file_lock(path + ".lock"):  # concurrent first uses train it once
        if os.path.isfile(os.path.join(path, "meta.json")) and not retrain:
            space = load_feature_space(path)
            if space.meta.get("data_definition") != data_definition(dataset):
                raise ValueError(
                    f"feature network at {path} was trained on another definition of "
                    f"{dataset} ({space.meta.get('data_definition')}); retrain it with: "
                    f"python -m experiments.evaluate features --dataset={dataset} --arch={arch} "
                    "--retrain"
                )
            return space
        if not train_if_missing:
            raise FileNotFoundError(
                f"no feature network for {dataset}/{arch} in {path}; train it with: "
                f"python -m experiments.evaluate features --dataset={dataset} --arch={arch}"
            )
        return train_and_cache(dataset, arch, path, data_dir, steps or 3000, seed)


def train_and_cache(
    dataset: str, arch: str, path: str, data_dir: str, steps: int, seed: int
) -> FeatureSpace:
    """Train ``dataset``'s feature network, record where it came from (and a classifier's
    test accuracy, on gray and on binarized test images), and cache it at ``path``."""
    spec = get_spec(dataset)
    splits = {
        s: read_all(open_source(dataset, s, data_dir or None), spec) for s in ("train", "test")
    }
    t0 = time.perf_counter()
    net, params = train_feature_net(
        splits["train"], spec.levels, spec.num_classes, arch, steps, seed
    )
    meta = {
        "dataset": dataset,
        "data_definition": data_definition(dataset),
        "arch": arch,
        "arch_spec": FEATURE_ARCHS[arch],
        "kind": "classifier" if spec.num_classes else "autoencoder",
        "num_classes": spec.num_classes,
        "image_shape": list(spec.output_shape),
        "feature_dim": FEATURE_ARCHS[arch]["feature_dim"],
        "steps": steps,
        "seed": seed,
        "train_rows": int(len(splits["train"]["image"])),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    space = feature_space_of(net, params, meta)
    if spec.num_classes:
        test_images = to_float(splits["test"]["image"], spec.levels)
        meta["test_accuracy"] = accuracy(space, test_images, splits["test"]["label"])
        binary = (test_images >= 0.5).astype(np.float32)
        meta["test_accuracy_binarized"] = accuracy(space, binary, splits["test"]["label"])
    save_feature_net(path, params, meta)
    return load_feature_space(path)


__all__ = ["accuracy", "batched", "fit_feature_net", "get_feature_space", "train_feature_net"]
