"""fieldconv.kernels: the Kernel contract, constructors, algebra, separability, symbols.

Reference convolutions are built here by direct periodic indexing with NumPy
(``np.roll`` per tap), independently of fieldconv.convolution, and
scipy.ndimage with the contract's origin shift where a boundary mode is needed.
"""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import kernels
from fieldconv.kernels import Kernel, compose

EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------ references
def ref_convolve(f, K):
    """convolve(f, K)[i] = sum_j w[j] f[(i - j + o) mod n]: np.roll(f, s)[i] = f[i - s]."""
    K = kernels.as_kernel(K)
    out = np.zeros(f.shape)
    for j in np.ndindex(K.shape):
        if K.weights[j] != 0:
            out += K.weights[j] * np.roll(f, tuple(ja - oa for ja, oa in zip(j, K.origin)), axis=tuple(range(K.ndim)))
    return out


def ref_correlate(f, K):
    """correlate(f, K)[i] = sum_j w[j] f[(i + j - o) mod n]."""
    out = np.zeros(f.shape)
    for j in np.ndindex(K.shape):
        out += K.weights[j] * np.roll(f, tuple(oa - ja for ja, oa in zip(j, K.origin)), axis=tuple(range(K.ndim)))
    return out


def ndi_origin(K):
    return tuple(o - n // 2 for o, n in zip(K.origin, K.shape))


def delta_response(K, shape):
    """Response of K to a unit impulse at index 0 on a periodic grid, by direct indexing."""
    f = np.zeros(shape)
    f[(0,) * len(shape)] = 1.0
    out = np.zeros(shape)
    for i in np.ndindex(shape):
        s = 0.0
        for j in np.ndindex(K.shape):
            src = tuple((ia - ja + oa) % n for ia, ja, oa, n in zip(i, j, K.origin, shape))
            s += K.weights[j] * f[src]
        out[i] = s
    return out


def sym_tol(K, shape):
    # symbol: a sum of K.size terms |w| * |phase|, each phase exact to ~2 eps, summed in
    # float64: |error| <= (size + 4) eps sum|w|; the FFT of the delta response adds
    # ~ 5 eps log2 N sum|w|.
    n = max(2, math.prod(shape))
    return (K.size + 4 + 5 * math.log2(n)) * EPS * float(np.sum(np.abs(K.weights)))


# --------------------------------------------------------------- Kernel object
def test_kernel_attributes_and_readonly_copy():
    src = np.array([[1, 2, 3], [4, 5, 6]])
    K = Kernel(src, spacing=(0.5, 2), name="k")
    src[0, 0] = 100
    assert K.weights.dtype == np.float64 and K.weights.flags.c_contiguous
    assert K.weights[0, 0] == 1.0
    assert not K.weights.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        K.weights[0, 0] = 3.0
    assert K.origin == (1, 1) and K.ndim == 2 and K.shape == (2, 3) and K.size == 6
    assert K.spacing == (0.5, 2.0) and K.name == "k" and K.spacing_unit is None
    assert repr(K) == "Kernel(name='k', shape=(2, 3), origin=(1, 1), spacing=(0.5, 2.0))"


@pytest.mark.parametrize(
    ("shape", "origin", "expected"),
    [((5,), None, (2,)), ((4,), None, (2,)), ((3, 4), None, (1, 2)), ((3, 5), "center", (1, 2)), ((4, 4), 0, (0, 0)),
     ((4, 3), (3, 0), (3, 0))],
    ids=["odd", "even-n//2", "mixed", "center", "int-all-axes", "corner"],
)
def test_origin_rules(shape, origin, expected):
    assert Kernel(np.ones(shape), origin=origin).origin == expected


def test_kernel_from_kernel_keeps_origin_spacing_name():
    K = Kernel([1.0, 2.0, 3.0, 4.0], origin=0, spacing=0.5, name="k")
    C = Kernel(K)
    assert (C.origin, C.spacing, C.name) == ((0,), (0.5,), "k")
    assert Kernel(K, origin=3).origin == (3,)
    assert kernels.as_kernel(K) is K


def test_kernel_from_device_array_is_an_explicit_host_copy(strict_backend):
    a = strict_backend.asarray(np.array([1.0, 2.0, 3.0]), copy=True)
    K = Kernel(a)
    assert isinstance(K.weights, np.ndarray)
    np.testing.assert_array_equal(K.weights, [1.0, 2.0, 3.0])


def test_kernel_spacing_quantity():
    u = pytest.importorskip("astropy.units")
    K = Kernel(np.ones((3, 3)), spacing=[0.1, 0.2] * u.m)
    assert K.spacing == (0.1, 0.2) and K.spacing_unit == u.m
    with pytest.raises(TypeError, match="weights must be a plain array, not a Quantity"):
        Kernel([1.0, 2.0] * u.m)
    L = kernels.laplacian(2, spacing=0.5 * u.mm)
    np.testing.assert_array_equal(L.weights, kernels.laplacian(2).weights * 4)
    assert L.spacing_unit == u.mm
    # algebra keeps the unit; different units are different spacings
    for M in (2 * L, L.flip(), L @ L, L + L, -L):
        assert M.spacing == (0.5, 0.5) and M.spacing_unit == u.mm
    with pytest.raises(ValueError, match="different spacings"):
        L + kernels.laplacian(2, spacing=0.5 * u.m)
    # the symbol check accepts a compatible unit and converts it
    L.transfer_function((4, 4), spacing=5e-4 * u.m, backend="numpy")
    with pytest.raises(ValueError, match="spacing must match"):
        L.transfer_function((4, 4), spacing=1 * u.m, backend="numpy")


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"weights": [1.0, np.nan]}, ValueError, r"weights must be finite; got 1 NaN/inf"),
        ({"weights": [[np.inf, 1.0], [1.0, -np.inf]]}, ValueError, r"weights must be finite; got 2"),
        ({"weights": [1 + 1j, 2]}, TypeError, r"weights must be real"),
        ({"weights": ["a", "b"]}, TypeError, r"weights must have a real numeric dtype"),
        ({"weights": 3.0}, ValueError, r"weights must have at least one dimension"),
        ({"weights": np.zeros((0, 3))}, ValueError, r"weights must not be empty"),
        ({"weights": [1.0, 2.0, 3.0], "origin": 3}, ValueError, r"origin\[0\] must satisfy 0 <= origin < 3 \(the kernel size\); got 3"),
        ({"weights": [1.0, 2.0, 3.0], "origin": -1}, ValueError, r"origin\[0\] must satisfy .* got -1"),
        ({"weights": np.ones((3, 3)), "origin": (1,)}, ValueError, r"origin must have one entry per kernel axis \(2\)"),
        ({"weights": np.ones((3, 4)), "origin": "center"}, ValueError, r"even kernel has no centre.*\(3, 4\)"),
        ({"weights": np.ones(3), "origin": "middle"}, ValueError, r"origin must be one of 'center', 'centre'"),
        ({"weights": np.ones(3), "origin": 1.5}, TypeError, r"origin must be an integer"),
        ({"weights": np.ones(3), "spacing": -0.1}, ValueError, r"spacing must be positive and finite; got -0.1"),
        ({"weights": np.ones((3, 3)), "spacing": (1.0, 2.0, 3.0)}, ValueError, r"spacing must be a scalar or have one"),
        ({"weights": np.ones(3), "name": 3}, TypeError, r"name must be a string"),
    ],
    ids=["nan", "inf", "complex", "str", "scalar", "empty", "origin-high", "origin-neg", "origin-len", "even-center",
         "origin-str", "origin-float", "spacing-neg", "spacing-len", "name"],
)
def test_kernel_errors(kwargs, exc, match):
    kwargs = dict(kwargs)
    w = kwargs.pop("weights")
    with pytest.raises(exc, match=match):
        Kernel(w, **kwargs)


