"""Conv1D: gradients, PyTorch parity, padding semantics, backends, spectral widths, bad input."""

import numpy as np
import pytest

from fieldconv.nn import Conv1D, kernel_size_for

from .gradcheck import check_layer_gradients

OPTIONS = [
    pytest.param({}, id="default-same"),
    pytest.param({"stride": 2}, id="stride2"),
    pytest.param({"stride": 3, "padding": "valid"}, id="stride3-valid"),
    pytest.param({"dilation": 2}, id="dilation2"),
    pytest.param({"dilation": 3, "padding": "causal"}, id="causal-dil3"),
    pytest.param({"padding": 2}, id="pad-int"),
    pytest.param({"groups": 2}, id="groups2"),
    pytest.param({"groups": 4, "out": 8}, id="depthwise-mult2"),
    pytest.param({"kernel_size": 4}, id="even-kernel"),
    pytest.param({"bias": False}, id="no-bias"),
    pytest.param({"stride": 2, "dilation": 2, "padding": "causal", "groups": 2}, id="all-at-once"),
]


def _conv(opts, dtype=np.float64, **kw):
    opts = dict(opts)
    out = opts.pop("out", 6 if opts.get("groups", 1) != 4 else 8)
    k = opts.pop("kernel_size", 3)
    return Conv1D(4, out, k, dtype=dtype, random_state=0, **opts, **kw)


@pytest.mark.parametrize("opts", OPTIONS)
def test_gradients_match_finite_differences(opts, rng):
    conv = _conv(opts)
    x = rng.standard_normal((2, 4, 13))
    check_layer_gradients(conv, x, rng)


