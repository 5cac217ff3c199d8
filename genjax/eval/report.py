"""What a run writes beside its metrics: the sample grid and the method's report (scalars and
pictures), as PNG and to TensorBoard, from process 0."""

import os

import jax
import numpy as np

from genjax import viz
from genjax.data import Data, eval_batches


def caption(method: str, dataset: str, step: int) -> str:
    """The title every picture of a run carries: what made it, on what, when."""
    return f"{method} · {dataset} · step {step}"


def sample_grid(method, params, num: int, key: jax.Array, num_classes: int = 0):
    """``num`` expected images (``sample(mean=True)``) and what they are; a conditional method
    (``num_classes`` > 0) draws ceil(num / classes) rows of one sample per class, a labelled
    column per class.

    Returns:
      (images [N, H, W, C] or a ``viz.Labelled`` grid, a phrase for the picture's title).
    """
    if method.conditional and num_classes:
        rows = -(-num // num_classes)
        images = np.asarray(method.sample(params, key, rows * num_classes, mean=True))
        grid = viz.Labelled(
            images.reshape(rows, num_classes, *images.shape[1:]),
            col_labels=[f"class {c}" for c in range(num_classes)],
        )
        return grid, f"{rows} samples per class (expected images)"
    images = np.asarray(method.sample(params, key, num, mean=True))
    return images, f"{num} samples (expected images)"


def write_samples(
    method,
    params,
    num: int,
    key: jax.Array,
    out: str,
    writer=None,
    step=0,
    title: str = "",
    num_classes: int = 0,
):
    """``samples.png`` (``sample_grid``) for methods that sample, titled ``title``
    (``caption``) and what it shows; also to TensorBoard when a writer is given."""
    if method.sample is None or jax.process_index() != 0:
        return
    grid, what = sample_grid(method, params, num, key, num_classes)
    heading = " · ".join(t for t in (title, what) if t)
    picture = viz.save_grid(os.path.join(out, "samples.png"), grid, heading)
    if writer is not None:
        writer.image(step, "samples", picture)


def write_report(
    method,
    params,
    data: Data,
    batch_size: int,
    key,
    out: str,
    writer=None,
    step: int = 0,
    title: str = "",
) -> dict[str, float]:
    """Run ``method.report`` on the test split; write its images (arrays or ``viz.Labelled``
    grids) as PNGs titled ``title`` and the picture's name (and to TensorBoard).

    Returns:
      The report's scalars (empty for methods without a report).
    """
    if method.report is None:
        return {}
    batches = eval_batches(data.test, batch_size, data.transform)
    scalars, images = method.report(params, batches, key)
    if jax.process_index() == 0:
        for name, grid in images.items():
            heading = " · ".join(t for t in (title, name.replace("_", " ")) if t)
            picture = viz.save_grid(os.path.join(out, f"{name}.png"), grid, heading)
            if writer is not None:
                writer.image(step, name, picture)
    return scalars
