"""Tests of fieldconv.convolution: scipy.ndimage/astropy agreement, identities, errors.

Tolerances (derived once, used throughout):

* direct sums: an output is a sum of K products; each product and partial sum
  carries a relative rounding of at most eps, so |error| <= K * eps * sum|w| * max|f|
  (``_direct_tol``).  For float32 output the reference is computed in float64,
  so the bound with eps = eps32 covers both the float32 accumulation and the
  rounding of the weights to float32.
* FFT paths: the error of a length-N real FFT round trip is O(eps log2 N) in the
  2-norm relative to the data; bounded pointwise by
  c * eps * log2(N) * ||w||_1 * max|f| with c = 8 (``_fft_tol``).
"""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi

from fieldconv.convolution import convolve1d, correlate1d

MODES = ["reflect", "mirror", "nearest", "constant", "wrap"]
DTYPES = [pytest.param(np.float64, id="f64"), pytest.param(np.float32, id="f32")]


def _direct_tol(w, f, dtype, cval=0.0):
    """K * eps * sum|w| * max(|f|, |cval|): worst case of a K-term float sum."""
    eps = np.finfo(dtype).eps
    w = np.asarray(w)
    scale = max(float(np.max(np.abs(f))) if np.size(f) else 0.0, abs(cval), 1e-300)
    return w.size * eps * float(np.abs(w).sum()) * scale


