"""Latent-variable family: VAE, β-VAE, conditional VAE and IWAE on one encoder-decoder."""

import dataclasses
import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from genjax.checks import check_at_least, check_choice, read_borrowed, read_section
from genjax.data import DataInfo, display, masked_mean
from genjax.inference import (
    importance_log_likelihood,
    importance_statistics,
    interpolation_grids,
    traversal_grid,
)
from genjax.losses import (
    elbo_loss,
    gaussian_posterior_log_weights_at,
    iwae_bound,
    iwae_loss,
    kl_diag_gaussians,
    reparameterize,
)
from genjax.methods.base import Method, Score, stateless
from genjax.methods.common import (
    NLL_FIELDS,
    NLLConfig,
    labelled_latent_grids,
    labels_of,
    make_latent_decoder,
    make_sampler,
    metric_score,
    originals_over_reconstructions,
)
from genjax.methods.encoder_decoder import NetworkConfig, log_likelihood, mean_image
from genjax.models.vae import VAE

VARIANTS = ("vae", "beta_vae", "cvae", "iwae")
# The loss fields each variant reads; any other field of config.loss is an error.
LOSS_FIELDS = {"vae": (), "beta_vae": ("beta",), "cvae": (), "iwae": ("num_importance",)}


@dataclasses.dataclass(frozen=True)
class VAELoss:
    """``config.loss``: beta, the β-VAE's KL weight; num_importance, IWAE's K."""

    beta: float = 1.0
    num_importance: int = 1

    def __post_init__(self):
        check_at_least("loss.beta", self.beta, 0.0)
        check_at_least("loss.num_importance", self.num_importance, 1)


@dataclasses.dataclass(frozen=True)
class ELBODraws:
    """``config.eval.elbo_samples``: draws of z per example averaged in the evaluated ELBO and
    its terms (the demo's test ELBO on the 297 test digits has a standard deviation over
    evaluation keys of 0.18 nats with one draw, 0.005 with 1,000)."""

    elbo_samples: int = 100

    def __post_init__(self):
        check_at_least("eval.elbo_samples", self.elbo_samples, 1)


# The fields of config.eval a VAE variant reads.
EVAL_FIELDS = (*NLL_FIELDS, "elbo_samples")


@dataclasses.dataclass(frozen=True, kw_only=True)
class VAEConfig:
    """A VAE variant's typed settings: its network, its loss, its NLL estimate and the draws of
    its evaluated ELBO."""

    variant: str
    network: NetworkConfig
    loss: VAELoss
    nll: NLLConfig
    elbo: ELBODraws = ELBODraws()

    @property
    def conditional(self) -> bool:
        return self.variant == "cvae"


def read_config(config: Mapping, variant: str, strict: bool = True) -> VAEConfig:
    """``config``'s model and loss sections and its eval.nll_* and eval.elbo_samples as
    ``variant``'s typed settings."""
    check_choice("VAE variant", variant, VARIANTS)
    owner = f"method {variant}"
    loss = read_section(
        config.get("loss"),
        VAELoss,
        "loss",
        owner=owner,
        applicable=LOSS_FIELDS[variant],
        strict=strict,
    )
    return VAEConfig(
        variant=variant,
        network=NetworkConfig.read(config.get("model"), owner, strict),
        loss=loss,
        nll=NLLConfig.read(config.get("eval"), owner, strict),
        elbo=read_borrowed(config.get("eval"), ELBODraws, "eval", owner, strict),
    )


def elbo_terms(model: VAE, params, x, y, key) -> tuple[jax.Array, jax.Array]:
    """(log p(x | z) at one z ~ q(z | x), KL(q(z | x) || p(z))) per example."""
    mean, log_var = model.apply(params, x, y, method=VAE.encode)
    z = reparameterize(key, mean, log_var)
    return log_likelihood(model.apply(params, z, y, method=VAE.decode), x), kl_diag_gaussians(
        mean, log_var
    )


def log_weights(model: VAE, params, x, y, key, num: int) -> jax.Array:
    """IWAE log-weights log p(x, z) - log q(z | x) of ``num`` draws z ~ q(z | x): [num, B]."""
    mean, log_var = model.apply(params, x, y, method=VAE.encode)
    eps = jax.random.normal(key, (num, *mean.shape), mean.dtype)
    return weights_at(model, params, x, y, mean, log_var, eps)


def vae_log_weights_at(model: VAE, params, x, y, eps: jax.Array) -> jax.Array:
    """``log_weights`` at given noise ε [K, B, D] ~ N(0, I) (z = μ + σ ε): any base sampler."""
    mean, log_var = model.apply(params, x, y, method=VAE.encode)
    return weights_at(model, params, x, y, mean, log_var, eps)


