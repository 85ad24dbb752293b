"""NaN and inf in spectra and in Laplacian smoothing: the documented ``nan_policy``, never a silent spread.

Before: one NaN made NaN every ``resample`` output past it (all of them
with a resolution), all 901 outputs of ``convolve_instrument`` and the whole
``smooth_laplacian`` field (inf too), without an error.
"""

import math
import warnings

import numpy as np
import pytest

from fieldconv._nan_policy import NAN_POLICIES
from fieldconv.convolution import NAN_POLICIES as ENGINE_POLICIES
from fieldconv.filters import smooth_laplacian
from fieldconv.spectra import SpectralAxis, Spectrum, convolve_instrument, resample

EPS = np.finfo(np.float64).eps


def test_one_vocabulary_with_the_engine():
    assert NAN_POLICIES == ENGINE_POLICIES


# ------------------------------------------------------------------ resample
def _grid():
    x = np.linspace(1100.0, 1000.0, 201)  # descending, 0.5 cm^-1
    y = np.sin(x / 7.0) + 0.1 * np.cos(x / 1.3)
    xn = np.linspace(1098.0, 1001.0, 41)
    return x, y, xn


@pytest.mark.parametrize("i", [0, 1, 57, 100, 199, 200], ids=lambda i: f"nan@{i}")
def test_resample_nan_marks_exactly_the_bins_that_see_it(i):
    x, y, xn = _grid()
    yn = y.copy()
    yn[i] = np.nan
    got = resample(yn, x, xn)
    # the bins that see sample i are those whose output moves with its value (by >= 2e3 * weight >= 1e-3;
    # the others move only by the rounding of the running integral)
    a, b = y.copy(), y.copy()
    a[i], b[i] = 1e3, -1e3
    sees = np.abs(resample(a, x, xn) - resample(b, x, xn)) > 1e-6
    assert np.array_equal(np.isnan(got), sees)
    # a 0.5 spacing in 2.4 wide bins: one bin, two at a bin edge, none for x[0] = 1100 (outside every bin)
    assert np.count_nonzero(sees) <= 2 and (i == 0 or np.count_nonzero(sees) >= 1)
    # elsewhere the exact bin means of the other samples (cumulative sums of 201 terms: ~201 eps max|y|)
    ok = ~np.isnan(got)
    np.testing.assert_allclose(got[ok], resample(y, x, xn)[ok], rtol=0, atol=201 * EPS * 2)


def test_resample_infinite_sample_gives_inf_in_its_bins_only():
    x, y, xn = _grid()
    yi = y.copy()
    yi[57] = np.inf
    got = resample(yi, x, xn)
    bad = ~np.isfinite(got)
    assert 1 <= np.count_nonzero(bad) <= 2 and np.all(got[bad] == np.inf)
    yi[58] = -np.inf  # + and - inf in one bin: NaN, as inf - inf
    got = resample(yi, x, xn)
    assert np.any(np.isnan(got)) and np.count_nonzero(~np.isfinite(got)) <= 3


def test_resample_interpolate_bridges_nan_samples():
    x, y, xn = _grid()
    yn = y.copy()
    yn[[40, 41, 120]] = np.nan
    got = resample(yn, x, xn, nan_policy="interpolate")
    keep = ~np.isnan(yn)
    want = resample(y[keep], x[keep], xn)  # the piecewise-linear spectrum through the valid samples
    np.testing.assert_allclose(got, want, rtol=0, atol=201 * EPS * 2)
    # a stack: rows with and without NaN, each on its own valid samples
    stack = np.stack([y, yn, np.full_like(y, np.nan)])
    got2 = resample(stack, x, xn, nan_policy="interpolate")
    np.testing.assert_allclose(got2[0], resample(y, x, xn), rtol=0, atol=201 * EPS * 2)
    np.testing.assert_allclose(got2[1], want, rtol=0, atol=201 * EPS * 2)
    assert np.all(np.isnan(got2[2]))  # no valid sample at all


def test_resample_interpolate_leading_nan_shrinks_the_covered_range():
    x, y, xn = _grid()
    yn = y.copy()
    yn[:20] = np.nan  # x > 1090: the first target points lie outside the valid data
    got = resample(yn, x, xn, nan_policy="interpolate")
    assert np.all(np.isnan(got[xn > x[20]])) and np.all(np.isfinite(got[xn < x[20] - 3]))


