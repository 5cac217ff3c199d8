"""Small configs shared by the training tests."""

from configs import autoregressive, dbn, diffusion, gan, rbm, translation, vae, vdm


def _fast(c, steps: int, train: dict):
    """Few steps, small batches, frequent logs/evals/checkpoints, no suite, cheap reports."""
    c.train.steps = steps
    c.train.batch_size = 32
    c.train.log_every = 5
    c.train.eval_every = 10
    c.train.ckpt_every = 10
    c.train.progress = False
    c.train.steps_per_call = 1
    if "nll_samples" in c.eval:  # methods that estimate log p(x) by importance sampling
        c.eval.nll_samples = 20
        c.eval.nll_chunk = 10
    if "elbo_samples" in c.eval:  # the VAE's evaluated ELBO
        c.eval.elbo_samples = 4
    c.eval.num_samples = 16
    c.eval.suite.enabled = False  # tests that want the suite switch it on
    c.eval.suite.num_samples = 300
    c.train.update(train)
    return c


def tiny_config(variant: str = "vae", steps: int = 20, **train):
    """A fast config on binarized digits: small MLP, no progress bar, cheap report."""
    c = vae.get_config(f"variant={variant}")
    c.model.hidden = (32,)
    c.model.latent_dim = 4
    c.optim.warmup_steps = 2
    c.optim.decay_steps = 100  # fixed horizon, so runs of different lengths share a schedule
    return _fast(c, steps, train)


def tiny_gan_config(variant: str = "gan", steps: int = 20, arch: str = "mlp", **train):
    """A fast adversarial config on gray digits in [-1, 1]: small networks."""
    c = gan.get_config(f"variant={variant},arch={arch}")
    c.model.latent_dim = 4
    c.model.generator_hidden = (32,)
    c.model.discriminator_hidden = (32,)
    if variant == "vaegan":
        c.model.encoder_hidden = (16,)
    c.model.generator_features = (16, 8)
    c.model.discriminator_features = (8, 16)
    return _fast(c, steps, train)


def tiny_diffusion_config(steps: int = 20, conditional: bool = True, **train):
    """A fast diffusion config on gray digits: a one-resolution U-Net of 8 channels without
    attention (tests/test_unet.py covers the rest), 20 cosine noise levels, 4 DDIM steps, the
    bound over 16 test digits."""
    c = diffusion.get_config(f"conditional={'true' if conditional else 'false'}")
    c.model.update(channels=8, channel_mults=(1,), attention_resolutions=(), groups=4)
    c.diffusion.update(schedule="cosine", num_steps=20, sample_steps=4, guidance=2.0)
    c.optim.warmup_steps = 2
    c.optim.decay_steps = 100  # fixed horizon, so runs of different lengths share a schedule
    c.eval.bpd_examples = 16
    c.eval.batch_size = 64
    return _fast(c, steps, train)


def tiny_vdm_config(steps: int = 20, conditional: bool = False, **train):
    """A fast variational diffusion config on gray digits: a one-resolution U-Net of 8
    channels without attention or dropout, a learned schedule of 16 units, 4 sampling steps,
    the bound over 16 test digits with 4 draws each."""
    c = vdm.get_config(f"conditional={'true' if conditional else 'false'}")
    c.model.update(channels=8, channel_mults=(1,), attention_resolutions=(), groups=4, dropout=0.0)
    c.vdm.update(schedule_features=16, sample_steps=4)
    c.optim.warmup_steps = 2
    c.optim.decay_steps = 100  # fixed horizon, so runs of different lengths share a schedule
    c.eval.bpd_examples = 16
    c.eval.bpd_samples = 4
    c.eval.batch_size = 64
    return _fast(c, steps, train)


def tiny_rbm_config(steps: int = 20, sampler: str = "pcd", **train):
    """A fast RBM config on binarized digits: 8 hidden units, short chains and AIS."""
    c = rbm.get_config(f"sampler={sampler}")
    c.model.num_hidden = 8
    c.rbm.update(sample_steps=20, ais_chains=50, ais_betas=2_000)
    c.optim.learning_rate = 0.05
    return _fast(c, steps, train)


def tiny_dbn_config(steps: int = 20, **train):
    """A fast two-layer DBN on binarized digits: 8 then 64 hidden units (the top starts as the
    first layer transposed), a first stage of 10 steps, short chains and AIS."""
    c = dbn.get_config()
    c.model.hidden = (8, 64)
    c.dbn.stage_steps = 10
    c.dbn.update(sample_steps=20, ais_chains=50, ais_betas=2_000)
    return _fast(c, steps, train)