# ---------------------------------------------------------------- convention
@pytest.mark.parametrize(
    ("shape", "origin"),
    [((3,), None), ((4,), None), ((4,), (0,)), ((3, 4), None), ((2, 5), (0, 4)), ((3, 2, 2), (2, 0, 1))],
    ids=["1d-odd", "1d-even", "1d-left", "2d-even", "2d-corner", "3d"],
)
def test_convention_matches_scipy_ndimage_with_origin_shift(rng, shape, origin):
    K = Kernel(rng.normal(size=shape), origin=origin)
    f = rng.normal(size=tuple(7 + i for i in range(len(shape))))
    for mode in ("wrap", "reflect", "constant"):
        got = ndi.convolve(f, K.weights, origin=ndi_origin(K), mode=mode)
        if mode == "wrap":
            # sum of K.size products of O(1) numbers: rounding <= size * eps * max|f| sum|w|
            np.testing.assert_allclose(got, ref_convolve(f, K), rtol=0, atol=50 * K.size * EPS)
    np.testing.assert_allclose(
        ndi.correlate(f, K.weights, origin=ndi_origin(K), mode="wrap"), ref_correlate(f, K), rtol=0, atol=50 * K.size * EPS
    )
    # flip turns convolution into correlation, exactly (same products, same order up to permutation)
    np.testing.assert_allclose(ref_convolve(f, K.flip()), ref_correlate(f, K), rtol=0, atol=50 * K.size * EPS)
    assert K.flip().flip().origin == K.origin


