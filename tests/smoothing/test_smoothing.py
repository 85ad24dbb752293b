"""Tests of fieldconv.smoothing (Savitzky-Golay).

Ports the behaviours scipy's own test_savitzky_golay.py checks (polynomial
reproduction, exact derivatives, every mode, even windows, axis handling),
cross-checks against scipy.signal.savgol_filter, and tests the extensions
(non-uniform, NaN-aware, 2-D, response/noise gain, physical windows).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given
from hypothesis import strategies as st

from fieldconv.smoothing import (
    SAVGOL_MODES,
    savgol_coeffs,
    savgol_coeffs_2d,
    savgol_filter,
    savgol_filter_2d,
    savgol_filter_nan,
    savgol_filter_nonuniform,
    savgol_frequency_response,
    savgol_kernel,
    savgol_noise_gain,
    suggest_window,
    window_length_from_width,
)

EPS = np.finfo(np.float64).eps


def _exact_coeffs(W, p, d):
    """Dot-order SG coefficients in exact rational arithmetic (normal equations)."""
    pos = Fraction(W - 1, 2)
    t = [Fraction(j) - pos for j in range(W)]
    n = p + 1
    M = [[sum(tj ** (k + l) for tj in t) for l in range(n)] + [Fraction(int(k == d))] for k in range(n)]
    for c in range(n):
        for r in range(n):
            if r != c:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    g = [M[i][n] / M[i][i] for i in range(n)]
    return np.array([float(math.factorial(d) * sum(g[k] * tj**k for k in range(n))) for tj in t])


# ------------------------------------------------------------------ coefficients
@pytest.mark.parametrize("W,p,d", [(5, 2, 0), (7, 3, 1), (11, 4, 2), (31, 4, 0), (21, 5, 3), (8, 3, 1)],
                         ids=lambda v: str(v))
def test_coeffs_match_exact_rational(W, p, d):
    c = savgol_coeffs(W, p, d, use="dot")
    # orthonormal (Arnoldi) basis: error ~ (p + 1) eps sum|c| < 1e3 eps here
    assert np.max(np.abs(c - _exact_coeffs(W, p, d))) < 1e3 * EPS


@pytest.mark.parametrize("W", [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 24], ids=lambda w: f"W{w}")
def test_coeffs_match_scipy(W):
    for p in range(min(W, 5)):
        for d in range(4):
            for pos in [None, 0, W - 1]:
                for use in ("conv", "dot"):
                    ref = ss.savgol_coeffs(W, p, d, 0.5, pos=pos, use=use)
                    got = savgol_coeffs(W, p, d, 0.5, pos=pos, use=use)
                    # scipy's unscaled Vandermonde loses ~cond*eps; 1e-10 covers W<=24, p<=4
                    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10 * max(1, np.abs(ref).max()))


def test_coeffs_scipy_docstring_values():
    # values quoted in scipy's savgol_coeffs docstring
    # the quoted values have 8 decimals: their rounding is <= 5e-9
    np.testing.assert_allclose(savgol_coeffs(5, 2), [-0.08571429, 0.34285714, 0.48571429, 0.34285714, -0.08571429], atol=5e-9)
    np.testing.assert_allclose(savgol_coeffs(5, 2, pos=3, use="dot"),
                               [-0.14285714, 0.17142857, 0.34285714, 0.37142857, 0.25714286], atol=5e-9)
    # exact decimals; a 4x3 float64 least-squares solve (condition ~10 in scaled t) is good to ~10 eps
    np.testing.assert_allclose(savgol_coeffs(4, 2, pos=3, deriv=1, use="dot"), [0.45, -0.85, -0.65, 1.05], atol=1e-13)
    c = savgol_coeffs(5, 2, pos=4, deriv=1, use="dot")
    # coefficients good to ~10 eps each, dotted with values <= 9 over 5 taps: 5 * 9 * 10 eps ~ 1e-13
    assert abs(c @ np.array([1.0, 0, 1, 4, 9]) - 6.0) < 1e-13


def test_coeffs_deriv_above_order_is_zero():
    assert np.all(savgol_coeffs(7, 2, deriv=3) == 0)


def test_coeffs_are_cached_but_returned_writable():
    a = savgol_coeffs(9, 3)
    a[0] = 123.0
    assert savgol_coeffs(9, 3)[0] != 123.0


# ------------------------------------------------------ polynomial reproduction
@pytest.mark.parametrize("mode", SAVGOL_MODES)
@pytest.mark.parametrize("W,p", [(5, 2), (7, 3), (9, 4), (6, 3), (11, 2)], ids=lambda v: str(v))
def test_polynomial_reproduction_away_from_edges(mode, W, p):
    t = np.arange(40.0) - 17.0
    poly = np.polynomial.Polynomial(np.arange(1.0, p + 2.0) / 10.0)
    x = poly(t)
    y = savgol_filter(x, W, p, mode=mode)
    h = W // 2 + 1
    # rounding: sum|c| * max|x| * a few eps
    tol = 10 * EPS * np.abs(savgol_coeffs(W, p)).sum() * np.abs(x).max()
    # an even window evaluates its fit half a sample late (scipy's pos = W/2 - 0.5 with
    # scipy.ndimage's even-kernel placement); the interp edges sit on the samples
    shift = 0.5 if W % 2 == 0 else 0.0
    np.testing.assert_allclose(y[h:-h], poly(t + shift)[h:-h], rtol=0, atol=tol)
    if mode == "interp" and W % 2 == 1:  # the edge fits are exact too
        np.testing.assert_allclose(y, x, rtol=0, atol=tol * 10)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_exact_derivatives_of_a_cubic(d):
    # scipy's model test: an order-4 filter leaves a cubic and returns its exact derivatives
    delta = 0.25
    t = np.arange(30) * delta
    x = 0.5 * t**3 - 2 * t**2 + t - 3
    exact = {1: 1.5 * t**2 - 4 * t + 1, 2: 3 * t - 4, 3: np.full_like(t, 3.0)}[d]
    y = savgol_filter(x, 9, 4, deriv=d, delta=delta)
    # coefficients scale as delta**-d; rounding ~ 100 eps * sum|c| * max|x|
    tol = 100 * EPS * np.abs(savgol_coeffs(9, 4, d, delta)).sum() * np.abs(x).max()
    np.testing.assert_allclose(y, exact, rtol=0, atol=tol)


def test_scipy_docstring_example():
    x = np.array([2, 2, 5, 2, 1, 0, 1, 4, 9])
    # scipy's docstring quotes 2 decimals: rounding <= 5e-3
    np.testing.assert_allclose(savgol_filter(x, 5, 2), [1.66, 3.17, 3.54, 2.86, 0.66, 0.17, 1.0, 4.0, 9.0], atol=5e-3)
    np.testing.assert_allclose(savgol_filter(x, 5, 2, mode="nearest"),
                               [1.74, 3.03, 3.54, 2.86, 0.66, 0.17, 1.0, 4.6, 7.97], atol=5e-3)


# --------------------------------------------------------- agreement with scipy
@pytest.mark.parametrize("mode", SAVGOL_MODES)
def test_agrees_with_scipy_random(mode, rng):
    worst = 0.0
    for W in (1, 2, 3, 4, 5, 7, 8, 11, 16, 21, 25):
        for p in range(min(W, 5)):
            for d in range(min(p + 2, 4)):
                for shape, ax in [((3, 33), -1), ((33, 2), 0), ((2, 5, 4), 1)]:
                    x = rng.standard_normal(shape)
                    if mode == "interp" and W > x.shape[ax]:
                        continue
                    ref = ss.savgol_filter(x, W, p, d, 0.7, axis=ax, mode=mode, cval=0.3)
                    got = savgol_filter(x, W, p, d, 0.7, axis=ax, mode=mode, cval=0.3)
                    assert got.dtype == np.float64 and got.shape == x.shape
                    worst = max(worst, np.max(np.abs(got - ref)) / max(1.0, np.abs(ref).max()))
    # both are ~eps-accurate sums; scipy's own coefficient error (~1e-13 at W=25, p=4) dominates
    assert worst <= 1e-12


def test_float32_stays_float32(rng):
    x = rng.standard_normal((4, 100)).astype(np.float32)
    for mode in SAVGOL_MODES:
        y = savgol_filter(x, 11, 3, mode=mode)
        assert y.dtype == np.float32
        ref = ss.savgol_filter(x.astype(np.float64), 11, 3, mode=mode)
        # float32 sums of 11 terms: ~K * eps32 * sum|c| * max|x|
        assert np.max(np.abs(y - ref)) < 11 * 2**-24 * 2 * np.abs(x).max() * 4


@pytest.mark.parametrize("dtype,expected", [(np.float16, np.float32), (np.int64, np.float64), (bool, np.float64)])
def test_dtype_table(dtype, expected):
    assert savgol_filter(np.ones(20, dtype=dtype), 5, 2).dtype == expected


def test_axis_handling_matches_moveaxis(rng):
    x = rng.standard_normal((6, 15, 7))
    for ax in (0, 1, 2, -1, -2):
        y = savgol_filter(x, 5, 2, deriv=1, axis=ax)
        ref = np.moveaxis(savgol_filter(np.moveaxis(x, ax, -1), 5, 2, deriv=1), -1, ax)
        # the same 5-term float64 sums along another axis: 5 eps sum|c| max|x| ~ 5 * 2.2e-16 * 2.6 * 4 ~ 1e-14
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-14)


def test_short_data_non_interp_modes_follow_scipy(rng):
    x = rng.standard_normal(4)
    for mode in ("mirror", "nearest", "constant", "wrap"):
        # scipy sums the same 9 products (|c| sum ~ 2.4, |x| <= 3) in another order: 2 * 9 eps * 2.4 * 3 ~ 3e-14 < 1e-13
        np.testing.assert_allclose(savgol_filter(x, 9, 3, mode=mode), ss.savgol_filter(x, 9, 3, mode=mode),
                                   rtol=0, atol=1e-13)


def test_nan_in_interp_edge_window_gives_nan_not_crash():
    x = np.arange(30.0)
    x[1] = np.nan
    y = savgol_filter(x, 7, 2)
    assert np.isnan(y[:3]).all() and np.isnan(y[1:5]).all()
    assert np.isfinite(y[5:]).all()


def test_long_single_line_and_batch_agree_with_scipy(rng):
    # exercises the tiled compiled path (several tiles per line, strided axis)
    x = rng.standard_normal(10_000)
    # both are 21-term float64 sums of the same coefficients (sum|c| ~ 1.7) on |x| <= 4.5: 2 * 21 eps * 1.7 * 4.5 ~ 7e-14
    np.testing.assert_allclose(savgol_filter(x, 21, 3), ss.savgol_filter(x, 21, 3), rtol=0, atol=1e-13)
    X = rng.standard_normal((50, 37))
    np.testing.assert_allclose(savgol_filter(X, 7, 2, axis=0), ss.savgol_filter(X, 7, 2, axis=0), rtol=0, atol=1e-13)


@pytest.mark.parametrize("W,p,d", [(21, 3, 0), (21, 3, 1), (8, 3, 2), (8, 3, 1), (1, 0, 0)], ids=str)
def test_centred_coeffs_exactly_symmetric(W, p, d):
    # the exact coefficients are (anti)symmetric; bit-exact symmetry lets correlate1d fold them
    c = savgol_coeffs(W, p, d, use="dot")
    np.testing.assert_array_equal(c, (-1) ** d * c[::-1])


@pytest.mark.parametrize("mode", ["mirror", "nearest", "constant", "wrap", "interp"])
@pytest.mark.parametrize("W,p,d", [(21, 3, 0), (9, 4, 1), (8, 3, 2)], ids=str)
def test_filter_runs_on_the_convolution_engine(mode, W, p, d, rng):
    # savgol_filter is correlate1d with the dot-order coefficients (scipy.ndimage's even-kernel
    # placement: origin -1 for even W): the same code, so equal to the bit (interior, for interp)
    from fieldconv.convolution import correlate1d

    x = rng.standard_normal((3, 5000))
    y = savgol_filter(x, W, p, d, mode=mode, cval=0.3)
    ref = correlate1d(x, savgol_coeffs(W, p, d, use="dot"), -1, mode="constant" if mode == "interp" else mode,
                      cval=0.3, origin=-1 if W % 2 == 0 else 0)
    h = W // 2 if mode == "interp" else 0
    np.testing.assert_array_equal(y[:, h : x.shape[1] - h], ref[:, h : x.shape[1] - h])


def test_long_float32_line_agrees_with_scipy(rng):
    # float32 tiled path (4096-sample tiles): 21-term float32 sums, K * eps32 * sum|c| * max|x|
    x = rng.standard_normal(50_001).astype(np.float32)
    for d in (0, 1):
        y = savgol_filter(x, 21, 3, d)
        assert y.dtype == np.float32
        ref = ss.savgol_filter(x.astype(np.float64), 21, 3, d)
        bound = 21 * 2**-24 * np.abs(savgol_coeffs(21, 3, d)).sum() * np.abs(x).max()
        assert np.max(np.abs(y - ref)) < bound


def test_generic_backend_matches_numpy(strict_backend, rng):
    be = strict_backend
    x = rng.standard_normal((3, 40))
    for mode in SAVGOL_MODES:
        for W, p, d in [(7, 2, 0), (8, 3, 1), (5, 4, 2)]:
            y = be.to_numpy(savgol_filter(be.asarray(x, copy=True), W, p, d, axis=-1, mode=mode, backend=be))
            # generic slices vs the compiled FIR: two K-term float64 sums (K <= 8, sum|c| <= 8, |x| <= 4): 2 K eps * 8 * 4 ~ 1e-13
            np.testing.assert_allclose(y, savgol_filter(x, W, p, d, mode=mode), rtol=0, atol=1e-13)
    x2 = rng.standard_normal((12, 5))
    y = be.to_numpy(savgol_filter(be.asarray(x2, copy=True), 7, 2, 1, axis=0, backend=be))
    # against scipy: the same 7-term sums in another order, sum|c| ~ 0.6: 2 * 7 eps * 0.6 * 4 ~ 1e-14
    np.testing.assert_allclose(y, ss.savgol_filter(x2, 7, 2, 1, axis=0), rtol=0, atol=1e-13)
    assert savgol_filter(be.asarray(x.astype(np.float32), copy=True), 7, 2, backend=be).dtype == be.xp.float32


def test_generic_backend_nan_and_2d(strict_backend, rng):
    be = strict_backend
    x = rng.standard_normal((2, 30))
    x[0, 5] = np.nan
    y = be.to_numpy(savgol_filter_nan(be.asarray(x, copy=True), 7, 2, backend=be))
    # the same float64 moment sums (7 terms, |t^k x| <= 4) and 3x3 solves (condition ~30): ~30 * 7 eps * 4 ~ 2e-13 worst case, ~1e-14 typical
    np.testing.assert_allclose(y, savgol_filter_nan(x, 7, 2), rtol=0, atol=1e-13)
    img = rng.standard_normal((12, 14))
    y2 = be.to_numpy(savgol_filter_2d(be.asarray(img, copy=True), 5, 2, backend=be))
    # rank <= 3 sums of two 5-term passes each (sum|w| ~ 1.5, |x| <= 4): 3 * 2 * 5 eps * 1.5 * 4 ~ 4e-14
    np.testing.assert_allclose(y2, savgol_filter_2d(img, 5, 2), rtol=0, atol=1e-13)
    xv = np.cumsum(rng.uniform(0.5, 1.5, 30))
    y3 = be.to_numpy(savgol_filter_nonuniform(xv, be.asarray(x[1], copy=True), 7, 2, backend=be))
    # the same float64 coefficients applied by 7-term sums in another order: 7 eps sum|C| |x| ~ 7 * 2.2e-16 * 3 * 4 ~ 2e-14
    np.testing.assert_allclose(y3, savgol_filter_nonuniform(xv, x[1], 7, 2), rtol=0, atol=1e-13)


def test_kernel_object_matches_filter(rng):
    from fieldconv.convolution import convolve

    x = rng.standard_normal((3, 40))
    for W, p, d in [(7, 2, 0), (8, 3, 1), (9, 4, 3)]:
        K = savgol_kernel(W, p, d, 0.5)
        for mode in ("mirror", "nearest", "constant", "wrap"):
            got = convolve(x, K, mode=mode, axes=-1)
            # one set of float64 coefficients (sum|c| <= 64 for d = 3, delta = 0.5) applied by K-term sums: 2 K eps * 64 * 4 ~ 1e-12
            np.testing.assert_allclose(got, savgol_filter(x, W, p, d, 0.5, mode=mode), rtol=0, atol=1e-12)


# ------------------------------------------------------------------ extensions
@pytest.mark.parametrize("p,d", [(0, 1), (1, 2), (2, 3)], ids=str)
def test_nonuniform_derivative_above_order_is_zero(p, d):
    # scipy's rule, as savgol_filter's: was an IndexError (fuzz finding)
    x = np.arange(9.0) ** 1.5
    out = savgol_filter_nonuniform(x, x**2, 5, p, deriv=d)
    assert np.array_equal(out, np.zeros(9)) and out.dtype == np.float64


@pytest.mark.parametrize("p", [0, 1, 2, 3, 4])
def test_nonuniform_reproduces_polynomials(p, rng):
    for trial in range(3):
        xv = np.cumsum(rng.uniform(0.2, 2.0, 60))
        if trial == 2:
            xv = xv[::-1].copy()  # descending abscissae, order kept
        c = rng.standard_normal(p + 1)
        poly = np.polynomial.Polynomial(c, domain=[xv.min(), xv.max()], window=[-1, 1])
        y = poly(xv)
        for d in range(p + 1):
            got = savgol_filter_nonuniform(xv, y, 2 * p + 3, p, deriv=d)
            exact = poly.deriv(d)(xv) if d else y
            scale = np.abs(y).max() / (np.min(np.abs(np.diff(xv)))) ** d
            # pinv in scaled coordinates: ~1e4 eps amplification at most, times scale
            np.testing.assert_allclose(got, exact, rtol=0, atol=1e4 * EPS * scale * 10**d)


def test_nonuniform_uniform_grid_matches_savgol_interp(rng):
    xv = np.arange(50) * 0.5
    y = rng.standard_normal((3, 50))
    # pinv per point vs lstsq on the same scaled Vandermonde (condition ~10): coefficients agree to ~1e2 eps / delta; times 9 |y| <= 4: ~1e-12
    np.testing.assert_allclose(savgol_filter_nonuniform(xv, y, 9, 3, deriv=1),
                               savgol_filter(y, 9, 3, deriv=1, delta=0.5), rtol=0, atol=1e-12)


def test_nan_aware_reproduces_polynomial_with_gaps(rng):
    t = np.linspace(-1, 1, 80)
    y = 2 - t + 3 * t**2 - 0.5 * t**3
    y[[5, 6, 7, 40, 41, 79]] = np.nan
    got = savgol_filter_nan(y, 11, 3, delta=t[1] - t[0])
    # a cubic fit reproduces a cubic; the normal equations of an 11-point cubic with gaps have condition ~1e3: 1e3 eps * |y| <= 6 ~ 1e-12
    np.testing.assert_allclose(got, 2 - t + 3 * t**2 - 0.5 * t**3, rtol=0, atol=1e-12)
    d1 = savgol_filter_nan(y, 11, 3, deriv=1, delta=t[1] - t[0])
    # the derivative divides that error by the half-width h * delta = 5 * 0.025: ~1e-12 / 0.13 * (condition of the slope row ~1e2) < 1e-9
    np.testing.assert_allclose(d1, -1 + 6 * t - 1.5 * t**2, rtol=0, atol=1e-9)
    kept = savgol_filter_nan(y, 11, 3, fill=False)
    assert np.isnan(kept[[5, 40, 79]]).all() and np.isfinite(kept[8:40]).all()


def test_nan_aware_equals_savgol_interior_without_nan(rng):
    x = rng.standard_normal((4, 60))
    # the same fit two ways (moments + solve, condition ~1e2, vs lstsq coefficients) on |x| <= 4: ~1e2 * 9 eps * 4 ~ 1e-12
    np.testing.assert_allclose(savgol_filter_nan(x, 9, 3)[:, 4:-4], savgol_filter(x, 9, 3)[:, 4:-4], rtol=0, atol=1e-12)


@pytest.mark.parametrize("fill", [True, False])
def test_nan_aware_derivative_above_order_follows_the_nan_rules(fill):
    # deriv > polyorder: 0 where a fit exists, NaN where fewer than polyorder + 1 samples are valid (was 0 there)
    x = np.array([0.1257, -0.1321, np.nan, 0.1049, np.nan])
    got = savgol_filter_nan(x, 3, 1, deriv=2, fill=fill)
    # windows (edges truncated): {0,1}, {0,1,2}, {1,2,3}, {2,3,4}, {3,4} -> valid counts 2, 2, 2, 1, 1
    want = np.array([0.0, 0.0, 0.0 if fill else np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(got, want)


def test_nan_aware_too_few_points_is_nan():
    x = np.full(20, np.nan)
    x[[3, 10]] = 1.0
    assert np.isnan(savgol_filter_nan(x, 5, 2)).all()


def test_2d_reproduces_polynomials_of_total_degree(rng):
    i, j = np.meshgrid(np.arange(20.0), np.arange(18.0), indexing="ij")
    f = 1 + 0.3 * i - 0.2 * j + 0.05 * i * j + 0.01 * i**2 - 0.02 * j**2
    for mode in ("mirror", "reflect", "nearest", "constant", "wrap"):
        y = savgol_filter_2d(f, (5, 7), 2, mode=mode)
        # a quadratic is reproduced; pinv of the 5x7 Vandermonde (condition ~1e2) times 35 terms of |f| <= 20: ~1e2 * 35 eps * 20 ~ 2e-11 worst, ~1e-13 typical
        np.testing.assert_allclose(y[3:-3, 3:-3], f[3:-3, 3:-3], rtol=0, atol=1e-12)
    fx = savgol_filter_2d(f, 5, 2, deriv=(1, 0), delta=(0.5, 1.0))
    # the derivative row scales by 1/(h0 delta0) = 1: same rounding level as the smoothing row
    np.testing.assert_allclose(fx[3:-3, 3:-3], ((0.3 + 0.05 * j + 0.02 * i) / 0.5)[3:-3, 3:-3], rtol=0, atol=1e-12)
    fxy = savgol_filter_2d(f, 5, 3, deriv=(1, 1))
    # mixed derivative of a quadratic term, total degree 3 fit: same rounding level
    np.testing.assert_allclose(fxy[3:-3, 3:-3], 0.05, rtol=0, atol=1e-12)


def test_2d_on_cube_matches_direct_correlation(rng):
    import scipy.ndimage as nd

    cube = rng.standard_normal((3, 10, 11))  # (band, y, x): filter the spatial axes
    y = savgol_filter_2d(cube, 5, 3, axes=(1, 2), mode="nearest")
    w = savgol_coeffs_2d(5, 3)
    ref = np.stack([nd.correlate(c, w, mode="nearest") for c in cube])
    # scipy.ndimage sums the 25 weights directly, we sum rank <= 4 separable passes: 2 * 25 eps * sum|w| (~3) * |x| (<= 4) ~ 1e-13
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-13)


def test_frequency_response_and_noise_gain():
    f, H = savgol_frequency_response(11, 2)
    # H(0) = sum c = 1 in exact arithmetic: a float64 sum of 11 coefficients, ~11 eps
    assert abs(H[0] - 1) < 1e-14
    # Parseval: mean |H|^2 over [-f_N, f_N] equals sum c^2 (trapezoid on a fine grid of a trig polynomial)
    f, H = savgol_frequency_response(11, 2, n=4001)
    parseval = np.trapezoid(np.abs(H) ** 2, f) / f[-1]
    assert abs(parseval - savgol_noise_gain(11, 2)) < 1e-6
    # derivative filter ~ 2 pi i f at low frequency
    f, H = savgol_frequency_response(9, 3, deriv=1, delta=0.5)
    # relative error O((2 pi f delta)**4) ~ 1e-9 at f[1] for a cubic filter; 1e-3 leaves room for the O(f**3) term of the odd window
    assert abs(H[1] - 2j * np.pi * f[1]) < 1e-6 * abs(H[1]) * 1e3
    # smoothing noise gain equals the centre coefficient (projection) and 1/W for a moving average
    c = savgol_coeffs(15, 4)
    # sum of 15 squares vs one coefficient of size ~0.3: 15 eps * 0.3 ~ 1e-15
    assert abs(savgol_noise_gain(15, 4) - c[7]) < 1e-15
    assert abs(savgol_noise_gain(15, 0) - 1 / 15) < 1e-15


def test_noise_gain_matches_monte_carlo(rng):
    x = rng.standard_normal(200_000)
    y = savgol_filter(x, 11, 2, mode="wrap")
    g = savgol_noise_gain(11, 2)
    # sample variance of 2e5 correlated samples: relative error ~ sqrt(2*11/2e5) ~ 1%
    assert abs(np.var(y) / g - 1) < 0.05


def test_window_from_physical_width():
    import astropy.units as u

    assert window_length_from_width(10.0, 1.0) == 11
    assert window_length_from_width(10 * u.cm**-1, 0.5 * u.cm**-1) == 21
    x = np.sin(np.linspace(0, 6, 200))
    y = savgol_filter(x, 8 * u.cm**-1, 3, delta=0.5 * u.cm**-1)
    np.testing.assert_array_equal(y, savgol_filter(x, 17, 3, delta=0.5))
    q = savgol_filter(x * u.dimensionless_unscaled, 17, 3, deriv=1, delta=0.5 * u.cm**-1)
    assert q.unit == u.cm


def test_suggest_window_rule():
    # rule: span = 1.5 * fwhm * (p + 1) / 5, odd, >= p + 2
    assert suggest_window(10.0, 0.5, polyorder=4) == 31
    assert suggest_window(10.0, 0.5, polyorder=2) == 19
    assert suggest_window(3.0, 1.0, resolution=4.0, polyorder=2) == 5  # sqrt(9+16) = 5 -> span 4.5
    assert suggest_window(0.1, 1.0, polyorder=3) == 5


# ------------------------------------------------------------------ error paths
@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: savgol_filter(np.ones(5), 7, 2), ValueError, r"window_length must be <= the length of x"),
        (lambda: savgol_filter(np.ones(10), 5, 5), ValueError, r"polyorder must be less than window_length"),
        (lambda: savgol_coeffs(3, 3), ValueError, r"polyorder must be less than window_length"),
        (lambda: savgol_filter(np.ones(10), 5, 2, mode="reflect"), ValueError, r"mode must be one of"),
        (lambda: savgol_filter(np.ones(10), 5.0, 2), TypeError, r"window_length must be an integer"),
        (lambda: savgol_filter(np.ones(10), 5, 2, deriv=-1), ValueError, r"deriv must be >= 0"),
        (lambda: savgol_filter(np.ones(10), 5, 2, delta=0.0), ValueError, r"delta must be finite and non-zero; got 0.0"),
        (lambda: savgol_filter(np.ones(10), 5, 2, axis=2), ValueError, r"axis entries must lie"),
        (lambda: savgol_filter(np.float64(1.0), 1, 0), ValueError, r"x must have at least one dimension"),
        (lambda: savgol_filter(np.ones(10, complex), 5, 2), TypeError, r"x must be real"),
        (lambda: savgol_coeffs(5, 2, pos=5), ValueError, r"pos must satisfy"),
        (lambda: savgol_coeffs(5, 2, use="both"), ValueError, r"use must be one of"),
        (lambda: savgol_filter_nan(np.ones(10), 4, 2), ValueError, r"window_length must be odd"),
        (lambda: savgol_filter_nan(np.ones(3), 5, 2), ValueError, r"window_length must be <="),
        (lambda: savgol_filter_nonuniform([0, 1, 3, 2, 4], np.ones(5), 3, 1), ValueError, r"x_values must be strictly monotonic"),
        (lambda: savgol_filter_nonuniform([0, 1, 1, 2, 4], np.ones(5), 3, 1), ValueError, r"strictly monotonic"),
        (lambda: savgol_filter_nonuniform([0, 1, 2], np.ones(5), 3, 1), ValueError, r"one entry per sample"),
        (lambda: savgol_filter_nonuniform(np.arange(5.0), np.ones(5), 4, 1), ValueError, r"must be odd"),
        (lambda: savgol_filter_nonuniform(np.arange(5.0), np.ones(5), 7, 1), ValueError, r"window_length must be <="),
        (lambda: savgol_filter_nonuniform([0, 1, np.nan], np.ones(3), 3, 1), ValueError, r"x_values must be finite"),
        (lambda: savgol_coeffs_2d(4, 2), ValueError, r"window_length\[0\] must be odd"),
        (lambda: savgol_coeffs_2d((3, 1), 2), ValueError, r"too small for a 2-D polynomial"),
        (lambda: savgol_filter_2d(np.ones(9), 3, 1), ValueError, r"at least 2 dimensions"),
        (lambda: savgol_filter_2d(np.ones((9, 9)), 3, 1, mode="interp"), ValueError, r"mode must be one of"),
        (lambda: suggest_window(spacing=1.0), ValueError, r"needs fwhm or resolution"),
        (lambda: suggest_window(-1.0, 1.0), ValueError, r"fwhm must be positive"),
        (lambda: window_length_from_width(5.0, 0.0), ValueError, r"spacing must be positive"),
        (lambda: savgol_filter(np.ones(30), __import__("astropy.units").units.Quantity(5, "cm-1"), 2),
         ValueError, r"needs delta as a Quantity"),
    ],
    ids=lambda v: "" if callable(v) or isinstance(v, type) else v[:30],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda u: savgol_filter(np.ones(20), 5 * u.s, 2, delta=0.5 * u.m), r"window_length must have units convertible to m; got s"),
        (lambda u: suggest_window(5 * u.s, 0.5 * u.m), r"fwhm must have units convertible to m; got s"),
        (lambda u: suggest_window(5 * u.m, 0.5 * u.m, resolution=2 * u.s), r"resolution must have units convertible to m; got s"),
        (lambda u: suggest_window(5 * u.m, 0.5), r"fwhm is a Quantity but spacing is not"),
    ],
    ids=["savgol_filter-window_length", "suggest_window-fwhm", "suggest_window-resolution", "suggest_window-plain-spacing"],
)
def test_window_quantity_in_wrong_units_names_the_parameter(call, match):
    # fuzz F37: astropy's "'s' (time) and 'm' (length) are not convertible" named no parameter
    import astropy.units as u

    with pytest.raises(ValueError, match=match):
        call(u)


def test_window_quantity_in_other_units_of_the_same_dimension():
    import astropy.units as u

    assert suggest_window(10 * u.mm, 0.05 * u.cm, polyorder=4) == suggest_window(10.0, 0.5, polyorder=4)
    x = np.sin(np.linspace(0, 3, 60))
    np.testing.assert_array_equal(savgol_filter(x, 0.5 * u.cm, 2, delta=1 * u.mm), savgol_filter(x, 5, 2))


# ------------------------------------------------------------------ properties
@given(st.integers(1, 6).map(lambda h: 2 * h + 1), st.integers(0, 4), st.integers(0, 2),
       st.sampled_from(SAVGOL_MODES))
def test_linearity(W, p, d, mode):
    if p >= W:
        return
    r = np.random.default_rng(W * 100 + p * 10 + d)
    a, b = r.standard_normal((2, 30))
    lhs = savgol_filter(2 * a - 3 * b, W, p, d, mode=mode, cval=0.0)
    rhs = 2 * savgol_filter(a, W, p, d, mode=mode) - 3 * savgol_filter(b, W, p, d, mode=mode)
    # three filters of |x| <= 4 with sum|c| <= 2**d * 8: each output carries 2 W eps sum|c| |x| < 1e-12 relative
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=1e-12 * max(1, np.abs(rhs).max()))


@pytest.mark.parametrize("deriv", [1, 2], ids=["d1", "d2"])
def test_negative_delta_follows_scipy(deriv):
    # A descending axis (IR: 4000 -> 400 cm^-1) has a negative spacing; scipy
    # accepts it and returns the derivative along that axis.
    x = np.linspace(4000.0, 400.0, 721)
    y = 1e-9 * (x - 2000.0) ** 3
    got = savgol_filter(y, 11, 3, deriv=deriv, delta=x[1] - x[0])
    ref = ss.savgol_filter(y, 11, 3, deriv=deriv, delta=x[1] - x[0])
    # both sum 11 products: rounding <= 11 eps sum|c| max|y| (c the coefficients, ~1/delta^deriv)
    bound = 11 * np.finfo(float).eps * np.abs(ss.savgol_coeffs(11, 3, deriv=deriv, delta=x[1] - x[0])).sum() * np.abs(y).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=bound)
    exact = 3e-9 * (x - 2000.0) ** 2 if deriv == 1 else 6e-9 * (x - 2000.0)
    # a cubic is reproduced exactly by an order-3 filter (away from the edges too, with "interp")
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-9 * np.abs(exact).max())
