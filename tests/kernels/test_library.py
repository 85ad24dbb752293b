"""fieldconv.kernels: the library of standard kernels against their definitions and scipy."""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import kernels
from fieldconv.kernels import Kernel, compose
from fieldconv._windows import bspline

from .references import EPS, delta_response, ndi_origin, ref_convolve, ref_correlate, sym_tol


# ------------------------------------------------------------------ constructors
def test_box():
    K = kernels.box((2, 3))
    np.testing.assert_array_equal(K.weights, np.full((2, 3), 1 / 6))
    assert K.origin == (1, 1)
    with pytest.raises(ValueError, match="shape must be >= 1; got 0"):
        kernels.box(0)
    with pytest.raises(ValueError, match="shape must have at least one entry"):
        kernels.box(())


def test_gaussian_sample_matches_scipy_ndimage():
    for sigma, truncate in ((1.3, 4.0), (2.0, 3.0), (0.7, 5.0)):
        K = kernels.gaussian(sigma, truncate=truncate)
        x = np.zeros(41)
        x[20] = 1.0
        r = K.origin[0]
        ref = ndi.gaussian_filter1d(x, sigma, truncate=truncate)[20 - r : 20 + r + 1]
        # the same exp samples normalised by their sum (fsum here, scipy a plain sum): ~4 roundings of weights <= 0.4
        np.testing.assert_allclose(K.weights, ref, rtol=0, atol=4 * EPS)


@pytest.mark.parametrize("sigma", [0.2, 0.5, 1.0, 3.0], ids=lambda s: f"sigma={s}")
def test_gaussian_integrate_matches_erf_and_sums_to_one(sigma):
    K = kernels.gaussian(sigma, mode="integrate")
    r = K.origin[0]
    j = np.arange(-r, r + 1)
    s2 = sigma * np.sqrt(2)
    cell = 0.5 * (scipy.special.erf((j + 0.5) / s2) - scipy.special.erf((j - 0.5) / s2))
    # normalised by the retained mass erf((r + 1/2) / s2); erf differences lose up to ~4 eps absolute
    np.testing.assert_allclose(K.weights, cell / scipy.special.erf((r + 0.5) / s2), rtol=0, atol=8 * EPS)
    assert abs(math.fsum(K.weights) - 1) <= K.size * EPS


def test_gaussian_integrate_variance_is_sigma2_plus_one_twelfth():
    # cell averaging convolves with the unit box (variance 1/12); sampling keeps sigma^2.
    # truncate=10: tail mass < 1e-22; aliasing (Poisson summation of x^2 g):
    # 2 (4 pi^2 sigma^4) exp(-2 pi^2 sigma^2) < 1e-17 for sigma >= 1.5; summation rounding ~ r^3 eps
    j2 = lambda K: float(np.sum((np.arange(K.size) - K.origin[0]) ** 2 * K.weights))  # noqa: E731
    for sigma in (1.5, 2.3):
        assert abs(j2(kernels.gaussian(sigma, truncate=10)) - sigma**2) < 1e-12
        assert abs(j2(kernels.gaussian(sigma, truncate=10, mode="integrate")) - (sigma**2 + 1 / 12)) < 1e-12
    # small sigma: the sampled kernel collapses to a delta, while the mass the Gaussian puts in
    # the neighbouring cells is 0.5 erfc(0.5 / (0.2 sqrt2)) = 6.2e-3, kept by integration
    side = 0.5 * math.erfc(0.5 / (0.2 * math.sqrt(2))) - 0.5 * math.erfc(1.5 / (0.2 * math.sqrt(2)))
    assert kernels.gaussian(0.2, mode="sample").weights[2] < side / 100
    # erfc differences written without cancellation, divided by an fsum of 3 terms: ~1e-15 relative; 1e-12 covers erfc's own ~1e-14 error
    assert kernels.gaussian(0.2, mode="integrate").weights[2] == pytest.approx(side, rel=1e-12)