# ------------------------------------------------------------------ algebra
def test_box_times_box_is_triangle_exactly():
    T = kernels.box(3) @ kernels.box(3)
    np.testing.assert_array_equal(T.weights * 9, [1, 2, 3, 2, 1])
    assert T.origin == (2,)
    # M-tap boxes: the triangle 1 - |x| sampled at x = t/M, times 1/M (exact: small integers / M^2)
    M = 8
    T = compose(kernels.box(M), kernels.box(M))
    t = np.arange(2 * M - 1) - (M - 1)
    np.testing.assert_allclose(T.weights, (1 - np.abs(t) / M) / M, rtol=4 * EPS, atol=0)


def test_compose_origin_and_spacing_rules():
    a = Kernel([1.0, 2.0], origin=0, spacing=0.5)
    b = Kernel([1.0, 1.0, 1.0], origin=2)
    c = a @ b
    assert c.origin == (2,) and c.spacing == (0.5,)
    np.testing.assert_array_equal(c.weights, [1, 3, 3, 2])
    np.testing.assert_array_equal((a @ [1.0, 1.0, 1.0]).weights, c.weights)  # plain arrays accepted
    np.testing.assert_array_equal(([1.0, 1.0, 1.0] @ a).weights, np.convolve([1, 1, 1], [1, 2]))
    assert compose(a).weights.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="same ndim; got 1 and 2"):
        compose(a, np.ones((2, 2)))
    with pytest.raises(ValueError, match="different spacings"):
        a @ Kernel([1.0], spacing=0.25)
    with pytest.raises(ValueError, match="at least one kernel"):
        compose()


small_kernels = st.builds(
    lambda shape, seed, oseed: Kernel(
        np.random.default_rng(seed).integers(-4, 5, size=shape).astype(float),
        origin=tuple(int(x) for x in np.random.default_rng(oseed).integers(0, shape)),
    ),
    st.tuples(st.integers(1, 4), st.integers(1, 3)),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
)


@given(small_kernels, small_kernels, small_kernels)
def test_compose_is_associative_and_equals_successive_convolution(k1, k2, k3):
    # integer weights <= 4 in magnitude: every product and partial sum is an exact float
    left, right = (k1 @ k2) @ k3, k1 @ (k2 @ k3)
    np.testing.assert_array_equal(left.weights, right.weights)
    assert left.origin == right.origin
    f = np.random.default_rng(1).integers(-3, 4, size=(9, 8)).astype(float)
    np.testing.assert_array_equal(ref_convolve(ref_convolve(f, k1), k2), ref_convolve(f, k1 @ k2))


