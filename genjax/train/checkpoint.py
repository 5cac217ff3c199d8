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
            state=ocp.args.StandardSave(state),
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
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
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
    return restored["state"], restored["data"]
