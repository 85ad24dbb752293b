"""Pooling, activations, dense, batch norm, dropout, coordinates, containers."""

import numpy as np
import pytest

from fieldconv.nn import (
    GELU,
    AvgPool1D,
    BatchNorm1D,
    CoordinateChannel,
    Conv1D,
    Dense,
    Dropout,
    Flatten,
    GlobalPool,
    LeakyReLU,
    MaxPool1D,
    ReLU,
    RegionPool,
    Residual,
    Sequential,
    Sigmoid,
    no_grad,
)

from .gradcheck import check_layer_gradients

NU = np.linspace(4000.0, 400.0, 37)

LAYERS = [
    pytest.param(lambda: MaxPool1D(2), id="maxpool2"),
    pytest.param(lambda: MaxPool1D(3, stride=2, padding=1), id="maxpool3-s2-pad"),
    pytest.param(lambda: AvgPool1D(2), id="avgpool2"),
    pytest.param(lambda: AvgPool1D(4, stride=3, padding=2), id="avgpool4-s3-pad"),
    pytest.param(lambda: RegionPool(5), id="regionpool-equal"),
    pytest.param(lambda: RegionPool(5, reduce="max"), id="regionpool-max"),
    pytest.param(lambda: RegionPool(ranges=[(3500, 2500), (2300, 2000), (1800.0, 1500.0), (1700, 400)], grid=NU),
                 id="regionpool-ranges"),
    pytest.param(lambda: GlobalPool(), id="globalpool-mean"),
    pytest.param(lambda: GlobalPool("max"), id="globalpool-max"),
    pytest.param(lambda: CoordinateChannel(grid=NU), id="coordinate"),
    pytest.param(lambda: ReLU(), id="relu"),
    pytest.param(lambda: LeakyReLU(0.1), id="leakyrelu"),
    pytest.param(lambda: GELU(), id="gelu"),
    pytest.param(lambda: Sigmoid(), id="sigmoid"),
    pytest.param(lambda: BatchNorm1D(3, dtype=np.float64), id="batchnorm-train"),
    pytest.param(lambda: BatchNorm1D(3, affine=False, dtype=np.float64), id="batchnorm-noaffine"),
    pytest.param(lambda: BatchNorm1D(3, dtype=np.float64).eval(), id="batchnorm-eval"),
    pytest.param(lambda: Sequential(Flatten(), Dense(3 * 37, 4, dtype=np.float64, random_state=0)), id="flatten-dense"),
    pytest.param(lambda: Residual(Sequential(Conv1D(3, 3, 3, dtype=np.float64, random_state=0), GELU())), id="residual"),
    pytest.param(lambda: Residual(Conv1D(3, 5, 3, dtype=np.float64, random_state=0),
                                  shortcut=Conv1D(3, 5, 1, dtype=np.float64, random_state=1)), id="residual-projection"),
]


@pytest.mark.parametrize("make", LAYERS)
def test_gradients_match_finite_differences(make, rng):
    layer = make()
    x = rng.standard_normal((2, 3, 37))
    check_layer_gradients(layer, x, rng)


def test_dropout_gradient_with_a_fixed_mask(rng):
    drop = Dropout(0.3, random_state=0)

    def reset():
        drop._rng = np.random.default_rng(5)

    check_layer_gradients(drop, rng.standard_normal((2, 3, 11)), rng, reset=reset)


def test_batchnorm_on_dense_features_gradient(rng):
    check_layer_gradients(BatchNorm1D(4, dtype=np.float64), rng.standard_normal((6, 4)), rng)


@pytest.mark.parametrize("make", LAYERS[:10] + LAYERS[10:14])
def test_same_result_on_every_backend(make, backend, rng):
    x = rng.standard_normal((2, 3, 37)).astype(np.float32)
    ref = make()
    y_ref = ref(x)
    g = rng.standard_normal(y_ref.shape).astype(np.float32)
    dx_ref = ref.backward(g)
    layer = make()
    y = layer(backend.asarray(x, copy=True))
    dx = layer.backward(backend.asarray(g, copy=True))
    np.testing.assert_allclose(backend.to_numpy(y), y_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(dx), dx_ref, rtol=1e-6, atol=1e-6)
    assert str(y.dtype).endswith("float32") and str(dx.dtype).endswith("float32")