def weights_at(model: VAE, params, x, y, mean, log_var, eps: jax.Array) -> jax.Array:
    """Log-weights of z = mean + exp(log_var / 2) ε under the decoder and the prior: [K, B]."""
    num, (b, d) = eps.shape[0], mean.shape
    y_rep = None if y is None else jnp.tile(y, num)

    def decoder_log_likelihood(z):
        out = model.apply(params, z.reshape(num * b, d), y_rep, method=VAE.decode)
        out = jax.tree.map(lambda a: a.reshape(num, b, *a.shape[1:]) if a.ndim > 3 else a, out)
        return log_likelihood(out, x[None], batch_ndim=2)

    return gaussian_posterior_log_weights_at(decoder_log_likelihood, mean, log_var, eps)


def loss(model: VAE, cfg: VAEConfig, params, batch, key):
    """The variant's objective: -ELBO, -β-ELBO, or the negative IWAE bound."""
    x, y = batch["image"], labels_of(batch, cfg.conditional)
    if cfg.variant == "iwae":
        return iwae_loss(log_weights(model, params, x, y, key, cfg.loss.num_importance))
    ll, kl = elbo_terms(model, params, x, y, key)
    return elbo_loss(ll, kl, cfg.loss.beta if cfg.variant == "beta_vae" else 1.0)


def mean_elbo_terms(model: VAE, params, x, y, key, draws: int) -> tuple[jax.Array, jax.Array]:
    """(log p(x | z) averaged over ``draws`` z ~ q(z | x), KL(q(z | x) || p(z))) per example:
    one encoder pass, the draws decoded one at a time (memory of one draw)."""
    mean, log_var = model.apply(params, x, y, method=VAE.encode)

    def body(total, k):
        z = reparameterize(k, mean, log_var)
        return total + log_likelihood(model.apply(params, z, y, method=VAE.decode), x), None

    total, _ = jax.lax.scan(body, jnp.zeros(x.shape[0]), jax.random.split(key, draws))
    return total / draws, kl_diag_gaussians(mean, log_var)


def eval_metrics(model: VAE, cfg: VAEConfig, params, batch, key) -> dict[str, jax.Array]:
    """Per-example ELBO and its terms averaged over ``eval.elbo_samples`` draws of z (and the
    IWAE variant's K-sample bound)."""
    x, y = batch["image"], labels_of(batch, cfg.conditional)
    ll, kl = mean_elbo_terms(model, params, x, y, key, cfg.elbo.elbo_samples)
    out = {"elbo": ll - kl, "log_likelihood": ll, "kl": kl}
    if cfg.variant == "iwae":
        k = cfg.loss.num_importance
        out[f"iwae_bound_{k}"] = iwae_bound(log_weights(model, params, x, y, key, k))
    return out


def decode_mean(model: VAE, info: DataInfo, params, z, y=None) -> jax.Array:
    """E[x | z] as images in [0, 1]."""
    return display(mean_image(model.apply(params, z, y, method=VAE.decode)), info)


def draw(model: VAE, info: DataInfo, params, key, num, labels, mean, trajectory):
    """z ~ N(0, I), then x ~ Bernoulli(p) for binary data; for gray data (and ``mean``) the
    decoder's mean (per-pixel noise left out, as is usual), clipped to the data range."""
    del trajectory
    k_z, k_x = jax.random.split(key)
    z = jax.random.normal(k_z, (num, model.latent_dim))
    return draw_at(model, info, params, k_x, z, labels, mean)


def draw_at(model: VAE, info: DataInfo, params, key, z, labels, mean: bool = False):
    """``draw`` of given prior draws z [num, latent_dim]; ``key`` for the pixel noise."""
    out = model.apply(params, z, labels, method=VAE.decode)
    if mean:
        return display(mean_image(out), info)
    if info.binary and "logits" in out:
        return jax.random.bernoulli(key, jax.nn.sigmoid(out["logits"])).astype(jnp.float32)
    low = -1.0 if info.pixel_range == "symmetric" else 0.0
    return display(jnp.clip(mean_image(out), low, 1.0), info)


def is_nll(model: VAE, params, x, y, key, num_samples: int, chunk: int) -> jax.Array:
    """-log p(x) per example, importance-sampled with ``num_samples`` draws from q(z | x)."""
    fn = lambda k, n: log_weights(model, params, x, y, k, n)
    return -importance_log_likelihood(fn, key, num_samples, chunk)


def is_nll_and_ess(model: VAE, params, x, y, key, num_samples: int, chunk: int):
    """``is_nll`` and the effective sample size of its importance weights, per example."""
    fn = lambda k, n: log_weights(model, params, x, y, k, n)
    log_p, ess = importance_statistics(fn, key, num_samples, chunk)
    return {"nll": -log_p, "ess": ess}


