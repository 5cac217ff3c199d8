"""pix2pix, its L1 baseline and CycleGAN on the spine: the jitter, each player's loss against
its definition, exact resume (image pools and fakes included), the evaluation's outputs and
one-line errors for data the methods cannot use."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.data import DataInfo
from genjax.methods import build_method
from genjax.methods.translation import jitter
from tests.helpers import (
    assert_resume_is_bitwise_exact,
    data_of,
    method_of,
    tiny_translation_config,
)


def test_jitter_crops_and_flips_input_and_target_alike():
    """One crop and flip per example, shared by the channels stacked together (input and
    target of a pair), and every crop a window of the stored image."""
    rng = np.random.default_rng(0)
    images = jnp.asarray(rng.normal(size=(64, 6, 6, 2)).astype(np.float32))
    images = images.at[..., 1].set(images[..., 0] * 2.0)  # the "target" is twice the "input"
    out = np.asarray(jitter(jax.random.key(0), images, 4, True))
    assert out.shape == (64, 4, 4, 2)
    np.testing.assert_array_equal(out[..., 1], out[..., 0] * 2.0)
    flipped = 0
    for src, crop in zip(np.asarray(images), out, strict=True):
        windows = [
            (top, left, mirrored)
            for top in range(3)
            for left in range(3)
            for mirrored in (False, True)
            if np.array_equal(
                (src[:, ::-1] if mirrored else src)[top : top + 4, left : left + 4], crop
            )
        ]
        assert windows, "a crop that is no window of its image"
        flipped += windows[0][2]
    assert 16 <= flipped <= 48  # half flipped: binomial(64, 0.5) within 4 sigma
    same = np.asarray(jitter(jax.random.key(0), images, 6, False))
    np.testing.assert_array_equal(same, images)  # nothing to crop, no flip: unchanged


def _unpaired_info(a_channels=1, b_channels=1) -> DataInfo:
    return DataInfo(
        (16, 16, b_channels), 10, False, "symmetric", 255, (16, 16, a_channels), "unpaired"
    )


def test_methods_refuse_the_wrong_kind_of_data_in_one_line():
    pix2pix = tiny_translation_config("pix2pix")
    with pytest.raises(ValueError, match="method pix2pix needs paired translation data and "):
        build_method(pix2pix, _unpaired_info())
    cyclegan = tiny_translation_config("cyclegan")
    digits = DataInfo((8, 8, 1), 10, False, "symmetric", 16)
    with pytest.raises(ValueError, match="cyclegan needs unpaired .* not translation data: use"):
        build_method(cyclegan, digits)
    with pytest.raises(ValueError, match="identity loss needs domains with the same channels"):
        build_method(cyclegan, _unpaired_info(1, 3))
    cyclegan.loss.identity_weight = 0.0  # no identity loss: 1 -> 3 channels is fine
    assert build_method(cyclegan, _unpaired_info(1, 3)).translate is not None


def test_with_luma_sets_the_luma_and_keeps_the_chroma():
    from genjax.methods.translation import with_luma

    rng = np.random.default_rng(1)
    rgb = rng.uniform(-1, 1, (4, 5, 5, 3)).astype(np.float32)
    luma = rng.uniform(-1, 1, (4, 5, 5, 1)).astype(np.float32)
    out = np.asarray(with_luma(jnp.asarray(rgb), jnp.asarray(luma)))
    y = lambda im: im @ np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(y(out), luma[..., 0], atol=1e-6)
    np.testing.assert_allclose(out - y(out)[..., None], rgb - y(rgb)[..., None], atol=1e-6)
    gray = np.repeat(luma, 3, axis=-1)  # zero chroma: the gray input is the output
    np.testing.assert_allclose(np.asarray(with_luma(jnp.zeros_like(rgb), luma)), gray, atol=1e-6)


def test_keep_luma_needs_gray_to_rgb_data():
    config = tiny_translation_config("pix2pix")
    assert config.model.keep_luma  # the colorization configs keep the luma
    info = DataInfo((16, 16, 3), 0, False, "symmetric", 255, (16, 16, 3), "paired")
    with pytest.raises(ValueError, match="this data maps 3 to 3 channels: set model.keep_luma"):
        build_method(config, info)


def test_unet_size_must_divide_by_its_downsamplings():
    config = tiny_translation_config("l1")
    config.model.num_downs = 5
    info = DataInfo((16, 16, 3), 0, False, "symmetric", 255, (16, 16, 1), "paired")
    with pytest.raises(ValueError, match="5 downsamplings need an image size divisible by 32"):
        build_method(config, info)


@pytest.fixture(scope="module")
def pix2pix():
    config = tiny_translation_config("pix2pix")
    data = data_of(config)
    method = method_of(config, data.info)
    batch = jax.tree.map(jnp.asarray, data.transform({k: v[:8] for k, v in data.train.items()}))
    return config, data, method, batch, method.init(jax.random.key(0), batch)


@pytest.mark.slow  # prepares a translation dataset or compiles four networks
def test_pix2pix_losses_are_the_papers(pix2pix):
    """The generator's loss is BCE(D(x, G(x)), 1) + 100 |G(x) − y| and the discriminator's
    0.5 [BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)], recomputed here from the networks; G(x)
    keeps the input's luma (colorization)."""
    from genjax.methods.pix2pix import _views

    config, data, method, batch, params = pix2pix
    d_player, g_player = method.players
    key = jax.random.key(3)
    k_jit, k_drop = jax.random.split(key)
    x, y = _views(data.info, batch, k_jit, train=True)
    assert x.shape == (8, 16, 16, 1) and y.shape == (8, 16, 16, 3)  # 16x16 crops of 20x20
    fake = method.translate(params, x, k_drop)  # test_dropout on: the training noise
    y_of = lambda im: np.asarray(im) @ np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(y_of(fake), np.asarray(x)[..., 0], atol=1e-5)
    logits = lambda out: method_networks_d(config, data, params, x, out)
    bce = lambda z, t: np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    expected_g = bce(logits(fake), 1.0) + 100.0 * np.mean(np.abs(fake - y))
    value, _ = g_player.loss(params, batch, key, None)
    np.testing.assert_allclose(value, expected_g, rtol=1e-5)
    expected_d = 0.5 * (bce(logits(y), 1.0) + bce(logits(fake), 0.0))
    value, _ = d_player.loss(params, batch, key, None)
    np.testing.assert_allclose(value, expected_d, rtol=1e-5)


