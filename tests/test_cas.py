"""Generated data as training data: the classification accuracy score, class-stratified sample
sets, the labelled subsets and the augmentation table (genjax.applications.cas, cas_report,
augment)."""

import json
import os

import jax
import numpy as np
import pytest
from scipy import stats

from genjax.applications import augment, cas, cas_report
from genjax.data import DataConfig, load_data
from genjax.data.loading import per_class_subset
from genjax.data.transforms import to_float
from genjax.eval.feature_training import accuracy, train_feature_net
from genjax.eval.features import feature_space_of
from tests.helpers import method_of, tiny_config, tiny_gan_config


def test_stratified_labels_are_exactly_balanced_and_random_ones_are_not():
    key = jax.random.key(3)
    strat = cas.draw_labels("stratified", 1000, 10, key)
    np.testing.assert_array_equal(np.bincount(strat, minlength=10), np.full(10, 100))
    rand = cas.draw_labels("random", 1000, 10, key)
    assert np.bincount(rand, minlength=10).max() > 100 and set(rand) <= set(range(10))
    np.testing.assert_array_equal(rand, cas.draw_labels("random", 1000, 10, key))  # by key
    with pytest.raises(ValueError, match="unknown labeling 'even'; valid: stratified, random"):
        cas.draw_labels("even", 10, 10, key)


def test_cas_classifier_on_real_data_is_the_suites_classifier():
    """The CAS path (images in [0, 1]) trains exactly the suite's feature network (raw levels):
    the same test accuracy, to the last example."""
    data = load_data(DataConfig(variant="gray"))
    steps = 150
    net, params = train_feature_net(data.train, 16, 10, "conv", steps, seed=1)
    space = feature_space_of(
        net, params, {"dataset": "digits", "arch": "conv", "kind": "classifier"}
    )
    test_x = to_float(data.test["image"], 16)
    suite_acc = accuracy(space, test_x, data.test["label"])
    cas_acc = cas.train_and_test(
        to_float(data.train["image"], 16),
        data.train["label"],
        test_x,
        data.test["label"],
        10,
        steps=steps,
        seed=1,
    )
    assert cas_acc == suite_acc and suite_acc > 0.5


@pytest.mark.slow
def test_cas_reference_reproduces_the_cached_suite_accuracy(feature_dir):
    """At the suite's own schedule (3000 steps, seed 0) the real-data reference is the cached
    feature network's recorded test accuracy (96.6% on gray digits here)."""
    from genjax.eval.feature_training import get_feature_space

    space = get_feature_space("digits", feature_dir=feature_dir)
    data = load_data(DataConfig(variant="gray"))
    scores = cas.real_data_score(
        {"image": to_float(data.train["image"], 16), "label": data.train["label"]},
        {"image": to_float(data.test["image"], 16), "label": data.test["label"]},
        10,
        seeds=1,
    )
    assert scores == [space.meta["test_accuracy"]]


def test_conditional_samples_pad_to_one_shape_and_refuse_unconditional_models():
    config = tiny_config("cvae")
    method = method_of(config)
    data = load_data(DataConfig.read(config.data))
    params = method.init(
        jax.random.key(0), data.transform({k: v[:4] for k, v in data.train.items()})
    )
    labels = np.array([0, 1, 2, 3, 4, 5])
    key = jax.random.key(1)
    images = cas.conditional_samples(method, params, key, labels, chunk=4)
    assert images.shape == (6, 8, 8, 1)
    first = method.sample(params, jax.random.fold_in(key, 0), 4, labels[:4])
    np.testing.assert_array_equal(images[:4], np.asarray(first))
    gan = method_of(tiny_gan_config("gan"))
    with pytest.raises(ValueError, match="method gan is not class-conditional"):
        cas.conditional_samples(gan, None, key, labels)


def test_per_class_subset_keeps_exactly_n_of_each_class_by_seed():
    labels = np.repeat(np.arange(3), [5, 7, 9])
    a = per_class_subset(labels, 4, seed=0)
    np.testing.assert_array_equal(np.bincount(labels[a]), [4, 4, 4])
    np.testing.assert_array_equal(a, per_class_subset(labels, 4, seed=0))
    assert not np.array_equal(a, per_class_subset(labels, 4, seed=1))
    with pytest.raises(
        ValueError, match="class 0 has 5 training rows, fewer than train_per_class=6"
    ):
        per_class_subset(labels, 6, seed=0)
    data = load_data(DataConfig(train_per_class=5, subset_seed=2))
    np.testing.assert_array_equal(np.bincount(data.train["label"]), np.full(10, 5))
    full = load_data(DataConfig())
    keep = per_class_subset(full.train["label"], 5, 2)
    np.testing.assert_array_equal(data.train["image"], full.train["image"][keep])
    assert len(data.test["label"]) == len(full.test["label"])  # the test split is kept whole


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"train_per_class": -1}, "data.train_per_class=-1 needs a labelled dataset and a count"),
        (
            {
                "name": "photo_colorization",
                "variant": "gray",
                "pixel_range": "symmetric",
                "train_per_class": 5,
            },
            "data.exclude_label, data.perturb and data.train_per_class apply to ordinary",
        ),
    ],
)
def test_bad_subset_fields_are_one_line_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        DataConfig(**fields)


