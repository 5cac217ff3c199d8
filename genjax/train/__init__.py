"""Training (layer 3): the typed train section, the train state and the generic step (one
optimizer, or players each with their own), bfloat16 compute and several steps per call,
device meshes and shardings, the loop's hot path, Orbax checkpoints and metric writers.

May import: ``genjax.data``, ``genjax.checks``, ``genjax.optim``, the pure layer and
``genjax.methods``; never ``genjax.eval``, ``genjax.run`` or ``genjax.tools``.
"""

from genjax.train.config import TrainConfig
from genjax.train.sharding import data_sharding, make_mesh, replicated
from genjax.train.state import TrainState, train_step
from genjax.train.step import make_training

__all__ = [
    "TrainConfig",
    "TrainState",
    "data_sharding",
    "make_mesh",
    "make_training",
    "replicated",
    "train_step",
]
