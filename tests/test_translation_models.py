"""pix2pix / CycleGAN networks: the authors' shapes, norms, padding, receptive field, dropout.

Every network here is tiny (a few channels); shapes alone are checked with ``jax.eval_shape``,
which compiles nothing."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.models.translation import (
    Norm,
    PatchDiscriminator,
    ResnetGenerator,
    UNetGenerator,
    patch_receptive_field,
    torch_conv,
    torch_conv_transpose,
    unet_dropout_levels,
    unet_skip_shapes,
)

RNG = np.random.default_rng(0)
KEY = jax.random.key(0)


def _params(net, *args, **kwargs):
    """Parameters of the network's shapes drawn by NumPy (the scales near 1): compiling a
    network's init costs about 0.2 s per weight on CPU, and these tests need any values."""

    def draw(path, leaf):
        value = RNG.normal(0.0, 0.1, leaf.shape).astype(np.float32)
        return value + 1.0 if path[-1].key == "scale" else value

    shapes = jax.eval_shape(functools.partial(net.init, **kwargs), KEY, *args)
    return jax.tree_util.tree_map_with_path(draw, shapes)


# ---- norms and layers --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["batch", "instance", "none"])
def test_norm_statistics_match_numpy(kind):
    x = RNG.normal(2.0, 3.0, size=(3, 5, 4, 6)).astype(np.float32)
    norm = Norm(kind)
    params = jax.jit(norm.init)(KEY, x)
    got = np.asarray(jax.jit(norm.apply)(params, x))
    if kind == "none":
        np.testing.assert_array_equal(got, x)
        return
    axes = (0, 1, 2) if kind == "batch" else (1, 2)
    expected = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    if kind == "batch":  # learnable affine, scale ~ N(1, 0.02), bias 0
        scale, bias = params["params"]["scale"], params["params"]["bias"]
        assert 0.9 < float(scale.min()) and float(scale.max()) < 1.1
        np.testing.assert_array_equal(bias, 0.0)
        expected = expected * np.asarray(scale) + np.asarray(bias)
    else:
        assert params == {}  # PyTorch's InstanceNorm2d: affine=False, nothing to learn
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_weights_are_drawn_from_normal_0_002():
    layer = torch_conv(32, 4, 2, 1, True, name="conv")
    params = jax.jit(layer.init)(KEY, jnp.zeros((1, 8, 8, 16)))["params"]
    kernel = np.asarray(params["kernel"])  # 4x4x16x32
    assert abs(kernel.mean()) < 0.002 and 0.018 < kernel.std() < 0.022
    np.testing.assert_array_equal(params["bias"], 0.0)


def _torch_conv_transpose_reference(x, kernel, padding, output_padding):
    """PyTorch's stride-2 ConvTranspose2d by its definition: each input pixel scatters its
    kernel-weighted copy to rows 2i - padding + k; the kernel is [k, k, C_out, C_in]."""
    b, h, w, _ = x.shape
    k = kernel.shape[0]
    full = np.zeros(
        (b, 2 * (h - 1) + k + output_padding, 2 * (w - 1) + k + output_padding, kernel.shape[2])
    )
    for i in range(h):
        for j in range(w):
            full[:, 2 * i : 2 * i + k, 2 * j : 2 * j + k] += np.einsum(
                "bc,yxoc->byxo", x[:, i, j], kernel
            )
    out_h, out_w = (
        2 * (h - 1) - 2 * padding + k + output_padding,
        2 * (w - 1) - 2 * padding + k + output_padding,
    )
    return full[:, padding : padding + out_h, padding : padding + out_w]