@given(small_kernels, small_kernels)
def test_transfer_function_of_composition_is_product(k1, k2):
    shape = (6, 5)
    h12 = (k1 @ k2).transfer_function(shape, backend="numpy")
    h1h2 = k1.transfer_function(shape, backend="numpy") * k2.transfer_function(shape, backend="numpy")
    # each symbol is exact to sym_tol; the product of two adds |H1| tol2 + |H2| tol1
    tol = sym_tol(k1 @ k2, shape) + 4 * sym_tol(k1, shape) * np.abs(k2.weights).sum()
    np.testing.assert_allclose(h12, h1h2, rtol=0, atol=tol + 4 * sym_tol(k2, shape) * np.abs(k1.weights).sum())


def test_add_sub_align_on_origins_and_are_linear(rng):
    a = Kernel(rng.normal(size=(3, 2)), origin=(0, 1))
    b = Kernel(rng.normal(size=(2, 4)), origin=(1, 1))
    f = rng.normal(size=(7, 8))
    s, d = a + b, a - b
    assert s.origin == (1, 1) and s.shape == (4, 4)
    tol = 200 * EPS  # sums of <= 12 products of O(1) normals
    np.testing.assert_allclose(ref_convolve(f, s), ref_convolve(f, a) + ref_convolve(f, b), atol=tol, rtol=0)
    np.testing.assert_allclose(ref_convolve(f, d), ref_convolve(f, a) - ref_convolve(f, b), atol=tol, rtol=0)
    # a plain array operand takes the default origin n // 2
    c = Kernel(rng.normal(size=(3, 4)))
    np.testing.assert_array_equal((c.weights + c).weights, (2 * c).weights)
    np.testing.assert_array_equal((c.weights - c).weights, np.zeros((3, 4)))
    np.testing.assert_array_equal((np.ones((3, 3)) - kernels.box((3, 3)) * 9).weights, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="kernel addition needs kernels with the same ndim"):
        a + Kernel([1.0])
    with pytest.raises(TypeError):
        a + 1.0


def test_scalar_multiplication_and_errors():
    K = kernels.laplacian(1)
    for M in (2 * K, K * 2, np.float64(2) * K, K * np.int64(2), -(-2 * K), (4 * K) / 2):
        assert isinstance(M, Kernel)
        np.testing.assert_array_equal(M.weights, [2.0, -4.0, 2.0])
    assert (+K) is K
    with pytest.raises(TypeError, match="use K1 @ K2"):
        K * K
    with pytest.raises(TypeError, match="scalar factor must be a real number"):
        K * 1j
    with pytest.raises(ValueError, match="scalar factor must be finite; got nan"):
        K * float("nan")
    with pytest.raises(TypeError, match="only be multiplied by a real scalar"):
        K * np.ones(3)
    with pytest.raises(ValueError, match="divisor must be non-zero"):
        K / 0
    with pytest.raises(TypeError, match="scalar factor must be a real number; got str"):
        K * "a"
    with pytest.raises(TypeError, match="divisor must be a real number"):
        K / 2j
    with pytest.raises(TypeError):
        K @ 2.0


def test_flip_and_normalized():
    K = Kernel([1.0, 2.0, 5.0, 0.0], origin=0)
    F = K.flip()
    np.testing.assert_array_equal(F.weights, [0.0, 5.0, 2.0, 1.0])
    assert F.origin == (3,)
    N = K.normalized()
    np.testing.assert_array_equal(N.weights, [0.125, 0.25, 0.625, 0.0])
    assert N.origin == (0,)
    for zero_sum in (kernels.laplacian(2, points=9), kernels.laplacian(3, order=6), kernels.gradient(1, 0), kernels.sobel(1)):
        with pytest.raises(ValueError, match="cannot be normalised: its weights sum to zero"):
            zero_sum.normalized()


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
    assert kernels.gaussian(0.2, mode="integrate").weights[2] == pytest.approx(side, rel=1e-12)


