"""Small configs shared by the training tests."""

from configs.vae import get_config


def tiny_config(variant: str = "vae", steps: int = 20, **train):
    """A fast config on binarized digits: small MLP, no progress bar, cheap report."""
    c = get_config(f"variant={variant}")
    c.model.hidden = (32,)
    c.model.latent_dim = 4
    c.train.steps = steps
    c.train.batch_size = 32
    c.train.log_every = 5
    c.train.eval_every = 10
    c.train.ckpt_every = 10
    c.train.progress = False
    c.optim.warmup_steps = 2
    c.optim.decay_steps = 100  # fixed horizon, so runs of different lengths share a schedule
    c.eval.nll_samples = 20
    c.eval.nll_chunk = 10
    c.eval.num_samples = 16
    c.eval.suite.enabled = False  # tests that want the suite switch it on
    c.eval.suite.num_samples = 300
    c.train.update(train)
    return c
