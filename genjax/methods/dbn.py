"""Deep belief net: a stack of Bernoulli RBMs trained greedily, one layer per stage (each layer
is a player updated only during its own stage, on binary samples from the frozen layers below),
sampled by Gibbs in the top RBM and a downward pass, scored by the variational bound and
importance sampling with the top RBM's log Z exact (one layer of ≤ 24 units) and by AIS."""

import dataclasses
import functools
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from genjax import energy as E
from genjax.checks import check_at_least, check_choice, read_borrowed
from genjax.data import DataInfo
from genjax.energy import dbn as D
from genjax.methods.base import Method, Player, stateless
from genjax.methods.common import (
    NLLConfig,
    chain_picture,
    flat,
    make_sampler,
    metric_score,
    read_sections,
    select_frames,
    weights_picture,
)
from genjax.optim import OptimConfig, make_optimizer

CHAIN_FRAMES = 10
INITS = ("transpose", "random")


@dataclasses.dataclass(frozen=True)
class StackConfig:
    """``config.dbn``: how each layer above the first starts ("transpose": the trained layer
    below transposed, Hinton et al.'s tied start, where the net equals that RBM and the bound
    is tight; "random"), each lower layer's stage in steps (the top trains from there to
    train.steps), CD's k, Gibbs sweeps for samples, q draws per example for the bounds at each
    eval step, and AIS's size."""

    init: str = "transpose"
    stage_steps: int = 7_500
    gibbs_steps: int = 1
    sample_steps: int = 1_000
    eval_samples: int = 10
    ais_chains: int = 100
    ais_betas: int = 10_000

    def __post_init__(self):
        check_choice("dbn.init", self.init, INITS)
        for name in ("stage_steps", "gibbs_steps", "sample_steps", "eval_samples", "ais_chains"):
            check_at_least(f"dbn.{name}", getattr(self, name), 1)


@dataclasses.dataclass(frozen=True)
class DBNModel:
    """``config.model``: hidden, the layer sizes from the visibles up."""

    hidden: tuple[int, ...] = (20, 64)

    def __post_init__(self):
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(
                f"model.hidden must list layer sizes >= 1, e.g. (20, 64); got {self.hidden}"
            )


@dataclasses.dataclass(frozen=True)
class RunLength:
    steps: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DBNConfig:
    hidden: tuple[int, ...]
    stack: StackConfig
    nll: NLLConfig
    optimizers: tuple[OptimConfig, ...]
    steps: int


def read_config(config: Mapping, strict: bool = True) -> DBNConfig:
    """The model, dbn, optim (with optim.layer<l> overrides), eval.nll_* and train.steps
    fields as typed settings."""
    owner = "method dbn"
    s = read_sections(config, owner, strict, model=DBNModel, dbn=StackConfig)
    hidden, optim = s["model"].hidden, config.get("optim") or {}
    return DBNConfig(
        hidden=hidden,
        stack=s["dbn"],
        nll=NLLConfig.read(config.get("eval"), owner, strict),
        optimizers=tuple(
            OptimConfig.for_player(optim, f"layer{i}", strict) for i in range(len(hidden))
        ),
        steps=read_borrowed(config.get("train"), RunLength, "train", owner, strict).steps,
    )


def stages(stage_steps: int, total_steps: int, num_layers: int) -> list[tuple[int, int]]:
    """[start, stop) train steps of each layer's greedy stage: ``stage_steps`` each, the top
    layer's running on to ``total_steps`` (so a longer run trains the top longer; a run that
    stops early leaves the layers above untrained, to be resumed)."""
    edges = [min(i * stage_steps, total_steps) for i in range(num_layers)] + [total_steps]
    return list(zip(edges[:-1], edges[1:], strict=True))


class Stack(NamedTuple):
    names: tuple[str, ...]  # "layer0", ... bottom first
    sizes: tuple[int, ...]  # visibles, then each hidden layer
    cfg: DBNConfig

    def layers(self, params) -> list:
        return [params[n] for n in self.names]


def layer_loss(stack: Stack, i: int, params, batch, key):
    """CD-k of layer ``i`` on binary samples of the frozen layers below it."""
    k_up, k_gibbs = jax.random.split(key)
    v = flat(batch)
    if i > 0:
        v = D.recognise(stack.layers(params)[:i], v, k_up)[-1]
    rbm = params[stack.names[i]]
    chains = E.gibbs_chain(rbm, v, k_gibbs, stack.cfg.stack.gibbs_steps)
    value, metrics = E.cd_loss(rbm, v, chains)
    return value, {f"{stack.names[i]}_free_energy_gap": metrics["free_energy_gap"]}