def test_resample_with_resolution_refuses_to_spread_nan_and_interpolates_on_request():
    x, y, xn = _grid()
    yn = y.copy()
    yn[100] = np.nan
    with pytest.raises(ValueError, match=r"y contains 1 NaN value\(s\).*Fourier.*nan_policy='interpolate'"):
        resample(yn, x, xn, resolution=3.0)
    got = resample(yn, x, xn, resolution=3.0, nan_policy="interpolate")
    ref = resample(y, x, xn, resolution=3.0)
    assert np.all(np.isfinite(got))
    # one of 201 samples left out of a smooth spectrum: the normalised convolution differs by O(curvature h^2)
    assert np.max(np.abs(got - ref)) < 2e-2
    yi = y.copy()
    yi[3] = np.inf
    with pytest.raises(ValueError, match=r"y contains 1 infinite value\(s\)"):
        resample(yi, x, xn, resolution=3.0, nan_policy="interpolate")
    # a source resolution at least as coarse: no line-shape step, so the local rules apply
    assert np.count_nonzero(np.isnan(resample(yn, x, xn, resolution=3.0, source_resolution=3.0))) in (1, 2)


@pytest.mark.parametrize("fn", [
    lambda y, policy: resample(y, _grid()[0], _grid()[2], nan_policy=policy),
    lambda y, policy: convolve_instrument(y, 0.5, 3.0, nan_policy=policy),
    lambda y, policy: smooth_laplacian(y, 2.0, nan_policy=policy),
], ids=["resample", "convolve_instrument", "smooth_laplacian"])
def test_raise_policy_and_unknown_policy(fn):
    y = _grid()[1].copy()
    y[7] = np.nan
    with pytest.raises(ValueError, match=r"contains 1 NaN value\(s\) and nan_policy='raise'"):
        fn(y, "raise")
    with pytest.raises(ValueError, match=r"nan_policy must be one of \('propagate', 'interpolate', 'raise'\)"):
        fn(_grid()[1], "omit")


# ------------------------------------------------------------------ convolve_instrument
def test_convolve_instrument_nan_is_an_error_not_901_nans():
    y = np.exp(-0.5 * (np.linspace(-20, 20, 901) / 2.0) ** 2)
    y[450] = np.nan
    with pytest.raises(ValueError, match=r"y contains 1 NaN value\(s\).*nan_policy='interpolate'"):
        convolve_instrument(y, 0.05, 4.0)
    y[450] = np.inf
    with pytest.raises(ValueError, match=r"y contains 1 infinite value\(s\): the line-shape convolution"):
        convolve_instrument(y, 0.05, 4.0, nan_policy="interpolate")


@pytest.mark.parametrize("shape", ["gaussian", "sinc", "sinc2"])
def test_convolve_instrument_interpolate_is_the_normalised_convolution(shape, rng):
    n = 300
    y = rng.standard_normal((2, n))
    y[0, [10, 11, 12, 200]] = np.nan
    y[1, :5] = np.nan
    got = convolve_instrument(y, 1.0, 6.0, line_shape=shape, nan_policy="interpolate")
    # reference: the operator as a dense matrix (its columns are the responses to unit samples)
    S = convolve_instrument(np.eye(n), 1.0, 6.0, line_shape=shape)  # row j: response to e_j
    valid = ~np.isnan(y)
    num = np.where(valid, y, 0.0) @ S
    den = valid.astype(float) @ S
    # both are sums of n FFT round trips: ~ eps log2(2n) sum|k| per entry, relative to den ~ 1
    np.testing.assert_allclose(got, num / den, rtol=0, atol=1e3 * EPS * math.log2(2 * n))
    kept = convolve_instrument(y, 1.0, 6.0, line_shape=shape, nan_policy="interpolate", preserve_nan=True)
    assert np.array_equal(np.isnan(kept), ~valid)