def test_gaussian_per_axis_spacing_and_units():
    K = kernels.gaussian((1.0, 2.0))
    assert K.shape == (9, 17) and K.ndim == 2
    f0, f1 = K.separable_factors()
    # canonical factors of an exactly rank-1 outer product of the two 1-D kernels: a few roundings
    np.testing.assert_allclose(f0, kernels.gaussian(1.0).weights, atol=8 * EPS, rtol=0)
    np.testing.assert_allclose(f1, kernels.gaussian(2.0).weights, atol=8 * EPS, rtol=0)
    np.testing.assert_array_equal(kernels.gaussian(0.5, spacing=0.25).weights, kernels.gaussian(2.0).weights)
    assert kernels.gaussian(0.5, spacing=0.25).spacing == (0.25,)
    assert kernels.gaussian(1.0, ndim=3).shape == (9, 9, 9)
    import astropy.units as u

    Kq = kernels.gaussian(5 * u.mm, spacing=0.25 * u.cm)
    np.testing.assert_array_equal(Kq.weights, kernels.gaussian(2.0).weights)
    assert Kq.spacing == (0.25,) and Kq.spacing_unit == u.cm


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((0.0,), {}, ValueError, r"sigma must be positive and finite; got 0.0"),
        ((1.0,), {"mode": "area"}, ValueError, r"mode must be one of 'sample', 'integrate'; got 'area'"),
        (((1.0, 2.0),), {"ndim": 3}, ValueError, r"sigma must be a scalar or have ndim=3 entries; got 2"),
        ((1.0,), {"truncate": -1}, ValueError, r"truncate must be positive"),
        ((1.0,), {"ndim": 0}, ValueError, r"ndim must be >= 1; got 0"),
    ],
    ids=["sigma0", "mode", "ndim-mismatch", "truncate", "ndim0"],
)
def test_gaussian_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        kernels.gaussian(*args, **kwargs)


def test_gaussian_quantity_sigma_needs_quantity_spacing():
    import astropy.units as u

    with pytest.raises(ValueError, match="sigma is a Quantity but spacing is not"):
        kernels.gaussian(1.0 * u.m)
    with pytest.raises(ValueError, match="sigma must have units convertible to"):
        kernels.gaussian(1.0 * u.s, spacing=1.0 * u.m)


def _symbol_7pt(shape, h):
    kg = np.meshgrid(*[2 * np.pi * np.fft.fftfreq(n, hh) for n, hh in zip(shape[:-1], h[:-1])],
                     2 * np.pi * np.fft.rfftfreq(shape[-1], h[-1]), indexing="ij")
    return -sum(4 / hh**2 * np.sin(k * hh / 2) ** 2 for k, hh in zip(kg, h))


@pytest.mark.parametrize("h", [(1.0, 1.0, 1.0), (0.5, 1.0, 2.0)], ids=["iso", "aniso"])
def test_laplacian_7pt_symbol(h):
    shape = (6, 5, 8)
    K = kernels.laplacian(3, spacing=h)
    H = K.transfer_function(shape, backend="numpy")
    assert np.all(H.imag == 0)  # centred and symmetric: exactly real
    # |H| <= 4 sum 1/h^2; both sides carry a few eps of that scale
    np.testing.assert_allclose(H.real, _symbol_7pt(shape, h), rtol=0, atol=16 * EPS * sum(4 / x**2 for x in h))


def test_compact_laplacian_symbols():
    n = 8
    c = np.cos(2 * np.pi * np.fft.fftfreq(n))
    cr = np.cos(2 * np.pi * np.fft.rfftfreq(n))
    cx, cy = np.meshgrid(c, cr, indexing="ij")
    H9 = kernels.laplacian(2, points=9, spacing=0.5).transfer_function((n, n), backend="numpy")
    # symbol of 9 taps of |w| <= 13 (weights / h^2 = /0.25) with exact phases: ~9 * 13 eps ~ 120 eps
    np.testing.assert_allclose(H9, (-20 + 8 * cx + 8 * cy + 4 * cx * cy) / 6 / 0.25, atol=200 * EPS, rtol=0)
    X, Y, Z = np.meshgrid(c, c, cr, indexing="ij")
    s1, s2, s3 = X + Y + Z, X * Y + Y * Z + X * Z, X * Y * Z
    H19 = kernels.laplacian(3, points=19).transfer_function((n, n, n), backend="numpy")
    H27 = kernels.laplacian(3, points=27).transfer_function((n, n, n), backend="numpy")
    # 19 (27) taps of |w| <= 4.3 with exact phases: <= 27 * 4.3 eps ~ 120 eps
    np.testing.assert_allclose(H19, (-24 + 4 * s1 + 4 * s2) / 6, atol=200 * EPS, rtol=0)
    np.testing.assert_allclose(H27, (-128 + 28 * s1 + 12 * s2 + 8 * s3) / 30, atol=200 * EPS, rtol=0)
    assert kernels.laplacian(2, points=9, order=4).shape == (5, 5)  # 2-D 9 points at order 4: the star