def eval_metrics(stack: Stack, exact_top: bool, params, batch, key) -> dict[str, jax.Array]:
    """Per-example -mean log w (the bound's NLL less log Z_top) and, with the top's exact
    log Z, the bound and the IS estimate with ``eval_samples`` draws."""
    layers, k = stack.layers(params), stack.cfg.stack.eval_samples
    log_w = D.log_weights(layers, flat(batch), key, k)
    out = {"neg_log_w": -jnp.mean(log_w, axis=0)}
    if exact_top:
        est = D.bounds(log_w, E.exact_log_partition(layers[-1]))
        out["nll_bound"], out[f"nll_is{k}"] = -est["elbo"], -est["is"]
    return out


def draw(stack: Stack, info: DataInfo, params, key, num, labels, mean, trajectory):
    """Gibbs in the top RBM, then down the stack: p(v | h_1) with ``mean``, else a binary draw
    of it; with ``trajectory`` geometrically spaced sweeps, each carried down."""
    del labels
    steps = stack.cfg.stack.sample_steps
    p = D.generate(stack.layers(params), key, num, steps, trajectory=trajectory)
    if trajectory:
        p = select_frames(p, CHAIN_FRAMES, "geometric")
    elif not mean:
        p = jax.random.bernoulli(jax.random.fold_in(key, 1), p).astype(p.dtype)
    return p.reshape(*p.shape[:-1], *info.image_shape)


