"""The Inception-v3 network of the standard FID implementations, in Flax.

This is the network of pytorch-fid (``pytorch_fid.inception.fid_inception_v3``), which is
TensorFlow's 2015 Inception graph used by the original FID code (TTUR) and whose weights file
``pt_inception-2015-12-05-6726825d.pth`` pytorch-fid publishes. It differs from
torchvision's Inception-v3 in four places, kept here: 1008 classes, average pools that do not
count padding (``Mixed_5*``, ``Mixed_6b-e``, ``Mixed_7b``) and a max pool in ``Mixed_7c``'s pool
branch. Features are the 2,048-dimensional final average pool ("pool3"), computed as
pytorch-fid does: images in [0, 1] resized bilinearly (half-pixel centres, no antialiasing) to
299x299, scaled to [-1, 1]; gray images are repeated to three channels, as pytorch-fid's loader
converts them to RGB.

Submodule names are the PyTorch ones, so a state dict maps onto the parameters key by key
(``params_from_state_dict``). Weights are never downloaded: the user passes the file's path.
"""

import hashlib
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from genjax.eval.config import INCEPTION_FILE as WEIGHTS_FILE
from genjax.eval.features import FeatureSpace, batched
from genjax.eval.torch_file import load_state_dict

WEIGHTS_URL = (
    f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{WEIGHTS_FILE}"
)
RESOLUTION = 299
FEATURE_DIM = 2048
NUM_CLASSES = 1008
BN_EPSILON = 1e-3  # torchvision's BasicConv2d


class BasicConv(nn.Module):
    """Convolution without bias, batch norm (running statistics), ReLU.

    Attributes:
      features: output channels.
      kernel: (height, width).
      strides: (height, width).
      padding: zero padding (height, width) on each side.
    """

    features: int
    kernel: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        pad = [(p, p) for p in self.padding]
        x = nn.Conv(self.features, self.kernel, self.strides, pad, use_bias=False, name="conv")(x)
        x = nn.BatchNorm(use_running_average=True, epsilon=BN_EPSILON, name="bn")(x)
        return nn.relu(x)


def avg_pool_3x3(x: jax.Array) -> jax.Array:
    """3x3 average, stride 1, padding 1, padding not counted (pytorch-fid's patched pools)."""
    return nn.avg_pool(x, (3, 3), (1, 1), ((1, 1), (1, 1)), count_include_pad=False)


def max_pool_3x3(x: jax.Array, stride: int) -> jax.Array:
    """3x3 max pool: stride 2 without padding (reductions), or stride 1 with padding 1."""
    pad = "VALID" if stride == 2 else ((1, 1), (1, 1))
    return nn.max_pool(x, (3, 3), (stride, stride), pad)


class InceptionA(nn.Module):
    """Mixed_5b-d: 1x1, 5x5, double 3x3 and pooled branches."""

    pool_features: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b1 = BasicConv(64, (1, 1), name="branch1x1")(x)
        b5 = BasicConv(48, (1, 1), name="branch5x5_1")(x)
        b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
        b3 = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
        b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
        b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
        bp = BasicConv(self.pool_features, (1, 1), name="branch_pool")(avg_pool_3x3(x))
        return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
    """Mixed_6a: grid reduction 35 -> 17."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b3 = BasicConv(384, (3, 3), (2, 2), name="branch3x3")(x)
        bd = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
        bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
        bd = BasicConv(96, (3, 3), (2, 2), name="branch3x3dbl_3")(bd)
        return jnp.concatenate([b3, bd, max_pool_3x3(x, 2)], axis=-1)


class InceptionC(nn.Module):
    """Mixed_6b-e: factorised 7x7 branches with ``c7`` inner channels."""

    c7: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        row, col = dict(kernel=(1, 7), padding=(0, 3)), dict(kernel=(7, 1), padding=(3, 0))
        b1 = BasicConv(192, (1, 1), name="branch1x1")(x)
        b7 = BasicConv(self.c7, (1, 1), name="branch7x7_1")(x)
        b7 = BasicConv(self.c7, **row, name="branch7x7_2")(b7)
        b7 = BasicConv(192, **col, name="branch7x7_3")(b7)
        bd = BasicConv(self.c7, (1, 1), name="branch7x7dbl_1")(x)
        bd = BasicConv(self.c7, **col, name="branch7x7dbl_2")(bd)
        bd = BasicConv(self.c7, **row, name="branch7x7dbl_3")(bd)
        bd = BasicConv(self.c7, **col, name="branch7x7dbl_4")(bd)
        bd = BasicConv(192, **row, name="branch7x7dbl_5")(bd)
        bp = BasicConv(192, (1, 1), name="branch_pool")(avg_pool_3x3(x))
        return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
    """Mixed_7a: grid reduction 17 -> 8."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b3 = BasicConv(192, (1, 1), name="branch3x3_1")(x)
        b3 = BasicConv(320, (3, 3), (2, 2), name="branch3x3_2")(b3)
        b7 = BasicConv(192, (1, 1), name="branch7x7x3_1")(x)
        b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
        b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
        b7 = BasicConv(192, (3, 3), (2, 2), name="branch7x7x3_4")(b7)
        return jnp.concatenate([b3, b7, max_pool_3x3(x, 2)], axis=-1)


