"""Fully observed autoregressive networks over flattened images: the fully visible sigmoid belief
net (logistic autoregression), NADE (Larochelle & Murray 2011) and MADE (Germain et al. 2015).

Each maps images x [B, D] (pixel values scaled to [0, 1]) to the conditionals of every pixel in
one pass: logits [B, D] (Bernoulli, ``out_levels == 1``) or [B, D, L] (a categorical over L
levels); logit i depends only on the pixels before i in the model's order (tested by the
Jacobian). ``genjax.losses.autoregressive`` turns them into exact log p(x).

Orders are permutations of the D pixels: ``order[t]`` is the pixel generated t-th, and
``rank = argsort(order)`` the step at which each pixel is generated.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

ORDERS = ("raster", "random")


def pixel_order(num_pixels: int, kind: str = "raster", seed: int = 0) -> np.ndarray:
    """The generation order: pixels 0..D-1 ("raster", row by row) or a seeded permutation."""
    if kind == "raster":
        return np.arange(num_pixels)
    if kind == "random":
        return np.random.default_rng(seed).permutation(num_pixels)
    raise ValueError(f"unknown pixel order {kind!r}; valid: {', '.join(ORDERS)}")


def _out(logits: jax.Array, num_pixels: int, out_levels: int) -> jax.Array:
    """[B, D * L] -> [B, D] (Bernoulli) or [B, D, L]."""
    if out_levels == 1:
        return logits
    return logits.reshape(logits.shape[0], num_pixels, out_levels)


class FVSBN(nn.Module):
    """Fully visible sigmoid belief net: logit_i = b_i + sum_{j before i} W_ji x_j (a logistic
    regression per pixel on the pixels before it; for L > 1 levels, a softmax regression).

    Attributes:
      order: the generation order (a permutation of D).
      out_levels: 1 (Bernoulli logits) or L (categorical logits).
    """

    order: tuple[int, ...]
    out_levels: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        d = len(self.order)
        rank = np.argsort(np.asarray(self.order))
        mask = (rank[:, None] < rank[None, :]).astype(np.float32)  # W[j, i]: j before i
        mask = np.repeat(mask, self.out_levels, axis=1)
        w = self.param("W", nn.initializers.zeros, (d, d * self.out_levels))
        b = self.param("b", nn.initializers.zeros, (d * self.out_levels,))
        return _out(x @ (w * mask) + b, d, self.out_levels)


class NADE(nn.Module):
    """NADE: h_i = sigmoid(c + W x_<i) with one W shared by every conditional (weight sharing),
    logit_i = b_i + V_i h_i; O(D H) per example by a running sum over the order.

    Attributes:
      order: the generation order (a permutation of D).
      hidden: H.
      out_levels: 1 (Bernoulli logits) or L (categorical logits).
    """

    order: tuple[int, ...]
    hidden: int = 500
    out_levels: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        d, h, levels = len(self.order), self.hidden, self.out_levels
        init = nn.initializers.normal(1.0 / np.sqrt(d))
        w = self.param("W", init, (d, h))  # rows in pixel order
        c = self.param("c", nn.initializers.zeros, (h,))
        v = self.param("V", nn.initializers.normal(1.0 / np.sqrt(h)), (d, h, levels))
        b = self.param("b", nn.initializers.zeros, (d, levels))
        order = np.asarray(self.order)
        xs = x[:, order]  # [B, D] in generation order
        # a_t = c + sum_{s < t} W[s] x_s: an exclusive running sum over the order.
        contrib = xs[:, :, None] * w[None]  # [B, D, H]
        acts = c + jnp.cumsum(contrib, axis=1) - contrib
        hid = jax.nn.sigmoid(acts)
        logits = jnp.einsum("bth,thl->btl", hid, v) + b  # [B, D (order), L]
        logits = logits[:, np.argsort(order)]  # back to pixel positions
        return logits[..., 0] if levels == 1 else logits


def made_masks(
    num_pixels: int,
    hidden: tuple[int, ...],
    order: np.ndarray,
    seed: int,
    out_levels: int = 1,
) -> tuple[list[np.ndarray], np.ndarray]:
    """MADE's connectivity (Germain et al. 2015, eqs. 12-13): input degrees are the pixels'
    ranks 1..D in ``order``; each hidden unit draws a degree in [min of the layer below, D - 1];
    a weight is kept when the unit's degree >= the degree it reads, and an output for pixel
    i reads hidden units of degree < rank(i). ``seed`` 0 with a raster order gives evenly
    spread degrees (deterministic); other seeds draw them.

    Returns:
      (hidden masks [fan_in, fan_out] per layer, the direct input -> output mask [D, D L]).
    """
    rng = np.random.default_rng(seed)
    degrees = [np.argsort(order) + 1]  # input degree = generation step (1-based)
    for size in hidden:
        low = min(int(degrees[-1].min()), num_pixels - 1)
        if seed == 0:
            deg = low + (np.arange(size) % max(num_pixels - low, 1))
        else:
            deg = rng.integers(low, num_pixels, size=size)
        degrees.append(deg)
    masks = [
        (d_out[None, :] >= d_in[:, None]).astype(np.float32)
        for d_in, d_out in zip(degrees[:-1], degrees[1:], strict=True)
    ]
    out_deg = np.repeat(degrees[0], out_levels)
    masks.append((out_deg[None, :] > degrees[-1][:, None]).astype(np.float32))
    direct = (out_deg[None, :] > degrees[0][:, None]).astype(np.float32)
    return masks, direct


class MADE(nn.Module):
    """MADE: an MLP whose weight masks make output i depend on the inputs before i only; with
    ``num_masks`` > 1 it is trained order- and connectivity-agnostically (one of K masks,
    each with its own order when ``order_agnostic``, drawn per step) and evaluated as the
    average of the K models' probabilities.

    Attributes:
      num_pixels: D.
      hidden: hidden layer sizes.
      out_levels: 1 (Bernoulli logits) or L (categorical logits).
      num_masks: K connectivities.
      order: the order of mask 0 (and of every mask unless order_agnostic).
      order_agnostic: masks 1..K-1 use seeded random orders.
      direct: add masked direct input -> output connections.
      num_classes: > 0: class-conditional, the one-hot label read by the first hidden layer
        (and the outputs, with direct connections) unmasked: degree 0, before every pixel.
    """

    num_pixels: int
    hidden: tuple[int, ...] = (500,)
    out_levels: int = 1
    num_masks: int = 1
    order: tuple[int, ...] = ()
    order_agnostic: bool = False
    direct: bool = False
    num_classes: int = 0

    def orders(self) -> list[np.ndarray]:
        """The generation order of each of the K masks."""
        base = np.asarray(self.order) if self.order else np.arange(self.num_pixels)
        return [
            pixel_order(self.num_pixels, "random", k) if self.order_agnostic and k else base
            for k in range(self.num_masks)
        ]

    def masks(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Every mask, stacked over the K connectivities: ([K, fan_in, fan_out]...,
        direct [K, D, D L])."""
        out = [
            made_masks(self.num_pixels, self.hidden, order, k, self.out_levels)
            for k, order in enumerate(self.orders())
        ]
        layers = [np.stack([m[0][i] for m in out]) for i in range(len(self.hidden) + 1)]
        return layers, np.stack([m[1] for m in out])

    @nn.compact
    def __call__(
        self, x: jax.Array, mask_index: jax.Array | int = 0, labels: jax.Array | None = None
    ) -> jax.Array:
        layers, direct = self.masks()
        sizes = (*self.hidden, self.num_pixels * self.out_levels)
        onehot = jax.nn.one_hot(labels, self.num_classes) if self.num_classes else None
        h = x
        for i, (size, stacked) in enumerate(zip(sizes, layers, strict=True)):
            w = self.param(f"W{i}", nn.initializers.lecun_normal(), (h.shape[-1], size))
            b = self.param(f"b{i}", nn.initializers.zeros, (size,))
            h_new = h @ (w * jnp.asarray(stacked)[mask_index]) + b
            if i == 0 and onehot is not None:
                h_new = h_new + nn.Dense(size, use_bias=False, name="label_in")(onehot)
            h = h_new if i == len(self.hidden) else nn.relu(h_new)
        if self.direct:
            shape = (self.num_pixels, self.num_pixels * self.out_levels)
            a = self.param("A", nn.initializers.zeros, shape)
            h = h + x @ (a * jnp.asarray(direct)[mask_index])
            if onehot is not None:
                h = h + nn.Dense(shape[1], use_bias=False, name="label_out")(onehot)
        return _out(h, self.num_pixels, self.out_levels)