def batch_log_w(stack: Stack, params, v, key, num_samples: int, chunk: int):
    """log w [K, B] in chunks of ``chunk`` draws, and the top RBM's visible data [B, H]."""
    layers = stack.layers(params)
    keys = jax.random.split(key, num_samples // chunk)
    log_w = jax.lax.map(lambda kk: D.log_weights(layers, v, kk, chunk), keys)
    top_data = D.recognise(layers[:-1], v, key)[-1] if len(layers) > 1 else v
    return log_w.reshape(num_samples, v.shape[0]), top_data


def test_bounds(stack: Stack, params, batches, key):
    """Per test example (padding dropped): the bound's and IS's log p(v) + log Z_top, the top
    RBM's visible data, and the data, as float64 / float32 numpy arrays."""
    k, chunk = stack.cfg.nll.nll_samples, stack.cfg.nll.nll_chunk
    fn = jax.jit(functools.partial(batch_log_w, stack), static_argnums=(3, 4))
    parts = {"elbo": [], "is": [], "top": [], "v": []}
    for i, (batch, mask) in enumerate(batches):
        keep, v = np.asarray(mask) > 0, flat(batch)
        log_w, top = fn(params, v, jax.random.fold_in(key, i), k, chunk)
        est = D.bounds(log_w, 0.0)
        for name, value in (("elbo", est["elbo"]), ("is", est["is"]), ("top", top), ("v", v)):
            dtype = np.float64 if name in ("elbo", "is") else np.float32
            parts[name].append(np.asarray(value, dtype)[keep])
    return {name: np.concatenate(values) for name, values in parts.items()}


def report(stack: Stack, info: DataInfo, exact_top: bool, sample, params, batches, key):
    """Test NLL by the bound and by IS with K = eval.nll_samples, each with the top's log Z
    exact (where summable) and by AIS; the exact log p(v) of a two-layer net with a summable
    h_1; the first RBM alone; filters and chains."""
    layers, (key, k_ais) = stack.layers(params), jax.random.split(key)
    t = test_bounds(stack, params, batches, key)
    s = stack.cfg.stack
    ais = jax.jit(E.ais_log_partition, static_argnums=(3, 4))
    base = E.data_log_odds(jnp.asarray(t["top"].mean(axis=0)))
    est = {n: float(x) for n, x in ais(layers[-1], base, k_ais, s.ais_chains, s.ais_betas).items()}
    log_zs = {"exact": float(E.exact_log_partition(layers[-1]))} if exact_top else {}
    log_zs["ais"] = est["log_z"]
    scalars = {f"top_ais_{n}": x for n, x in est.items()}
    scalars.update(nll_examples=float(len(t["elbo"])), nll_samples=float(stack.cfg.nll.nll_samples))
    for kind, log_z in log_zs.items():
        scalars[f"top_{kind}_log_z"] = log_z
        scalars[f"test_nll_bound_{kind}"] = float(log_z - t["elbo"].mean())
        scalars[f"test_nll_is_{kind}"] = float(log_z - t["is"].mean())
    v = jnp.asarray(t["v"])
    # Two layers with a summable h_1: exact log p(v) (the top RBM (h_1, h_2) is summable too).
    if len(layers) == 2 and stack.sizes[1] <= E.partition.MAX_EXACT_HIDDEN:
        exact = D.exact_log_prob(layers, v, jnp.asarray(log_zs["exact"]))
        scalars["test_nll_exact"] = float(-np.mean(np.asarray(exact, np.float64)))
    if E.exact_is_feasible(*layers[0]["W"].shape):  # the first RBM alone
        nll0 = E.nll(layers[0], v, E.exact_log_partition(layers[0]))
        scalars["layer0_test_nll_exact"] = float(np.mean(np.asarray(nll0, np.float64)))
    filters = np.asarray(layers[0]["W"]).T.reshape(stack.sizes[1], *info.image_shape)
    chains = np.asarray(sample(params, key, 4, trajectory=True))
    chain = chain_picture(
        chains,
        "noise",
        "last sweep",
        stack.cfg.stack.sample_steps,
        "geometric",
        "Gibbs sweep",
        CHAIN_FRAMES,
    )
    return scalars, {"filters": weights_picture(filters), "chain": chain}


def players(stack: Stack) -> tuple[Player, ...]:
    """One player per layer, updated only in its stage, on its own optimizer over it."""
    cfg, out = stack.cfg, []
    for i, (start, stop) in enumerate(stages(cfg.stack.stage_steps, cfg.steps, len(stack.names))):
        warm = None
        if i > 0 and cfg.stack.init == "transpose":
            warm = lambda params, below=stack.names[i - 1]: E.transpose(params[below])
        tx = make_optimizer(cfg.optimizers[i], max(stop - start, 1))
        loss = stateless(functools.partial(layer_loss, stack, i))
        out.append(
            Player(name=stack.names[i], loss=loss, tx=tx, steps=(start, stop), warm_start=warm)
        )
    return tuple(out)


def build(cfg: DBNConfig, info: DataInfo) -> Method:
    """The DBN Method for binary data ``info``; params are {"layer0": rbm, "layer1": ...}."""
    if not info.binary:
        raise ValueError(
            "a deep belief net of Bernoulli RBMs needs binary data: data.variant='binary'"
        )
    sizes = (info.num_pixels, *cfg.hidden)
    if cfg.stack.init == "transpose":
        bad = [i for i in range(1, len(cfg.hidden)) if sizes[i + 1] != sizes[i - 1]]
        if bad:
            raise ValueError(
                f"dbn.init='transpose' starts layer l as layer l-1 transposed and needs sizes "
                f"n_(l+1) = n_(l-1); layer sizes {sizes} break it at layer {bad[0]}: set "
                "dbn.init='random' or change model.hidden"
            )
    stack = Stack(tuple(f"layer{i}" for i in range(len(cfg.hidden))), sizes, cfg)
    exact_top = E.exact_is_feasible(sizes[-2], sizes[-1])

    def init(key, batch):
        del batch
        return {
            n: E.init_params(jax.random.fold_in(key, i), sizes[i], sizes[i + 1])
            for i, n in enumerate(stack.names)
        }

    sample = make_sampler(functools.partial(draw, stack, info), "dbn", 0, True)
    metrics, k = functools.partial(eval_metrics, stack, exact_top), cfg.stack.eval_samples
    # Without the top's log Z, -mean log w is -log p(x) up to that one constant.
    scores = {"neg_log_w": metric_score(metrics, "neg_log_w", f"bound + log Z_top, K = {k}", True)}
    if exact_top:
        scores["nll"] = metric_score(metrics, f"nll_is{k}", f"IS, K = {k}, exact top log Z", True)
    return Method(
        name="dbn",
        init=init,
        players=players(stack),
        eval_metrics=metrics,
        sample=sample,
        trajectory=True,
        report=functools.partial(report, stack, info, exact_top, sample),
        scores=scores,
    )
