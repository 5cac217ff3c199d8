"""Unpaired translation: CycleGAN (Zhu et al. 2017). Two generators G_AB, G_BA (one optimizer,
as the authors), two PatchGAN discriminators D_A, D_B (one optimizer); least-squares games,
cycle consistency λ·|G_BA(G_AB(a)) − a| both ways, the identity loss λ_id·λ·|G_AB(b) − b|, and
each discriminator fed from an image pool of 50 past fakes.

Each step is the authors' order: the generators' update, then the discriminators' on real
images and on pool draws of the fakes the generators made in this step before their update
(carried to the discriminators in the model state with the pools; the state checkpoints, so
resume is exact).
"""

import functools
from collections.abc import Mapping

import jax
import jax.numpy as jnp

from genjax.data import DataInfo
from genjax.losses import (
    PATCH_GAN_LOSSES,
    cycle_consistency_loss,
    identity_loss,
    pool_init,
    pool_query,
)
from genjax.methods.base import Method, Player
from genjax.methods.translation import (
    TranslationConfig,
    build_discriminator,
    build_generator,
    center,
    check_translation_data,
    grid_rows,
    jitter,
    per_example_l1,
)
from genjax.methods.translation import read_config as read_translation
from genjax.optim import make_optimizer

PLAYERS = ("generators", "discriminators")


def read_config(config: Mapping, strict: bool = True) -> TranslationConfig:
    """The typed settings of cyclegan."""
    return read_translation(config, "cyclegan", PLAYERS, strict)


def _reals(info: DataInfo, batch, key):
    """Domain A and B images of the batch, each jittered on its own (unaligned data)."""
    k_a, k_b = jax.random.split(key)
    size = info.image_shape[0]
    return (
        jitter(k_a, batch["input"], size, info.flip),
        jitter(k_b, batch["image"], size, info.flip),
    )


def generators_loss(nets, cfg: TranslationConfig, info: DataInfo, params, batch, key, state):
    """Adversarial (G_AB against D_B, G_BA against D_A), cycle and identity terms; the fakes
    go into the model state for the discriminators."""
    g, d = nets
    gen, disc = params["generators"], params["discriminators"]
    k_real, k_drop = jax.random.split(key)
    a, b = _reals(info, batch, k_real)
    drops = iter(jax.random.split(k_drop, 6))  # each generator pass its own dropout mask
    run = lambda name, x: g[name].apply(gen[name], x, dropout=True, rngs={"dropout": next(drops)})
    fake_b, fake_a = run("ab", a), run("ba", b)
    game = PATCH_GAN_LOSSES[cfg.loss.adversarial]
    adv_b, _ = game.generator(d.apply(disc["b"], fake_b))
    adv_a, _ = game.generator(d.apply(disc["a"], fake_a))
    cycle_a = cycle_consistency_loss(a, run("ba", fake_b))
    cycle_b = cycle_consistency_loss(b, run("ab", fake_a))
    lam, total = cfg.loss.cycle_weight, adv_a + adv_b + cfg.loss.cycle_weight * (cycle_a + cycle_b)
    metrics = {"g_ab_adversarial": adv_b, "g_ba_adversarial": adv_a}
    metrics.update(cycle_a=cycle_a, cycle_b=cycle_b)
    if cfg.loss.identity_weight > 0:
        idt_b = identity_loss(b, run("ab", b))
        idt_a = identity_loss(a, run("ba", a))
        total += cfg.loss.identity_weight * lam * (idt_a + idt_b)
        metrics.update(identity_a=idt_a, identity_b=idt_b)
    fakes = {"fake_a": jax.lax.stop_gradient(fake_a), "fake_b": jax.lax.stop_gradient(fake_b)}
    return total, (metrics, {**state, **fakes})


def discriminators_loss(nets, cfg: TranslationConfig, info: DataInfo, params, batch, key, state):
    """Each discriminator's 0.5 (real + fake) on its domain's real images and a pool draw of
    this step's fakes; the pools are updated."""
    _, d = nets
    k_real, k_a, k_b = jax.random.split(key, 3)
    a, b = _reals(info, batch, k_real)
    fake_a, pool_a = pool_query(state["pool_a"], state["fake_a"], k_a)
    fake_b, pool_b = pool_query(state["pool_b"], state["fake_b"], k_b)
    game = PATCH_GAN_LOSSES[cfg.loss.adversarial].discriminator
    disc = params["discriminators"]
    loss_a, m_a = game(d.apply(disc["a"], a), d.apply(disc["a"], fake_a))
    loss_b, m_b = game(d.apply(disc["b"], b), d.apply(disc["b"], fake_b))
    metrics = {**{f"d_a_{k}": v for k, v in m_a.items()}, **{f"d_b_{k}": v for k, v in m_b.items()}}
    return loss_a + loss_b, (metrics, {**state, "pool_a": pool_a, "pool_b": pool_b})


