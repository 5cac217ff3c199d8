"""Orbax checkpoints holding the train state, the data iterator position and the config."""

import os
from typing import Any

import jax
import orbax.checkpoint as ocp

from genjax.train.state import TrainState


def make_manager(workdir: str, max_to_keep: int = 3) -> ocp.CheckpointManager:
    """A manager over ``workdir/checkpoints`` that keeps the newest ``max_to_keep`` steps."""
    options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
    return ocp.CheckpointManager(
        os.path.join(os.path.abspath(workdir), "checkpoints"),
        options=options,
        item_names=("state", "data", "config"),
    )


def to_saved(state: TrainState) -> dict[str, Any]:
    """The state as a dict, without ``model_state`` when a method carries none: checkpoints of
    stateless methods keep the tree they had before model state existed."""
    saved = {k: getattr(state, k) for k in ("step", "params", "opt_state", "ema_params")}
    if state.model_state is not None:
        saved["model_state"] = state.model_state
    return saved


def from_saved(saved: dict[str, Any]) -> TrainState:
    """Inverse of ``to_saved``."""
    return TrainState(**{"model_state": None, **saved})


def save(
    manager: ocp.CheckpointManager,
    step: int,
    state: TrainState,
    data_state: dict[str, Any],
    config: dict[str, Any],
) -> None:
    """Save asynchronously; call ``manager.wait_until_finished()`` before exiting."""
    manager.save(
        step,
        args=ocp.args.Composite(
            state=ocp.args.StandardSave(to_saved(state)),
            data=ocp.args.JsonSave(data_state),
            config=ocp.args.JsonSave(config),
        ),
    )


def restore_latest(
    manager: ocp.CheckpointManager, target: TrainState
) -> tuple[TrainState, dict[str, Any]] | None:
    """Restore the newest checkpoint onto ``target``'s shapes and shardings, or None.

    Args:
      manager: from ``make_manager``.
      target: a state with the expected structure; its arrays give shapes and shardings.

    Returns:
      (state, data iterator state) or None when the directory holds no checkpoint.
    """
    step = manager.latest_step()
    if step is None:
        return None
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, to_saved(target))
    try:
        restored = manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract), data=ocp.args.JsonRestore()
            ),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"the checkpoint at step {step} in {manager.directory} does not fit this config's "
            f"model ({type(err).__name__}: {str(err).splitlines()[0][:200]}); use a new --workdir "
            "(the checkpoint is left untouched)"
        ) from err
    return from_saved(restored["state"]), restored["data"]