def test_gaussian_per_axis_spacing_and_units():
    K = kernels.gaussian((1.0, 2.0))
    assert K.shape == (9, 17) and K.ndim == 2
    f0, f1 = K.separable_factors()
    np.testing.assert_allclose(f0, kernels.gaussian(1.0).weights, atol=8 * EPS, rtol=0)
    np.testing.assert_allclose(f1, kernels.gaussian(2.0).weights, atol=8 * EPS, rtol=0)
    np.testing.assert_array_equal(kernels.gaussian(0.5, spacing=0.25).weights, kernels.gaussian(2.0).weights)
    assert kernels.gaussian(0.5, spacing=0.25).spacing == (0.25,)
    assert kernels.gaussian(1.0, ndim=3).shape == (9, 9, 9)
    u = pytest.importorskip("astropy.units")
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
    u = pytest.importorskip("astropy.units")
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
    np.testing.assert_allclose(H9, (-20 + 8 * cx + 8 * cy + 4 * cx * cy) / 6 / 0.25, atol=200 * EPS, rtol=0)
    X, Y, Z = np.meshgrid(c, c, cr, indexing="ij")
    s1, s2, s3 = X + Y + Z, X * Y + Y * Z + X * Z, X * Y * Z
    H19 = kernels.laplacian(3, points=19).transfer_function((n, n, n), backend="numpy")
    H27 = kernels.laplacian(3, points=27).transfer_function((n, n, n), backend="numpy")
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
        K = getattr(kernels, name)(axis, ndim=ndim, normalize=True)
        assert abs(math.fsum(K.weights.ravel())) == 0
        got = _interior(ref_convolve(f, K), 1)
        np.testing.assert_allclose(got, coef[axis], rtol=0, atol=64 * EPS * 10)
    assert getattr(kernels, name)(0).is_separable


def test_scharr_weights_and_edge_errors(rng):
    np.testing.assert_array_equal(kernels.scharr(0).weights, [[3, 10, 3], [0, 0, 0], [-3, -10, -3]])
    # scipy.ndimage.sobel's construction with the smoothing [3, 10, 3]
    f = rng.normal(size=(7, 9))
    for axis in (0, 1):
        ref = ndi.correlate1d(ndi.correlate1d(f, [-1.0, 0.0, 1.0], axis), [3.0, 10.0, 3.0], 1 - axis)
        K = kernels.scharr(axis)
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
    np.testing.assert_allclose(got, want, rtol=0, atol=200 * EPS)


def test_directional_derivative_quantity_and_errors():
    u = pytest.importorskip("astropy.units")
    np.testing.assert_allclose(kernels.directional_derivative(90 * u.deg).weights,
                               kernels.directional_derivative(np.pi / 2).weights, atol=EPS, rtol=0)
    with pytest.raises(ValueError, match="angle must be finite"):
        kernels.directional_derivative(np.inf)


def test_unsharp_mask(rng):
    g = kernels.gaussian(1.2)
    U = kernels.unsharp_mask(1.2, 0.7)
    assert abs(math.fsum(U.weights) - 1) < 8 * EPS
    H, G = U.transfer_function((16,), backend="numpy"), g.transfer_function((16,), backend="numpy")
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
    np.testing.assert_allclose(T.weights * M, kernels._bspline(2, x), rtol=0, atol=8 * EPS)
    # TSC, PCS: the discrete p-fold box converges to W_p at O(1/M^2) (midpoint rule)
    for p in (3, 4):
        errs = []
        for M in (8, 16):
            T = compose(*[kernels.box(M)] * p)
            x = (np.arange(T.size) - (T.size - 1) / 2) / M
            errs.append(np.abs(T.weights * M - kernels._bspline(p, x)).max())
        assert 3.5 < errs[0] / errs[1] < 4.5


