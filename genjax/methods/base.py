"""What a family gives the spine: pure functions built from its config."""

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import jax
import numpy as np
import optax

Params = Any
Batch = dict[str, jax.Array]


@dataclasses.dataclass(frozen=True)
class DataInfo:
    """What a method needs to know of its data.

    Attributes:
      image_shape: (H, W, C) per example.
      num_classes: number of labels (0: unlabelled).
      binary: images are {0, 1}.
      pixel_range: "unit" [0, 1] or "symmetric" [-1, 1] for non-binary data.
      levels: largest raw pixel value: gray images lie on levels + 1 evenly spaced values
        (17 for digits, 256 for 8-bit images), the bins of a discrete likelihood.
    """

    image_shape: tuple[int, int, int]
    num_classes: int
    binary: bool
    pixel_range: str = "unit"
    levels: int = 255


@dataclasses.dataclass(frozen=True)
class Player:
    """One parameter group of a multi-player method (a GAN's generator or discriminator, a
    deep belief net's layer).

    Attributes:
      name: the group's key in the method's params dict.
      loss: (params, batch, key) -> (scalar loss, metrics), differentiated with respect to
        ``params[name]`` only; the other groups are read, never updated, by this player.
      tx: this group's own optax optimizer.
      repeats: updates per train step (a critic's n_critic); the global batch is split into
        this many equal parts, one per update.
      ema: keep an exponential moving average of this group for evaluation and samples.
      steps: (start, stop): the train steps [start, stop) in which this group is updated (a
        greedy stage); outside them its loss is not computed and the group, its optimizer
        state and its optimizer's step count stay as they are. None: every step.
      warm_start: params -> a new value for this group, set at the first step of its stage
        (``steps`` only) before that step's update: a DBN layer starting as the transpose of
        the trained layer below. None: the group keeps its initial value.
    """

    name: str
    loss: Callable[[Params, Batch, jax.Array], tuple[jax.Array, dict[str, jax.Array]]]
    tx: optax.GradientTransformation
    repeats: int = 1
    ema: bool = False
    steps: tuple[int, int] | None = None
    warm_start: Callable[[Params], Params] | None = None


@dataclasses.dataclass(frozen=True)
class Method:
    """A family's pure functions. ``images`` of reports are [rows, cols, H, W, C] in [0, 1].

    A method is trained either by ``loss`` (one optimizer over all params, built by the spine
    from ``config.optim``) or by ``players`` (params is a dict of groups, each updated in turn
    by its own loss and optimizer); exactly one of the two is given.

    Attributes:
      init: (key, example_batch) -> params.
      loss: (params, batch, key) -> (scalar loss, metrics); differentiated by the spine.
        None for methods trained by players.
      eval_metrics: (params, batch, key) -> per-example metrics, each shape [B].
      sample: (params, key, num) -> images [num, H, W, C] in [0, 1], or None.
      report: (params, batches, key) -> (scalars, images), the heavy end-of-training
        evaluation (e.g. importance-sampled NLL, traversals); batches yields (batch, mask).
      generate: (params, key, num, labels or None) -> images [num, H, W, C] in [0, 1] drawn
        like the data (binary draws for binary data), for sample-quality metrics; or None.
      conditional: ``generate`` honours labels (class-conditional accuracy is scored).
      players: the groups of a multi-player method, updated in this order each step.
      chain: (params, key, num) -> frames [num, F, H, W, C] in [0, 1], ``num`` sampling
        trajectories from start to sample (a diffusion's denoising, a Gibbs chain), or None.
      init_model_state: (key, example_batch) -> what each step carries besides parameters
        (persistent chains), or None. When given, ``loss`` takes it as a fourth argument,
        ``model_state``, and returns (loss, (metrics, new model_state)).
    """

    name: str
    init: Callable[[jax.Array, Batch], Params]
    loss: Callable[[Params, Batch, jax.Array], tuple[jax.Array, dict[str, jax.Array]]] | None
    eval_metrics: Callable[[Params, Batch, jax.Array], dict[str, jax.Array]]
    sample: Callable[[Params, jax.Array, int], jax.Array] | None = None
    report: (
        Callable[
            [Params, Iterable[tuple[Batch, np.ndarray]], jax.Array],
            tuple[dict[str, float], dict[str, np.ndarray]],
        ]
        | None
    ) = None
    generate: Callable[[Params, jax.Array, int, np.ndarray | None], jax.Array] | None = None
    conditional: bool = False
    players: tuple[Player, ...] = ()
    chain: Callable[[Params, jax.Array, int], jax.Array] | None = None
    init_model_state: Callable[[jax.Array, Batch], Any] | None = None


def check_choice(what: str, value: str, valid) -> None:
    """One-line error for a config string outside its valid set."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")


def network_fields(config, info: DataInfo) -> dict[str, Any]:
    """Validated encoder/decoder fields from ``config.model`` for data ``info``."""
    from genjax.models.autoencoder import ARCHITECTURES, LIKELIHOODS

    m = config.model
    check_choice("model.architecture", m.architecture, ARCHITECTURES)
    check_choice("model.likelihood", m.likelihood, LIKELIHOODS)
    if m.likelihood == "bernoulli" and not info.binary and info.pixel_range != "unit":
        raise ValueError(
            "a Bernoulli decoder needs data in [0, 1]: set data.pixel_range='unit' or "
            "model.likelihood='gaussian'"
        )
    return dict(
        image_shape=info.image_shape,
        latent_dim=m.latent_dim,
        likelihood=m.likelihood,
        architecture=m.architecture,
        hidden=tuple(m.hidden),
        conv_features=tuple(m.conv_features),
    )


def display(x: jax.Array, info: DataInfo) -> jax.Array:
    """Model-space images -> [0, 1] for grids."""
    return (x + 1.0) / 2.0 if (not info.binary and info.pixel_range == "symmetric") else x
