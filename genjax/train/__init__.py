"""Training (layer 3): the typed train section, the train state and the generic step (one
optimizer, or players each with their own), bfloat16 compute and several steps per call,
device meshes and shardings, the loop's hot path, Orbax checkpoints and metric writers.

May import: ``genjax.data``, ``genjax.checks``, ``genjax.optim``, the pure layer and
``genjax.methods``; never ``genjax.eval``, ``genjax.run`` or ``genjax.tools``.
"""
