"""Pieces every family shares, defined once: batch views, the sampling entry point, chain frame
selection, picture normalisation, and the importance-sampling settings of ``config.eval``."""

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from genjax import viz
from genjax.checks import check_at_least, check_divides, read_borrowed, read_section
from genjax.methods.base import Score

# Fields of the spine's ``config.eval`` that likelihood-estimating methods read.
NLL_FIELDS = ("nll_samples", "nll_chunk")


@dataclasses.dataclass(frozen=True)
class NLLConfig:
    """How a report estimates log p(x) by importance sampling (``config.eval``).

    Attributes:
      nll_samples: K draws per test example.
      nll_chunk: draws evaluated at a time (memory); must divide nll_samples.
    """

    nll_samples: int = 1000
    nll_chunk: int = 100

    def __post_init__(self):
        check_at_least("eval.nll_chunk", self.nll_chunk, 1)
        check_at_least("eval.nll_samples", self.nll_samples, self.nll_chunk)
        check_divides("eval.nll_chunk", self.nll_chunk, {"eval.nll_samples": self.nll_samples})

    @classmethod
    def read(cls, section: Mapping | None, owner: str, strict: bool = True) -> "NLLConfig":
        """The two fields from ``config.eval`` (its other fields are the spine's)."""
        return read_borrowed(section, cls, "eval", owner, strict)


def read_sections(config: Mapping, owner: str, strict: bool, **classes: type) -> dict:
    """The sections of ``config`` named by ``classes`` (section name -> its dataclass), each
    read by ``genjax.checks.read_section``."""
    return {
        name: read_section(config.get(name), cls, name, owner=owner, strict=strict)
        for name, cls in classes.items()
    }


def flat(batch: Mapping[str, jax.Array]) -> jax.Array:
    """The batch's images as rows [B, H * W * C]."""
    return batch["image"].reshape(batch["image"].shape[0], -1)


def labels_of(batch: Mapping[str, jax.Array], conditional: bool) -> jax.Array | None:
    """The batch's labels for a conditional method, else None."""
    return batch["label"] if conditional else None


def make_sampler(draw: Callable, name: str, num_classes: int, has_trajectory: bool) -> Callable:
    """The one sampling entry point (``Method.sample``) around a method's pure ``draw``.

    Args:
      draw: (params, key, num, labels, mean, trajectory) -> images [num, H, W, C] in [0, 1],
        or frames [num, F, H, W, C] with ``trajectory``; jitted here with num, mean and
        trajectory static.
      name: the method's name, for messages.
      num_classes: > 0 for a conditional method: labels default to 0, 1, ... in turn.
      has_trajectory: whether ``draw`` supports trajectory=True.

    Returns:
      sample(params, key, num, labels=None, *, mean=False, trajectory=False).
    """
    jitted = jax.jit(draw, static_argnums=(2, 4, 5))

    def sample(params, key, num: int, labels=None, *, mean=False, trajectory=False):
        if int(num) < 1:
            raise ValueError(f"the number of samples must be at least 1; got {num}")
        if trajectory and not has_trajectory:
            raise ValueError(f"method {name!r} has no sampling trajectory")
        if labels is None and num_classes:
            labels = jnp.arange(num) % num_classes
        if labels is not None and not num_classes:
            raise ValueError(f"method {name!r} is not class-conditional: pass no labels")
        return jitted(params, key, int(num), labels, bool(mean), bool(trajectory))

    return sample


def make_latent_decoder(decode: Callable, name: str, num_classes: int, latent_dim: int):
    """``Method.decode_latent`` around a pure ``decode(params, key, z, labels)`` (jitted).

    Returns:
      decode_latent(params, key, z, labels=None): labels default as ``sample``'s do.
    """
    jitted = jax.jit(decode)

    def decode_latent(params, key, z, labels=None):
        z = jnp.asarray(z)
        if z.ndim != 2 or z.shape[1] != latent_dim:
            raise ValueError(
                f"method {name!r} decodes draws of shape [num, {latent_dim}]; got {z.shape}"
            )
        if labels is None and num_classes:
            labels = jnp.arange(z.shape[0]) % num_classes
        if labels is not None and not num_classes:
            raise ValueError(f"method {name!r} is not class-conditional: pass no labels")
        return jitted(params, key, z, labels)

    return decode_latent


