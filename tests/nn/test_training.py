"""The training loop, prediction, spectral tools, the default architecture, augmentations, saving."""

import os

import numpy as np
import pytest

from fieldconv.nn import (
    Adam,
    BatchNorm1D,
    BCEWithLogitsLoss,
    Conv1D,
    CosineLR,
    Dense,
    Flatten,
    MaxPool1D,
    MSELoss,
    ReLU,
    RegionPool,
    Residual,
    Sequential,
    load_model,
    predict,
    receptive_field,
    save_model,
    spectral_cnn,
    train,
)
from fieldconv.nn.augment import (
    AddBaseline,
    Compose,
    DegradeResolution,
    MixSameLabels,
    TransmittanceNoise,
    WavenumberShift,
)

NU = np.arange(400.0, 4000.0, 1.0)


def _tiny_task(rng, n=96, length=64):
    """Label 1 if a narrow band sits in the left half, else 0: a position task."""
    X = 0.02 * rng.standard_normal((n, 1, length))
    Y = (rng.random((n, 1)) < 0.5).astype(np.float32)
    pos = np.where(Y[:, 0] > 0, rng.integers(5, length // 2 - 5, n), rng.integers(length // 2 + 5, length - 5, n))
    t = np.arange(length)
    X[:, 0, :] += np.exp(-0.5 * ((t[None, :] - pos[:, None]) / 1.5) ** 2)
    return X.astype(np.float32), Y


def _tiny_net(seed=0):
    return Sequential(Conv1D(1, 4, 5, random_state=seed), ReLU(), RegionPool(2), Flatten(),
                      Dense(8, 1, random_state=seed + 1))


def test_training_learns_a_position_task_and_is_reproducible(rng):
    X, Y = _tiny_task(rng)
    runs = []
    for _ in range(2):
        net = _tiny_net()
        hist = train(net, X[:72], Y[:72], loss=BCEWithLogitsLoss(), optimizer=Adam(net.parameters(), lr=0.03),
                     epochs=25, batch_size=16, validation_data=(X[72:], Y[72:]), random_state=3)
        runs.append((hist.train_loss, np.asarray(predict(net, X[72:]))))
    assert runs[0][0] == runs[1][0]  # seeded shuffling: the same run twice
    acc = np.mean((runs[0][1] > 0) == (Y[72:] > 0))
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0] and acc > 0.9


def test_early_stopping_restores_the_best_epoch(rng):
    X, Y = _tiny_task(rng, n=40)
    net = _tiny_net()
    Yv = 1 - Y[30:]  # validation labels flipped: validation loss rises as training fits
    hist = train(net, X[:30], Y[:30], loss=BCEWithLogitsLoss(), optimizer=Adam(net.parameters(), lr=0.05), epochs=40,
                 batch_size=10, validation_data=(X[30:], Yv), patience=2, random_state=0)
    assert hist.stopped_early and hist.epochs < 40
    loss = BCEWithLogitsLoss()
    restored = loss(np.asarray(predict(net, X[30:])), Yv)
    assert restored == pytest.approx(hist.val_loss[hist.best_epoch], rel=1e-5)


def test_schedule_and_batchnorm_train_on_the_strict_backend(strict_backend, rng):
    be = strict_backend
    X, Y = _tiny_task(rng, n=32)
    net = Sequential(Conv1D(1, 4, 5, random_state=0, backend=be), BatchNorm1D(4, backend=be), ReLU(), MaxPool1D(2),
                     RegionPool(2), Flatten(), Dense(8, 1, random_state=1, backend=be))
    hist = train(net, X, Y, loss=BCEWithLogitsLoss(), optimizer=Adam(net.parameters(), lr=0.01), epochs=2,
                 batch_size=8, schedule=CosineLR(2), validation_data=(X[:8], Y[:8]), random_state=0)
    assert hist.epochs == 2 and np.isfinite(hist.val_loss).all()
    out = predict(net, X)
    assert tuple(out.shape) == (32, 1) and str(out.dtype).endswith("float32")


def test_bad_training_input(rng):
    X, Y = _tiny_task(rng, n=8)
    net = _tiny_net()
    opt = Adam(net.parameters())
    Xn = X.copy()
    Xn[3, 0, 5] = np.nan
    with pytest.raises(ValueError, match="X must be finite; got 1 NaN"):
        train(net, Xn, Y, loss=BCEWithLogitsLoss(), optimizer=opt)
    with pytest.raises(ValueError, match="same number of samples"):
        train(net, X, Y[:4], loss=BCEWithLogitsLoss(), optimizer=opt)
    with pytest.raises(ValueError, match="patience .* needs validation_data"):
        train(net, X, Y, loss=BCEWithLogitsLoss(), optimizer=opt, patience=2)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train(net, X, Y, loss=BCEWithLogitsLoss(), optimizer=opt, epochs=0)


def test_receptive_field_composes_strides_dilations_and_residuals():
    net = Sequential(Conv1D(1, 2, 15), ReLU(), MaxPool1D(2), Residual(Conv1D(2, 2, 9, dilation=2)),
                     RegionPool(4), Flatten())
    rf = receptive_field(net, NU)
    assert rf == (15 + 1 + 16 * 2, 48.0, 2)
    assert receptive_field(Conv1D(1, 1, 5)).width is None


def test_default_architecture_follows_the_physics():
    net = spectral_cnn(NU, 16, resolution=4.0, narrowest_band=8.0, broadest_band=300.0, random_state=0)
    first = net[0]
    assert first.kernel_size == 11  # 1.25 * hypot(8, 4) = 11.2 cm^-1 at 1 cm^-1
    assert first.stride == 2  # resolution / 2
    assert receptive_field(net).width >= 300.0
    assert any(isinstance(layer, RegionPool) for layer in net)
    coarse = spectral_cnn(np.arange(400.0, 4000.0, 2.0), 3, resolution=8.0, random_state=0)
    assert coarse[0].stride == 2 and receptive_field(coarse).width >= 300.0
    glob = spectral_cnn(NU, 16, head="global", random_state=0)
    assert not any(isinstance(layer, RegionPool) for layer in glob)
    with pytest.warns(UserWarning, match="too short for a receptive field of 300 cm"):
        short = spectral_cnn(np.arange(400.0, 410.0, 1.0), 2, broadest_band=300.0, random_state=0)
    assert short(np.zeros((2, 1, 10), np.float32)).shape == (2, 2)
    with pytest.raises(ValueError, match="head must be one of"):
        spectral_cnn(NU, 2, head="attention")


def test_augmentations_keep_shapes_dtypes_and_physics(rng):
    X = np.zeros((6, 1, NU.size), np.float32)
    X[:, 0, 1000] = 1.0
    Y = np.array([[1, 0]] * 3 + [[0, 1]] * 3)
    out, Yo = WavenumberShift(NU, 3.0)(X, Y, rng)
    assert out.shape == X.shape and out.dtype == np.float32 and (Yo == Y).all()
    moved = np.argmax(out[:, 0, :], axis=1)
    assert np.all(np.abs(moved - 1000) <= 3)
    T = TransmittanceNoise(0.01)(np.zeros((2, 100)), None, rng)[0]
    assert 0.001 < np.std(10.0 ** -T) < 0.02  # noise of ~0.01 in transmittance
    band = np.exp(-0.5 * ((NU - 2000.0) / 2.0) ** 2)[None, :] * 0.5
    wide = DegradeResolution(NU, 4.0, 16.0, p=1.0)(band, None, rng)[0]
    eq = lambda a: np.sum(1 - 10.0 ** -a)  # noqa: E731 - equivalent width, conserved by the line shape
    assert wide.max() < band.max() and eq(wide) == pytest.approx(eq(band), rel=1e-6)
    mixed, _ = MixSameLabels(p=1.0)(X + rng.random(X.shape).astype(np.float32), Y, rng)
    assert mixed.shape == X.shape
    base = AddBaseline(0.05)(np.zeros((50, 300)), None, rng)[0]
    assert 0.01 < base.std() < 0.2
    composed, _ = Compose(WavenumberShift(NU, 1.0), AddBaseline(0.01))(X, Y, rng)
    assert composed.shape == X.shape
    with pytest.raises(TypeError, match="must be callable"):
        Compose(3)
    with pytest.raises(ValueError, match="worst must be > 4"):
        DegradeResolution(NU, 4.0, 2.0)


def test_save_and_load_round_trip(tmp_path, rng):
    net = spectral_cnn(NU[:600], 3, channels=(4, 8), random_state=0)
    x = rng.standard_normal((2, 1, 600)).astype(np.float32)
    net(x)  # batch-norm running statistics change
    net.eval()
    y = net(x)
    path = tmp_path / "model.h5"
    save_model(net, path, metadata={"note": "test"})
    model, grid, meta = load_model(path)
    model.eval()
    np.testing.assert_array_equal(model(x), y)
    assert grid.same_as(net.grid) and meta == {"note": "test"}
    assert not [p for p in os.listdir(tmp_path) if p != "model.h5"]  # no temporaries left
    import h5py

    with h5py.File(path) as f:
        assert f["grid/wavenumbers"].attrs["units"] == "cm-1" and f["grid"].attrs["step"] == 1.0


def test_load_refuses_foreign_files(tmp_path):
    import h5py

    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "something else"
    with pytest.raises(ValueError, match="is not a fieldconv.nn model file"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(Dense(2, 2), tmp_path / "missing" / "m.h5")


def test_mse_regression_through_dense(rng):
    X = rng.standard_normal((32, 4)).astype(np.float32)
    Y = (X @ np.array([[1.0], [0.0], [-1.0], [2.0]])).astype(np.float32)
    net = Dense(4, 1, random_state=0)
    train(net, X, Y, loss=MSELoss(), optimizer=Adam(net.parameters(), lr=0.1), epochs=80, batch_size=8, random_state=0)
    np.testing.assert_allclose(net.weight, [[1.0, 0.0, -1.0, 2.0]], atol=0.05)


def test_save_and_load_mixers_and_separable_convolutions(tmp_path, rng):
    from fieldconv.nn import ChannelMixer, DepthwiseSeparableConv1D

    C = np.ones((1, 4))
    net = Sequential(DepthwiseSeparableConv1D(2, 4, 3, constraint="stochastic", random_state=0), ReLU(),
                     ChannelMixer(4, 4, constraint={"conserve": C}, channel_axis=1, rng=1),
                     ChannelMixer(4, 3, constraint="orthogonal", channel_axis=1, rng=2))
    x = rng.random((2, 2, 20)).astype(np.float32)
    y = net(x)
    save_model(net, tmp_path / "m.h5")
    model, _, _ = load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(model(x), y)
    assert model[2].constraint_kind == "conserve" and model[0].pointwise.constraint_kind == "stochastic"
    assert model[3].constraint_kind == "orthogonal"