def _check_channels(cfg: TranslationConfig, info: DataInfo) -> None:
    a, b = info.input_shape[-1], info.image_shape[-1]
    if cfg.loss.identity_weight > 0 and a != b:
        raise ValueError(
            f"the identity loss needs domains with the same channels; A has {a}, B has {b}: "
            "set loss.identity_weight=0 or data.channels to one count for both"
        )


def _generators(cfg: TranslationConfig, info: DataInfo) -> dict:
    """G_AB (to B's channels) and G_BA (to A's)."""
    size = info.image_shape[0]
    return {
        "ab": build_generator(cfg.model, size, info.image_shape[-1]),
        "ba": build_generator(cfg.model, size, info.input_shape[-1]),
    }


def init_params(nets, size: int, key, batch) -> dict:
    """Both generators and both discriminators, from the batch's central crops."""
    g, d = nets
    k = jax.random.split(key, 4)
    a, b = center(batch["input"], size), center(batch["image"], size)
    generator = lambda net, kk, x: net.init({"params": kk, "dropout": kk}, x, dropout=False)
    return {
        "generators": {"ab": generator(g["ab"], k[0], a), "ba": generator(g["ba"], k[1], b)},
        "discriminators": {"a": d.init(k[2], a), "b": d.init(k[3], b)},
    }


def init_state(pool_size: int, size: int, key, batch) -> dict:
    """Empty pools of ``pool_size`` fakes per domain and a batch of zero fakes."""
    del key
    a, b = center(batch["input"], size), center(batch["image"], size)
    return {
        "pool_a": pool_init(pool_size, a.shape[1:]),
        "pool_b": pool_init(pool_size, b.shape[1:]),
        "fake_a": jnp.zeros_like(a),
        "fake_b": jnp.zeros_like(b),
    }


def build(cfg: TranslationConfig, info: DataInfo) -> Method:
    """The four-network, two-player CycleGAN Method of ``cfg`` for data ``info``."""
    check_translation_data(info, "cyclegan", "unpaired")
    _check_channels(cfg, info)
    size = info.image_shape[0]
    g = _generators(cfg, info)
    nets = (g, build_discriminator(cfg.model))

    def translate(params, x, key, reverse: bool = False):
        del key  # no dropout at test time
        name = "ba" if reverse else "ab"
        return g[name].apply(params["generators"][name], x, dropout=False)

    def eval_metrics(params, batch, key):
        """Cycle errors of the aligned test rows (A repeats to fill the rows: the report's
        ``genjax.eval.translation`` counts each test image once)."""
        a, b = batch["input"], batch["image"]
        rec_a = translate(params, translate(params, a, key), key, reverse=True)
        rec_b = translate(params, translate(params, b, key, reverse=True), key)
        return {"cycle_l1_a": per_example_l1(rec_a, a), "cycle_l1_b": per_example_l1(rec_b, b)}

    def report(params, batches, key):
        batch, _ = next(iter(batches))
        a, b = batch["input"][:8], batch["image"][:8]
        go = jax.jit(translate, static_argnums=3)
        ab, ba = go(params, a, key, False), go(params, b, key, True)
        return {}, {
            "cycle_aba": grid_rows(
                a, ab, go(params, ab, key, True), labels=("A", "G(A)", "F(G(A))")
            ),
            "cycle_bab": grid_rows(
                b, ba, go(params, ba, key, False), labels=("B", "F(B)", "G(F(B))")
            ),
        }

    players = (
        Player(
            name="generators",
            loss=functools.partial(generators_loss, nets, cfg, info),
            tx=make_optimizer(cfg.optimizers["generators"], cfg.steps),
            ema=True,
        ),
        Player(
            name="discriminators",
            loss=functools.partial(discriminators_loss, nets, cfg, info),
            tx=make_optimizer(cfg.optimizers["discriminators"], cfg.steps),
        ),
    )
    return Method(
        name="cyclegan",
        init=functools.partial(init_params, nets, size),
        players=players,
        init_model_state=functools.partial(init_state, cfg.loss.pool_size, size),
        eval_metrics=eval_metrics,
        report=report,
        translate=translate,
    )