@pytest.mark.parametrize("opts", OPTIONS)
def test_matches_pytorch_conv1d(opts, rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    conv = _conv(opts)
    x = rng.standard_normal((3, 4, 15))
    y = conv(x)
    g = rng.standard_normal(y.shape)
    dx = conv.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(conv.weight, requires_grad=True)
    bt = None if conv.bias is None else torch.tensor(conv.bias, requires_grad=True)
    pl, pr = conv.pad
    yt = F.conv1d(F.pad(xt, (pl, pr)), wt, bt, stride=conv.stride, dilation=conv.dilation, groups=conv.groups)
    yt.backward(torch.tensor(g))
    # float64, sums of <= 12 products: agreement to ~1e-15, asserted at 1e-12
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.weight_grad, wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    if bt is not None:
        np.testing.assert_allclose(conv.bias_grad, bt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_matches_pytorch_float32_reference_shapes(rng):
    torch = pytest.importorskip("torch")
    conv = Conv1D(8, 16, 9, dilation=2, random_state=1)
    x = rng.standard_normal((4, 8, 200)).astype(np.float32)
    y = conv(x)
    assert y.dtype == np.float32
    ref = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(conv.weight), torch.from_numpy(conv.bias),
                                     padding="same", dilation=2).numpy()
    # float32 sums of 72 products of O(1) terms: ~sqrt(72) * 6e-8 * |y| ~ 1e-6 relative
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_same_padding_keeps_length_and_centre(rng):
    conv = Conv1D(1, 1, 5, bias=False, dtype=np.float64)
    conv.weight[...] = 0.0
    conv.weight[0, 0, 2] = 1.0  # delta at the centre tap: the identity
    x = rng.standard_normal((2, 1, 11))
    np.testing.assert_array_equal(conv(x), x)


def test_causal_output_sees_only_the_past(rng):
    conv = Conv1D(2, 3, 4, dilation=2, padding="causal", dtype=np.float64, random_state=0)
    x = rng.standard_normal((1, 2, 20))
    y = conv(x)
    x2 = x.copy()
    x2[..., 12:] = rng.standard_normal((1, 2, 8))  # change the future from t = 12 on
    y2 = conv(x2)
    assert y.shape == (1, 3, 20)
    np.testing.assert_array_equal(y[..., :12], y2[..., :12])
    assert not np.allclose(y[..., 12:], y2[..., 12:])


def test_depthwise_acts_per_channel(rng):
    conv = Conv1D(3, 3, 3, groups=3, dtype=np.float64, random_state=0)
    x = rng.standard_normal((1, 3, 10))
    y = conv(x)
    x2 = x.copy()
    x2[0, 1] += 1.0
    y2 = conv(x2)
    np.testing.assert_array_equal(y[0, [0, 2]], y2[0, [0, 2]])


def test_float32_in_float32_out_and_float64(rng):
    for dt in (np.float32, np.float64):
        conv = Conv1D(2, 4, 3, dtype=dt, random_state=0)
        x = rng.standard_normal((2, 2, 10)).astype(dt)
        y = conv(x)
        dx = conv.backward(np.ones_like(y))
        assert y.dtype == dt and dx.dtype == dt
        assert conv.weight.dtype == dt and conv.weight_grad.dtype == dt and conv.bias_grad.dtype == dt


def test_same_result_on_every_backend(backend, rng):
    ref = Conv1D(3, 4, 5, stride=2, dilation=2, groups=1, random_state=0)
    x = rng.standard_normal((2, 3, 31)).astype(np.float32)
    y_ref = ref(x)
    g = rng.standard_normal(y_ref.shape).astype(np.float32)
    dx_ref = ref.backward(g)
    conv = Conv1D(3, 4, 5, stride=2, dilation=2, random_state=0, backend=backend)
    y = conv(backend.asarray(x, copy=True))
    dx = conv.backward(backend.asarray(g, copy=True))
    # same float32 products, possibly summed in another order: a few ulps of |y| ~ 1e-6
    np.testing.assert_allclose(backend.to_numpy(y), y_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(dx), dx_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(conv.weight_grad), ref.weight_grad, rtol=1e-5, atol=1e-4)
    assert str(y.dtype).endswith("float32")


def test_batches_larger_than_one_chunk_match_small_ones(rng, monkeypatch):
    from fieldconv.nn import _correlate

    conv = Conv1D(2, 3, 5, dtype=np.float64, random_state=0)
    x = rng.standard_normal((5, 2, 40))
    y_one = conv(x)
    g = rng.standard_normal(y_one.shape)
    dx_one = conv.backward(g)
    dw_one = conv.weight_grad.copy()
    for budget in (1, 8 * 11 * 8):  # one output point per piece; samples cut into 4-5 pieces
        monkeypatch.setattr(_correlate, "HOST_CHUNK_BYTES", budget)
        monkeypatch.setattr(_correlate, "HOST_THREADED_CHUNK_BYTES", budget)
        assert len(_correlate.pieces(conv.backend, 5, 11, 40, 8)) > 5
        y = conv(x)
        dx = conv.backward(g)
        np.testing.assert_allclose(y, y_one, rtol=1e-13)
        np.testing.assert_allclose(dx, dx_one, rtol=1e-13)
        np.testing.assert_allclose(conv.weight_grad, dw_one, rtol=1e-12)


def test_pieces_on_the_generic_path_match(strict_backend, rng, monkeypatch):
    from fieldconv.nn import _correlate

    x = rng.standard_normal((3, 2, 30)).astype(np.float32)
    ref = Conv1D(2, 3, 5, dilation=2, random_state=0)
    y_ref = ref(x)
    dx_ref = ref.backward(np.ones_like(y_ref))
    monkeypatch.setattr(_correlate, "DEVICE_CHUNK_BYTES", 4 * 11 * 7)  # ~7 output points per piece
    conv = Conv1D(2, 3, 5, dilation=2, random_state=0, backend=strict_backend)
    y = conv(strict_backend.asarray(x, copy=True))
    dx = conv.backward(strict_backend.asarray(np.ones_like(y_ref), copy=True))
    np.testing.assert_allclose(strict_backend.to_numpy(y), y_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(strict_backend.to_numpy(dx), dx_ref, rtol=1e-5, atol=1e-5)


def test_width_in_wavenumbers_gives_the_kernel_size():
    u = pytest.importorskip("astropy.units")
    from fieldconv import SpectralAxis

    nu = np.arange(4000.0, 399.0, -2.0)  # 2 cm^-1 step
    assert Conv1D(1, 2, width=30.0, grid=nu).kernel_size == 15
    assert Conv1D(1, 2, width=30 * u.cm**-1, grid=SpectralAxis(nu, "cm-1")).kernel_size == 15
    assert Conv1D(1, 2, width=3000 * u.m**-1, grid=nu * u.cm**-1).kernel_size == 15
    assert Conv1D(1, 2, width=30.0, grid=nu, dilation=2).kernel_size == 9  # 13 or 17 points for 15: tie, larger
    assert Conv1D(1, 2, width=26.0, grid=nu, dilation=2).kernel_size == 7  # 13 points
    assert kernel_size_for(1.0, nu) == 1


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"kernel_size": 3, "width": 10.0}, ValueError, "exactly one of kernel_size"),
        ({}, ValueError, "exactly one of kernel_size"),
        ({"width": 10.0}, ValueError, "needs grid"),
        ({"kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
        ({"kernel_size": 2.5}, TypeError, "kernel_size must be an integer"),
        ({"kernel_size": 3, "groups": 3}, ValueError, "divisible by groups"),
        ({"kernel_size": 3, "padding": "full"}, ValueError, "padding must be"),
        ({"kernel_size": 3, "stride": 0}, ValueError, "stride must be >= 1"),
        ({"kernel_size": 3, "dtype": np.int32}, TypeError, "dtype must be float32 or float64"),
        ({"width": -3.0, "grid": np.arange(100.0)}, ValueError, "width must be > 0"),
        ({"width": 500.0, "grid": np.arange(100.0)}, ValueError, "wider than the grid"),
        ({"kernel_size": 3, "random_state": "seed"}, TypeError, "random_state must be"),
    ],
    ids=["both", "neither", "width-no-grid", "k0", "k-float", "groups", "padding", "stride0", "dtype", "neg-width",
         "wide-width", "bad-seed"],
)
def test_bad_construction(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Conv1D(2, 4, **kwargs)


def test_width_with_wrong_units():
    u = pytest.importorskip("astropy.units")
    with pytest.raises(ValueError, match="width must be a wavenumber convertible to cm-1; got unit nm"):
        Conv1D(1, 2, width=15 * u.nm, grid=np.arange(100.0))


def test_bad_batches(rng):
    conv = Conv1D(2, 4, 5, random_state=0)
    with pytest.raises(ValueError, match="must have 2 channels"):
        conv(np.zeros((1, 3, 20), np.float32))
    with pytest.raises(ValueError, match=r"must be 3-D \(batch, channels, length\)"):
        conv(np.zeros((2, 20), np.float32))
    with pytest.raises(TypeError, match="layer's dtype float32; got float64"):
        conv(np.zeros((1, 2, 20)))
    with pytest.raises(ValueError, match="kernel is wider than the spectrum"):
        conv(np.zeros((1, 2, 4), np.float32))
    conv(np.zeros((1, 2, 20), np.float32))
    with pytest.raises(ValueError, match="grad_out must have the output's shape"):
        conv.backward(np.zeros((1, 4, 19), np.float32))
    with pytest.raises(RuntimeError, match="needs a forward first"):
        Conv1D(2, 4, 5).backward(np.zeros((1, 4, 20), np.float32))


def test_local_attention_with_relative_scores_is_a_depthwise_convolution(rng):
    """Attention over a window whose scores depend only on the offset equals a depthwise conv.

    out[c, t] = sum_j softmax_j(s[c, j]) x[c, t + j - r]: the attention weights do not
    depend on t or on the content, so they are a fixed kernel per channel.
    """
    channels, length, r = 3, 25, 2
    scores = rng.standard_normal((channels, 2 * r + 1))  # relative-position scores per channel
    x = rng.standard_normal((1, channels, length))
    # attention, written out: query t attends to keys t-r..t+r (zero keys beyond the ends)
    xpad = np.pad(x, ((0, 0), (0, 0), (r, r)))
    att = np.empty_like(x)
    for c in range(channels):
        for t in range(length):
            logits = np.array([scores[c, j] for j in range(2 * r + 1)])
            a = np.exp(logits - logits.max())
            a /= a.sum()
            att[0, c, t] = sum(a[j] * xpad[0, c, t + j] for j in range(2 * r + 1))
    conv = Conv1D(channels, channels, 2 * r + 1, groups=channels, bias=False, dtype=np.float64)
    kernel = np.exp(scores - scores.max(axis=1, keepdims=True))
    conv.weight[:, 0, :] = kernel / kernel.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(conv(x), att, rtol=1e-13, atol=1e-14)


def test_depthwise_separable_gradients_and_pytorch(rng):
    from fieldconv.nn import DepthwiseSeparableConv1D

    layer = DepthwiseSeparableConv1D(3, 5, 5, depth_multiplier=2, dilation=2, dtype=np.float64, random_state=0)
    x = rng.standard_normal((2, 3, 17))
    check_layer_gradients(layer, x, rng)
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    y = layer(x)
    W, b = layer.pointwise.weight64()
    dw = layer.depthwise
    ref = F.conv1d(F.conv1d(torch.tensor(x), torch.tensor(dw.weight), torch.tensor(dw.bias), padding="same",
                            dilation=2, groups=3), torch.tensor(W[:, :, None]), torch.tensor(b))
    np.testing.assert_allclose(y, ref.numpy(), rtol=1e-12, atol=1e-12)


def test_depthwise_separable_with_a_conserving_mixer(strict_backend, rng):
    from fieldconv.nn import DepthwiseSeparableConv1D

    C = np.ones((1, 4))
    layer = DepthwiseSeparableConv1D(4, 4, 3, constraint={"conserve": C}, random_state=0, backend=strict_backend)
    x = strict_backend.asarray(rng.standard_normal((2, 4, 12)).astype(np.float32), copy=True)
    y = layer(x)
    h = layer.depthwise(x)
    # the pointwise mixer keeps the channel total of the depthwise output at every point
    tot_h = strict_backend.to_numpy(h).sum(axis=1)
    tot_y = strict_backend.to_numpy(y).sum(axis=1)
    np.testing.assert_allclose(tot_y, tot_h, rtol=1e-5, atol=1e-5)


def test_first_layer_can_skip_the_input_gradient(rng):
    conv = Conv1D(2, 3, 5, dtype=np.float64, random_state=0)
    x = rng.standard_normal((2, 2, 20))
    y = conv(x)
    g = rng.standard_normal(y.shape)
    conv.backward(g)
    dw = conv.weight_grad.copy()
    conv.needs_input_grad = False
    conv(x)
    assert conv.backward(g) is None
    np.testing.assert_allclose(conv.weight_grad, dw, rtol=1e-14)