def method_networks_d(config, data, params, x, out) -> np.ndarray:
    """The PatchGAN's logits on (input, output) pairs, from the config's own networks."""
    from genjax.methods.pix2pix import read_config
    from genjax.methods.translation import build_discriminator

    cfg = read_config(config, "pix2pix")
    pair = jnp.concatenate([x, out], axis=-1)
    return np.asarray(build_discriminator(cfg.model).apply(params["discriminator"], pair))


@pytest.mark.slow
def test_pix2pix_resume_is_bitwise_and_a_run_scores_its_outputs(tmp_path):
    """10 + 10 steps equal 20 (both players, the generator's EMA); the run scores PSNR, SSIM
    and L1 on every held-out patch beside the gray input, writes the translation grid, and
    the translate command applies the generator to a user's images."""
    from PIL import Image

    from tests.test_experiments import run_main

    def straight(steps):
        config = tiny_translation_config("pix2pix", steps=steps, eval_every=steps)
        config.eval.suite.enabled = True
        return config

    summary = assert_resume_is_bitwise_exact(
        tiny_translation_config, tmp_path, first=10, total=20, straight_config=straight
    )
    model, baseline = summary["suite"]["model"]["ab"], summary["suite"]["baseline"]["ab"]
    assert model["sources"] == summary["test_rows"] == 690  # chelsea and flower patches
    for result in (model, baseline):
        assert 0 < result["ssim"] <= 1 and result["psnr"] > 0 and "fd" not in result
    assert baseline["psnr"] > 15  # gray copied to RGB is close to a photograph
    workdir = tmp_path / "straight"
    assert (workdir / "translation.png").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    Image.fromarray(np.full((40, 30, 3), 90, np.uint8)).save(mine / "a.jpg")
    out = tmp_path / "out"
    code, stdout, err = run_main(
        "experiments.translate", f"--workdir={workdir}", f"--input={mine}", f"--out={out}"
    )
    assert code == 0, err[-2000:]
    assert "translated 1 image(s) A -> B at step 20" in stdout
    assert np.asarray(Image.open(out / "a.png")).shape == (16, 16, 3)


@pytest.fixture(scope="module")
def quick_features():
    """The two digit domains' feature classifiers, trained briefly (the suite's default 3000
    steps cost a minute here) into the session's feature cache, where the runs find them."""
    from genjax.eval.feature_training import get_feature_space

    return {d: get_feature_space(d, steps=300) for d in ("digits_16px", "mnist5k_16px")}


@pytest.mark.slow
def test_cyclegan_resume_is_bitwise_with_its_pools_and_scores_both_directions(
    tmp_path, quick_features
):
    """10 + 10 steps equal 20: four networks, two optimizers, the generators' EMA, both
    image pools and the carried fakes. Both directions are scored once per test image:
    label preservation, FD to the target domain beside the untranslated inputs, cycle L1."""
    del quick_features

    def straight(steps):
        config = tiny_translation_config("cyclegan", steps=steps, eval_every=steps)
        config.eval.suite.enabled = True
        return config

    make = lambda steps: tiny_translation_config("cyclegan", steps=steps)
    summary = assert_resume_is_bitwise_exact(make, tmp_path, 10, 20, straight_config=straight)
    from genjax.run.restore import load_trained

    state = load_trained(str(tmp_path / "straight")).state.model_state
    assert int(state["pool_a"]["count"]) == 8  # full after 20 batches of 32
    model, baseline = summary["suite"]["model"], summary["suite"]["baseline"]
    assert model["ab"]["sources"] == 297 and model["ba"]["sources"] == 1000
    for d in ("ab", "ba"):
        assert 0 <= model[d]["label_preservation"] <= 1 and model[d]["cycle_l1"] > 0
        assert np.isfinite(model[d]["fd"]) and np.isfinite(baseline[d]["fd"])
    assert baseline["ab"]["label_preservation"] > 0.3  # digits read by the MNIST classifier
    for name in ("cycle_aba", "cycle_bab"):
        assert (tmp_path / "straight" / f"{name}.png").exists()


