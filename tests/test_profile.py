"""The step profiler: FLOPs read from HLO equal XLA's cost analysis for convolutions (padding,
strides, dilation) and dots; a trace's op times join the HLO's ops by kind and phase."""

import jax
import jax.numpy as jnp
import pytest

from genjax.tools.benchmark import cost_of
from genjax.tools.profile import breakdown, hlo_ops, op_times, profile_table

NHWC = ("NHWC", "HWIO", "NHWC")


def _conv(stride=(1, 1), padding="SAME", lhs_dilation=None, rhs_dilation=None):
    return lambda x, w: jax.lax.conv_general_dilated(
        x, w, stride, padding, lhs_dilation, rhs_dilation, dimension_numbers=NHWC
    )


@pytest.mark.parametrize(
    "fn, x_shape, w_shape",
    [
        (_conv(), (4, 8, 8, 3), (3, 3, 3, 5)),  # padding taps are not FLOPs
        (_conv(), (4, 2, 2, 6), (3, 3, 6, 5)),  # a kernel wider than the image
        (_conv((2, 2), "VALID"), (2, 9, 9, 3), (3, 3, 3, 4)),
        (_conv(padding=((2, 2), (2, 2)), lhs_dilation=(2, 2)), (2, 5, 5, 3), (3, 3, 3, 4)),
        (_conv(rhs_dilation=(2, 2)), (2, 8, 8, 3), (3, 3, 3, 4)),
        (lambda a, b: a @ b, (64, 32), (32, 16)),
        (lambda a, b: jnp.einsum("bij,bjk->bik", a, b), (3, 8, 5), (3, 5, 7)),
    ],
)
def test_hlo_flops_equal_xla_cost_analysis(fn, x_shape, w_shape):
    x, w = jnp.ones(x_shape), jnp.ones(w_shape)
    compiled = jax.jit(fn).lower(x, w).compile()
    ops = hlo_ops(compiled.as_text())
    assert sum(op.flops for op in ops.values()) == cost_of(compiled)[0]
    assert {op.kind for op in ops.values() if op.flops} <= {"convolution", "dot"}


def test_gradient_ops_are_split_into_forward_and_backward():
    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w))

    x, w = jnp.ones((32, 16)), jnp.ones((16, 8))
    ops = hlo_ops(jax.jit(jax.value_and_grad(loss)).lower(w, x).compile().as_text())
    dots = [op for op in ops.values() if op.kind == "dot"]
    by_phase = {p: sum(op.flops for op in dots if op.phase == p) for p in ("forward", "backward")}
    assert by_phase == {"forward": 2 * 32 * 16 * 8, "backward": 2 * 32 * 16 * 8}  # x @ w, x.T @ g


def test_trace_times_join_the_hlo_ops():
    # Three steps per call: a loop body's ops count once in the HLO and run three times.
    def three_steps(a, b):
        return jax.lax.scan(lambda c, _: (jnp.sin(c @ b), None), a, None, length=3)[0].sum()

    a, b = jnp.ones((256, 128)), jnp.eye(128)
    compiled = jax.jit(three_steps).lower(a, b).compile()
    compiled(a, b).block_until_ready()
    times = op_times(lambda: compiled(a, b), calls=3)
    ops = hlo_ops(compiled.as_text())
    rows = breakdown(times, ops, steps_per_call=3)
    assert rows and all(r["ms_per_step"] >= 0 for r in rows)
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    dot = [r for r in rows if r["kind"] == "dot"]
    assert len(dot) == 1 and dot[0]["flops_per_step"] == pytest.approx(2 * 256 * 128 * 128)
    per_call = breakdown(times, ops)
    assert per_call[0]["ms_per_step"] == pytest.approx(3 * rows[0]["ms_per_step"])
    assert "| dot | rest | 1 |" in profile_table(rows, peak=1e9)