def _plane_wave_symbol(K, kvec):
    """H(k) = sum_j w[j] exp(-i k.(j - o)) at an arbitrary wavevector (unit spacing), real part."""
    idx = np.indices(K.shape).reshape(K.ndim, -1).T - np.array(K.origin)
    return float(np.sum(K.weights.ravel() * np.cos(idx @ np.asarray(kvec))))


@pytest.mark.parametrize(
    ("ndim", "points", "isotropic"),
    [(2, 5, False), (2, 9, True), (3, 7, False), (3, 19, True), (3, 27, True)],
    ids=["5pt", "9pt", "7pt", "19pt", "27pt"],
)
def test_compact_laplacians_have_isotropic_leading_error(ndim, points, isotropic):
    # H(k) + |k|^2 = c(direction) |k|^4 + O(|k|^6): c = 1/12 in every direction for the compact
    # stencils (error h^2/12 nabla^4), direction-dependent sum k_a^4 / (12 |k|^4) for the stars.
    # |k| = 0.01: the O(k^2) relative correction is ~1e-5; rounding eps * sum|w| / k^4 ~ 1e-6.
    K = kernels.laplacian(ndim, points=None if points in (5, 7) else points)
    dirs = [np.eye(ndim)[0], np.ones(ndim) / np.sqrt(ndim), np.array([1.0, 2.0, 0.5][:ndim])]
    for d in dirs:
        d = d / np.linalg.norm(d)
        kvec = 0.01 * d
        c = (_plane_wave_symbol(K, kvec) + 1e-4) / 1e-8
        want = 1 / 12 if isotropic else float(np.sum(d**4)) / 12
        # leading error h^2/12 nabla^4 read off at |k| = 0.01: the next term is O(k^2) = 1e-4 relative; 1e-3 for the rounding of (symbol + k^2)/k^4 ~ eps/1e-8
        assert c == pytest.approx(want, rel=1e-3)


def _interior(a, r):
    return a[tuple(slice(r, -r) for _ in range(a.ndim))]


