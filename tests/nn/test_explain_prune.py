"""Grad-CAM on the spectral axis and l1 filter pruning."""

import numpy as np
import pytest

from fieldconv.nn import (
    BatchNorm1D,
    Conv1D,
    Dense,
    Flatten,
    MaxPool1D,
    ReLU,
    RegionPool,
    Sequential,
    count_flops,
    count_parameters,
    grad_cam,
    plot_grad_cam,
    prune_filters,
    spectral_cnn,
)

NU = np.arange(400.0, 4000.0, 1.0)


def _band(centre, width=6.0, grid=NU):
    return np.exp(-0.5 * ((grid - centre) / width) ** 2)


def _detector_net():
    """Channel 0 fires on a band of width ~6 points; the output reads it everywhere."""
    conv = Conv1D(1, 2, 25, dtype=np.float64, random_state=0)
    t = np.arange(-12, 13)
    conv.weight[0, 0] = np.exp(-0.5 * (t / 6.0) ** 2) - np.exp(-0.5 * (t / 12.0) ** 2) * 0.5  # matched, zero-ish mean
    conv.weight[1, 0] = 0.0
    conv.bias[...] = [-1.0, 0.0]
    head = Dense(2 * 4, 2, dtype=np.float64, random_state=1)
    head.weight[...] = 0.0
    head.weight[0, :4] = 1.0  # output 0: channel 0 in all 4 regions; output 1: nothing
    head.bias[...] = 0.0
    net = Sequential(conv, ReLU(), MaxPool1D(2), RegionPool(4), Flatten(), head)
    net.grid = NU
    return net


def test_grad_cam_points_at_the_band():
    net = _detector_net()
    x = np.stack([_band(2250.0), _band(1000.0)])[:, None, :] * 3.0
    cam = grad_cam(net, x, outputs=[0, 1], layer=1)
    assert cam.maps.shape == (2, 2, NU.size) and cam.layer == 1
    for i, centre in enumerate((2250.0, 1000.0)):
        peak = NU[np.argmax(cam.maps[i, 0])]
        assert abs(peak - centre) <= 4.0  # the map sits on the band (half the pooling stride)
        assert cam.maps[i, 0].max() == 1.0
        assert np.all(cam.maps[i, 0][np.abs(NU - centre) > 60] == 0.0)  # nothing far from it
    np.testing.assert_array_equal(cam.maps[:, 1], 0.0)  # output 1 ignores the features: no evidence


def test_grad_cam_plot_writes_a_png(tmp_path):
    net = _detector_net()
    x = _band(2250.0)[None, None, :] * 3.0
    cam = grad_cam(net, x, outputs=0, layer=1)
    path = tmp_path / "cam.png"
    fig = plot_grad_cam(x[0, 0], cam.maps[0], NU, names=["nitrile"], path=path, title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_grad_cam_default_layer_and_errors():
    net = spectral_cnn(NU, 3, random_state=0)
    cam = grad_cam(net, np.random.default_rng(0).random((1, NU.size), np.float32))
    assert cam.maps.shape == (1, 3, NU.size) and np.isfinite(cam.maps).all()
    assert type(net.layers[cam.layer]).__name__ == "ReLU"
    with pytest.raises(ValueError, match="outputs must lie in"):
        grad_cam(net, np.zeros((1, 1, NU.size), np.float32), outputs=[5])
    with pytest.raises(ValueError, match="X must be finite"):
        grad_cam(net, np.full((1, 1, NU.size), np.nan, np.float32))
    with pytest.raises(ValueError, match="needs a Sequential"):
        grad_cam(Conv1D(1, 1, 3), np.zeros((1, 1, 10), np.float32))


def test_pruning_zero_filters_is_exact(rng):
    net = Sequential(Conv1D(1, 8, 5, dtype=np.float64, random_state=0), ReLU(), MaxPool1D(2),
                     Conv1D(8, 6, 3, dtype=np.float64, random_state=1), ReLU(), RegionPool(4), Flatten(),
                     Dense(24, 3, dtype=np.float64, random_state=2))
    for layer, dead in ((net[0], [1, 4, 6, 7]), (net[3], [0, 5, 2])):
        layer.weight[dead] = 0.0
        layer.bias[dead] = -1.0  # dead after ReLU whatever the input
    x = rng.standard_normal((3, 1, 64))
    small, report = prune_filters(net, 0.5, length=64)
    np.testing.assert_allclose(small(x), net(x), rtol=1e-13, atol=1e-13)
    assert report.channels_after == {0: 4, 3: 3}
    assert report.params_after == count_parameters(small) < report.params_before == count_parameters(net)
    # FLOPs: conv1 2*8*5*64 -> 2*4*5*64, conv2 2*6*8*3*32 -> 2*3*4*3*32, dense 2*24*3 -> 2*12*3
    assert report.flops_before == 2 * 8 * 5 * 64 + 2 * 6 * 8 * 3 * 32 + 2 * 24 * 3 == count_flops(net, 64)
    assert report.flops_after == 2 * 4 * 5 * 64 + 2 * 3 * 4 * 3 * 32 + 2 * 12 * 3
    assert net[0].out_channels == 8  # the original is untouched


def test_pruning_with_batch_norm_ranks_effective_filters(rng):
    net = Sequential(Conv1D(1, 4, 3, bias=False, dtype=np.float64, random_state=0), BatchNorm1D(4, dtype=np.float64),
                     ReLU(), RegionPool(1), Flatten(), Dense(4, 2, dtype=np.float64, random_state=1))
    net[0].weight[...] = 1.0  # equal raw l1 norms ...
    net[1].weight[...] = [0.1, 2.0, 0.01, 1.0]  # ... but gamma decides what the channel carries
    small, report = prune_filters(net, 0.5, length=16)
    np.testing.assert_allclose(small[1].weight, [2.0, 1.0])
    assert small[1].running_mean.shape == (2,) and small[5].weight.shape == (2, 2)
    x = rng.standard_normal((2, 1, 16))
    assert small(x).shape == (2, 2)
    same, rep0 = prune_filters(net, 0.0, length=16)
    np.testing.assert_allclose(same(x), net(x), rtol=1e-14)
    assert rep0.params_saved == 0.0


def test_prune_bad_input():
    with pytest.raises(ValueError, match="fraction must be < 1"):
        prune_filters(Sequential(Conv1D(1, 2, 3)), 1.0, length=10)
    with pytest.raises(ValueError, match="give length="):
        prune_filters(Sequential(Conv1D(1, 2, 3)), 0.5)
