"""The synthetic IR generator: shapes, seeds, labels, band physics, bad input."""

import numpy as np
import pytest

from fieldconv.datasets import GROUP_BANDS, GROUP_NAMES, default_grid, synthetic_ir


def test_shapes_dtypes_and_seed():
    a = synthetic_ir(12, random_state=4)
    b = synthetic_ir(12, random_state=4)
    c = synthetic_ir(12, random_state=5)
    assert a.X.shape == (12, 3600) and a.X.dtype == np.float32 and a.Y.dtype == np.uint8
    assert a.Y.shape == (12, 16) and a.groups == GROUP_NAMES and a.grid.shape == (3600,)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert np.isfinite(a.X).all() and set(np.unique(a.Y)) <= {0, 1}


def test_label_statistics():
    d = synthetic_ir(400, mean_groups=1.8, p_none=0.05, groups=GROUP_NAMES[:8], random_state=1,
                     atmosphere=False, baseline=False)
    k = d.Y.sum(axis=1)
    assert abs(np.mean(k == 0) - 0.05) < 0.04  # p_none, binomial sd 0.011
    assert 1.3 < k[k > 0].mean() < 2.2  # 1 + Poisson(0.8), capped at 5
    assert np.all(d.Y.mean(axis=0) > 0.1)


def test_bands_follow_the_correlation_table():
    d = synthetic_ir(30, random_state=2, return_bands=True, calibration_shift=0.0)
    for i in range(30):
        present = {g for g, y in zip(d.groups, d.Y[i]) if y}
        sources = {b[0] for b in d.bands[i]} - {"skeleton", "fingerprint"}
        assert sources == present
        for source, label, centre, fwhm, peak in d.bands[i]:
            if source in GROUP_BANDS:
                band = next(b for b in GROUP_BANDS[source] if b.label == label)
                assert band.centre_lo <= centre <= band.centre_hi and band.fwhm_lo <= fwhm <= band.fwhm_hi


def test_a_nitrile_band_is_where_the_table_puts_it():
    d = synthetic_ir(40, groups=["nitrile", "ketone"], random_state=3, noise=0.0, atmosphere=False,
                     return_bands=True)
    window = (d.grid > 2150) & (d.grid < 2300)
    for i in range(40):
        has = d.Y[i, 0] == 1
        peak = d.X[i, window].max() - np.median(d.X[i, window])
        assert (peak > 0.01) == has


def test_instrument_conserves_equivalent_width():
    # noiseless transmittance spectra at two resolutions: sum(1 - T) is the same (the line shape
    # conserves it exactly; the 50 cm^-1 margins keep what spreads past the ends): 1e-6 relative
    kw = {"noise": 0.0, "baseline": False, "atmosphere": False, "y_unit": "transmittance", "random_state": 8}
    t2 = synthetic_ir(5, resolution=2.0, **kw).X.astype(np.float64)
    t16 = synthetic_ir(5, resolution=16.0, **kw).X.astype(np.float64)
    np.testing.assert_allclose((1 - t16).sum(axis=1), (1 - t2).sum(axis=1), rtol=1e-5)
    assert np.all(t16.min(axis=1) > t2.min(axis=1))  # coarser resolution: shallower narrow bands


def test_absorbance_is_minus_log_transmittance_and_grids():
    kw = {"random_state": 9, "noise": 0.0}
    A = synthetic_ir(3, **kw).X
    T = synthetic_ir(3, y_unit="transmittance", **kw).X
    np.testing.assert_allclose(A, -np.log10(np.maximum(T, 1e-4)), rtol=1e-5, atol=1e-6)
    desc = synthetic_ir(3, grid=default_grid()[::-1], **kw)
    np.testing.assert_array_equal(desc.X, A[:, ::-1])
    np.testing.assert_array_equal(desc.grid, default_grid()[::-1])
    coarse = synthetic_ir(3, grid=np.arange(600.0, 3800.0, 4.0), **kw)
    assert coarse.X.shape == (3, 800) and np.isfinite(coarse.X).all()


def test_quantities():
    u = pytest.importorskip("astropy.units")
    d = synthetic_ir(2, grid=np.arange(1000.0, 2000.0, 1.0) * u.cm**-1, resolution=4 * u.cm**-1, random_state=0)
    assert d.X.shape == (2, 1000) and d.resolution == 4.0
    with pytest.raises(ValueError, match="resolution must be a wavenumber"):
        synthetic_ir(2, resolution=4 * u.nm)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
        ({"n_samples": 2.5}, TypeError, "n_samples must be an integer"),
        ({"resolution": 0.0}, ValueError, "resolution must be > 0"),
        ({"noise": -0.1}, ValueError, "noise must be >= 0"),
        ({"groups": ["ketone", "amine"]}, ValueError, "groups must be a non-empty subset"),
        ({"groups": ["ketone", "ketone"]}, ValueError, "must not repeat"),
        ({"grid": np.arange(100.0, 500.0)}, ValueError, "within 400-4000"),
        ({"grid": [400.0, 401.0, 403.0]}, ValueError, "uniformly spaced"),
        ({"y_unit": "percent"}, ValueError, "y_unit must be one of"),
        ({"mean_groups": 0.5}, ValueError, "mean_groups must be >= 1"),
    ],
    ids=["n0", "n-float", "res0", "noise", "unknown-group", "repeat", "grid-range", "grid-uneven", "y-unit", "mean"],
)
def test_bad_input(kwargs, exc, match):
    kwargs = {"n_samples": 2, **kwargs}
    with pytest.raises(exc, match=match):
        synthetic_ir(**kwargs)
