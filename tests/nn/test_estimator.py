"""SpectralCNNClassifier: the scikit-learn contract, grids, files, bad input."""

import pickle

import numpy as np
import pytest

from fieldconv.datasets import synthetic_ir
from fieldconv.nn import SpectralCNNClassifier

GRID = np.arange(1000.0, 2400.0, 2.0)  # 700 points at 2 cm^-1: small and fast


@pytest.fixture(scope="module")
def data():
    return synthetic_ir(60, grid=GRID, resolution=4.0, groups=["ketone", "nitrile", "nitro"], random_state=3)


@pytest.fixture(scope="module")
def fitted(data):
    clf = SpectralCNNClassifier(grid=data.grid, channels=(4, 8), hidden=8, epochs=2, random_state=0)
    return clf.fit(data.X, data.Y)


def test_fit_predict_shapes_and_dtypes(fitted, data):
    P = fitted.predict_proba(data.X)
    Yp = fitted.predict(data.X)
    assert P.shape == (60, 3) and P.dtype == np.float64 and np.all((P >= 0) & (P <= 1))
    assert Yp.shape == (60, 3) and Yp.dtype == np.int64 and set(np.unique(Yp)) <= {0, 1}
    assert fitted.thresholds_.shape == (3,) and fitted.n_features_in_ == GRID.size
    assert 0.0 <= fitted.score(data.X, data.Y) <= 1.0
    assert fitted.fit_time_ > 0 and fitted.history_.epochs == 2
    assert fitted.model_[0].weight.dtype == np.float32


def test_seeded_fits_are_identical(data):
    kw = {"grid": data.grid, "channels": (4, 8), "hidden": 8, "epochs": 1, "random_state": 7}
    a = SpectralCNNClassifier(**kw).fit(data.X, data.Y).predict_proba(data.X)
    b = SpectralCNNClassifier(**kw).fit(data.X, data.Y).predict_proba(data.X)
    np.testing.assert_array_equal(a, b)


def test_save_load_and_pickle_round_trip(fitted, data, tmp_path):
    path = tmp_path / "clf.h5"
    fitted.save(path)
    back = SpectralCNNClassifier.load(path)
    np.testing.assert_array_equal(back.predict_proba(data.X), fitted.predict_proba(data.X))
    np.testing.assert_array_equal(back.thresholds_, fitted.thresholds_)
    assert back.get_params()["channels"] == (4, 8)
    import h5py

    with h5py.File(path) as f:
        g = f["grid"].attrs
        assert (g["start"], g["step"], g["n"], g["resolution"], g["units"]) == (1000.0, 2.0, 700, 4.0, "cm-1")
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(data.X), fitted.predict(data.X))


def test_other_grids_refuse_or_resample(fitted, data):
    fine = np.arange(1000.0, 2399.5, 1.0)
    X_fine = synthetic_ir(4, grid=fine, resolution=4.0, groups=["ketone", "nitrile", "nitro"], random_state=5).X
    with pytest.raises(ValueError, match="expecting 700 features"):
        fitted.predict(X_fine)
    with pytest.raises(ValueError, match="differs from the model's grid .* pass resample=True"):
        fitted.predict(X_fine, grid=fine)
    P = fitted.predict_proba(X_fine, grid=fine, resample=True)
    assert P.shape == (4, 3) and np.isfinite(P).all()
    # the same spectra, descending: resampled onto the model's ascending grid give the same answer
    P_desc = fitted.predict_proba(X_fine[:, ::-1], grid=fine[::-1], resample=True)
    np.testing.assert_allclose(P_desc, P, rtol=1e-5, atol=1e-6)
    # the model's own grid given explicitly: no resampling needed
    np.testing.assert_array_equal(fitted.predict(data.X, grid=data.grid), fitted.predict(data.X))
    with pytest.raises(ValueError, match="does not cover the model's grid"):
        fitted.predict(X_fine[:, :500], grid=fine[:500], resample=True)


def test_quantity_grid_and_spectral_axis(data):
    u = pytest.importorskip("astropy.units")
    from fieldconv import SpectralAxis

    for grid in (data.grid * u.cm**-1, SpectralAxis(data.grid, "cm-1")):
        clf = SpectralCNNClassifier(grid=grid, resolution=4 * u.cm**-1, channels=(2,), hidden=0, epochs=1,
                                    random_state=0).fit(data.X[:20], data.Y[:20])
        assert clf.grid_.step == 2.0 and clf.grid_.resolution == 4.0
    with pytest.raises(ValueError, match="resolution must be a wavenumber"):
        SpectralCNNClassifier(grid=data.grid, resolution=4 * u.nm, epochs=1).fit(data.X[:20], data.Y[:20])


