"""ChannelMixer without a constraint: the product along any axis, its adjoint, the layer protocol."""

import numpy as np
import pytest

from fieldconv.errors import HostDeviceCopyError
from fieldconv.nn import ChannelMixer
from fieldconv.nn.mixers import _apply
from fieldconv.nn.optim import Adam

from .mixer_cases import central_differences

# (shape, channel_axis): channels first (one GEMM on a (C, N) view), batches
# (B, C, L), channels last (rows), a middle axis with short slabs (batched),
# and a trailing axis of length 1.
LAYOUTS = [
    pytest.param((3, 6, 5, 4), 0, id="first-3d"),
    pytest.param((4, 3, 17), 1, id="BCL"),
    pytest.param((5, 7, 3), -1, id="last"),
    pytest.param((6, 2, 3, 2), 1, id="middle-short"),
    pytest.param((3, 1), 0, id="single-point"),
    pytest.param((3,), 0, id="1d-vector"),
]


def reference(W, b, x, axis):
    y = np.moveaxis(np.tensordot(W, np.moveaxis(x, axis, 0), axes=(1, 0)), 0, axis)
    if b is not None:
        y = y + np.expand_dims(b, tuple(i for i in range(x.ndim) if i != axis % x.ndim))
    return y


@pytest.fixture(params=["default", "gemm-always"])
def chunks(request, monkeypatch):
    """Also run with every slab through the host pre-fill (threaded) + GEMM(beta=1) bias path."""
    if request.param == "gemm-always":
        monkeypatch.setattr(_apply, "_SMALL_SLAB", 0)
        monkeypatch.setattr(_apply, "_PARALLEL_FILL_BYTES", 0)
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape, axis", LAYOUTS)
def test_forward_backward_match_reference(shape, axis, dtype, chunks, rng, backend):
    cin = shape[axis]
    mix = ChannelMixer(cin, 2, channel_axis=axis, dtype=dtype, rng=1, backend=backend)
    x = rng.standard_normal(shape).astype(dtype)
    g_shape = list(shape)
    g_shape[axis] = 2
    g = rng.standard_normal(g_shape).astype(dtype)
    y = mix(backend.asarray(x, copy=True))
    W = backend.to_numpy(mix.weight).astype(np.float64)
    b = backend.to_numpy(mix.bias).astype(np.float64)
    # rounding of a cin-term dot product: ~ cin * eps * |W| |x|
    tol = 8 * cin * np.finfo(dtype).eps * (np.abs(W).max() * np.abs(x).max() + np.abs(b).max())
    assert y.dtype == backend.dtype(dtype)
    np.testing.assert_allclose(backend.to_numpy(y), reference(W, b, x.astype(np.float64), axis), rtol=0, atol=tol)
    gx = mix.backward(backend.asarray(g, copy=True))
    assert gx.dtype == backend.dtype(dtype) and tuple(gx.shape) == shape
    gx_ref = reference(W.T, None, g.astype(np.float64), axis)
    np.testing.assert_allclose(backend.to_numpy(gx), gx_ref, rtol=0, atol=tol)
    gm = np.moveaxis(g.astype(np.float64), axis, 0).reshape(2, -1)
    xm = np.moveaxis(x.astype(np.float64), axis, 0).reshape(cin, -1)
    n = xm.shape[1]
    gW, gb = (backend.to_numpy(a) for a in mix.grads())
    assert gW.dtype == np.dtype(dtype) and gb.dtype == np.dtype(dtype)
    # sum of n products of O(|g||x|) terms, accumulated per chunk in float64
    tolw = 8 * n * np.finfo(dtype).eps * np.abs(gm).max() * np.abs(xm).max()
    np.testing.assert_allclose(gW, gm @ xm.T, rtol=0, atol=tolw)
    np.testing.assert_allclose(gb, gm.sum(axis=1), rtol=0, atol=tolw)


def test_gradient_finite_difference(rng):
    """dL/dx, dL/dW, dL/db of L = <c, y> against central differences (float64)."""
    mix = ChannelMixer(3, 4, channel_axis=1, dtype=np.float64, rng=2, backend="numpy")
    x = rng.standard_normal((2, 3, 5))
    c = rng.standard_normal((2, 4, 5))
    loss = lambda: float(np.sum(c * mix(x)))  # noqa: E731
    mix(x)
    gx = mix.backward(c)
    h = 1e-6
    # L is linear in each argument: central differences are exact up to rounding ~ eps |L| / h
    arrays = mix.parameters() + [x]
    for gp, fd in zip(mix.grads() + [gx], central_differences(loss, arrays, h)):
        np.testing.assert_allclose(gp, fd, rtol=0, atol=1e-8)