@pytest.mark.parametrize("variant", ["pix2pix", "l1", "cyclegan"])
def test_every_config_reads_and_describes_its_data_without_loading_it(variant, tmp_path):
    """Each variant's configs for the embedded tasks and the TFDS cycle_gan datasets (paper
    sizes) read into typed settings and build their method from the data's description."""
    from configs import translation
    from genjax.data import describe
    from genjax.run.settings import read_settings

    tasks = (
        ("digits_mnist5k", "horse2zebra") if variant == "cyclegan" else ("colorization", "edges")
    )
    for task in tasks:
        settings = read_settings(translation.get_config(f"variant={variant},task={task}"))
        info = describe(settings.data)
        method = settings.family.build(settings.method_settings, info)
        assert method.translate is not None and info.pairing in ("paired", "unpaired")
    assert translation.get_config(f"variant={variant},task=horse2zebra").data.image_size == 256
    default = "digits_mnist5k" if variant == "cyclegan" else "photo_colorization"
    assert translation.get_config(f"variant={variant}").data.name == default  # README's line
    folder = translation.get_config(f"variant={variant},task=folder")
    with pytest.raises(ValueError, match="needs a folder: folder:PATH"):
        read_settings(folder)


@pytest.mark.slow  # prepares a translation dataset or compiles four networks
def test_translation_suite_uses_cached_feature_networks(tmp_path, monkeypatch):
    """The suite loads each domain's cached feature network and never retrains it (a bug once
    passed train_features as ``retrain``: every run trained both networks again)."""
    from genjax.eval import feature_training
    from genjax.eval.config import SuiteConfig
    from genjax.eval.translation import build_translation_suite
    from genjax.run.settings import read_settings

    features = str(tmp_path / "features")
    cached = {
        d: feature_training.get_feature_space(d, feature_dir=features, steps=5)
        for d in ("digits_16px", "mnist5k_16px")
    }

    def refuse(*args, **kwargs):
        raise AssertionError("retrained a cached feature network")

    monkeypatch.setattr(feature_training, "train_feature_net", refuse)
    config = tiny_translation_config("cyclegan")
    suite = build_translation_suite(
        SuiteConfig(feature_dir=features), data_of(config), read_settings(config).data
    )
    assert [d.space.meta["steps"] for d in suite.directions] == [5, 5]
    assert [d.space.name for d in suite.directions] == [
        cached["mnist5k_16px"].name,
        cached["digits_16px"].name,
    ]


@pytest.mark.slow  # prepares a translation dataset or compiles four networks
@pytest.mark.parametrize("generator", ["resnet", "unet"])
def test_cyclegan_translates_both_ways_with_either_generator(generator):
    """The authors offer ResNet and U-Net generators for CycleGAN (--netG); both translate
    (no dropout at test time) to each domain's shape."""
    config = tiny_translation_config("cyclegan")
    config.model.generator = generator
    method = build_method(config, _unpaired_info(1, 1))
    batch = {"input": jnp.zeros((2, 16, 16, 1)), "image": jnp.ones((2, 16, 16, 1))}
    params = method.init(jax.random.key(0), batch)
    for reverse in (False, True):
        out = method.translate(params, batch["input"], jax.random.key(1), reverse)
        assert out.shape == (2, 16, 16, 1) and bool(jnp.all(jnp.abs(out) <= 1))


def test_translation_pictures_name_their_rows():
    """pix2pix's and CycleGAN's grids say which row is the input, the output and the target (or
    the cycle's stages); gray rows become RGB in [0, 1]."""
    from genjax import viz
    from genjax.methods.translation import grid_rows

    gray, rgb = -jnp.ones((4, 8, 8, 1)), jnp.ones((4, 8, 8, 3))
    grid = grid_rows(gray, rgb, rgb, labels=("input", "output", "target"))
    assert isinstance(grid, viz.Labelled) and grid.row_labels == ("input", "output", "target")
    assert grid.shape == (3, 4, 8, 8, 3)
    np.testing.assert_array_equal(np.asarray(grid)[0], 0.0)
    np.testing.assert_array_equal(np.asarray(grid)[1:], 1.0)
    with pytest.raises(ValueError, match="2 row labels for a grid of 3 rows"):
        grid_rows(gray, rgb, rgb, labels=("A", "G(A)"))
