"""fieldconv.convolution: the 1-D primitive (correlate1d / convolve1d) against scipy.ndimage.

Tolerances: ``direct_tol`` / ``fft_tol`` of :mod:`tests.convolution.bounds`.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi

from fieldconv.convolution import convolve1d, correlate1d
from fieldconv.convolution._oned import symmetry

from .bounds import DTYPES, MODES, direct_tol


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
            np.testing.assert_allclose(got, want, rtol=0, atol=direct_tol(w, x, dtype, 0.7))


@pytest.mark.parametrize("mode", MODES)
def test_correlate1d_kernel_longer_than_field(rng, mode):
    x = rng.standard_normal(3)
    w = rng.standard_normal(11)
    got = correlate1d(x, w, mode=mode, cval=-1.5)
    want = ndi.correlate1d(x, w, mode=mode, cval=-1.5)
    np.testing.assert_allclose(got, want, rtol=0, atol=direct_tol(w, x, np.float64, 1.5))


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
            np.testing.assert_allclose(got, want, rtol=0, atol=direct_tol(w, x, dtype, 0.7))


def test_correlate1d_symmetry_detected_exactly():
    assert symmetry(np.array([1.0, 2.0, 1.0])) == 1
    assert symmetry(np.array([1.0, 2.0, 2.0, 1.0])) == 1
    assert symmetry(np.array([-1.0, 0.0, 1.0])) == -1
    assert symmetry(np.array([-1.0, 3.0, -3.0, 1.0])) == -1
    assert symmetry(np.array([5.0])) == 1
    assert symmetry(np.array([1.0, 2.0, 1.0 + 2**-52])) == 0  # one ulp off: not folded
    assert symmetry(np.array([-1.0, 1e-300, 1.0])) == 0  # antisymmetric needs a zero centre


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
        np.testing.assert_allclose(got, want, rtol=0, atol=direct_tol(w, x, dtype, 0.4))


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
        np.testing.assert_allclose(got, want, rtol=0, atol=direct_tol(w, x, dtype, 1.5))


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
    np.testing.assert_allclose(out, ndi.correlate1d(x, w, axis=0, mode="mirror"), atol=direct_tol(w, x, np.float64))
    # out aliasing the input is handled (computed into scratch first)
    y = x.copy()
    correlate1d(y, w, axis=1, out=y)
    np.testing.assert_allclose(y, ndi.correlate1d(x, w, axis=1), atol=direct_tol(w, x, np.float64))


def test_correlate1d_strict_backend(rng, strict_backend):
    be = strict_backend
    x = rng.standard_normal((6, 5))
    w = rng.standard_normal(4)
    for mode in MODES:
        for axis in (0, 1):
            got = correlate1d(be.asarray(x, copy=True), w, axis, mode=mode, cval=0.3, origin=-1)
            want = ndi.correlate1d(x, w, axis, mode=mode, cval=0.3, origin=-1)
            np.testing.assert_allclose(be.to_numpy(got), want, atol=direct_tol(w, x, np.float64, 0.3))
            got = convolve1d(be.asarray(x.astype(np.float32), copy=True), w, axis, mode=mode)
            assert got.dtype == be.xp.float32
            want = ndi.convolve1d(x, w, axis, mode=mode)
            np.testing.assert_allclose(be.to_numpy(got), want, atol=direct_tol(w, x, np.float32))


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


def test_correlate1d_non_numeric_and_complex_errors():
    with pytest.raises(TypeError, match="field must have a numeric dtype; got dtype object"):
        correlate1d(np.ones(4, object), [1.0])
    with pytest.raises(ValueError, match=r"cval is complex \(\(1\+2j\)\) but field is real"):
        correlate1d(np.ones(4), [1.0, 2.0], mode="constant", cval=1 + 2j)
    with pytest.raises(TypeError, match="output must be a complex dtype for a complex result"):
        convolve1d(np.ones(4), [1.0, 2.0j], output=np.float64)
    with pytest.raises(TypeError, match="output must be a float, integer or complex dtype; got bool"):
        correlate1d(np.ones(4), [1.0], output=np.bool_)


@pytest.mark.parametrize("fn,ref", [(correlate1d, ndi.correlate1d), (convolve1d, ndi.convolve1d)],
                         ids=["correlate1d", "convolve1d"])
def test_output_dtype_on_the_1d_functions(rng, fn, ref):
    """``output=`` as a dtype (was: out= only), with the one rule of fieldconv/_output.py."""
    x = rng.integers(0, 50, (6, 9)).astype(np.int16)
    w = [1.0, 2.0, 1.0]
    got = fn(x, w, axis=0, output=np.int32, mode="nearest")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, ref(x.astype(np.int32), w, axis=0, mode="nearest"))  # integer sums: exact
    got = fn(x.astype(np.float64), w, output=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ref(x.astype(np.float64), w).astype(np.float32))
    out = np.empty(x.shape, np.int32)
    assert fn(x, w, output=np.int32, out=out) is out
    with pytest.raises(ValueError, match=r"output dtype uint8 cannot hold the result: values span \[-"):
        fn(x, [1.0, -3.0], output=np.uint8)
    with pytest.raises(ValueError, match="output dtype float16 cannot hold the result: 1 finite value"):
        fn(np.array([0.0, 7e4, 0.0]), [1.0], output=np.float16)