@pytest.mark.parametrize("in_dtype, out_dtype", [(np.float16, np.float32), (np.int32, np.float64), (bool, np.float64)])
def test_dtype_table(in_dtype, out_dtype):
    mix = ChannelMixer(2, 2, rng=0, backend="numpy")
    assert mix(np.ones((2, 3), dtype=in_dtype)).dtype == out_dtype


def test_float32_mixer_on_float64_field_runs_in_float64(rng):
    mix = ChannelMixer(3, 3, dtype=np.float32, rng=0, backend="numpy")
    x = rng.standard_normal((3, 10))
    y = mix(x)
    assert y.dtype == np.float64
    assert mix.parameters()[0].dtype == np.float32
    W = mix.weight.astype(np.float64)
    np.testing.assert_allclose(y, W @ x + mix.bias.astype(np.float64)[:, None], rtol=0, atol=1e-14)


def test_no_bias():
    mix = ChannelMixer(2, 3, bias=False, rng=0, backend="numpy")
    assert mix.bias is None and len(mix.parameters()) == 1 and not mix.has_bias
    np.testing.assert_array_equal(mix(np.zeros((2, 4))), 0.0)


def test_protocol_adam_step_updates_in_place(rng):
    mix = ChannelMixer(3, 3, dtype=np.float64, rng=0, backend="numpy")
    params = mix.parameters()
    ids = [id(p) for p in params]
    opt = Adam(params, lr=0.1)
    w0 = mix.weight.copy()
    x = rng.standard_normal((3, 20))
    mix(x)
    mix.backward(np.ones((3, 20)))
    opt.step(mix.grads())
    assert [id(p) for p in mix.parameters()] == ids
    # Adam's first step moves every entry with a non-zero gradient by exactly lr
    np.testing.assert_allclose(np.abs(mix.weight - w0), 0.1, rtol=1e-6)
    assert sorted(mix.named_parameters()) == ["bias", "weight"]
    assert sorted(mix.named_parameters("mix.")) == ["mix.bias", "mix.weight"]


def test_seeded_initialisation_is_reproducible():
    a = ChannelMixer(4, 2, rng=7, backend="numpy")
    b = ChannelMixer(4, 2, rng=7, backend="numpy")
    np.testing.assert_array_equal(a.weight, b.weight)
    # PyTorch's default for a 1x1 convolution: U(-1/sqrt(C_in), 1/sqrt(C_in))
    assert np.abs(a.weight).max() <= 0.5 and np.abs(a.bias).max() <= 0.5


def test_eval_mode_keeps_nothing_for_backward():
    mix = ChannelMixer(2, 2, rng=0, backend="numpy").eval()
    mix(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="training mode"):
        mix.backward(np.ones((2, 3)))


def test_set_weight_between_forward_and_backward_invalidates_the_backward():
    mix = ChannelMixer(2, 2, rng=0, backend="numpy")
    mix(np.ones((2, 3)))
    mix.set_weight(np.eye(2))
    with pytest.raises(RuntimeError, match="preceding forward"):
        mix.backward(np.ones((2, 3)))


def test_backward_releases_the_saved_input():
    mix = ChannelMixer(2, 2, rng=0, backend="numpy")
    mix(np.ones((2, 3)))
    mix.backward(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="preceding forward"):
        mix.backward(np.ones((2, 3)))


def test_no_copy_of_the_field_for_any_channel_axis():
    """The (P, C, Q) slab view shares memory with the field; the output is written in place."""
    x = np.zeros((4, 3, 5, 6))
    for axis in range(4):
        v, P, Q = _apply.as_slabs(np, x, axis)
        assert np.shares_memory(v, x) and v.shape == (P, x.shape[axis], Q)


# ----------------------------------------------------------------- bad input
def test_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be >= 1; got 0"):
        ChannelMixer(0, 2)
    with pytest.raises(TypeError, match="out_channels must be an integer"):
        ChannelMixer(2, 2.5)
    with pytest.raises(TypeError, match="channel_axis must be an integer"):
        ChannelMixer(2, 2, channel_axis=1.0)
    with pytest.raises(TypeError, match="dtype must be float32 or float64; got float16"):
        ChannelMixer(2, 2, dtype=np.float16)
    with pytest.raises(TypeError, match="bias must be True, False or None"):
        ChannelMixer(2, 2, bias="yes")
    with pytest.raises(TypeError, match="rng must be None, an int or a numpy.random.Generator; got 'seed'"):
        ChannelMixer(2, 2, rng="seed")


