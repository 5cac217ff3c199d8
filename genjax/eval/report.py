"""What a run writes beside its metrics: the sample grid and the method's report (scalars and
pictures), as PNG and to TensorBoard, from process 0."""

import os

import jax
import numpy as np

from genjax import viz
from genjax.data import Data, eval_batches


def write_samples(method, params, num: int, key: jax.Array, out: str, writer=None, step=0):
    """``samples.png`` of ``num`` expected images (``sample(mean=True)``) for methods that
    sample; also to TensorBoard when a writer is given."""
    if method.sample is None or jax.process_index() != 0:
        return
    images = method.sample(params, key, num, mean=True)
    picture = viz.save_grid(os.path.join(out, "samples.png"), np.asarray(images))
    if writer is not None:
        writer.image(step, "samples", picture)


def write_report(
    method, params, data: Data, batch_size: int, key, out: str, writer=None, step: int = 0
) -> dict[str, float]:
    """Run ``method.report`` on the test split; write its images as PNGs (and to TensorBoard).

    Returns:
      The report's scalars (empty for methods without a report).
    """
    if method.report is None:
        return {}
    batches = eval_batches(data.test, batch_size, data.transform)
    scalars, images = method.report(params, batches, key)
    if jax.process_index() == 0:
        for name, grid in images.items():
            picture = viz.save_grid(os.path.join(out, f"{name}.png"), grid)
            if writer is not None:
                writer.image(step, name, picture)
    return scalars