@pytest.mark.parametrize("kernel_size,padding,output_padding", [(4, 1, 0), (3, 1, 1)])
def test_transposed_convolution_is_pytorchs(kernel_size, padding, output_padding):
    """U-Net (k4 p1) and ResNet (k3 p1 output_padding 1) upsampling: exactly twice the size,
    aligned and oriented as PyTorch's."""
    x = RNG.normal(size=(2, 3, 5, 2)).astype(np.float32)
    layer = torch_conv_transpose(4, kernel_size, padding, output_padding, False, name="up")
    params = _params(layer, x)
    got = jax.jit(layer.apply)(params, x)
    assert got.shape == (2, 6, 10, 4)
    kernel = np.asarray(params["params"]["kernel"])
    expected = _torch_conv_transpose_reference(x, kernel, padding, output_padding)
    np.testing.assert_allclose(got, expected, atol=1e-6)


# ---- U-Net -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size,num_downs,features,expected",
    [
        (16, 4, 4, [(8, 8, 4), (4, 4, 8), (2, 2, 16)]),
        (32, 5, 2, [(16, 16, 2), (8, 8, 4), (4, 4, 8), (2, 2, 16)]),
        (
            256,
            8,
            1,
            [(128, 128, 1), (64, 64, 2), (32, 32, 4), (16, 16, 8), (8, 8, 8), (4, 4, 8), (2, 2, 8)],
        ),
    ],
)
def test_unet_skip_shapes(size, num_downs, features, expected):
    """The sown encoder maps concatenated onto the decoder, against the pure helper and a
    hand-written list (widths ngf, 2ngf, 4ngf, 8ngf, then capped; 1x1 bottleneck)."""
    assert unet_skip_shapes(size, size, num_downs, features) == expected
    net = UNetGenerator(3, num_downs, features=features)
    x = jnp.zeros((2, size, size, 3))

    def run(key):
        params = net.init(key, x, dropout=False)
        return net.apply(params, x, dropout=False, mutable=["intermediates"])

    out, state = jax.eval_shape(run, KEY)
    assert out.shape == (2, size, size, 3)
    skips = state["intermediates"]
    got = [skips[f"skip{i}"][0].shape[1:] for i in range(len(skips))]
    assert got == expected


def test_unet_norms_and_biases_are_placed_as_the_authors():
    """No norm on the outermost encoder conv nor in the innermost block's encoder; no bias
    before a batch norm (nor on the outermost encoder conv); bias on the output layer."""
    n, x = 5, jnp.zeros((1, 32, 32, 3))
    params = jax.eval_shape(UNetGenerator(3, n, features=2).init, KEY, x, dropout=False)["params"]
    norms = sorted(k for k in params if "norm" in k)
    assert norms == [f"down_norm{i}" for i in range(1, n - 1)] + [
        f"up_norm{i}" for i in range(1, n)
    ]
    assert all("bias" not in params[f"down{i}"] for i in range(n))
    assert all("bias" not in params[f"up{i}"] for i in range(1, n))
    assert "bias" in params["up0"]
    inst = jax.eval_shape(UNetGenerator(3, n, 2, "instance").init, KEY, x, dropout=False)
    assert all("bias" in inst["params"][f"down{i}"] for i in range(n))


def test_unet_dropout_levels_are_the_authors():
    assert unet_dropout_levels(8) == [4, 5, 6]  # unet_256: three 8ngf blocks below the bottleneck
    assert unet_dropout_levels(7) == [4, 5]  # unet_128
    assert unet_dropout_levels(5) == []


def test_unet_rejects_a_size_not_divisible_by_2_to_the_num_downs():
    with pytest.raises(ValueError, match="divisible by 16"):
        UNetGenerator(3, 4).init(KEY, jnp.zeros((1, 24, 24, 3)), dropout=False)


def test_unet_dropout_on_and_off():
    """num_downs=6 has one dropout level. dropout=False is deterministic and needs no rng; the
    same key gives the same output, another key another; rate 0 has no dropout at all."""
    net = UNetGenerator(2, 6, features=2)
    no_rate = UNetGenerator(2, 6, features=2, dropout=0.0)
    x = jnp.asarray(RNG.uniform(-1, 1, size=(2, 64, 64, 1)), jnp.float32)
    params = _params(net, x, dropout=False)

    @jax.jit
    def run(key):
        on = net.apply(params, x, dropout=True, rngs={"dropout": key})
        return on, net.apply(params, x, dropout=False), no_rate.apply(params, x, dropout=True)

    (a, off1, plain), (b, off2, _), (c, _, _) = [run(jax.random.key(i)) for i in (1, 1, 2)]
    assert a.shape == (2, 64, 64, 2) and float(jnp.max(jnp.abs(a))) <= 1.0
    np.testing.assert_array_equal(off1, off2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, off1)
    np.testing.assert_allclose(plain, off1, atol=1e-6)