@pytest.mark.parametrize(
    "mutate,exc,match",
    [
        (lambda X, Y: (np.where(np.arange(X.shape[1]) == 5, np.nan, X), Y), ValueError, "X must be finite; spectra"),
        (lambda X, Y: (X, Y * 2), ValueError, "Y must hold labels 0 and 1 only"),
        (lambda X, Y: (X, Y[:-1]), ValueError, "one row per spectrum"),
        (lambda X, Y: (X[:, :100], Y), ValueError, "X has 100 points per spectrum but grid has 700"),
        (lambda X, Y: (X[0], Y), ValueError, "Reshape your data"),
        (lambda X, Y: (X, None), ValueError, "requires y to be passed"),
        (lambda X, Y: (X, np.arange(X.shape[0]) % 3), ValueError, "Only binary classification is supported"),
        (lambda X, Y: (X.astype(complex), Y), ValueError, "Complex data not supported"),
    ],
    ids=["nan", "labels-not-01", "rows", "length", "1d", "y-none", "multiclass", "complex"],
)
def test_bad_fit_input(data, mutate, exc, match):
    X, Y = mutate(data.X, data.Y)
    with pytest.raises(exc, match=match):
        SpectralCNNClassifier(grid=data.grid, epochs=1).fit(X, Y)


@pytest.mark.parametrize(
    "params,exc,match",
    [
        ({"head": "attention"}, ValueError, "head must be one of"),
        ({"epochs": 0}, ValueError, "epochs must be >= 1"),
        ({"threshold": 1.5}, ValueError, "threshold must be < 1"),
        ({"class_weight": "auto"}, ValueError, "class_weight must be None, 'balanced' or a dict"),
        ({"dtype": "float16"}, TypeError, "dtype must be float32 or float64"),
    ],
    ids=["head", "epochs", "threshold", "class-weight", "dtype"],
)
def test_bad_parameters(data, params, exc, match):
    with pytest.raises(exc, match=match):
        SpectralCNNClassifier(grid=data.grid, **params).fit(data.X, data.Y)


def test_unfitted_and_set_params():
    clf = SpectralCNNClassifier()
    with pytest.raises(Exception, match="not fitted yet"):
        clf.predict(np.zeros((1, 10)))
    assert clf.set_params(epochs=3).epochs == 3
    with pytest.raises(ValueError, match="invalid parameter 'epoch'"):
        clf.set_params(epoch=3)
    assert "epochs=3" in repr(clf)


def test_binary_targets_and_class_weight_dict(data):
    y = np.where(data.Y[:, 1] > 0, "nitrile", "other")
    clf = SpectralCNNClassifier(grid=data.grid, channels=(4,), hidden=0, epochs=2, threshold=0.5,
                                class_weight={"nitrile": 3.0, "other": 1.0}, random_state=0).fit(data.X, y)
    assert list(clf.classes_) == ["nitrile", "other"]
    pred = clf.predict(data.X)
    assert pred.shape == (60,) and set(pred) <= {"nitrile", "other"}
    assert clf.predict_proba(data.X).shape == (60, 2) and clf.decision_function(data.X).shape == (60,)


def test_scikit_learn_estimator_checks():
    """Every check of scikit-learn's suite that applies to a multi-label classifier passes.

    Run on a small float64 configuration: float32 results of the same spectra
    in batches of different sizes may differ in the last bits (BLAS blocking),
    which the suite's batch-invariance checks (rtol 1e-7) would flag.  The
    fixed threshold keeps predict consistent with predict_proba > 0.5, which
    the suite assumes; tuned thresholds differ from 0.5 by design.
    """
    pytest.importorskip("sklearn")
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    est = SpectralCNNClassifier(epochs=20, batch_size=256, learning_rate=0.03, channels=(4,), hidden=16, dropout=0.0,
                                threshold=0.5, dtype="float64", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(est, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert not failed, failed
    assert sum(r["status"] == "passed" for r in results) >= 55


def test_explain_prune_and_fine_tune(fitted, data):
    cam = fitted.explain(data.X[:3], groups=[0, 1])
    assert cam.maps.shape == (3, 2, GRID.size) and cam.method == "hires"  # region head: point-wise gradients
    assert np.all((cam.maps >= 0) & (cam.maps <= 1))
    small, report = fitted.prune(0.5, data.X, data.Y)
    assert report["params"][1] < report["params"][0] and report["flops"][1] < 0.6 * report["flops"][0]
    assert 0.0 <= report["micro_f1"][1] <= 1.0
    assert small.model_ is not fitted.model_ and fitted.model_[0].out_channels == 4  # the original is untouched
    before = small.predict_proba(data.X)
    small.fine_tune(data.X, data.Y, epochs=1)
    assert not np.array_equal(small.predict_proba(data.X), before)