def test_convolve_instrument_interpolate_keeps_a_constant():
    y = np.full(500, 3.25)
    y[100:140] = np.nan
    got = convolve_instrument(y, 0.5, 2.0, nan_policy="interpolate")
    inside = np.isnan(got)
    # deep in the 20 cm^-1 gap (resolution 2 cm^-1) no valid sample weighs sqrt(eps): NaN there, only there
    assert inside.any() and np.all(inside[115:125]) and not inside[:100].any() and not inside[140:].any()
    # the weighted mean of a constant is that constant: FFT noise ~ eps log2(1000) over a weight >= sqrt(eps)
    np.testing.assert_allclose(got[~inside], 3.25, rtol=8 * math.sqrt(EPS) * math.log2(1000))
    # away from the gap (weights ~ 1): rounding only
    np.testing.assert_allclose(got[:80], 3.25, rtol=64 * EPS * math.log2(1000))


# ------------------------------------------------------------------ smooth_laplacian
def test_smooth_laplacian_nan_and_inf_are_errors_not_a_nan_field():
    f = np.ones((32, 32))
    f[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"field contains 1 NaN value\(s\).*nan_policy='interpolate'"):
        smooth_laplacian(f, 2.0)
    f[3, 4] = np.inf
    with pytest.raises(ValueError, match=r"field contains 1 infinite value\(s\)"):
        smooth_laplacian(f, 2.0)
    # lam = 0 is the identity: nothing spreads, inf and NaN stay where they are
    f[5, 5] = np.nan
    out = smooth_laplacian(f, 0.0)
    assert np.array_equal(out, f, equal_nan=True) and out is not f


def test_smooth_laplacian_interpolate(backend):
    f = np.full((24, 20), 2.5)
    f[3:6, 4] = np.nan
    x = backend.asarray(f, copy=True)
    got = backend.to_numpy(smooth_laplacian(x, 3.0, nan_policy="interpolate", backend=backend))
    # the normalised smoothing of a constant is the constant (FFT rounding ~ eps log2(N) relative)
    np.testing.assert_allclose(got, 2.5, rtol=64 * EPS * math.log2(480))
    kept = backend.to_numpy(smooth_laplacian(x, 3.0, nan_policy="interpolate", preserve_nan=True, backend=backend))
    assert np.array_equal(np.isnan(kept), np.isnan(f))
    rng = np.random.default_rng(3)
    g = rng.standard_normal((24, 20))
    g[10, 10] = np.nan
    mask = np.isnan(g)
    num = smooth_laplacian(np.where(mask, 0.0, g), 3.0, backend="numpy")
    den = smooth_laplacian((~mask).astype(float), 3.0, backend="numpy")
    got = backend.to_numpy(smooth_laplacian(backend.asarray(g, copy=True), 3.0, nan_policy="interpolate",
                                            backend=backend))
    np.testing.assert_allclose(got, num / den, rtol=0, atol=1e3 * EPS * math.log2(480))


def test_smooth_laplacian_float32_interpolate_stays_float32():
    f = np.ones(64, np.float32)
    f[10] = np.nan
    out = smooth_laplacian(f, 1.0, nan_policy="interpolate")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 1.0, rtol=64 * np.finfo(np.float32).eps * 6)


@pytest.mark.parametrize("shape", [(0, 10), (10, 0), (0,)], ids=str)
def test_smooth_laplacian_empty_field_is_a_clear_error(shape):
    with pytest.raises(ValueError, match=r"field must have at least one sample along every axis; got shape"):
        smooth_laplacian(np.ones(shape), 1.0)


# ------------------------------------------------------------------ complex data
@pytest.mark.parametrize("call", [
    lambda: Spectrum(SpectralAxis([1.0, 2.0, 3.0]), np.ones(3) + 1j),
    lambda: SpectralAxis(np.array([1.0, 2.0, 3.0]) + 0j),
    lambda: resample(np.ones(3) + 1j, [1.0, 2.0, 3.0], [1.5, 2.5]),
    lambda: convolve_instrument(np.ones(8) + 1j, 1.0, 2.0),
], ids=["Spectrum", "SpectralAxis", "resample", "convolve_instrument"])
def test_complex_spectra_are_refused_without_a_complex_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the ComplexWarning that used to be all there was
        with pytest.raises(TypeError, match=r"must be real"):
            call()


def test_smooth_laplacian_checks_order_even_for_the_identity():
    with pytest.raises(ValueError, match=r"order must be one of 2, 4, 6; got 3"):
        smooth_laplacian(np.ones(4), 0.0, order=3)