def test_forward_errors():
    mix = ChannelMixer(3, 2, channel_axis=2, rng=0, backend="numpy")
    with pytest.raises(ValueError, match=r"channel_axis must lie in \[-2, 2\) for a 2-D x; got 2"):
        mix(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"in_channels=3 entries along channel_axis=2; got shape \(1, 1, 4\)"):
        mix(np.ones((1, 1, 4)))
    with pytest.raises(ValueError, match="at least one axis"):
        ChannelMixer(1, 1, backend="numpy")(np.float64(1.0))
    x = np.ones((2, 2, 3))
    x[1, 0, 2] = np.nan
    with pytest.raises(ValueError, match="x must be finite; got 1 NaN/inf values"):
        mix(x)
    x[1, 0, 2] = np.inf
    with pytest.raises(ValueError, match="x must be finite"):
        mix(x)
    with pytest.raises(TypeError, match="x must be real"):
        mix(np.ones((1, 1, 3), dtype=complex))


def test_overflow_and_bad_parameters_are_reported():
    mix = ChannelMixer(2, 1, bias=False, dtype=np.float32, rng=0, backend="numpy")
    mix.parameters()[0][...] = 1.0
    with pytest.raises(FloatingPointError, match="overflowed float32"):
        mix(np.full((2, 3), 3e38, dtype=np.float32))
    mix.parameters()[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="weight/bias are not finite"):
        mix(np.ones((2, 3), dtype=np.float32))


def test_backward_errors():
    mix = ChannelMixer(2, 3, rng=0, backend="numpy")
    mix(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"grad_out must have the output's shape \(3, 4\); got \(2, 4\)"):
        mix.backward(np.ones((2, 4)))
    g = np.ones((3, 4))
    g[0, 0] = np.nan
    with pytest.raises(ValueError, match="grad_out must be finite; got 1"):
        mix.backward(g)


def test_foreign_array_is_refused(strict_backend):
    mix = ChannelMixer(2, 2, rng=0, backend=strict_backend)
    with pytest.raises(HostDeviceCopyError, match="does not copy between devices"):
        mix(np.ones((2, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape, axis", [((3, 5, 4), 0), ((5, 4, 3), -1), ((2, 3, 40), 1)], ids=["slab", "rows", "BCL"])
def test_one_checked_channel_detects_any_non_finite_input(bad, shape, axis, monkeypatch):
    """The finite check reads one output channel: a NaN/inf in any input channel reaches it,
    even through a zero weight (NaN * 0 = inf * 0 = NaN)."""
    monkeypatch.setattr(_apply, "_SMALL_SLAB", 0)
    mix = ChannelMixer(3, 2, channel_axis=axis, dtype=np.float64, rng=0, backend="numpy")
    W = np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 0.5]])  # row 0 (largest gain) ignores channel 1
    mix.set_weight(W, np.zeros(2))
    x = np.ones(shape)
    idx = [1, 1, 1]
    idx[axis] = 1  # channel 1: the one with zero weight in the checked row
    x[tuple(idx)] = bad
    with pytest.raises(ValueError, match="x must be finite; got 1 NaN/inf values"):
        mix(x)


@pytest.mark.parametrize("shape, axis", [((0, 3), 1), ((0, 3, 0), 1), ((2, 3, 0), 1), ((3, 0), 0), ((3,), 0)])
def test_empty_and_single_point_fields(shape, axis, monkeypatch):
    monkeypatch.setattr(_apply, "_SMALL_SLAB", 0)
    mix = ChannelMixer(3, 2, channel_axis=axis, rng=0, backend="numpy")
    x = np.ones(shape, dtype=np.float32)
    y = mix(x)
    out_shape = list(shape)
    out_shape[axis] = 2
    assert y.shape == tuple(out_shape) and y.dtype == np.float32
    gx = mix.backward(np.ones(y.shape, dtype=np.float32))
    assert gx.shape == shape
    n = int(np.prod(shape)) // 3
    np.testing.assert_allclose(mix.grads()[1], n)  # dL/db = number of points


@pytest.mark.parametrize("view", ["strided", "fortran", "reversed"])
def test_non_contiguous_fields(view, chunks, rng):
    """Strided, Fortran-ordered and negative-stride fields give the same result (copied once by the reshape)."""
    base = rng.standard_normal((4, 3, 20))
    x = {"strided": base[::2, :, ::2], "fortran": np.asfortranarray(base), "reversed": base[:, :, ::-1]}[view]
    mix = ChannelMixer(3, 5, channel_axis=1, dtype=np.float64, rng=0, backend="numpy")
    W, b = mix.weight64()
    np.testing.assert_allclose(mix(x), reference(W, b, x, 1), rtol=1e-14, atol=1e-14)
    g = rng.standard_normal(mix(x).shape)
    np.testing.assert_allclose(mix.backward(g), reference(W.T, None, g, 1), rtol=1e-14, atol=1e-14)


def test_check_finite_off_skips_the_checksum():
    mix = ChannelMixer(1, 1, bias=False, rng=0, backend="numpy", check_finite=False)
    assert np.isnan(mix(np.array([[np.nan]]))).all()