def chain_frames(num_states: int, count: int, spacing: str = "linear") -> np.ndarray:
    """Indices of ``count`` frames of a sampling trajectory of ``num_states`` states, ending at
    the last: evenly spaced ("linear", a diffusion's denoising) or geometrically spaced
    ("geometric", a Gibbs chain, whose early sweeps change most; duplicates dropped)."""
    if spacing == "linear":
        return np.round(np.linspace(0, num_states - 1, count)).astype(int)
    return np.unique(np.geomspace(1, num_states, count).astype(int)) - 1


def select_frames(states: jax.Array, count: int, spacing: str = "linear") -> jax.Array:
    """[S, num, ...] states of a trajectory -> [num, count, ...] frames (see chain_frames)."""
    return jnp.swapaxes(states[chain_frames(states.shape[0], count, spacing)], 0, 1)


def rescale(images: np.ndarray, per_image: bool = False) -> np.ndarray:
    """Min-max rescaling to [0, 1] for showing weights (filters, atoms) as pictures: over the
    whole array, or each image [i, H, W, C] on its own."""
    images = np.asarray(images)
    axes = tuple(range(1, images.ndim)) if per_image else None
    low = images.min(axis=axes, keepdims=True)
    high = images.max(axis=axes, keepdims=True)
    return (images - low) / np.maximum(high - low, 1e-8)


def weights_picture(weights: np.ndarray, per_image: bool = False) -> viz.Labelled:
    """Weights [N, H, W, C] (filters, atoms) as pictures, with the legend of their grey scale:
    min-max rescaled over all of them (one scale: black the most negative weight, white the most
    positive) or each on its own."""
    scope = "each on its own scale" if per_image else "one scale for all"
    legend = f"black = lowest weight, white = highest ({scope})"
    return viz.Labelled(rescale(weights, per_image), legend=legend)


def originals_over_reconstructions(originals, reconstructions) -> viz.Labelled:
    """Two grid rows [2, N, H, W, C]: the originals above their reconstructions, labelled."""
    images = np.stack([np.asarray(originals), np.asarray(reconstructions)])
    return viz.Labelled(images, ("original", "reconstruction"))


def chain_picture(
    chains: np.ndarray,
    start: str = "start",
    end: str = "end",
    steps: int = 0,
    spacing: str = "linear",
    unit: str = "step",
    count: int = 0,
) -> viz.Labelled:
    """Sampling chains [N, frames, H, W, C] with their axes named: one row per chain, its
    frames from ``start`` (left) to ``end`` (right). Given the trajectory's length ``steps``
    (the frames ``select_frames(states, count, spacing)`` chose; ``count`` 0: as many as
    shown), each column is numbered by the ``unit`` (sweep, denoising step) it shows, from 1."""
    n, frames = np.shape(chains)[:2]
    rows = [f"chain {i + 1}" for i in range(n)]
    if steps:
        numbers = chain_frames(steps, count or frames, spacing) + 1
        if len(numbers) != frames:
            raise ValueError(f"{frames} frames, but {steps} {unit}s give {len(numbers)}")
        legend = f"column: after {unit} k of {steps}, {start} (left) to {end} (right)"
        return viz.Labelled(np.asarray(chains), rows, [str(k) for k in numbers], legend)
    cols = [start, *[""] * (frames - 2), end] if frames > 1 else [end]
    return viz.Labelled(np.asarray(chains), rows, cols)


def labelled_latent_grids(grids: Mapping, dims: Sequence[int], values) -> dict[str, viz.Labelled]:
    """``traversal_grid`` and ``interpolation_grids`` outputs with their axes named: a
    traversal's rows by latent dimension and columns by value; an interpolation's rows by pair
    and columns by the path's fraction t from start (0) to end (1)."""
    out = {}
    for name, grid in grids.items():
        grid = np.asarray(grid)
        if name == "traversal":
            out[name] = viz.Labelled(grid, [f"z{d}" for d in dims], [f"{v:+.1f}" for v in values])
        else:
            rows, cols = grid.shape[:2]
            t = np.linspace(0.0, 1.0, cols)
            out[name] = viz.Labelled(
                grid, [f"pair {i + 1}" for i in range(rows)], [f"{x:.2f}" for x in t]
            )
    return out


def metric_score(
    eval_metrics: Callable, metric: str, estimator: str, nats: bool, sign: float = 1.0
) -> Score:
    """An outlier Score read from one of ``eval_metrics``' per-example values, times ``sign``
    (-1 turns a log-likelihood or a realness into "higher is more anomalous")."""
    return Score(
        fn=lambda params, batch, key: sign * eval_metrics(params, batch, key)[metric],
        estimator=estimator,
        nats=nats,
    )