def test_parametrised_layers_on_every_backend(backend, rng):
    x = rng.standard_normal((4, 3, 16)).astype(np.float32)
    for make in (lambda be: BatchNorm1D(3, backend=be),
                 lambda be: Sequential(Flatten(), Dense(48, 5, random_state=0, backend=be))):
        ref, layer = make(None), make(backend)
        y_ref = ref(x)
        g = rng.standard_normal(y_ref.shape).astype(np.float32)
        dx_ref = ref.backward(g)
        y = layer(backend.asarray(x, copy=True))
        dx = layer.backward(backend.asarray(g, copy=True))
        np.testing.assert_allclose(backend.to_numpy(y), y_ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(backend.to_numpy(dx), dx_ref, rtol=1e-5, atol=1e-5)
        for (n, a), b in zip(layer.named_grads().items(), ref.grads()):
            np.testing.assert_allclose(backend.to_numpy(a), b, rtol=1e-5, atol=1e-5, err_msg=n)


def test_pooling_and_batchnorm_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = rng.standard_normal((2, 3, 37))
    xt = torch.tensor(x)
    cases = [
        (MaxPool1D(3, stride=2, padding=1), lambda t: F.max_pool1d(t, 3, 2, 1)),
        (AvgPool1D(4, stride=3, padding=2), lambda t: F.avg_pool1d(t, 4, 3, 2)),
        (RegionPool(5), lambda t: F.adaptive_avg_pool1d(t, 5)),
        (RegionPool(5, reduce="max"), lambda t: F.adaptive_max_pool1d(t, 5)),
        (GELU(), lambda t: F.gelu(t, approximate="tanh")),
        (LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2)),
        (Sigmoid(), torch.sigmoid),
    ]
    for layer, ref in cases:
        y = layer(x)
        g = rng.standard_normal(y.shape)
        dx = layer.backward(g)
        t = xt.clone().requires_grad_()
        yt = ref(t)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=repr(layer))
        np.testing.assert_allclose(dx, t.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=repr(layer))
    # batch norm, training then inference, running statistics included
    bn = BatchNorm1D(3, dtype=np.float64, momentum=0.2)
    tbn = torch.nn.BatchNorm1d(3, momentum=0.2).double()
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor([0.5, 1.5, -1.0], dtype=torch.float64))
        tbn.bias.copy_(torch.tensor([0.1, 0.0, 0.3], dtype=torch.float64))
    bn.weight[...] = [0.5, 1.5, -1.0]
    bn.bias[...] = [0.1, 0.0, 0.3]
    for _ in range(2):
        y = bn(x)
        g = rng.standard_normal(y.shape)
        dx = bn.backward(g)
        t = xt.clone().requires_grad_()
        yt = tbn(t)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dx, t.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn.weight_grad, tbn.weight.grad.numpy(), rtol=1e-10)
        tbn.weight.grad = tbn.bias.grad = None
    np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), rtol=1e-12)
    bn.eval()
    tbn.eval()
    np.testing.assert_allclose(bn(x), tbn(xt).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_maxpool_gradient_goes_to_the_first_maximum():
    pool = MaxPool1D(3, stride=1)
    y = pool(np.array([[[1.0, 5.0, 5.0, 2.0]]]))
    np.testing.assert_array_equal(y, [[[5.0, 5.0]]])
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 2))), [[[0.0, 2.0, 0.0, 0.0]]])


def test_region_pool_tells_positions_apart_and_global_pool_does_not():
    nu = np.arange(400.0, 4000.0, 1.0)
    band = lambda c: np.exp(-0.5 * ((nu - c) / 6.0) ** 2).reshape(1, 1, -1)  # noqa: E731
    nitrile, alkyne = band(2250.0), band(2150.0)
    rp = RegionPool(ranges=[(2200.0, 2300.0), (2100.0, 2200.0)], grid=nu)
    a, b = rp(nitrile)[0, 0], rp(alkyne)[0, 0]
    assert a[0] > 10 * a[1] and b[1] > 10 * b[0]
    gp = GlobalPool()
    np.testing.assert_allclose(gp(nitrile), gp(alkyne), rtol=1e-12)


def test_region_ranges_follow_downsampling():
    nu = np.arange(400.0, 4000.0, 1.0)  # 3600 points
    rp = RegionPool(ranges=[(1000.0, 1099.0)], grid=nu)
    assert rp.bins(3600) == [(600, 700)]
    assert rp.bins(1800) == [(300, 350)]  # the same wavenumbers after pooling by 2
    with pytest.raises(ValueError, match="covers no point"):
        RegionPool(ranges=[(1000.0, 1000.5)], grid=nu).bins(36)