# ------------------------------------------------------------------ 1-D primitive
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("K", [1, 2, 3, 4, 7], ids=lambda k: f"K{k}")
@pytest.mark.parametrize(
    "shape,axis", [((9,), 0), ((2,), 0), ((5, 6, 4), 0), ((5, 6, 4), 1), ((5, 6, 4), -1)], ids=str
)
def test_correlate1d_matches_scipy(rng, dtype, mode, K, shape, axis):
    w = rng.standard_normal(K)
    x = rng.standard_normal(shape).astype(dtype)
    for origin in range(-(K // 2), (K - 1) // 2 + 1):
        for ours, ref in ((correlate1d, ndi.correlate1d), (convolve1d, ndi.convolve1d)):
            got = ours(x, w, axis, mode=mode, cval=0.7, origin=origin)
            want = ref(x.astype(np.float64), w, axis, mode=mode, cval=0.7, origin=origin)
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=0, atol=_direct_tol(w, x, dtype, 0.7))


@pytest.mark.parametrize("mode", MODES)
def test_correlate1d_kernel_longer_than_field(rng, mode):
    x = rng.standard_normal(3)
    w = rng.standard_normal(11)
    got = correlate1d(x, w, mode=mode, cval=-1.5)
    want = ndi.correlate1d(x, w, mode=mode, cval=-1.5)
    np.testing.assert_allclose(got, want, rtol=0, atol=_direct_tol(w, x, np.float64, 1.5))


def _kernel(rng, K, kind):
    """Random weights: general, exactly symmetric or exactly antisymmetric."""
    w = rng.standard_normal(K)
    if kind == "sym":
        return w + w[::-1]
    if kind == "anti":
        return w - w[::-1]
    return w


# long enough for several L1 tiles per line (2048 f64 / 4096 f32 outputs), or many
# short lines grouped ~one tile per work item (the last group partial), and
# n * K >= 200 000 multiply-adds, i.e. the threaded path; not a multiple of a tile
TILED = [((40_009,), -1), ((3, 9_001), -1), ((1_001, 37), -1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("K", [6, 7], ids=lambda k: f"K{k}")
@pytest.mark.parametrize("kind", ["general", "sym", "anti"])
@pytest.mark.parametrize("shape,axis", TILED, ids=["1x40009", "3x9001", "1001x37"])
def test_correlate1d_tiled_long_line_matches_scipy(rng, dtype, mode, K, kind, shape, axis):
    w = _kernel(rng, K, kind)
    x = rng.standard_normal(shape).astype(dtype)
    for origin in (-(K // 2), 0, (K - 1) // 2):
        for ours, ref in ((correlate1d, ndi.correlate1d), (convolve1d, ndi.convolve1d)):
            got = ours(x, w, axis, mode=mode, cval=0.7, origin=origin)
            want = ref(x.astype(np.float64), w, axis, mode=mode, cval=0.7, origin=origin)
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=0, atol=_direct_tol(w, x, dtype, 0.7))


def test_correlate1d_symmetry_detected_exactly():
    from fieldconv.convolution import _symmetry

    assert _symmetry(np.array([1.0, 2.0, 1.0])) == 1
    assert _symmetry(np.array([1.0, 2.0, 2.0, 1.0])) == 1
    assert _symmetry(np.array([-1.0, 0.0, 1.0])) == -1
    assert _symmetry(np.array([-1.0, 3.0, -3.0, 1.0])) == -1
    assert _symmetry(np.array([5.0])) == 1
    assert _symmetry(np.array([1.0, 2.0, 1.0 + 2**-52])) == 0  # one ulp off: not folded
    assert _symmetry(np.array([-1.0, 1e-300, 1.0])) == 0  # antisymmetric needs a zero centre


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("K", [1, 2, 5, 8], ids=lambda k: f"K{k}")
@pytest.mark.parametrize("kind", ["sym", "anti"])
@pytest.mark.parametrize("shape,axis", [((4, 30), -1), ((30, 4), 0), ((3, 17, 5), 1)], ids=str)
def test_correlate1d_folded_kernels_match_scipy(rng, dtype, mode, K, kind, shape, axis):
    # folded sums w_j (f[i+j] +- f[i+K-1-j]): fewer terms than K, so the same bound holds;
    # on the strided axis a pair with one sample outside (constant) is summed unfolded
    w = _kernel(rng, K, kind)
    x = rng.standard_normal(shape).astype(dtype)
    for origin in (-(K // 2), (K - 1) // 2):
        got = correlate1d(x, w, axis, mode=mode, cval=-0.4, origin=origin)
        want = ndi.correlate1d(x.astype(np.float64), w, axis, mode=mode, cval=-0.4, origin=origin)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=_direct_tol(w, x, dtype, 0.4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("K", [10, 11], ids=lambda k: f"K{k}")
@pytest.mark.parametrize("kind", ["general", "sym", "anti"])
@pytest.mark.parametrize("shape,axis", [((5, 3), -1), ((3, 5), 0), ((4, 1), -1)], ids=str)
def test_correlate1d_line_shorter_than_kernel(rng, dtype, mode, K, kind, shape, axis):
    # no interior: every output comes from the gathered edge slab (periodic extensions)
    w = _kernel(rng, K, kind)
    x = rng.standard_normal(shape).astype(dtype)
    for origin in (-(K // 2), 0, (K - 1) // 2):
        got = correlate1d(x, w, axis, mode=mode, cval=1.5, origin=origin)
        want = ndi.correlate1d(x.astype(np.float64), w, axis, mode=mode, cval=1.5, origin=origin)
        np.testing.assert_allclose(got, want, rtol=0, atol=_direct_tol(w, x, dtype, 1.5))


@pytest.mark.parametrize("dtype,expect", [(np.float16, np.float32), (np.int32, np.float64), (np.bool_, np.float64)])
def test_correlate1d_dtype_table(dtype, expect):
    x = (np.arange(12).reshape(3, 4) % 2).astype(dtype)
    got = correlate1d(x, [1.0, 2.0, 1.0], axis=0)
    assert got.dtype == expect
    np.testing.assert_allclose(got, ndi.correlate1d(x.astype(np.float64), [1.0, 2.0, 1.0], axis=0), atol=1e-6)


def test_correlate1d_out_and_noncontiguous(rng):
    x = rng.standard_normal((8, 10))[:, ::2]  # strided view
    w = rng.standard_normal(5)
    out = np.empty(x.shape)
    res = correlate1d(x, w, axis=0, out=out, mode="mirror")
    assert res is out
    np.testing.assert_allclose(out, ndi.correlate1d(x, w, axis=0, mode="mirror"), atol=_direct_tol(w, x, np.float64))
    # out aliasing the input is handled (computed into scratch first)
    y = x.copy()
    correlate1d(y, w, axis=1, out=y)
    np.testing.assert_allclose(y, ndi.correlate1d(x, w, axis=1), atol=_direct_tol(w, x, np.float64))


def test_correlate1d_strict_backend(rng, strict_backend):
    be = strict_backend
    x = rng.standard_normal((6, 5))
    w = rng.standard_normal(4)
    for mode in MODES:
        for axis in (0, 1):
            got = correlate1d(be.asarray(x, copy=True), w, axis, mode=mode, cval=0.3, origin=-1)
            want = ndi.correlate1d(x, w, axis, mode=mode, cval=0.3, origin=-1)
            np.testing.assert_allclose(be.to_numpy(got), want, atol=_direct_tol(w, x, np.float64, 0.3))
            got = convolve1d(be.asarray(x.astype(np.float32), copy=True), w, axis, mode=mode)
            assert got.dtype == be.xp.float32
            want = ndi.convolve1d(x, w, axis, mode=mode)
            np.testing.assert_allclose(be.to_numpy(got), want, atol=_direct_tol(w, x, np.float32))


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"mode": "periodic"}, ValueError, "mode must be one of"),
        ({"origin": 2}, ValueError, r"origin must lie in \[-1, 1\]"),
        ({"origin": 0.5}, TypeError, "origin must be an integer"),
        ({"axis": 3}, ValueError, "axis entries must lie in"),
        ({"weights": [[1.0, 2.0]]}, ValueError, "weights must be one-dimensional"),
        ({"weights": []}, ValueError, "weights must not be empty"),
        ({"weights": [1.0, np.nan, 1.0]}, ValueError, "weights must be finite; got 1 NaN"),
        ({"out": np.empty(4, np.float32)}, ValueError, "out must have dtype float64"),
        ({"out": np.empty(3)}, ValueError, r"out must have shape \(4,\)"),
    ],
    ids=["mode", "origin-range", "origin-type", "axis", "weights-2d", "weights-empty", "weights-nan", "out-dtype", "out-shape"],
)
def test_correlate1d_errors(kwargs, exc, match):
    kwargs = dict(kwargs)
    w = kwargs.pop("weights", [1.0, 2.0, 1.0])
    with pytest.raises(exc, match=match):
        correlate1d(np.arange(4.0), w, **kwargs)


def test_correlate1d_complex_field_rejected():
    with pytest.raises(TypeError, match="field must be real"):
        correlate1d(np.ones(4, complex), [1.0])


# ------------------------------------------------------------------ n-D engine
from fieldconv.convolution import convolve, correlate, median_filter  # noqa: E402

SHAPES = {1: (13,), 2: (9, 8), 3: (6, 5, 7)}
OA_SHAPES = {1: (1100,), 2: (560, 6), 3: (530, 4, 5)}  # long enough that overlap-add really blocks


def _fft_tol(w, f, dtype, n_total):
    """c * eps * log2(N) * ||w||_1 * max|f|, c = 8 (FFT round-trip error, pointwise)."""
    eps = np.finfo(dtype).eps
    return 8 * eps * math.log2(max(n_total, 2)) * float(np.abs(w).sum()) * max(float(np.max(np.abs(f))), 1.0)


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
                tol = _direct_tol(w, x, dtype, 0.6)
            else:  # auto may pick either; the FFT bound is the looser one
                tol = max(_direct_tol(w, x, dtype, 0.6), _fft_tol(w, x, dtype, x.size + w.size))
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
    from fieldconv.convolution import _factor_groups

    spatial = rng.standard_normal((3, 4))  # rank 2: not separable itself
    spectral = rng.standard_normal(5)
    w = np.multiply.outer(spatial, spectral)
    groups = _factor_groups(w, None, False)
    assert sorted(g[0] for g in groups) == [(0, 1), (2,)]
    cube = rng.standard_normal((10, 9, 12))
    for method in ("separable", "auto"):
        got = convolve(cube, w, mode="mirror", method=method)
        want = ndi.convolve(cube, w, mode="mirror")
        np.testing.assert_allclose(got, want, rtol=0, atol=_fft_tol(w, cube, np.float64, cube.size))


def test_axes_kernel_on_chosen_axes(rng):
    cube = rng.standard_normal((8, 7, 11))
    k2 = rng.standard_normal((3, 3))
    got = convolve(cube, k2, axes=(0, 1), mode="nearest")
    np.testing.assert_allclose(got, ndi.convolve(cube, k2[:, :, None], mode="nearest"), atol=_direct_tol(k2, cube, np.float64))
    # reversed axes order transposes the kernel
    got = convolve(cube, k2, axes=(1, 0), mode="nearest")
    np.testing.assert_allclose(got, ndi.convolve(cube, k2.T[:, :, None], mode="nearest"), atol=_direct_tol(k2, cube, np.float64))
    k1 = rng.standard_normal(5)
    got = convolve(cube, k1, axes=2, mode="wrap", method="fft")
    np.testing.assert_allclose(got, ndi.convolve1d(cube, k1, axis=2, mode="wrap"), atol=_fft_tol(k1, cube, np.float64, 11))
    # a 4-D field (batch of cubes) with a 3-D kernel on the last three axes
    batch = rng.standard_normal((2, 5, 6, 7))
    k3 = rng.standard_normal((3, 3, 3))
    got = convolve(batch, k3, axes=(1, 2, 3), method="direct")
    np.testing.assert_allclose(got, ndi.convolve(batch, k3[None]), atol=_direct_tol(k3, batch, np.float64))


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
            tol = _fft_tol(w, x, dtype, x.size) + _direct_tol(w, x, dtype)
            err = np.abs(f - d).max()
            assert err <= tol, (mode, method, err, tol)


class _FakeKernel:
    """Duck-typed stand-in for fieldconv.kernels.Kernel (developed concurrently)."""

    def __init__(self, weights, origin=None, factors=None):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.origin = tuple(n // 2 for n in self.weights.shape) if origin is None else tuple(origin)
        self._factors = factors

    def separable_factors(self, tol=None):
        return self._factors


def test_kernel_object_origin_and_factors(rng):
    a, b = rng.standard_normal(4), rng.standard_normal(3)
    w = np.outer(a, b)
    K = _FakeKernel(w, origin=(0, 2), factors=[a, b])
    x = rng.standard_normal((12, 10))
    # Kernel.origin = index of the output tap = shape//2 + scipy origin
    want = ndi.convolve(x, w, origin=(0 - 2, 2 - 1), mode="mirror")
    for method in ("auto", "separable", "direct", "fft"):
        np.testing.assert_allclose(convolve(x, K, method=method, mode="mirror"), want, atol=1e-12)
    want = ndi.correlate(x, w, origin=(-2, 1), mode="mirror")
    np.testing.assert_allclose(correlate(x, K, method="separable", mode="mirror"), want, atol=1e-12)
    # an explicit origin= overrides the kernel's
    np.testing.assert_allclose(convolve(x, K, origin=0), ndi.convolve(x, w), atol=1e-12)


# ------------------------------------------------------------------ NaN policies
astropy_conv = pytest.importorskip("astropy.convolution")


@pytest.mark.parametrize("normalize", [False, True], ids=["raw", "normalized"])
@pytest.mark.parametrize(
    "ours,theirs", [("constant", "fill"), ("nearest", "extend"), ("wrap", "wrap")], ids=["fill", "extend", "wrap"]
)
@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
def test_nan_interpolate_matches_astropy(rng, ours, theirs, normalize, method):
    x = rng.standard_normal((23, 19)) + 3.0
    x[rng.random(x.shape) < 0.08] = np.nan
    w = rng.random((5, 3)) + 0.1  # positive sum, asymmetric (checks the flip)
    for preserve in (False, True):
        got = convolve(x, w, mode=ours, cval=0.0, nan_policy="interpolate", normalize=normalize,
                       preserve_nan=preserve, method=method)
        want = astropy_conv.convolve(x, w, boundary=theirs, fill_value=0.0, nan_treatment="interpolate",
                                     normalize_kernel=normalize, preserve_nan=preserve)
        # ratio of two K-term sums: ~2 K eps relative (FFT: c eps log2 N); 1e-10 is generous
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_nan_interpolate_float32_and_nan_cval(rng):
    x = rng.standard_normal((30, 20)).astype(np.float32)
    x[3, 4] = x[10, 0] = np.nan
    w = np.ones((3, 3))
    got = convolve(x, w, nan_policy="interpolate", normalize=True, mode="constant", cval=np.nan)
    assert got.dtype == np.float32
    # cval=NaN: outside samples are missing, so a corner is the mean of its 4 in-field neighbours
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(got[0, 0], np.nanmean(x64[:2, :2]), rtol=1e-6)
    np.testing.assert_allclose(got[3, 4], np.nanmean(x64[2:5, 3:6]), rtol=1e-6)


def test_nan_all_missing_neighbourhood_gives_nan():
    x = np.ones(12)
    x[4:9] = np.nan
    got = convolve(x, np.ones(3), nan_policy="interpolate")
    assert np.isnan(got[6]) and got[3] == pytest.approx(3.0)  # 2 valid of 3 taps, times the kernel sum 3


def test_nan_propagate_direct_stays_local():
    x = np.zeros((9, 9))
    x[4, 4] = np.nan
    got = convolve(x, np.ones((3, 3)), method="direct")
    assert np.isnan(got).sum() == 9
    got = convolve(x, np.ones((3, 3)), method="auto")  # auto never picks an FFT with NaN present
    assert np.isnan(got).sum() == 9


# ------------------------------------------------------------------ identities (hypothesis)
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

_floats = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)
#: Products of tiny normal numbers are subnormal, where relative bounds fail: absolute floor.
_SUBNORMAL = 1e-300


@given(
    f=arrays(np.float64, (11, 7), elements=_floats),
    g=arrays(np.float64, (11, 7), elements=_floats),
    w=arrays(np.float64, (3, 4), elements=_floats),
    a=_floats,
    b=_floats,
    mode=st.sampled_from(MODES),
    method=st.sampled_from(["direct", "fft", "auto"]),
)
def test_linearity(f, g, w, a, b, mode, method):
    lhs = convolve(a * f + b * g, w, mode=mode, method=method)
    rhs = a * convolve(f, w, mode=mode, method=method) + b * convolve(g, w, mode=mode, method=method)
    # both sides carry the K-term sum bound on data of size (|a|+|b|) max(|f|,|g|)
    scale = (abs(a) + abs(b)) * max(np.abs(f).max(), np.abs(g).max(), 1.0)
    tol = 4 * _fft_tol(w, np.array([scale]), np.float64, f.size) + 3 * w.size * np.finfo(float).eps * np.abs(w).sum() * scale
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=tol + _SUBNORMAL)


@given(
    f=arrays(np.float64, (10, 9), elements=_floats),
    w=arrays(np.float64, (3, 2), elements=_floats),
    s0=st.integers(-12, 12),
    s1=st.integers(-12, 12),
    method=st.sampled_from(["direct", "fft"]),
)
def test_shift_equivariance_wrap(f, w, s0, s1, method):
    lhs = convolve(np.roll(f, (s0, s1), axis=(0, 1)), w, mode="wrap", method=method)
    rhs = np.roll(convolve(f, w, mode="wrap", method=method), (s0, s1), axis=(0, 1))
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=_fft_tol(w, f, np.float64, f.size) + _SUBNORMAL)


@given(
    f=arrays(np.float64, (16, 12), elements=_floats),
    a=arrays(np.float64, (3, 2), elements=_floats),
    b=arrays(np.float64, (4, 3), elements=_floats),
)
def test_composition_equals_successive_convolution(f, a, b):
    import scipy.signal

    ab = scipy.signal.convolve(a, b, mode="full", method="direct")
    # taps landing on the output add: c_ab = c_a + c_b; as a scipy origin: c_ab - shape_ab // 2
    c_ab = tuple(ka // 2 + kb // 2 for ka, kb in zip(a.shape, b.shape))
    origin = tuple(c - n // 2 for c, n in zip(c_ab, ab.shape))
    lhs = convolve(convolve(f, a, mode="wrap"), b, mode="wrap")
    rhs = convolve(f, ab, mode="wrap", origin=origin)
    scale = float(np.abs(a).sum() * np.abs(b).sum()) * max(np.abs(f).max(), 1.0)
    tol = 2 * (a.size + b.size) * np.finfo(float).eps * scale
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=tol + _SUBNORMAL)


@given(
    w=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=_floats),
    data=st.data(),
)
def test_transfer_function_is_fft_of_delta_response(w, data):
    n = (12, 10)
    origin = tuple(data.draw(st.integers(0, k - 1)) for k in w.shape)
    delta = np.zeros(n)
    delta[0, 0] = 1.0
    K = _FakeKernel(w, origin=origin)
    resp = convolve(delta, K, mode="wrap", method="direct")
    # contract symbol H(k) = sum_j w[j] exp(-i k.(j - origin)), with exact phases 2 pi ((m (j - o)) mod n) / n
    m0, m1 = np.meshgrid(np.arange(n[0]), np.arange(n[1]), indexing="ij")
    H = np.zeros(n, complex)
    for j0 in range(w.shape[0]):
        for j1 in range(w.shape[1]):
            ph = ((m0 * (j0 - origin[0])) % n[0]) / n[0] + ((m1 * (j1 - origin[1])) % n[1]) / n[1]
            H += w[j0, j1] * np.exp(-2j * np.pi * ph)
    tol = _fft_tol(w, np.ones(1), np.float64, delta.size)
    np.testing.assert_allclose(np.fft.fft2(resp), H, rtol=0, atol=tol)


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
    np.testing.assert_allclose(out, ndi.convolve(x, w), atol=_direct_tol(w, x, np.float64))


def test_normalize(rng):
    x = rng.standard_normal((8, 8))
    w = rng.random((3, 3)) + 0.2
    np.testing.assert_allclose(convolve(x, w, normalize=True), ndi.convolve(x, w / w.sum()), atol=1e-13)


def test_units_round_trip(rng):
    u = pytest.importorskip("astropy.units")
    x = rng.standard_normal((5, 6)) * u.K
    got = convolve(x, np.ones((3, 3)) / 9)
    assert got.unit == u.K
    np.testing.assert_allclose(got.value, ndi.convolve(x.value, np.ones((3, 3)) / 9), atol=1e-14)


# ------------------------------------------------------------------ median filter
def test_median_filter_matches_scipy_and_is_not_linear(rng):
    x = rng.standard_normal((12, 10)).astype(np.float32)
    got = median_filter(x, 3, mode="mirror")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ndi.median_filter(x, size=3, mode="mirror"))
    # superposition fails: median(a + b) != median(a) + median(b)
    a = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    assert not np.allclose(median_filter(a + b, 3), median_filter(a, 3) + median_filter(b, 3))
    # despiking: a single spike disappears
    spike = np.zeros(9)
    spike[4] = 100.0
    np.testing.assert_array_equal(median_filter(spike, 3), np.zeros(9))


def test_median_filter_errors(strict_backend):
    with pytest.raises(ValueError, match="size must be an int or have one entry per axis"):
        median_filter(np.ones((4, 4)), (3, 3, 3))
    with pytest.raises(ValueError, match="size must be >= 1"):
        median_filter(np.ones(4), 0)
    with pytest.raises(NotImplementedError, match="median_filter is not available on the 'array_api' backend"):
        median_filter(strict_backend.asarray(np.ones(4), copy=True), 3)


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
    np.testing.assert_allclose(be.to_numpy(got), want, rtol=0, atol=_fft_tol(w, x, np.float64, x.size))
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
        ({"kernel": np.ones((4, 3)), "origin": "center"}, "origin='center' needs an odd-size kernel"),
        ({"kernel": np.array([[1.0, np.nan], [0.0, 1.0]])}, "kernel must be finite; got 1 NaN"),
        ({"mode": "periodic"}, "mode must be one of"),
        ({"method": "winograd"}, "method must be one of"),
        ({"nan_policy": "omit"}, "nan_policy must be one of"),
        ({"origin": (2, 0)}, "origin puts the output tap outside the kernel on kernel axis 0"),
        ({"origin": (0, 0, 0)}, "origin must be an int or have one entry per kernel dimension"),
        ({"origin": "left"}, "origin must be None, 'center', an int or a tuple"),
        ({"axes": (0,)}, r"axes must have one entry per kernel dimension \(2\)"),
        ({"kernel": np.array([[1.0, -1.0]]), "normalize": True}, "normalize=True needs a kernel with non-zero sum"),
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
    with pytest.raises(ValueError, match="method='fft' would spread them"):
        convolve(x, np.ones((3, 3)), method="fft")
    with pytest.raises(ValueError, match="nan_policy='interpolate' needs a kernel with non-zero sum"):
        convolve(x, np.array([[1.0, 0.0, -1.0]] * 3), nan_policy="interpolate")


def test_type_errors():
    with pytest.raises(TypeError, match="field must be real"):
        convolve(np.ones((3, 3), complex), np.ones((3, 3)))
    with pytest.raises(TypeError, match="kernel must be real numbers"):
        convolve(np.ones((3, 3)), np.ones((3, 3), complex))
    with pytest.raises(TypeError, match="output must be a real float or integer dtype"):
        convolve(np.ones((3, 3)), np.ones((3, 3)), output=np.complex128)


def test_with_fieldconv_kernels(rng):
    """The real Kernel objects (fieldconv.kernels) go through every method."""
    kernels = pytest.importorskip("fieldconv.kernels")
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
    np.testing.assert_allclose(got, want, rtol=0, atol=_fft_tol(w, x, np.float64, 63) + _direct_tol(w, x, np.float64, 0.2))
