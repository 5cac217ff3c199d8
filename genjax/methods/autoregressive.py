"""Fully observed (autoregressive) family: FVSBN, NADE, MADE and PixelCNN, trained by exact
maximum likelihood and scored by exact test log-likelihood (nats and bits/dim).

Pixels are modelled as their integer levels: {0, 1} for binary data (Bernoulli conditionals),
0..levels for gray data (a categorical over the data's own levels + 1 values: 17 for
scikit-learn's digits, 256 for 8-bit images: the bins of the diffusion bound's bits/dim).
"""

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax.checks import check_at_least, check_choice, read_section
from genjax.data import DataInfo
from genjax.losses.autoregressive import (
    autoregressive_log_prob,
    discretized_logistic_mixture_log_prob,
)
from genjax.methods.base import Method, stateless
from genjax.methods.common import make_sampler, metric_score
from genjax.models import autoregressive as A
from genjax.models import pixelcnn as P

KINDS = ("fvsbn", "nade", "made", "pixelcnn")
EXACT = "exact -log p(x)"
LIKELIHOODS = ("bernoulli", "categorical", "logistic_mixture")
APPLICABLE = {
    "fvsbn": ("likelihood", "order", "order_seed"),
    "nade": ("likelihood", "order", "order_seed", "units"),
    "made": (
        "likelihood", "order", "order_seed", "hidden", "num_masks", "order_agnostic", "direct",
        "conditional",
    ),
    "pixelcnn": (
        "likelihood", "features", "layers", "first_kernel", "kernel", "head", "gated",
        "conditional", "dropout", "mixtures",
    ),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class AutoregressiveModel:
    """``config.model`` of the fully observed family (each kind reads its own fields).

    Attributes:
      likelihood: "bernoulli" (binary data), "categorical" (gray data, over its levels) or
        "logistic_mixture" (PixelCNN: PixelCNN++'s discretised mixture; colour images).
      order, order_seed: the generation order ("raster" or a seeded "random" permutation).
      units: NADE's hidden units.
      hidden: MADE's hidden layer sizes.
      num_masks: MADE's K connectivities (drawn per step; their probabilities averaged).
      order_agnostic: MADE's masks 1..K-1 each with a random order.
      direct: MADE's direct input -> output connections.
      conditional: class-conditional (MADE, PixelCNN): p(x | label).
      features, layers, first_kernel, kernel, head: PixelCNN's channels, layers, kernel sizes
        of the first and later layers and the output head's channels.
      gated: PixelCNN's gated vertical/horizontal stacks (False: the original masked convs).
      dropout: the gated PixelCNN's dropout rate in training (on each horizontal gate).
      mixtures: the logistic mixture's K components.
    """

    likelihood: str = "bernoulli"
    order: str = "raster"
    order_seed: int = 0
    units: int = 500
    hidden: tuple[int, ...] = (500,)
    num_masks: int = 1
    order_agnostic: bool = False
    direct: bool = False
    conditional: bool = False
    features: int = 64
    layers: int = 8
    first_kernel: int = 7
    kernel: int = 3
    head: int = 256
    gated: bool = True
    dropout: float = 0.0
    mixtures: int = 10

    def __post_init__(self):
        check_choice("model.likelihood", self.likelihood, LIKELIHOODS)
        check_choice("model.order", self.order, A.ORDERS)
        check_at_least("model.num_masks", self.num_masks, 1)
        check_at_least("model.units", self.units, 1)
        check_at_least("model.layers", self.layers, 1)
        check_at_least("model.mixtures", self.mixtures, 1)
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"model.hidden must list layer sizes >= 1; got {self.hidden}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"model.dropout must be in [0, 1); got {self.dropout}")
        for name in ("first_kernel", "kernel"):
            value = getattr(self, name)
            if value < 1 or value % 2 == 0:
                raise ValueError(f"model.{name} must be an odd kernel size >= 1; got {value}")


def read_config(config: Mapping, strict: bool = True, kind: str = "made") -> AutoregressiveModel:
    """``config.model`` as typed settings; fields of another kind are a one-line error."""
    return read_section(
        config.get("model"),
        AutoregressiveModel,
        "model",
        owner=f"method {kind}",
        applicable=APPLICABLE[kind],
        strict=strict,
    )


class Net(NamedTuple):
    """A built autoregressive network and what the method needs of it."""

    kind: str
    module: object
    info: DataInfo
    out_levels: int  # 1: Bernoulli; L: categorical; the mixture's parameter count per pixel
    orders: np.ndarray  # [K, D]: each mask's generation order
    conditional: bool
    mixtures: int = 0  # > 0: PixelCNN++'s discretised logistic mixture of this many components


def check_fit(kind: str, cfg: AutoregressiveModel, info: DataInfo) -> None:
    """One-line errors for a model that does not fit the data, before any compile."""
    if info.pairing:
        raise ValueError(f"method {kind} models images, not translation pairs: pick a dataset")
    channels = info.image_shape[-1]
    mixture = cfg.likelihood == "logistic_mixture"
    if channels not in (1, 3):
        raise ValueError(f"method {kind} models images of 1 or 3 channels; got {channels}")
    if mixture and (kind != "pixelcnn" or not cfg.gated or info.binary):
        raise ValueError(
            "model.likelihood='logistic_mixture' is the gated PixelCNN's, for gray or colour "
            "data: use model=pixelcnn with model.gated=True, or another likelihood"
        )
    if channels == 3 and not mixture:
        raise ValueError(
            f"method {kind} models colour images only as the gated PixelCNN with "
            "model.likelihood='logistic_mixture'; or set data.variant to 'binary' or 'gray'"
        )
    if info.binary and cfg.likelihood != "bernoulli":
        raise ValueError(
            "a categorical likelihood needs gray data: set model.likelihood='bernoulli' for "
            "binary data, or data.variant='gray'"
        )
    if not info.binary and cfg.likelihood == "bernoulli":
        raise ValueError(
            f"a Bernoulli likelihood needs binary data: set model.likelihood='categorical' (over "
            f"the data's {info.levels + 1} levels) for gray data, or data.variant='binary'"
        )
    if cfg.conditional and not info.num_classes:
        raise ValueError(f"model.conditional needs labelled data; {kind} got unlabelled data")
    h, w, _ = info.image_shape
    if kind == "pixelcnn" and cfg.gated:
        if not P.coverage(h, w, cfg.first_kernel, cfg.kernel, cfg.layers):
            raise ValueError(
                f"a gated PixelCNN of {cfg.layers} layers (kernels {cfg.first_kernel} then "
                f"{cfg.kernel}) cannot see every earlier pixel of a {h}x{w} image: it needs "
                f"first_kernel // 2 + (layers - 1) * (kernel // 2) >= {max(h - 2, w - 1)}; "
                "raise model.layers or model.kernel"
            )


def build_net(kind: str, cfg: AutoregressiveModel, info: DataInfo) -> Net:
    """The network of ``kind`` for data ``info`` (checked first)."""
    check_fit(kind, cfg, info)
    d = info.num_pixels
    out_levels = 1 if info.binary else info.levels + 1
    channels = info.image_shape[-1]
    mixtures = cfg.mixtures if cfg.likelihood == "logistic_mixture" else 0
    if mixtures:  # weights, means and log scales per channel, channel couplings for colour
        out_levels = mixtures * (1 + 2 * channels + (3 if channels == 3 else 0))
    order = A.pixel_order(d, cfg.order, cfg.order_seed)
    orders = order[None]
    classes = info.num_classes if cfg.conditional else 0
    if kind == "fvsbn":
        module = A.FVSBN(tuple(order.tolist()), out_levels)
    elif kind == "nade":
        module = A.NADE(tuple(order.tolist()), cfg.units, out_levels)
    elif kind == "made":
        module = A.MADE(
            d, cfg.hidden, out_levels, cfg.num_masks, tuple(order.tolist()),
            cfg.order_agnostic, cfg.direct, classes,
        )  # fmt: skip
        orders = np.stack(module.orders())
    elif cfg.gated:
        module = P.GatedPixelCNN(
            cfg.features, cfg.layers, cfg.first_kernel, cfg.kernel, out_levels, cfg.head, classes,
            cfg.dropout,
        )  # fmt: skip
        orders = np.arange(d // channels)[None]  # pixel positions, every channel at once
    else:
        module = P.MaskedPixelCNN(
            cfg.features, cfg.layers, cfg.first_kernel, cfg.kernel, out_levels, cfg.head
        )
        orders = np.arange(d)[None]
    return Net(kind, module, info, out_levels, orders, bool(classes), mixtures)


def to_levels(net: Net, images: jax.Array) -> jax.Array:
    """Model-space images [B, H, W, 1] -> integer levels [B, D]."""
    info, x = net.info, images.reshape(images.shape[0], -1)
    if info.binary:
        return jnp.round(x).astype(jnp.int32)
    unit = (x + 1.0) / 2.0 if info.pixel_range == "symmetric" else x
    return jnp.round(unit * info.levels).astype(jnp.int32)


def _inputs(net: Net, levels: jax.Array, labels=None, mask_index=0) -> tuple:
    """The network's positional inputs for integer levels [B, D]: values scaled to [0, 1]
    (as an image for PixelCNN), the labels of a conditional model, MADE's mask index."""
    scale = 1.0 if net.info.binary else float(net.info.levels)
    x = levels.astype(jnp.float32) / scale
    labels = labels if net.conditional else None
    if net.kind == "pixelcnn":
        return x.reshape(-1, *net.info.image_shape), labels
    if net.kind == "made":
        return x, mask_index, labels
    return (x,)


def logits_of(
    net: Net, params, levels: jax.Array, labels=None, mask_index=0, dropout_key=None
) -> jax.Array:
    """Every pixel's conditional logits [B, D] or [B, D, L] given integer levels [B, D]
    (PixelCNN: [B, H W, L] per pixel position); ``dropout_key``: training (a PixelCNN's
    dropout on)."""
    args = _inputs(net, levels, labels, mask_index)
    if net.kind != "pixelcnn":
        return net.module.apply(params, *args)
    train = dropout_key is not None
    rngs = {"dropout": dropout_key} if train else {}
    out = net.module.apply(params, *args, train, rngs=rngs)
    return out.reshape(out.shape[0], -1, *out.shape[3:])  # [B, H W(, L)]


def mixture_parts(net: Net, out: jax.Array) -> tuple:
    """A PixelCNN's outputs [..., P] at each pixel -> the mixture's (weights [..., K], means
    and log scales [..., C, K], couplings [..., 3, K] or None for one channel)."""
    k, c = net.mixtures, net.info.image_shape[-1]
    lead = out.shape[:-1]
    means = out[..., k : k + c * k].reshape(*lead, c, k)
    log_scales = out[..., k + c * k : k + 2 * c * k].reshape(*lead, c, k)
    coeffs = out[..., k + 2 * c * k :].reshape(*lead, 3, k) if c == 3 else None
    return out[..., :k], means, log_scales, coeffs


def _log_prob_one(net: Net, params, levels, labels=None, index=0, dropout_key=None):
    """log p(x) [B] of one mask (MADE) or of the network alone."""
    out = logits_of(net, params, levels, labels, index, dropout_key)
    if not net.mixtures:
        return autoregressive_log_prob(out, levels)
    c = net.info.image_shape[-1]
    x = (levels.astype(jnp.float32) / net.info.levels * 2.0 - 1.0).reshape(out.shape[0], -1, c)
    per_pixel = discretized_logistic_mixture_log_prob(
        x, *mixture_parts(net, out), bins=net.info.levels + 1
    )
    return jnp.sum(per_pixel, axis=-1)


def log_prob(net: Net, params, levels: jax.Array, labels=None) -> jax.Array:
    """Exact log p(x) [B] in nats; MADE with K masks: log of the K models' average."""
    k = len(net.orders)
    if k == 1:
        return _log_prob_one(net, params, levels, labels)
    each = jax.lax.map(lambda i: _log_prob_one(net, params, levels, labels, i), jnp.arange(k))
    return jax.nn.logsumexp(each, axis=0) - math.log(k)


def loss(net: Net, params, batch, key):
    """Mean NLL (nats per example) of one mask (drawn per step when MADE has K); dropout on
    where the model has it."""
    levels = to_levels(net, batch["image"])
    k_mask, k_drop = jax.random.split(key)
    index = jax.random.randint(k_mask, (), 0, len(net.orders)) if len(net.orders) > 1 else 0
    nll = -_log_prob_one(net, params, levels, batch.get("label"), index, k_drop)
    return jnp.mean(nll), {"nll": jnp.mean(nll)}


def eval_metrics(net: Net, params, batch, key) -> dict[str, jax.Array]:
    """Per-example exact NLL (nats) and bits/dim (the average over every mask for MADE)."""
    del key
    levels = to_levels(net, batch["image"])
    nll = -log_prob(net, params, levels, batch.get("label"))
    return {"nll": nll, "bits_per_dim": nll / (levels.shape[1] * math.log(2.0))}


def _draw_one(net: Net, params, key, num: int, labels, mask_index) -> tuple[jax.Array, ...]:
    """Ancestral sampling in the order of ``mask_index``: one compiled loop over the D pixels,
    the whole network evaluated at each. Returns (levels [num, D], each drawn pixel's
    conditional mean [num, D] in [0, 1])."""
    d = net.info.num_pixels
    orders = jnp.asarray(net.orders)
    scale = 1.0 if net.out_levels == 1 else float(net.out_levels - 1)

    def body(t, carry):
        x, means = carry
        pixel = orders[mask_index, t]
        logits = logits_of(net, params, x, labels, mask_index)[:, pixel]
        k = jax.random.fold_in(key, t)
        if net.out_levels == 1:
            value = jax.random.bernoulli(k, jax.nn.sigmoid(logits)).astype(jnp.int32)
            mean = jax.nn.sigmoid(logits)
        else:
            value = jax.random.categorical(k, logits, axis=-1).astype(jnp.int32)
            mean = jax.nn.softmax(logits, axis=-1) @ jnp.arange(net.out_levels) / scale
        return x.at[:, pixel].set(value), means.at[:, pixel].set(mean)

    init = (jnp.zeros((num, d), jnp.int32), jnp.zeros((num, d), jnp.float32))
    return jax.lax.fori_loop(0, d, body, init)


def _draw_mixture(net: Net, params, key, num: int, labels) -> tuple[jax.Array, ...]:
    """Ancestral sampling from the mixture of logistics, one pixel (every channel) per step of
    one compiled loop: a component, then red, green given red, blue given both, each a
    logistic draw rounded to the nearest level (clipped: the edge levels take the tails), which
    is the likelihood's own discretisation. Returns (levels [num, D], each drawn pixel's
    conditional mean [num, D] in [0, 1], the clipping at the edges ignored)."""
    h, w, c = net.info.image_shape
    top = float(net.info.levels)
    to_grid = lambda v: jnp.clip(jnp.round((v + 1.0) / 2.0 * top), 0.0, top)
    from_grid = lambda q: q / top * 2.0 - 1.0

    def body(t, carry):
        x, means = carry
        wts, mu, log_s, co = mixture_parts(net, logits_of(net, params, x, labels)[:, t])
        k_comp, k_u = jax.random.split(jax.random.fold_in(key, t))
        comp = jax.random.categorical(k_comp, wts, axis=-1)
        pick = lambda a: jnp.take_along_axis(a, comp[:, None, None], axis=-1)[..., 0]
        u = jax.random.uniform(k_u, (num, c), minval=1e-5, maxval=1.0 - 1e-5)
        noise = jnp.exp(jnp.maximum(pick(log_s), -7.0)) * (jnp.log(u) - jnp.log1p(-u))
        m = pick(mu) + noise
        vals = [to_grid(m[:, 0])]
        expect = [mu[:, 0]]  # [num, K] per channel: each component's mean
        if c == 3:
            cc, tc = jnp.tanh(pick(co)), jnp.tanh(co)
            vals.append(to_grid(m[:, 1] + cc[:, 0] * from_grid(vals[0])))
            vals.append(
                to_grid(m[:, 2] + cc[:, 1] * from_grid(vals[0]) + cc[:, 2] * from_grid(vals[1]))
            )
            expect.append(mu[:, 1] + tc[:, 0] * expect[0])
            expect.append(mu[:, 2] + tc[:, 1] * expect[0] + tc[:, 2] * expect[1])
        weights = jax.nn.softmax(wts, axis=-1)
        mean = jnp.stack([jnp.sum(e * weights, axis=-1) for e in expect], axis=-1)
        index = t * c + jnp.arange(c)
        x = x.at[:, index].set(jnp.stack(vals, axis=-1).astype(jnp.int32))
        return x, means.at[:, index].set(jnp.clip((mean + 1.0) / 2.0, 0.0, 1.0))

    init = (jnp.zeros((num, h * w * c), jnp.int32), jnp.zeros((num, h * w * c), jnp.float32))
    return jax.lax.fori_loop(0, h * w, body, init)


def draw(net: Net, params, key, num, labels, mean, trajectory):
    """``num`` ancestral samples; MADE with K masks draws from the average of the K models
    (sample i from mask i mod K: each mask's share, as the average gives). ``mean``: each
    pixel's conditional mean given the drawn pixels before it (a smoother picture)."""
    del trajectory
    if net.mixtures:
        levels, means = _draw_mixture(net, params, key, num, labels)
        out = means if mean else levels.astype(jnp.float32) / net.info.levels
        return out.reshape(num, *net.info.image_shape)
    k = len(net.orders)
    per = -(-num // k)
    if labels is not None:
        labels = jnp.resize(labels, (per * k,)).reshape(per, k).T
    else:
        labels = jnp.zeros((k, per), jnp.int32)
    keys = jax.random.split(key, k)
    fn = lambda args: _draw_one(net, params, args[0], per, args[1], args[2])
    levels, means = jax.lax.map(fn, (keys, labels, jnp.arange(k)))
    levels = jnp.swapaxes(levels, 0, 1).reshape(per * k, -1)[:num]  # sample i: mask i mod k
    means = jnp.swapaxes(means, 0, 1).reshape(per * k, -1)[:num]
    if mean:
        out = means
    else:
        out = levels.astype(jnp.float32) / (1.0 if net.out_levels == 1 else net.out_levels - 1)
    return out.reshape(num, *net.info.image_shape)


def report(net: Net, params, batches, key):
    """The test split's exact NLL (nats, float64 mean) and bits/dim over every example."""
    del key
    fn = jax.jit(functools.partial(log_prob, net))
    values = []
    for b, m in batches:
        lp = np.asarray(fn(params, to_levels(net, jnp.asarray(b["image"])), b.get("label")))
        values.append(lp[np.asarray(m) > 0])
    lp = np.concatenate(values).astype(np.float64)
    nll = float(-lp.mean())
    return {
        "test_nll_exact": nll,
        "test_bits_per_dim_exact": nll / (net.info.num_pixels * math.log(2.0)),
        "nll_examples": float(len(lp)),
    }, {}


def build(kind: str, cfg: AutoregressiveModel, info: DataInfo) -> Method:
    """The Method of ``kind`` (fvsbn, nade, made, pixelcnn) for data ``info``."""
    net = build_net(kind, cfg, info)

    def init(key, batch):
        levels = to_levels(net, batch["image"])
        return logits_init(net, key, levels, batch.get("label"))

    classes = info.num_classes if net.conditional else 0
    return Method(
        name=kind,
        init=init,
        loss=stateless(functools.partial(loss, net)),
        eval_metrics=functools.partial(eval_metrics, net),
        sample=make_sampler(functools.partial(draw, net), kind, classes, False),
        conditional=net.conditional,
        report=functools.partial(report, net),
        scores={"nll": metric_score(functools.partial(eval_metrics, net), "nll", EXACT, True)},
    )


def logits_init(net: Net, key, levels, labels):
    """The network's parameters, initialised on an example batch of levels."""
    return net.module.init(key, *_inputs(net, levels, labels))


__all__ = ["KINDS", "build", "log_prob", "read_config"]