def test_coordinate_channel_runs_with_wavenumber():
    cc = CoordinateChannel(grid=np.arange(400.0, 4000.0, 1.0))
    y = cc(np.zeros((1, 1, 3600), np.float32))
    assert y.shape == (1, 2, 3600) and y.dtype == np.float32
    assert y[0, 1, 0] == pytest.approx(-1.0, abs=1e-3) and y[0, 1, -1] == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(cc.coordinate(1800)[::-1], -cc.coordinate(1800), atol=1e-12)


def test_dropout_inference_is_identity_and_training_keeps_the_mean(rng):
    drop = Dropout(0.25, random_state=1)
    x = np.ones((200, 1000), np.float32)
    y = drop(x)
    assert y.dtype == np.float32
    assert abs(float(y.mean()) - 1.0) < 0.01  # mean of 2e5 values of variance 1/3: sd 1.3e-3
    assert abs(float((y == 0).mean()) - 0.25) < 0.01
    assert drop.eval()(x) is x


def test_no_grad_keeps_nothing_and_backward_then_refuses(rng):
    net = Sequential(Conv1D(1, 2, 3, random_state=0), ReLU(), MaxPool1D(2))
    x = rng.standard_normal((1, 1, 10)).astype(np.float32)
    with no_grad(net):
        y = net(x)
    assert all(getattr(layer, "_x", None) is None for layer in net.walk())
    with pytest.raises(RuntimeError, match="needs a forward first"):
        net.backward(np.ones_like(y))
    y2 = net(x)
    np.testing.assert_array_equal(y, y2)
    net.backward(np.ones_like(y2))


def test_sequential_collects_names_and_refuses_repeats():
    d = Dense(2, 2)
    with pytest.raises(ValueError, match="appear once"):
        Sequential(d, d)
    with pytest.raises(TypeError, match="must be a fieldconv.nn Layer"):
        Sequential(Dense(2, 2), np.tanh)
    net = Sequential(Dense(2, 3), ReLU(), Sequential(Dense(3, 1)))
    assert list(net.named_parameters()) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert len(net[1:]) == 2 and isinstance(net[0], Dense)


def test_residual_shape_mismatch():
    block = Residual(Conv1D(2, 3, 3))
    with pytest.raises(ValueError, match="the block gives shape"):
        block(np.zeros((1, 2, 8), np.float32))


@pytest.mark.parametrize(
    "make,exc,match",
    [
        (lambda: MaxPool1D(0), ValueError, "kernel_size must be >= 1"),
        (lambda: MaxPool1D(2, padding=2), ValueError, "padding must be at most"),
        (lambda: AvgPool1D(2, stride=0), ValueError, "stride must be >= 1"),
        (lambda: RegionPool(), ValueError, "exactly one of n_bins and ranges"),
        (lambda: RegionPool(4, ranges=[(1, 2)]), ValueError, "exactly one of n_bins and ranges"),
        (lambda: RegionPool(ranges=[(1000, 2000)]), ValueError, "need grid"),
        (lambda: RegionPool(ranges=[(5000, 6000)], grid=NU), ValueError, "outside the grid"),
        (lambda: RegionPool(ranges=[(5000,)], grid=NU), ValueError, r"ranges\[0\] must be a \(lo, hi\) pair"),
        (lambda: RegionPool(4, reduce="median"), ValueError, "reduce must be one of"),
        (lambda: GlobalPool("sum"), ValueError, "reduce must be one of"),
        (lambda: LeakyReLU(-0.1), ValueError, "negative_slope must be >= 0"),
        (lambda: Dropout(1.0), ValueError, "p must be < 1"),
        (lambda: BatchNorm1D(3, momentum=0.0), ValueError, "momentum must be > 0"),
        (lambda: Dense(0, 3), ValueError, "in_features must be >= 1"),
        (lambda: CoordinateChannel(grid=[1.0, 3.0, 4.0]), ValueError, "uniformly spaced"),
        (lambda: CoordinateChannel(grid=[1.0, 1.0, 1.0]), ValueError, "strictly monotonic"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_construction(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_batches():
    with pytest.raises(ValueError, match="fewer than the pooling window"):
        MaxPool1D(4)(np.zeros((1, 1, 3)))
    with pytest.raises(ValueError, match="fewer than n_bins"):
        RegionPool(8)(np.zeros((1, 1, 5)))
    with pytest.raises(ValueError, match="must be 3-D"):
        AvgPool1D(2)(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="must have 3 channels"):
        BatchNorm1D(3)(np.zeros((4, 2, 5), np.float32))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm1D(3)(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"must be 2-D \(batch, features\)"):
        Dense(3, 2)(np.zeros((4, 3, 1), np.float32))