class InceptionE(nn.Module):
    """Mixed_7b (average pool branch) and Mixed_7c (``max_pool``: the FID graph's max pool)."""

    max_pool: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        row, col = dict(kernel=(1, 3), padding=(0, 1)), dict(kernel=(3, 1), padding=(1, 0))
        b1 = BasicConv(320, (1, 1), name="branch1x1")(x)
        b3 = BasicConv(384, (1, 1), name="branch3x3_1")(x)
        b3 = jnp.concatenate(
            [
                BasicConv(384, **row, name="branch3x3_2a")(b3),
                BasicConv(384, **col, name="branch3x3_2b")(b3),
            ],
            axis=-1,
        )
        bd = BasicConv(448, (1, 1), name="branch3x3dbl_1")(x)
        bd = BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
        bd = jnp.concatenate(
            [
                BasicConv(384, **row, name="branch3x3dbl_3a")(bd),
                BasicConv(384, **col, name="branch3x3dbl_3b")(bd),
            ],
            axis=-1,
        )
        pooled = max_pool_3x3(x, 1) if self.max_pool else avg_pool_3x3(x)
        bp = BasicConv(192, (1, 1), name="branch_pool")(pooled)
        return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class FIDInception(nn.Module):
    """pytorch-fid's FID Inception-v3 up to the final average pool, and its 1008-way ``fc``.

    Returns (pool3 features [N, 2048], logits without bias [N, 1008], logits [N, 1008]); the
    original inception-score code used pool3 times fc's weights, without the bias.
    """

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        x = BasicConv(32, (3, 3), (2, 2), name="Conv2d_1a_3x3")(x)
        x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3")(x)
        x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
        x = max_pool_3x3(x, 2)
        x = BasicConv(80, (1, 1), name="Conv2d_3b_1x1")(x)
        x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3")(x)
        x = max_pool_3x3(x, 2)
        x = InceptionA(32, name="Mixed_5b")(x)
        x = InceptionA(64, name="Mixed_5c")(x)
        x = InceptionA(64, name="Mixed_5d")(x)
        x = InceptionB(name="Mixed_6a")(x)
        for name, c7 in (
            ("Mixed_6b", 128),
            ("Mixed_6c", 160),
            ("Mixed_6d", 160),
            ("Mixed_6e", 192),
        ):
            x = InceptionC(c7, name=name)(x)
        x = InceptionD(name="Mixed_7a")(x)
        x = InceptionE(name="Mixed_7b")(x)
        x = InceptionE(max_pool=True, name="Mixed_7c")(x)
        pool = jnp.mean(x, axis=(1, 2))
        fc = nn.Dense(NUM_CLASSES, name="fc")
        logits = fc(pool)
        unbiased = pool @ fc.variables["params"]["kernel"]
        return pool, unbiased, logits


def preprocess(images: jax.Array, resize: bool = True) -> jax.Array:
    """Images [N, H, W, 1 or 3] in [0, 1] -> the network's input, as pytorch-fid prepares it.

    Args:
      images: float images in [0, 1]; one channel is repeated to three.
      resize: resize to 299x299 (bilinear, half-pixel centres, no antialiasing, which is
        ``F.interpolate(mode="bilinear", align_corners=False)``).

    Returns:
      [N, 299, 299, 3] (or the input size when not resizing) in [-1, 1].
    """
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"Inception features need images [N, H, W, 1 or 3], got shape {images.shape}"
        )
    x = images.astype(jnp.float32)
    if x.shape[-1] == 1:
        x = jnp.repeat(x, 3, axis=-1)
    if resize:
        shape = (x.shape[0], RESOLUTION, RESOLUTION, 3)
        x = jax.image.resize(x, shape, "linear", antialias=False)
    return 2.0 * x - 1.0


