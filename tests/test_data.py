"""Datasets, transforms and the grain pipeline: contents, determinism, exact resume, errors."""

import contextlib
from unittest import mock

import numpy as np
import pytest
import tensorflow_datasets as tfds
from sklearn.datasets import load_digits

from genjax.data import (
    DatasetNotPreparedError,
    EpochBatchIndices,
    datasets,
    eval_batches,
    get_spec,
    open_source,
    preprocess,
    read_all,
    train_iterator,
)


@pytest.fixture(scope="module")
def digits():
    spec = get_spec("digits")
    return {s: read_all(open_source("digits", s), spec) for s in ("train", "test")}


def test_digits_split_is_first_1500_train_last_297_test(digits):
    ref = load_digits()
    assert digits["train"]["image"].shape == (1500, 8, 8, 1)
    assert digits["test"]["image"].shape == (297, 8, 8, 1)
    np.testing.assert_array_equal(digits["test"]["image"][..., 0], ref.images[1500:])
    np.testing.assert_array_equal(digits["test"]["label"], ref.target[1500:])
    np.testing.assert_array_equal(digits["train"]["image"][..., 0], ref.images[:1500])
    assert digits["train"]["image"].max() == 16 and digits["train"]["label"].dtype == np.int32


def test_digits_variants_binary_and_gray(digits):
    raw = digits["test"]["image"]
    binary = preprocess(raw, 16, "binary", "unit")
    np.testing.assert_array_equal(binary, (raw >= 8).astype(np.float32))
    gray = preprocess(raw, 16, "gray", "unit")
    np.testing.assert_allclose(gray, raw / 16.0)
    assert gray.min() == 0.0 and gray.max() == 1.0
    sym = preprocess(raw, 16, "gray", "symmetric")
    assert sym.min() == -1.0 and sym.max() == 1.0


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'mnits'; valid datasets: .*mnist"):
        get_spec("mnits")


def test_unknown_variant_is_one_line():
    with pytest.raises(ValueError, match="unknown data variant 'grey'; valid: gray, binary"):
        preprocess(np.zeros((1, 8, 8, 1), np.uint8), 16, "grey", "unit")


def test_absent_tfds_dataset_says_how_to_prepare(tmp_path, caplog):
    variant_warnings = lambda: [r for r in caplog.records if "Variant folder" in r.getMessage()]
    caplog.set_level("WARNING")
    # TFDS logs "Variant folder .../mnist/3.0.1 has no dataset_info.json" while it looks for
    # an absent dataset (a misleading line before ours) ...
    with (
        mock.patch.object(datasets, "quiet_variant_folders", contextlib.nullcontext),
        pytest.raises(DatasetNotPreparedError),
    ):
        open_source("mnist", "train", data_dir=str(tmp_path / "unfiltered"))
    assert variant_warnings()
    caplog.clear()
    # ... which open_source drops: the one-line message alone.
    with pytest.raises(DatasetNotPreparedError) as err:
        open_source("mnist", "train", data_dir=str(tmp_path / "filtered"))
    message = str(err.value)
    assert "\n" not in message
    assert "python -m experiments.prepare --dataset=mnist" in message and "download=True" in message
    assert not variant_warnings()


def test_mnist_through_data_source_with_mock_data():
    with tfds.testing.mock_data(num_examples=24):
        arrays = read_all(open_source("mnist", "train"), get_spec("mnist"))
    assert arrays["image"].shape == (24, 28, 28, 1) and arrays["image"].dtype == np.uint8
    assert arrays["label"].shape == (24,)


def test_epoch_covers_every_record_once_and_reshuffles():
    ds = EpochBatchIndices(num_records=50, batch_size=10, seed=3)
    epoch0 = np.concatenate([ds[i] for i in range(5)])
    epoch1 = np.concatenate([ds[i] for i in range(5, 10)])
    np.testing.assert_array_equal(np.sort(epoch0), np.arange(50))
    np.testing.assert_array_equal(np.sort(epoch1), np.arange(50))
    assert not np.array_equal(epoch0, epoch1)
    np.testing.assert_array_equal(ds[7], EpochBatchIndices(50, 10, seed=3)[7])  # by seed
    assert not np.array_equal(ds[0], EpochBatchIndices(50, 10, seed=4)[0])


def test_process_shards_are_disjoint_cover_the_epoch_and_slice_one_global_batch():
    parts = [EpochBatchIndices(48, 4, seed=0, shard_index=p, shard_count=3) for p in range(3)]
    seen = np.concatenate([np.concatenate([d[i] for i in range(4)]) for d in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(48))
    one = EpochBatchIndices(48, 12, seed=0)  # one process holding the whole global batch
    for k in (0, 3, 4, 9):  # epochs 0, 0, 1, 2
        np.testing.assert_array_equal(np.concatenate([d[k] for d in parts]), one[k])
    with pytest.raises(ValueError, match="global batch of 60 .3 processes x 20. exceeds the 48"):
        EpochBatchIndices(48, 20, seed=0, shard_index=0, shard_count=3)


def test_eval_batches_give_each_process_its_slice_of_each_padded_batch():
    arrays = {"image": np.arange(10)[:, None], "label": np.arange(10)}
    whole = list(eval_batches(arrays, 8, lambda b: b))
    parts = [list(eval_batches(arrays, 8, lambda b: b, p, 2)) for p in range(2)]
    for i, (batch, mask) in enumerate(whole):
        np.testing.assert_array_equal(
            np.concatenate([parts[p][i][0]["label"] for p in range(2)]), batch["label"]
        )
        np.testing.assert_array_equal(np.concatenate([parts[p][i][1] for p in range(2)]), mask)
    assert whole[1][1].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]


def test_iterator_state_restores_the_exact_position(digits):
    transform = lambda b: {**b, "image": preprocess(b["image"], 16, "binary", "unit")}
    it = train_iterator(digits["train"], 32, seed=0, transform=transform)
    for _ in range(50):  # past the end of the first epoch (46 batches)
        next(it)
    state = it.get_state()
    expected = [next(it)["label"] for _ in range(3)]
    fresh = train_iterator(digits["train"], 32, seed=0, transform=transform)
    fresh.set_state(state)
    for want in expected:
        np.testing.assert_array_equal(next(fresh)["label"], want)


def test_eval_batches_pad_and_mask_the_last_batch(digits):
    batches = list(eval_batches(digits["test"], 128, lambda b: b))
    assert [b["image"].shape[0] for b, _ in batches] == [128, 128, 128]
    masks = np.concatenate([m for _, m in batches])
    assert masks.sum() == 297 and masks[:297].all()
    labels = np.concatenate([b["label"] for b, _ in batches])[:297]
    np.testing.assert_array_equal(labels, digits["test"]["label"])


def test_an_embedded_dataset_is_prepared_by_one_process_while_others_wait(tmp_path):
    """Two runs starting at once on a fresh data dir once crashed (TFDS's rename of the
    finished dir); preparing now holds a file lock: a second opener waits for it, then finds
    the dataset prepared."""
    import threading

    from genjax.locks import file_lock

    opened = {}
    opener = threading.Thread(
        target=lambda: opened.update(source=open_source("digits", "test", str(tmp_path)))
    )
    with file_lock(str(tmp_path / "genjax_digits.lock")):  # another process is preparing
        opener.start()
        opener.join(1.0)
        assert opener.is_alive() and not opened  # waits for the lock
    opener.join(60)
    assert len(opened["source"]) == 297
