"""The fully observed family through the spine: configs, exact resume and the run's report."""

import math

import numpy as np
import pytest

from configs import autoregressive
from tests.helpers import assert_resume_is_bitwise_exact, tiny_autoregressive_config


@pytest.mark.parametrize("model", autoregressive.MODELS)
def test_every_config_reads_and_builds_without_loading_data(model):
    """Each model on each dataset and variant (the papers' sizes on 28x28) reads into typed
    settings and builds its method from the data's description; gray data get a categorical
    over their own levels."""
    from genjax.data import describe
    from genjax.run.settings import read_settings

    for dataset in autoregressive.DATASETS:
        for variant in ("binary", "gray"):
            if dataset == "cifar10" and model != "pixelcnn":
                with pytest.raises(ValueError, match="use model=pixelcnn"):
                    autoregressive.get_config(f"model={model},dataset=cifar10")
                continue
            if dataset == "binarized_mnist" and variant == "gray":
                with pytest.raises(ValueError, match="use dataset=mnist for variant=gray"):
                    autoregressive.get_config(f"model={model},dataset={dataset},variant=gray")
                continue
            config = autoregressive.get_config(f"model={model},dataset={dataset},variant={variant}")
            settings = read_settings(config)
            info = describe(settings.data)
            method = settings.family.build(settings.method_settings, info)
            assert method.name == model and method.sample is not None
            want = "categorical" if variant == "gray" else "bernoulli"
            if dataset == "cifar10":  # 8-bit colour whatever the variant argument
                want = "logistic_mixture"
                assert info.image_shape == (32, 32, 3) and config.data.variant == "gray"
            assert config.model.likelihood == want


def test_another_kinds_field_is_refused_in_one_line():
    from genjax.run.settings import read_settings

    config = autoregressive.get_config("model=nade")
    config.model.num_masks = 4
    with pytest.raises(ValueError, match="num_masks") as err:
        read_settings(config)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_made_resumes_bitwise_and_reports_the_exact_test_nll(tmp_path):
    """10 + 10 steps equal 20 (a mask drawn per step from the step's key); the run's exact
    test NLL (the average of both masks' probabilities) over all 297 test digits agrees with
    the evaluation loop's, and bits/dim is it over 64 ln 2."""
    summary = assert_resume_is_bitwise_exact(tiny_autoregressive_config, tmp_path, 10, 20)
    assert summary["test_rows"] == summary["nll_examples"] == 297
    np.testing.assert_allclose(summary["test_nll_exact"], summary["test_nll"], rtol=1e-5)
    np.testing.assert_allclose(
        summary["test_bits_per_dim_exact"], summary["test_nll_exact"] / (64 * math.log(2))
    )
    assert 10 < summary["test_nll_exact"] < 64 * math.log(2)  # learnt beyond uniform pixels
    assert (tmp_path / "straight" / "samples.png").exists()


@pytest.mark.slow
def test_a_conditional_gray_pixelcnn_trains_and_samples_each_class(tmp_path):
    """The class-conditional gated PixelCNN on gray digits (a categorical over 17 levels):
    a run ends with a finite exact NLL, and the sampler draws for given labels."""
    import jax

    from genjax.run.experiment import train_and_evaluate
    from genjax.run.restore import load_trained

    config = tiny_autoregressive_config("pixelcnn", steps=10, variant="gray")
    config.model.conditional = True
    summary = train_and_evaluate(config, str(tmp_path))
    assert np.isfinite(summary["test_nll_exact"]) and summary["test_nll_exact"] > 0
    trained = load_trained(str(tmp_path))
    images = trained.method.sample(
        trained.state.eval_params, jax.random.key(0), 3, np.array([1, 7, 7])
    )
    assert images.shape == (3, 8, 8, 1)
    levels = np.asarray(images) * 16
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)  # on the 17 levels


@pytest.mark.slow
def test_the_colour_pixelcnn_trains_on_cifar10_mock_data(tmp_path):
    """The cifar10 config's colour PixelCNN (a mixture of logistics), shrunk, through the spine
    on TFDS mock data: a finite exact NLL over 32x32x3 dimensions and colour samples on the 256
    levels."""
    import jax
    import tensorflow_datasets as tfds

    from genjax.run.experiment import train_and_evaluate
    from genjax.run.restore import load_trained
    from tests.helpers import _fast

    config = autoregressive.get_config("model=pixelcnn,dataset=cifar10")
    config.model.update(features=8, head=16, mixtures=2)  # 15 layers of 5x5: reach 31
    config.optim.warmup_steps = 1
    config.eval.suite.enabled = False
    _fast(config, 2, {"batch_size": 8, "eval_every": 2, "ckpt_every": 2})
    config.eval.num_samples = 2
    with tfds.testing.mock_data(num_examples=16):
        summary = train_and_evaluate(config, str(tmp_path))
        trained = load_trained(str(tmp_path))
    bpd = summary["test_nll_exact"] / (32 * 32 * 3 * math.log(2))
    np.testing.assert_allclose(summary["test_bits_per_dim_exact"], bpd, rtol=1e-6)
    assert np.isfinite(bpd) and bpd > 0  # two steps: no claim on its value
    images = np.asarray(trained.method.sample(trained.state.eval_params, jax.random.key(0), 2))
    assert images.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(images * 255, np.round(images * 255), atol=1e-3)
