"""pytorch-fid's FID Inception ported to Flax: features equal a PyTorch reference on random
weights; the weights file is read without torch; inception:PATH plugs it into the suite."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.eval.config import SuiteConfig
from genjax.eval.inception import (
    FIDInception,
    inception_feature_space,
    params_from_state_dict,
    preprocess,
)
from genjax.eval.metrics import FeatureSet, compare, extract
from genjax.eval.torch_file import load_state_dict


@pytest.fixture(scope="module")
def torch():
    """PyTorch: the test extra installs its CPU build on Python 3.11 (x86_64); elsewhere the
    tests that compare with it skip and the torch-free ones still run."""
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def reference(torch):
    from tests.torch_fid_inception import randomised

    net = randomised(seed=0)
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    variables = params_from_state_dict(state)
    network = jax.jit(lambda x: FIDInception().apply(variables, x))  # one compile: 2 x 299^2
    return net, state, network


def torch_features(net, images: np.ndarray):
    import torch

    with torch.no_grad():
        pool, logits = net(torch.from_numpy(images.transpose(0, 3, 1, 2).copy()))
    return pool.numpy(), logits.numpy()


@pytest.mark.slow
@pytest.mark.parametrize(
    "shape", [(2, 32, 32, 3), (2, 28, 28, 1), (2, 320, 310, 3)], ids=["up", "gray", "down"]
)
def test_port_matches_pytorch_on_random_weights(reference, shape):
    """pool3 and the fc logits of the port equal the PyTorch network's to 1e-4 of their scale,
    through pytorch-fid's resizing (up and down) and its gray-to-RGB conversion."""
    net, state, network = reference
    images = np.random.default_rng(1).uniform(size=shape).astype(np.float32)
    rgb = np.repeat(images, 3, axis=-1) if shape[-1] == 1 else images
    want_pool, want_logits = torch_features(net, rgb)
    pool, unbiased, logits = network(preprocess(jnp.asarray(images)))
    assert want_pool.shape == (2, 2048) and want_logits.shape == (2, 1008)
    scale = np.abs(want_pool).max()
    # The random network's features depend on the image (the tolerance is 300x finer):
    assert np.abs(want_pool[0] - want_pool[1]).max() > 0.01 * scale
    np.testing.assert_allclose(np.asarray(pool), want_pool, atol=1e-4 * scale, rtol=0)
    logit_scale = np.abs(want_logits).max()
    np.testing.assert_allclose(np.asarray(logits), want_logits, atol=1e-4 * logit_scale, rtol=0)
    np.testing.assert_allclose(
        np.asarray(unbiased), want_logits - state["fc.bias"], atol=1e-4 * logit_scale, rtol=0
    )


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_weights_file_is_read_without_torch(tmp_path, zip_format, torch):
    """Both torch.save formats give back every tensor exactly (dtype, shape, values, strides)."""
    torch.manual_seed(0)
    state = {
        "a.conv.weight": torch.randn(4, 3, 2, 2),
        "a.bn.running_var": torch.rand(4, dtype=torch.float64),
        "a.bn.num_batches_tracked": torch.tensor(7),
        "fc.weight": torch.randn(5, 6).t(),  # a non-contiguous view
        "mask": torch.tensor([True, False]),
    }
    path = tmp_path / "w.pth"
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    got = load_state_dict(str(path))
    assert list(got) == list(state)
    for name, tensor in state.items():
        want = tensor.numpy()
        assert got[name].dtype == want.dtype and got[name].shape == want.shape, name
        np.testing.assert_array_equal(got[name], want)


def test_weights_file_refuses_code(tmp_path, torch):
    path = tmp_path / "evil.pth"
    torch.save({"x": torch.zeros(1), "f": print}, path)
    with pytest.raises(
        Exception, match="refusing to load .*print: a state dict holds only tensors"
    ):
        load_state_dict(str(path))


