"""Run under XLA_FLAGS=--xla_force_host_platform_device_count=8 (see test_sharding.py):
the same train steps on a 1-device and an 8-device mesh, printed as JSON."""

import functools
import json
import sys

import jax
import numpy as np

from genjax.data import to_global, train_iterator
from genjax.methods import get_method
from genjax.train.data import load_data
from genjax.train.optim import make_optimizer
from genjax.train.sharding import check_batch_size, data_sharding, make_mesh, replicated
from genjax.train.state import create_train_state, train_step
from tests.helpers import tiny_config


def run(num_devices: int, arch: str, steps: int = 3):
    config = tiny_config()
    config.model.architecture = arch
    config.model.conv_features = (8, 8)
    data = load_data(config)
    method = get_method("vae")(config, data.info)
    tx = make_optimizer(config.optim, 100)
    mesh = make_mesh(num_devices)
    shard, repl = data_sharding(mesh), replicated(mesh)
    it = train_iterator(data.train, 64, 0, data.transform)
    batches = [next(it) for _ in range(steps)]
    init = lambda k, b: create_train_state(method.init(k, b), tx)
    state = jax.jit(init, out_shardings=repl)(jax.random.key(0), to_global(batches[0], shard))
    step = jax.jit(
        functools.partial(train_step, loss_fn=method.loss, tx=tx, ema_decay=0.9),
        in_shardings=(repl, shard, repl),
        out_shardings=(repl, repl),
        donate_argnums=0,
    )
    losses = []
    for b in batches:
        global_batch = to_global(b, shard)
        assert len(global_batch["image"].sharding.device_set) == num_devices
        state, metrics = step(state, global_batch, jax.random.key(1))
        losses.append(float(metrics["loss"]))
    params = [np.asarray(x).ravel().tolist() for x in jax.tree.leaves(state.params)]
    return {"losses": losses, "params": params}


if __name__ == "__main__":
    assert jax.device_count() == 8, jax.device_count()
    out = {arch: {n: run(n, arch) for n in (1, 8)} for arch in ("mlp", "conv")}
    try:
        check_batch_size(100, make_mesh(8))
        out["batch_error"] = None
    except ValueError as err:
        out["batch_error"] = str(err)
    json.dump(out, sys.stdout)
