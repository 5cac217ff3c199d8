"""Rebuild a trained method from a workdir: its saved config, data, model and newest state."""

import dataclasses
import os

import jax
import ml_collections
import orbax.checkpoint as ocp

from genjax.checks import clip
from genjax.data import Data, load_data
from genjax.methods import Method
from genjax.run.experiment import build
from genjax.run.settings import Settings, read_settings
from genjax.train.checkpoint import from_saved, make_manager, to_saved
from genjax.train.sharding import make_mesh, replicated
from genjax.train.state import TrainState


@dataclasses.dataclass(frozen=True)
class Trained:
    """A checkpoint brought back: everything needed to evaluate or sample."""

    config: ml_collections.ConfigDict
    settings: Settings
    data: Data
    method: Method
    state: TrainState
    step: int


def load_trained(
    workdir: str, step: int | None = None, eval_overrides: dict | None = None
) -> Trained:
    """Restore the newest (or given) checkpoint of ``workdir`` with the config saved in it.

    The saved config is read leniently: fields that a newer version no longer reads are
    ignored, so checkpoints of earlier versions still load.

    Args:
      workdir: the --workdir of a training run.
      step: a saved step, or None for the newest.
      eval_overrides: replacements for ``config.eval`` fields (e.g. nll_samples).

    Returns:
      A Trained bundle; parameters are replicated over all devices.
    """
    if not os.path.isdir(os.path.join(workdir, "checkpoints")):
        raise FileNotFoundError(f"no checkpoints in {workdir}: train first with experiments.train")
    manager = make_manager(workdir)
    step = manager.latest_step() if step is None else step
    if step is None or step not in manager.all_steps():
        raise FileNotFoundError(
            f"no checkpoint at step {step} in {workdir}; saved steps: {list(manager.all_steps())}"
        )
    saved = manager.restore(step, args=ocp.args.Composite(config=ocp.args.JsonRestore()))
    config = ml_collections.ConfigDict(saved["config"])
    config.eval.update(eval_overrides or {})
    settings = read_settings(config, strict=False)
    made = build(settings)
    method, init_fn = made.method, made.init_fn
    data = load_data(settings.data)
    # A training batch's shapes: a model state may hold per-batch arrays (CycleGAN's fakes).
    rows = settings.train.batch_size // jax.process_count()
    example = data.transform({k: v[:rows] for k, v in data.train.items()})
    repl = replicated(make_mesh())
    abstract = to_saved(jax.eval_shape(init_fn, jax.random.key(0), example))
    abstract = jax.tree.map(
        lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=repl), abstract
    )
    try:
        restored = manager.restore(
            step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract))
        )
    except Exception as err:  # bad bytes: Orbax and TensorStore raise plain Exceptions
        older = [s for s in manager.all_steps() if s < step]
        raise ValueError(
            f"the checkpoint at step {step} in {workdir} does not restore "
            f"({clip(f'{type(err).__name__}: {err}', 120)}); pass --step with an older one "
            f"(saved: {older}) or rerun training, which sets it aside"
        ) from err
    finally:
        manager.close()
    return Trained(config, settings, data, method, from_saved(restored["state"]), step)