def assert_resume_is_bitwise_exact(
    make_config, tmp_path, first: int, total: int, straight_config=None, preempt: bool = True
) -> dict:
    """A run stopped at step ``first`` and resumed to ``total`` equals a straight ``total``-step
    run, leaf by leaf (params, optimizer state, EMA, step). ``make_config(steps=...)`` builds
    the config; ``straight_config`` (default: the same) the straight run's, which may add
    evaluation. With ``preempt`` the first run is the ``total``-step config stopped at
    ``first`` by the spine's preemption path (saved, no final evaluation or report; the three
    runs share one build); without, a finished ``first``-step run that the second extends.
    Returns the straight run's summary; its workdir is ``tmp_path / "straight"``."""
    import contextlib
    from unittest import mock

    import jax
    import numpy as np

    from genjax.run import experiment
    from genjax.run.restore import load_trained

    per_call = make_config(steps=total).train.steps_per_call

    @contextlib.contextmanager
    def stop_at_first():
        yield lambda calls: calls * per_call >= first

    stopped, straight = str(tmp_path / "stopped"), str(tmp_path / "straight")
    if preempt:
        with mock.patch.object(experiment, "preemption_watch", stop_at_first):
            out = experiment.train_and_evaluate(make_config(steps=total), stopped)
        assert out == {"preempted_at": first, "resumed_from": 0, "steps": total}, out
    else:
        experiment.train_and_evaluate(make_config(steps=first), stopped)
    summary = experiment.train_and_evaluate(make_config(steps=total), stopped)
    assert summary["resumed_from"] == first
    straight_summary = experiment.train_and_evaluate(
        (straight_config or make_config)(steps=total), straight
    )
    a, b = load_trained(stopped).state, load_trained(straight).state
    assert int(a.step) == int(b.step) == total
    leaves = lambda s: jax.tree.leaves(jax.device_get(s))
    for x, y in zip(leaves(a), leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    return straight_summary


def assert_divergence_halts(make_config, tmp_path, learning_rate: float) -> None:
    """10 good steps, then a run with ``learning_rate`` halts with the spine's one-line error
    naming the step and the last good checkpoint, which restores with finite parameters."""
    import jax
    import numpy as np
    import pytest

    from genjax.run.experiment import train_and_evaluate
    from genjax.run.restore import load_trained

    workdir = str(tmp_path)
    train_and_evaluate(make_config(steps=10), workdir)
    bad = make_config(steps=20, log_every=1)
    bad.optim.learning_rate = learning_rate
    with pytest.raises(FloatingPointError, match=r"non-finite .* at step 1[1-9]: .*step 10"):
        train_and_evaluate(bad, workdir)
    restored = load_trained(workdir)
    assert restored.step == 10
    assert all(np.isfinite(x).all() for x in jax.tree.leaves(jax.device_get(restored.state.params)))


def data_of(config):
    """The dataset of ``config`` (its typed data section, loaded)."""
    from genjax.data import DataConfig, load_data

    return load_data(DataConfig.read(config.data))


def method_of(config, info=None):
    """``config``'s Method, for data ``info`` (default: the data section's description)."""
    from genjax.data import DataConfig, describe
    from genjax.methods import build_method

    return build_method(config, info or describe(DataConfig.read(config.data)))


def training_of(config, method=None):
    """(init_state, step) of ``config``'s method under its typed train and optim sections."""
    from genjax.run.settings import read_settings
    from genjax.train.step import make_training

    s = read_settings(config)
    return make_training(method or method_of(config), s.train, s.optim)


def optimizer_of(config, total_steps: int):
    """The single-loss optimizer of ``config.optim`` over ``total_steps``."""
    from genjax.optim import OptimConfig, make_optimizer

    return make_optimizer(OptimConfig.read(config.optim), total_steps)


def tiny_helmholtz_config(steps: int = 20, **train):
    """A fast Helmholtz machine on binarized digits: layers 16-8, K = 5."""
    from configs import helmholtz

    c = helmholtz.get_config()
    c.model.hidden = (16, 8)
    return _fast(c, steps, train)


def tiny_sparse_coding_config(steps: int = 20, **train):
    """Fast sparse coding on gray digits: 16 atoms, 50 FISTA steps at most."""
    from configs import sparse_coding

    c = sparse_coding.get_config()
    c.model.num_atoms = 16
    c.sparse_coding.max_iter = 50
    return _fast(c, steps, train)


def tiny_translation_config(variant: str = "pix2pix", steps: int = 20, **train):
    """A fast translation config: pix2pix / l1 colorizing 16x16 photo patches (a 4-level U-Net
    of 8 channels, flips on), or CycleGAN on digits <-> mnist5k at 16x16 (2 residual blocks
    of 8 channels, a pool of 8 fakes)."""
    task = "digits_mnist5k" if variant == "cyclegan" else "colorization"
    c = translation.get_config(f"variant={variant},task={task}")
    c.model.generator_features = 8
    if variant != "l1":
        c.model.discriminator_features = 8
    if variant == "cyclegan":
        c.model.resnet_blocks = 2
        c.loss.pool_size = 8
    else:
        c.data.update(image_size=16, load_size=20)  # random 16x16 crops of 20x20 patches
    c.optim.decay_steps = 100  # fixed horizon, so runs of different lengths share a schedule
    c.eval.batch_size = 64
    return _fast(c, steps, train)


def tiny_autoregressive_config(model: str = "made", steps: int = 20, variant="binary", **train):
    """A fast fully observed model on digits: MADE of 32 units and 2 masks, NADE of 16, a
    gated PixelCNN of 5 layers of 8 channels."""
    c = autoregressive.get_config(f"model={model},variant={variant}")
    if model == "made":
        c.model.update(hidden=(32,), num_masks=2)
    elif model == "nade":
        c.model.units = 16
    elif model == "pixelcnn":
        c.model.update(features=8, layers=5, head=16)
    c.optim.warmup_steps = 2
    c.optim.decay_steps = 100  # fixed horizon, so runs of different lengths share a schedule
    return _fast(c, steps, train)


def tiny_config_of(method: str, **train):
    """The fast config of any method, by name."""
    if method in ("gan", "cgan", "vaegan"):
        return tiny_gan_config(method, **train)
    if method in ("pix2pix", "l1", "cyclegan"):
        return tiny_translation_config(method, **train)
    if method in ("fvsbn", "nade", "made", "pixelcnn"):
        return tiny_autoregressive_config(method, **train)
    makers = {
        "diffusion": tiny_diffusion_config,
        "vdm": tiny_vdm_config,
        "rbm": tiny_rbm_config,
        "dbn": tiny_dbn_config,
        "helmholtz": tiny_helmholtz_config,
        "sparse_coding": tiny_sparse_coding_config,
    }
    if method in makers:
        return makers[method](**train)
    return tiny_config(method, **train)
