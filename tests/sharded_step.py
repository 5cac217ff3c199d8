"""Run under XLA_FLAGS=--xla_force_host_platform_device_count=8 (see test_sharding.py):
the same train steps on a 1-device and an 8-device mesh, printed as JSON: a two-player
conditional DCGAN (convolutions over a batch split across devices; an MLP VAE on 8 devices is
compared with 2 processes x 4 devices in test_multiprocess.py), one CycleGAN step (instance
norm, four networks, the image pools' draws), a MADE of two masks (one drawn per step), a
variational diffusion model (antithetic times across the global batch, its schedule's
variance-minimising gradient) and a learned-variance DDPM (its loss history in the model
state). The cases to run are named on the command line."""

import json
import sys

import jax
import numpy as np

from genjax.data import to_global, train_iterator
from genjax.train.sharding import check_batch_size, data_sharding, make_mesh, replicated
from tests.helpers import (
    data_of,
    method_of,
    tiny_autoregressive_config,
    tiny_diffusion_config,
    tiny_gan_config,
    tiny_translation_config,
    tiny_vdm_config,
    training_of,
)


def _config(case: str):
    if case == "cyclegan":  # four networks, two players, image pools in the model state
        config = tiny_translation_config("cyclegan")
        # SGD: the convolution biases before instance norm have a zero gradient up to float
        # noise, which Adam's first step would blow up to +-lr in either sign.
        config.optim.update(name="sgd", learning_rate=0.01)
        return config
    if case == "made":  # the mask drawn from the step's key, K = 2
        return tiny_autoregressive_config("made")
    if case == "vdm":  # times spread over the global batch; a custom gradient for the shape
        config = tiny_vdm_config()
        # SGD, as for CycleGAN: the schedule's tiny gradients (|g| near Adam's eps) would have
        # their float noise across device counts blown up to ±lr by Adam's first step.
        config.optim.update(name="sgd", learning_rate=0.01)
        return config
    if case == "iddpm":  # the hybrid loss; t drawn from, and the history updated in, the state
        config = tiny_diffusion_config()
        config.diffusion.update(variance="learned", timestep_sampler="importance")
        return config
    assert case == "cgan"  # two players, the critic updated twice per step on strided halves
    return tiny_gan_config("cgan", arch="conv", n_critic=2)


def run(num_devices: int, case: str, steps: int = 3):
    config = _config(case)
    data = data_of(config)
    method = method_of(config, data.info)
    init, train_fn = training_of(config, method)
    mesh = make_mesh(num_devices)
    shard, repl = data_sharding(mesh), replicated(mesh)
    batch = 16 if case in ("vdm", "iddpm") else 64  # U-Nets: compile cost is what is tested
    it = train_iterator(data.train, batch, 0, data.transform)
    batches = [next(it) for _ in range(steps)]
    state = jax.jit(init, out_shardings=repl)(jax.random.key(0), to_global(batches[0], shard))
    step = jax.jit(
        train_fn,
        in_shardings=(repl, shard, repl),
        out_shardings=(repl, repl),
        donate_argnums=0,
    )
    name = f"{method.players[0].name}_loss" if method.players else "loss"
    losses = []
    for b in batches:
        global_batch = to_global(b, shard)
        assert len(global_batch["image"].sharding.device_set) == num_devices
        state, metrics = step(state, global_batch, jax.random.key(1))
        losses.append(float(metrics[name]))
    params = [np.asarray(x).ravel().tolist() for x in jax.tree.leaves(state.params)]
    params += [np.asarray(x).ravel().tolist() for x in jax.tree.leaves(state.model_state)]
    return {"losses": losses, "params": params}


STEPS = {"cgan": 3, "cyclegan": 1, "made": 3, "vdm": 2, "iddpm": 2}

if __name__ == "__main__":  # python -m tests.sharded_step CASE...: those cases, then the error
    assert jax.device_count() == 8, jax.device_count()
    out = {case: {n: run(n, case, STEPS[case]) for n in (1, 8)} for case in sys.argv[1:]}
    try:
        check_batch_size(100, make_mesh(8))
        out["batch_error"] = None
    except ValueError as err:
        out["batch_error"] = str(err)
    json.dump(out, sys.stdout)