def test_assignment_window_symbols_are_alias_sums():
    n = 16
    kh = 2 * np.pi * np.fft.rfftfreq(n)
    s2 = np.sin(kh / 2) ** 2
    for scheme, exact in (("cic", np.ones_like(kh)), ("tsc", 1 - s2 / 2), ("pcs", 1 - 2 * s2 / 3)):
        H = kernels.assignment_window(scheme).transfer_function((n,), backend="numpy")
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
    smoothing = pytest.importorskip(
        "fieldconv.smoothing", reason="fieldconv.smoothing (savgol_coeffs) is written concurrently; not yet importable"
    )
    if not hasattr(smoothing, "savgol_coeffs"):
        pytest.skip("fieldconv.smoothing.savgol_coeffs not available yet")
    import scipy.signal

    for wl, po, deriv, pos in ((7, 3, 0, None), (7, 3, 1, None), (9, 4, 2, 2), (8, 2, 0, None)):
        K = kernels.savgol(wl, po, deriv=deriv, delta=0.5, pos=pos)
        p = wl // 2 if pos is None else pos
        ref = scipy.signal.savgol_coeffs(wl, po, deriv=deriv, delta=0.5, pos=p, use="conv")
        np.testing.assert_allclose(K.weights, ref, rtol=0, atol=1e-12)
        x = (np.arange(20) - 10) * 0.5
        f = 0.3 * x**po - x + 2
        want = [f, 0.3 * po * x ** (po - 1) - 1, 0.3 * po * (po - 1) * x ** (po - 2)][deriv]
        got = ref_convolve(f, K)[wl : -wl]
        np.testing.assert_allclose(got, want[wl:-wl], rtol=0, atol=1e-9)


