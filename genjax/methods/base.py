"""What a family gives the spine: a ``Method`` of pure functions, built from its typed settings.

The one loss contract: every loss — a single-optimizer method's ``loss`` and every player's —
is ``(params, batch, key, model_state) -> (loss, (metrics, model_state))``. ``model_state`` is
what a step carries besides parameters (an RBM's persistent chains, an image pool), ``None``
for stateless methods, which wrap a plain ``(params, batch, key) -> (loss, metrics)`` with
``stateless``. Every wrapper of the spine (bfloat16 compute, several steps per call, players)
composes with this one signature.
"""

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax
import numpy as np
import optax

Params = Any
ModelState = Any
Batch = dict[str, jax.Array]
Metrics = dict[str, jax.Array]
Loss = Callable[[Params, Batch, jax.Array, ModelState], tuple[jax.Array, tuple[Metrics, Any]]]
PlainLoss = Callable[[Params, Batch, jax.Array], tuple[jax.Array, Metrics]]
Report = Callable[
    [Params, Iterable[tuple[Batch, np.ndarray]], jax.Array],
    tuple[dict[str, float], dict[str, np.ndarray]],
]


def stateless(loss: PlainLoss) -> Loss:
    """A plain ``(params, batch, key) -> (loss, metrics)`` under the one loss contract: the
    model state passes through unchanged."""

    def contract(params, batch, key, model_state):
        value, metrics = loss(params, batch, key)
        return value, (metrics, model_state)

    return contract


@dataclasses.dataclass(frozen=True, kw_only=True)
class Player:
    """One parameter group of a multi-player method (a GAN's generator or discriminator, a
    deep belief net's layer).

    Attributes:
      name: the group's key in the method's params dict.
      loss: the one loss contract; differentiated with respect to ``params[name]`` only (the
        other groups are read, never updated, by this player).
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
    loss: Loss
    tx: optax.GradientTransformation
    repeats: int = 1
    ema: bool = False
    steps: tuple[int, int] | None = None
    warm_start: Callable[[Params], Params] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Score:
    """One per-example outlier score a method gives: higher means less like the training data.

    Attributes:
      fn: (params, batch, key) -> [B], on model-space batches as ``eval_metrics`` takes them.
      estimator: what the number is, for tables ("exact -log p(x)", "IS, K = 1000", ...).
      nats: ``fn`` is -log p(x) in nats (exact, a bound, an estimate, or up to a constant that
        is the same for every input): the likelihood ratio and the typicality test accept it.
    """

    fn: Callable[[Params, Batch, jax.Array], jax.Array]
    estimator: str
    nats: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class Method:
    """A family's pure functions. Images are [..., H, W, C] in [0, 1].

    A method is trained either by ``loss`` (one optimizer over all params, built by the spine
    from ``config.optim``) or by ``players`` (params is a dict of groups, each updated in turn
    by its own loss and optimizer); exactly one of the two is given.

    Attributes:
      name: the method's name (``config.method``).
      init: (key, example_batch) -> params.
      eval_metrics: (params, batch, key) -> per-example metrics, each shape [B].
      loss: the one loss contract; None for methods trained by players.
      players: the groups of a multi-player method, updated in this order each step.
      init_model_state: (key, example_batch) -> the state each step carries besides
        parameters, or None for stateless methods.
      sample: the one sampling entry point, ``sample(params, key, num, labels=None, *,
        mean=False, trajectory=False)``: ``num`` images drawn as the data are (binary draws
        for binary data; what sample-quality metrics see); ``mean=True`` gives expected images
        instead (decoder means, E[v|h]: smoother pictures); ``trajectory=True`` gives frames
        [num, F, H, W, C] from the sampler's start to the sample (a diffusion's denoising, a
        Gibbs chain). A conditional method draws for ``labels`` [num], or for the classes
        0, 1, ... in turn when None. None: the method has no sampler.
      trajectory: ``sample`` accepts ``trajectory=True``.
      conditional: ``sample`` honours labels (class-conditional accuracy is scored).
      report: (params, batches, key) -> (scalars, images), the heavy end-of-training
        evaluation (e.g. importance-sampled NLL, traversals); batches yields (batch, mask).
      translate: a translation method's map, ``translate(params, inputs, key, reverse=False)``
        -> outputs: model-space images [B, H, W, C] in [-1, 1] from the input domain to the
        target one (``reverse``: back, for CycleGAN). None for the generative families.
      scores: the outlier scores the method can give, by name (``genjax.applications``).
      decode_latent: for a model that draws z ~ N(0, I) first (VAE, GAN, VAE-GAN),
        ``decode_latent(params, key, z, labels=None)``: the images ``sample`` makes of given
        draws z [num, latent_dim] (``key`` for any later noise), so a caller can change the
        prior draws (temperature, truncation, stratified or quasi-random points). None: no
        such latent.
      latent_dim: the size of that z (0 without one).
    """

    name: str
    init: Callable[[jax.Array, Batch], Params]
    eval_metrics: Callable[[Params, Batch, jax.Array], Metrics]
    loss: Loss | None = None
    players: tuple[Player, ...] = ()
    init_model_state: Callable[[jax.Array, Batch], ModelState] | None = None
    sample: Callable[..., jax.Array] | None = None
    trajectory: bool = False
    conditional: bool = False
    report: Report | None = None
    translate: Callable[..., jax.Array] | None = None
    scores: Mapping[str, Score] = dataclasses.field(default_factory=dict)
    decode_latent: Callable[..., jax.Array] | None = None
    latent_dim: int = 0

    def __post_init__(self):
        if bool(self.players) == (self.loss is not None):
            raise ValueError(f"method {self.name!r} must give exactly one of loss and players")
