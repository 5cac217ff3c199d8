"""Deep belief net glue: a stack of Bernoulli RBMs trained greedily, one layer per stage (each
layer is a player updated only during its own stage, on binary samples from the frozen layers
below), sampled by Gibbs in the top RBM and a downward pass, scored by the variational bound
and importance sampling with the top RBM's log Z exact (one layer of ≤ 24 units) and by AIS."""

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax import energy as E
from genjax.energy import dbn as D
from genjax.methods.base import DataInfo, Method, Player, check_choice
from genjax.train.optim import player_optimizer

CHAIN_FRAMES = 10
INITS = ("transpose", "random")


def stages(stage_steps: int, total_steps: int, num_layers: int) -> list[tuple[int, int]]:
    """[start, stop) train steps of each layer's greedy stage: ``stage_steps`` each, the top
    layer's running on to ``total_steps`` (so a longer run trains the top longer; a run that
    stops early leaves the layers above untrained, to be resumed)."""
    if stage_steps < 1:
        raise ValueError(f"dbn.stage_steps must be >= 1; got {stage_steps}")
    edges = [min(i * stage_steps, total_steps) for i in range(num_layers)] + [total_steps]
    return list(zip(edges[:-1], edges[1:], strict=True))


def make(config: ml_collections.ConfigDict, info: DataInfo) -> Method:
    """Build the DBN method.

    Args:
      config: model.hidden (layer sizes from the visibles up; the last pair is the top RBM),
        dbn (init: "transpose" starts each layer above the first as the trained layer below
        transposed, Hinton et al.'s tied start, so the bound begins at the layer below's own
        likelihood; stage_steps: the train steps of each layer below the top, which trains
        from then to train.steps; gibbs_steps k of CD-k, sample_steps, eval_samples,
        ais_chains, ais_betas),
        eval.nll_samples / nll_chunk (the report's K), optim (per layer: optim.layer<l>).
      info: binary data.

    Returns:
      The Method; params are {"layer0": rbm, "layer1": rbm, ...}, each its own player.
    """
    if not info.binary:
        raise ValueError(
            "a deep belief net of Bernoulli RBMs needs binary data: data.variant='binary'"
        )
    hidden = tuple(int(h) for h in config.model.hidden)
    if not hidden:
        raise ValueError("model.hidden must name at least one layer size, e.g. (20, 64)")
    sizes = (int(np.prod(info.image_shape)), *hidden)
    names = tuple(f"layer{i}" for i in range(len(hidden)))
    dc = config.dbn
    k, eval_k = int(dc.gibbs_steps), int(dc.eval_samples)
    exact_top = E.exact_is_feasible(sizes[-2], sizes[-1])
    # Two layers with a summable h1: exact log p(v); the top RBM (h1, h2) is then summable too.
    exact_marginal = len(hidden) == 2 and hidden[0] <= E.partition.MAX_EXACT_HIDDEN

    def flat(batch):
        return batch["image"].reshape(batch["image"].shape[0], -1)

    def stack(params):
        return [params[n] for n in names]

    def init(key, batch):
        del batch
        return {
            n: E.init_params(jax.random.fold_in(key, i), sizes[i], sizes[i + 1])
            for i, n in enumerate(names)
        }

    def layer_loss(i):
        def loss(params, batch, key):
            k_up, k_gibbs = jax.random.split(key)
            v = flat(batch)
            if i > 0:  # binary samples from the frozen layers below
                v = D.recognise(stack(params)[:i], v, k_up)[-1]
            rbm = params[names[i]]
            value, metrics = E.contrastive_divergence_loss(
                rbm, v, E.gibbs_chain(rbm, v, k_gibbs, k)
            )
            return value, {f"{names[i]}_free_energy_gap": metrics["free_energy_gap"]}

        return loss

    check_choice("dbn.init", dc.init, INITS)
    if dc.init == "transpose":
        bad = [i for i in range(1, len(hidden)) if sizes[i + 1] != sizes[i - 1]]
        if bad:
            raise ValueError(
                f"dbn.init='transpose' starts layer l as layer l-1 transposed and needs sizes "
                f"n_(l+1) = n_(l-1); layer sizes {sizes} break it at layer {bad[0]}: set "
                "dbn.init='random' or change model.hidden"
            )

    def below_transposed(i):
        return lambda params: E.transpose(params[names[i - 1]])

    players = []
    for i, (start, stop) in enumerate(stages(int(dc.stage_steps), config.train.steps, len(names))):
        tx = player_optimizer(config, names[i], steps=max(stop - start, 1))
        warm = below_transposed(i) if i > 0 and dc.init == "transpose" else None
        players.append(Player(names[i], layer_loss(i), tx, steps=(start, stop), warm_start=warm))

    def eval_metrics(params, batch, key):
        layers, v = stack(params), flat(batch)
        log_w = D.log_weights(layers, v, key, eval_k)
        out = {"neg_log_w": -jnp.mean(log_w, axis=0)}  # the bound's NLL, less log Z_top
        if exact_top:
            est = D.bounds(log_w, E.exact_log_partition(layers[-1]))
            out["nll_bound"], out[f"nll_is{eval_k}"] = -est["elbo"], -est["is"]
        return out

    def to_images(v):
        return v.reshape(*v.shape[:-1], *info.image_shape)

    @functools.partial(jax.jit, static_argnums=2)
    def sample(params, key, num):
        return to_images(D.generate(stack(params), key, num, int(dc.sample_steps)))

    @functools.partial(jax.jit, static_argnums=2)
    def generate(params, key, num, y=None):
        del y
        p = D.generate(stack(params), key, num, int(dc.sample_steps))
        return to_images(jax.random.bernoulli(jax.random.fold_in(key, 1), p).astype(p.dtype))

    @functools.partial(jax.jit, static_argnums=2)
    def chain(params, key, num):
        vs = D.generate(stack(params), key, num, int(dc.sample_steps), trajectory=True)
        frames = np.unique(np.geomspace(1, vs.shape[0], CHAIN_FRAMES).astype(int)) - 1
        return to_images(jnp.swapaxes(vs[frames], 0, 1))

    @functools.partial(jax.jit, static_argnums=(3, 4))
    def batch_log_w(params, v, key, num_samples, chunk):
        """log w [K, B] in chunks of ``chunk`` draws, with the top's visible data [B, H]."""
        layers = stack(params)
        keys = jax.random.split(key, num_samples // chunk)
        log_w = jax.lax.map(lambda kk: D.log_weights(layers, v, kk, chunk), keys)
        top_data = D.recognise(layers[:-1], v, key)[-1] if len(layers) > 1 else v
        return log_w.reshape(num_samples, v.shape[0]), top_data

    @jax.jit
    def ais(top, base_bias, key):
        return E.ais_log_partition(top, base_bias, key, int(dc.ais_chains), int(dc.ais_betas))

    def report(params, batches, key):
        layers, (key, k_ais) = stack(params), jax.random.split(key)
        num_k, chunk = int(config.eval.nll_samples), int(config.eval.nll_chunk)
        if num_k % chunk:
            raise ValueError(
                f"eval.nll_samples ({num_k}) must be a multiple of eval.nll_chunk ({chunk})"
            )
        elbo, iw, top_data, data = [], [], [], []
        for i, (batch, mask) in enumerate(batches):
            keep = np.asarray(mask) > 0
            v = flat(batch)
            log_w, h = batch_log_w(params, v, jax.random.fold_in(key, i), num_k, chunk)
            est = D.bounds(log_w, 0.0)
            elbo.append(np.asarray(est["elbo"], np.float64)[keep])
            iw.append(np.asarray(est["is"], np.float64)[keep])
            top_data.append(np.asarray(h)[keep])
            data.append(np.asarray(v)[keep])
        elbo, iw, v = np.concatenate(elbo), np.concatenate(iw), jnp.asarray(np.concatenate(data))
        log_zs = {}
        if exact_top:
            log_zs["exact"] = float(E.exact_log_partition(layers[-1]))
        base = E.data_log_odds(jnp.asarray(np.concatenate(top_data).mean(axis=0)))
        est = {n: float(x) for n, x in ais(layers[-1], base, k_ais).items()}
        log_zs["ais"] = est["log_z"]
        scalars = {f"top_ais_{n}": x for n, x in est.items()}
        scalars.update(nll_examples=float(len(elbo)), nll_samples=float(num_k))
        for kind, log_z in log_zs.items():
            scalars[f"top_{kind}_log_z"] = log_z
            scalars[f"test_nll_bound_{kind}"] = float(log_z - elbo.mean())
            scalars[f"test_nll_is_{kind}"] = float(log_z - iw.mean())
        if exact_marginal:
            exact = D.exact_log_prob(layers, v, jnp.asarray(log_zs["exact"]))
            scalars["test_nll_exact"] = float(-np.mean(np.asarray(exact, np.float64)))
        if E.exact_is_feasible(*layers[0]["W"].shape):  # the first RBM alone
            nll0 = E.nll(layers[0], v, E.exact_log_partition(layers[0]))
            scalars["layer0_test_nll_exact"] = float(np.mean(np.asarray(nll0, np.float64)))
        filters = np.asarray(layers[0]["W"]).T.reshape(sizes[1], *info.image_shape)
        filters = (filters - filters.min()) / max(filters.max() - filters.min(), 1e-8)
        return scalars, {"filters": filters, "chain": np.asarray(chain(params, key, 4))}

    return Method(
        "dbn",
        init,
        None,
        eval_metrics,
        sample,
        report,
        generate,
        players=tuple(players),
        chain=chain,
    )
