"""The feature network, its cache, the floor and ceiling on digits, and the suite in the loop."""

import json
import os
import shutil

import jax
import numpy as np
import pytest
import tensorflow_datasets as tfds

from genjax.data.transforms import to_float
from genjax.eval import feature_training
from genjax.eval import features as features_lib
from genjax.eval.config import SuiteConfig
from genjax.eval.feature_training import accuracy, get_feature_space, train_feature_net
from genjax.eval.metrics import extract
from genjax.eval.suite import build_suite, marginal_chunks
from genjax.methods.base import Method, stateless
from genjax.run.experiment import train_and_evaluate
from tests.helpers import data_of, method_of, tiny_config


@pytest.fixture(scope="module")
def data():
    return data_of(tiny_config())


@pytest.fixture(scope="module")
def space():
    return get_feature_space("digits")  # trained once per session into the tmp feature dir


@pytest.mark.slow
def test_digits_feature_classifier_is_accurate_and_recorded(space, data):
    assert space.meta["test_accuracy"] >= 0.95
    assert space.meta["test_accuracy_binarized"] >= 0.90
    images = to_float(data.test["image"], 16)
    assert accuracy(space, images, data.test["label"]) == space.meta["test_accuracy"]
    assert space.features(images).shape == (len(images), 128)