# ---- PatchGAN ----------------------------------------------------------------------------


def test_patch_receptive_field_values():
    assert [patch_receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_patch_receptive_field_is_the_gradients_support(num_layers):
    """The input pixels one central logit depends on form a square of the analytic side."""
    net = PatchDiscriminator(features=2, num_layers=num_layers, norm="none")
    x = jnp.asarray(RNG.normal(size=(1, 128, 128, 1)), jnp.float32)
    params = _params(net, x)

    @jax.jit
    def grad(x):
        def centre(x):
            out = net.apply(params, x)
            return out[0, out.shape[1] // 2, out.shape[2] // 2, 0]

        return jax.grad(centre)(x)

    support = np.abs(np.asarray(grad(x)))[0, ..., 0] > 0
    rows, cols = np.nonzero(support.any(1))[0], np.nonzero(support.any(0))[0]
    field = patch_receptive_field(num_layers)
    assert rows[-1] - rows[0] + 1 == field and cols[-1] - cols[0] + 1 == field
    assert rows[0] > 0 and rows[-1] < 127  # not clipped by the border
    assert support[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].all()


def test_patch_discriminator_layout():
    """70x70 PatchGAN on 256 px: 30x30 logits; widths capped at 8ndf; no norm on the first conv."""
    net = PatchDiscriminator(features=2, num_layers=5)
    params = jax.eval_shape(net.init, KEY, jnp.zeros((1, 256, 256, 3)))["params"]
    widths = [params[f"conv{i}"]["kernel"].shape[-1] for i in range(7)]
    assert widths == [2, 4, 8, 16, 16, 16, 1]
    assert sorted(k for k in params if "norm" in k) == [f"norm{i}" for i in range(1, 6)]
    basic = PatchDiscriminator(features=2)
    out = jax.eval_shape(
        lambda: basic.apply(
            basic.init(KEY, jnp.zeros((2, 256, 256, 3))), jnp.zeros((2, 256, 256, 3))
        )
    )
    assert out.shape == (2, 30, 30, 1)


# ---- ResNet generator --------------------------------------------------------------------


@pytest.mark.parametrize("num_blocks,shape", [(3, (2, 16, 20, 3)), (9, (1, 256, 256, 3))])
def test_resnet_generator_keeps_the_input_shape(num_blocks, shape):
    net = ResnetGenerator(3, features=2, num_blocks=num_blocks)
    params = jax.eval_shape(net.init, KEY, jnp.zeros(shape))
    out = jax.eval_shape(net.apply, params, jnp.zeros(shape))
    assert out.shape == shape
    assert sum("block" in k for k in params["params"]) == num_blocks
    assert "bias" in params["params"]["down0"]  # instance norm keeps the bias, as the authors


def test_resnet_generator_runs_and_its_dropout():
    net = ResnetGenerator(1, features=2, num_blocks=1, norm="batch", dropout=0.5)
    x = jnp.asarray(RNG.uniform(-1, 1, size=(2, 12, 8, 3)), jnp.float32)
    params = _params(net, x)

    @jax.jit
    def run(key):
        return net.apply(params, x, dropout=True, rngs={"dropout": key}), net.apply(params, x)

    (a, off), (b, _) = run(jax.random.key(1)), run(jax.random.key(1))
    assert a.shape == (2, 12, 8, 1) and float(jnp.max(jnp.abs(off))) <= 1.0
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, off)
    with pytest.raises(ValueError, match="divisible by 4"):
        net.init(KEY, jnp.zeros((1, 10, 8, 3)))
