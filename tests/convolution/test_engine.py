"""fieldconv.convolution: the n-D engine (methods, separability, output dtypes, generic path, errors).

Tolerances: ``direct_tol`` / ``fft_tol`` of :mod:`tests.convolution.bounds`.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi

from fieldconv import kernels
from fieldconv.convolution import convolve, correlate
from fieldconv.convolution._cost import last_auto
from fieldconv.kernels import Kernel

from .bounds import DTYPES, MODES, direct_tol, fft_tol

SHAPES = {1: (13,), 2: (9, 8), 3: (6, 5, 7)}
OA_SHAPES = {1: (1100,), 2: (560, 6), 3: (530, 4, 5)}  # long enough that overlap-add really blocks



@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ["direct", "fft", "overlap-add", "auto"])
@pytest.mark.parametrize("parity", ["odd", "even"])
@pytest.mark.parametrize("ndim", [1, 2, 3], ids=lambda d: f"{d}d")
@pytest.mark.parametrize("mode", MODES)
def test_matches_scipy_ndimage(rng, mode, ndim, parity, method, dtype):
    shape = (OA_SHAPES if method == "overlap-add" else SHAPES)[ndim]
    ks = {"odd": (3, 5, 3), "even": (4, 2, 2)}[parity][:ndim]
    w = rng.standard_normal(ks)
    x = rng.standard_normal(shape).astype(dtype)
    for origin in (0, tuple(-(k // 2) for k in ks), tuple((k - 1) // 2 for k in ks)):
        for ours, ref in ((convolve, ndi.convolve), (correlate, ndi.correlate)):
            got = ours(x, w, mode=mode, cval=0.6, origin=origin, method=method)
            want = ref(x.astype(np.float64), w, mode=mode, cval=0.6, origin=origin)
            assert got.dtype == dtype and got.shape == x.shape
            if method == "direct":
                tol = direct_tol(w, x, dtype, 0.6)
            else:  # auto may pick either; the FFT bound is the looser one
                tol = max(direct_tol(w, x, dtype, 0.6), fft_tol(w, x, dtype, x.size + w.size))
            np.testing.assert_allclose(got, want, rtol=0, atol=tol, err_msg=f"{ours.__name__} origin={origin}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ndim", [2, 3], ids=lambda d: f"{d}d")
def test_separable_matches_scipy(rng, mode, ndim, dtype):
    factors = [rng.standard_normal(k) for k in (5, 4, 3)[:ndim]]
    w = factors[0]
    for f in factors[1:]:
        w = np.multiply.outer(w, f)
    x = rng.standard_normal(SHAPES[ndim]).astype(dtype)
    got = convolve(x, w, mode=mode, cval=-0.8, method="separable", origin=1)
    want = ndi.convolve(x.astype(np.float64), w, mode=mode, cval=-0.8, origin=1)
    assert got.dtype == dtype
    # each pass is a K_i-term sum on data scaled by the earlier passes: sum_i K_i eps prod_i ||f_i||_1 max|f|
    tol = sum(w.shape) * np.finfo(dtype).eps * float(np.abs(w).sum()) * max(np.abs(x).max(), 0.8)
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_spatial_spectral_separability(rng):
    """A non-separable 2-D spatial kernel times a 1-D spectral kernel: 2-D pass + 1-D pass."""
    from fieldconv.convolution._engine import _factor_groups

    spatial = rng.standard_normal((3, 4))  # rank 2: not separable itself
    spectral = rng.standard_normal(5)
    w = np.multiply.outer(spatial, spectral)
    groups = _factor_groups(w, None, False)
    assert sorted(g[0] for g in groups) == [(0, 1), (2,)]
    cube = rng.standard_normal((10, 9, 12))
    for method in ("separable", "auto"):
        got = convolve(cube, w, mode="mirror", method=method)
        want = ndi.convolve(cube, w, mode="mirror")
        np.testing.assert_allclose(got, want, rtol=0, atol=fft_tol(w, cube, np.float64, cube.size))


def test_axes_kernel_on_chosen_axes(rng):
    cube = rng.standard_normal((8, 7, 11))
    k2 = rng.standard_normal((3, 3))
    got = convolve(cube, k2, axes=(0, 1), mode="nearest")
    np.testing.assert_allclose(got, ndi.convolve(cube, k2[:, :, None], mode="nearest"), atol=direct_tol(k2, cube, np.float64))
    # reversed axes order transposes the kernel
    got = convolve(cube, k2, axes=(1, 0), mode="nearest")
    np.testing.assert_allclose(got, ndi.convolve(cube, k2.T[:, :, None], mode="nearest"), atol=direct_tol(k2, cube, np.float64))
    k1 = rng.standard_normal(5)
    got = convolve(cube, k1, axes=2, mode="wrap", method="fft")
    np.testing.assert_allclose(got, ndi.convolve1d(cube, k1, axis=2, mode="wrap"), atol=fft_tol(k1, cube, np.float64, 11))
    # a 4-D field (batch of cubes) with a 3-D kernel on the last three axes
    batch = rng.standard_normal((2, 5, 6, 7))
    k3 = rng.standard_normal((3, 3, 3))
    got = convolve(batch, k3, axes=(1, 2, 3), method="direct")
    np.testing.assert_allclose(got, ndi.convolve(batch, k3[None]), atol=direct_tol(k3, batch, np.float64))


@pytest.mark.parametrize("dtype", DTYPES)
def test_fft_vs_direct_bound(rng, dtype):
    x = rng.standard_normal((96, 80)).astype(dtype)
    w = rng.standard_normal((9, 7))
    for mode in ("reflect", "wrap"):
        d = convolve(x, w, method="direct", mode=mode).astype(np.float64)
        for method in ("fft", "overlap-add"):
            f = convolve(x, w, method=method, mode=mode)
            assert f.dtype == dtype
            # FFT error c*eps*log2(N)*||w||_1*||f||_inf plus the direct sum's own K*eps*... error
            tol = fft_tol(w, x, dtype, x.size) + direct_tol(w, x, dtype)
            err = np.abs(f - d).max()
            assert err <= tol, (mode, method, err, tol)


def test_kernel_object_origin_and_factors(rng):
    a, b = rng.standard_normal(4), rng.standard_normal(3)
    w = np.outer(a, b)
    K = Kernel(w, origin=(0, 2))
    assert K.separable_factors() is not None
    x = rng.standard_normal((12, 10))
    # Kernel.origin = index of the output tap = shape//2 + scipy origin
    want = ndi.convolve(x, w, origin=(0 - 2, 2 - 1), mode="mirror")
    # |w| <= ~9 and |x| <= ~4 over 12 taps: direct sums ~12 eps * 40 ~ 1e-13; FFT of size
    # ~512 ~ 8 eps log2(512) * 40 ~ 6e-13; 1e-12 bounds both
    for method in ("auto", "separable", "direct", "fft"):
        np.testing.assert_allclose(convolve(x, K, method=method, mode="mirror"), want, atol=1e-12)
    want = ndi.correlate(x, w, origin=(-2, 1), mode="mirror")
    np.testing.assert_allclose(correlate(x, K, method="separable", mode="mirror"), want, atol=1e-12)
    # an explicit origin= overrides the kernel's
    np.testing.assert_allclose(convolve(x, K, origin=0), ndi.convolve(x, w), atol=1e-12)


# ------------------------------------------------------------------ dtypes, output, units
@pytest.mark.parametrize(
    "dtype,expect",
    [(np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float32), (np.int32, np.float64),
     (np.uint8, np.float64), (np.bool_, np.float64)],
    ids=lambda d: np.dtype(d).name,
)
@pytest.mark.parametrize("method", ["direct", "fft", "separable"])
def test_dtype_table(dtype, expect, method):
    x = (np.arange(30).reshape(6, 5) % 3).astype(dtype)
    got = convolve(x, np.ones((3, 3)), method=method)
    assert got.dtype == expect
    np.testing.assert_allclose(got, ndi.convolve(x.astype(np.float64), np.ones((3, 3))), atol=1e-4)


def test_integer_output_round_half_even():
    x = np.array([1, 2, 3, 4, 5, 6], dtype=np.int16)
    w = [0.5, 0.5, 0.0]  # averages of neighbours: k + 0.5 everywhere
    got = convolve(x, w, output=np.int16, mode="nearest")
    exact = ndi.convolve(x.astype(float), w, mode="nearest")
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, np.rint(exact).astype(np.int16))  # half to even: 1.5->2, 2.5->2
    assert list(got[:3]) == [2, 2, 4]


def test_integer_output_overflow_and_nan_raise():
    x = np.full(5, 200, dtype=np.uint8)
    with pytest.raises(ValueError, match=r"output dtype int8 cannot hold the result: values span \[400, 400\]"):
        convolve(x, [1.0, 1.0, 0.0], output=np.int8)
    with pytest.raises(ValueError, match="cannot hold the 1 NaN"):
        convolve(np.array([1.0, np.nan, 1.0]), [1.0], output=np.int16)


def test_output_float_and_out(rng):
    x = rng.standard_normal((7, 6))
    w = rng.standard_normal((3, 3))
    got = convolve(x, w, output=np.float32)
    assert got.dtype == np.float32
    out = np.empty((7, 6))
    assert convolve(x, w, out=out) is out
    np.testing.assert_allclose(out, ndi.convolve(x, w), atol=direct_tol(w, x, np.float64))


def test_normalize_kernel(rng):
    x = rng.standard_normal((8, 8))
    w = rng.random((3, 3)) + 0.2
    # 9-term sums of |w/sum w| <= 1 on |x| <= ~4: 9 eps * 4 ~ 1e-14, plus the division's rounding
    np.testing.assert_allclose(convolve(x, w, normalize_kernel=True), ndi.convolve(x, w / w.sum()), atol=1e-13)
    with pytest.warns(DeprecationWarning, match=r"convolve\(normalize=...\) is deprecated; use normalize_kernel="):
        old = convolve(x, w, normalize=True)
    np.testing.assert_array_equal(old, convolve(x, w, normalize_kernel=True))


def test_units_round_trip(rng):
    import astropy.units as u

    x = rng.standard_normal((5, 6)) * u.K
    got = convolve(x, np.ones((3, 3)) / 9)
    assert got.unit == u.K
    # 9-term sum of weights 1/9 on |x| <= ~4: 9 eps * 4 ~ 8e-15
    np.testing.assert_allclose(got.value, ndi.convolve(x.value, np.ones((3, 3)) / 9), atol=1e-14)
    # a stencil built with a Quantity spacing carries 1/length**2: kelvin per square metre
    f = np.sin(np.arange(20) * 0.3) * u.K
    lap = convolve(f, kernels.laplacian(1, spacing=0.1 * u.m))
    assert lap.unit == u.K / u.m**2
    np.testing.assert_allclose(lap.value, convolve(f.value, kernels.laplacian(1, spacing=0.1)), rtol=0, atol=0)
    # normalising the kernel makes it dimensionless
    assert convolve(f, kernels.Kernel([1.0, 2.0, 1.0] * u.m), normalize_kernel=True).unit == u.K



# ------------------------------------------------------------------ generic (GPU) path
@pytest.mark.parametrize("method", ["direct", "fft", "overlap-add", "separable", "auto"])
@pytest.mark.parametrize("mode", MODES)
def test_strict_backend_matches_numpy(rng, strict_backend, mode, method):
    be = strict_backend
    shape = (600, 5) if method == "overlap-add" else (11, 9)
    x = rng.standard_normal(shape)
    w = np.outer(rng.standard_normal(4), rng.standard_normal(3))
    want = convolve(x, w, mode=mode, cval=0.4, method="direct", origin=(1, -1))
    got = convolve(be.asarray(x, copy=True), w, mode=mode, cval=0.4, method=method, origin=(1, -1))
    np.testing.assert_allclose(be.to_numpy(got), want, rtol=0, atol=fft_tol(w, x, np.float64, x.size))
    got32 = correlate(be.asarray(x.astype(np.float32), copy=True), w, mode=mode, method=method)
    assert got32.dtype == be.xp.float32


def test_strict_backend_nan_interpolate_and_output(rng, strict_backend):
    be = strict_backend
    x = rng.standard_normal((10, 9))
    x[2, 3] = np.nan
    w = rng.random((3, 3)) + 0.1
    want = convolve(x, w, nan_policy="interpolate", preserve_nan=True, mode="nearest")
    got = convolve(be.asarray(x, copy=True), w, nan_policy="interpolate", preserve_nan=True, mode="nearest")
    np.testing.assert_allclose(be.to_numpy(got), want, rtol=1e-12, atol=1e-12)
    xi = np.arange(20, dtype=np.int32).reshape(4, 5)
    got = convolve(be.asarray(xi, copy=True), np.ones((1, 2)) / 2, output=np.int16)
    np.testing.assert_array_equal(be.to_numpy(got), convolve(xi, np.ones((1, 2)) / 2, output=np.int16))
    with pytest.raises(ValueError, match="field contains 1 NaN"):
        convolve(be.asarray(x, copy=True), w, nan_policy="raise")


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"kernel": np.ones((3, 3, 3))}, "kernel must not have more dimensions than field"),
        ({"kernel": np.ones(3)}, "pass axes= to choose"),
        ({"kernel": np.ones((4, 3)), "origin": "center"}, "origin='center' needs an odd size on every kernel axis"),
        ({"kernel": np.array([[1.0, np.nan], [0.0, 1.0]])}, "kernel must be finite; got 1 NaN"),
        ({"mode": "periodic"}, "mode must be one of"),
        ({"method": "winograd"}, "method must be one of"),
        ({"nan_policy": "omit"}, "nan_policy must be one of"),
        ({"origin": (2, 0)}, r"origin\[0\] must lie in \[-1, 1\] \(scipy.ndimage offsets"),
        ({"origin": (0, 0, 0)}, "origin must be an int or have one entry per kernel axis"),
        ({"origin": "left"}, "origin must be None, 'center', an int or a sequence"),
        ({"axes": (0,)}, r"axes must have one entry per kernel dimension \(2\)"),
        ({"kernel": np.array([[1.0, -1.0]]), "normalize_kernel": True}, "normalize_kernel=True needs a kernel with non-zero sum"),
        ({"kernel": np.array([[1.0, 2.0], [3.0, 5.0]]), "method": "separable"}, "method='separable' needs a kernel"),
    ],
    ids=["ndim-more", "ndim-fewer", "even-center", "kernel-nan", "mode", "method", "nan-policy", "origin-range",
         "origin-len", "origin-str", "axes-len", "zero-sum-normalize", "not-separable"],
)
def test_errors(kwargs, match):
    kwargs = dict(kwargs)
    kernel = kwargs.pop("kernel", np.ones((3, 3)))
    with pytest.raises(ValueError, match=match):
        convolve(np.ones((6, 6)), kernel, **kwargs)


def test_nan_errors():
    x = np.ones((5, 5))
    x[1, 1] = x[3, 3] = np.nan
    with pytest.raises(ValueError, match=r"field contains 2 NaN value\(s\) and nan_policy='raise'"):
        convolve(x, np.ones((3, 3)), nan_policy="raise")
    with pytest.raises(ValueError, match="nan_policy='interpolate' needs a kernel with non-zero sum"):
        convolve(x, np.array([[1.0, 0.0, -1.0]] * 3), nan_policy="interpolate")


def test_type_errors():
    with pytest.raises(TypeError, match="field must have a numeric dtype; got dtype object"):
        convolve(np.ones((3, 3), object), np.ones((3, 3)))
    with pytest.raises(TypeError, match="kernel must have a real numeric dtype"):
        convolve(np.ones((3, 3)), np.array([["a"]]))
    with pytest.raises(TypeError, match="output must be a complex dtype for a complex result"):
        convolve(np.ones((3, 3), complex), np.ones((3, 3)), output=np.float64)
    with pytest.raises(TypeError, match="output must be a float, integer or complex dtype; got bool"):
        convolve(np.ones((3, 3)), np.ones((3, 3)), output=np.bool_)
    with pytest.raises(ValueError, match=r"cval is complex \(\(1\+1j\)\) but field is real"):
        convolve(np.ones((3, 3)), np.ones((3, 3)) * 1j, mode="constant", cval=1 + 1j)


# ------------------------------------------------------------------ tiny problems, output rule
def test_tiny_problems_take_an_exact_method():
    """The cost model knows a fixed per-call cost: a 3x3 problem is summed exactly (was: FFT, off by 4e-15)."""
    a = np.array([[0.0, 3.0, -2.0], [2.0, 1.0, -3.0], [-1.0, 3.0, 0.0]])
    k = np.array([[-2.0, 1.0, 1.0], [2.0, -2.0, -2.0], [2.0, -2.0, 0.0]])
    for mode in MODES:
        got = convolve(a, k, mode=mode)
        assert last_auto() in ("direct", "separable"), mode
        np.testing.assert_array_equal(got, ndi.convolve(a, k, mode=mode))  # integer sums: exact
    np.testing.assert_array_equal(correlate(a, k, mode="wrap"), ndi.correlate(a, k, mode="wrap"))
    # still an FFT where it pays: a large kernel on a large field
    convolve(np.zeros((512, 512)), np.ones((41, 43)) + np.eye(41, 43))
    assert last_auto() in ("fft", "overlap-add")


def test_float_output_overflow_raises_like_integers():
    """``output=np.float16`` overflowed to inf while integer outputs raised: one rule for both."""
    x = np.array([0.0, 40000.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"output dtype float16 cannot hold the result: 1 finite value\(s\) up to "
                                         r"80000 exceed its largest value 65504"):
        convolve(x, [1.0, 2.0, 1.0], output=np.float16)
    with pytest.raises(ValueError, match="output dtype float32 cannot hold the result"):
        convolve(np.array([1e300, 0.0]), [1.0, 1.0], output=np.float32)
    with pytest.raises(ValueError, match="output dtype int16 cannot hold the result"):
        convolve(x, [1.0, 2.0, 1.0], output=np.int16)
    # values that fit are cast; inf and NaN of the result stay what they are
    got = convolve(np.array([0.0, np.inf, 1.0, np.nan]), [1.0], output=np.float16)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, np.array([0.0, np.inf, 1.0, np.nan], np.float16))
    got = convolve(x / 10, [0.5, 0.5, 0.0], output=np.float16)
    np.testing.assert_array_equal(got, ndi.convolve(x / 10, [0.5, 0.5, 0.0]).astype(np.float16))


def test_with_fieldconv_kernels(rng):
    """The real Kernel objects (fieldconv.kernels) go through every method."""
    x = rng.standard_normal((20, 17))
    for K in (kernels.gaussian(1.5, ndim=2), kernels.sobel(0), kernels.laplacian(2),
              kernels.Kernel(rng.standard_normal((4, 3)), origin=(0, 2))):
        scipy_origin = tuple(o - n // 2 for o, n in zip(K.origin, K.shape))
        want = ndi.convolve(x, K.weights, mode="mirror", origin=scipy_origin)
        for method in ("auto", "direct", "fft"):
            np.testing.assert_allclose(convolve(x, K, mode="mirror", method=method), want, atol=1e-12)
        np.testing.assert_allclose(correlate(x, K.flip(), mode="mirror"), want, atol=1e-12)
        if K.separable_factors() is not None:
            np.testing.assert_allclose(convolve(x, K, mode="mirror", method="separable"), want, atol=1e-12)


@pytest.mark.parametrize("method", ["direct", "fft", "overlap-add", "auto"])
@pytest.mark.parametrize("mode", MODES)
def test_kernel_larger_than_field(rng, mode, method):
    x = rng.standard_normal((5, 4))
    w = rng.standard_normal((7, 9))
    got = convolve(x, w, mode=mode, cval=0.2, method=method)
    want = ndi.convolve(x, w, mode=mode, cval=0.2)
    np.testing.assert_allclose(got, want, rtol=0, atol=fft_tol(w, x, np.float64, 63) + direct_tol(w, x, np.float64, 0.2))


def test_concurrent_calls_from_threads_give_the_serial_results(rng):
    """The compiled kernels run on a shared thread pool: callers on several threads do not interfere."""
    from concurrent.futures import ThreadPoolExecutor

    from fieldconv.backend import threads

    fields = [rng.standard_normal((300, 400)) for _ in range(4)]
    w = rng.standard_normal((5, 4))
    g = np.outer(np.hanning(7)[1:-1], np.hanning(9)[1:-1])
    with threads(1):
        want = [(convolve(f, w, method="direct"), convolve(f, g, method="separable")) for f in fields]
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda f: (convolve(f, w, method="direct"), convolve(f, g, method="separable")), fields))
    for (a, b), (c, d) in zip(got, want):
        np.testing.assert_array_equal(a, c)  # each output summed by one thread in a fixed order: bit for bit
        np.testing.assert_array_equal(b, d)