def report(model: VAE, cfg: VAEConfig, info: DataInfo, params, batches, key):
    """The test split's importance-sampled NLL with the mean effective sample size of its
    weights (Kish's, out of K), active units (Burda et al. 2016: variance of the posterior mean
    over the split above 0.01), and the latent-space pictures."""
    batches = list(batches)
    nll_fn = jax.jit(functools.partial(is_nll_and_ess, model), static_argnums=(4, 5))
    encode = jax.jit(lambda p, x, y: model.apply(p, x, y, method=VAE.encode)[0])
    k, chunk = cfg.nll.nll_samples, cfg.nll.nll_chunk

    def nll_of(i, batch):
        y = labels_of(batch, cfg.conditional)
        return nll_fn(params, batch["image"], y, jax.random.fold_in(key, i), k, chunk)

    def means_of(batch, mask):
        return np.asarray(encode(params, batch["image"], labels_of(batch, cfg.conditional)))[
            mask > 0
        ]

    nll = masked_mean((nll_of(i, b), m) for i, (b, m) in enumerate(batches))
    means = np.concatenate([means_of(b, m) for b, m in batches])
    active = np.var(means, axis=0) > 0.01
    scalars = {
        "test_is_nll": nll["nll"],
        "test_is_ess": nll["ess"],
        "nll_samples": float(k),
        "elbo_samples": float(cfg.elbo.elbo_samples),
        "active_units": float(active.sum()),
    }
    first = batches[0][0]
    y = labels_of(first, cfg.conditional)
    return scalars, latent_images(model, info, params, first, y, means)


def latent_images(model: VAE, info: DataInfo, params, batch, y, means) -> dict:
    """Reconstructions of the batch's first 8 examples; a traversal of the 10 latents whose
    posterior means vary most; lerp and slerp between posterior means (labels held at the
    first example's for a conditional model)."""
    decode = jax.jit(functools.partial(decode_mean, model, info))
    x = batch["image"][:8]
    y8 = None if y is None else y[:8]
    z = model.apply(params, x, y8, method=VAE.encode)[0]
    recon = originals_over_reconstructions(display(x, info), decode(params, z, y8))
    order = np.argsort(-np.var(means, axis=0))[: min(10, means.shape[1])]
    values = jnp.linspace(-3.0, 3.0, 9)
    held = lambda n: None if y is None else jnp.full((n,), y[0])
    trav = traversal_grid(lambda v: decode(params, v, held(v.shape[0])), means[0], order, values)
    paths = interpolation_grids(
        lambda v: decode(params, v, held(v.shape[0])), means[0:8:2], means[1:8:2], 10
    )
    grids = labelled_latent_grids({"traversal": trav, **paths}, order, np.asarray(values))
    return {"reconstructions": recon, **grids}


def scores(model: VAE, cfg: VAEConfig) -> dict[str, Score]:
    """The importance-sampled -log p(x) (K = eval.nll_samples) and the negative ELBO
    (eval.elbo_samples draws),
    conditional on the batch's labels for a conditional model."""
    k, chunk = cfg.nll.nll_samples, cfg.nll.nll_chunk

    def nll(params, batch, key):
        y = labels_of(batch, cfg.conditional)
        return is_nll(model, params, batch["image"], y, key, k, chunk)

    metrics = functools.partial(eval_metrics, model, cfg)
    return {
        "is_nll": Score(fn=nll, estimator=f"IS -log p(x), K = {k}", nats=True),
        "elbo": metric_score(
            metrics, "elbo", f"-ELBO, {cfg.elbo.elbo_samples} draws of z", True, sign=-1.0
        ),
    }


def build(cfg: VAEConfig, info: DataInfo) -> Method:
    """The variant's Method for data ``info``."""
    if cfg.conditional and info.num_classes == 0:
        raise ValueError("a conditional model needs a labelled dataset (this one has no labels)")
    classes = info.num_classes if cfg.conditional else 0
    model = VAE(**cfg.network.module_fields(info), num_classes=classes)

    def init(key, batch):
        return model.init(key, batch["image"], key, labels_of(batch, cfg.conditional))

    return Method(
        name=cfg.variant,
        init=init,
        loss=stateless(functools.partial(loss, model, cfg)),
        eval_metrics=functools.partial(eval_metrics, model, cfg),
        sample=make_sampler(functools.partial(draw, model, info), cfg.variant, classes, False),
        decode_latent=make_latent_decoder(
            functools.partial(draw_at, model, info), cfg.variant, classes, model.latent_dim
        ),
        latent_dim=model.latent_dim,
        conditional=cfg.conditional,
        report=functools.partial(report, model, cfg, info),
        scores=scores(model, cfg),
    )
