"""Pictures a person can read (issue 22): titled grids with named rows and columns, and a
run's curves.png."""

import json

import numpy as np
import pytest

from genjax import viz
from genjax.eval.curves import curves_png, panel_order, read_curves

RNG = np.random.default_rng(0)


def dark(region: np.ndarray) -> bool:
    return bool((region.min(axis=-1) < 128).any())


def test_tiles_are_at_least_the_minimum_size():
    picture = viz.grid(RNG.uniform(size=(2, 3, 8, 8, 1)))
    assert picture.shape == (2 * (viz.MIN_TILE + 1) + 1, 3 * (viz.MIN_TILE + 1) + 1, 3)


def test_labelled_grid_has_title_and_labels_beside_the_tiles():
    images = RNG.uniform(0.6, 1.0, size=(3, 4, 8, 8, 1))  # light tiles: text is the dark part
    labelled = viz.Labelled(images, ["original", "reconstruction", "z3"], ["a", "b", "c", "d"])
    picture = viz.picture_of(labelled, "vae · digits · step 10 · traversal")
    tiles = viz.grid(images)
    h, w = tiles.shape[:2]
    np.testing.assert_array_equal(picture[-h:, -w:], tiles)  # the grid, bottom right
    top, left = picture.shape[0] - h, picture.shape[1] - w
    assert top == viz.TITLE_BAND + viz.LABEL_BAND and left > 0
    assert dark(picture[: viz.TITLE_BAND])  # the title
    tile = viz.MIN_TILE + 1
    for j in range(4):  # a label over every column
        assert dark(picture[viz.TITLE_BAND : top, left + j * tile : left + (j + 1) * tile])
    for i in range(3):  # a label left of every row
        assert dark(picture[top + i * tile : top + (i + 1) * tile, :left])
    plain = viz.picture_of(images)  # no title, no labels: the grid alone
    np.testing.assert_array_equal(plain, tiles)


def test_labelled_reads_as_its_images_and_checks_its_labels():
    images = RNG.uniform(size=(2, 3, 4, 4, 1))
    labelled = viz.Labelled(images, ["x", "y"])
    assert labelled.shape == images.shape
    np.testing.assert_array_equal(np.asarray(labelled), images)
    with pytest.raises(ValueError, match="3 row labels for a grid of 2 rows"):
        viz.Labelled(images, ["x", "y", "z"])


def test_curves_png_draws_the_metrics_that_move(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [{"step": s, "split": "train", "loss": 1.0 / s, "grad_norm": s} for s in (1, 2, 3)]
    lines += [{"step": s, "split": "test", "elbo": -s, "num_samples": 300} for s in (2, 3)]
    lines += [{"step": s, "split": "train", "elbo": -2 * s} for s in (1, 3)]
    lines += [{"step": 3, "split": "report", "test_is_nll": 5.0}]  # one point: no curve
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    curves = read_curves(str(path))
    assert set(curves) == {"loss", "grad_norm", "elbo", "num_samples"}
    np.testing.assert_array_equal(curves["elbo"]["test"][0], [2, 3])
    assert panel_order(curves) == ["loss", "elbo", "grad_norm"]  # the constant is left out
    assert curves_png(str(path), str(tmp_path / "curves.png"), "vae · digits")
    assert (tmp_path / "curves.png").stat().st_size > 0
    path.write_text(json.dumps(lines[-1]) + "\n")
    assert not curves_png(str(path), str(tmp_path / "none.png"), "nothing")
    assert not (tmp_path / "none.png").exists()