@pytest.mark.parametrize("order", [2, 4, 6])
def test_laplacian_exact_on_polynomials(order):
    # a degree-(order+1) polynomial is differentiated exactly by the order-p star
    h = (0.5, 0.25)
    x = (np.arange(14) - 7) * h[0]
    y = (np.arange(15) - 7) * h[1]
    X, Y = np.meshgrid(x, y, indexing="ij")
    p = order + 1
    f = X**p + 2 * Y**p + X ** (p - 1) * Y
    lap = p * (p - 1) * (X ** (p - 2) + 2 * Y ** (p - 2)) + (p - 1) * (p - 2) * X ** (p - 3) * Y
    K = kernels.laplacian(2, order=order, spacing=h)
    got = _interior(ref_convolve(f, K), order // 2)
    # weights ~ 1/h^2 of O(10) times |f| <= 4^7: rounding ~ sum|w| max|f| eps
    tol = 8 * float(np.abs(K.weights).sum()) * float(np.abs(f).max()) * EPS
    np.testing.assert_allclose(got, _interior(lap, order // 2), rtol=0, atol=tol)


def test_laplacian_errors():
    with pytest.raises(NotImplementedError, match="compact 9-point Laplacian needs equal spacing"):
        kernels.laplacian(2, points=9, spacing=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"points must be one of \[7, 19, 27\] for ndim=3, order=2"):
        kernels.laplacian(3, points=9)
    with pytest.raises(ValueError, match=r"points must be one of \[13\] for ndim=3, order=4"):
        kernels.laplacian(3, order=4, points=27)
    with pytest.raises(ValueError, match="order must be one of 2, 4, 6; got 3"):
        kernels.laplacian(1, order=3)
    with pytest.raises(ValueError, match="ndim must be >= 1; got 0"):
        kernels.laplacian(0)
    with pytest.raises(ValueError, match=r"spacing\[1\] must be positive"):
        kernels.laplacian(2, spacing=(1.0, 0.0))


@pytest.mark.parametrize("order", [2, 4, 6])
def test_gradient_exact_on_polynomials(order):
    h = 0.5
    x = (np.arange(16) - 8) * h
    K = kernels.gradient(1, 0, order=order, spacing=h)
    assert K.shape == (order + 1,) and abs(math.fsum(K.weights)) == 0
    for deg in range(order + 1):
        f = x**deg
        df = deg * x ** (deg - 1) if deg else np.zeros_like(x)
        tol = 4 * float(np.abs(K.weights).sum()) * float(np.abs(f).max()) * EPS
        # exact on polynomials up to the order: only the rounding of the K-term sum, 4 sum|w| max|f| eps
        np.testing.assert_allclose(_interior(ref_convolve(f, K), order // 2), _interior(df, order // 2), rtol=0, atol=tol)
    # and not beyond: degree order+1 leaves a truncation error
    f = x ** (order + 1)
    assert np.abs(_interior(ref_convolve(f, K) - (order + 1) * x**order, order // 2)).max() > 1e-3


def test_gradient_axes_and_errors(rng):
    K = kernels.gradient(3, -1, spacing=(1.0, 1.0, 0.5))
    assert K.shape == (1, 1, 3) and K.origin == (0, 0, 1)
    np.testing.assert_array_equal(K.weights.ravel(), [1.0, 0.0, -1.0])
    with pytest.raises(ValueError, match=r"axis must lie in \[-2, 2\); got 2"):
        kernels.gradient(2, 2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        kernels.gradient(2, 0.5)


@pytest.mark.parametrize("ndim", [2, 3])
def test_sobel_prewitt_match_scipy_ndimage(rng, ndim):
    f = rng.normal(size=(7, 8, 9)[:ndim])
    for axis in range(ndim):
        for name, ref in (("sobel", ndi.sobel), ("prewitt", ndi.prewitt)):
            K = getattr(kernels, name)(axis, ndim=ndim)
            for mode in ("reflect", "wrap"):
                got = ndi.convolve(f, K.weights, origin=ndi_origin(K), mode=mode)
                # <= 3^3 products of O(1) numbers with integer weights <= 4
                np.testing.assert_allclose(got, ref(f, axis, mode=mode), rtol=0, atol=400 * EPS)


@pytest.mark.parametrize("name", ["sobel", "prewitt", "scharr"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_edge_kernels_normalised_differentiate_linear_fields(name, ndim):
    grids = np.meshgrid(*[np.arange(6.0)] * ndim, indexing="ij")
    coef = (1.5, -2.0, 0.25)[:ndim]
    f = sum(c * g for c, g in zip(coef, grids))
    for axis in range(ndim):
        K = getattr(kernels, name)(axis, ndim=ndim, derivative=True)
        assert abs(math.fsum(K.weights.ravel())) == 0
        got = _interior(ref_convolve(f, K), 1)
        # exact on linear fields: 3**ndim products of weights <= 1/2 with |f| <= 10, ~64 roundings
        np.testing.assert_allclose(got, coef[axis], rtol=0, atol=64 * EPS * 10)
    assert getattr(kernels, name)(0).is_separable


def test_scharr_weights_and_edge_errors(rng):
    np.testing.assert_array_equal(kernels.scharr(0).weights, [[3, 10, 3], [0, 0, 0], [-3, -10, -3]])
    # scipy.ndimage.sobel's construction with the smoothing [3, 10, 3]
    f = rng.normal(size=(7, 9))
    for axis in (0, 1):
        ref = ndi.correlate1d(ndi.correlate1d(f, [-1.0, 0.0, 1.0], axis), [3.0, 10.0, 3.0], 1 - axis)
        K = kernels.scharr(axis)
        # integer weights up to 10 on |f| <= 4: 9-term sums vs two 3-term passes, ~9 * 32 * 4 eps ~ 1200 eps
        np.testing.assert_allclose(ndi.convolve(f, K.weights, origin=ndi_origin(K)), ref, rtol=0, atol=2000 * EPS)
    with pytest.raises(ValueError, match=r"axis must lie in \[-2, 2\); got 2"):
        kernels.sobel(2)
    with pytest.raises(ValueError, match="ndim must be >= 2; got 1"):
        kernels.prewitt(0, ndim=1)


@pytest.mark.parametrize("angle", [0.0, 0.3, np.pi / 2, 2.5, -1.0])
def test_directional_derivative_on_linear_and_quadratic_fields(angle):
    x = np.arange(9.0) * 0.5
    X, Y = np.meshgrid(x, x, indexing="ij")
    f = 2.0 * X - 3.0 * Y + X * Y + X**2
    dfdx, dfdy = 2.0 + Y + 2 * X, -3.0 + X
    K = kernels.directional_derivative(angle, spacing=0.5)
    got = _interior(ref_convolve(f, K), 1)
    want = _interior(np.cos(angle) * dfdx + np.sin(angle) * dfdy, 1)
    # exact on quadratics: 5 taps cos/sin(a)/(2h) = +-1 on |f| <= ~60: a few tens of eps
    np.testing.assert_allclose(got, want, rtol=0, atol=200 * EPS)


def test_directional_derivative_quantity_and_errors():
    import astropy.units as u

    # 90 deg converts to pi/2 up to one rounding; cos(pi/2) ~ 6e-17 either way
    np.testing.assert_allclose(kernels.directional_derivative(90 * u.deg).weights,
                               kernels.directional_derivative(np.pi / 2).weights, atol=EPS, rtol=0)
    with pytest.raises(ValueError, match="angle must be finite"):
        kernels.directional_derivative(np.inf)


def test_unsharp_mask(rng):
    g = kernels.gaussian(1.2)
    U = kernels.unsharp_mask(1.2, 0.7)
    assert abs(math.fsum(U.weights) - 1) < 8 * EPS
    H, G = U.transfer_function((16,), backend="numpy"), g.transfer_function((16,), backend="numpy")
    # the symbol is linear in the weights: the two symbols differ by the rounding of 1.7 delta - 0.7 g, a few eps
    np.testing.assert_allclose(H, 1 + 0.7 * (1 - G), atol=16 * EPS, rtol=0)
    np.testing.assert_array_equal(kernels.unsharp_mask(1.0, 0.0).weights[4], 1.0)
    with pytest.raises(ValueError, match="amount must be finite"):
        kernels.unsharp_mask(1.0, np.nan)
    with pytest.raises(TypeError, match="amount must be a real number"):
        kernels.unsharp_mask(1.0, 1j)


# --------------------------------------------------------------- assignment windows
def test_assignment_windows_on_node():
    np.testing.assert_array_equal(kernels.assignment_window("ngp").weights, [1.0])
    np.testing.assert_array_equal(kernels.assignment_window("cic").weights, [1.0])
    np.testing.assert_array_equal(kernels.assignment_window("tsc").weights, [0.125, 0.75, 0.125])
    # B-spline values at integers: one division each
    np.testing.assert_allclose(kernels.assignment_window("pcs").weights, [1 / 6, 2 / 3, 1 / 6], rtol=EPS, atol=0)
    K = kernels.assignment_window("tsc", ndim=3)
    assert K.shape == (3, 3, 3) and K.origin == (1, 1, 1) and K.is_separable


@pytest.mark.parametrize(("scheme", "p"), [("ngp", 1), ("cic", 2), ("tsc", 3), ("pcs", 4)])
def test_assignment_window_is_bspline_partition_of_unity(scheme, p):
    from scipy.interpolate import BSpline

    b = BSpline.basis_element(np.arange(p + 1) - p / 2, extrapolate=False)
    for off in (-0.5, -0.3, 0.0, 0.125, 0.49):
        K = kernels.assignment_window(scheme, offset=off)
        assert abs(math.fsum(K.weights) - 1) <= 4 * EPS
        j = np.arange(K.size) - K.origin[0]
        if p > 1:
            # the same polynomial in |x| evaluated the same way: exact unless j - off rounds differently (~2 roundings)
            np.testing.assert_allclose(K.weights, np.nan_to_num(b(j - off)), rtol=0, atol=4 * EPS)
        if 0 < abs(off) < 0.5:
            assert K.size == p  # a generic position touches p nodes
        # first moment: the window is centred on the mass
        assert abs(float(np.sum(j * K.weights)) - off) < 8 * EPS or p == 1


def test_assignment_window_is_p_fold_box_convolution():
    # CIC = box * box exactly: M-point boxes give the triangle sampled at spacing 1/M
    M = 16
    T = compose(kernels.box(M), kernels.box(M))
    x = (np.arange(T.size) - (M - 1)) / M
    # sums of <= 16 exact products 1/256, times 16: exact up to the rounding of x = t/16 (exact) and 1 - |x|
    np.testing.assert_allclose(T.weights * M, bspline(2, x), rtol=0, atol=8 * EPS)
    # TSC, PCS: the discrete p-fold box converges to W_p at O(1/M^2) (midpoint rule)
    for p in (3, 4):
        errs = []
        for M in (8, 16):
            T = compose(*[kernels.box(M)] * p)
            x = (np.arange(T.size) - (T.size - 1) / 2) / M
            errs.append(np.abs(T.weights * M - bspline(p, x)).max())
        assert 3.5 < errs[0] / errs[1] < 4.5


def test_assignment_window_symbols_are_alias_sums():
    n = 16
    kh = 2 * np.pi * np.fft.rfftfreq(n)
    s2 = np.sin(kh / 2) ** 2
    for scheme, exact in (("cic", np.ones_like(kh)), ("tsc", 1 - s2 / 2), ("pcs", 1 - 2 * s2 / 3)):
        H = kernels.assignment_window(scheme).transfer_function((n,), backend="numpy")
        # symbols of <= 3 taps with exact phases against the closed forms: a few roundings
        np.testing.assert_allclose(H, exact, rtol=0, atol=8 * EPS)
    # and the alias sum of sinc^p itself (tail of sum over |m| > 400 ~ 1/400^(p-1))
    m = np.arange(-400, 401)[:, None]
    alias = np.sum(np.sinc((kh + 2 * np.pi * m) / (2 * np.pi)) ** 3, axis=0)
    np.testing.assert_allclose(alias, 1 - s2 / 2, atol=1e-5)


def test_assignment_window_errors():
    with pytest.raises(ValueError, match="scheme must be one of 'ngp', 'cic', 'tsc', 'pcs'; got 'sph'"):
        kernels.assignment_window("sph")
    with pytest.raises(ValueError, match=r"offset must satisfy -0.5 <= offset < 0.5 \(cells\); got 0.5"):
        kernels.assignment_window("cic", offset=0.5)
    with pytest.raises(ValueError, match="offset must be a scalar or have ndim=2 entries"):
        kernels.assignment_window("cic", ndim=2, offset=(0.1, 0.2, 0.3))


# -------------------------------------------------------------------- savgol
def test_savgol_matches_scipy_and_reproduces_polynomials():
    import scipy.signal

    for wl, po, deriv, pos in ((7, 3, 0, None), (7, 3, 1, None), (9, 4, 2, 2), (8, 2, 0, None), (8, 3, 1, 5)):
        K = kernels.savgol(wl, po, deriv=deriv, delta=0.5, pos=pos)
        ref = scipy.signal.savgol_coeffs(wl, po, deriv=deriv, delta=0.5, pos=pos, use="conv")
        # one float64 least-squares solve each (well conditioned in scaled coordinates): ~1e-14;
        # 1e-12 leaves room for scipy's differently scaled Vandermonde
        np.testing.assert_allclose(K.weights, ref, rtol=0, atol=1e-12)
        x = (np.arange(20) - 10) * 0.5
        f = 0.3 * x**po - x + 2
        if pos is None and wl % 2 == 0:
            # scipy's default evaluates an even window at its half-sample centre, half a sample
            # from the output point: checked against savgol_filter in the next test instead
            continue
        want = [f, 0.3 * po * x ** (po - 1) - 1, 0.3 * po * (po - 1) * x ** (po - 2)][deriv]
        got = ref_convolve(f, K)[wl : -wl]
        # polynomial of degree <= polyorder reproduced exactly up to rounding of |f| <= 3e3
        # times sum|c| <= 10 over <= 9 taps: 1e-9 absolute
        np.testing.assert_allclose(got, want[wl:-wl], rtol=0, atol=1e-9)


def test_savgol_kernel_equals_savgol_filter():
    """One Savitzky-Golay builder: the kernel and the filter agree, also for even windows."""
    from fieldconv.convolution import convolve
    from fieldconv.smoothing import savgol_filter

    x = np.random.default_rng(3).standard_normal(50)
    for wl, po, deriv in ((7, 2, 0), (8, 2, 0), (8, 3, 1), (6, 2, 2)):
        K = kernels.savgol(wl, po, deriv=deriv, delta=0.5)
        # both are the same float64 coefficients applied by a K-term sum: K eps sum|c| |x| ~ 1e-14
        np.testing.assert_allclose(convolve(x, K, mode="mirror"), savgol_filter(x, wl, po, deriv, 0.5, mode="mirror"),
                                   rtol=0, atol=1e-12)