def test_savgol_without_smoothing_module_raises_importerror(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fieldconv.smoothing", None)
    with pytest.raises(ImportError, match="fieldconv.smoothing"):
        kernels.savgol(5, 2)


# ------------------------------------------------------------------ separability
@pytest.mark.parametrize(
    "make",
    [lambda: kernels.gaussian(1.5, ndim=2), lambda: kernels.gaussian((0.8, 1.1, 2.0)), lambda: kernels.box((3, 4)),
     lambda: kernels.box((2, 3, 4)), lambda: kernels.sobel(0), lambda: kernels.scharr(1, ndim=3),
     lambda: kernels.gradient(3, 1), lambda: kernels.assignment_window("pcs", ndim=2, offset=(0.1, -0.2))],
    ids=["gauss2", "gauss3-aniso", "box2", "box3", "sobel", "scharr3", "gradient3", "pcs2"],
)
def test_separable_factors_reproduce_weights(make):
    K = make()
    fs = K.separable_factors()
    assert fs is not None and K.is_separable
    assert [f.shape for f in fs] == [(n,) for n in K.shape]
    w = np.multiply.outer(fs[0], fs[1]) if K.ndim == 2 else np.multiply.outer(np.multiply.outer(fs[0], fs[1]), fs[2])
    # the default tolerance: 4 (max unfolding dim + d) eps ||w||_F
    np.testing.assert_allclose(w, K.weights, rtol=0, atol=8 * max(K.shape) ** 2 * EPS * np.linalg.norm(K.weights))


def test_separable_factors_canonical_scaling():
    g = kernels.gaussian(1.0, ndim=2)
    f0, f1 = g.separable_factors()
    np.testing.assert_allclose(f0, kernels.gaussian(1.0).weights, rtol=0, atol=4 * EPS)
    np.testing.assert_allclose(f1, kernels.gaussian(1.0).weights, rtol=0, atol=4 * EPS)
    f0, f1 = kernels.sobel(1).separable_factors()
    np.testing.assert_array_equal(f0, [1, 2, 1])
    np.testing.assert_array_equal(f1, [1, 0, -1])
    np.testing.assert_array_equal(Kernel([1.0, 2.0]).separable_factors()[0], [1.0, 2.0])


@pytest.mark.parametrize(
    "make",
    [lambda: kernels.laplacian(2), lambda: kernels.laplacian(2, points=9), lambda: kernels.laplacian(3),
     lambda: kernels.laplacian(3, points=27), lambda: kernels.directional_derivative(0.4),
     lambda: kernels.unsharp_mask(1.0, 1.0, ndim=2)],
    ids=["lap5", "lap9", "lap7", "lap27", "directional", "unsharp"],
)
def test_non_separable_kernels_give_none(make):
    K = make()
    assert K.separable_factors() is None and not K.is_separable


def test_separable_factors_random_tensors_and_tol(rng):
    a, b, c = rng.normal(size=3), rng.normal(size=4), rng.normal(size=5)
    t = np.multiply.outer(np.multiply.outer(a, b), c)
    fs = Kernel(t).separable_factors()
    np.testing.assert_allclose(np.multiply.outer(np.multiply.outer(*fs[:2]), fs[2]), t, rtol=0, atol=64 * EPS * np.abs(t).max())
    # rank 2 in 3-D (a sum of two outer products) is not separable
    t2 = t + np.multiply.outer(np.multiply.outer(b[:3], a[:3].tolist() + [1.0]), c)
    assert Kernel(t2).separable_factors() is None
    # noise 1e-9 breaks exactness but passes an explicit tolerance above its norm
    noisy = Kernel(t + 1e-9 * rng.normal(size=t.shape))
    assert noisy.separable_factors() is None
    fs = noisy.separable_factors(tol=1e-7)
    assert fs is not None
    with pytest.raises(ValueError, match="tol must be finite and >= 0; got -1.0"):
        noisy.separable_factors(tol=-1)


def test_noise_gain():
    assert kernels.box(5).noise_gain == pytest.approx(0.2, rel=4 * EPS)
    assert kernels.box((4, 4)).noise_gain == pytest.approx(1 / 16, rel=4 * EPS)
    # wide Gaussian: sum w^2 -> 1 / (2 sqrt(pi) sigma) per axis (Riemann sum, aliasing ~ exp(-pi^2 sigma^2);
    # truncate=10 so the renormalisation of the truncated tail, ~ erfc(10/sqrt2), is negligible)
    assert kernels.gaussian(3.0, ndim=2, truncate=10).noise_gain == pytest.approx((1 / (2 * np.sqrt(np.pi) * 3.0)) ** 2, rel=1e-8)
    assert kernels.laplacian(2).noise_gain == 20.0


# ------------------------------------------------------------------ transfer function
@pytest.mark.parametrize(
    ("kshape", "origin", "grid"),
    [((3,), None, (8,)), ((4,), (0,), (7,)), ((3, 4), None, (6, 7)), ((2, 3), (1, 0), (5, 4)), ((3, 2, 2), (0, 1, 1), (4, 5, 6)),
     ((9,), (2,), (5,))],
    ids=["1d", "1d-even-left", "2d-even", "2d-offset", "3d", "longer-than-grid"],
)
def test_transfer_function_is_fft_of_delta_response(rng, kshape, origin, grid):
    K = Kernel(rng.normal(size=kshape), origin=origin)
    resp = delta_response(K, grid)
    # exact unless taps alias onto one grid point (kernel longer than the grid): then one sum each
    np.testing.assert_allclose(K.to_fft_array(grid, backend="numpy"), resp, rtol=0, atol=4 * EPS * np.abs(K.weights).sum())
    tol = sym_tol(K, grid)
    np.testing.assert_allclose(K.transfer_function(grid, backend="numpy"), np.fft.rfftn(resp), rtol=0, atol=tol)
    np.testing.assert_allclose(K.transfer_function(grid, rfft=False, backend="numpy"), np.fft.fftn(resp), rtol=0, atol=tol)


@given(small_kernels, st.tuples(st.integers(1, 7), st.integers(1, 6)), st.booleans())
def test_transfer_function_equals_fft_of_delta_response_property(K, grid, rfft):
    resp = delta_response(K, grid)
    want = np.fft.rfftn(resp) if rfft else np.fft.fftn(resp)
    got = K.transfer_function(grid, rfft=rfft, backend="numpy")
    np.testing.assert_allclose(got, want, rtol=0, atol=sym_tol(K, grid))


def test_transfer_function_plane_wave_eigenvector(rng):
    # convolve(exp(i k x), K) = H(k) exp(i k x); phases built from integer residues (exact to eps)
    n = (9, 8)
    K = Kernel(rng.normal(size=(3, 4)), origin=(2, 1))
    H = K.transfer_function(n, rfft=False, backend="numpy")
    i0, i1 = np.meshgrid(np.arange(n[0]), np.arange(n[1]), indexing="ij")
    for m in ((1, 3), (4, 0), (2, 5)):
        wave = np.exp(2j * np.pi * ((m[0] * i0) % n[0] / n[0] + (m[1] * i1) % n[1] / n[1]))
        got = ref_convolve(wave.real, K) + 1j * ref_convolve(wave.imag, K)
        np.testing.assert_allclose(got, H[m] * wave, rtol=0, atol=sym_tol(K, n) + 16 * K.size * EPS)


@pytest.mark.parametrize(
    "make",
    [lambda: kernels.gaussian(1.3, ndim=2), lambda: kernels.laplacian(3, order=4), lambda: kernels.laplacian(2, points=9),
     lambda: kernels.box(5), lambda: kernels.assignment_window("tsc", ndim=2)],
    ids=["gauss", "lap4", "lap9", "box5", "tsc"],
)
def test_centred_symmetric_kernels_have_real_symbols(make):
    K = make()
    H = K.transfer_function((7,) * K.ndim, backend="numpy")
    assert np.all(H.imag == 0)
    # an origin shifted by s multiplies the symbol by exp(-i k s): the classic spurious phase
    shifted = Kernel(K.weights, origin=(0,) * K.ndim)
    Hs = shifted.transfer_function((7,) * K.ndim, backend="numpy")
    assert np.abs(Hs.imag).max() > 1e-3


def test_transfer_function_gradient_sign():
    # convolve(exp(ikx), gradient) = i sin(kh)/h exp(ikx): imaginary part +sin
    n, h = 16, 0.5
    H = kernels.gradient(1, 0, spacing=h).transfer_function((n,), spacing=h, backend="numpy")
    k = 2 * np.pi * np.fft.rfftfreq(n, h)
    np.testing.assert_allclose(H, 1j * np.sin(k * h) / h, rtol=0, atol=8 * EPS / h)


def test_transfer_function_dtypes_and_errors():
    K = kernels.laplacian(2)
    assert K.transfer_function((4, 6), backend="numpy").dtype == np.complex128
    assert K.transfer_function((4, 6), backend="numpy", dtype=np.float32).dtype == np.complex64
    assert K.transfer_function((4, 6), backend="numpy", dtype=np.complex64).shape == (4, 4)
    assert K.transfer_function((4, 6), rfft=False, backend="numpy").shape == (4, 6)
    with pytest.raises(ValueError, match=r"shape must have one entry per kernel axis \(2\); got 3"):
        K.transfer_function((4, 4, 4))
    with pytest.raises(ValueError, match="shape must be >= 1; got 0"):
        K.transfer_function((4, 0))
    with pytest.raises(TypeError, match="dtype must be complex128, complex64, float64 or float32; got int32"):
        K.transfer_function((4, 4), dtype=np.int32)
    with pytest.raises(ValueError, match=r"spacing must match the spacing the kernel was built for"):
        K.transfer_function((4, 4), spacing=0.5)
    with pytest.raises(ValueError, match=r"shape must have one entry per kernel axis"):
        K.to_fft_array((4,))
    with pytest.raises(TypeError, match="dtype must be real; got dtype complex128"):
        K.to_fft_array((4, 4), dtype=np.complex128)


def test_transfer_function_strict_backend(strict_backend, rng):
    be = strict_backend
    K = Kernel(rng.normal(size=(3, 4)), origin=(0, 2))
    ref = K.transfer_function((6, 5), backend="numpy")
    for dt, tol in ((None, sym_tol(K, (6, 5))), (np.float32, 8 * np.finfo(np.float32).eps * np.abs(K.weights).sum())):
        H = K.transfer_function((6, 5), backend=be, dtype=dt)
        assert H.device == be.device
        assert str(H.dtype).endswith("complex64" if dt else "complex128")
        np.testing.assert_allclose(be.to_numpy(H), ref, rtol=0, atol=tol)
    H = kernels.laplacian(3).transfer_function((4, 4, 4), backend=be)
    assert np.all(be.to_numpy(H).imag == 0)
    A = K.to_fft_array((6, 5), backend=be, dtype=np.float32)
    assert A.device == be.device and str(A.dtype).endswith("float32")


def test_transfer_function_every_backend(backend, rng):
    K = Kernel(rng.normal(size=(3, 2)), origin=(2, 0))
    H = K.transfer_function((5, 6), backend=backend)
    np.testing.assert_allclose(backend.to_numpy(H), np.fft.rfftn(delta_response(K, (5, 6))), rtol=0, atol=sym_tol(K, (5, 6)))
