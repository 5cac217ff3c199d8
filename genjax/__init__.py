"""genjax: functional JAX/Flax research code for generative models.

Layers, bottom up; a module imports its own layer and those below, never one above
(``tests/test_structure.py`` checks every import):

  0  data, checks, locks, viz                datasets, pipelines, DataInfo; input checks
  1  models, losses, diffusion, energy,      pure pieces: Flax modules and functions of arrays
     inference, optim
  2  methods                                 each family's Method from its typed settings
  3  train                                   state, step, players, loop, checkpoints, mesh
  4  eval, run                               metrics, suite, reports; whole experiments
  5  tools                                   benchmark and profiler

Import name ``genjax``; distribution name ``genjax-models`` (unrelated to the probabilistic
programming project published on PyPI as ``genjax``).
"""

__version__ = "0.1.0"