def params_from_state_dict(state: dict[str, np.ndarray]) -> dict:
    """Flax variables ({"params", "batch_stats"}) from pytorch-fid's state dict.

    Args:
      state: name -> array, as in ``pt_inception-2015-12-05-6726825d.pth`` (conv weights
        [O, I, kh, kw], batch norm weight/bias/running_mean/running_var, fc weight [1008, 2048]).

    Returns:
      Variables for ``FIDInception().apply``; raises on a missing or unexpected key.
    """
    template = jax.eval_shape(
        FIDInception().init, jax.random.key(0), jnp.zeros((1, 75, 75, 3), jnp.float32)
    )
    wanted = {}
    for collection, tree in template.items():
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
            wanted[(collection, *(p.key for p in path))] = leaf.shape
    variables: dict = {"params": {}, "batch_stats": {}}
    seen = set()
    for name, value in state.items():
        *modules, leaf = name.split(".")
        if leaf == "num_batches_tracked":
            continue
        array = np.asarray(value, np.float32)
        if leaf == "weight" and array.ndim == 4:
            collection, leaf, array = "params", "kernel", array.transpose(2, 3, 1, 0)
        elif leaf == "weight" and array.ndim == 2:
            collection, leaf, array = "params", "kernel", array.T
        elif modules and modules[-1] == "bn" and leaf in ("weight", "bias"):
            collection, leaf = "params", {"weight": "scale", "bias": "bias"}[leaf]
        elif leaf in ("running_mean", "running_var"):
            collection, leaf = "batch_stats", {"running_mean": "mean", "running_var": "var"}[leaf]
        else:
            collection = "params"
        key = (collection, *modules, leaf)
        if key not in wanted:
            raise ValueError(f"unexpected tensor {name!r} in the Inception weights")
        if wanted[key] != array.shape:
            raise ValueError(
                f"tensor {name!r} has shape {array.shape} in the weights, the port expects "
                f"{wanted[key]}; is this pytorch-fid's FID Inception file?"
            )
        node = variables[collection]
        for m in modules:
            node = node.setdefault(m, {})
        node[leaf] = jnp.asarray(array)
        seen.add(key)
    missing = sorted(".".join(k[1:]) for k in set(wanted) - seen)
    if missing:
        raise ValueError(
            f"the Inception weights lack {len(missing)} tensors (first: {missing[0]}); "
            "pass pytorch-fid's pt_inception-2015-12-05-6726825d.pth"
        )
    return variables


def load_variables(path: str) -> dict:
    """The port's variables from a weights file: pytorch-fid's ``.pth`` (read without torch)
    or an ``.npz`` of the same state dict."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"no Inception weights at {path}; download {WEIGHTS_URL} on a machine with internet "
            "and pass its path"
        )
    if path.endswith(".npz"):
        with np.load(path) as f:
            return params_from_state_dict(dict(f))
    return params_from_state_dict(load_state_dict(path))


def inception_feature_space(path: str, batch: int = 50) -> FeatureSpace:
    """pytorch-fid's pool3 features (and the 1008-way softmax of pool3 times fc's weights, no
    bias, as the original inception-score code) from the weights at ``path``.

    Args:
      path: the weights file (``pt_inception-2015-12-05-6726825d.pth`` or an ``.npz``).
      batch: images per compiled call.

    Returns:
      A FeatureSpace whose probabilities are ImageNet's, not the dataset's labels, so the suite
      reports an inception score and no class accuracy.
    """
    variables = load_variables(path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    pool3 = jax.jit(lambda x: FIDInception().apply(variables, preprocess(x))[0])
    kernel = np.asarray(variables["params"]["fc"]["kernel"], np.float64)

    def features(images: np.ndarray) -> np.ndarray:
        return batched(pool3, images, batch)

    def head(feats: np.ndarray) -> np.ndarray:
        logits = np.asarray(feats, np.float64) @ kernel
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    meta = {"kind": "inception", "weights": os.path.abspath(path), "sha256": digest[:16]}
    name = f"Inception-v3 pool3 (pytorch-fid's FID network, weights {os.path.basename(path)})"
    return FeatureSpace(name, features, lambda images: head(features(images)), meta, False, head)


__all__ = [
    "FIDInception",
    "WEIGHTS_URL",
    "inception_feature_space",
    "load_variables",
    "params_from_state_dict",
    "preprocess",
]
