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
