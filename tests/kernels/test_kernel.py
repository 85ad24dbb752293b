"""fieldconv.kernels: the Kernel type, its algebra, separability and symbols."""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import kernels
from fieldconv.kernels import Kernel, compose

from .references import EPS, delta_response, ndi_origin, ref_convolve, ref_correlate, sym_tol


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
    import astropy.units as u

    K = Kernel(np.ones((3, 3)), spacing=[0.1, 0.2] * u.m)
    assert K.spacing == (0.1, 0.2) and K.spacing_unit == u.m
    # Quantity weights give the kernel their unit (convolve multiplies the field's unit by it)
    Q = Kernel([1.0, 2.0] * u.m)
    assert Q.unit == u.m and Q.spacing is None
    np.testing.assert_array_equal(Q.weights, [1.0, 2.0])
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
        ({"weights": [1.0, 2.0, 3.0], "origin": 3}, ValueError, r"origin must lie in \[0, 2\] \(tap indices of a kernel of size 3\); got 3"),
        ({"weights": [1.0, 2.0, 3.0], "origin": -1}, ValueError, r"origin must lie in \[0, 2\] .* got -1"),
        ({"weights": np.ones((3, 3)), "origin": (1,)}, ValueError, r"origin must be an int or have one entry per kernel axis \(2\)"),
        ({"weights": np.ones((3, 4)), "origin": "center"}, ValueError, r"an even axis has no centre tap.*\(3, 4\)"),
        ({"weights": np.ones(3), "origin": "middle"}, ValueError, r"origin must be None, 'center', an int or a sequence of ints; got 'middle'"),
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
        # the same bound for scipy.ndimage against the direct periodic sum
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
    # each weight is a sum of <= M exact products 1/M^2 (powers of two for M = 8): exact to ~1 rounding
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
    # balanced factors of an exactly rank-1 table (pivot factorisation, divided by exact sums): a few roundings of weights <= 0.4
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
    # reconstruction of an exactly rank-1 product: the default tolerance 4 (max(m, n) + d) eps ||t||, here <= 64 eps max|t|
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
    # sum of 5 squares of 0.2 (0.2 rounded once, squared, summed): ~4 roundings
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
    # sym_tol: (size + 4) eps sum|w| for the exact-phase symbol plus 5 eps log2 N sum|w| for NumPy's FFT
    np.testing.assert_allclose(K.transfer_function(grid, backend="numpy"), np.fft.rfftn(resp), rtol=0, atol=tol)
    np.testing.assert_allclose(K.transfer_function(grid, rfft=False, backend="numpy"), np.fft.fftn(resp), rtol=0, atol=tol)


@given(small_kernels, st.tuples(st.integers(1, 7), st.integers(1, 6)), st.booleans())
def test_transfer_function_equals_fft_of_delta_response_property(K, grid, rfft):
    resp = delta_response(K, grid)
    want = np.fft.rfftn(resp) if rfft else np.fft.fftn(resp)
    got = K.transfer_function(grid, rfft=rfft, backend="numpy")
    # sym_tol: the symbol's rounding plus NumPy's FFT rounding (see references.sym_tol)
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
        # symbol rounding, plus the direct periodic sum of K.size products of |w| <= 3 and unit waves
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
    # two taps +-1/(2h) with exact phases: ~4 roundings of sin, divided by h
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
        # float64: the same symbol computed by xp.tensordot; float32: the cast, eps32 per |w|
        np.testing.assert_allclose(be.to_numpy(H), ref, rtol=0, atol=tol)
    H = kernels.laplacian(3).transfer_function((4, 4, 4), backend=be)
    assert np.all(be.to_numpy(H).imag == 0)
    A = K.to_fft_array((6, 5), backend=be, dtype=np.float32)
    assert A.device == be.device and str(A.dtype).endswith("float32")


def test_transfer_function_every_backend(backend, rng):
    K = Kernel(rng.normal(size=(3, 2)), origin=(2, 0))
    H = K.transfer_function((5, 6), backend=backend)
    # sym_tol: symbol rounding plus NumPy FFT rounding, on every backend
    np.testing.assert_allclose(backend.to_numpy(H), np.fft.rfftn(delta_response(K, (5, 6))), rtol=0, atol=sym_tol(K, (5, 6)))