def test_runs_saved_before_a_new_data_field_are_still_found():
    """A run's config.json written before data.train_per_class existed equals today's config
    with its default; a set value is a difference."""
    from genjax.applications.protocols import config_differences

    config = tiny_config("cvae")
    saved = json.loads(json.dumps(config.to_dict()))
    del saved["data"]["train_per_class"], saved["data"]["subset_seed"]
    assert config_differences(saved, config) == []
    config.data.train_per_class = 5
    assert config_differences(saved, config) == ["data.train_per_class"]


def test_settings_errors():
    with pytest.raises(ValueError, match="seeds must be at least 2 for an interval; got 1"):
        cas_report.CasSettings(seeds=1)
    with pytest.raises(ValueError, match="spread_seeds must be 0 \\(skip\\) or at least 2"):
        cas_report.CasSettings(spread_seeds=1)
    with pytest.raises(ValueError, match="seeds=0 skips the score: set spread_seeds >= 2"):
        cas_report.CasSettings(seeds=0)
    with pytest.raises(ValueError, match="unknown classifier arch 'resnet'; valid: mlp, conv"):
        cas_report.CasSettings(arch="resnet")
    with pytest.raises(ValueError, match="per_class lists labelled images per class"):
        augment.AugmentSettings(per_class=(5, -1))
    with pytest.raises(ValueError, match="ratios are synthetic images per real one, > 0"):
        augment.AugmentSettings(ratios=(0.0,))
    with pytest.raises(ValueError, match="unknown augment fields \\['seed'\\]"):
        augment.AugmentSettings.read({"seed": 3})


def test_augment_summary_intervals_and_verdicts_against_scipy():
    """Each setting's interval is the 95% Student-t one over seeds; the change is paired."""
    rng = np.random.default_rng(0)
    real = rng.uniform(0.6, 0.7, 5)
    runs = {
        5: [
            {"rows": 50, "real": r, "ratio 1": r + 0.05 + d, "ratio 4": r - 0.001 * (i - 2)}
            for i, (r, d) in enumerate(zip(real, rng.normal(0, 0.005, 5), strict=True))
        ]
    }
    cfg = augment.AugmentSettings(per_class=(5,), ratios=(1.0, 4.0))
    report = augment.summarize(runs, cfg, 297)
    row = report["per_class"]["5"]
    half = stats.t.ppf(0.975, 4) * real.std(ddof=1) / np.sqrt(5)
    np.testing.assert_allclose(
        [row["real"]["low"], row["real"]["high"]], [real.mean() - half, real.mean() + half]
    )
    assert row["ratio 1 change"]["verdict"] == "helps"
    assert row["ratio 4 change"]["verdict"] == "no measurable difference"
    assert augment.verdict({"low": -0.2, "high": -0.1}) == "hurts"
    text = augment.markdown(report)
    assert f"| 5 | {100 * real.mean():.1f} [" in text and "helps" in text
    assert "| + 1:1 | + 4:1 | change at 1:1 | change at 4:1 |" in text
    assert augment.setting_name("ratio 0.5 unlabelled") == "0.5:1 unlabelled"


@pytest.mark.slow
def test_cas_and_labeling_spread_end_to_end(tmp_path):
    """A trained cVAE's CAS rows and the FD/KID spread: stratified sets have equal class counts,
    random ones do not; the table names both."""
    from genjax.run.experiment import train_and_evaluate

    workdir = str(tmp_path / "cvae")
    train_and_evaluate(tiny_config("cvae", steps=40), workdir)
    cfg = cas_report.CasSettings(seeds=2, num_per_class=10, steps=30, spread_seeds=2)
    report = cas_report.evaluate_run(workdir, cfg)
    (row,) = report["rows"].values()
    assert len(row["per_seed"]) == 2 and all(0 <= a <= 1 for a in row["per_seed"])
    assert report["samples_per_seed"] == 100 and report["variant"] == "binary"
    assert report["spread"]["stratified"]["class_counts_max_minus_min"] == [0, 0]
    assert max(report["spread"]["random"]["class_counts_max_minus_min"]) > 0
    ratio = report["random_over_stratified"]["fd"]["variance_ratio"]
    assert ratio["low"] < ratio["ratio"] < ratio["high"]
    text = cas_report.markdown([report], 2)
    assert "| cvae (step 40) | digits binary, test 297 | 100 |" in text and "| random |" in text