@pytest.mark.slow
def test_feature_network_is_cached_not_retrained(space, data, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("retrained although cached")

    monkeypatch.setattr(feature_training, "train_feature_net", refuse)
    again = get_feature_space("digits")
    images = to_float(data.test["image"][:50], 16)
    np.testing.assert_array_equal(again.features(images), space.features(images))
    assert again.meta == space.meta


@pytest.mark.slow
def test_cache_errors(space, tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m experiments.evaluate features"):
        get_feature_space("digits", feature_dir=str(tmp_path), train_if_missing=False)
    path = features_lib.cache_path("", "digits", "conv")
    stale = tmp_path / "stale"
    stale.mkdir()
    meta = json.load(open(os.path.join(path, "meta.json")))
    meta["arch_spec"]["feature_dim"] = 7
    (stale / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="another definition of arch 'conv'"):
        features_lib.load_feature_space(str(stale))
    other = tmp_path / "other" / "digits-conv"  # a cache of digits cropped another way
    shutil.copytree(path, other)
    meta = json.load(open(other / "meta.json"))
    meta["data_definition"]["crop_resize"] = [[6, 6], 8]
    (other / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="trained on another definition of digits .*--retrain"):
        get_feature_space("digits", feature_dir=str(other.parent))


def test_autoencoder_codes_for_unlabelled_data(data):
    net, params = train_feature_net(data.train, 16, 0, "mlp", steps=300)
    images = to_float(data.test["image"], 16)
    codes = np.asarray(net.apply(params, images)[0])
    assert codes.shape == (len(images), 64)
    # Codes carry class information: nearest class centroid beats chance (10%) by far.
    labels = data.test["label"]
    centroids = np.stack([codes[labels == c].mean(0) for c in range(10)])
    guess = np.argmin(((codes[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    assert (guess == labels).mean() > 0.5


def test_marginal_ceiling_draws_per_pixel_marginals(data):
    images = np.concatenate([x for x, _ in marginal_chunks(data, 4000, 1000, seed=0)])
    train = data.transform({"image": data.train["image"]})["image"]
    p = train.mean(0)
    se = np.sqrt(p * (1 - p) / 4000) + 1e-9
    assert np.all(np.abs(images.mean(0) - p) < 5 * se)
    assert set(np.unique(images)) <= {0.0, 1.0}


@pytest.mark.slow
def test_floor_is_below_ceiling_and_results_say_what_they_are(data):
    suite = build_suite(SuiteConfig(num_samples=300), data, "digits")
    floor, ceiling = suite.bounds["floor"], suite.bounds["ceiling"]
    assert floor["fd"] < ceiling["fd"] and floor["kid"] < ceiling["kid"]
    assert floor["precision"] > ceiling["precision"] and floor["recall"] > ceiling["recall"]
    assert floor["inception_score"] > ceiling["inception_score"]
    assert floor["num_samples"] == ceiling["num_samples"] == 300
    assert floor["reference"] == "digits test split, binary (297 rows)"
    assert floor["samples"] == "digits train split" and "conv classifier" in floor["features"]


@pytest.mark.slow
def test_class_accuracy_of_a_perfect_conditional_generator(space, data):
    """A generator that returns real train images of the asked label scores the classifier's
    accuracy on exactly those images."""
    images = data.transform(data.train)["image"]
    by_label = [images[data.train["label"] == c] for c in range(10)]

    def generate(params, key, num, labels):
        return np.stack([by_label[y][i // 10] for i, y in enumerate(labels)])

    method = Method(
        name="perfect",
        init=None,
        eval_metrics=None,
        loss=stateless(lambda params, batch, key: (0.0, {})),
        sample=generate,
        conditional=True,
    )
    suite = build_suite(SuiteConfig(num_samples=300), data, "digits")
    result = suite.evaluate(method, None, jax.random.key(0), chunk=300)  # one call
    shown = np.stack([by_label[i % 10][i // 10] for i in range(300)])
    expected = accuracy(space, shown, np.arange(300) % 10)
    assert result["class_accuracy"] == pytest.approx(expected)
    assert result["fd"] == pytest.approx(suite.judge(extract(space, [(shown, None)]))["fd"])


@pytest.mark.slow
def test_loop_computes_the_suite_at_eval_steps(tmp_path):
    config = tiny_config("cvae", steps=20)
    config.eval.suite.enabled = True
    summary = train_and_evaluate(config, str(tmp_path))
    assert set(summary["suite"]) == {"model", "floor", "ceiling"}
    model = summary["suite"]["model"]
    assert 0.0 <= model["class_accuracy"] <= 1.0 and model["num_samples"] == 300
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in rows if r["split"] == "suite"] == [10, 20]
    assert any(r["split"] == "suite_floor" for r in rows)


def test_suite_needs_a_method_that_generates(tmp_path):
    config = tiny_config("autoencoder")
    config.eval.suite.enabled = True
    with pytest.raises(ValueError, match="set --config.eval.suite.enabled=False"):
        train_and_evaluate(config, str(tmp_path))


def test_untrained_vae_generates_binary_images(data):
    method = method_of(tiny_config(), data.info)
    batch = data.transform({k: v[:4] for k, v in data.train.items()})
    params = method.init(jax.random.key(0), batch)
    images = np.asarray(method.sample(params, jax.random.key(1), 5, None))
    assert images.shape == (5, 8, 8, 1) and set(np.unique(images)) <= {0.0, 1.0}
    assert not method.conditional


@pytest.mark.parametrize(
    "dataset, kind", [("mnist", "classifier"), ("binarized_mnist", "autoencoder")]
)
@pytest.mark.slow
def test_suite_on_tfds_datasets_with_mock_data(tmp_path, dataset, kind):
    config = tiny_config(steps=2)
    config.data.name = dataset
    config.eval.suite.update(enabled=True, feature_dir=str(tmp_path / "f"), num_samples=32)
    with tfds.testing.mock_data(num_examples=64):
        space = get_feature_space(dataset, feature_dir=str(tmp_path / "f"), steps=20)
        summary = train_and_evaluate(config, str(tmp_path / "run"))
    assert space.meta["kind"] == kind and (space.probs is None) == (kind == "autoencoder")
    model = summary["suite"]["model"]
    assert model["num_samples"] == 32 and np.isfinite(model["fd"])
    assert ("inception_score" in model) == (kind == "classifier")
    assert model["features"].startswith(f"{dataset}-conv {kind}")
