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


def test_conditional_samples_are_laid_out_one_column_per_class():
    """A conditional method's grid: sample i is drawn for class i mod C (the sampler's default),
    so column c holds class c, labelled; an unconditional one keeps its flat batch."""
    import types

    from genjax.eval.report import sample_grid

    def sample(params, key, num, labels=None, *, mean=False):
        classes = np.arange(num) % 3  # make_sampler's default labels for 3 classes
        return np.broadcast_to(classes[:, None, None, None] / 3.0, (num, 2, 2, 1))

    conditional = types.SimpleNamespace(conditional=True, sample=sample)
    grid, what = sample_grid(conditional, None, 7, None, num_classes=3)
    assert what == "3 samples per class (expected images)"
    assert grid.shape == (3, 3, 2, 2, 1) and list(grid.col_labels) == [
        "class 0",
        "class 1",
        "class 2",
    ]
    for c in range(3):
        np.testing.assert_allclose(np.asarray(grid)[:, c], c / 3.0)
    plain = types.SimpleNamespace(conditional=False, sample=sample)
    images, what = sample_grid(plain, None, 7, None, num_classes=3)
    assert images.shape == (7, 2, 2, 1) and what == "7 samples (expected images)"


def test_weight_pictures_carry_the_legend_of_their_grey_scale():
    from genjax.methods.common import weights_picture

    w = np.stack([np.full((2, 2, 1), -1.0), np.full((2, 2, 1), 3.0)])
    w[1, 0, 0, 0] = 5.0
    shared = weights_picture(w)
    assert "one scale for all" in shared.legend and "black = lowest" in shared.legend
    np.testing.assert_allclose(np.asarray(shared)[0], 0.0)  # -1 is the lowest of all
    np.testing.assert_allclose(np.asarray(shared)[1, 0, 0, 0], 1.0)
    own = weights_picture(w, per_image=True)
    assert "each on its own scale" in own.legend
    np.testing.assert_allclose(np.asarray(own)[1].min(), 0.0)  # 3 is image 1's lowest
    titled = viz.picture_of(shared, "rbm · digits · step 1 · filters")
    plain = viz.picture_of(viz.Labelled(np.asarray(shared)), "rbm · digits · step 1 · filters")
    assert titled.shape[0] == plain.shape[0] and not np.array_equal(titled, plain)  # legend drawn


def test_chain_columns_are_numbered_by_the_step_they_show():
    """A chain's frames (select_frames over a trajectory of `steps` states) are labelled with
    the step each shows: evenly spaced denoising steps, geometric Gibbs sweeps."""
    from genjax.methods.common import chain_picture, select_frames

    states = np.arange(50, dtype=np.float32)[:, None, None, None, None] * np.ones((50, 2, 2, 2, 1))
    frames = np.asarray(select_frames(states, 10))  # [2 chains, 10 frames, ...]
    picture = chain_picture(frames, "noise", "sample", steps=50, unit="DDIM step")
    shown = [int(frames[0, j, 0, 0, 0]) + 1 for j in range(10)]  # the step each frame is after
    assert list(picture.col_labels) == [str(k) for k in shown]
    assert shown[0] == 1 and shown[-1] == 50
    assert picture.legend == "column: after DDIM step k of 50, noise (left) to sample (right)"
    geometric = np.asarray(select_frames(states, 10, "geometric"))
    labels = chain_picture(
        geometric, steps=50, spacing="geometric", unit="Gibbs sweep", count=10
    ).col_labels
    assert len(labels) == geometric.shape[1] == 9  # 10 requested, one duplicate dropped
    assert [int(k) for k in labels] == [
        int(geometric[0, j, 0, 0, 0]) + 1 for j in range(len(labels))
    ]
    with pytest.raises(ValueError, match="9 frames, but 50 steps give 8"):
        chain_picture(geometric, steps=50, spacing="geometric")  # count left out: 9 asked
