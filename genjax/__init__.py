"""genjax: functional JAX/Flax research code for generative models.

Import name ``genjax``; distribution name ``genjax-models`` (unrelated to the probabilistic
programming project published on PyPI as ``genjax``).
"""

__version__ = "0.1.0"