def test_state_dict_errors_name_the_tensor(reference):
    _, state, _ = reference
    with pytest.raises(ValueError, match="lack 1 tensors .*Mixed_7c.branch_pool.conv.kernel"):
        params_from_state_dict(
            {k: v for k, v in state.items() if k != "Mixed_7c.branch_pool.conv.weight"}
        )
    wrong = dict(state, **{"fc.weight": np.zeros((10, 2048), np.float32)})
    with pytest.raises(ValueError, match="'fc.weight' has shape"):
        params_from_state_dict(wrong)


def test_suite_config_checks_the_weights_path():
    with pytest.raises(ValueError, match="no file at '/nowhere/w.pth'; download pytorch-fid"):
        SuiteConfig(features="inception:/nowhere/w.pth")


@pytest.mark.slow
def test_feature_space_scores_inception_not_class_accuracy(reference, tmp_path, torch):
    """inception:PATH: pool3 features of the port, ImageNet probabilities from pool3 . W (no
    bias), an inception score and no class accuracy (its classes are not the dataset's)."""
    net, state, _ = reference
    path = tmp_path / "pt_inception.pth"
    torch.save(net.state_dict(), path)
    SuiteConfig(features=f"inception:{path}")  # accepted
    space = inception_feature_space(str(path), batch=4)
    images = np.random.default_rng(2).uniform(size=(6, 20, 20, 1)).astype(np.float32)
    want_pool, want_logits = torch_features(net, np.repeat(images, 3, axis=-1))
    got = extract(space, [(images[:3], np.arange(3)), (images[3:], np.arange(3))])
    np.testing.assert_allclose(got.features, want_pool, atol=1e-4 * np.abs(want_pool).max())
    logits = want_logits - state["fc.bias"]
    want_probs = np.exp(logits - logits.max(1, keepdims=True))
    want_probs /= want_probs.sum(1, keepdims=True)
    np.testing.assert_allclose(got.probs, want_probs, atol=1e-5)
    assert got.labels is None
    result = compare(got, FeatureSet(want_pool), kid_subsets=2, pr_k=2)
    assert "inception_score" in result and "class_accuracy" not in result


def torch_layout_state_dict(seed: int) -> dict[str, np.ndarray]:
    """A random state dict in PyTorch's layout and names, made from the port's own parameter
    shapes (conv [O, I, kh, kw], fc [1008, 2048]), without torch."""
    template = jax.eval_shape(
        FIDInception().init, jax.random.key(0), jnp.zeros((1, 75, 75, 3), jnp.float32)
    )
    rng, state = np.random.default_rng(seed), {}
    names = {"kernel": "weight", "scale": "weight", "bias": "bias", "mean": "running_mean"}
    names["var"] = "running_var"
    for tree in template.values():
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
            *modules, leaf_name = (p.key for p in path)
            shape = leaf.shape
            if leaf_name == "kernel":
                shape = (shape[3], shape[2], shape[0], shape[1]) if len(shape) == 4 else shape[::-1]
            value = rng.normal(size=shape) / np.sqrt(np.prod(shape[1:]) if len(shape) > 1 else 1)
            if leaf_name == "var":
                value = rng.uniform(0.5, 2.0, size=shape)
            state[".".join([*modules, names[leaf_name]])] = value.astype(np.float32)
    return state


@pytest.mark.slow
def test_port_loads_a_torch_layout_state_dict_and_runs_without_torch():
    """On any stack: a state dict in PyTorch's layout maps onto every parameter (conv weights
    transposed to HWIO, fc to [2048, 1008]), and the network gives finite pool3 features."""
    state = torch_layout_state_dict(0)
    variables = params_from_state_dict(state)
    kernel = np.asarray(variables["params"]["Mixed_7c"]["branch3x3_2a"]["conv"]["kernel"])
    want = state["Mixed_7c.branch3x3_2a.conv.weight"].transpose(2, 3, 1, 0)
    np.testing.assert_array_equal(kernel, want)
    images = np.random.default_rng(1).uniform(size=(2, 75, 75, 3)).astype(np.float32)
    pool, _, logits = FIDInception().apply(variables, preprocess(jnp.asarray(images), False))
    assert pool.shape == (2, 2048) and logits.shape == (2, 1008)
    assert np.all(np.isfinite(np.asarray(pool))) and float(jnp.abs(pool).max()) > 0