@pytest.mark.slow
def test_augment_cell_trains_the_generator_on_the_labelled_few_once(tmp_path):
    base = tiny_config("cvae", steps=20)
    cfg = augment.AugmentSettings(per_class=(3,), seeds=2, ratios=(1.0,), classifier_steps=20)
    cell = augment.run_cell(base, cfg, 3, 1, str(tmp_path))
    run = tmp_path / "n3" / "seed1"
    saved = json.loads((run / "config.json").read_text())
    assert saved["data"]["train_per_class"] == 3 and saved["data"]["variant"] == "gray"
    assert cell["rows"] == 30 and cell["test_rows"] == 297
    assert set(cell) == {"rows", "test_rows", "step", "real", "ratio 1"}
    mtime = os.path.getmtime(run / "summary.json")
    again = augment.run_cell(base, cfg, 3, 1, str(tmp_path))  # found, not retrained
    assert os.path.getmtime(run / "summary.json") == mtime and again["real"] == cell["real"]
    report = augment.summarize({3: [cell, again]}, cfg, 297)
    augment.plot(report, str(tmp_path / "augment.png"))
    assert (tmp_path / "augment.png").stat().st_size > 1000


@pytest.mark.slow
def test_the_scripts_on_one_trained_cvae(tmp_path):
    """experiments.cas, .temperature, .sampling_variance and .augment end to end (subprocesses:
    each defines its own flags), each writing its JSON and table."""
    from genjax.run.experiment import train_and_evaluate
    from tests.test_experiments import run_main

    workdir = str(tmp_path / "cvae")
    train_and_evaluate(tiny_config("cvae", steps=20), workdir)
    out = tmp_path / "out"
    runs = {
        "cas": ["--seeds=2", "--num_per_class=5", "--steps=10"],
        "temperature": ["--values=0.5,1"],
        "sampling_variance": ["--num_samples=8", "--repeats=2"],
    }
    for script, args in runs.items():
        code, stdout, err = run_main(
            f"experiments.{script}",
            f"--workdir{'s' if script != 'sampling_variance' else ''}={workdir}",
            f"--out={out}",
            *args,
        )
        assert code == 0, err[-2000:]
        report = json.loads((out / f"{script}.json").read_text())
        assert (out / f"{script}.md").read_text() in stdout
    assert report["techniques"]["sobol"]["elbo"]["variance"] > 0
    cas_report_ = json.loads((out / "cas.json").read_text())["runs"][0]
    assert cas_report_["samples_per_seed"] == 50 and len(cas_report_["real"]["per_seed"]) == 2
    curve = json.loads((out / "temperature.json").read_text())["runs"][0]["curve"]
    assert [r["value"] for r in curve] == [0.5, 1.0] and (out / "temperature.png").exists()
    code, stdout, err = run_main(
        "experiments.augment",
        "--config=configs/augment.py:unlabelled=vae",
        f"--workdir={tmp_path / 'aug'}",
        "--config.augment.per_class=3",
        "--config.augment.seeds=2",
        "--config.augment.ratios=1",
        "--config.augment.generator_steps=20",
        "--config.augment.classifier_steps=10",
        "--config.augment.generator_eval_samples=2",
    )
    assert code == 0, err[-2000:]
    table = json.loads((tmp_path / "aug" / "augment.json").read_text())["per_class"]["3"]
    assert table["rows"] == 30 and len(table["per_seed"]) == 2
    assert set(table["per_seed"][0]) >= {"real", "ratio 1", "ratio 1 unlabelled"}
    assert "change at 1:1 unlabelled" in stdout
    saved = json.loads((tmp_path / "aug" / "unlabelled" / "seed1" / "config.json").read_text())
    assert saved["data"]["train_per_class"] == 0 and saved["method"] == "vae"
    assert (tmp_path / "aug" / "augment.png").exists()


def test_script_errors_come_before_any_run_is_read():
    from tests.test_experiments import run_main

    code, _, err = run_main("experiments.cas", "--workdirs=/nonexistent", "--seeds=1")
    assert code == 1 and "seeds must be at least 2 for an interval; got 1" in err
    code, _, err = run_main("experiments.temperature", "--workdirs=/x", "--scheme=cold")
    assert code == 1 and "--scheme: unknown 'cold'; valid: temperature, truncation" in err
    code, _, err = run_main(
        "experiments.augment",
        "--config=configs/augment.py",
        "--workdir=/tmp/unused",
        "--config.augment.seeds=1",
    )
    assert code == 1 and "seeds must be at least 2 for an interval; got 1" in err


def test_variance_ratio_interval_is_the_f_interval():
    """var(a)/var(b) with the 95% interval that F(n_a - 1, n_b - 1) gives; it holds the true
    ratio of two normal samples about 95% of the time."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 2, 12), rng.normal(0, 1, 8)
    got = cas_report.variance_ratio(a, b)
    ratio = a.var(ddof=1) / b.var(ddof=1)
    np.testing.assert_allclose(got["ratio"], ratio)
    np.testing.assert_allclose(got["low"], ratio / stats.f.ppf(0.975, 11, 7))
    np.testing.assert_allclose(got["high"], ratio / stats.f.ppf(0.025, 11, 7))
    covered = [
        (lambda r: r["low"] <= 4.0 <= r["high"])(
            cas_report.variance_ratio(rng.normal(0, 2, 10), rng.normal(0, 1, 10))
        )
        for _ in range(400)
    ]
    assert 0.92 <= np.mean(covered) <= 0.98
