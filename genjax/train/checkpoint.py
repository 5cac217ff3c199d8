"""Orbax checkpoints holding the train state, the data iterator position and the config."""

import glob
import os
import re
import shutil
from collections.abc import Callable
from typing import Any

import jax
import orbax.checkpoint as ocp
from jax.experimental import multihost_utils

from genjax.checks import clip
from genjax.train.state import TrainState


def make_manager(workdir: str, max_to_keep: int = 3) -> ocp.CheckpointManager:
    """A manager over ``workdir/checkpoints`` that keeps the newest ``max_to_keep`` steps."""
    options = ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True)
    return ocp.CheckpointManager(
        os.path.join(os.path.abspath(workdir), "checkpoints"),
        options=options,
        item_handlers={  # named, so that item_metadata can read a step's shapes
            "state": ocp.StandardCheckpointHandler(),
            "data": ocp.JsonCheckpointHandler(),
            "config": ocp.JsonCheckpointHandler(),
        },
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


class SaveError(RuntimeError):
    """A checkpoint could not be written (a full disk, say); the message is one line."""


def save(
    manager: ocp.CheckpointManager,
    step: int,
    state: TrainState,
    data_state: dict[str, Any],
    config: dict[str, Any],
) -> None:
    """Save asynchronously; call ``wait`` before exiting.

    Raises:
      SaveError: too little free space for it (checked first, so nothing partial is written),
        or this save or the previous asynchronous one failed.
    """
    saved = to_saved(state)
    need = sum(x.nbytes for x in jax.tree.leaves(saved)) + 2**20  # arrays + metadata
    free = _free_bytes(str(manager.directory))
    if free is not None and free < need:
        raise save_failed(manager, step, OSError(f"needs ~{need / 2**20:.1f} MiB"))
    try:
        manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(saved),
                data=ocp.args.JsonSave(data_state),
                config=ocp.args.JsonSave(config),
            ),
        )
    except Exception as err:
        raise save_failed(manager, step, err) from err


def wait(manager: ocp.CheckpointManager, step: int) -> None:
    """Wait for the asynchronous save of ``step`` (and any before it) to be committed.

    Raises:
      SaveError: the save failed.
    """
    try:
        manager.wait_until_finished()
    except Exception as err:
        raise save_failed(manager, step, err) from err


def _free_bytes(path: str) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def save_failed(manager: ocp.CheckpointManager, step: int, err: Exception) -> SaveError:
    """The one-line error of a failed save: the step, the cause, the free space left and the
    last good checkpoint, which stays; the failed save's partial files are removed.

    An asynchronous save's failure surfaces at the next save: the step named is the oldest
    whose partial files were found, else ``step``."""
    root = str(manager.directory)
    partial = remove_partial_saves(os.path.dirname(root))
    steps = [int(m[1]) for p in partial if (m := re.match(r"(\d+)\.", os.path.basename(p)))]
    failed = min(steps, default=step)
    manager.reload()
    kept = [s for s in manager.all_steps() if s < failed]
    last = f"step {max(kept)}" if kept else "none"
    free = _free_bytes(root)
    room = f"{free / 2**20:.1f} MiB free there" if free is not None else "free space unknown"
    return SaveError(
        f"saving the checkpoint of step {failed} in {root} failed "
        f"({clip(f'{type(err).__name__}: {err}', 120)}; {room}); the last good checkpoint, "
        f"{last}, is kept: free some space and rerun the same command to resume from it"
    )


class CheckpointMismatchError(ValueError):
    """A checkpoint that reads fine but holds another model's shapes or tree."""


def _leaves(tree: Any) -> dict[tuple[str, ...], tuple[int, ...]]:
    """Leaf path (as names and indices, however the tree spells its nodes) -> shape."""
    name = lambda k: str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k))))
    return {
        tuple(map(name, path)): tuple(getattr(leaf, "shape", ()) or ())
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
    }


def _mismatch(manager: ocp.CheckpointManager, step: int, target: dict) -> str | None:
    """Why the checkpoint at ``step`` cannot hold ``target`` (another tree, other shapes), from
    its metadata alone; None when it fits. Unreadable metadata raises (a broken checkpoint)."""
    saved, want = _leaves(manager.item_metadata(step)["state"]), _leaves(target)
    if saved.keys() != want.keys():
        extra = ["/".join(p) for p in sorted(saved.keys() - want.keys())[:2]]
        missing = ["/".join(p) for p in sorted(want.keys() - saved.keys())[:2]]
        return f"saved, not in this model: {extra}; in this model, not saved: {missing}"
    for path, shape in want.items():
        if saved[path] != shape:
            return f"{'/'.join(path)} saved {saved[path]}, this model {shape}"
    return None


def set_aside(manager: ocp.CheckpointManager, step: int) -> str:
    """Move the checkpoint at ``step`` to ``checkpoints/broken-<step>`` (never deleted), so
    the manager no longer sees it; returns the new path."""
    root = str(manager.directory)
    dest, n = os.path.join(root, f"broken-{step}"), 1
    while os.path.exists(dest):
        dest, n = os.path.join(root, f"broken-{step}.{n}"), n + 1
    if jax.process_index() == 0:  # one process moves it; all wait, then look again
        os.rename(os.path.join(root, str(step)), dest)
    if jax.process_count() > 1:
        multihost_utils.sync_global_devices(f"genjax set aside checkpoint {step}")
    manager.reload()
    return dest


def remove_partial_saves(workdir: str) -> list[str]:
    """Delete the temporary directories of saves that never finished (a crash or a full disk
    mid-save); Orbax ignores them, so they only take space. Call with the workdir locked."""
    root = os.path.join(os.path.abspath(workdir), "checkpoints")
    partial = glob.glob(os.path.join(root, "*.orbax-checkpoint-tmp*"))
    for path in partial:
        shutil.rmtree(path, ignore_errors=True)
    return partial


def restore_latest(
    manager: ocp.CheckpointManager, target: TrainState, warn: Callable[[str], None] = print
) -> tuple[TrainState, dict[str, Any]] | None:
    """Restore the newest checkpoint that restores onto ``target``'s shapes and shardings.

    A checkpoint that fails to read is reported in one line through ``warn``, moved to
    ``checkpoints/broken-<step>`` and the next older one is tried.

    Args:
      manager: from ``make_manager``.
      target: a state with the expected structure; its arrays give shapes and shardings.
      warn: where the one-line report of a broken checkpoint goes.

    Returns:
      (state, data iterator state), or None when no checkpoint restores.

    Raises:
      CheckpointMismatchError: the newest checkpoint reads but is another model's (left
        untouched: it is not broken, the config is different).
    """
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, to_saved(target))
    for step in sorted(manager.all_steps(), reverse=True):
        try:
            why = _mismatch(manager, step, abstract)
            if why is None:
                restored = manager.restore(
                    step,
                    args=ocp.args.Composite(
                        state=ocp.args.StandardRestore(abstract), data=ocp.args.JsonRestore()
                    ),
                )
                return from_saved(restored["state"]), restored["data"]
        except Exception as err:  # Orbax and TensorStore raise plain Exceptions on bad bytes
            cause = clip(f"{type(err).__name__}: {err}", 160)
            dest = set_aside(manager, step)
            warn(f"warning: checkpoint at step {step} does not restore ({cause}); moved to {dest}")
            continue
        raise CheckpointMismatchError(
            f"the checkpoint at step {step} in {manager.directory} does not fit this config's "
            f"model ({clip(why, 160)}); use a new --workdir (the checkpoint is left untouched)"
        )
    return None
